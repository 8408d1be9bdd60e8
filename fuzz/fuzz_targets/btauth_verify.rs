//! btauth/1 on hostile input: reading the headers (from pairs and from an HTTP header map) and
//! verifying never panic, and nothing is accepted without a valid signature. The fuzzer edits a
//! validly signed request (fixed keys, nonce, body) header by header — keeps, drops or replaces
//! each, adds more — and may change the method, target, body and the receiver's clock; when the
//! result verifies, what it verified (scheme, method, target, body hash, nonce, sender,
//! receiver: the payload) must be exactly what was signed.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use bt_wire::btauth::headers::RawHeaders;
use bt_wire::btauth::verify::{authenticate, Policy};
use bt_wire::btauth::{self, Signer};
use libfuzzer_sys::fuzz_target;

const NONCE: i64 = 1_790_000_000_000_000_000;
const TARGET: &str = "/recent_tweets?lang=en";
const BODY: &[u8] = br#"{"query": "\"bitcoin\"", "count": 20}"#;

#[derive(Arbitrary, Debug)]
enum Edit {
    Keep,
    Drop,
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    ed25519: bool,
    version: Edit,
    hotkey: Edit,
    receiver: Edit,
    nonce: Edit,
    crypto: Edit,
    signature: Edit,
    extra: Vec<(String, Vec<u8>)>,
    method: Option<String>,
    target: Option<String>,
    body: Option<Vec<u8>>,
    clock_offset_ms: i32,
    require_receiver: bool,
}

struct Signed {
    receiver: String,
    headers: Vec<(&'static str, String)>,
    payload: Vec<u8>,
}

fn signed(ed25519: bool) -> &'static Signed {
    static SR: OnceLock<Signed> = OnceLock::new();
    static ED: OnceLock<Signed> = OnceLock::new();
    let make = |signer: Signer| {
        let receiver = Signer::ed25519([9; 32]).hotkey().to_string();
        let headers = signer.sign_with_nonce("POST", TARGET, BODY, Some(&receiver), NONCE);
        Signed {
            headers: headers.iter().map(|(k, v)| (k, v.to_string())).collect(),
            payload: btauth::payload(
                signer.scheme(),
                "POST",
                TARGET,
                BODY,
                NONCE,
                signer.hotkey(),
                Some(&receiver),
            ),
            receiver,
        }
    };
    if ed25519 {
        ED.get_or_init(|| make(Signer::ed25519([8; 32])))
    } else {
        SR.get_or_init(|| {
            make(Signer::sr25519(
                subxt_signer::sr25519::Keypair::from_secret_key([7; 32]).expect("a key"),
            ))
        })
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fuzz_target!(|input: Input| {
    let base = signed(input.ed25519);
    let edits = [
        (btauth::HEADER_VERSION, &input.version),
        (btauth::HEADER_HOTKEY, &input.hotkey),
        (btauth::HEADER_RECEIVER, &input.receiver),
        (btauth::HEADER_NONCE, &input.nonce),
        (btauth::HEADER_CRYPTO, &input.crypto),
        (btauth::HEADER_SIGNATURE, &input.signature),
    ];
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, edit) in edits {
        let original = base.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let value = match edit {
            Edit::Keep => original,
            Edit::Drop => None,
            Edit::Text(t) => Some(t.clone()),
            Edit::Bytes(b) => Some(latin1(b)),
        };
        if let Some(v) = value {
            pairs.push((name.to_string(), v));
        }
    }
    for (name, value) in &input.extra {
        pairs.push((name.clone(), latin1(value)));
    }
    let method = input.method.as_deref().unwrap_or("POST");
    let target = input.target.as_deref().unwrap_or(TARGET);
    let body = input.body.as_deref().unwrap_or(BODY);
    let policy = Policy {
        require_receiver: input.require_receiver,
        ..Policy::new(base.receiver.clone())
    };
    let now = i128::from(NONCE) + i128::from(input.clock_offset_ms) * 1_000_000;

    // The same headers through an HTTP header map (what the server layer reads).
    let mut map = http::HeaderMap::new();
    for (name, value) in &pairs {
        let bytes: Vec<u8> = value.chars().map(|c| c as u32 as u8).collect();
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(&bytes),
        ) {
            map.append(n, v);
        }
    }
    if let Ok(raw) = RawHeaders::from_http(&map) {
        let _ = authenticate(&raw, body, method, target, &policy, now);
    }

    let Ok(raw) = RawHeaders::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    else {
        return;
    };
    if let Ok(accepted) = authenticate(&raw, body, method, target, &policy, now) {
        let caller = accepted.caller();
        let verified = btauth::payload(
            caller.crypto,
            method,
            target,
            body,
            caller.nonce_ns,
            &caller.hotkey,
            raw.receiver.as_deref(),
        );
        assert_eq!(verified, base.payload, "accepted a request that was not signed");
    }
});
