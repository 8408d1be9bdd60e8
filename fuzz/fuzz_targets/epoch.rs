//! Fuzz target: the epoch (every rule set, traced or not, per mechanism, the validator row
//! view, and the explorer's explanations of a miner's incentive and a validator's dividends)
//! never panics on any input, consistent or not, and a successful run has one entry per uid
//! (none when no mechanism is counted).
#![no_main]

use arbitrary::Arbitrary;
use bt_core::yuma::{
    epoch_detailed, epoch_mechanism, epoch_with_mechanisms, epoch_with_mechanisms_traced,
    validator_row_view, ConsensusMode, EmissionBudgets, EpochConsensus, EpochHyperparams,
    MechanismInput, Runtime, SubnetEpochInput,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Mechanism {
    last_update: Vec<u64>,
    weights: Vec<Vec<(u16, u16)>>,
    bonds: Vec<Vec<(u16, u16)>>,
    commit_block: Vec<Option<u64>>,
    consensus_by_mechanism: Vec<u16>,
}

#[derive(Debug, Arbitrary)]
struct Case {
    runtime: u8,
    current_block: u64,
    n: u16,
    alpha_stake: Vec<u64>,
    tao_stake: Vec<u64>,
    tao_weight: u64,
    stake_threshold: u64,
    owner_uid: Option<u16>,
    validator_permit: Vec<bool>,
    block_at_registration: Vec<u64>,
    mechanisms: Vec<Mechanism>,
    rao_emission: u64,
    params: (u16, u16, u32, u16, u64, u16, u16, bool),
    params2: (u16, u16, i16, bool, bool, u64, u8),
    split: Option<Vec<u16>>,
    consistent: bool,
    /// Spec 475: Null, the liquid-alpha consensus mode, LastYumaStepBlock, the budgets.
    v475: (bool, u8, Option<u64>, Option<(u64, u64, u64)>),
}

fuzz_target!(|case: Case| {
    let p = case.params;
    let q = case.params2;
    let mut input = SubnetEpochInput {
        runtime: [
            Runtime::Spec385,
            Runtime::Spec397,
            Runtime::Spec425,
            Runtime::Spec475,
        ][usize::from(case.runtime % 4)],
        current_block: case.current_block,
        n: case.n,
        alpha_stake: case.alpha_stake,
        tao_stake: case.tao_stake,
        tao_weight: case.tao_weight,
        stake_threshold: case.stake_threshold,
        owner_uid: case.owner_uid,
        validator_permit: case.validator_permit,
        block_at_registration: case.block_at_registration,
        mechanisms: case
            .mechanisms
            .into_iter()
            .map(|m| MechanismInput {
                last_update: m.last_update,
                weights: m.weights,
                bonds: m.bonds,
                commit_block: m.commit_block,
                consensus_by_mechanism: m.consensus_by_mechanism,
            })
            .collect(),
        rao_emission: case.rao_emission,
        emission_budgets: case.v475.3.map(|(server, validator, root)| EmissionBudgets {
            server,
            validator,
            root,
        }),
        params: EpochHyperparams {
            tempo: p.0,
            activity_cutoff: p.1,
            activity_cutoff_factor_milli: p.2,
            kappa: p.3,
            bonds_moving_average: p.4,
            bonds_penalty: p.5,
            max_allowed_validators: p.6,
            liquid_alpha_enabled: p.7,
            alpha_low: q.0,
            alpha_high: q.1,
            alpha_sigmoid_steepness: q.2,
            yuma3_enabled: q.3,
            commit_reveal_enabled: q.4,
            last_mechanism_step_block: q.5,
            mechanism_count: q.6 % 4,
            mechanism_emission_split: case.split,
            epoch_consensus: if case.v475.0 {
                EpochConsensus::Null
            } else {
                EpochConsensus::Yuma
            },
            liquid_alpha_consensus_mode: ConsensusMode::ALL[usize::from(case.v475.1 % 3)],
            last_yuma_step_block: case.v475.2,
        },
    };
    if case.consistent {
        // Most fuzz inputs would stop at the shape check; make half of them well-shaped.
        let n = usize::from(input.n.min(512));
        input.n = n as u16;
        input.alpha_stake.resize(n, 0);
        input.tao_stake.resize(n, 0);
        input.block_at_registration.resize(n, 0);
        let count = usize::from(input.params.mechanism_count);
        input.mechanisms.resize_with(count, MechanismInput::default);
        for m in &mut input.mechanisms {
            if !m.commit_block.is_empty() {
                m.commit_block.resize(n, None);
            }
        }
    }
    let n = usize::from(input.n);
    if let Ok(out) = epoch_with_mechanisms(&input) {
        // With no mechanism counted nothing runs, as on chain (the core's unit tests pin it).
        let n = if input.params.mechanism_count == 0 { 0 } else { n };
        assert_eq!(out.consensus.len(), n);
        for m in &out.mechanisms {
            assert_eq!(m.incentive.len(), n);
            assert_eq!(m.bonds.len(), n);
        }
    }
    let _ = epoch_with_mechanisms_traced(&input);
    let _ = epoch_mechanism(&input, 0, input.rao_emission);
    let _ = validator_row_view(&input, 0, 0);
    if let Ok(detail) = epoch_detailed(input) {
        // Sometimes one past the last uid, for the error path.
        let uid = case.params.6 % detail.input().n.saturating_add(1);
        for mechanism in 0..detail.output().mechanisms.len() as u8 {
            let _ = detail.validator_row(mechanism, uid);
            let _ = detail.miner(mechanism, uid);
            let _ = detail.dividends(mechanism, uid);
        }
    }
});

