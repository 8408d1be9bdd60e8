//! Hostile miners through the real loop: a subnet of 100 registered miners whose axons (on
//! 127.0.0.2–101) answer every request with something hostile, rotating per connection:
//! garbage JSON, valid JSON of the wrong types, a body over the response cap, slowloris (a
//! status line, then a byte every 250 ms), a connection reset, 500, 503, and a well-formed
//! answer that names another hotkey than the miner's. `validator run` queries all of them for
//! 101 rounds: ≥ 10,000 responses.
//!
//! Checked: the validator never crashes (it ends its rounds and exits 0); every response is
//! counted in `validator_responses` by status; no miner earns a score (so no weights are set);
//! the peak RSS stays bounded. The figures are printed for RELIABILITY.md.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod common;
use common::localnet::*;

const MINERS: usize = 100;
const ROUNDS: u64 = 101;
/// The validator's response cap (its default).
const CAP: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
enum Hostility {
    Garbage,
    WrongTypes,
    Oversized,
    Slowloris,
    Reset,
    Status(u16),
    OtherHotkey,
}

const MODES: [Hostility; 8] = [
    Hostility::Garbage,
    Hostility::WrongTypes,
    Hostility::Oversized,
    Hostility::Slowloris,
    Hostility::Reset,
    Hostility::Status(500),
    Hostility::Status(503),
    Hostility::OtherHotkey,
];

/// Reads one HTTP request (headers and a Content-Length body, at most 1 MiB).
async fn read_request(sock: &mut TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    while buf.len() < header_end + length {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(())
}

async fn respond(sock: &mut TcpStream, status: u16, body: &[u8], extra: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body).await;
    let _ = sock.shutdown().await;
}

