//! Crash safety: `validator run` against three good miners on the real runtime is SIGKILLed
//! 100 times at random moments and restarted each time on the same state folder. Each save
//! pauses between its steps (`BT_TEST_CHECKPOINT_PAUSE_MS`), so many kills land inside a
//! checkpoint write: after the temp file is written, or between the two renames.
//!
//! After every kill: at least one state file is valid, nothing is quarantined as corrupt, and
//! the restart resumes from a step no older than the last save that completed before the kill.
//! The counts are printed for RELIABILITY.md, with the seed of the kill moments:
//! `BT_CRASH_SEED=<seed>` replays a failing run's moments.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::localnet::*;

const KILLS: usize = 100;

/// The `step=N` of a log line.
fn step_of(line: &str) -> Option<u64> {
    line.split("step=")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The largest `step` of a "state saved" line in `log`.
fn last_saved_step(log: &str) -> u64 {
    log.lines()
        .filter(|l| l.contains("state saved"))
        .filter_map(step_of)
        .max()
        .unwrap_or(0)
}

/// The step the run resumed from, if it logged one.
fn resumed_step(log: &str) -> Option<u64> {
    log.lines()
        .find(|l| l.contains("resuming from the saved state"))
        .and_then(step_of)
}

/// A small deterministic generator: the kill moments are random per run (seeded from the clock),
/// and a run's seed replays them.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn corrupt_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_hundred_sigkills_lose_no_completed_round() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let port_base = common::free_port().saturating_sub(20).max(20000);
    // Weights are set once per 1000 blocks: rounds are then quick, and most of the time is
    // scoring and checkpointing, where the kills land.
    let (_node, subnet) = start_localnet(
        &wallets,
        port_base,
        &[
            "--miners",
            "3",
            "--validator-stakes",
            "1000",
            "--weights-rate-limit",
            "1000",
            "--commit-reveal",
            "off",
        ],
    );
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].to_string();
    let _miners: Vec<Proc> = (0..3)
        .map(|i| spawn_miner(&wallets, i, port_base, &endpoint, &netuid, &[]))
        .collect();

    let state_dir = tmp.path().join("state");
    // The kill moments are random; the seed is printed, and BT_CRASH_SEED replays a run's.
    let seed = std::env::var("BT_CRASH_SEED")
        .ok()
        .map(|s| s.parse::<u64>().expect("BT_CRASH_SEED is a u64"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("crash-safety seed {seed} (BT_CRASH_SEED={seed} replays these kill moments)");
    let mut rng = Lcg(seed);
    let (mut in_write, mut between_renames, mut from_previous, mut resumed) = (0, 0, 0, 0);
    let mut saved_before_kill = 0u64;
    let mut window_ms = 1400;
    let started = Instant::now();
    for kill in 0..=KILLS {
        let log_path = tmp.path().join(format!("run-{kill}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = validator_command(&endpoint, &netuid, &wallets, 0, &state_dir)
            .args([
                "--neuron.sample_size",
                "3",
                "--neuron.timeout",
                "2",
                "--neuron.round_interval",
                "0",
            ])
            .env("BT_TEST_CHECKPOINT_PAUSE_MS", "25")
            .env("RUST_LOG", "info,validator::state=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        // Let it resume and run, then kill it at a random moment (the last run is not
        // killed: it is stopped after its resume is checked).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if text.contains("resuming from the saved state") || text.contains("no saved state") {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "run {kill} exited early:\n{text}"
            );
            assert!(
                Instant::now() < deadline,
                "run {kill} did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if kill > 0 {
            let step = resumed_step(&text)
                .unwrap_or_else(|| panic!("run {kill} did not resume from a state:\n{text}"));
            assert!(
                step >= saved_before_kill,
                "run {kill} resumed at step {step}, but step {saved_before_kill} had been saved"
            );
            resumed += 1;
            if text.contains("resumed from the previous one") {
                from_previous += 1;
            }
        }
        assert_eq!(
            corrupt_files(&state_dir),
            0,
            "no state file was ever corrupt"
        );
        if kill == KILLS {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        if kill == 0 {
            // The first run saves twice before the kills begin, so every restart has a state,
            // and the time between the saves (a round) sets the window the kills are spread
            // over: a few rounds, however fast the machine and the node are.
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut first_save = None;
            while last_saved_step(&std::fs::read_to_string(&log_path).unwrap_or_default()) < 2 {
                if first_save.is_none()
                    && last_saved_step(&std::fs::read_to_string(&log_path).unwrap_or_default()) == 1
                {
                    first_save = Some(Instant::now());
                }
                assert!(Instant::now() < deadline, "the first run never saved twice");
                std::thread::sleep(Duration::from_millis(10));
            }
            let round = first_save.map_or(Duration::from_millis(500), |t| t.elapsed());
            window_ms = (3 * round.as_millis() as u64).clamp(1400, 15_000);
        }
        std::thread::sleep(Duration::from_millis(100 + rng.next(window_ms)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        saved_before_kill = saved_before_kill.max(last_saved_step(&text));
        // Where did the kill land?
        let tmp_file = state_dir.join("state.json.tmp");
        if tmp_file.exists() {
            in_write += 1;
            if !state_dir.join("state.json").exists() {
                between_renames += 1;
            }
        }
        // Whatever the moment, a valid state is on disk.
        let inspected = state(&state_dir);
        assert!(
            inspected["state"]["step"].as_u64().is_some(),
            "after kill {kill}: no valid state: {inspected}"
        );
    }
    println!(
        "CRASH {}",
        serde_json::json!({
            "kills": KILLS,
            "restarts_that_resumed": resumed,
            "kills_inside_a_checkpoint_write": in_write,
            "of_which_between_the_renames": between_renames,
            "resumed_from_the_previous_file": from_previous,
            "last_step_saved": saved_before_kill,
            "kill_window_ms": window_ms,
            "seed": seed,
            "corrupt_files": 0,
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
    assert_eq!(resumed, KILLS);
    assert!(
        in_write > 0,
        "some kills must land inside a checkpoint write"
    );
}
