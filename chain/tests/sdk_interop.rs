//! Our metagraph sync against the official Python SDK's, on the same node at the same block,
//! with non-zero consensus and incentive: bittensor 10.2.0's `metagraph(netuid, mechid,
//! lite=False)` and raw W/B (uids, keys, stake, C, I, D, E, Tv, W, B, axons), and the newest
//! SDK, 11.3.0, reading the same node (metagraph, neurons, weights). Weights are set once by
//! us and once by the SDK (directly, and by hash commit + reveal), so each side reads what
//! the other wrote. Spec 425, and the reading side on spec 385.
//!
//! Needs `.venv-sdk-current` (10.2.0) and `.venv-sdk-11` (11.3.0), which `scripts/setup.sh`
//! creates; both talk to chopsticks through `tests/interop/chopsticks_fix.py`.

use std::path::{Path, PathBuf};
use std::process::Command;

use bt_chain::bootstrap::{dev_key, BootstrapConfig, Subnet};
use bt_chain::localnet::{run_epochs, Localnet, LocalnetConfig, VendoredSpec};
use bt_chain::snapshot::start_bootstrapped;
use bt_chain::weights::{commit_weights, reveal_weights, set_weights, Target, WeightsToSet};
use bt_chain::{metagraph, AccountId32, Chain, ChainError, RevealError, TxError};
use bt_core::metagraph::Metagraph;
use serde_json::Value;

fn repo() -> PathBuf {
    LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("repository with node_modules (run scripts/setup.sh)")
}

/// Runs `tests/interop/sdk_metagraph.py` in `venv` with `args`; its JSON on success.
fn sdk(venv: &str, endpoint: &str, netuid: u16, args: &[String]) -> Value {
    let repo = repo();
    let python = repo.join(venv).join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh",
        python.display()
    );
    let out = Command::new(&python)
        .arg(repo.join("tests/interop/sdk_metagraph.py"))
        .args([endpoint.to_string(), netuid.to_string()])
        .args(args)
        .output()
        .expect("the SDK script runs");
    assert!(
        out.status.success(),
        "SDK in {venv}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("SDK JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// The SDK holds u16 proportions as float32(x / 65535) and rao amounts as float32(rao / 1e9).
fn f32_u16(x: u16) -> f64 {
    f64::from((f64::from(x) / 65535.0) as f32)
}
fn f32_rao(x: u64) -> f64 {
    f64::from((x as f64 / 1e9) as f32)
}

fn column<T: Copy>(mg: &Metagraph, f: impl Fn(&bt_core::metagraph::Neuron) -> T) -> Vec<T> {
    mg.neurons.iter().map(f).collect()
}

fn ss58s(mg: &Metagraph, f: impl Fn(&bt_core::metagraph::Neuron) -> [u8; 32]) -> Value {
    serde_json::json!(mg
        .neurons
        .iter()
        .map(|x| AccountId32(f(x)).to_string())
        .collect::<Vec<_>>())
}

/// W or B rows as the SDK's raw `[[uid, [[dest, u16], …]], …]`, uids with rows only.
fn raw_rows(rows: &[Vec<(u16, u16)>]) -> Value {
    serde_json::json!(rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_empty())
        .map(|(uid, r)| serde_json::json!([uid, r]))
        .collect::<Vec<_>>())
}

/// The SDK's raw rows without the empty ones (the epoch stores empty bond rows; an empty row
/// and an absent one are the same row).
fn non_empty(rows: &Value) -> Value {
    serde_json::json!(rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r[1].as_array().is_some_and(|x| !x.is_empty()))
        .collect::<Vec<_>>())
}

