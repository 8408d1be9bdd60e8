//! Times our dendrite's forward pass, for `scripts/bench-dendrite-vs-sdk.sh`:
//! `forward_bench AXON_HOTKEY PORT_BASE COUNT ROUNDS` queries COUNT axons on 127.0.0.1 ports
//! PORT_BASE.. ROUNDS times and prints wall times, requests per CPU-second and peak RSS as JSON.

use std::time::{Duration, Instant};

use bt_subnet_tweets::protocol::RecentTweetsSynapse;
use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use subxt_signer::sr25519::Keypair;

/// User + system CPU seconds of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in kB (VmHWM).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: forward_bench AXON_HOTKEY PORT_BASE COUNT ROUNDS";
    let hotkey = args.get(1).ok_or(usage)?.clone();
    let base: u16 = args.get(2).ok_or(usage)?.parse()?;
    let count: u16 = args.get(3).ok_or(usage)?.parse()?;
    let rounds: usize = args.get(4).ok_or(usage)?.parse()?;
    let targets: Vec<AxonTarget> = (0..count)
        .map(|i| AxonTarget {
            uid: i,
            ip: "127.0.0.1".into(),
            port: base + i,
            hotkey: hotkey.clone(),
        })
        .collect();
    let dendrite = Dendrite::new(
        Keypair::from_secret_key([42; 32])?,
        DendriteConfig {
            timeout: Duration::from_secs(12),
            ..DendriteConfig::default()
        },
    )?;
    let query = RecentTweetsSynapse {
        query: "\"bitcoin\"".into(),
        count: Some(5),
        response: None,
    };
    let warm = dendrite.forward(&targets, &query).await;
    let warm_ok = warm.iter().filter(|r| r.is_success()).count();
    let cpu0 = cpu_seconds();
    let mut walls = Vec::with_capacity(rounds);
    let mut ok = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let replies = dendrite.forward(&targets, &query).await;
        walls.push(start.elapsed().as_secs_f64() * 1e3);
        ok += replies.iter().filter(|r| r.is_success()).count();
    }
    let cpu = cpu_seconds() - cpu0;
    walls.sort_by(f64::total_cmp);
    let requests = rounds * targets.len();
    println!(
        "{}",
        serde_json::json!({
            "n": targets.len(), "rounds": rounds, "warm_ok": warm_ok, "ok": ok, "requests": requests,
            "median_wall_ms": walls[walls.len() / 2], "max_wall_ms": walls[walls.len() - 1],
            "cpu_s": cpu, "req_per_cpu_s": requests as f64 / cpu.max(1e-9), "peak_rss_kb": peak_rss_kb(),
        })
    );
    Ok(())
}
