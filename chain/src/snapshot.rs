//! Bootstrapped local chains, made once and started from copies.
//!
//! Most of a chain test's set-up is the same for every test that wants a given kind of subnet:
//! registering it, funding, registering and staking its keys, serving axons, and the epoch that
//! gives the validators their permits (on chopsticks every block runs the runtime in a wasm
//! interpreter, so this is tens of blocks, most of a minute). A [`SnapshotStore`] makes each kind
//! once: the first caller bootstraps on a node that keeps its chain in a database (chopsticks
//! `--db`), stops it and saves the database with what the bootstrap returned; every caller then
//! gets its own node resumed from a private copy, in a few seconds, and runs against the real
//! runtime as before. Only the set-up is shared: each test has its own node.
//!
//! A snapshot is the folder `<store>/<name>-<fingerprint>/`: `chain.sqlite` (with its
//! write-ahead log), `made.json` (what the maker returned) and `files/` (anything the maker
//! wrote there, such as wallets). The fingerprint covers the chain spec's bytes and the maker's
//! recipe (a description of everything it does), so a different recipe never reuses a snapshot.
//!
//! The store is `$BT_SNAPSHOT_DIR`; the test command makes it afresh for each run, so a snapshot
//! never outlives the code that made it. Without it, each process gets a temporary store of its
//! own (shared by the tests of one test binary). Making is serialised across processes by a
//! lock file per snapshot: the first caller makes it while the others wait, then they copy it.
//!
//! What a copy does not carry: values written with chopsticks' `dev_setStorage` (the test drand
//! beacon's key and pulses), which chopsticks keeps in memory on top of the head block rather
//! than in a block's saved changes. Whoever starts from a snapshot writes them again.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::beacon::TestBeacon;
use crate::bootstrap::{bootstrap, BootstrapConfig, Subnet};
use crate::client::Chain;
use crate::error::ChainError;
use crate::localnet::{new_block, Localnet, LocalnetConfig};

/// The environment variable naming the store shared by a test run.
pub const STORE_ENV: &str = "BT_SNAPSHOT_DIR";

/// Where snapshots are kept.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    root: PathBuf,
    /// Keeps a per-process store alive.
    _temporary: Option<Arc<tempfile::TempDir>>,
}

/// A node started from a snapshot.
pub struct Started<T> {
    /// The node (its database is a private copy, deleted with it).
    pub node: Localnet,
    /// A client connected to it.
    pub chain: Chain,
    /// What the maker returned when the snapshot was made.
    pub made: T,
    /// The snapshot's `files/` folder (read only: copy what you change).
    pub files: PathBuf,
}

fn localnet_error(what: String) -> ChainError {
    ChainError::Localnet(what)
}

impl SnapshotStore {
    /// The store of this test run (`$BT_SNAPSHOT_DIR`), or one for this process alone.
    pub fn from_env() -> Result<Self, ChainError> {
        match std::env::var_os(STORE_ENV) {
            Some(dir) if !dir.is_empty() => Ok(Self::at(PathBuf::from(dir))),
            _ => {
                static PROCESS: OnceLock<Result<Arc<tempfile::TempDir>, String>> = OnceLock::new();
                let temporary = PROCESS
                    .get_or_init(|| {
                        tempfile::Builder::new()
                            .prefix("bt-snapshots-")
                            .tempdir()
                            .map(Arc::new)
                            .map_err(|e| e.to_string())
                    })
                    .clone()
                    .map_err(|e| localnet_error(format!("cannot create a snapshot folder: {e}")))?;
                Ok(Self {
                    root: temporary.path().to_path_buf(),
                    _temporary: Some(temporary),
                })
            }
        }
    }

    /// A store in `root`.
    pub fn at(root: PathBuf) -> Self {
        Self {
            root,
            _temporary: None,
        }
    }

    /// The folder of snapshot `name` made by `recipe` on the chain spec of `config`.
    pub fn folder(
        &self,
        config: &LocalnetConfig,
        name: &str,
        recipe: &str,
    ) -> Result<PathBuf, ChainError> {
        let spec = std::fs::read(&config.chain_spec).map_err(|e| {
            localnet_error(format!(
                "cannot read the chain spec {}: {e}",
                config.chain_spec.display()
            ))
        })?;
        let mut hash = Sha256::new();
        hash.update(Sha256::digest(&spec));
        hash.update(recipe.as_bytes());
        let fingerprint = hex::encode(&hash.finalize()[..8]);
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(self.root.join(format!("{name}-{fingerprint}")))
    }

