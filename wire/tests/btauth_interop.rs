//! btauth/1 against the Python SDK 11.3.0's own `bittensor.http_auth` (in .venv-sdk-11), both
//! ways: the same keys from the same seeds; the payload byte for byte; requests the SDK signs
//! verify here and ours verify there; golden vectors made by the SDK with fixed keys and nonces,
//! each field tampered in turn, refused with the same error on both sides (stale, future,
//! replayed, wrong and missing receiver, ed25519, body and query changed after signing, and the
//! order of the checks); SS58 addresses accepted alike in all 16,384 formats; and our
//! dendrite, in btauth mode, answered by a Python HTTP server that checks every request with
//! the SDK's `verify`.

use bt_wire::btauth::headers::RawHeaders;
use bt_wire::btauth::nonce::{Limits, MemoryNonceStore};
use bt_wire::btauth::verify::{authenticate, Policy};
use bt_wire::btauth::{self, AuthError, Scheme, Signer};
use serde_json::{json, Value};

mod common;
use common::{btauth_peer, free_port, RecentTweetsSynapse};

const SENDER: [u8; 32] = [1; 32];
const SERVER: [u8; 32] = [2; 32];
const OTHER: [u8; 32] = [3; 32];
const ED_SENDER: [u8; 32] = [4; 32];
/// The nonce every golden vector is signed with (2026-09-21), and the receiver's clock a second
/// later.
const NONCE: i64 = 1_790_000_000_000_000_000;
const NOW: i128 = NONCE as i128 + 1_000_000_000;

fn sr(seed: [u8; 32]) -> Signer {
    Signer::sr25519(subxt_signer::sr25519::Keypair::from_secret_key(seed).expect("a key"))
}

fn hex_seed(seed: [u8; 32]) -> String {
    hex::encode(seed)
}

/// The SDK's headers for one request.
fn sdk_sign(
    seed: [u8; 32],
    crypto: &str,
    path: &str,
    body: &[u8],
    receiver: Option<&str>,
) -> Value {
    btauth_peer(
        &["sign"],
        &json!([{ "seed": hex_seed(seed), "crypto": crypto, "method": "POST", "path": path,
                  "body": hex::encode(body), "receiver": receiver, "nonce": NONCE }]),
    )[0]
    .clone()
}

/// One verification case, run by both sides.
#[derive(Clone)]
struct Case {
    name: &'static str,
    headers: Value,
    body: Vec<u8>,
    method: &'static str,
    path: &'static str,
    now: i128,
    require_receiver: bool,
    want: Option<&'static str>,
}

/// Our verdict: `None` accepted, else the SDK's class name for our error.
fn ours(case: &Case, receiver: &str, store: &MemoryNonceStore) -> Option<&'static str> {
    let object = case.headers.as_object().expect("headers are an object");
    let raw = match RawHeaders::from_pairs(
        object
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().expect("string values"))),
    ) {
        Ok(raw) => raw,
        Err(e) => return Some(e.sdk_class()),
    };
    let policy = Policy {
        require_receiver: case.require_receiver,
        ..Policy::new(receiver)
    };
    let verdict = authenticate(&raw, &case.body, case.method, case.path, &policy, case.now)
        .map_err(|e| e.sdk_class())
        .and_then(|a| {
            let caller = a.caller().clone();
            match store.check_and_store_at(
                &caller.hotkey,
                caller.nonce_ns,
                std::time::Instant::now(),
            ) {
                Ok(true) => Ok(()),
                Ok(false) => Err(AuthError::Replayed.sdk_class()),
                Err(e) => panic!("store: {e}"),
            }
        });
    verdict.err()
}

