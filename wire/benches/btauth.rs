//! btauth/1 verification against the bare sr25519 check it is built on: 256 requests (16
//! senders, the reference task's JSON body, one receiver), verified as the server layer does —
//! headers from an HTTP header map, the five checks, a fresh replay store per batch — and the
//! bare check of the same payloads. Target: verify ≤ 1.2× the bare check.
//! `scripts/bench-btauth-vs-sdk.sh` sets these against the Python SDK on the same requests.

use std::hint::black_box;
use std::time::Instant;

use bt_wire::btauth::headers::RawHeaders;
use bt_wire::btauth::nonce::{Limits, MemoryNonceStore};
use bt_wire::btauth::verify::{authenticate, verify_signature, Policy};
use bt_wire::btauth::{self, Scheme, Signer};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const N: usize = 256;
const NOW: i64 = 1_790_000_000_000_000_000;

struct Request {
    headers: http::HeaderMap,
    body: Vec<u8>,
    payload: Vec<u8>,
    public: [u8; 32],
    signature: [u8; 64],
}

fn requests(receiver: &str) -> Vec<Request> {
    let senders: Vec<Signer> = (0..16u8)
        .map(|i| {
            Signer::sr25519(
                subxt_signer::sr25519::Keypair::from_secret_key([i + 1; 32]).expect("a key"),
            )
        })
        .collect();
    (0..N)
        .map(|i| {
            let signer = &senders[i % senders.len()];
            let body = format!(r#"{{"query": "\"bitcoin\" #{i}", "count": 20}}"#).into_bytes();
            let nonce = NOW - 1_000_000 * i as i64;
            let signed =
                signer.sign_with_nonce("POST", "/recent_tweets", &body, Some(receiver), nonce);
            let mut headers = http::HeaderMap::new();
            for (k, v) in signed.iter() {
                headers.insert(k, http::HeaderValue::from_str(v).expect("a header value"));
            }
            let signature: [u8; 64] = hex::decode(&signed.signature[2..])
                .expect("hex")
                .try_into()
                .expect("64 bytes");
            Request {
                payload: btauth::payload(
                    Scheme::Sr25519,
                    "POST",
                    "/recent_tweets",
                    &body,
                    nonce,
                    signer.hotkey(),
                    Some(receiver),
                ),
                public: signer.public(),
                signature,
                headers,
                body,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let receiver = Signer::ed25519([200; 32]).hotkey().to_string();
    let requests = requests(&receiver);
    let policy = Policy::new(receiver.clone());
    let mut group = c.benchmark_group("btauth");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("bare sr25519 verify, 256 payloads", |b| {
        b.iter(|| {
            for r in &requests {
                assert!(verify_signature(
                    Scheme::Sr25519,
                    black_box(&r.public),
                    black_box(&r.signature),
                    black_box(&r.payload)
                ));
            }
        })
    });
    group.bench_function(
        "verify (headers → caller, replay store), 256 requests",
        |b| {
            b.iter_batched(
                || MemoryNonceStore::new(Limits::default()),
                |store| {
                    for r in &requests {
                        let raw = RawHeaders::from_http(black_box(&r.headers)).expect("headers");
                        let a = authenticate(
                            &raw,
                            &r.body,
                            "POST",
                            "/recent_tweets",
                            &policy,
                            NOW.into(),
                        )
                        .expect("verifies");
                        let caller = a.caller();
                        assert!(store
                            .check_and_store_at(&caller.hotkey, caller.nonce_ns, Instant::now())
                            .expect("room"));
                    }
                    store
                },
                BatchSize::LargeInput,
            )
        },
    );
    group.finish();

    let mut parts = c.benchmark_group("btauth parts");
    let r = &requests[0];
    let sender = bt_core::ss58::bittensor(&r.public);
    parts.bench_function("payload (sha256 of the body, 8 lines)", |b| {
        b.iter(|| {
            btauth::payload(
                Scheme::Sr25519,
                "POST",
                "/recent_tweets",
                black_box(&r.body),
                NOW,
                &sender,
                Some(&receiver),
            )
        })
    });
    parts.bench_function("ss58 decode", |b| {
        b.iter(|| bt_core::ss58::decode(black_box(&sender)))
    });
    parts.bench_function("headers from a header map", |b| {
        b.iter(|| RawHeaders::from_http(black_box(&r.headers)))
    });
    parts.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