/// bittensor 10.2.0's metagraph equals ours, field by field.
fn assert_equals_sdk_10(sdk: &Value, mg: &Metagraph) {
    let n = mg.n();
    assert_eq!(sdk["block"].as_u64(), Some(mg.block), "the same block");
    assert_eq!(sdk["n"].as_u64(), Some(n as u64));
    assert_eq!(sdk["uids"], serde_json::json!((0..n).collect::<Vec<_>>()));
    assert_eq!(sdk["hotkeys"], ss58s(mg, |x| x.hotkey));
    assert_eq!(sdk["coldkeys"], ss58s(mg, |x| x.coldkey));
    assert_eq!(sdk["active"], serde_json::json!(column(mg, |x| x.active)));
    assert_eq!(
        sdk["validator_permit"],
        serde_json::json!(column(mg, |x| x.validator_permit))
    );
    assert_eq!(
        sdk["last_update"],
        serde_json::json!(column(mg, |x| x.last_update))
    );
    let rao = |f: fn(&bt_core::metagraph::Neuron) -> u64| -> Vec<f64> {
        mg.neurons.iter().map(|x| f32_rao(f(x))).collect()
    };
    assert_eq!(floats(&sdk["alpha_stake"]), rao(|x| x.alpha_stake), "alpha");
    assert_eq!(floats(&sdk["tao_stake"]), rao(|x| x.tao_stake), "tao");
    // The SDK's S is alpha + 0.18 × tao (a client-side constant, not the chain's TaoWeight):
    // equal to ours where nothing is staked on root, as here.
    assert!(mg.neurons.iter().all(|x| x.tao_stake == 0));
    assert_eq!(floats(&sdk["S"]), rao(|x| x.total_stake), "S");
    for (name, ours) in [
        ("C", column(mg, |x| x.consensus)),
        ("I", column(mg, |x| x.incentive)),
        ("D", column(mg, |x| x.dividends)),
        ("Tv", column(mg, |x| x.validator_trust)),
    ] {
        let ours: Vec<f64> = ours.iter().map(|&x| f32_u16(x)).collect();
        assert_eq!(floats(&sdk[name]), ours, "{name}");
    }
    assert_eq!(floats(&sdk["E"]), rao(|x| x.emission), "E");
    // W, row-normalised as the SDK shows it, and the raw rows of W and B.
    let w = mg.weight_matrix();
    for (i, row) in sdk["W"].as_array().expect("W").iter().enumerate() {
        for (j, (a, b)) in floats(row).iter().zip(&w[i]).enumerate() {
            assert!(
                (a - f64::from(*b)).abs() < 1e-6,
                "W[{i}][{j}]: SDK {a}, ours {b}"
            );
        }
    }
    let ours_w: Vec<Vec<(u16, u16)>> = mg.neurons.iter().map(|x| x.weights.clone()).collect();
    let ours_b: Vec<Vec<(u16, u16)>> = mg.neurons.iter().map(|x| x.bonds.clone()).collect();
    assert_eq!(non_empty(&sdk["weights_raw"]), raw_rows(&ours_w), "raw W");
    assert_eq!(non_empty(&sdk["bonds_raw"]), raw_rows(&ours_b), "raw B");
    let axons: Vec<Value> = mg
        .neurons
        .iter()
        .map(|x| serde_json::json!([x.axon.ip_string(), x.axon.port]))
        .collect();
    assert_eq!(sdk["axons"], serde_json::json!(axons));
}

