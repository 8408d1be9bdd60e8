//! The synthetic subnets the epoch is timed on, shared by the native benchmark
//! (`benches/epoch.rs`, criterion) and the browser one (`web/tests/epoch_speed.rs`), so both
//! time the same inputs.

use bt_core::yuma::{EpochHyperparams, MechanismInput, Runtime, SubnetEpochInput};

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

/// `n` uids, the first `validators` with stake, each weighting and bonding all other uids in
/// each of `mechanisms` mechanisms (a 25/75 emission split when there are two).
pub fn subnet(n: usize, validators: usize, yuma3: bool, mechanisms: u8) -> SubnetEpochInput {
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
    let mechanism_inputs = (0..mechanisms)
        .map(|_| MechanismInput {
            last_update: vec![999; n],
            weights: matrix(&mut rng),
            bonds: matrix(&mut rng),
            ..MechanismInput::default()
        })
        .collect();
    SubnetEpochInput {
        runtime: Runtime::Spec425,
        current_block: 1000,
        n: n as u16,
        alpha_stake: (0..n)
            .map(|i| {
                if i < validators {
                    1_000_000_000 + rng.next() % 1_000_000_000_000
                } else {
                    0
                }
            })
            .collect(),
        tao_stake: (0..n).map(|_| rng.next() % 1_000_000_000_000).collect(),
        tao_weight: 971_718_665_099_567_868,
        stake_threshold: 1_000_000_000,
        owner_uid: Some(0),
        validator_permit: (0..n).map(|i| i < validators).collect(),
        block_at_registration: vec![1; n],
        mechanisms: mechanism_inputs,
        rao_emission: 1_000_000_000,
        emission_budgets: None,
        params: EpochHyperparams {
            max_allowed_validators: validators as u16,
            yuma3_enabled: yuma3,
            liquid_alpha_enabled: yuma3,
            bonds_penalty: if yuma3 { 32768 } else { u16::MAX },
            mechanism_count: mechanisms,
            mechanism_emission_split: (mechanisms == 2).then(|| vec![16384, 49151]),
            ..EpochHyperparams::default()
        },
    }
}
