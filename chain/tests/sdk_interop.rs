//! Our metagraph sync against the official Python SDK's, on the same node at the same block:
//! uids, hotkeys, coldkeys, stake, C, I, D, Tv, E, W and axons. Weights are set once by us and
//! once by the SDK, so each side reads what the other wrote.
//!
//! Needs `.venv-sdk-chain` (bittensor 8.5.1rc10), which `scripts/setup.sh` creates.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bt_chain::bootstrap::{bootstrap, dev_key, BootstrapConfig};
use bt_chain::localnet::{Localnet, LocalnetConfig};
use bt_chain::weights::{set_weights, WeightsToSet};
use bt_chain::{metagraph, AccountId32, Chain};
use serde_json::Value;

fn repo() -> PathBuf {
    LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("repository with node_modules (run scripts/setup.sh)")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// The SDK holds u16 proportions as float32(x / 65535) and emission as float32(rao / 1e9).
fn sdk_u16(x: u16) -> f64 {
    f64::from((f64::from(x) / 65535.0) as f32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sync_equals_the_sdk_metagraph() {
    let repo = repo();
    let python = repo.join(".venv-sdk-chain/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh",
        python.display()
    );
    let node = Localnet::start(&LocalnetConfig::for_repo(&repo))
        .await
        .expect("local chain");
    let chain = Chain::connect(&node.endpoint(), Duration::from_secs(30))
        .await
        .expect("connects");
    let subnet = bootstrap(&chain, &BootstrapConfig::default())
        .await
        .expect("bootstrap");
    let miners: Vec<u16> = subnet.miners.iter().map(|m| m.uid).collect();

    // Validator 0 sets weights with our crate; validator 1 with the SDK (inside the script).
    let ours_w = WeightsToSet {
        uids: miners.clone(),
        values: vec![65535, 50000, 40000, 30000, 20000, 10000],
        version_key: 0,
    };
    set_weights(
        &chain,
        &dev_key(&subnet.validators[0].uri).unwrap(),
        subnet.netuid,
        &ours_w,
    )
    .await
    .expect("our set_weights");
    let sdk_pairs: Vec<String> = miners
        .iter()
        .zip([0.1, 0.1, 0.1, 0.2, 0.2, 0.3])
        .map(|(u, w)| format!("{u}={w}"))
        .collect();
    let out = Command::new(&python)
        .arg(repo.join("tests/interop/sdk_metagraph.py"))
        .args([node.endpoint(), subnet.netuid.to_string()])
        .args([
            "--set-weights",
            &format!("{}:{}", subnet.validators[1].uri, sdk_pairs.join(",")),
        ])
        .output()
        .expect("the SDK script runs");
    assert!(
        out.status.success(),
        "SDK: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sdk: Value = serde_json::from_slice(&out.stdout).expect("SDK JSON");

    let mg = metagraph::sync(&chain, subnet.netuid, None)
        .await
        .expect("our sync");
    assert_eq!(
        sdk["block"].as_u64(),
        Some(mg.block),
        "both read the same block"
    );
    let n = mg.n();
    assert_eq!(sdk["n"].as_u64(), Some(n as u64));
    assert_eq!(
        sdk["uids"],
        serde_json::json!((0..n as u64).collect::<Vec<_>>())
    );
    let ss58 = |k: &[u8; 32]| AccountId32(*k).to_string();
    assert_eq!(
        sdk["hotkeys"],
        serde_json::json!(mg
            .neurons
            .iter()
            .map(|x| ss58(&x.hotkey))
            .collect::<Vec<_>>())
    );
    assert_eq!(
        sdk["coldkeys"],
        serde_json::json!(mg
            .neurons
            .iter()
            .map(|x| ss58(&x.coldkey))
            .collect::<Vec<_>>())
    );
    assert_eq!(
        sdk["stake_rao"],
        serde_json::json!(mg.neurons.iter().map(|x| x.total_stake).collect::<Vec<_>>())
    );
    // On this runtime (a mock epoch) C, I, D and Tv are all zero, so these four compare zeros;
    // they become informative on a runtime with the real epoch. Stake, E, W and axons are live.
    for (name, ours) in [
        (
            "C",
            mg.neurons.iter().map(|x| x.consensus).collect::<Vec<_>>(),
        ),
        ("I", mg.neurons.iter().map(|x| x.incentive).collect()),
        ("D", mg.neurons.iter().map(|x| x.dividends).collect()),
        ("Tv", mg.neurons.iter().map(|x| x.validator_trust).collect()),
    ] {
        assert_eq!(
            floats(&sdk[name]),
            ours.iter().map(|&x| sdk_u16(x)).collect::<Vec<_>>(),
            "{name}"
        );
    }
    let e: Vec<f64> = mg
        .neurons
        .iter()
        .map(|x| f64::from((x.emission as f64 / 1e9) as f32))
        .collect();
    assert_eq!(floats(&sdk["E"]), e, "E");
    assert!(e.iter().any(|&x| x > 0.0), "some emission to compare");

    // W: the same rows, row-normalised; both validators' rows are non-empty.
    let w = mg.weight_matrix();
    let sdk_w = sdk["W"].as_array().expect("W rows");
    assert_eq!(sdk_w.len(), n);
    for (i, row) in sdk_w.iter().enumerate() {
        let theirs = floats(row);
        assert_eq!(theirs.len(), n, "row {i}");
        for (j, (&a, &b)) in theirs.iter().zip(&w[i]).enumerate() {
            assert!(
                (a - f64::from(b)).abs() < 1e-6,
                "W[{i}][{j}]: SDK {a}, ours {b}"
            );
        }
    }
    for v in &subnet.validators {
        assert!(
            w[usize::from(v.uid)].iter().any(|&x| x > 0.0),
            "validator {} has a row",
            v.uid
        );
    }

    // Axons.
    let axons: Vec<Value> = mg
        .neurons
        .iter()
        .map(|x| serde_json::json!([x.axon.ip_string(), x.axon.port]))
        .collect();
    assert_eq!(sdk["axons"], serde_json::json!(axons));
    node.stop().await;
}
