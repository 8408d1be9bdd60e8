//! The local chain and the project's binaries, for the end-to-end tests: `validator localnet`
//! started and its subnet read, miners, validator runs, a block producer, state and metagraph
//! reads. Every process is killed when its [`Proc`] drops.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed on drop.
pub struct Proc(pub Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn bin(name: &str) -> Command {
    let path = match name {
        "miner" => env!("CARGO_BIN_EXE_miner"),
        _ => env!("CARGO_BIN_EXE_validator"),
    };
    let mut c = Command::new(path);
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BT_WALLET_PASSWORD");
    c
}

pub fn state(dir: &Path) -> serde_json::Value {
    let out = bin("validator")
        .args(["state", "inspect", "--json", "--state.dir"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// `validator metagraph --json` of the subnet (mechanism 0), as JSON.
pub fn metagraph(endpoint: &str, netuid: &str) -> serde_json::Value {
    metagraph_of(endpoint, netuid, 0)
}

/// The row of W of `uid` in a `validator metagraph --json` output, as `(uid, u16)`.
pub fn weight_row(mg: &serde_json::Value, uid: usize) -> Vec<(u64, u64)> {
    mg["neurons"][uid]["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
        .collect()
}

/// `validator metagraph --json --mechid <mechid>` of the subnet, as JSON.
pub fn metagraph_of(endpoint: &str, netuid: &str, mechid: u8) -> serde_json::Value {
    let out = bin("validator")
        .args([
            "metagraph",
            "--json",
            "--subtensor.chain_endpoint",
            endpoint,
            "--netuid",
            netuid,
            "--mechid",
            &mechid.to_string(),
        ])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `validator run` on subnet `netuid` at `endpoint` as wallet `validator-<i>` (hotkey
/// `default`) under `wallets`, with its state in `state_dir`; callers add the neuron flags.
pub fn validator_command(
    endpoint: &str,
    netuid: &str,
    wallets: &Path,
    i: usize,
    state_dir: &Path,
) -> Command {
    let mut c = bin("validator");
    c.args([
        "run",
        "--subtensor.chain_endpoint",
        endpoint,
        "--netuid",
        netuid,
        "--wallet.path",
    ])
    .arg(wallets)
    .args([
        "--wallet.name",
        &format!("validator-{i}"),
        "--wallet.hotkey",
        "default",
        "--state.dir",
    ])
    .arg(state_dir);
    c
}

/// [`validator_command`] for `rounds` quick rounds over 6 miners, its log kept beside its state.
pub fn validator_run(
    endpoint: &str,
    netuid: &str,
    wallets: &Path,
    i: usize,
    state_dir: &Path,
    rounds: u64,
) -> Command {
    let mut c = validator_command(endpoint, netuid, wallets, i, state_dir);
    c.args([
        "--neuron.timeout",
        "1.5",
        "--neuron.round_interval",
        "0.1",
        "--neuron.sample_size",
        "6",
    ])
    .args(["--neuron.max_rounds", &rounds.to_string()])
    .stdout(Stdio::null());
    // Each run's log is kept beside its state, for a failing assertion to show.
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir.with_extension("log"))
    {
        Ok(f) => c.stderr(f),
        Err(_) => c.stderr(Stdio::null()),
    };
    c
}

/// Starts `validator localnet` with `extra` flags and wallets in `wallets`; returns the node and
/// the subnet it printed.
pub fn start_localnet(wallets: &Path, port_base: u16, extra: &[&str]) -> (Proc, serde_json::Value) {
    let port: &[&str] = if extra.contains(&"--port") {
        &[]
    } else {
        &["--port", "0"]
    };
    // The node's own messages go to a file beside the wallets, for a failure to show.
    let log_path = wallets.with_extension(format!(
        "localnet-{}.log",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    ));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut node = bin("validator")
        .args(["localnet", "--miner-port-base", &port_base.to_string()])
        .args(port)
        .arg("--wallets")
        .arg(wallets)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let tail = || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    let mut out = BufReader::new(node.stdout.take().unwrap());
    let mut json = String::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(300) {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("localnet exited:\n{}", tail());
        }
        json.push_str(&line);
        if line.starts_with('}') {
            break;
        }
    }
    let subnet = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("the subnet JSON ({e}): {json}\nits log:\n{}", tail()));
    (Proc(node), subnet)
}

/// Starts `miner-<i>` from `wallets` on 127.0.0.(2+i):port_base+i with `flags`, its blacklist
/// fed by the subnet's metagraph, and returns once it accepts connections (it reads the
/// metagraph first).
pub fn spawn_miner(
    wallets: &Path,
    i: usize,
    port_base: u16,
    endpoint: &str,
    netuid: &str,
    flags: &[&str],
) -> Proc {
    let ip = format!("127.0.0.{}", 2 + i);
    let port = port_base + i as u16;
    let mut miner = Proc(
        bin("miner")
            .arg("--wallet.path")
            .arg(wallets)
            .args([
                "--wallet.name",
                &format!("miner-{i}"),
                "--wallet.hotkey",
                "default",
            ])
            .args(["--axon.ip", &ip, "--axon.port", &port.to_string()])
            .args([
                "--subtensor.chain_endpoint",
                endpoint,
                "--netuid",
                netuid,
                "--corpus-size",
                "5000",
            ])
            .args(flags)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr: std::net::SocketAddr = format!("{ip}:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
        if let Some(status) = miner.0.try_wait().unwrap() {
            panic!("miner {i} exited with {status} before serving {addr}");
        }
        assert!(Instant::now() < deadline, "miner {i} does not serve {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
    miner
}

/// Builds a block every `every` on the chopsticks node (which otherwise builds blocks only for
/// transactions), as a live chain would every 12 s, until the returned flag is set.
pub fn block_producer(
    endpoint: &str,
    every: Duration,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = endpoint.replace("ws://", "http://");
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::new();
            let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "dev_newBlock", "params": [{"count": 1}]});
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = client.post(&url).json(&body).send().await;
                tokio::time::sleep(every).await;
            }
        });
    });
    (stop, handle)
}

