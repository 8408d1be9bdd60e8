//! `validator localnet` and `validator metagraph` as an operator runs them, against the real
//! runtime (spec 425) under chopsticks: the subnet JSON, the metagraph of that subnet after
//! two epochs (SS58 keys, stake in α with rao, non-zero consensus and incentive, W and B per
//! mechanism), the epoch replayed by `validator yuma`, clear errors, and a node that stops on
//! SIGINT without leaving a process behind.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn validator() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_validator"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Sets weights from both validators of `subnet` (the bootstrap's dev keys) and builds blocks
/// until two epochs have run.
fn weight_and_run_epochs(subnet: &serde_json::Value) {
    let endpoint = subnet["endpoint"].as_str().expect("endpoint").to_string();
    let netuid = subnet["netuid"].as_u64().expect("netuid") as u16;
    let miners: Vec<u16> = subnet["miners"]
        .as_array()
        .expect("miners")
        .iter()
        .map(|m| m["uid"].as_u64().expect("uid") as u16)
        .collect();
    let uris: Vec<String> = subnet["validators"]
        .as_array()
        .expect("validators")
        .iter()
        .map(|v| v["uri"].as_str().expect("uri").to_string())
        .collect();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let chain = bt_chain::Chain::connect(&endpoint, Duration::from_secs(30))
            .await
            .expect("connects");
        for (i, uri) in uris.iter().enumerate() {
            let mut values: Vec<u16> = vec![65535, 40000, 10000];
            if i == 1 {
                values.reverse();
            }
            let w = bt_chain::weights::WeightsToSet {
                uids: miners.clone(),
                values,
                version_key: 0,
            };
            bt_chain::weights::set_weights(
                &chain,
                &bt_chain::bootstrap::dev_key(uri).expect("dev key"),
                bt_chain::weights::Target::subnet(netuid),
                &w,
            )
            .await
            .expect("set weights");
        }
        bt_chain::localnet::run_epochs(&chain, netuid, 2)
            .await
            .expect("two epochs");
    });
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
            "--commit-reveal",
            "off",
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
    assert_eq!(subnet["spec_version"], 425);

    // Both validators weight the miners; two epochs run.
    weight_and_run_epochs(&subnet);

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
    let neurons = mg["neurons"].as_array().expect("neurons");
    assert_eq!(neurons.len(), 1 + 2 + 3);
    assert_eq!(mg["hyperparameters"]["tempo"], 10);
    assert_eq!(mg["spec_version"], 425);
    for n in neurons {
        let hotkey = n["hotkey"].as_str().expect("an SS58 string");
        assert!(hotkey.starts_with('5') && hotkey.len() == 48, "{hotkey}");
        assert!(n["coldkey"].as_str().is_some_and(|c| c.starts_with('5')));
        let (alpha, rao) = (
            n["alpha_stake"].as_f64().unwrap(),
            n["alpha_stake_rao"].as_u64().unwrap(),
        );
        assert!((alpha - rao as f64 / 1e9).abs() < 1e-9, "α and rao agree");
        assert!(n.get("rank").is_none(), "spec 425 stores no Rank");
    }
    for m in &subnet["miners"].as_array().expect("miners")[..] {
        let n = &neurons[m["uid"].as_u64().unwrap() as usize];
        assert!(n["consensus"].as_f64().unwrap() > 0.0, "{n}");
        assert!(n["incentive"].as_f64().unwrap() > 0.0, "{n}");
        assert_eq!(
            n["axon_info"]["ip"],
            m["axon"].as_str().unwrap().split(':').next().unwrap()
        );
    }
    let mechanism = &mg["mechanisms"][0];
    assert_eq!(
        mechanism["weights"].as_array().map(Vec::len),
        Some(2),
        "two validators' rows"
    );
    assert_eq!(mechanism["bonds"].as_array().map(Vec::len), Some(2));
    assert!(mechanism["incentive"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i.as_f64() > Some(0.0)));

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
