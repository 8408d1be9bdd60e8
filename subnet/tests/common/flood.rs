//! A hostile-connection flood against a real miner process, shared by the test
//! (`hostile_connections`) and the benchmark of the same name: idle connections that send
//! nothing, slow ones that send a header byte a second (slowloris), and unsigned 1 MiB posts
//! to both protocols' routes, while an honest validator (our dendrite) keeps querying. The
//! miner's resident memory and open file descriptors are sampled from `/proc` throughout.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use bt_wire::Protocol;
use subxt_signer::sr25519::Keypair;
use tokio::io::AsyncWriteExt;

use super::RecentTweetsSynapse;

/// A miner process on 127.0.0.1, serving Synapse and btauth on one port, admitting everyone.
pub struct MinerProcess {
    pub child: Child,
    pub target: AxonTarget,
    _wallets: tempfile::TempDir,
}

impl Drop for MinerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MinerProcess {
    /// Starts the miner with a connection cap of `cap`, a 2 s header deadline and `extra`
    /// flags, and waits for its port.
    pub fn start(cap: usize, extra: &[&str]) -> Self {
        let wallets = tempfile::tempdir().unwrap();
        let hotkey = super::create_miner_wallet(wallets.path());
        let port = super::free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_miner"))
            .args(["--wallet.name", "m", "--wallet.hotkey", "h"])
            .arg("--wallet.path")
            .arg(wallets.path())
            .args(["--axon.ip", "127.0.0.1", "--blacklist.allow_non_registered"])
            .args(["--wire", "synapse,btauth", "--corpus-size", "2000"])
            .args(["--axon.port", &port.to_string()])
            .args(["--axon.max_connections", &cap.to_string()])
            .args(["--axon.header_timeout", "2"])
            .args(extra)
            .stderr(Stdio::null())
            .spawn()
            .expect("the miner starts");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the miner listens"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        MinerProcess {
            child,
            target: AxonTarget {
                uid: 0,
                ip: "127.0.0.1".into(),
                port,
                hotkey,
            },
            _wallets: wallets,
        }
    }

    /// Resident memory, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Open file descriptors.
    pub fn open_fds(&self) -> u64 {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count() as u64)
            .unwrap_or(0)
    }
}

/// The flood's size.
#[derive(Debug, Clone, Copy)]
pub struct Flood {
    /// Connections that connect and send nothing.
    pub idle: usize,
    /// Connections that send a request line and then a header byte a second.
    pub slow: usize,
    /// Unsigned posts of `post_bytes`, half to each protocol's route.
    pub posts: usize,
    /// Their size.
    pub post_bytes: usize,
    /// Posts in flight at once.
    pub post_concurrency: usize,
    /// How long the idle and slow connections keep coming back after being closed.
    pub hold: Duration,
}

/// What the flood saw.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Honest queries: status, latency and the dendrite's message of each.
    pub honest: Vec<(u16, Duration, String)>,
    /// Peak resident memory of the miner (KiB) and its baseline before the flood.
    pub peak_rss_kib: u64,
    pub base_rss_kib: u64,
    /// Peak open descriptors, and the baseline.
    pub peak_fds: u64,
    pub base_fds: u64,
    /// Times the idle and slow connections were closed by the miner.
    pub closed_by_miner: u64,
    /// Unsigned posts the miner answered (with any status) or closed.
    pub posts_done: u64,
    /// Statuses the unsigned posts got (401 expected), or 0 when the connection closed first.
    pub post_statuses: std::collections::BTreeMap<u16, u64>,
}

/// An honest validator's dendrite: a fresh key, the SDK's 12 s timeout, over Synapse.
pub fn honest_dendrite() -> Dendrite {
    Dendrite::new(
        Keypair::from_secret_key([7; 32]).unwrap(),
        DendriteConfig {
            timeout: Duration::from_secs(12),
            protocol: Protocol::Synapse,
            ..DendriteConfig::default()
        },
    )
    .unwrap()
}

/// One honest query: the status, how long it took, and the dendrite's message.
pub async fn honest_query(d: &Dendrite, target: &AxonTarget) -> (u16, Duration, String) {
    let start = Instant::now();
    let request = RecentTweetsSynapse {
        query: "bitcoin".into(),
        count: Some(5),
        ..Default::default()
    };
    let r = d.call(target, &request).await;
    (r.status, start.elapsed(), r.message)
}

