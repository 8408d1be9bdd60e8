//! `validator localnet` and `validator metagraph` as an operator runs them, against the real
//! runtime under chopsticks: the subnet JSON, the metagraph of that subnet, clear errors, and a
//! node that stops on SIGINT without leaving a process behind.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn validator() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_validator"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs `validator metagraph` with `args`.
fn metagraph(args: &[&str]) -> std::process::Output {
    validator()
        .arg("metagraph")
        .args(args)
        .output()
        .expect("metagraph runs")
}

#[test]
fn localnet_then_metagraph_then_clean_stop() {
    let mut node = validator()
        .args([
            "localnet",
            "--port",
            "0",
            "--miners",
            "3",
            "--validator-stakes",
            "500,200",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("validator localnet starts");
    // The subnet JSON is printed once bootstrapped; read until the closing brace.
    let mut stdout = BufReader::new(node.stdout.take().expect("piped"));
    let mut json = String::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(180) {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("readable") == 0 {
            let mut err = String::new();
            let _ = node.stderr.take().expect("piped").read_to_string(&mut err);
            panic!("localnet exited early: {err}");
        }
        json.push_str(&line);
        if line.starts_with('}') {
            break;
        }
    }
    let subnet: serde_json::Value = serde_json::from_str(&json).expect("subnet JSON");
    let endpoint = subnet["endpoint"].as_str().expect("endpoint").to_string();
    let netuid = subnet["netuid"].as_u64().expect("netuid").to_string();
    assert_eq!(subnet["validators"].as_array().map(Vec::len), Some(2));
    assert_eq!(subnet["miners"][0]["axon"], "127.0.0.2:8091");

    let out = metagraph(&[
        "--subtensor.chain_endpoint",
        &endpoint,
        "--netuid",
        &netuid,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mg: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metagraph JSON");
    assert_eq!(mg["neurons"].as_array().map(Vec::len), Some(1 + 2 + 3));
    assert_eq!(mg["hyperparameters"]["tempo"], 10);

    let table = metagraph(&["--subtensor.chain_endpoint", &endpoint, "--netuid", &netuid]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("127.0.0.4:8093"), "{text}");

    let yuma = validator()
        .args([
            "yuma",
            "--subtensor.chain_endpoint",
            &endpoint,
            "--netuid",
            &netuid,
        ])
        .output()
        .expect("yuma runs");
    assert!(
        yuma.status.success(),
        "{}",
        String::from_utf8_lossy(&yuma.stderr)
    );
    let text = String::from_utf8_lossy(&yuma.stdout);
    assert!(
        text.contains("epoch at block") && text.contains("incentive"),
        "{text}"
    );

    let missing = metagraph(&["--subtensor.chain_endpoint", &endpoint, "--netuid", "999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("subnet 999 does not exist"));

    let wrong = metagraph(&[
        "--subtensor.chain_endpoint",
        "ws://127.0.0.1:1",
        "--netuid",
        "1",
        "--subtensor.timeout",
        "5",
    ]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("cannot connect to ws://127.0.0.1:1"));

    // SIGINT stops the node and the command exits 0; the port is closed afterwards.
    let pid = node.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs")
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = node.try_wait().expect("waitable") {
            break s;
        }
        assert!(Instant::now() < deadline, "localnet did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success());
    let port = endpoint
        .rsplit(':')
        .next()
        .expect("port")
        .parse::<u16>()
        .expect("numeric port");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the node still listens"
    );
}