async fn serve(mut sock: TcpStream, mode: Hostility) {
    if let Hostility::Reset = mode {
        // SO_LINGER 0: closing sends RST. (Deprecated because a non-zero linger blocks on
        // drop; zero does not.)
        #[allow(deprecated)]
        let _ = sock.set_linger(Some(Duration::ZERO));
        return;
    }
    if read_request(&mut sock).await.is_none() {
        return;
    }
    match mode {
        Hostility::Garbage => respond(&mut sock, 200, b"{\"tweets\": [1, 2,, nope", "").await,
        Hostility::WrongTypes => {
            let body = serde_json::json!({
                "name": 7, "timeout": "soon", "query": {"a": 1}, "count": "ten",
                "tweets": "none", "axon": [], "dendrite": 5
            });
            respond(&mut sock, 200, body.to_string().as_bytes(), "").await
        }
        Hostility::Oversized => {
            // No Content-Length: the body streams until the connection closes.
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[")
                .await;
            let block = vec![b'7'; 64 * 1024];
            let mut sent = 0;
            while sent <= CAP + block.len() {
                if sock.write_all(&block).await.is_err() {
                    return;
                }
                sent += block.len();
            }
        }
        Hostility::Slowloris => {
            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\n").await;
            for _ in 0..80 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if sock.write_all(b"x").await.is_err() {
                    return;
                }
            }
        }
        Hostility::Status(code) => {
            respond(&mut sock, code, br#"{"message": "boom"}"#, "").await;
        }
        Hostility::OtherHotkey => {
            // A well-formed answer, claimed for a key that is not the miner's.
            let body = serde_json::json!({
                "name": "RecentTweetsSynapse", "timeout": 1.0, "query": "bittensor", "count": 1,
                "response": [{"Tweet": {"ID": "1861111111111111111", "Text": "bittensor", "Timestamp": 1764000000}}],
                "axon": {"hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "status_code": 200},
            });
            respond(
                &mut sock,
                200,
                body.to_string().as_bytes(),
                "bt_header_axon_hotkey: 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\r\n",
            )
            .await;
        }
        Hostility::Reset => {}
    }
}

/// A hostile axon on `ip:port`; connection k gets `MODES[(k + offset) % len]`.
async fn hostile_axon(ip: String, port: u16, offset: usize, served: Arc<AtomicUsize>) {
    let listener = TcpListener::bind((ip.as_str(), port))
        .await
        .expect("bind a hostile axon");
    let mut k = offset;
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            continue;
        };
        let mode = MODES[k % MODES.len()];
        k += 1;
        served.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(serve(sock, mode));
    }
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn metric_sum(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn ten_thousand_hostile_responses_score_zero_and_crash_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let port_base = common::free_port().saturating_sub(200).max(20000);
    let (_node, subnet) = start_localnet(
        &wallets,
        port_base,
        &[
            "--miners",
            &MINERS.to_string(),
            "--validator-stakes",
            "1000",
            "--commit-reveal",
            "off",
        ],
    );
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].to_string();

    let served = Arc::new(AtomicUsize::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for i in 0..MINERS {
        rt.spawn(hostile_axon(
            format!("127.0.0.{}", 2 + i),
            port_base + i as u16,
            i,
            served.clone(),
        ));
    }

    let metrics_port = common::free_port();
    let state_dir = tmp.path().join("state");
    let started = Instant::now();
    let mut child = validator_command(&endpoint, &netuid, &wallets, 0, &state_dir)
        .args([
            "--neuron.sample_size",
            &MINERS.to_string(),
            "--neuron.timeout",
            "0.5",
            "--neuron.round_interval",
            "0",
            "--neuron.max_rounds",
            &ROUNDS.to_string(),
            "--metrics.port",
            &metrics_port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Sample the peak RSS and the metrics while it runs (the process exits after its rounds).
    let mut peak_kb = 0;
    let mut rss_at_round_25 = None;
    let mut last_metrics = String::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak_kb = peak_kb.max(peak_rss_kb(pid).unwrap_or(0));
        if let Ok(text) = http_get(metrics_port, "/metrics") {
            let round = metric_sum(&text, "validator_rounds_total")
                .first()
                .map(|(_, v)| *v)
                .unwrap_or(0.0);
            if round >= 25.0 && rss_at_round_25.is_none() {
                rss_at_round_25 = peak_rss_kb(pid);
            }
            last_metrics = text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "the validator did not finish its rounds"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let elapsed = started.elapsed();
    assert!(status.success(), "the validator exited with {status}");

    let responses = metric_sum(&last_metrics, "validator_responses_total");
    let total: f64 = responses.iter().map(|(_, v)| v).sum();
    let rounds = metric_sum(&last_metrics, "validator_rounds_total")
        .first()
        .map(|(_, v)| *v)
        .unwrap_or(0.0);
    // The last scrape may predate the last round or two; the state file has the final step.
    let state = state(&state_dir);
    let step = state["state"]["step"].as_u64().unwrap_or(0);
    assert_eq!(step, ROUNDS, "all rounds completed");
    assert!(
        total >= (MINERS as f64) * (rounds - 1.0).max(0.0),
        "every response counted: {total} for {rounds} rounds"
    );
    assert!(
        total >= 10_000.0 - 2.0 * MINERS as f64,
        "≥ 10,000 responses (the last scrape can miss the final rounds): {total}"
    );
    assert!(
        responses.iter().all(|(k, _)| !k.contains("status=\"200\"")),
        "no hostile answer passes as a 200: {responses:?}"
    );
    for status in ["401", "408", "422", "500", "503"] {
        assert!(
            responses
                .iter()
                .any(|(k, v)| k.contains(&format!("status=\"{status}\"")) && *v > 0.0),
            "some responses end as {status}: {responses:?}"
        );
    }
    let scores = state["state"]["scores"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        scores.iter().all(|s| s.as_f64() == Some(0.0)),
        "every hostile miner scores 0: {scores:?}"
    );
    let weights = metric_sum(&last_metrics, "validator_weights_total");
    assert!(
        weights.iter().all(|(_, v)| *v == 0.0),
        "no weights for hostile miners: {weights:?}"
    );
    assert!(peak_kb > 0 && peak_kb < 200 * 1024, "peak RSS {peak_kb} kB");

    println!(
        "HOSTILE {}",
        serde_json::json!({
            "rounds": step,
            "responses_counted_at_last_scrape": total,
            "connections_served": served.load(Ordering::Relaxed),
            "by_status": responses,
            "peak_rss_mb": peak_kb as f64 / 1024.0,
            "peak_rss_mb_at_round_25": rss_at_round_25.map(|kb| kb as f64 / 1024.0),
            "seconds": elapsed.as_secs_f64(),
        })
    );
    rt.shutdown_background();
}