/// The SDK's verdicts for `cases`, in order, sharing one nonce store.
fn sdk(cases: &[Case], receiver: &str) -> Vec<Option<String>> {
    let request = json!({ "cases": cases.iter().map(|c| json!({
        "headers": c.headers, "body": hex::encode(&c.body), "method": c.method, "path": c.path,
        "self_hotkey": receiver, "now_ns": c.now as i64, "require_receiver": c.require_receiver,
    })).collect::<Vec<_>>() });
    btauth_peer(&["verify"], &request)
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn with(headers: &Value, name: &str, value: Option<&str>) -> Value {
    let mut h = headers.clone();
    let object = h.as_object_mut().expect("an object");
    match value {
        Some(v) => {
            object.insert(name.to_string(), json!(v));
        }
        None => {
            object.remove(name);
        }
    }
    h
}

#[test]
fn the_same_seeds_give_the_same_hotkeys_and_payloads_match_byte_for_byte() {
    let keys = btauth_peer(
        &["keys"],
        &json!([{ "seed": hex_seed(SENDER), "crypto": "sr25519" },
                { "seed": hex_seed(ED_SENDER), "crypto": "ed25519" }]),
    );
    assert_eq!(keys[0]["hotkey"], sr(SENDER).hotkey());
    assert_eq!(keys[1]["hotkey"], Signer::ed25519(ED_SENDER).hotkey());

    let cases = [
        (
            Scheme::Sr25519,
            "post",
            "/a/b?c=1&d=%20",
            &b"{\"x\": 1}"[..],
            Some("5Receiver"),
        ),
        (Scheme::Ed25519, "GET", "/", &b""[..], None),
        (
            Scheme::Sr25519,
            "Put",
            "/x?",
            &b"\x00\xff binary"[..],
            Some(""),
        ),
        (
            Scheme::Sr25519,
            "delete",
            "/\u{e9}t\u{e9}",
            &b"\n"[..],
            Some("-"),
        ),
    ];
    let request: Vec<Value> = cases
        .iter()
        .map(|(scheme, method, path, body, receiver)| {
            json!({ "scheme": scheme.name(), "method": method, "path": path,
                    "body": hex::encode(body), "nonce": NONCE, "sender": "5Sender",
                    "receiver": receiver })
        })
        .collect();
    let theirs = btauth_peer(&["payload"], &json!(request));
    for (i, (scheme, method, path, body, receiver)) in cases.iter().enumerate() {
        let ours = btauth::payload(*scheme, method, path, body, NONCE, "5Sender", *receiver);
        assert_eq!(
            hex::encode(ours),
            theirs[i].as_str().expect("hex"),
            "case {i}"
        );
    }
}

#[test]
fn requests_the_sdk_signs_verify_here() {
    let server = sr(SERVER);
    let store = MemoryNonceStore::new(Limits::default());
    for (seed, crypto, scheme) in [
        (SENDER, "sr25519", Scheme::Sr25519),
        (ED_SENDER, "ed25519", Scheme::Ed25519),
    ] {
        let headers = sdk_sign(
            seed,
            crypto,
            "/recent_tweets?lang=en",
            b"{\"query\": \"tao\"}",
            Some(server.hotkey()),
        );
        let raw = RawHeaders::from_pairs(
            headers
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap())),
        )
        .unwrap();
        let caller = authenticate(
            &raw,
            b"{\"query\": \"tao\"}",
            "POST",
            "/recent_tweets?lang=en",
            &Policy::new(server.hotkey()),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{crypto}: {e}"));
        assert_eq!(caller.caller().crypto, scheme);
        assert_eq!(caller.caller().nonce_ns, NONCE);
        assert!(store
            .check_and_store_at(&caller.caller().hotkey, NONCE, std::time::Instant::now())
            .unwrap());
    }
    // Ed25519 signatures are deterministic: ours are the SDK's, bit for bit.
    let theirs = sdk_sign(ED_SENDER, "ed25519", "/x", b"body", Some(server.hotkey()));
    let mine = Signer::ed25519(ED_SENDER).sign_with_nonce(
        "POST",
        "/x",
        b"body",
        Some(server.hotkey()),
        NONCE,
    );
    assert_eq!(theirs[btauth::HEADER_SIGNATURE], mine.signature);
    let as_json: Value = serde_json::from_str(&mine.to_json()).unwrap();
    assert_eq!(as_json, theirs, "the same headers, names and values");
}

