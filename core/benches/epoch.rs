//! Epoch timings (spec 425 rules): 64 validators weighting every uid, random weights and
//! bonds, at 256, 1024 and 4096 uids: Yuma2; Yuma3 with liquid alpha; and Yuma3 with two
//! mechanisms (a 25/75 split, each with its own W and B). The targets: 4096 uids
//! < 0.5 s, 256 uids < 2 ms, on one core. The same subnets timed in WebAssembly in the
//! browser: `scripts/bench-epoch.sh`.

#[path = "common/subnet.rs"]
mod subnet;

use bt_core::yuma::epoch_with_mechanisms;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use subnet::subnet;

fn bench(c: &mut Criterion) {
    for (name, yuma3, mechanisms) in [
        ("epoch_yuma2", false, 1),
        ("epoch_yuma3_liquid_alpha", true, 1),
        ("epoch_yuma3_two_mechanisms", true, 2),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for n in [256usize, 1024, 4096] {
            let input = subnet(n, 64, yuma3, mechanisms);
            group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
                b.iter(|| epoch_with_mechanisms(black_box(input)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
