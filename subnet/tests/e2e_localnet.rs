//! End to end on the real runtime (chopsticks): a bootstrapped subnet with wallet-backed keys,
//! six miners of different quality (two good, one slow, one wrong, one sending duplicates, one
//! down), two validators running `validator run`. After more than two tempos each validator's
//! row of W, read back from the chain, ranks the good miners above every bad one, and each
//! verification is a match. Then a validator is killed with SIGKILL mid-run and restarted: its
//! scores resume from the state file.

use std::process::Child;
use std::time::{Duration, Instant};

mod common;
use common::free_port;
use common::localnet::*;

#[test]
fn validators_rank_miners_verify_weights_and_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let port_base = free_port().saturating_sub(10).max(20000);
    let (node, subnet) = start_localnet(
        &wallets,
        port_base,
        &["--miners", "6", "--validator-stakes", "1000,400"],
    );
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].to_string();
    let miner_uid = |i: usize| subnet["miners"][i]["uid"].as_u64().unwrap() as usize;

    // Miners 0 and 1 are good, 2 slow, 3 wrong, 4 duplicates, 5 down (never started).
    let behaviours: [&[&str]; 5] = [
        &[],
        &[],
        &["--delay-ms", "4000"],
        &["--behaviour", "wrong"],
        &["--behaviour", "duplicates"],
    ];
    let _miners: Vec<Proc> = behaviours
        .iter()
        .enumerate()
        .map(|(i, flags)| spawn_miner(&wallets, i, port_base, &endpoint, &netuid, flags))
        .collect();
    std::thread::sleep(Duration::from_secs(2));

    let (stop_blocks, producer) = block_producer(&endpoint, Duration::from_millis(250));

    // Two validators, concurrently, for 10 rounds each.
    let dirs = [tmp.path().join("state-0"), tmp.path().join("state-1")];
    let mut runs: Vec<Child> = (0..2)
        .map(|i| {
            validator_run(&endpoint, &netuid, &wallets, i, &dirs[i], 10)
                .spawn()
                .unwrap()
        })
        .collect();
    for r in &mut runs {
        assert!(r.wait().unwrap().success(), "a validator run failed");
    }

    let mg = metagraph(&endpoint, &netuid);
    let tempo = mg["hyperparameters"]["tempo"].as_u64().unwrap();
    let log = |i: usize| std::fs::read_to_string(dirs[i].with_extension("log")).unwrap_or_default();
    assert!(
        mg["block"].as_u64().unwrap() >= 2 * tempo + 12,
        "more than two tempos passed: block {}\n{}",
        mg["block"],
        log(0)
    );
    for v in 0..2 {
        let uid = subnet["validators"][v]["uid"].as_u64().unwrap() as usize;
        let row: Vec<(u64, u64)> = mg["neurons"][uid]["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
            .collect();
        let w = |miner: usize| {
            row.iter()
                .find(|(d, _)| *d as usize == miner_uid(miner))
                .map_or(0, |(_, x)| *x)
        };
        for good in [0, 1] {
            assert!(
                w(good) > 0,
                "validator {v}: good miner {good} has weight ({row:?})"
            );
            for bad in 2..6 {
                assert!(
                    w(good) > w(bad),
                    "validator {v}: good miner {good} above bad miner {bad} ({row:?})"
                );
            }
        }
        let s = state(&dirs[v]);
        assert_eq!(
            s["state"]["last_verification"]["outcome"], "match",
            "validator {v}: {s}"
        );
        assert_eq!(s["state"]["step"], 10);
        // No secret of the validator's keyfile appears in its log.
        let keyfile: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(wallets.join(format!("validator-{v}/hotkeys/default")))
                .unwrap(),
        )
        .unwrap();
        let log = log(v);
        assert!(log.contains("round scored"), "the log is the validator's");
        for secret in ["secretPhrase", "secretSeed"] {
            let value = keyfile[secret].as_str().unwrap();
            let needle = value.trim_start_matches("0x");
            assert!(!log.contains(needle), "{secret} leaked into the log");
            for word in value.split_whitespace().collect::<Vec<_>>().windows(3) {
                assert!(
                    !log.contains(&word.join(" ")),
                    "part of the {secret} leaked into the log"
                );
            }
        }
    }

    // SIGKILL validator 0 mid-run, then restart it: it resumes from its saved scores.
    let before = state(&dirs[0]);
    let metrics_port = free_port();
    let mut long = validator_run(&endpoint, &netuid, &wallets, 0, &dirs[0], 1000)
        .args(["--metrics.port", &metrics_port.to_string()])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while state(&dirs[0])["state"]["step"].as_u64().unwrap_or(0) < 13 {
        assert!(Instant::now() < deadline, "the validator made no progress");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Its metrics, as Prometheus scrapes them.
    let metrics = http_get(metrics_port, "/metrics").expect("the metrics port answers");
    for want in [
        "validator_responses_total{status=\"200\"}",
        "validator_responses_total{status=\"408\"}",
        "validator_rounds_total",
        "validator_score{uid=",
    ] {
        assert!(metrics.contains(want), "{want} in\n{metrics}");
    }
    long.kill().unwrap(); // SIGKILL
    long.wait().unwrap();
    let killed = state(&dirs[0]);
    let step_at_kill = killed["state"]["step"].as_u64().unwrap();
    assert!(step_at_kill >= 13);
    let good_score = |s: &serde_json::Value| s["state"]["scores"][miner_uid(0)].as_f64().unwrap();
    assert!(
        good_score(&killed) >= good_score(&before) * 0.5,
        "scores survived the kill"
    );
    let resumed = validator_run(&endpoint, &netuid, &wallets, 0, &dirs[0], step_at_kill + 1)
        .status()
        .unwrap();
    assert!(resumed.success());
    let after = state(&dirs[0]);
    assert_eq!(
        after["state"]["step"].as_u64().unwrap(),
        step_at_kill + 1,
        "one more round on top of the saved ones"
    );
    assert!(good_score(&after) > 0.0);
    stop_blocks.store(true, std::sync::atomic::Ordering::Relaxed);
    producer.join().unwrap();
    drop(node);
}