#[test]
fn requests_we_sign_verify_with_the_sdk() {
    let server = sr(SERVER);
    let signers = [sr(SENDER), Signer::ed25519(ED_SENDER)];
    let mut cases = Vec::new();
    for (i, s) in signers.iter().enumerate() {
        for (path, body, receiver) in [
            (
                "/recent_tweets",
                &b"{\"query\": \"bitcoin\", \"count\": 5}"[..],
                Some(server.hotkey()),
            ),
            ("/q?a=1&b=%2F&c", &b""[..], Some(server.hotkey())),
            ("/unbound", &b"x"[..], None),
        ] {
            let h = s.sign_with_nonce("POST", path, body, receiver, NONCE + i as i64);
            let headers: Value = serde_json::from_str(&h.to_json()).unwrap();
            cases.push(
                json!({ "headers": headers, "body": hex::encode(body), "method": "POST",
                "path": path, "self_hotkey": server.hotkey(), "now_ns": NOW as i64,
                "require_receiver": receiver.is_some() }),
            );
        }
    }
    // Each signer's three requests share a nonce: only the first of each is new to the SDK's
    // store, so give each its own store by verifying them one by one.
    for case in cases {
        let verdict = btauth_peer(&["verify"], &json!({ "cases": [case.clone()] }));
        assert!(verdict[0].get("ok").is_some(), "{case}: {verdict}");
        assert_eq!(
            verdict[0]["ok"]["nonce_ns"],
            case["headers"][btauth::HEADER_NONCE]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap()
        );
    }
}

