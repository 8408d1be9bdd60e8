//! The weight pipeline (`process_weights` then `convert_weights_and_uids_for_emit`) at
//! n = 256 and 4096. The inputs are written to `target/bench-weights-inputs.json` so that
//! `scripts/bench-weights-vs-sdk.sh` times the Python SDK on exactly the same vectors.

use bt_core::weights::{convert_weights_and_uids_for_emit, process_weights, WeightParams};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

const SIZES: [usize; 2] = [256, 4096];
const MIN_ALLOWED: usize = 8;
const LIMIT: f64 = 0.1;

/// Deterministic f32 scores in (0, 1] (SplitMix64, 24-bit mantissa so they are exact f32).
fn scores(n: usize) -> Vec<f32> {
    let mut state = n as u64;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 40) + 1) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

fn write_inputs() {
    let cases: Vec<serde_json::Value> = SIZES
        .iter()
        .map(|&n| {
            serde_json::json!({
                "n": n, "uids": (0..n).collect::<Vec<_>>(), "weights": scores(n),
                "min_allowed_weights": MIN_ALLOWED, "max_weight_limit": LIMIT, "exclude_quantile": 0,
            })
        })
        .collect();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/bench-weights-inputs.json"
    );
    if let Err(e) = std::fs::write(path, serde_json::Value::Array(cases).to_string()) {
        eprintln!("could not write {path}: {e}");
    }
}

fn bench(c: &mut Criterion) {
    write_inputs();
    let mut group = c.benchmark_group("weight_pipeline");
    for n in SIZES {
        let uids: Vec<u16> = (0..n as u16).collect();
        let w = scores(n);
        let params = WeightParams {
            n,
            min_allowed_weights: MIN_ALLOWED,
            max_weight_limit: LIMIT,
            exclude_quantile: 0,
        };
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let p = process_weights(black_box(&uids), black_box(&w), &params)
                    .map_err(|e| e.to_string())?;
                convert_weights_and_uids_for_emit(&p.uids, &p.weights).map_err(|e| e.to_string())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
