//! Our dendrite against the official Python SDK's axon, in both releases we pin that have one:
//! 9.0.0 (whose axon requires a signature) and 10.2.0 (the last with Axon and Dendrite).
//! A signed call gets 200 and the miner's answer; a wrong-key signature and a stale nonce get
//! 401; a dead port 503; a synapse the axon does not serve 404.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use subxt_signer::sr25519::Keypair;

mod common;
use common::{free_port, now_ns, raw_call, RecentTweetsSynapse};

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

fn python_axon(venv: &str) -> Peer {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let py = repo.join(venv).join("bin/python");
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
async fn our_dendrite_and_the_sdk_9_axon() {
    against(".venv-sdk").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dendrite_and_the_current_sdk_axon() {
    against(".venv-sdk-current").await;
}

async fn against(venv: &str) {
    let peer = python_axon(venv);
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

    // Back-to-back calls reuse the pooled connection; each nonce is newer than the last.
    for _ in 0..20 {
        let r = d.call(&target, &query).await;
        assert_eq!(r.status, 200, "{}", r.message);
    }
    // A fan-out over several axons answers in the targets' order, each with its own outcome.
    let dead_port = AxonTarget {
        uid: 4,
        port: free_port(),
        ..target.clone()
    };
    let other_key = AxonTarget {
        uid: 5,
        hotkey: bt_core::ss58::bittensor(&[7; 32]),
        ..target.clone()
    };
    let replies = d
        .forward(&[target.clone(), dead_port, other_key], &query)
        .await;
    let got: Vec<(u16, u16)> = replies.iter().map(|r| (r.uid, r.status)).collect();
    assert_eq!(got, vec![(3, 200), (4, 503), (5, 401)]);

    // Signed for another axon hotkey: the signature does not verify → 401.
    let wrong = AxonTarget {
        hotkey: bt_core::ss58::bittensor(&[9; 32]),
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
