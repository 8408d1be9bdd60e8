//! Fuzz target: the epoch (sparse, traced and dense) never panics on any input, consistent
//! or not, and a successful run has one entry per uid.
#![no_main]

use arbitrary::Arbitrary;
use bt_core::yuma::{epoch_dense, epoch_sparse, epoch_sparse_traced, EpochInput, EpochParams};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    current_block: u64,
    stake: Vec<u64>,
    last_update: Vec<u64>,
    block_at_registration: Vec<u64>,
    validator_permit: Vec<bool>,
    weights: Vec<Vec<(u16, u16)>>,
    bonds: Vec<Vec<(u16, u16)>>,
    rao_emission: u64,
    params: (u16, u16, u64, u16, bool, u16, u16, bool, u16, i16, u16, u64),
    consistent: bool,
}

fuzz_target!(|case: Case| {
    let mut input = EpochInput {
        current_block: case.current_block,
        stake: case.stake,
        last_update: case.last_update,
        block_at_registration: case.block_at_registration,
        validator_permit: case.validator_permit,
        weights: case.weights,
        bonds: case.bonds,
        rao_emission: case.rao_emission,
        params: EpochParams {
            activity_cutoff: case.params.0,
            kappa: case.params.1,
            bonds_moving_average: case.params.2,
            max_allowed_validators: case.params.3,
            liquid_alpha: case.params.4,
            alpha_low: case.params.5,
            alpha_high: case.params.6,
            yuma3: case.params.7,
            bonds_penalty: case.params.8,
            alpha_sigmoid_steepness: case.params.9,
            tempo: case.params.10,
            last_mechanism_step_block: case.params.11,
        },
    };
    if case.consistent {
        // Most fuzz inputs would stop at the shape check; make half of them well-shaped.
        let n = input.stake.len().min(512);
        input.stake.truncate(n);
        input.last_update.resize(n, 0);
        input.block_at_registration.resize(n, 0);
        input.validator_permit.resize(n, true);
        input.weights.truncate(n);
        input.bonds.truncate(n);
    }
    let n = input.stake.len();
    if let Ok(out) = epoch_sparse(&input) {
        assert_eq!(out.incentive.len(), n);
        assert_eq!(out.bonds.len(), n);
    }
    let _ = epoch_sparse_traced(&input);
    let _ = epoch_dense(&input);
});
