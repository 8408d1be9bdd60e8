//! Chain faults: the node under a running validator is killed and started again from its
//! database (chopsticks `--db`, same port). The validator keeps running, backs off instead of
//! spinning while the node is away, reconnects, and sets and verifies weights again on the
//! restarted chain. Then the subnet raises its weights version key, and its weights rate limit,
//! between a round's metagraph read and its submission: the submission is refused (counted in
//! `validator_chain_errors`), and a later round lands with the new key, no closer than the new
//! limit. The figures are printed for RELIABILITY.md.

use std::process::Stdio;
use std::time::{Duration, Instant};

use bt_chain::bootstrap::{dev_key, sudo_admin};
use bt_chain::Chain;
use scale_value::Value;

mod common;
use common::localnet::*;

/// The last `n` lines of `text`, newest first.
fn newest_lines(text: &str, n: usize) -> String {
    text.lines().rev().take(n).collect::<Vec<_>>().join("\n")
}

fn wait_for_lines(path: &std::path::Path, needle: &str, count: usize, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.matches(needle).count() >= count {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "no {count} × {needle:?} within {limit:?}:\n{}",
            newest_lines(&text, 30)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A JSON-RPC call over HTTP to the node on 127.0.0.1:`port` (chopsticks answers HTTP too).
fn rpc(port: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    use std::io::{Read, Write};
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        .to_string();
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let json = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(json).unwrap()["result"].clone()
}

/// The blocks of the "match" lines in `log`.
fn match_blocks(log: &str) -> Vec<u64> {
    log.lines()
        .filter(|l| l.contains(MATCH))
        .filter_map(|l| {
            l.split("block=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

const MATCH: &str = "weights verified on chain: match";

#[test]
fn node_killed_and_restarted_from_its_db() {
    let tmp = tempfile::tempdir().unwrap();
    let wallets = tmp.path().join("wallets");
    let db = tmp.path().join("chain.sqlite");
    let port = common::free_port().to_string();
    let metrics_port = common::free_port().to_string();
    let port_base = common::free_port().saturating_sub(10).max(20000);
    let args = [
        "--port",
        port.as_str(),
        "--db",
        db.to_str().unwrap(),
        "--block-time",
        "1",
        "--miners",
        "2",
        "--validator-stakes",
        "1000",
        "--commit-reveal",
        "off",
    ];
    let (node, subnet) = start_localnet(&wallets, port_base, &args);
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].to_string();
    let _miners: Vec<Proc> = (0..2)
        .map(|i| spawn_miner(&wallets, i, port_base, &endpoint, &netuid, &[]))
        .collect();

    let log = tmp.path().join("validator.log");
    let hold = tmp.path().join("hold");
    let mut validator = Proc(
        validator_command(&endpoint, &netuid, &wallets, 0, &tmp.path().join("state"))
            .args([
                "--neuron.sample_size",
                "2",
                "--neuron.timeout",
                "4",
                "--neuron.round_interval",
                "0.5",
                "--subtensor.timeout",
                "15",
                "--metrics.port",
                &metrics_port,
            ])
            .env("RUST_LOG", "info")
            .env("BT_TEST_HOLD_FILE", &hold)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_lines(&log, MATCH, 1, Duration::from_secs(120));
    let before = metagraph(&endpoint, &netuid)["block"].as_u64().unwrap();
    let hash_before = rpc(&port, "chain_getBlockHash", serde_json::json!([before]));
    assert!(hash_before.is_string(), "{hash_before}");

    // The node dies (SIGKILL of `validator localnet`; the node follows it).
    drop(node);
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    assert!(
        validator.0.try_wait().unwrap().is_none(),
        "the validator must survive the node's death"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let attempts = text.matches("chain unreachable; retrying").count();
    let failed_rounds = text.matches("round failed").count();
    assert!(attempts >= 1, "it noticed the node was gone:\n{text}");
    assert!(
        attempts + failed_rounds < 20,
        "it backs off instead of spinning: {attempts} reconnects and {failed_rounds} failed rounds in 10 s"
    );
    let matches_before = text.matches(MATCH).count();

    // The node comes back from its database on the same port.
    let back = Instant::now();
    let (_node, again) = start_localnet(&wallets, port_base, &args);
    assert_eq!(again["netuid"].to_string(), netuid, "the subnet survived");
    let resumed = metagraph(&endpoint, &netuid)["block"].as_u64().unwrap();
    assert!(
        resumed >= before,
        "the chain resumed from its database: block {resumed} after {before}"
    );
    assert_eq!(
        rpc(&port, "chain_getBlockHash", serde_json::json!([before])),
        hash_before,
        "the same chain, not a new one from genesis"
    );
    wait_for_lines(&log, MATCH, matches_before + 1, Duration::from_secs(120));
    let to_match = back.elapsed();
    let text = std::fs::read_to_string(&log).unwrap();
    let last_match_block = match_blocks(&text).into_iter().max().unwrap_or(0);
    assert!(
        last_match_block > before,
        "weights landed on the restarted chain: block {last_match_block}, resumed at {resumed}, killed after {before}:\n{}",
        newest_lines(&text, 25)
    );
    assert!(validator.0.try_wait().unwrap().is_none());

    // The subnet changes its rules under the running validator, each change landing after a
    // round read the metagraph and before it submits (while the hold file exists the
    // validator holds its submission at that point, `test pause at="read, not sent"`): that
    // submission carries the old version key, or ignores the new rate limit, and is refused; a
    // later round reads the change and lands.
    const RATE_LIMIT: u64 = 20;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let chain = rt
        .block_on(Chain::connect(&endpoint, Duration::from_secs(30)))
        .expect("connects");
    let alice = dev_key("//Alice").unwrap();
    let netuid_n: u128 = netuid.parse().unwrap();
    let set = |call: &str, value: u64| {
        rt.block_on(sudo_admin(
            &chain,
            &alice,
            call,
            vec![Value::u128(netuid_n), Value::u128(u128::from(value))],
        ))
        .unwrap_or_else(|e| panic!("{call}: {e}"))
    };
    let refused = |kind: &str| -> f64 {
        http_get(metrics_port.parse().unwrap(), "/metrics")
            .expect("metrics")
            .lines()
            .filter(|l| l.starts_with("validator_chain_errors_total") && l.contains(kind))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .fold(0.0, |a, b| a + b)
    };
    let matches = || {
        std::fs::read_to_string(&log)
            .unwrap()
            .matches(MATCH)
            .count()
    };
    const PAUSE: &str = "test pause at=\"read, not sent\"";
    let pauses = || {
        std::fs::read_to_string(&log)
            .unwrap()
            .matches(PAUSE)
            .count()
    };
    // Returns once the next submission is held between its read and its sending; it stays
    // held until `release`.
    let in_the_window = || {
        let held = pauses();
        std::fs::write(&hold, b"").unwrap();
        wait_for_lines(&log, PAUSE, held + 1, Duration::from_secs(120));
    };
    let release = || std::fs::remove_file(&hold).unwrap();
    let log_tail = || newest_lines(&std::fs::read_to_string(&log).unwrap_or_default(), 40);

    let key = 7;
    in_the_window();
    set("sudo_set_weights_version_key", key);
    release();
    wait_for_lines(&log, MATCH, matches() + 1, Duration::from_secs(120));
    let version_refusals = refused("kind=\"tx_version_key\"");
    assert!(
        version_refusals >= 1.0,
        "a stale version key was refused; metrics:\n{}\nlog:\n{}",
        http_get(metrics_port.parse().unwrap(), "/metrics").unwrap_or_default(),
        log_tail()
    );

    in_the_window();
    set("sudo_set_weights_set_rate_limit", RATE_LIMIT);
    release();
    wait_for_lines(&log, MATCH, matches() + 1, Duration::from_secs(180));
    let rate_refusals = refused("kind=\"tx_rate_limited\"");
    assert!(
        rate_refusals >= 1.0,
        "a submission inside the new rate limit was refused; log:\n{}",
        log_tail()
    );
    let changed_at = metagraph(&endpoint, &netuid)["block"].as_u64().unwrap();
    wait_for_lines(&log, MATCH, matches() + 2, Duration::from_secs(300));
    let text = std::fs::read_to_string(&log).unwrap();
    let blocks_after: Vec<u64> = match_blocks(&text)
        .into_iter()
        .filter(|&b| b > changed_at)
        .collect();
    for pair in blocks_after.windows(2) {
        assert!(
            pair[1] - pair[0] >= RATE_LIMIT,
            "weights no closer than the rate limit: {blocks_after:?}"
        );
    }
    assert!(validator.0.try_wait().unwrap().is_none());
    println!(
        "CHAIN_FAULT {}",
        serde_json::json!({
            "node_down_seconds": back.duration_since(down).as_secs_f64(),
            "reconnect_attempts_while_down": attempts,
            "failed_rounds_while_down": failed_rounds,
            "block_before_kill": before,
            "block_after_restart": resumed,
            "seconds_from_node_start_to_verified_weights": to_match.as_secs_f64(),
            "verified_block_after_restart": last_match_block,
            "version_key_now": key,
            "refused_for_the_version_key_then_landed": version_refusals,
            "refused_for_the_rate_limit_then_landed": rate_refusals,
            "verified_blocks_under_rate_limit_20": blocks_after,
        })
    );
}
