//! A local subtensor node: chopsticks executing the real runtime from a chain spec, started on
//! a free loopback port and stopped when its [`Localnet`] guard drops.
//!
//! The chain specs are vendored in `chain/specs/` (gzipped raw specs of subtensor built from
//! source, see `docs/chain-specs.md`): spec 425 is the default, spec 385 the generation
//! before. A vendored spec is checked against its recorded sha256 when it is loaded.
//!
//! The genesis has no `Timestamp.Now`, so chopsticks would read the wall clock twice for
//! block #1 (Aura slot, timestamp inherent); across a slot boundary block #1 fails. We start
//! from a copy of the spec whose genesis holds a fixed `Timestamp.Now`, which makes block #1
//! deterministic. (Importing it as storage instead is too late: block #1 is built from the
//! wall clock first, and block #2's slot then goes backwards.)

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::client::Chain;
use crate::error::ChainError;

/// 2025-01-01T00:00:00Z in ms: the genesis time we give the chain.
const GENESIS_TIMESTAMP_MS: u64 = 1_735_689_600_000;

/// A chain spec this repository carries in `chain/specs/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendoredSpec {
    /// The runtime's spec_version, which also names it (`--chain-spec 425`).
    pub spec_version: u32,
    /// The gzipped file in `chain/specs/`.
    pub file: &'static str,
    /// sha256 of the uncompressed JSON, as recorded when it was built.
    pub sha256: &'static str,
    /// Where it was built from.
    pub provenance: &'static str,
}

/// The chain specs in `chain/specs/`: the default first.
pub const VENDORED_SPECS: &[VendoredSpec] = &[
    VendoredSpec {
        spec_version: 425,
        file: "subtensor-425.json.gz",
        sha256: "2c96e75e1938903506d0984ccd0f6a3ab3481b2821e7e4fd91090ff85d06b896",
        provenance: "opentensor/subtensor main 14bc6f9f9 (2026-06-30)",
    },
    VendoredSpec {
        spec_version: 385,
        file: "subtensor-385.json.gz",
        sha256: "253aefe28a54acf5a82801ac9e8678ea46f664d74c39dd98ac5cc90ad42e38f2",
        provenance: "opentensor/subtensor b59e6683e (2026-03-18)",
    },
];

impl VendoredSpec {
    /// The vendored spec named by `name` (`425`, `385`), if any.
    pub fn by_name(name: &str) -> Option<&'static VendoredSpec> {
        let version: u32 = name.trim().trim_start_matches("spec").parse().ok()?;
        VENDORED_SPECS.iter().find(|s| s.spec_version == version)
    }

    /// Its path in the checkout at `repo`.
    pub fn path(&self, repo: &Path) -> PathBuf {
        repo.join("chain").join("specs").join(self.file)
    }
}

/// Where the node's inputs are.
#[derive(Debug, Clone)]
pub struct LocalnetConfig {
    /// The chopsticks executable (`node_modules/.bin/chopsticks`).
    pub chopsticks: PathBuf,
    /// The raw chain spec: JSON, or gzipped JSON (`.gz`), such as `chain/specs/subtensor-425.json.gz`.
    pub chain_spec: PathBuf,
    /// The port (0 = any free one).
    pub port: u16,
    /// How long to wait for the node to be ready.
    pub ready_timeout: Duration,
    /// Keep the chain in this SQLite file (chopsticks `--db`); when the file already holds a
    /// chain, the node resumes from its newest block, so a restarted node keeps its state.
    pub db: Option<PathBuf>,
    /// Start from a copy of this saved chain (a chopsticks database, such as a
    /// [`crate::snapshot`]): the node resumes from its newest block. The copy goes to `db`
    /// when that file does not hold a chain yet, else (without `db`) into the node's own
    /// folder, deleted with it. A `db` that already holds a chain is resumed instead.
    pub start_from: Option<PathBuf>,
}

