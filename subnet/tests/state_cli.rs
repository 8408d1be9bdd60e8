//! `validator state inspect` on real files: a good state, a damaged current file with a good
//! previous one (reported, left in place), and an empty folder.

use sha2::{Digest, Sha256};
use std::process::Command;

fn state_file(step: u64) -> Vec<u8> {
    let payload = serde_json::json!({
        "netuid": 2, "step": step, "block": 50 + step, "alpha": 0.1,
        "scores": [0.0, 0.75, 0.25], "hotkeys": [null, "5Grw", "5FHn"],
        "task": {"tempo": 10, "buckets": [{"tempo": 4, "miners": {"1": 3, "2": 1}}]},
        "last_weights": {"block": 49, "uids": [1, 2], "values": [65535, 21845], "version_key": 0},
        "last_verification": {"outcome": "match", "uid": 0, "block": 50}
    })
    .to_string();
    let digest = hex::encode(Sha256::digest(payload.as_bytes()));
    format!(
        "bt-validator-state 1 sha256:{digest} {}\n{payload}",
        payload.len()
    )
    .into_bytes()
}

fn inspect(dir: &std::path::Path, json: bool) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_validator"));
    c.args(["state", "inspect", "--state.dir"]).arg(dir);
    if json {
        c.arg("--json");
    }
    c.output().expect("validator runs")
}

#[test]
fn inspect_reads_reports_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let empty = inspect(dir.path(), false);
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no state in"));

    std::fs::write(dir.path().join("state.json"), state_file(7)).unwrap();
    let out = inspect(dir.path(), false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("step 7") && text.contains("last verification: match"),
        "{text}"
    );

    let out = inspect(dir.path(), true);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["state"]["scores"][1], 0.75);
    assert_eq!(v["source"], "current");

    // A damaged current file: reported, the previous one shown, nothing moved.
    std::fs::write(dir.path().join("state.prev.json"), state_file(6)).unwrap();
    let mut bad = state_file(7);
    let i = bad.len() - 5;
    bad[i] ^= 1;
    std::fs::write(dir.path().join("state.json"), &bad).unwrap();
    let out = inspect(dir.path(), false);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checksum"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("step 6"));
    assert_eq!(std::fs::read(dir.path().join("state.json")).unwrap(), bad);
}
