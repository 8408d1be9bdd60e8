//! A local subtensor node: chopsticks executing the real runtime from a chain spec, started on
//! a free loopback port and stopped when its [`Localnet`] guard drops.
//!
//! The genesis in `raonet.json` has no `Timestamp.Now`, so chopsticks reads the wall clock
//! twice for block #1 (Aura slot, timestamp inherent); across a slot boundary block #1 fails.
//! We start from a copy of the spec whose genesis holds a fixed `Timestamp.Now`, which makes
//! block #1 deterministic. (Importing it as storage instead is too late: block #1 is built
//! from the wall clock first, and block #2's slot then goes backwards.)

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::client::Chain;
use crate::error::ChainError;

/// 2025-01-01T00:00:00Z in ms: the genesis time we give the chain.
const GENESIS_TIMESTAMP_MS: u64 = 1_735_689_600_000;

/// Where the node's inputs are.
#[derive(Debug, Clone)]
pub struct LocalnetConfig {
    /// The chopsticks executable (`node_modules/.bin/chopsticks`).
    pub chopsticks: PathBuf,
    /// The raw chain spec (`../shared/chain/raonet.json`).
    pub chain_spec: PathBuf,
    /// The dev-accounts storage file (sudo key and balances).
    pub dev_accounts: PathBuf,
    /// The port (0 = any free one).
    pub port: u16,
    /// How long to wait for the node to be ready.
    pub ready_timeout: Duration,
    /// Keep the chain in this SQLite file (chopsticks `--db`); when the file already holds a
    /// chain, the node resumes from its newest block, so a restarted node keeps its state.
    pub db: Option<PathBuf>,
}

impl LocalnetConfig {
    /// The defaults for a checkout at `repo`: chopsticks from `repo/node_modules`, the chain
    /// spec from `BT_CHAIN_SPEC` or `repo/../shared/chain/raonet.json`.
    pub fn for_repo(repo: &Path) -> Self {
        let shared = repo.join("..").join("shared").join("chain");
        let chain_spec = std::env::var_os("BT_CHAIN_SPEC")
            .map(PathBuf::from)
            .unwrap_or_else(|| shared.join("raonet.json"));
        let dev_accounts = std::env::var_os("BT_DEV_ACCOUNTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| shared.join("dev-accounts.json"));
        Self {
            chopsticks: repo.join("node_modules").join(".bin").join("chopsticks"),
            chain_spec,
            dev_accounts,
            port: 0,
            ready_timeout: Duration::from_secs(120),
            db: None,
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
            ("the chain spec (set BT_CHAIN_SPEC)", &config.chain_spec),
            (
                "the dev accounts file (set BT_DEV_ACCOUNTS)",
                &config.dev_accounts,
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
        let storage = workdir.path().join("storage.json");
        std::fs::copy(&config.dev_accounts, &storage).map_err(|e| {
            ChainError::Localnet(format!(
                "cannot copy {}: {e}",
                config.dev_accounts.display()
            ))
        })?;
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
            .arg("--import-storage")
            .arg(&storage)
            .args(db_args(config.db.as_deref(), workdir.path())?)
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

/// Copies the raw chain spec at `spec` to `out` with a fixed genesis `Timestamp.Now`.
fn write_spec_with_genesis_time(spec: &Path, out: &Path) -> Result<(), ChainError> {
    let bad = |what: String| ChainError::Localnet(format!("{}: {what}", spec.display()));
    let text = std::fs::read_to_string(spec).map_err(|e| bad(format!("cannot read: {e}")))?;
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

/// `--db FILE`; when the file already holds a chain, also a config file (written into
/// `workdir`) that says `resume: true`: the command line would pass "true" as a string, which
/// chopsticks' schema refuses.
fn db_args(db: Option<&Path>, workdir: &Path) -> Result<Vec<std::ffi::OsString>, ChainError> {
    let Some(db) = db else {
        return Ok(Vec::new());
    };
    let mut args = vec!["--db".into(), db.as_os_str().to_owned()];
    if std::fs::metadata(db).is_ok_and(|m| m.len() > 0) {
        let config = workdir.join("resume.json");
        std::fs::write(&config, r#"{"resume": true}"#)
            .map_err(|e| ChainError::Localnet(format!("cannot write {}: {e}", config.display())))?;
        args.extend(["--config".into(), config.into_os_string()]);
    }
    Ok(args)
}

/// Builds one block now (chopsticks' `dev_newBlock`): a local chain only builds blocks when
/// a transaction arrives or when asked.
pub async fn new_block(chain: &Chain) -> Result<(), ChainError> {
    let _: serde_json::Value = chain
        .request(
            "dev_newBlock",
            subxt_rpcs::rpc_params![serde_json::json!({ "count": 1 })],
        )
        .await?;
    Ok(())
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
