//! The interop tests' helpers that the wire's tests and the reference subnet's tests share
//! (`wire/tests/common/mod.rs` and `subnet/tests/common/mod.rs` include this file): free
//! ports, the clock, a hand-built Synapse request, and the SDK 11.3.0 peer. Each includer has
//! a `RecentTweetsSynapse` in scope: the wire's own copy of the SDK peers' synapse, or the
//! reference subnet's.

use std::net::TcpListener;

use bt_wire::dendrite::AxonTarget;
use subxt_signer::sr25519::Keypair;

use super::RecentTweetsSynapse;

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Wall-clock ns.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

/// A hand-built signed request (the synapse module's pieces, our own nonce and path), for the
/// cases a well-behaved dendrite never produces. Returns the status and the axon's message.
pub async fn raw_call(target: &AxonTarget, path: &str, nonce: i64) -> (u16, String) {
    raw_call_with_timeout(target, path, nonce, "5.0").await
}

/// [`raw_call`] with a chosen (unsigned) `timeout` header.
pub async fn raw_call_with_timeout(
    target: &AxonTarget,
    path: &str,
    nonce: i64,
    timeout: &str,
) -> (u16, String) {
    use bt_wire::synapse::{body_hash, input_obj_headers, signing_message};
    let key = Keypair::from_secret_key([3; 32]).unwrap();
    let hotkey = bt_core::ss58::bittensor(&key.public_key().0);
    let synapse = RecentTweetsSynapse {
        query: "x".into(),
        ..Default::default()
    };
    let hash = body_hash(&synapse);
    let uuid = "00000000-0000-0000-0000-000000000001";
    let sig = format!(
        "0x{}",
        hex::encode(
            key.sign(signing_message(nonce, &hotkey, &target.hotkey, uuid, &hash).as_bytes())
                .0
        )
    );
    let body = serde_json::json!({"name": path, "timeout": 5.0, "query": "x",
        "dendrite": {"hotkey": hotkey, "nonce": nonce, "uuid": uuid, "version": 9000000, "signature": sig},
        "axon": {"hotkey": target.hotkey, "ip": target.ip, "port": target.port}});
    let mut req = reqwest::Client::new()
        .post(format!("http://{}:{}/{path}", target.ip, target.port))
        .header("name", path)
        .header("timeout", timeout)
        .header("computed_body_hash", &hash)
        .header("bt_header_axon_hotkey", &target.hotkey)
        .header("bt_header_dendrite_hotkey", &hotkey)
        .header("bt_header_dendrite_nonce", nonce.to_string())
        .header("bt_header_dendrite_uuid", uuid)
        .header("bt_header_dendrite_version", "9000000")
        .header("bt_header_dendrite_signature", &sig);
    for (k, v) in input_obj_headers::<RecentTweetsSynapse>() {
        req = req.header(k, v);
    }
    let resp = req.json(&body).send().await.expect("the axon answers");
    let status = resp.status().as_u16();
    let v: serde_json::Value = resp.json().await.unwrap_or_default();
    (
        status,
        v["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// The repository's root.
pub fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The SDK 11.3.0 venv's python (`scripts/setup.sh test` makes it).
pub fn sdk11_python() -> std::path::PathBuf {
    let py = repo().join(".venv-sdk-11/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh test",
        py.display()
    );
    py
}

/// Runs `tests/interop/btauth_peer.py` (the SDK 11.3.0's `http_auth`) with `args` and `input`
/// on stdin; returns its JSON answer.
pub fn btauth_peer(args: &[&str], input: &serde_json::Value) -> serde_json::Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(sdk11_python())
        .arg(repo().join("tests/interop/btauth_peer.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.to_string().as_bytes())
        .expect("python reads");
    let out = child.wait_with_output().expect("python runs");
    assert!(
        out.status.success(),
        "btauth_peer.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from btauth_peer.py")
}