/// bittensor 11.3.0's metagraph, neurons and weights equal ours.
fn assert_equals_sdk_11(sdk: &Value, mg: &Metagraph) {
    assert_eq!(sdk["block"].as_u64(), Some(mg.block), "the same block");
    assert_eq!(sdk["hotkeys"], ss58s(mg, |x| x.hotkey));
    assert_eq!(sdk["coldkeys"], ss58s(mg, |x| x.coldkey));
    assert_eq!(
        sdk["validator_permit"],
        serde_json::json!(column(mg, |x| x.validator_permit))
    );
    assert_eq!(
        sdk["last_update"],
        serde_json::json!(column(mg, |x| x.last_update))
    );
    // Stake and emission in exact rao.
    assert_eq!(
        sdk["alpha_stake_rao"],
        serde_json::json!(column(mg, |x| x.alpha_stake))
    );
    assert_eq!(
        sdk["tao_stake_rao"],
        serde_json::json!(column(mg, |x| x.tao_stake))
    );
    assert_eq!(
        sdk["total_stake_rao"],
        serde_json::json!(column(mg, |x| x.total_stake))
    );
    assert_eq!(
        sdk["emission_rao"],
        serde_json::json!(column(mg, |x| x.emission))
    );
    for (name, ours) in [
        ("C", column(mg, |x| x.consensus)),
        ("I", column(mg, |x| x.incentive)),
        ("D", column(mg, |x| x.dividends)),
    ] {
        let theirs = floats(&sdk[name]);
        for (uid, (a, &b)) in theirs.iter().zip(&ours).enumerate() {
            assert!(
                (a - f64::from(b) / 65535.0).abs() < 1e-9,
                "{name}[{uid}]: SDK {a}, ours {b}"
            );
        }
    }
    let axons: Vec<Value> = mg
        .neurons
        .iter()
        .map(|x| {
            if x.axon.is_serving() {
                serde_json::json!(format!("{}:{}", x.axon.ip_string(), x.axon.port))
            } else {
                Value::Null
            }
        })
        .collect();
    assert_eq!(sdk["axons"], serde_json::json!(axons));
    // get_neurons(lite=False) carries mechanism 0's raw rows; weights() the row fractions.
    let raw = |rows: Vec<Vec<(u16, u16)>>| serde_json::json!(rows);
    assert_eq!(
        sdk["neuron_weights_raw"],
        raw(mg.neurons.iter().map(|x| x.weights.clone()).collect())
    );
    assert_eq!(
        sdk["neuron_bonds_raw"],
        raw(mg.neurons.iter().map(|x| x.bonds.clone()).collect())
    );
    for x in &mg.neurons {
        let total: f64 = x.weights.iter().map(|&(_, w)| f64::from(w)).sum();
        let row = &sdk["weights_fraction"][x.uid.to_string()];
        for &(dest, w) in &x.weights {
            let theirs = row[dest.to_string()].as_f64().expect("a fraction");
            assert!(
                (theirs - f64::from(w) / total).abs() < 1e-12,
                "W[{}][{dest}]",
                x.uid
            );
        }
    }
}

fn ours_weights(subnet: &Subnet) -> WeightsToSet {
    WeightsToSet {
        uids: subnet.miners.iter().map(|m| m.uid).collect(),
        values: vec![65535, 50000, 40000, 30000, 20000, 10000],
        version_key: 0,
    }
}

/// `URI:UID=W,…` for the SDK script.
fn sdk_pairs(uri: &str, subnet: &Subnet, weights: [f64; 6]) -> String {
    let pairs: Vec<String> = subnet
        .miners
        .iter()
        .zip(weights)
        .map(|(m, w)| format!("{}={w}", m.uid))
        .collect();
    format!("{uri}:{}", pairs.join(","))
}

/// A node on spec `spec` with `config`'s subnet, started from the snapshot of its bootstrap.
async fn bootstrapped(spec: &str, config: &BootstrapConfig) -> (Localnet, Chain, Subnet) {
    let repo = repo();
    let mut localnet = LocalnetConfig::for_repo(&repo);
    localnet.chain_spec = VendoredSpec::by_name(spec).expect("vendored").path(&repo);
    start_bootstrapped(&localnet, config, None)
        .await
        .expect("the local chain starts with the subnet bootstrapped")
}

