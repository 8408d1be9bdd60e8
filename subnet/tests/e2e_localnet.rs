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

/// Waits until the run in `dir` holds at its test pause `at`, SIGKILLs it there, and returns
/// the state it left.
fn kill_at(dir: &std::path::Path, mut run: Proc, at: &str) -> serde_json::Value {
    wait_for_log(
        dir,
        &format!("test pause at=\"{at}\""),
        1,
        Duration::from_secs(180),
    );
    let _ = run.0.kill();
    let _ = run.0.wait();
    state(dir)
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

/// Commits the hash of other weights as validator 0's hotkey, as a second process running
/// the same hotkey would: it takes the nonce a saved, unsent commit was signed with.
fn foreign_commit(endpoint: &str, subnet: &serde_json::Value, wallets: &std::path::Path) {
    use bt_chain::weights::{commit_weights, Target, WeightsToSet};
    let netuid = subnet["netuid"].as_u64().unwrap() as u16;
    let key = validator_hotkey(wallets, 0);
    with_chain(endpoint, |chain| async move {
        let w = WeightsToSet {
            uids: vec![0],
            values: vec![65535],
            version_key: 0,
        };
        commit_weights(&chain, &key, Target::subnet(netuid), &w, &[9; 8])
            .await
            .expect("the foreign commit lands");
    });
}

/// Whether validator 0's commit of `hash` (JSON) is queued on chain.
fn queued(
    endpoint: &str,
    subnet: &serde_json::Value,
    wallets: &std::path::Path,
    hash: &str,
) -> bool {
    use bt_chain::weights::{find_hash_commit, Target};
    let netuid = subnet["netuid"].as_u64().unwrap() as u16;
    let me = validator_hotkey(wallets, 0).public_key().0;
    let hash: [u8; 32] = serde_json::from_str(hash).unwrap();
    with_chain(endpoint, |chain| async move {
        find_hash_commit(&chain, Target::subnet(netuid), &me, &hash)
            .await
            .unwrap()
            .is_some()
    })
}

/// A hash commit (commit-reveal v2, `--neuron.commit_reveal hash`) through every SIGKILL a
/// commit can meet, each time with its block unknown or known:
/// 1. killed after it was signed and saved, before it was sent; while the validator is down
///    the same hotkey commits something else (its nonce is taken). Restarted, the validator
///    does not find it, sends the same bytes again, the chain refuses them as stale: it
///    never landed, and the validator commits afresh. The first hash is never on chain.
/// 2. killed after that fresh commit landed and before that was saved; restarted, it finds
///    it on chain and saves its block, without sending it again.
/// 3. killed after the block was saved and before the reveal epoch; restarted, it reveals
///    the saved commit (its salt came from the OS) and reads it back as a match.
#[test]
fn a_hash_commit_survives_sigkills_whether_or_not_it_landed() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let mut net = OneValidator::start(&wallets, &["--reveal-period", "2"]);
    let (endpoint, netuid, subnet) = (net.endpoint.clone(), net.netuid.clone(), net.subnet.clone());
    let dir = tmp.path().join("state");
    let run = |pause: bool| {
        let mut c = validator_run(&endpoint, &netuid, &wallets, 0, &dir, 1000);
        c.args(["--neuron.commit_reveal", "hash"]);
        if pause {
            c.env("BT_TEST_COMMIT_PAUSE_MS", "4000");
        }
        Proc(c.spawn().unwrap())
    };
    // 1. Saved, not sent; the nonce is then taken by another commit of the same hotkey.
    let s = kill_at(&dir, run(true), "saved, not sent");
    let unsent = s["state"]["pending"]["hash"].to_string();
    assert!(s["state"]["pending"]["commit_block"].is_null(), "{s}");
    assert!(
        s["state"]["pending"]["commit_tx"]["bytes"].is_string(),
        "{s}"
    );
    foreign_commit(&endpoint, &subnet, &wallets);
    let mut p = run(true);
    // Sent again and refused as stale, or past its era already: either way it never landed.
    wait_for_log(
        &dir,
        "never landed; committing afresh",
        1,
        Duration::from_secs(180),
    );
    assert!(
        !queued(&endpoint, &subnet, &wallets, &unsent),
        "the unsent commit never lands"
    );

    // 2. The fresh commit landed, not saved.
    wait_for_log(
        &dir,
        "test pause at=\"landed, not saved\"",
        1,
        Duration::from_secs(180),
    );
    let _ = p.0.kill();
    let _ = p.0.wait();
    let s = state(&dir);
    let landed = s["state"]["pending"]["hash"].to_string();
    assert_ne!(landed, unsent, "a fresh commit: {s}");
    assert!(s["state"]["pending"]["commit_block"].is_null(), "{s}");
    assert!(
        queued(&endpoint, &subnet, &wallets, &landed),
        "it is on chain"
    );
    let mut first = run(false);
    let committed = wait_for_state(&dir, Duration::from_secs(180), |s| {
        s["state"]["pending"]["kind"] == "hash" && s["state"]["pending"]["commit_block"].is_u64()
    });
    assert_eq!(
        committed["state"]["pending"]["hash"].to_string(),
        landed,
        "found on chain, not committed again: {committed}"
    );
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(
        log.contains("the commit saved before the interruption landed"),
        "{log}"
    );
    assert_eq!(
        log.matches("weights committed by hash").count(),
        1,
        "one commit was seen landing (the fresh one, before the kill): {log}"
    );
    // 3. Killed before the reveal epoch.
    let _ = first.0.kill(); // SIGKILL, before the reveal epoch (two epochs later)
    let _ = first.0.wait();
    let salt = committed["state"]["pending"]["salt"].clone();
    assert_eq!(salt.as_array().map(Vec::len), Some(8), "{committed}");
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(
        !log.contains("weights verified on chain"),
        "killed before the reveal: {log}"
    );

    let _second = run(false);
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
/// does not have it, and the validator sends the saved transaction again), and after it landed and before that
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
    let s = kill_at(&dir, run(true), "saved, not sent");
    assert_eq!(s["state"]["pending"]["kind"], "timelocked", "{s}");
    assert!(s["state"]["pending"]["commit"].is_null(), "not sent: {s}");

    // 2. Restarted: the saved commit is not on chain, so the very same transaction is sent
    //    again (or, past its era, a fresh one); killed after it landed, before that is saved.
    let mut p = run(true);
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
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(
        log.contains("sending the same transaction again")
            || log.contains("could land only up to block"),
        "the unsent commit was looked up, then sent again or given up: {log}"
    );

    // 3. Restarted: it finds the commit on chain, and the chain reveals it.
    let _p = run(false);
    wait_for_log(
        &dir,
        "saved before the interruption landed",
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
