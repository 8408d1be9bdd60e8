//! Our miner (the `miner` binary) against the official Python SDK's dendrite (bittensor 9.0.0)
//! and against our own dendrite: 200 with matching tweets; unsigned, badly signed and stale
//! requests get 401; the misbehaviour flags produce the statuses the validator must score.
//!
//! The same over btauth/1 (`--wire btauth`): requests signed by the SDK 11.3.0's `http_auth`
//! (sr25519 and ed25519) get 200 and their replay 401; our dendrite gets 200, and 401 for a
//! wrong receiver, an unsigned, a stale and a tampered request, 413 for a body over the cap, 422
//! for a body that is not the request; the misbehaviour flags map to the same statuses as over
//! Synapse; `--wire synapse,btauth` serves both on one port.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bt_subnet_tweets::protocol::RecentTweetsSynapse;
use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use bt_wire::Protocol;
use subxt_signer::sr25519::Keypair;

mod common;
use common::{btauth_peer, free_port, now_ns, raw_call, raw_call_with_timeout};

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
    let hotkey = common::create_miner_wallet(wallets.path());
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
            hotkey,
        },
        _wallets: wallets,
    }
}

fn dendrite() -> Dendrite {
    dendrite_over(Protocol::Synapse)
}

fn dendrite_over(protocol: Protocol) -> Dendrite {
    Dendrite::new(
        Keypair::from_secret_key([5; 32]).unwrap(),
        DendriteConfig {
            timeout: Duration::from_secs(3),
            max_response_bytes: 1 << 20,
            protocol,
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
    assert!(
        stale
            .1
            .contains("Not Verified with error: Nonce is too old: acceptable delta"),
        "the SDK's words: {}",
        stale.1
    );
    // The unsigned timeout header cannot reopen an old request (the SDK's axon would take it).
    let forged = raw_call_with_timeout(
        &m.target,
        "RecentTweetsSynapse",
        now_ns() - 120_000_000_000,
        "100000.0",
    )
    .await;
    assert_eq!(forged.0, 401, "{}", forged.1);
    assert!(
        forged.1.contains("acceptable delta is 64.00 seconds"),
        "the window counts at most 60 s of the timeout: {}",
        forged.1
    );
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
    let message = unsigned
        .headers()
        .get("bt_header_axon_status_message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(message, "Not Verified with error: Missing Signature");
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

/// The `error` kind of a btauth refusal the SDK peer received (its body, as text).
fn refusal(received: &serde_json::Value) -> String {
    let body: serde_json::Value =
        serde_json::from_str(received["body"].as_str().unwrap_or_default()).unwrap_or_default();
    body["error"].as_str().unwrap_or_default().to_string()
}

/// `POST /recent_tweets` to `m` with `body` and btauth headers signed by `signer` for
/// `receiver`, with `nonce`; the status and the JSON answer.
async fn btauth_post(
    m: &Miner,
    signer: &bt_wire::btauth::Signer,
    receiver: &str,
    nonce: i64,
    body: &[u8],
) -> (u16, serde_json::Value) {
    btauth_try_post(m, signer, receiver, nonce, body)
        .await
        .expect("the miner answers")
}

/// [`btauth_post`], or the transport's error.
async fn btauth_try_post(
    m: &Miner,
    signer: &bt_wire::btauth::Signer,
    receiver: &str,
    nonce: i64,
    body: &[u8],
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    let headers = signer.sign_with_nonce("POST", "/recent_tweets", body, Some(receiver), nonce);
    let mut request = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/recent_tweets", m.target.port))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers.iter() {
        request = request.header(k, v);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_sdk_11_signs_get_answers_from_our_btauth_miner() {
    let m = miner(&["--wire", "btauth"]).await;
    let url = format!("http://127.0.0.1:{}/recent_tweets", m.target.port);
    let body = hex::encode(br#"{"query": "\"bitcoin\"", "count": 5}"#);
    for (seed, crypto) in [("11".repeat(32), "sr25519"), ("22".repeat(32), "ed25519")] {
        // The same signed request twice: an answer, then a replay refused.
        let out = btauth_peer(
            &["call", &url, &m.target.hotkey, &seed, crypto, &body, "2"],
            &serde_json::Value::Null,
        );
        assert_eq!(out[0]["status"], 200, "{crypto}: {out}");
        let answer: serde_json::Value =
            serde_json::from_str(out[0]["body"].as_str().unwrap()).unwrap();
        let tweets = answer["response"].as_array().expect("tweets");
        assert_eq!(tweets.len(), 5);
        assert_eq!(answer["query"], "\"bitcoin\"");
        assert_eq!(out[1]["status"], 401, "{crypto}: {out}");
        assert_eq!(refusal(&out[1]), "replayed", "{out}");
    }
    // Signed by the SDK for another hotkey: refused.
    let other = bt_chain::AccountId32([9; 32]).to_string();
    let out = btauth_peer(
        &["call", &url, &other, &"33".repeat(32), "sr25519", &body],
        &serde_json::Value::Null,
    );
    assert_eq!(out[0]["status"], 401, "{out}");
    assert_eq!(refusal(&out[0]), "wrong_receiver", "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dendrite_and_our_btauth_miner_including_refusals() {
    let m = miner(&["--wire", "btauth"]).await;
    let d = dendrite_over(Protocol::Btauth);
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
    for _ in 0..20 {
        let r = d.call(&m.target, &query()).await;
        assert_eq!(r.status, 200, "{}", r.message);
    }
    // A fan-out: answers in order, a wrong receiver 401, a dead port 503.
    let wrong = AxonTarget {
        uid: 2,
        hotkey: bt_chain::AccountId32([9; 32]).to_string(),
        ..m.target.clone()
    };
    let dead = AxonTarget {
        uid: 3,
        port: free_port(),
        ..m.target.clone()
    };
    let got: Vec<(u16, u16)> = d
        .forward(&[m.target.clone(), wrong, dead], &query())
        .await
        .iter()
        .map(|r| (r.uid, r.status))
        .collect();
    assert_eq!(got, vec![(1, 200), (2, 401), (3, 503)]);
    // The Synapse protocol is not served on a btauth-only miner.
    assert_eq!(dendrite().call(&m.target, &query()).await.status, 404);

    let signer = bt_wire::btauth::Signer::sr25519(Keypair::from_secret_key([6; 32]).unwrap());
    let body = br#"{"query": "\"bitcoin\"", "count": 2}"#;
    let (status, answer) = btauth_post(&m, &signer, &m.target.hotkey, now_ns(), body).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = btauth_post(
        &m,
        &signer,
        &m.target.hotkey,
        now_ns() - 11_000_000_000,
        body,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("stale")),
        "{answer}"
    );
    let (status, answer) = btauth_post(&m, &signer, &m.target.hotkey, now_ns(), b"{not json").await;
    assert_eq!(status, 422, "{answer}");
    // Too big: refused from its declared length before a byte of it is read, so a client
    // still sending it may see the connection close before it reads the 413.
    let big = vec![b' '; 2 << 20];
    match btauth_try_post(&m, &signer, &m.target.hotkey, now_ns(), &big).await {
        Ok((status, _)) => assert_eq!(status, 413),
        Err(e) => assert!(
            e.is_request() && !e.is_connect(),
            "closed while sending, not another failure: {e}"
        ),
    }
    // Unsigned, and signed but the body changed on the way.
    let unsigned = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/recent_tweets", m.target.port))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let answer: serde_json::Value = unsigned.json().await.unwrap_or_default();
    assert_eq!(
        answer["error"], "malformed",
        "refused by its headers: {answer}"
    );
    let headers = signer.sign("POST", "/recent_tweets", body, Some(&m.target.hotkey));
    let mut tampered = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/recent_tweets", m.target.port))
        .body(&br#"{"query": "\"bitcoin\"", "count": 50}"#[..]);
    for (k, v) in headers.iter() {
        tampered = tampered.header(k, v);
    }
    let tampered = tampered.send().await.unwrap();
    assert_eq!(tampered.status().as_u16(), 401);
    let text = tampered.text().await.unwrap();
    assert!(
        text.contains("bad_signature") && !text.contains(&headers.signature[2..]),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_btauth_misbehaving_miners_give_the_same_statuses() {
    let d = dendrite_over(Protocol::Btauth);
    for (flags, want) in [
        (vec!["--wire", "btauth", "--behaviour", "error500"], 500u16),
        (vec!["--wire", "btauth", "--behaviour", "garbage"], 422),
        (vec!["--wire", "btauth", "--behaviour", "huge"], 422),
        (vec!["--wire", "btauth", "--delay-ms", "5000"], 408),
    ] {
        let m = miner(&flags).await;
        let r = d.call(&m.target, &query()).await;
        assert_eq!(r.status, want, "{flags:?}: {}", r.message);
        assert!(r.synapse.is_none());
    }
    let m = miner(&["--wire", "btauth", "--behaviour", "duplicates"]).await;
    let tweets = d
        .call(&m.target, &query())
        .await
        .synapse
        .unwrap()
        .response
        .unwrap();
    assert_eq!(tweets[0], tweets[1], "duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_miner_serves_both_protocols_on_one_port() {
    let m = miner(&["--wire", "synapse,btauth"]).await;
    for protocol in [Protocol::Synapse, Protocol::Btauth] {
        let r = dendrite_over(protocol).call(&m.target, &query()).await;
        assert_eq!(r.status, 200, "{protocol}: {}", r.message);
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
    }
}