/// Runs `flood` against `miner` while the honest dendrite queries every `every`; returns
/// when the posts are done and the hold has passed (the idle and slow attackers stop then).
pub async fn run(miner: &MinerProcess, flood: Flood, every: Duration) -> Outcome {
    let addr = format!("127.0.0.1:{}", miner.target.port);
    let stop = Arc::new(AtomicBool::new(false));
    let closed = Arc::new(AtomicU64::new(0));
    let mut out = Outcome {
        base_rss_kib: miner.rss_kib(),
        base_fds: miner.open_fds(),
        ..Outcome::default()
    };
    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..flood.idle + flood.slow {
        let (addr, stop, closed) = (addr.clone(), stop.clone(), closed.clone());
        let slow = i >= flood.idle;
        attackers.spawn(async move { hold_open(&addr, slow, &stop, &closed).await });
    }
    let posts = {
        let addr = addr.clone();
        tokio::spawn(async move { unsigned_posts(&addr, flood).await })
    };
    // The honest validator runs on its own thread and runtime, as it would on its own
    // machine: the attackers' tasks do not delay its requests on this side.
    let honest_done = Arc::new(AtomicBool::new(false));
    let honest = {
        let (target, done) = (miner.target.clone(), honest_done.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                let d = honest_dendrite();
                let mut seen = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    seen.push(honest_query(&d, &target).await);
                    tokio::time::sleep(every).await;
                }
                seen
            })
        })
    };
    let started = Instant::now();
    while started.elapsed() < flood.hold || !posts.is_finished() {
        out.peak_rss_kib = out.peak_rss_kib.max(miner.rss_kib());
        out.peak_fds = out.peak_fds.max(miner.open_fds());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    honest_done.store(true, Ordering::Relaxed);
    out.honest = honest.join().unwrap_or_default();
    stop.store(true, Ordering::Relaxed);
    attackers.abort_all();
    let (done, statuses) = posts.await.unwrap_or_default();
    out.posts_done = done;
    out.post_statuses = statuses;
    out.closed_by_miner = closed.load(Ordering::Relaxed);
    out
}

/// An idle (or slow) connection, made again each time the miner closes it, until `stop`.
async fn hold_open(addr: &str, slow: bool, stop: &AtomicBool, closed: &AtomicU64) {
    use tokio::io::AsyncReadExt;
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        if slow {
            let _ = stream
                .write_all(b"POST /RecentTweetsSynapse HTTP/1.1\r\n")
                .await;
        }
        let mut byte = [0u8; 1];
        loop {
            // A byte a second (slow), or nothing (idle), until the miner closes it.
            let tick = tokio::time::sleep(Duration::from_secs(1));
            tokio::select! {
                r = stream.read(&mut byte) => {
                    if matches!(r, Ok(0) | Err(_)) {
                        closed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
                _ = tick => {
                    if slow && stream.write_all(b"X").await.is_err() {
                        closed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `flood.posts` unsigned posts of `flood.post_bytes`, `post_concurrency` at a time, half to
/// `/RecentTweetsSynapse` (Synapse) and half to `/recent_tweets` (btauth). Returns how many
/// ended and their statuses (0: closed before a status line).
async fn unsigned_posts(addr: &str, flood: Flood) -> (u64, std::collections::BTreeMap<u16, u64>) {
    use futures::StreamExt;
    let body = Arc::new(vec![b'{'; flood.post_bytes]);
    let results: Vec<u16> = futures::stream::iter(0..flood.posts)
        .map(|i| {
            let (addr, body) = (addr.to_string(), body.clone());
            async move {
                let path = if i % 2 == 0 {
                    "/RecentTweetsSynapse"
                } else {
                    "/recent_tweets"
                };
                unsigned_post(&addr, path, &body).await
            }
        })
        .buffer_unordered(flood.post_concurrency.max(1))
        .collect()
        .await;
    let mut statuses = std::collections::BTreeMap::new();
    for s in &results {
        *statuses.entry(*s).or_insert(0) += 1;
    }
    (results.len() as u64, statuses)
}

/// One unsigned post; the status the miner answered, or 0 if it closed first.
async fn unsigned_post(addr: &str, path: &str, body: &[u8]) -> u16 {
    use tokio::io::AsyncReadExt;
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return 0;
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: miner\r\nContent-Type: application/json\r\nContent-Length: {}\r\nname: RecentTweetsSynapse\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    // The body is sent while the answer is awaited: a miner that answers from the headers
    // alone answers before the body is through.
    let (mut reader, mut writer) = stream.into_split();
    let send = async {
        let _ = writer.write_all(body).await;
    };
    let read = async {
        let mut first = [0u8; 12];
        match tokio::time::timeout(Duration::from_secs(30), reader.read_exact(&mut first)).await {
            Ok(Ok(_)) => std::str::from_utf8(&first[9..12])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            _ => 0,
        }
    };
    let ((), status) = tokio::join!(send, read);
    status
}
