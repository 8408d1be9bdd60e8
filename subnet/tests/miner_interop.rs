//! Our miner (the `miner` binary) against the official Python SDK's dendrite (bittensor 9.0.0)
//! and against our own dendrite: 200 with matching tweets; unsigned, badly signed and stale
//! requests get 401; the misbehaviour flags produce the statuses the validator must score.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bt_subnet_tweets::protocol::RecentTweetsSynapse;
use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use subxt_signer::sr25519::Keypair;

mod common;
use common::{free_port, now_ns, raw_call, raw_call_with_timeout};

struct Miner {
    child: Child,
    target: AxonTarget,
    _wallets: tempfile::TempDir,
}

impl Drop for Miner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts `miner` with `extra` flags on a free port and waits until it accepts connections.
async fn miner(extra: &[&str]) -> Miner {
    let wallets = tempfile::tempdir().unwrap();
    let created = Command::new(env!("CARGO_BIN_EXE_validator"))
        .args([
            "wallet",
            "create",
            "--wallet.name",
            "m",
            "--wallet.hotkey",
            "h",
            "--wallet.path",
        ])
        .arg(wallets.path())
        .env_remove("BT_WALLET_PASSWORD")
        .output()
        .expect("wallet create");
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).expect("wallet JSON");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args([
            "--wallet.name",
            "m",
            "--wallet.hotkey",
            "h",
            "--axon.ip",
            "127.0.0.1",
            "--blacklist.allow_non_registered",
        ])
        .arg("--wallet.path")
        .arg(wallets.path())
        .args(["--axon.port", &port.to_string(), "--corpus-size", "2000"])
        .args(extra)
        .stderr(Stdio::null())
        .spawn()
        .expect("miner starts");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Miner {
        child,
        target: AxonTarget {
            uid: 1,
            ip: "127.0.0.1".into(),
            port,
            hotkey: created["hotkey"].as_str().unwrap().to_string(),
        },
        _wallets: wallets,
    }
}

fn dendrite() -> Dendrite {
    Dendrite::new(
        Keypair::from_secret_key([5; 32]).unwrap(),
        DendriteConfig {
            timeout: Duration::from_secs(3),
            max_response_bytes: 1 << 20,
            ..DendriteConfig::default()
        },
    )
    .unwrap()
}

fn query() -> RecentTweetsSynapse {
    RecentTweetsSynapse {
        query: "\"bitcoin\"".into(),
        count: Some(5),
        response: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_dendrite_gets_200_from_our_miner() {
    let m = miner(&[]).await;
    let py = repo().join(".venv-sdk/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh",
        py.display()
    );
    let out = Command::new(py)
        .arg(repo().join("tests/interop/dendrite_peer.py"))
        .args([
            &m.target.ip,
            &m.target.port.to_string(),
            &m.target.hotkey,
            "\"bitcoin\"",
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).expect("JSON");
    assert_eq!(v["status"], 200, "{v}");
    let tweets = v["response"].as_array().expect("tweets");
    assert_eq!(tweets.len(), 5);
    assert!(tweets
        .iter()
        .all(|t| t["Tweet"]["Text"].as_str().unwrap().contains("bitcoin")
            || t["Tweet"]["Hashtags"].to_string().contains("bitcoin")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dendrite_and_our_miner_including_refusals() {
    let m = miner(&[]).await;
    let d = dendrite();
    let r = d.call(&m.target, &query()).await;
    assert_eq!(r.status, 200, "{}", r.message);
    assert_eq!(
        r.synapse
            .unwrap()
            .response
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        5
    );

    // Stale nonce, replayed nonce, wrong axon hotkey in the signed message: 401 each.
    let stale = raw_call(&m.target, "RecentTweetsSynapse", now_ns() - 60_000_000_000).await;
    assert_eq!(stale.0, 401, "{}", stale.1);
    // The unsigned timeout header cannot reopen an old request (the SDK's axon would take it).
    let forged = raw_call_with_timeout(
        &m.target,
        "RecentTweetsSynapse",
        now_ns() - 120_000_000_000,
        "100000.0",
    )
    .await;
    assert_eq!(forged.0, 401, "{}", forged.1);
    let nonce = now_ns();
    assert_eq!(
        raw_call(&m.target, "RecentTweetsSynapse", nonce).await.0,
        200
    );
    let replay = raw_call(&m.target, "RecentTweetsSynapse", nonce).await;
    assert_eq!(replay.0, 401, "{}", replay.1);
    assert!(replay.1.contains("newer one"), "{}", replay.1);
    let wrong = AxonTarget {
        hotkey: bt_chain::AccountId32([9; 32]).to_string(),
        ..m.target.clone()
    };
    let r = d.call(&wrong, &query()).await;
    assert_eq!(r.status, 401, "{}", r.message);
    assert!(r.message.contains("Signature mismatch"), "{}", r.message);

    // No signature at all: v9 rules make it mandatory.
    let unsigned = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/RecentTweetsSynapse",
            m.target.port
        ))
        .header(
            "bt_header_dendrite_hotkey",
            bt_chain::AccountId32([1; 32]).to_string(),
        )
        .header("bt_header_dendrite_nonce", now_ns().to_string())
        .header("bt_header_dendrite_version", "9000000")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let unknown = raw_call(&m.target, "PingAxonSynapse", now_ns()).await;
    assert_eq!(unknown.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_miners_give_the_statuses_the_validator_scores() {
    let d = dendrite();
    for (flags, want) in [
        (vec!["--behaviour", "error500"], 500u16),
        (vec!["--behaviour", "garbage"], 422),
        (vec!["--behaviour", "huge"], 422),
        (vec!["--delay-ms", "5000"], 408),
    ] {
        let m = miner(&flags).await;
        let r = d.call(&m.target, &query()).await;
        assert_eq!(r.status, want, "{flags:?}: {}", r.message);
        assert!(r.synapse.is_none());
    }
    let m = miner(&["--behaviour", "duplicates"]).await;
    let r = d.call(&m.target, &query()).await;
    let tweets = r.synapse.unwrap().response.unwrap();
    assert_eq!(tweets[0], tweets[1], "duplicates");
    let m = miner(&["--behaviour", "wrong"]).await;
    let r = d.call(&m.target, &query()).await;
    let tweets = r.synapse.unwrap().response.unwrap();
    assert!(tweets[0]["Tweet"]["ID"].as_str().unwrap().starts_with("0x"));
}