#[test]
fn golden_vectors_tampered_field_by_field_are_refused_alike() {
    use btauth::{
        HEADER_CRYPTO as CRYPTO, HEADER_HOTKEY as HOTKEY, HEADER_NONCE as NONCE_H,
        HEADER_RECEIVER as RECEIVER, HEADER_SIGNATURE as SIGNATURE, HEADER_VERSION as VERSION,
    };
    let server = sr(SERVER).hotkey().to_string();
    let body = b"{\"query\": \"\\\"bitcoin\\\"\", \"count\": 20}".to_vec();
    let path = "/recent_tweets?lang=en";
    let golden = sdk_sign(SENDER, "sr25519", path, &body, Some(&server));
    let golden_ed = sdk_sign(ED_SENDER, "ed25519", path, &body, Some(&server));
    let golden_unbound = sdk_sign(OTHER, "sr25519", path, &body, None);
    let signature = golden[SIGNATURE].as_str().unwrap().to_string();
    let mut flipped = hex::decode(&signature[2..]).unwrap();
    flipped[10] ^= 1;
    let other_format = {
        let (key, _) = bt_core::ss58::decode(golden[HOTKEY].as_str().unwrap()).unwrap();
        bt_core::ss58::encode(&key, 0)
    };
    let base = Case {
        name: "untouched",
        headers: golden.clone(),
        body: body.clone(),
        method: "POST",
        path,
        now: NOW,
        require_receiver: true,
        want: None,
    };
    let case = |name, headers: Value, want| Case {
        name,
        headers,
        want,
        ..base.clone()
    };
    let (malformed, receiver, stale, bad, replayed) = (
        Some("MalformedAuth"),
        Some("WrongReceiver"),
        Some("StaleRequest"),
        Some("BadSignature"),
        Some("ReplayedRequest"),
    );
    let cases = vec![
        // Freshness first, so that these run before the golden pair enters the store.
        Case {
            name: "stale: 11 s old",
            now: NONCE as i128 + 11_000_000_000,
            want: stale,
            ..base.clone()
        },
        Case {
            name: "future: 3 s ahead",
            now: NONCE as i128 - 3_000_000_000,
            want: stale,
            ..base.clone()
        },
        Case {
            name: "exactly 10 s old",
            now: NONCE as i128 + 10_000_000_000,
            want: bad,
            body: b"x".to_vec(),
            ..base.clone()
        },
        case("version 2", with(&golden, VERSION, Some("2")), malformed),
        case("no version", with(&golden, VERSION, None), malformed),
        case("no hotkey", with(&golden, HOTKEY, None), malformed),
        case("empty hotkey", with(&golden, HOTKEY, Some("")), malformed),
        case(
            "hotkey not ss58",
            with(&golden, HOTKEY, Some("5NotAnAddress")),
            malformed,
        ),
        case(
            "another hotkey",
            with(&golden, HOTKEY, Some(sr(OTHER).hotkey())),
            bad,
        ),
        case(
            "the same key in format 0",
            with(&golden, HOTKEY, Some(&other_format)),
            bad,
        ),
        case(
            "wrong receiver",
            with(&golden, RECEIVER, Some(sr(OTHER).hotkey())),
            receiver,
        ),
        case("missing receiver", with(&golden, RECEIVER, None), receiver),
        case("no nonce", with(&golden, NONCE_H, None), malformed),
        case(
            "nonce not a number",
            with(&golden, NONCE_H, Some("soon")),
            malformed,
        ),
        case(
            "nonce + 1",
            with(&golden, NONCE_H, Some(&(NONCE + 1).to_string())),
            bad,
        ),
        case(
            "crypto ed25519 on an sr25519 signature",
            with(&golden, CRYPTO, Some("ed25519")),
            bad,
        ),
        case("crypto rsa", with(&golden, CRYPTO, Some("rsa")), malformed),
        case("no signature", with(&golden, SIGNATURE, None), malformed),
        case(
            "signature not hex",
            with(&golden, SIGNATURE, Some("0xnothex")),
            malformed,
        ),
        case(
            "signature truncated",
            with(&golden, SIGNATURE, Some(&signature[..signature.len() - 2])),
            malformed,
        ),
        case(
            "signature bit flipped",
            with(
                &golden,
                SIGNATURE,
                Some(&format!("0x{}", hex::encode(&flipped))),
            ),
            bad,
        ),
        Case {
            name: "body changed after signing",
            body: b"{\"query\": \"eth\", \"count\": 20}".to_vec(),
            want: bad,
            ..base.clone()
        },
        Case {
            name: "query changed after signing",
            path: "/recent_tweets?lang=fr",
            want: bad,
            ..base.clone()
        },
        Case {
            name: "path changed after signing",
            path: "/recent_tweets",
            want: bad,
            ..base.clone()
        },
        Case {
            name: "method changed",
            method: "PUT",
            want: bad,
            ..base.clone()
        },
        // The order of the checks: receiver before freshness, freshness before the encoding.
        Case {
            name: "stale and for someone else",
            headers: with(&golden, RECEIVER, Some("5Else")),
            now: NONCE as i128 + 60_000_000_000,
            want: receiver,
            ..base.clone()
        },
        Case {
            name: "stale with a short signature",
            headers: with(&golden, SIGNATURE, Some("0x00")),
            now: NONCE as i128 + 60_000_000_000,
            want: stale,
            ..base.clone()
        },
        // The untouched request, then the same again and in other spellings of the same
        // signed values: replays.
        base.clone(),
        case("replayed", golden.clone(), replayed),
        case(
            "replayed, nonce spelt ' +0…'",
            with(&golden, NONCE_H, Some(&format!(" +0{NONCE} "))),
            replayed,
        ),
        case(
            "replayed, crypto spelt 'SR25519'",
            with(&golden, CRYPTO, Some("SR25519")),
            replayed,
        ),
        case(
            "replayed, signature without 0x",
            with(&golden, SIGNATURE, Some(&signature[2..])),
            replayed,
        ),
        Case {
            name: "replayed, method in lower case",
            method: "post",
            want: replayed,
            ..base.clone()
        },
        // ed25519.
        case("ed25519", golden_ed.clone(), None),
        case(
            "ed25519 declared as sr25519",
            with(&golden_ed, CRYPTO, None),
            bad,
        ),
        case("ed25519 replayed", golden_ed.clone(), replayed),
        // Unbound requests: refused by default, accepted when the server allows them.
        case(
            "unbound, receiver required",
            golden_unbound.clone(),
            receiver,
        ),
        Case {
            name: "unbound, receiver optional",
            headers: golden_unbound.clone(),
            require_receiver: false,
            want: None,
            ..base.clone()
        },
        Case {
            name: "unbound, with a receiver added",
            headers: with(&golden_unbound, RECEIVER, Some(&server)),
            require_receiver: false,
            want: bad,
            ..base.clone()
        },
    ];
    let theirs = sdk(&cases, &server);
    let store = MemoryNonceStore::new(Limits::default());
    let mut failures = Vec::new();
    for (case, sdk_verdict) in cases.iter().zip(&theirs) {
        let our_verdict = ours(case, &server, &store);
        if sdk_verdict.as_deref() != case.want || our_verdict != case.want {
            failures.push(format!(
                "{}: want {:?}, SDK {:?}, ours {:?}",
                case.name, case.want, sdk_verdict, our_verdict
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(theirs.len(), cases.len());
}

#[test]
fn every_ss58_format_is_accepted_or_refused_alike() {
    let table = btauth_peer(&["ss58", &hex_seed(SENDER)], &json!(null));
    let rows = table.as_array().expect("rows");
    assert_eq!(rows.len(), 16_384);
    let mut accepted = 0;
    for row in rows {
        let (format, address, sdk_accepts) = (
            row[0].as_u64().unwrap(),
            row[1].as_str().unwrap(),
            row[2].as_bool().unwrap(),
        );
        let ours = bt_core::ss58::decode(address);
        assert_eq!(ours.is_ok(), sdk_accepts, "format {format}: {ours:?}");
        if let Ok((key, f)) = ours {
            assert_eq!((key, u64::from(f)), (sr(SENDER).public(), format));
            accepted += 1;
        }
    }
    assert_eq!(accepted, 146);
}

/// A Python HTTP server whose every request goes through the SDK's `verify` (killed on drop).
struct SdkServer {
    child: std::process::Child,
    hotkey: String,
    port: u16,
}

impl Drop for SdkServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sdk_server() -> SdkServer {
    use std::io::BufRead;
    let port = free_port();
    let mut child = std::process::Command::new(common::sdk11_python())
        .arg(common::repo().join("tests/interop/btauth_peer.py"))
        .args(["serve", &port.to_string(), &hex_seed(SERVER)])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the server reports");
    let v: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("serve said {line:?}: {e}"));
    SdkServer {
        child,
        hotkey: v["hotkey"].as_str().expect("hotkey").to_string(),
        port,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_server_verifying_with_the_sdk_answers_our_dendrite() {
    use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
    let server = sdk_server();
    assert_eq!(server.hotkey, sr(SERVER).hotkey());
    let dendrite = Dendrite::new(
        subxt_signer::sr25519::Keypair::from_secret_key(SENDER).unwrap(),
        DendriteConfig {
            timeout: std::time::Duration::from_secs(5),
            protocol: bt_wire::Protocol::Btauth,
            ..DendriteConfig::default()
        },
    )
    .unwrap();
    let target = AxonTarget {
        uid: 7,
        ip: "127.0.0.1".into(),
        port: server.port,
        hotkey: server.hotkey.clone(),
    };
    let query = RecentTweetsSynapse {
        query: "\"bitcoin\"".into(),
        count: Some(5),
        response: None,
    };
    let reply = dendrite.call(&target, &query).await;
    assert_eq!(reply.status, 200, "{}", reply.message);
    let answer = reply.synapse.expect("an answer");
    assert_eq!(answer.query, query.query);
    let tweet = &answer.response.expect("a response")[0]["Tweet"];
    assert_eq!(tweet["Text"], "about \"bitcoin\"");
    assert_eq!(tweet["Count"], 5);
    // The SDK saw our hotkey as the caller.
    assert_eq!(tweet["Username"], sr(SENDER).hotkey());
    // Back to back on pooled connections: every nonce fresh, none taken for a replay.
    for _ in 0..20 {
        let r = dendrite.call(&target, &query).await;
        assert_eq!(r.status, 200, "{}", r.message);
    }
    // A fan-out: a request signed for another hotkey is refused by the SDK (401), a dead port
    // is 503, each in the targets' order.
    let other = AxonTarget {
        uid: 8,
        hotkey: sr(OTHER).hotkey().to_string(),
        ..target.clone()
    };
    let dead = AxonTarget {
        uid: 9,
        port: free_port(),
        ..target.clone()
    };
    let replies = dendrite
        .forward(&[target.clone(), other, dead], &query)
        .await;
    let got: Vec<(u16, u16)> = replies.iter().map(|r| (r.uid, r.status)).collect();
    assert_eq!(got, vec![(7, 200), (8, 401), (9, 503)]);
    assert!(
        replies[1].message.contains("different receiving hotkey"),
        "{}",
        replies[1].message
    );
}
