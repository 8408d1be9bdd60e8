//! Our dendrite against the official Python SDK's axon (bittensor 9.0.0, whose axon requires a
//! signature): a signed call gets 200 and the miner's answer; a bad signature and a replayed
//! nonce get 401; a dead port 503; a wrong synapse name 404.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use subxt_signer::sr25519::Keypair;
use validator::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use validator::synapse::RecentTweetsSynapse;

struct Peer {
    child: Child,
    hotkey: String,
    port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn python_axon() -> Peer {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let py = repo.join(".venv-sdk/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh",
        py.display()
    );
    let port = free_port();
    let mut child = Command::new(py)
        .arg(repo.join("tests/interop/axon_peer.py"))
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the axon reports");
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("axon_peer.py said {line:?}: {e}"));
    Peer {
        child,
        hotkey: v["hotkey"].as_str().expect("hotkey").to_string(),
        port,
    }
}

fn dendrite(seed: u8) -> Dendrite {
    Dendrite::new(
        Keypair::from_secret_key([seed; 32]).unwrap(),
        DendriteConfig {
            timeout: Duration::from_secs(5),
            ..DendriteConfig::default()
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dendrite_and_the_sdk_axon() {
    let peer = python_axon();
    let target = AxonTarget {
        uid: 3,
        ip: "127.0.0.1".into(),
        port: peer.port,
        hotkey: peer.hotkey.clone(),
    };
    let d = dendrite(1);
    let query = RecentTweetsSynapse {
        query: "\"bitcoin\"".into(),
        count: Some(5),
        response: None,
    };
    // Retry briefly: uvicorn may still be starting.
    let mut reply = d.call(&target, &query).await;
    for _ in 0..50 {
        if reply.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        reply = d.call(&target, &query).await;
    }
    assert_eq!(reply.status, 200, "{}", reply.message);
    let answer = reply.synapse.expect("an answer");
    assert_eq!(answer.query, query.query);
    let tweet = &answer.response.expect("a response")[0]["Tweet"];
    assert_eq!(tweet["Text"], "about \"bitcoin\"");
    assert_eq!(tweet["Count"], 5);

    // Many calls at once through one pooled client: all 200 (nonces stay strictly increasing).
    let targets = vec![target.clone(); 20];
    let replies = d.forward(&targets, &query).await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, r.message.clone()))
            .collect::<Vec<_>>()
    );

    // Signed for another axon hotkey: the signature does not verify → 401.
    let wrong = AxonTarget {
        hotkey: bt_chain::AccountId32([9; 32]).to_string(),
        ..target.clone()
    };
    let r = d.call(&wrong, &query).await;
    assert_eq!(r.status, 401, "{}", r.message);

    // A correctly signed request whose nonce is a minute old → 401; the same request sent to a
    // synapse name the axon does not serve → 404.
    let stale = raw_call(&target, "RecentTweetsSynapse", now_ns() - 60_000_000_000).await;
    assert_eq!(stale.0, 401, "{}", stale.1);
    assert!(stale.1.contains("Nonce is too old"), "{}", stale.1);
    let unknown = raw_call(&target, "PingAxonSynapse", now_ns()).await;
    assert_eq!(unknown.0, 404, "{}", unknown.1);

    // Nothing listening → 503.
    let dead = AxonTarget {
        port: free_port(),
        ..target.clone()
    };
    assert_eq!(d.call(&dead, &query).await.status, 503);
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

/// A hand-built signed request (the synapse module's pieces, our own nonce and path), for the
/// cases a well-behaved dendrite never produces. Returns the status and the axon's message.
async fn raw_call(target: &AxonTarget, path: &str, nonce: i64) -> (u16, String) {
    use validator::synapse::{body_hash, input_obj_headers, signing_message};
    let key = Keypair::from_secret_key([3; 32]).unwrap();
    let hotkey = bt_chain::AccountId32(key.public_key().0).to_string();
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
        .header("timeout", "5.0")
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
