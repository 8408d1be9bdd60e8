//! Wallets across implementations: what the official wallet library (bittensor_wallet 4.1.1, in
//! .venv-sdk) writes, `validator wallet show` reads, including the $NACL-encrypted coldkey; and
//! what `validator wallet create` writes, bittensor_wallet opens, password included.

use std::path::PathBuf;
use std::process::{Command, Output};

const PASSWORD: &str = "correct horse 42";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python(args: &[&str]) -> serde_json::Value {
    let py = repo().join(".venv-sdk/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh",
        py.display()
    );
    let out = Command::new(py)
        .arg(repo().join("tests/interop/wallet_peer.py"))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "wallet_peer.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().expect("a JSON line");
    serde_json::from_str(last).expect("JSON")
}

fn validator(args: &[&str], password: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_validator"));
    c.args(args).env_remove("BT_WALLET_PASSWORD");
    if let Some(p) = password {
        c.env("BT_WALLET_PASSWORD", p);
    }
    c.output().expect("validator runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn a_python_wallet_opens_here() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let made = python(&["create", d, PASSWORD]);
    let args = [
        "wallet",
        "show",
        "--wallet.path",
        d,
        "--wallet.name",
        "py",
        "--wallet.hotkey",
        "hk",
        "--coldkey",
    ];
    let shown = json(&validator(&args, Some(PASSWORD)));
    assert_eq!(shown["hotkey"], made["hotkey"]);
    assert_eq!(shown["coldkey"], made["coldkey"]);

    let wrong = validator(&args, Some("not the password"));
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("wrong password"), "{err}");
    assert!(!err.contains(PASSWORD));
    let missing = validator(&args, None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("is encrypted"));
}

#[test]
fn a_wallet_made_here_opens_in_python() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let made = json(&validator(
        &[
            "wallet",
            "create",
            "--wallet.path",
            d,
            "--wallet.name",
            "rs",
            "--wallet.hotkey",
            "hk",
        ],
        Some(PASSWORD),
    ));
    let opened = python(&["read", d, "rs", "hk", PASSWORD]);
    assert_eq!(opened["hotkey"], made["hotkey"]);
    assert_eq!(opened["coldkey"], made["coldkey"]);
    assert_eq!(opened["coldkeypub"], made["coldkey"]);
}
