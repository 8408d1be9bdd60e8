//! Timelocked commits (commit-reveal v4) between bittensor 10.2.0 and us, on the spec-425 local
//! chain with commit-reveal on; each side's commit is revealed **by the chain**:
//! 1. the SDK's `set_weights` commits timelocked to drand quicknet (its `bittensor_drand`
//!    carries quicknet's key and takes the round from the clock). Offline only quicknet's round
//!    1000 is signed, so the SDK runs under libfaketime at the time its own formula maps to
//!    round 1000 (`tests/interop/sdk_metagraph.py --fake-round`). Our sync sees the commit;
//!    quicknet's real round-1000 pulse is written; the chain reveals it into W;
//! 2. we commit timelocked to the chain's beacon (the local test beacon, installed for this
//!    part); the SDK's `get_timelocked_weight_commits` lists it; the chain reveals it, and the
//!    SDK reads the row.
//!
//! Needs `.venv-sdk-current` and Debian's `faketime` (both installed by `scripts/setup.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bt_chain::beacon::{write_pulses, TestBeacon};
use bt_chain::bootstrap::{dev_key, BootstrapConfig};
use bt_chain::drand::QUICKNET_ROUND_1000;
use bt_chain::localnet::{run_epochs, LocalnetConfig};
use bt_chain::snapshot::start_bootstrapped;
use bt_chain::timelock::commit_timelocked_weights;
use bt_chain::weights::{Target, WeightsToSet};
use bt_chain::{metagraph, AccountId32};
use serde_json::Value;

/// Debian's libfaketime, under the machine's multiarch folder.
fn libfaketime() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib")
        .ok()?
        .flatten()
        .map(|d| d.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists())
}

fn repo() -> PathBuf {
    LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the checkout")
}

/// Runs the SDK script (10.2.0) with `args`, under libfaketime when `fake_clock`.
fn sdk(endpoint: &str, netuid: u16, args: &[String], fake_clock: Option<&Path>) -> Value {
    let repo = repo();
    let mut c = Command::new(repo.join(".venv-sdk-current/bin/python"));
    c.arg(repo.join("tests/interop/sdk_metagraph.py"))
        .args([endpoint.to_string(), netuid.to_string()])
        .args(args);
    if let Some(file) = fake_clock {
        let lib = libfaketime().expect(
            "libfaketime.so.1 is missing: install Debian's faketime (scripts/setup.sh does)",
        );
        std::fs::write(file, "+0").unwrap();
        c.env("LD_PRELOAD", lib)
            .env("FAKETIME_TIMESTAMP_FILE", file)
            .env("FAKETIME_NO_CACHE", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("TZ", "UTC");
    }
    let out = c.output().expect("the SDK script runs");
    assert!(
        out.status.success(),
        "SDK: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("SDK JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timelocked_commits_are_revealed_by_the_chain_both_ways() {
    // The commit-reveal subnet of the timelock tests, from the snapshot they share; the chain
    // keeps quicknet's real beacon key.
    let (node, chain, subnet) = start_bootstrapped(
        &LocalnetConfig::for_repo(&repo()),
        &BootstrapConfig {
            commit_reveal: true,
            miners: 3,
            ..BootstrapConfig::default()
        },
        None,
    )
    .await
    .expect("the local chain starts with the subnet bootstrapped");
    let endpoint = node.endpoint();
    let netuid = subnet.netuid;
    let miners: Vec<u16> = subnet.miners.iter().map(|m| m.uid).collect();

    // 1. The SDK commits to quicknet round 1000; the chain reveals it with the real pulse.
    let clock = tempfile::NamedTempFile::new().unwrap();
    let pairs: Vec<String> = miners
        .iter()
        .zip([0.2, 0.3, 0.5])
        .map(|(u, w)| format!("{u}={w}"))
        .collect();
    let sdk_validator = &subnet.validators[1];
    sdk(
        &endpoint,
        netuid,
        &[
            "--fake-round".into(),
            "1000".into(),
            "--set-weights".into(),
            format!("{}:{}", sdk_validator.uri, pairs.join(",")),
        ],
        Some(clock.path()),
    );
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    let commit = mg.mechanisms[0]
        .commits
        .iter()
        .find(|c| c.uid == sdk_validator.uid)
        .expect("our sync sees the SDK's timelocked commit");
    assert_eq!(commit.reveal_round, Some(1000), "{commit:?}");
    let signature = hex::decode(QUICKNET_ROUND_1000).unwrap();
    write_pulses(&chain, &[(1000, signature)]).await.unwrap();
    run_epochs(&chain, netuid, 2).await.expect("epochs");
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    let row = &mg.neurons[usize::from(sdk_validator.uid)].weights;
    assert_eq!(
        row.iter().map(|&(d, _)| d).collect::<Vec<_>>(),
        miners,
        "the chain revealed the SDK's commit: {row:?}"
    );
    assert_eq!(row.iter().map(|&(_, w)| w).max(), Some(65535));
    assert!(
        row[2].1 > row[1].1 && row[1].1 > row[0].1,
        "0.2 < 0.3 < 0.5: {row:?}"
    );

    // 2. We commit to the chain's beacon (now the local test beacon); the SDK lists the
    //    commit, the chain reveals it, the SDK reads the row.
    let beacon = TestBeacon::new();
    beacon.install(&chain).await.unwrap();
    let ours = WeightsToSet {
        uids: miners.clone(),
        values: vec![65535, 20000, 1000],
        version_key: 0,
    };
    let our_validator = &subnet.validators[0];
    let committed = commit_timelocked_weights(
        &chain,
        &dev_key(&our_validator.uri).unwrap(),
        Target::subnet(netuid),
        &ours,
        Duration::from_secs(12),
    )
    .await
    .expect("our timelocked commit");
    let listed = sdk(&endpoint, netuid, &["--timelocked-commits".into()], None);
    let ss58 = AccountId32(dev_key(&our_validator.uri).unwrap().public_key().0).to_string();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == ss58.as_str())
        .unwrap_or_else(|| panic!("the SDK lists our commit: {listed}"));
    assert_eq!(entry[1].as_u64(), Some(committed.included_at));
    assert_eq!(entry[3].as_u64(), Some(committed.reveal_round));
    for _ in 0..(3 * (u32::from(mg.hyperparams.tempo) + 2)) {
        beacon.new_blocks(&chain, 1).await.unwrap();
        let now = metagraph::sync(&chain, netuid, None).await.unwrap();
        if now.neurons[usize::from(our_validator.uid)].weights == ours.expected_row() {
            break;
        }
    }
    let read = sdk(&endpoint, netuid, &[], None);
    let sdk_row = read["weights_raw"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0].as_u64() == Some(u64::from(our_validator.uid)))
        .cloned()
        .unwrap_or_else(|| panic!("the SDK reads our revealed row: {read}"));
    assert_eq!(sdk_row[1], serde_json::json!(ours.expected_row()));
    node.stop().await;
}
