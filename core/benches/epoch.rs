//! Sparse and dense epoch timings: 64 validators weighting every uid, random weights and
//! bonds (the targets: 4096 uids < 0.5 s, 256 uids < 2 ms, on one core).

use bt_core::yuma::{epoch_dense, epoch_sparse, EpochInput, EpochParams};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

/// A small deterministic generator (SplitMix64), so every run times the same subnet.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `n` uids, the first 64 validators with stake, each weighting and bonding all other uids.
pub fn subnet(n: usize, validators: usize) -> EpochInput {
    let mut rng = Rng(n as u64);
    // Each validator row weights (or bonds) every other uid with a random u16.
    let matrix = |rng: &mut Rng| -> Vec<Vec<(u16, u16)>> {
        (0..n)
            .map(|i| {
                (0..n)
                    .filter(|&j| i < validators && j != i)
                    .map(|j| (j as u16, (rng.next() % 65536) as u16))
                    .collect()
            })
            .collect()
    };
    let weights = matrix(&mut rng);
    let bonds = matrix(&mut rng);
    EpochInput {
        current_block: 1000,
        stake: (0..n)
            .map(|i| {
                if i < validators {
                    1_000_000_000 + rng.next() % 1_000_000_000_000
                } else {
                    0
                }
            })
            .collect(),
        last_update: vec![999; n],
        block_at_registration: vec![1; n],
        validator_permit: (0..n).map(|i| i < validators).collect(),
        weights,
        bonds,
        rao_emission: 1_000_000_000,
        params: EpochParams {
            max_allowed_validators: validators as u16,
            ..EpochParams::default()
        },
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("epoch_sparse");
    group.sample_size(10);
    for n in [256usize, 1024, 4096] {
        let input = subnet(n, 64);
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            b.iter(|| epoch_sparse(black_box(input)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("epoch_dense");
    group.sample_size(10);
    for n in [256usize, 1024] {
        let input = subnet(n, 64);
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            b.iter(|| epoch_dense(black_box(input)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
