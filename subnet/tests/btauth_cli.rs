//! `validator btauth sign` and `validator btauth verify`, against each other and against the
//! SDK 11.3.0's `http_auth`: headers `sign` prints verify with the SDK, headers the SDK makes
//! verify with `verify`, and each refusal exits with its own code (3 malformed, 4 wrong
//! receiver, 5 stale, 6 bad signature; 1 for unreadable input).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

mod common;
use common::btauth_peer;

const NONCE: i64 = 1_790_000_000_000_000_000;

fn validator(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_validator"));
    c.args(args).env_remove("BT_WALLET_PASSWORD");
    c
}

fn create_wallet(dir: &Path, name: &str) -> String {
    let out = validator(&[
        "wallet",
        "create",
        "--wallet.name",
        name,
        "--wallet.hotkey",
        "h",
    ])
    .arg("--wallet.path")
    .arg(dir)
    .output()
    .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("wallet JSON");
    v["hotkey"].as_str().unwrap().to_string()
}

fn verify(dir: &Path, headers: &Value, path: &str, receiver: &str, now: i64) -> Output {
    let file = dir.join("headers.json");
    std::fs::write(&file, headers.to_string()).unwrap();
    validator(&["btauth", "verify", "--path", path, "--receiver", receiver])
        .args(["--now", &now.to_string(), "--body"])
        .arg(dir.join("body.json"))
        .arg("--headers")
        .arg(&file)
        .output()
        .unwrap()
}

#[test]
fn sign_and_verify_against_each_other_and_the_sdk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sender = create_wallet(dir, "client");
    let receiver = create_wallet(dir, "miner");
    let body = br#"{"query": "\"bitcoin\"", "count": 20}"#;
    std::fs::write(dir.join("body.json"), body).unwrap();
    let path = "/recent_tweets?lang=en";

    // The body from stdin; a fixed nonce.
    let mut sign = validator(&[
        "btauth",
        "sign",
        "--wallet.name",
        "client",
        "--wallet.hotkey",
        "h",
    ])
    .arg("--wallet.path")
    .arg(dir)
    .args(["--path", path, "--receiver", &receiver, "--body", "-"])
    .args(["--nonce", &NONCE.to_string()])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    std::io::Write::write_all(&mut sign.stdin.take().unwrap(), body).unwrap();
    let signed = sign.wait_with_output().unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let headers: Value = serde_json::from_slice(&signed.stdout).expect("headers JSON");
    assert_eq!(headers["X-Bittensor-Hotkey"], sender);
    assert_eq!(headers["X-Bittensor-Receiver"], receiver);
    assert_eq!(headers["X-Bittensor-Nonce"], NONCE.to_string());
    let now = NONCE + 1_000_000_000;

    let ok = verify(dir, &headers, path, &receiver, now);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let caller: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        caller,
        json!({"hotkey": sender, "nonce_ns": NONCE, "crypto": "sr25519"})
    );

    // The SDK takes what `sign` printed.
    let sdk = btauth_peer(
        &["verify"],
        &json!({"cases": [{"headers": headers, "body": hex::encode(body), "method": "POST",
            "path": path, "self_hotkey": receiver, "now_ns": now}]}),
    );
    assert_eq!(sdk[0]["ok"]["hotkey"], sender, "{sdk}");

    // `verify` takes what the SDK signs (ed25519 here).
    let theirs = btauth_peer(
        &["sign"],
        &json!([{"seed": "44".repeat(32), "crypto": "ed25519", "method": "POST", "path": path,
            "body": hex::encode(body), "receiver": receiver, "nonce": NONCE}]),
    );
    let ok = verify(dir, &theirs[0], path, &receiver, now);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let caller: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(caller["crypto"], "ed25519");

    // Each refusal has its code and its typed error on stdout.
    let mut no_version = headers.clone();
    no_version
        .as_object_mut()
        .unwrap()
        .remove("X-Bittensor-Version");
    for (name, out, code, kind) in [
        (
            "malformed",
            verify(dir, &no_version, path, &receiver, now),
            3,
            "malformed",
        ),
        (
            "wrong receiver",
            verify(dir, &headers, path, &sender, now),
            4,
            "wrong_receiver",
        ),
        (
            "stale",
            verify(dir, &headers, path, &receiver, now + 60_000_000_000),
            5,
            "stale",
        ),
        (
            "query changed",
            verify(dir, &headers, "/recent_tweets?lang=fr", &receiver, now),
            6,
            "bad_signature",
        ),
    ] {
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let error: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(error["error"], kind, "{name}");
        assert!(
            !String::from_utf8_lossy(&out.stdout)
                .contains(&headers["X-Bittensor-Signature"].as_str().unwrap()[2..]),
            "{name}: the signature is not echoed"
        );
    }
    std::fs::write(dir.join("headers.json"), "[1, 2]").unwrap();
    let bad = validator(&[
        "btauth",
        "verify",
        "--path",
        path,
        "--receiver",
        &receiver,
        "--headers",
    ])
    .arg(dir.join("headers.json"))
    .output()
    .unwrap();
    assert_eq!(bad.status.code(), Some(1));
}
