//! End to end on the real runtime (spec 425 under chopsticks, commit-reveal on as the chain's
//! default, the local test drand beacon publishing pulses): a bootstrapped subnet with
//! wallet-backed keys, six miners of different quality (two good, one slow, one wrong, one
//! sending duplicates, one down), two validators running `validator run`. They commit
//! timelocked weights, the chain reveals them itself, and each validator's row of W, read back
//! from the chain, ranks the good miners above every bad one; each verification is a match.
//! Then a validator is killed with SIGKILL mid-run and restarted: its scores resume from the
//! state file. Two more tests kill validators around their commits: a hash commit between
//! commit and reveal, and a timelocked commit (in mechanism 1 of two) after it is saved and
//! before it is sent, then after it lands and before that is saved; no commit is lost.

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

    // Two validators, concurrently, until the chain has revealed a timelocked commit of each
    // and it read back as a match.
    let dirs = [tmp.path().join("state-0"), tmp.path().join("state-1")];
    let mut runs: Vec<Proc> = (0..2)
        .map(|i| {
            Proc(
                validator_run(&endpoint, &netuid, &wallets, i, &dirs[i], 1000)
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    for dir in &dirs {
        wait_for_state(dir, Duration::from_secs(300), |s| {
            s["state"]["last_verification"]["outcome"] == "match"
                && s["state"]["step"].as_u64() >= Some(10)
        });
    }
    for r in &mut runs {
        let _ = r.0.kill();
        let _ = r.0.wait();
    }
    for dir in &dirs {
        let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
        assert!(log.contains("weights committed timelocked"), "{log}");
        assert!(
            !log.contains("weights committed by hash"),
            "timelocked, not hash: {log}"
        );
    }

    let mg = metagraph(&endpoint, &netuid);
    let tempo = mg["hyperparameters"]["tempo"].as_u64().unwrap();
    let log = |i: usize| std::fs::read_to_string(dirs[i].with_extension("log")).unwrap_or_default();
    assert!(
        mg["block"].as_u64().unwrap() > 2 * tempo,
        "the reveal epoch comes after two tempos: block {}\n{}",
        mg["block"],
        log(0)
    );
    for v in 0..2 {
        let uid = subnet["validators"][v]["uid"].as_u64().unwrap() as usize;
        let row: Vec<(u64, u64)> = weight_row(&mg, uid);
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
    // The first phase may have left any step behind: wait for rounds of this run.
    let step_before = before["state"]["step"].as_u64().unwrap_or(0);
    let metrics_port = free_port();
    let mut long = validator_run(&endpoint, &netuid, &wallets, 0, &dirs[0], 1000)
        .args(["--metrics.port", &metrics_port.to_string()])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while state(&dirs[0])["state"]["step"].as_u64().unwrap_or(0) < step_before + 3 {
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
    assert!(step_at_kill >= step_before + 3);
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

/// Waits until the state in `dir` satisfies `done`, or panics with it after `limit`.
fn wait_for_state(
    dir: &std::path::Path,
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
fn wait_for_log(dir: &std::path::Path, needle: &str, count: usize, limit: Duration) {
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

/// The row of W of validator `v` in mechanism `mechid`, as `(uid, u16)`.
fn row(endpoint: &str, netuid: &str, mechid: u8, uid: usize) -> Vec<(u64, u64)> {
    weight_row(&metagraph_of(endpoint, netuid, mechid), uid)
}

/// A one-validator subnet started with `localnet_flags`, a good miner (0) and a wrong one (1)
/// serving, and a block every 300 ms until `stop_blocks`.
struct OneValidator {
    _node: Proc,
    _miners: [Proc; 2],
    subnet: serde_json::Value,
    endpoint: String,
    netuid: String,
    stop_blocks: std::sync::Arc<std::sync::atomic::AtomicBool>,
    producer: Option<std::thread::JoinHandle<()>>,
}

impl OneValidator {
    fn start(wallets: &std::path::Path, localnet_flags: &[&str]) -> Self {
        let port_base = free_port().saturating_sub(10).max(20000);
        let mut flags = vec!["--miners", "2", "--validator-stakes", "1000"];
        flags.extend_from_slice(localnet_flags);
        let (node, subnet) = start_localnet(wallets, port_base, &flags);
        let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
        let netuid = subnet["netuid"].to_string();
        let miners = [
            spawn_miner(wallets, 0, port_base, &endpoint, &netuid, &[]),
            spawn_miner(
                wallets,
                1,
                port_base,
                &endpoint,
                &netuid,
                &["--behaviour", "wrong"],
            ),
        ];
        std::thread::sleep(Duration::from_secs(2));
        let (stop_blocks, producer) = block_producer(&endpoint, Duration::from_millis(300));
        OneValidator {
            _node: node,
            _miners: miners,
            subnet,
            endpoint,
            netuid,
            stop_blocks,
            producer: Some(producer),
        }
    }

    /// Stops the blocks.
    fn stop_blocks(&mut self) {
        self.stop_blocks
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(p) = self.producer.take() {
            p.join().unwrap();
        }
    }
}

/// A hash commit (commit-reveal v2, `--neuron.commit_reveal hash`): the validator is killed
/// after its commit landed and before its reveal epoch; restarted, it reveals the saved commit
/// (its salt came from the OS and was saved before the commit was sent) and reads it back as a
/// match.
#[test]
fn a_hash_commit_survives_a_sigkill_before_its_reveal() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let mut net = OneValidator::start(&wallets, &["--reveal-period", "2"]);
    let (endpoint, netuid, subnet) = (net.endpoint.clone(), net.netuid.clone(), net.subnet.clone());
    let dir = tmp.path().join("state");
    let run = || {
        let mut c = validator_run(&endpoint, &netuid, &wallets, 0, &dir, 1000);
        c.args(["--neuron.commit_reveal", "hash"]);
        Proc(c.spawn().unwrap())
    };
    let mut first = run();
    let committed = wait_for_state(&dir, Duration::from_secs(180), |s| {
        s["state"]["pending"]["kind"] == "hash" && s["state"]["pending"]["commit_block"].is_u64()
    });
    let _ = first.0.kill(); // SIGKILL, before the reveal epoch (two epochs later)
    let _ = first.0.wait();
    let salt = committed["state"]["pending"]["salt"].clone();
    assert_eq!(salt.as_array().map(Vec::len), Some(8), "{committed}");
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(
        !log.contains("weights verified on chain"),
        "killed before the reveal: {log}"
    );

    let _second = run();
    let revealed = wait_for_state(&dir, Duration::from_secs(240), |s| {
        s["state"]["last_verification"]["outcome"] == "match"
    });
    net.stop_blocks();
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(log.contains("resuming from the saved state"), "{log}");
    assert!(log.contains("weights verified on chain: match"), "{log}");
    let v = subnet["validators"][0]["uid"].as_u64().unwrap() as usize;
    let good = subnet["miners"][0]["uid"].as_u64().unwrap();
    let w = row(&endpoint, &netuid, 0, v);
    assert_eq!(
        w.first().map(|e| e.0),
        Some(good),
        "the revealed row weights the good miner: {w:?} {revealed}"
    );
}

/// Timelocked commits in mechanism 1 of a two-mechanism subnet (`--mechid 1`), killed in both
/// windows a commit has: after it is saved and before it is sent (after the restart the chain
/// does not have it, and the validator commits afresh), and after it landed and before that
/// was saved (after the restart the validator finds it on chain). The chain reveals it, the
/// read-back is a match, and the weights are in mechanism 1 only.
#[test]
fn timelocked_commits_in_mechanism_1_survive_sigkills_around_sending() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let mut net = OneValidator::start(&wallets, &["--mechanisms", "2"]);
    let (endpoint, netuid, subnet) = (net.endpoint.clone(), net.netuid.clone(), net.subnet.clone());
    let dir = tmp.path().join("state");
    let run = |pause: bool| {
        let mut c = validator_run(&endpoint, &netuid, &wallets, 0, &dir, 1000);
        c.args(["--mechid", "1"]);
        if pause {
            c.env("BT_TEST_COMMIT_PAUSE_MS", "4000");
        }
        Proc(c.spawn().unwrap())
    };
    // 1. Killed after the commit is saved, before it is sent.
    let mut p = run(true);
    wait_for_log(
        &dir,
        "test pause at=\"saved, not sent\"",
        1,
        Duration::from_secs(180),
    );
    let _ = p.0.kill();
    let _ = p.0.wait();
    let s = state(&dir);
    assert_eq!(s["state"]["pending"]["kind"], "timelocked", "{s}");
    assert!(s["state"]["pending"]["commit"].is_null(), "not sent: {s}");

    // 2. Restarted: the saved commit never landed, so it commits afresh; killed after that
    //    one landed, before it is saved.
    let mut p = run(true);
    wait_for_log(
        &dir,
        "never landed; committing afresh",
        1,
        Duration::from_secs(120),
    );
    wait_for_log(
        &dir,
        "test pause at=\"landed, not saved\"",
        1,
        Duration::from_secs(180),
    );
    let _ = p.0.kill();
    let _ = p.0.wait();
    let s = state(&dir);
    assert!(
        s["state"]["pending"]["commit"].is_null(),
        "landed, not saved: {s}"
    );

    // 3. Restarted: it finds the commit on chain, and the chain reveals it.
    let _p = run(false);
    wait_for_log(
        &dir,
        "saved before the restart landed",
        1,
        Duration::from_secs(120),
    );
    wait_for_state(&dir, Duration::from_secs(300), |s| {
        s["state"]["last_verification"]["outcome"] == "match"
    });
    net.stop_blocks();
    let v = subnet["validators"][0]["uid"].as_u64().unwrap() as usize;
    let good = subnet["miners"][0]["uid"].as_u64().unwrap();
    let w1 = row(&endpoint, &netuid, 1, v);
    assert_eq!(w1.first().map(|e| e.0), Some(good), "mechanism 1: {w1:?}");
    assert!(
        row(&endpoint, &netuid, 0, v).is_empty(),
        "nothing in mechanism 0"
    );
}