    /// Starts a node from snapshot `name`, making it first with `make` when no caller has:
    /// `make` gets a client of a fresh node (as `config` describes it, keeping its chain in a
    /// database) and the snapshot's `files/` folder, and returns what later callers get back
    /// as [`Started::made`]. `recipe` describes everything `make` does (its configuration):
    /// two calls with the same name and recipe share one snapshot.
    pub async fn start<T, F, Fut>(
        &self,
        config: &LocalnetConfig,
        name: &str,
        recipe: &str,
        make: F,
    ) -> Result<Started<T>, ChainError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Chain, PathBuf) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        let folder = self.folder(config, name, recipe)?;
        let lock = lock(&folder).await?;
        if !folder.join("made.json").is_file() {
            self.make(config, &folder, make).await?;
        }
        drop(lock);
        let text = std::fs::read_to_string(folder.join("made.json"))
            .map_err(|e| localnet_error(format!("cannot read {}: {e}", folder.display())))?;
        let made: T = serde_json::from_str(&text).map_err(|e| {
            localnet_error(format!(
                "snapshot {} has an unreadable made.json: {e}",
                folder.display()
            ))
        })?;
        let node = Localnet::start(&LocalnetConfig {
            start_from: Some(folder.join("chain.sqlite")),
            ..config.clone()
        })
        .await?;
        let chain = Chain::connect(&node.endpoint(), Duration::from_secs(30)).await?;
        Ok(Started {
            node,
            chain,
            made,
            files: folder.join("files"),
        })
    }

    async fn make<T, F, Fut>(
        &self,
        config: &LocalnetConfig,
        folder: &Path,
        make: F,
    ) -> Result<(), ChainError>
    where
        T: Serialize,
        F: FnOnce(Chain, PathBuf) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        let io = |what: &str, path: &Path, e: std::io::Error| {
            localnet_error(format!("{what} {}: {e}", path.display()))
        };
        let staging = folder.with_extension("making");
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| io("cannot clear", &staging, e))?;
        }
        std::fs::create_dir_all(staging.join("files"))
            .map_err(|e| io("cannot create", &staging, e))?;
        let node = Localnet::start(&LocalnetConfig {
            db: Some(staging.join("chain.sqlite")),
            start_from: None,
            ..config.clone()
        })
        .await?;
        let chain = Chain::connect(&node.endpoint(), Duration::from_secs(30)).await?;
        let made = make(chain.clone(), staging.join("files")).await?;
        // A block built on request is saved before the request returns: after this one, every
        // block before it is in the database too.
        new_block(&chain).await?;
        node.stop().await;
        let json = serde_json::to_string_pretty(&made).map_err(|e| {
            localnet_error(format!(
                "cannot save what the snapshot's maker returned: {e}"
            ))
        })?;
        std::fs::write(staging.join("made.json"), json)
            .map_err(|e| io("cannot write", &staging, e))?;
        std::fs::rename(&staging, folder).map_err(|e| io("cannot save the snapshot", folder, e))
    }
}

/// An exclusive lock on the snapshot at `folder`, across processes, released on drop.
async fn lock(folder: &Path) -> Result<std::fs::File, ChainError> {
    let parent = folder.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| localnet_error(format!("cannot create {}: {e}", parent.display())))?;
    let path = folder.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| localnet_error(format!("cannot open {}: {e}", path.display())))?;
    // Waiting for another process's bootstrap blocks: keep it off the async workers.
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| localnet_error(format!("waiting for the snapshot lock: {e}")))?
        .map_err(|e| localnet_error(format!("cannot lock {}: {e}", path.display())))
}

/// A node on `localnet`'s chain spec with `config`'s subnet bootstrapped: started from that
/// bootstrap's snapshot in the store of this run ([`SnapshotStore::from_env`]; made first when
/// no test has), with the test drand `beacon` installed when given, and `config`'s bootstrap
/// run again (which finds everything done, but serves the miners' axons again where `config`
/// gives them other ports, and reports the subnet on this node).
pub async fn start_bootstrapped(
    localnet: &LocalnetConfig,
    config: &BootstrapConfig,
    beacon: Option<&TestBeacon>,
) -> Result<(Localnet, Chain, Subnet), ChainError> {
    let store = SnapshotStore::from_env()?;
    let make = |chain: Chain, _files| async move { bootstrap(&chain, config).await };
    let started: Started<Subnet> = store
        .start(localnet, "bootstrap", &config.recipe(), make)
        .await?;
    if let Some(beacon) = beacon {
        beacon.install(&started.chain).await?;
    }
    let subnet = bootstrap(&started.chain, config).await?;
    Ok((started.node, started.chain, subnet))
}
