//! The miner under a hostile-connection flood, against the same miner at rest: an honest
//! validator's query latency (median and worst) in both, and their ratio; the miner's peak
//! resident memory and open descriptors against its cap. `cargo bench --bench
//! hostile_connections` runs the full flood of the test (`tests/hostile_connections.rs`):
//! 1,000 idle and 1,000 slow connections and 2,000 unsigned 1 MiB posts; run as a test (no
//! `--bench`), a tenth of it, to check that it works.

use std::time::Duration;

#[path = "../tests/common/mod.rs"]
mod common;
use common::flood::{honest_dendrite, honest_query, run, Flood, MinerProcess};

const CAP: usize = 512;

fn median_and_worst(mut seconds: Vec<f64>) -> (f64, f64) {
    seconds.sort_by(f64::total_cmp);
    let median = seconds.get(seconds.len() / 2).copied().unwrap_or(0.0);
    (median, seconds.last().copied().unwrap_or(0.0))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full { 1 } else { 10 };
    let _ = rlimit::increase_nofile_limit(16_384);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let miner = MinerProcess::start(CAP, &[]);
    let queries = if full { 60 } else { 6 };
    let at_rest: Vec<f64> = rt.block_on(async {
        let d = honest_dendrite();
        let mut t = Vec::new();
        for _ in 0..queries {
            let (status, took, message) = honest_query(&d, &miner.target).await;
            assert_eq!(status, 200, "{message}");
            t.push(took.as_secs_f64());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        t
    });
    let flood = Flood {
        idle: 1000 / scale,
        slow: 1000 / scale,
        posts: 2000 / scale,
        post_bytes: 1 << 20,
        post_concurrency: 200 / scale,
        hold: Duration::from_secs(if full { 15 } else { 3 }),
    };
    let out = rt.block_on(run(&miner, flood, Duration::from_millis(250)));
    let answered = out.honest.iter().filter(|(s, _, _)| *s == 200).count();
    let under: Vec<f64> = out.honest.iter().map(|(_, t, _)| t.as_secs_f64()).collect();
    let (rest_median, rest_worst) = median_and_worst(at_rest);
    let (flood_median, flood_worst) = median_and_worst(under);
    println!(
        "honest validator at rest: median {:.1} ms, worst {:.1} ms",
        rest_median * 1e3,
        rest_worst * 1e3
    );
    println!(
        "under {} idle + {} slow connections and {} unsigned {} KiB posts: {answered}/{} answered, median {:.1} ms, worst {:.1} ms (×{:.1} and ×{:.1} the rest figures)",
        flood.idle,
        flood.slow,
        flood.posts,
        flood.post_bytes / 1024,
        out.honest.len(),
        flood_median * 1e3,
        flood_worst * 1e3,
        flood_median / rest_median.max(1e-6),
        flood_worst / rest_worst.max(1e-6)
    );
    println!(
        "miner: RSS {} → peak {} KiB; open descriptors {} → peak {} (cap {CAP}); {} attacker connections closed; post statuses {:?}",
        out.base_rss_kib,
        out.peak_rss_kib,
        out.base_fds,
        out.peak_fds,
        out.closed_by_miner,
        out.post_statuses
    );
    assert_eq!(answered, out.honest.len(), "every honest query answered");
}
