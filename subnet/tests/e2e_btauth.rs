//! End to end over btauth/1 on the real runtime (chopsticks): the same subnet as
//! `e2e_localnet.rs`, its miners serving `--wire btauth` (one of them both protocols) behind the
//! metagraph blacklist, and a validator running `validator run --wire btauth`. After its rounds
//! its row of W, read back from the chain, ranks the good miners above every bad one and the
//! verification is a match: the loop scores and sets weights as it does over Synapse.

use std::time::Duration;

mod common;
use common::free_port;
use common::localnet::*;

#[test]
fn over_btauth_a_validator_ranks_miners_and_verifies_its_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let port_base = free_port().saturating_sub(10).max(20000);
    let (_node, subnet) = start_localnet(
        &wallets,
        port_base,
        &[
            "--miners",
            "5",
            "--validator-stakes",
            "1000",
            "--commit-reveal",
            "off",
        ],
    );
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].to_string();
    let miner_uid = |i: usize| subnet["miners"][i]["uid"].as_u64().unwrap() as usize;

    // Miners 0 and 1 are good (1 serves both protocols), 2 wrong, 3 duplicates, 4 down.
    let behaviours: [&[&str]; 4] = [
        &["--wire", "btauth"],
        &["--wire", "synapse,btauth"],
        &["--wire", "btauth", "--behaviour", "wrong"],
        &["--wire", "btauth", "--behaviour", "duplicates"],
    ];
    let _miners: Vec<Proc> = behaviours
        .iter()
        .enumerate()
        .map(|(i, flags)| spawn_miner(&wallets, i, port_base, &endpoint, &netuid, flags))
        .collect();
    let (stop_blocks, producer) = block_producer(&endpoint, Duration::from_millis(250));

    let dir = tmp.path().join("state-0");
    let status = validator_run(&endpoint, &netuid, &wallets, 0, &dir, 10)
        .args(["--wire", "btauth"])
        .status()
        .unwrap();
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(status.success(), "the validator run failed:\n{log}");
    assert!(log.contains("querying miners over btauth"), "{log}");

    let mg = metagraph(&endpoint, &netuid);
    let uid = subnet["validators"][0]["uid"].as_u64().unwrap() as usize;
    let row: Vec<(u64, u64)> = weight_row(&mg, uid);
    let w = |miner: usize| {
        row.iter()
            .find(|(d, _)| *d as usize == miner_uid(miner))
            .map_or(0, |(_, x)| *x)
    };
    for good in [0, 1] {
        assert!(w(good) > 0, "good miner {good} has weight ({row:?})\n{log}");
        for bad in 2..5 {
            assert!(
                w(good) > w(bad),
                "good miner {good} above bad miner {bad} ({row:?})"
            );
        }
    }
    let s = state(&dir);
    assert_eq!(s["state"]["last_verification"]["outcome"], "match", "{s}");
    assert_eq!(s["state"]["step"], 10);

    stop_blocks.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = producer.join();
}