impl LocalnetConfig {
    /// The defaults for a checkout at `repo`: chopsticks from `repo/node_modules`, the chain
    /// spec from `BT_CHAIN_SPEC` (a path, or `425` / `385` for a vendored one) or else the
    /// vendored spec 425.
    pub fn for_repo(repo: &Path) -> Self {
        let chain_spec = match std::env::var("BT_CHAIN_SPEC") {
            Ok(value) if !value.trim().is_empty() => Self::spec_path(repo, &value),
            _ => VENDORED_SPECS[0].path(repo),
        };
        Self {
            chopsticks: repo.join("node_modules").join(".bin").join("chopsticks"),
            chain_spec,
            port: 0,
            ready_timeout: Duration::from_secs(120),
            db: None,
            start_from: None,
        }
    }

    /// The spec file `value` names: a vendored spec's version (`425`, `385`) or a path.
    pub fn spec_path(repo: &Path, value: &str) -> PathBuf {
        match VendoredSpec::by_name(value) {
            Some(spec) => spec.path(repo),
            None => PathBuf::from(value),
        }
    }

    /// Finds the repository (the folder with `package.json` and `node_modules`) upwards from
    /// `start`.
    pub fn find_repo(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .find(|d| d.join("package.json").is_file() && d.join("node_modules").is_dir())
            .map(Path::to_path_buf)
    }
}

/// A running local node. Dropping it kills the node.
pub struct Localnet {
    child: Child,
    port: u16,
    _workdir: tempfile::TempDir,
    log_path: PathBuf,
}

impl Localnet {
    /// Starts chopsticks and waits until it serves RPC and has built block #1.
    pub async fn start(config: &LocalnetConfig) -> Result<Self, ChainError> {
        for (what, path) in [
            (
                "chopsticks (run `npm ci` in the repository)",
                &config.chopsticks,
            ),
            (
                "the chain spec (BT_CHAIN_SPEC: a path, or 425 / 385 for a vendored one)",
                &config.chain_spec,
            ),
        ] {
            if !path.exists() {
                return Err(ChainError::Localnet(format!(
                    "{what} not found at {}",
                    path.display()
                )));
            }
        }
        let workdir = tempfile::Builder::new()
            .prefix("bt-localnet-")
            .tempdir()
            .map_err(|e| ChainError::Localnet(format!("cannot create a temporary folder: {e}")))?;
        let spec = workdir.path().join("chain-spec.json");
        write_spec_with_genesis_time(&config.chain_spec, &spec)?;
        let log_path = workdir.path().join("chopsticks.log");

        let mut command = Command::new(&config.chopsticks);
        #[cfg(target_os = "linux")]
        // SAFETY: the closure runs in the forked child before exec and only calls prctl, which is
        // async-signal-safe; it makes the kernel stop the node if this process dies, even by
        // SIGKILL, so no orphaned node is left holding the port.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command
            .arg("--genesis")
            .arg(&spec)
            .args(["--host", "127.0.0.1", "--port", &config.port.to_string()])
            .args([
                "--allow-unresolved-imports",
                "--build-block-mode",
                "Instant",
            ])
            .args(db_args(config, workdir.path())?)
            .current_dir(workdir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                ChainError::Localnet(format!("cannot run {}: {e}", config.chopsticks.display()))
            })?;

        let (port_tx, port_rx) = tokio::sync::oneshot::channel::<u16>();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let log_file = tokio::fs::File::create(&log_path).await.map_err(|e| {
            ChainError::Localnet(format!("cannot write {}: {e}", log_path.display()))
        })?;
        tokio::spawn(pump_logs(stdout, stderr, log_file, port_tx));

