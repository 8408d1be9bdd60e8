//! A real miner process (`miner --wire synapse,btauth`, a cap of 512 connections, a 2 s header
//! deadline) under 2,000 hostile connections — 1,000 idle, 1,000 sending a header byte a second,
//! each coming back 200 ms after the miner closes it — plus 2,000 unsigned 1 MiB posts, half to
//! each protocol's route, 200 at a time, while an honest validator queries it every 250 ms.
//!
//! Checked:
//! - every honest query is answered (200) within the dendrite's 12 s timeout;
//! - every unsigned post is refused (401) without its body being read (or closed);
//! - the miner's open file descriptors never exceed the cap plus its own few (64);
//! - its resident memory stays under 256 MiB (bodies are never buffered: 2,000 MiB was sent);
//! - the idle and slow connections are closed by the deadline, and once the flood stops the
//!   descriptors fall back to where they were and an honest query is answered at once.
//!
//! The figures are printed for RELIABILITY.md (`cargo bench --bench hostile_connections`
//! prints the honest latency under the flood against the same miner at rest).

use std::time::Duration;

mod common;
use common::flood::{honest_dendrite, honest_query, run, Flood, MinerProcess};

const CAP: u64 = 512;
const OWN_FDS: u64 = 64;
const RSS_BOUND_KIB: u64 = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_miner_serves_an_honest_validator_through_a_connection_flood() {
    let _ = rlimit::increase_nofile_limit(16_384);
    let miner = MinerProcess::start(CAP as usize, &[]);
    let d = honest_dendrite();
    let (status, _, _) = honest_query(&d, &miner.target).await;
    assert_eq!(status, 200, "the miner answers at rest");

    let flood = Flood {
        idle: 1000,
        slow: 1000,
        posts: 2000,
        post_bytes: 1 << 20,
        post_concurrency: 200,
        hold: Duration::from_secs(15),
    };
    let out = run(&miner, flood, Duration::from_millis(250)).await;
    let latencies: Vec<f64> = out.honest.iter().map(|(_, t, _)| t.as_secs_f64()).collect();
    let worst = latencies.iter().cloned().fold(0.0, f64::max);
    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    println!(
        "hostile connections: {} honest queries, median {:.3} s, worst {:.3} s; miner RSS {} → peak {} KiB, fds {} → peak {} (cap {CAP}); {} attacker connections closed by the miner; posts {} {:?}",
        out.honest.len(),
        median,
        worst,
        out.base_rss_kib,
        out.peak_rss_kib,
        out.base_fds,
        out.peak_fds,
        out.closed_by_miner,
        out.posts_done,
        out.post_statuses
    );
    assert!(out.honest.len() >= 10, "the honest validator kept querying");
    for (i, (status, took, message)) in out.honest.iter().enumerate() {
        assert_eq!(
            *status, 200,
            "honest query {i} got {status} after {took:?}: {message}"
        );
        assert!(
            *took < Duration::from_secs(12),
            "honest query {i} took {took:?}"
        );
    }
    assert_eq!(out.posts_done, 2000);
    let refused = out.post_statuses.get(&401).copied().unwrap_or(0)
        + out.post_statuses.get(&0).copied().unwrap_or(0);
    assert_eq!(
        refused, 2000,
        "unsigned posts are refused or closed, never served: {:?}",
        out.post_statuses
    );
    assert!(
        out.post_statuses.get(&401).copied().unwrap_or(0) > 0,
        "refused with 401: {:?}",
        out.post_statuses
    );
    assert!(
        out.peak_fds <= CAP + OWN_FDS,
        "open descriptors {} over the cap {CAP} + {OWN_FDS}",
        out.peak_fds
    );
    assert!(
        out.peak_rss_kib < RSS_BOUND_KIB,
        "RSS {} KiB over {RSS_BOUND_KIB} KiB",
        out.peak_rss_kib
    );
    assert!(
        out.closed_by_miner >= 1000,
        "the deadline closes idle and slow connections: {}",
        out.closed_by_miner
    );

    // Recovered: the descriptors fall back within the header deadline, and an honest query
    // is answered at once.
    let start = std::time::Instant::now();
    while miner.open_fds() > out.base_fds + 8 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "descriptors stay at {} (baseline {})",
            miner.open_fds(),
            out.base_fds
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, took, message) = honest_query(&d, &miner.target).await;
    assert_eq!(status, 200, "{message}");
    assert!(took < Duration::from_secs(2), "answered at once: {took:?}");
}