/// `GET path` on 127.0.0.1:`port` (HTTP/1.0): the whole response, headers included.
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut body = String::new();
    stream.read_to_string(&mut body)?;
    Ok(body)
}

/// Waits until the state in `dir` satisfies `done`, or panics with it after `limit`.
pub fn wait_for_state(
    dir: &Path,
    limit: Duration,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let s = state(dir);
        if done(&s) {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "no such state within {limit:?}: {s}\n{}",
            std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the log of the run in `dir` holds `needle` `count` times.
pub fn wait_for_log(dir: &Path, needle: &str, count: usize, limit: Duration) {
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
        if log.matches(needle).count() >= count {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "no {needle:?} within {limit:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Validator `i`'s hotkey, from its wallet under `wallets`.
pub fn validator_hotkey(wallets: &Path, i: usize) -> subxt_signer::sr25519::Keypair {
    let paths = bt_wire::wallet::WalletPaths {
        path: wallets.to_path_buf(),
        name: format!("validator-{i}"),
        hotkey: "default".into(),
    };
    bt_wire::wallet::load_hotkey(&paths, &bt_wire::wallet::Password::default())
        .expect("the validator's hotkey")
}

/// Runs `f` with a connection to the node at `endpoint`, on a runtime of its own (for tests
/// that drive processes from a plain thread).
pub fn with_chain<T, F, Fut>(endpoint: &str, f: F) -> T
where
    F: FnOnce(bt_chain::Chain) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let endpoint = endpoint.to_string();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            let chain = bt_chain::Chain::connect(&endpoint, Duration::from_secs(30))
                .await
                .unwrap();
            f(chain).await
        })
}