        let port = match tokio::time::timeout(config.ready_timeout, port_rx).await {
            Ok(Ok(port)) => port,
            _ => {
                let _ = child.kill().await;
                return Err(ChainError::Localnet(format!(
                    "chopsticks did not start listening within {} s; its log: {}",
                    config.ready_timeout.as_secs(),
                    tail(&log_path)
                )));
            }
        };
        let node = Self {
            child,
            port,
            _workdir: workdir,
            log_path,
        };
        node.wait_for_block_one(config.ready_timeout).await?;
        Ok(node)
    }

    async fn wait_for_block_one(&self, limit: Duration) -> Result<(), ChainError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(chain) = Chain::connect(&self.endpoint(), Duration::from_secs(10)).await {
                if chain.best_number().await.unwrap_or(0) >= 1 {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ChainError::Localnet(format!(
                    "the node serves RPC but built no block #1 within {} s; its log: {}",
                    limit.as_secs(),
                    tail(&self.log_path)
                )));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Starts a node with the defaults of the checkout that holds `start` (see
    /// [`LocalnetConfig::for_repo`]) and connects to it.
    pub async fn start_in_repo(start: &Path) -> Result<(Self, Chain), ChainError> {
        let repo = LocalnetConfig::find_repo(start).ok_or_else(|| {
            ChainError::Localnet(format!(
                "no checkout with package.json and node_modules above {}: run npm ci",
                start.display()
            ))
        })?;
        let node = Self::start(&LocalnetConfig::for_repo(&repo)).await?;
        let chain = Chain::connect(&node.endpoint(), Duration::from_secs(30)).await?;
        Ok((node, chain))
    }

    /// The websocket URL.
    pub fn endpoint(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The node's log file (kept while the guard lives).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Stops the node and waits for it to exit.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// `Timestamp.Now`'s storage key (twox128("Timestamp") ++ twox128("Now")).
const TIMESTAMP_NOW_KEY: &str =
    "0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb";

/// Reads the raw chain spec at `spec` (gunzipping a `.gz`), and checks a vendored one against
/// its recorded sha256 (a spec of another name is used as it is).
pub fn read_spec(spec: &Path) -> Result<String, ChainError> {
    let bad = |what: String| ChainError::Localnet(format!("{}: {what}", spec.display()));
    let raw = std::fs::read(spec).map_err(|e| bad(format!("cannot read: {e}")))?;
    let text = if spec.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| bad(format!("not a gzipped text file: {e}")))?;
        text
    } else {
        String::from_utf8(raw).map_err(|e| bad(format!("not UTF-8: {e}")))?
    };
    let name = spec.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some(known) = VENDORED_SPECS.iter().find(|s| s.file == name) {
        use sha2::Digest;
        let found = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        if found != known.sha256 {
            return Err(bad(format!(
                "sha256 of the JSON is {found}, but spec {} ({}) was recorded as {}: the file is damaged or was replaced; restore it with git checkout",
                known.spec_version, known.provenance, known.sha256
            )));
        }
    }
    Ok(text)
}

/// Copies the raw chain spec at `spec` to `out` (plain JSON) with a fixed genesis `Timestamp.Now`.
fn write_spec_with_genesis_time(spec: &Path, out: &Path) -> Result<(), ChainError> {
    let bad = |what: String| ChainError::Localnet(format!("{}: {what}", spec.display()));
    let text = read_spec(spec)?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let top = value
        .pointer_mut("/genesis/raw/top")
        .and_then(|t| t.as_object_mut())
        .ok_or_else(|| bad("not a raw chain spec (no genesis.raw.top)".into()))?;
    top.insert(
        TIMESTAMP_NOW_KEY.into(),
        serde_json::Value::String(format!(
            "0x{}",
            hex::encode(GENESIS_TIMESTAMP_MS.to_le_bytes())
        )),
    );
    std::fs::write(out, value.to_string())
        .map_err(|e| ChainError::Localnet(format!("cannot write {}: {e}", out.display())))
}

/// Copies the node's output to its log file and reports the RPC port once it is printed.
async fn pump_logs(
    stdout: Option<tokio::process::ChildStdout>,
    stderr: Option<tokio::process::ChildStderr>,
    mut log: tokio::fs::File,
    port_tx: tokio::sync::oneshot::Sender<u16>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    if let Some(out) = stdout {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    if let Some(err) = stderr {
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    let mut port_tx = Some(port_tx);
    while let Some(line) = rx.recv().await {
        let _ = log.write_all(line.as_bytes()).await;
        let _ = log.write_all(b"\n").await;
        if let Some(port) = listening_port(&line) {
            if let Some(tx) = port_tx.take() {
                let _ = tx.send(port);
            }
        }
    }
    let _ = log.flush().await;
}

/// The port in chopsticks' `RPC listening on http://127.0.0.1:PORT and ws://…` line.
fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("RPC listening on ")?..];
    let ws = &rest[rest.find("ws://")?..];
    let after_colon = &ws[ws.rfind(':')? + 1..];
    let digits: String = after_colon
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The last lines of a log, for error messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// `--db FILE` (after copying `start_from` there, see [`LocalnetConfig::start_from`]); when the
/// file holds a chain, also a config file (written into `workdir`) that says `resume: true`:
/// the command line would pass "true" as a string, which chopsticks' schema refuses.
fn db_args(config: &LocalnetConfig, workdir: &Path) -> Result<Vec<std::ffi::OsString>, ChainError> {
    let holds_chain = |db: &Path| std::fs::metadata(db).is_ok_and(|m| m.len() > 0);
    let db = match (&config.db, &config.start_from) {
        (None, None) => return Ok(Vec::new()),
        (Some(db), _) if holds_chain(db) => db.clone(),
        (db, Some(saved)) => {
            let db = db.clone().unwrap_or_else(|| workdir.join("chain.sqlite"));
            copy_database(saved, &db)?;
            db
        }
        (Some(db), None) => db.clone(),
    };
    let mut args = vec!["--db".into(), db.as_os_str().to_owned()];
    if holds_chain(&db) {
        let config = workdir.join("resume.json");
        std::fs::write(&config, r#"{"resume": true}"#)
            .map_err(|e| ChainError::Localnet(format!("cannot write {}: {e}", config.display())))?;
        args.extend(["--config".into(), config.into_os_string()]);
    }
    Ok(args)
}

/// Copies the chopsticks database `from` to `to`, with its write-ahead log: SQLite keeps the
/// newest blocks in `<file>-wal` until a checkpoint, and reads them back from there on open.
pub fn copy_database(from: &Path, to: &Path) -> Result<(), ChainError> {
    let with_suffix = |p: &Path, suffix: &str| {
        let mut name = p.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    for suffix in ["", "-wal", "-shm"] {
        let (src, dst) = (with_suffix(from, suffix), with_suffix(to, suffix));
        match std::fs::copy(&src, &dst) {
            Ok(_) => {}
            Err(e) if !suffix.is_empty() && e.kind() == std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&dst);
            }
            Err(e) => {
                return Err(ChainError::Localnet(format!(
                    "cannot copy the saved chain {} to {}: {e}",
                    src.display(),
                    dst.display()
                )))
            }
        }
    }
    Ok(())
}

/// Builds one block now (chopsticks' `dev_newBlock`): a local chain only builds blocks when
/// a transaction arrives or when asked.
pub async fn new_block(chain: &Chain) -> Result<(), ChainError> {
    new_blocks(chain, 1).await
}

/// Writes storage directly (chopsticks' `dev_setStorage`), e.g.
/// `{"SubtensorModule": {"MaxWeightsLimit": [[[2], 20000]]}}`: for what no extrinsic can set
/// on today's runtime, such as drand pulses on a chain without an offchain worker.
pub async fn set_storage(chain: &Chain, values: serde_json::Value) -> Result<(), ChainError> {
    let _: serde_json::Value = chain
        .request("dev_setStorage", subxt_rpcs::rpc_params![values])
        .await?;
    Ok(())
}

/// Builds `count` blocks now, in one request.
pub async fn new_blocks(chain: &Chain, count: u32) -> Result<(), ChainError> {
    let _: serde_json::Value = chain
        .request(
            "dev_newBlock",
            subxt_rpcs::rpc_params![serde_json::json!({ "count": count })],
        )
        .await?;
    Ok(())
}

/// Builds blocks until subnet `netuid` has run `epochs` more epochs (its last-epoch block
/// moved that many times), at most `epochs × (tempo + 2)` blocks; returns the epoch blocks.
pub async fn run_epochs(chain: &Chain, netuid: u16, epochs: usize) -> Result<Vec<u64>, ChainError> {
    let mut seen = Vec::new();
    let mut last = crate::metagraph::sync(chain, netuid, None).await?;
    let limit = epochs * (usize::from(last.hyperparams.tempo) + 2);
    for _ in 0..limit {
        if seen.len() >= epochs {
            break;
        }
        new_block(chain).await?;
        let now = crate::metagraph::sync(chain, netuid, None).await?;
        if now.schedule.last_epoch_block != last.schedule.last_epoch_block {
            seen.push(now.schedule.last_epoch_block);
        }
        last = now;
    }
    if seen.len() < epochs {
        return Err(ChainError::Localnet(format!(
            "subnet {netuid} ran {} of {epochs} epochs in {limit} blocks",
            seen.len()
        )));
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_the_listening_line() {
        let line = "[06:38:10.897] INFO: bittensor RPC listening on http://127.0.0.1:35937 and ws://127.0.0.1:35937";
        assert_eq!(listening_port(line), Some(35937));
        assert_eq!(
            listening_port("RPC listening on http://[::]:9944 and ws://[::]:9944"),
            Some(9944)
        );
        assert_eq!(listening_port("new head #1"), None);
    }

    #[test]
    fn vendored_specs_load_and_match_their_checksums() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for spec in VENDORED_SPECS {
            let text = read_spec(&spec.path(&repo)).expect("a vendored spec loads");
            assert!(
                text.contains("\"raw\""),
                "spec {} is a raw spec",
                spec.spec_version
            );
        }
        assert_eq!(VendoredSpec::by_name("425"), Some(&VENDORED_SPECS[0]));
        assert_eq!(
            VendoredSpec::by_name("spec385").map(|s| s.spec_version),
            Some(385)
        );
        assert_eq!(VendoredSpec::by_name("218"), None);
        assert_eq!(
            LocalnetConfig::spec_path(&repo, "/x/y.json"),
            PathBuf::from("/x/y.json")
        );
    }

    #[test]
    fn a_damaged_vendored_spec_is_refused() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VENDORED_SPECS[0].file);
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(br#"{"genesis":{"raw":{"top":{}}}}"#).unwrap();
        gz.finish().unwrap();
        let err = read_spec(&path).unwrap_err().to_string();
        assert!(
            err.contains("sha256") && err.contains("git checkout"),
            "{err}"
        );
        std::fs::write(&path, b"not gzip").unwrap();
        assert!(read_spec(&path)
            .unwrap_err()
            .to_string()
            .contains("gzipped"));
    }

    #[test]
    fn the_spec_copy_adds_the_genesis_time() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec.json");
        std::fs::write(
            &spec,
            r#"{"name":"x","genesis":{"raw":{"top":{"0x3a636f6465":"0x00"}}}}"#,
        )
        .unwrap();
        let out = dir.path().join("out.json");
        write_spec_with_genesis_time(&spec, &out).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
        assert_eq!(
            v["genesis"]["raw"]["top"][TIMESTAMP_NOW_KEY],
            "0x007c291f94010000"
        );
        assert_eq!(v["genesis"]["raw"]["top"]["0x3a636f6465"], "0x00");
        std::fs::write(&spec, r#"{"genesis":{}}"#).unwrap();
        assert!(write_spec_with_genesis_time(&spec, &dir.path().join("t.json")).is_err());
    }
}
