//! btauth/1 verification throughput per CPU-second, for `scripts/bench-btauth-vs-sdk.sh`:
//! `btauth_bench REQUESTS.json ROUNDS` verifies the requests (made by
//! `tests/interop/btauth_bench.py gen`) as the server layer does — headers from an HTTP header
//! map, the five checks, a fresh replay store each round — and, interleaved, the bare sr25519
//! check of the same payloads (the public key from its 32 bytes, as any verifier must). Prints
//! the best round of each as JSON.

use std::hint::black_box;

use bt_wire::btauth::headers::RawHeaders;
use bt_wire::btauth::nonce::{Limits, MemoryNonceStore};
use bt_wire::btauth::verify::{authenticate, verify_signature, Policy};
use bt_wire::btauth::{self, Scheme};

/// This process's CPU time (user + system), ns.
fn cpu_ns() -> u128 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `t`, which lives for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as u128 * 1_000_000_000 + t.tv_nsec as u128
}

struct Request {
    headers: http::HeaderMap,
    body: Vec<u8>,
    method: String,
    target: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: btauth_bench REQUESTS.json ROUNDS";
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(args.get(1).ok_or(usage)?)?)?;
    let rounds: usize = args.get(2).ok_or(usage)?.parse()?;
    let receiver = data["receiver"].as_str().ok_or("no receiver")?.to_string();
    let now = i128::from(data["now_ns"].as_i64().ok_or("no now_ns")?);
    let mut requests = Vec::new();
    for r in data["requests"].as_array().ok_or("no requests")? {
        let mut headers = http::HeaderMap::new();
        for (k, v) in r["headers"].as_object().ok_or("no headers")? {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes())?,
                http::HeaderValue::from_str(v.as_str().ok_or("not a string")?)?,
            );
        }
        requests.push(Request {
            headers,
            body: hex::decode(r["body"].as_str().ok_or("no body")?)?,
            method: r["method"].as_str().ok_or("no method")?.to_string(),
            target: r["path"].as_str().ok_or("no path")?.to_string(),
        });
    }
    // The bare check's inputs, made outside the timing: payload, public key, signature.
    let mut bare = Vec::new();
    for r in &requests {
        let raw = RawHeaders::from_http(&r.headers)?;
        let sender = raw.hotkey.as_deref().ok_or("no hotkey")?;
        let nonce: i64 = raw.nonce.as_deref().ok_or("no nonce")?.parse()?;
        let signature: [u8; 64] =
            hex::decode(&raw.signature.as_deref().ok_or("no signature")?[2..])?
                .try_into()
                .map_err(|_| "not 64 bytes")?;
        let (public, _) = bt_core::ss58::decode(sender)?;
        let payload = btauth::payload(
            Scheme::Sr25519,
            &r.method,
            &r.target,
            &r.body,
            nonce,
            sender,
            Some(&receiver),
        );
        bare.push((payload, public, signature));
    }
    let policy = Policy::new(receiver.clone());
    let (mut best_ours, mut best_bare) = (u128::MAX, u128::MAX);
    let mut accepted = 0;
    for _ in 0..rounds {
        let start = cpu_ns();
        for (payload, public, signature) in &bare {
            assert!(verify_signature(
                Scheme::Sr25519,
                black_box(public),
                black_box(signature),
                black_box(payload)
            ));
        }
        best_bare = best_bare.min(cpu_ns() - start);

        let store = MemoryNonceStore::new(Limits::default());
        accepted = 0;
        let start = cpu_ns();
        for r in &requests {
            let raw = RawHeaders::from_http(black_box(&r.headers))?;
            let caller = authenticate(&raw, &r.body, &r.method, &r.target, &policy, now)?;
            let caller = caller.caller();
            if store.check_and_store_at(
                &caller.hotkey,
                caller.nonce_ns,
                std::time::Instant::now(),
            )? {
                accepted += 1;
            }
        }
        best_ours = best_ours.min(cpu_ns() - start);
    }
    let n = requests.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "n": requests.len(), "rounds": rounds, "accepted": accepted,
            "verify_per_cpu_s": n / (best_ours as f64 / 1e9), "verify_us": best_ours as f64 / 1e3 / n,
            "bare_per_cpu_s": n / (best_bare as f64 / 1e9), "bare_us": best_bare as f64 / 1e3 / n,
        })
    );
    Ok(())
}
