//! The connection between a validator and its node is lost between a submission and its
//! inclusion, at each of the three submissions a commit makes, on the real runtime. A proxy
//! between them (see `common::cut`) reads the validator's WebSocket frames and cuts the
//! connection at the chosen `author_submitAndWatchExtrinsic`:
//! 1. a **hash commit** reaches the node and lands, and the connection is cut before the
//!    answer: the validator reports the outcome unknown, finds the commit on chain after it
//!    reconnects, and does not send it again;
//! 2. its **reveal** (every reveal sent, until one lands) reaches the node, the connection cut
//!    each time: the validator sends the same reveal again while the commit is queued, sees
//!    the commit leave the queue once one landed, reads the weights back (a match), and never
//!    reports the landed weights as dropped;
//! 3. a second validator's **timelocked commit** is dropped before it reaches the node, with the connection: the
//!    validator does not find it on chain, sends the same transaction again, sees it land
//!    (on sending it, or in its block on the next look when that answer is lost too), and
//!    the chain reveals it (a match).
//!
//! Each time: what the chain holds (the commit queued once, then gone and the row written),
//! what the validator reports (its log and state), and that nothing landed twice.

use std::time::Duration;

use bt_chain::weights::{find_hash_commit, Target};

mod common;
use common::cut::{self, Cut};
use common::localnet::*;

fn log_of(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default()
}