/// A plain HTTP/1.0 GET on loopback.
/// Under commit-reveal the loop commits, reveals in the reveal epoch, and the read-back of the
/// revealed weights is a match.
#[test]
fn commit_reveal_in_the_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let port_base = free_port().saturating_sub(10).max(20000);
    let (_node, subnet) = start_localnet(
        &wallets,
        port_base,
        &[
            "--miners",
            "2",
            "--validator-stakes",
            "1000",
            "--commit-reveal",
            "on",
        ],
    );
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].to_string();
    let _miners = [
        spawn_miner(&wallets, 0, port_base, &endpoint, &netuid, &[]),
        spawn_miner(
            &wallets,
            1,
            port_base,
            &endpoint,
            &netuid,
            &["--behaviour", "wrong"],
        ),
    ];
    std::thread::sleep(Duration::from_secs(2));
    let (stop_blocks, producer) = block_producer(&endpoint, Duration::from_millis(150));
    let dir = tmp.path().join("state");
    let status = validator_run(&endpoint, &netuid, &wallets, 0, &dir, 40)
        .status()
        .unwrap();
    stop_blocks.store(true, std::sync::atomic::Ordering::Relaxed);
    producer.join().unwrap();
    assert!(status.success());
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(log.contains("weights committed"), "{log}");
    let s = state(&dir);
    assert_eq!(
        s["state"]["last_verification"]["outcome"], "match",
        "{s}\n{log}"
    );
    let mg = metagraph(&endpoint, &netuid);
    let v = subnet["validators"][0]["uid"].as_u64().unwrap() as usize;
    let good = subnet["miners"][0]["uid"].as_u64().unwrap();
    assert_eq!(
        mg["neurons"][v]["weights"][0][0].as_u64(),
        Some(good),
        "the revealed row weights the good miner: {}",
        mg["neurons"][v]["weights"]
    );
}