/// Ours and the SDK set weights, two epochs run; at one block both SDKs read what we read.
async fn sync_equals_the_sdks(spec: &str) {
    let (node, chain, subnet) = bootstrapped(spec, &BootstrapConfig::default()).await;
    let endpoint = node.endpoint();
    let target = Target::subnet(subnet.netuid);

    // Validator 0 sets weights with our crate; validator 1 with the SDK.
    set_weights(
        &chain,
        &dev_key(&subnet.validators[0].uri).unwrap(),
        target,
        &ours_weights(&subnet),
    )
    .await
    .expect("our set_weights");
    sdk(
        ".venv-sdk-current",
        &endpoint,
        subnet.netuid,
        &[
            "--set-weights".into(),
            sdk_pairs(
                &subnet.validators[1].uri,
                &subnet,
                [0.1, 0.1, 0.1, 0.2, 0.2, 0.3],
            ),
        ],
    );
    run_epochs(&chain, subnet.netuid, 2).await.expect("epochs");

    let mg = metagraph::sync(&chain, subnet.netuid, None)
        .await
        .expect("our sync");
    let block = ["--block".to_string(), mg.block.to_string()];
    for m in &subnet.miners {
        let x = &mg.neurons[usize::from(m.uid)];
        assert!(
            x.consensus > 0 && x.incentive > 0,
            "non-zero C and I: {x:?}"
        );
    }
    for v in &subnet.validators {
        assert!(!mg.neurons[usize::from(v.uid)].weights.is_empty());
        assert!(!mg.neurons[usize::from(v.uid)].bonds.is_empty());
    }
    let v10 = sdk(".venv-sdk-current", &endpoint, subnet.netuid, &block);
    assert_eq!(v10["sdk"], "10.2.0");
    assert_equals_sdk_10(&v10, &mg);
    let v11 = sdk(".venv-sdk-11", &endpoint, subnet.netuid, &block);
    assert_eq!(v11["sdk"], "11.3.0");
    assert_equals_sdk_11(&v11, &mg);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sync_equals_the_sdks_on_spec_425() {
    sync_equals_the_sdks("425").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_sync_equals_the_sdks_on_spec_385() {
    sync_equals_the_sdks("385").await;
}

/// Commit-reveal by hash (v2) across the two implementations: the SDK commits and reveals,
/// we read the row; we commit and reveal, the SDK reads it. Mechanism 1 of a two-mechanism
/// subnet, so the storage index is not the netuid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_commits_interoperate_in_mechanism_1() {
    let (node, chain, subnet) = bootstrapped(
        "425",
        &BootstrapConfig {
            commit_reveal: true,
            mechanisms: 2,
            ..BootstrapConfig::default()
        },
    )
    .await;
    let endpoint = node.endpoint();
    let target = Target {
        netuid: subnet.netuid,
        mecid: 1,
    };
    let mech = ["--mechid".to_string(), "1".to_string()];
    let salt = [3u16, 1, 4, 1, 5];
    let salt_arg = "3,1,4,1,5";
    let sdk_spec = sdk_pairs(
        &subnet.validators[1].uri,
        &subnet,
        [0.3, 0.2, 0.2, 0.1, 0.1, 0.1],
    );
    let sdk_w = |flag: &str| {
        let (uri, pairs) = sdk_spec.split_once(':').unwrap();
        [
            mech[0].clone(),
            mech[1].clone(),
            flag.to_string(),
            format!("{uri}:{salt_arg}:{pairs}"),
        ]
    };
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let ours = ours_weights(&subnet);

    // Both commit in the same epoch.
    commit_weights(&chain, &v0, target, &ours, &salt)
        .await
        .expect("our commit");
    sdk(
        ".venv-sdk-current",
        &endpoint,
        subnet.netuid,
        &sdk_w("--commit-weights"),
    );

    // Both reveal in the reveal epoch: ours retries until the chain allows it.
    for _ in 0..40 {
        match reveal_weights(&chain, &v0, target, &ours, &salt).await {
            Ok(_) => break,
            Err(ChainError::Tx(TxError::Reveal(RevealError::TooEarly))) => {
                bt_chain::localnet::new_block(&chain).await.unwrap()
            }
            Err(e) => panic!("our reveal: {e}"),
        }
    }
    sdk(
        ".venv-sdk-current",
        &endpoint,
        subnet.netuid,
        &sdk_w("--reveal-weights"),
    );

    let mg = metagraph::sync_mechanism(&chain, subnet.netuid, 1, None)
        .await
        .expect("sync");
    assert_eq!(
        mg.neurons[usize::from(subnet.validators[0].uid)].weights,
        ours.expected_row()
    );
    let sdk_row = &mg.neurons[usize::from(subnet.validators[1].uid)].weights;
    assert_eq!(sdk_row.len(), 6, "the SDK's reveal landed: {sdk_row:?}");
    assert!(
        mg.mechanisms[0].weights.iter().all(|r| r.is_empty()),
        "nothing in mechanism 0"
    );
    let mut read = vec!["--block".to_string(), mg.block.to_string()];
    read.extend(mech);
    let v10 = sdk(".venv-sdk-current", &endpoint, subnet.netuid, &read);
    let ours_rows: Vec<Vec<(u16, u16)>> = mg.neurons.iter().map(|x| x.weights.clone()).collect();
    assert_eq!(
        non_empty(&v10["weights_raw"]),
        raw_rows(&ours_rows),
        "the SDK reads both reveals"
    );
    node.stop().await;
}