/// Waits until the node's transaction pool stays empty while two blocks are built: a
/// validator stopped mid-round may leave a transaction there that takes the nonce the next
/// one signs with (and chopsticks empties its pool while it builds a block, putting back
/// what it could not apply, so one empty look proves nothing).
fn wait_pool_empty(endpoint: &str) {
    with_chain(endpoint, |chain| async move {
        let start = std::time::Instant::now();
        let mut empty_since = None;
        loop {
            let best = chain.best_number().await.unwrap();
            if chain.pending_extrinsics().await.unwrap() > 0 {
                empty_since = None;
            } else {
                let since = *empty_since.get_or_insert(best);
                if best >= since + 2 {
                    return;
                }
            }
            assert!(start.elapsed() < Duration::from_secs(60), "the pool drains");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// The block of validator 0's queued hash commit `hash` (JSON), if queued.
fn queued_at(endpoint: &str, netuid: u16, me: [u8; 32], hash: &serde_json::Value) -> Option<u64> {
    let hash: [u8; 32] = serde_json::from_value(hash.clone()).unwrap();
    with_chain(endpoint, |chain| async move {
        find_hash_commit(&chain, Target::subnet(netuid), &me, &hash)
            .await
            .unwrap()
            .map(|(block, _)| block)
    })
}

#[test]
fn commits_and_reveals_whose_inclusion_was_not_seen_land_once() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let port_base = common::free_port().saturating_sub(10).max(20000);
    let (_node, subnet) = start_localnet(
        &wallets,
        port_base,
        &[
            "--miners",
            "2",
            "--validator-stakes",
            "1000,1000",
            "--reveal-period",
            "1",
        ],
    );
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid_text = subnet["netuid"].to_string();
    let netuid = subnet["netuid"].as_u64().unwrap() as u16;
    let _miners = [
        spawn_miner(&wallets, 0, port_base, &endpoint, &netuid_text, &[]),
        spawn_miner(
            &wallets,
            1,
            port_base,
            &endpoint,
            &netuid_text,
            &["--behaviour", "wrong"],
        ),
    ];
    let (stop_blocks, producer) = block_producer(&endpoint, Duration::from_millis(300));
    let proxy = cut::start(&endpoint);
    let me = validator_hotkey(&wallets, 0).public_key().0;
    let v = subnet["validators"][0]["uid"].as_u64().unwrap() as usize;
    let good = subnet["miners"][0]["uid"].as_u64().unwrap();
    let run = |dir: &std::path::Path, mode: &str, i: usize| {
        let mut c = validator_run(&proxy.endpoint, &netuid_text, &wallets, i, dir, 1000);
        c.args(["--neuron.commit_reveal", mode]);
        Proc(c.spawn().unwrap())
    };

    // 1. The hash commit lands; its answer is cut.
    let dir = tmp.path().join("hash");
    proxy.arm(Cut::AfterSubmit);
    let p = run(&dir, "hash", 0);
    wait_for_log(
        &dir,
        "the commit was sent but its inclusion was not seen",
        1,
        Duration::from_secs(180),
    );
    assert_eq!(proxy.cuts(), 1);
    // The node took the commit: it is queued on chain before the validator may look.
    let hash = state(&dir)["state"]["pending"]["hash"].clone();
    let start = std::time::Instant::now();
    while queued_at(&endpoint, netuid, me, &hash).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the node includes the commit"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    proxy.resume();
    let s = wait_for_state(&dir, Duration::from_secs(120), |s| {
        s["state"]["pending"]["commit_block"].is_u64()
    });
    let hash = s["state"]["pending"]["hash"].clone();
    let block = s["state"]["pending"]["commit_block"].as_u64();
    assert_eq!(
        queued_at(&endpoint, netuid, me, &hash),
        block,
        "the chain holds the commit at the block the validator found: {s}"
    );
    let log = log_of(&dir);
    assert!(
        log.contains("the commit saved before the interruption landed"),
        "{log}"
    );
    assert!(
        !log.contains("sending the same transaction again"),
        "found on chain, not sent again: {log}"
    );

    // 2. Every reveal reaches the node and its answer is cut, until one lands.
    proxy.arm(Cut::EverySubmit);
    let start = std::time::Instant::now();
    while !log_of(&dir).contains("the reveal sent before the interruption landed") {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no reveal seen landing:\n{}",
            log_of(&dir)
        );
        if proxy.holding() {
            // Let the node take the reveal (it leaves the queue if it landed), then let the
            // validator back.
            let cut_at = std::time::Instant::now();
            while queued_at(&endpoint, netuid, me, &hash).is_some()
                && cut_at.elapsed() < Duration::from_secs(3)
            {
                std::thread::sleep(Duration::from_millis(200));
            }
            proxy.resume();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    proxy.arm(Cut::Off);
    proxy.resume();
    let s = wait_for_state(&dir, Duration::from_secs(60), |s| {
        s["state"]["last_verification"]["outcome"] == "match"
    });
    assert!(s["state"]["pending"].is_null() || s["state"]["pending"]["hash"] != hash);
    assert_eq!(
        queued_at(&endpoint, netuid, me, &hash),
        None,
        "revealed: {s}"
    );
    let log = log_of(&dir);
    assert!(!log.contains("the chain dropped the commit"), "{log}");
    assert_eq!(
        log.matches("the reveal sent before the interruption landed")
            .count(),
        1,
        "{log}"
    );
    let w = weight_row(&metagraph(&endpoint, &netuid_text), v);
    assert_eq!(
        w.first().map(|e| e.0),
        Some(good),
        "the revealed row: {w:?}"
    );
    drop(p);
    wait_pool_empty(&endpoint);
    // The timelocked commit is validator 1's: whatever validator 0 left in flight when it was
    // stopped mid-round cannot take its nonce.
    let v = subnet["validators"][1]["uid"].as_u64().unwrap() as usize;

    // 3. The timelocked commit never reaches the node.
    let dir = tmp.path().join("timelocked");
    let cuts = proxy.cuts();
    proxy.arm(Cut::BeforeSubmit);
    let _p = run(&dir, "timelocked", 1);
    wait_for_log(
        &dir,
        "the commit was sent but its inclusion was not seen",
        1,
        Duration::from_secs(180),
    );
    assert_eq!(proxy.cuts(), cuts + 1);
    proxy.resume();
    // Sent again, it lands: seen on sending it, or (when that answer is lost too) found in
    // its block on the next look.
    wait_for_log(
        &dir,
        "weights committed timelocked",
        1,
        Duration::from_secs(120),
    );
    let s = wait_for_state(&dir, Duration::from_secs(240), |s| {
        s["state"]["last_verification"]["outcome"] == "match"
    });
    let log = log_of(&dir);
    let landed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the commit saved before the interruption landed"))
        .collect();
    assert_eq!(landed.len(), 1, "the dropped commit lands once: {log}");
    let block_of = |line: &str| {
        line.split_whitespace()
            .find(|w| w.starts_with("block="))
            .map(str::to_string)
    };
    let first_commit = log
        .lines()
        .find(|l| l.contains("weights committed timelocked"))
        .and_then(block_of);
    assert_eq!(
        block_of(landed[0]),
        first_commit,
        "the commit that landed is the one sent again, not a fresh one: {log}"
    );
    assert!(!log.contains("never landed"), "{log}");
    let w = weight_row(&metagraph(&endpoint, &netuid_text), v);
    assert_eq!(
        w.first().map(|e| e.0),
        Some(good),
        "revealed by the chain: {w:?} {s}"
    );
    stop_blocks.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = producer.join();
}
