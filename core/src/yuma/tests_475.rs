//! Spec 475's epoch rules against the runtime's own tests, ported: the inputs each test builds
//! and the values or properties it asserts. Sources (the v475 history of PR #3206, read from a
//! stored copy; see ../shared/design/CHAIN_475.md):
//!
//! - `NULL` = coldint/subtensor@02214123eb6d1aae01812fe515f0e0535c9b9da0
//!   pallets/subtensor/src/tests/null_consensus.rs (the same commit as the run_epoch.rs,
//!   mechanism.rs and run_coinbase.rs these rules are read from);
//! - `MODE` = opentensor/subtensor@789097464fb202947aecf9844bc5c0609d552428
//!   pallets/subtensor/src/tests/consensus_mode.rs (the consensus-mode tests of the PR that
//!   introduced `LiquidAlphaConsensusMode`; it stored the previous consensus in `Consensus`,
//!   475 in `ConsensusByMechanism[idx]`, which is what these ports write). No 475-era test of
//!   the mode exists in the stored copies; the padding, truncation and empty-fallback cases
//!   below have no runtime test and are derived by hand from 475's
//!   `compute_consensus_for_liquid_alpha`, each with its derivation.
//!
//! A test's `epoch_mechanism(netuid, MechId::MAIN, E)` is [`epoch_mechanism`]`(input, 0, E)`,
//! `epoch_with_mechanism_budgets(netuid, server, validator, root)` is
//! [`epoch_with_mechanisms`] with those [`EmissionBudgets`]; a term keyed by hotkey `U256(uid)`
//! is entry `uid` of the output vectors.

use super::epoch::{bond_cutoff_block, consensus_for_liquid_alpha};
use super::null::apportion_units;
use super::*;
use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::types::I32F32;

/// `NULL`'s `setup(stakes)`, as the state it leaves: netuid 1 from
/// `add_network_disable_commit_reveal(netuid, u16::MAX - 1, 0)` (tempo 65534, no commit-reveal,
/// Yuma2), four uids appended at block 0 (`BlockAtRegistration` and `LastUpdate` 0), stakes on
/// uids 0 and 1, no owner hotkey, `StakeThreshold` 0 and `TaoWeight` 0 (the mock's), then
/// `do_set_epoch_consensus(Null)` at block 1: the permit for the largest stake only, and
/// `LastYumaStepBlock` seeded from `LastMechansimStepBlock` (0).
fn setup(stakes: [u64; 2]) -> SubnetEpochInput {
    let n = 4;
    let mut alpha = vec![0; n];
    alpha[..2].copy_from_slice(&stakes);
    let winner = usize::from(stakes[1] > stakes[0]);
    SubnetEpochInput {
        runtime: Runtime::Spec475,
        current_block: 1,
        n: n as u16,
        alpha_stake: alpha,
        tao_stake: vec![0; n],
        tao_weight: 0,
        stake_threshold: 0,
        owner_uid: None,
        validator_permit: (0..n).map(|uid| uid == winner).collect(),
        block_at_registration: vec![0; n],
        mechanisms: vec![MechanismInput {
            last_update: vec![0; n],
            weights: vec![Vec::new(); n],
            bonds: vec![Vec::new(); n],
            ..MechanismInput::default()
        }],
        rao_emission: 0,
        emission_budgets: None,
        params: EpochHyperparams {
            tempo: u16::MAX - 1,
            max_allowed_validators: 1,
            epoch_consensus: EpochConsensus::Null,
            last_yuma_step_block: Some(0),
            ..EpochHyperparams::default()
        },
    }
}

/// `NULL`'s `set_weights(netuid, uid, destinations, weights)` on a Null subnet: the row stored
/// raw (the test `null_consensus_preserves_raw_weights_and_epoch_budget` asserts it), and
/// `LastUpdate[uid]` the current block.
fn set_weights(input: &mut SubnetEpochInput, uid: usize, dests: &[u16], weights: &[u16]) {
    let m = &mut input.mechanisms[0];
    m.weights[uid] = dests.iter().copied().zip(weights.iter().copied()).collect();
    m.last_update[uid] = input.current_block;
}

/// `NULL`'s `seed_historical_weights`: a raw row with `LastUpdate[uid] = 1`.
fn seed_historical_weights(
    input: &mut SubnetEpochInput,
    uid: usize,
    dests: &[u16],
    weights: &[u16],
) {
    let m = &mut input.mechanisms[0];
    m.weights[uid] = dests.iter().copied().zip(weights.iter().copied()).collect();
    m.last_update[uid] = 1;
}

fn run(input: &SubnetEpochInput, emission: u64) -> EpochOutput {
    epoch_mechanism(input, 0, emission).expect("a well-formed input")
}

fn within(x: u64, expected: u64, tolerance: u64) -> bool {
    x.abs_diff(expected) <= tolerance
}

/// NULL:null_consensus_winner_incentives_and_stake_dividends_ignore_activity
#[test]
fn null_consensus_winner_incentives_and_stake_dividends_ignore_activity() {
    let mut input = setup([300_000_000, 100_000_000]);
    set_weights(&mut input, 0, &[2, 3], &[3, 1]);
    seed_historical_weights(&mut input, 1, &[3], &[u16::MAX]);
    // Both validators become inactive: block = get_activity_cutoff_blocks + 2, the cutoff being
    // max(1, 13_889 × 65_534 / 1000) = 910_201 (the default ActivityCutoffFactorMilli).
    input.current_block = 910_201 + 2;
    let out = run(&input, 1_000_000);
    assert!(!out.active[0]);
    assert!(!out.active[1]);
    assert!(within(out.validator_emission[0], 375_000, 5));
    assert!(within(out.validator_emission[1], 125_000, 5));
    assert!(within(out.server_emission[2], 375_000, 5));
    assert!(within(out.server_emission[3], 125_000, 5));
    assert_eq!(out.server_emission[0], 0);
    assert_eq!(out.server_emission[1], 0);
    // The exact payouts, by hand from `apportion_units`: validators split ⌊1_000_000 / 2⌋ =
    // 500_000 by stake 3:1 → ⌊3/4 × 500_000⌋ = 375_000 and the rest, 125_000; miners split
    // 500_000 by the raw weights 3:1 → the same.
    assert_eq!(out.validator_emission, [375_000, 125_000, 0, 0]);
    assert_eq!(out.server_emission, [0, 0, 375_000, 125_000]);
    // Stored: incentive ⌊0.75 × 65535⌋ = 49151 and ⌊0.25 × 65535⌋ = 16383 (I32F32 truncation);
    // dividends the same by stake; no consensus or trust; the permit for the winner.
    assert_eq!(out.incentive, [0, 0, 49_151, 16_383]);
    assert_eq!(out.dividends, [49_151, 16_383, 0, 0]);
    assert_eq!(out.consensus, [0; 4]);
    assert_eq!(out.validator_trust, [0; 4]);
    assert_eq!(out.validator_permit, [true, false, false, false]);
}

/// NULL:null_consensus_tie_selects_first_uid
#[test]
fn null_consensus_tie_selects_first_uid() {
    let mut input = setup([100_000_000, 100_000_000]);
    set_weights(&mut input, 0, &[2], &[u16::MAX]);
    seed_historical_weights(&mut input, 1, &[3], &[u16::MAX]);
    let out = run(&input, 1_000_000);
    assert!(within(out.server_emission[2], 500_000, 1));
    assert_eq!(out.server_emission[3], 0);
}

/// NULL:null_consensus_empty_winner_weights_share_across_every_uid
#[test]
fn null_consensus_empty_winner_weights_share_across_every_uid() {
    let mut input = setup([300_000_000, 100_000_000]);
    // The loser's row must not substitute for the empty winner row.
    seed_historical_weights(&mut input, 1, &[3], &[u16::MAX]);
    let out = run(&input, 1_000_000);
    for uid in 0..4 {
        assert!(within(out.server_emission[uid], 125_000, 1));
    }
    assert!(within(out.validator_emission[0], 375_000, 1));
    assert!(within(out.validator_emission[1], 125_000, 1));
}

/// NULL:null_consensus_selects_winner_before_normalized_stake_rounding
#[test]
fn null_consensus_selects_winner_before_normalized_stake_rounding() {
    let mut input = setup([1_000_000_000, 1_000_000_001]);
    seed_historical_weights(&mut input, 0, &[2], &[u16::MAX]);
    set_weights(&mut input, 1, &[3], &[u16::MAX]);
    let out = run(&input, 1_000_000);
    assert_eq!(out.server_emission[2], 0);
    assert!(within(out.server_emission[3], 500_000, 1));
}

/// NULL:null_consensus_stale_winner_row_uses_equal_fallback
#[test]
fn null_consensus_stale_winner_row_uses_equal_fallback() {
    let mut input = setup([300_000_000, 100_000_000]);
    set_weights(&mut input, 0, &[2], &[u16::MAX]);
    seed_historical_weights(&mut input, 1, &[3], &[u16::MAX]);
    // UID 2 was replaced after the winner submitted its weights.
    input.block_at_registration[2] = 2;
    let out = run(&input, 1_000_000);
    for uid in 0..4 {
        assert!(within(out.server_emission[uid], 125_000, 1));
    }
}

/// NULL:null_consensus_preserves_bonds_and_can_switch_back_to_yuma: a Null epoch writes no
/// bonds (the stored rows come out as they went in), and the subnet can run Yuma again.
#[test]
fn null_consensus_preserves_bonds_and_can_switch_back_to_yuma() {
    let mut input = setup([300_000_000, 100_000_000]);
    input.mechanisms[0].bonds[0] = vec![(2, 12_345)];
    input.mechanisms[0].bonds[1] = vec![(3, 54_321)];
    input.rao_emission = 1_000_000;
    let before = input.mechanisms[0].bonds.clone();
    let out = epoch_with_mechanisms(&input).unwrap();
    assert_eq!(out.mechanisms[0].bonds, before);
    input.params.epoch_consensus = EpochConsensus::Yuma;
    epoch_with_mechanisms(&input).expect("Yuma runs again");
}

/// NULL:null_consensus_no_stake_has_only_equal_miner_emissions
#[test]
fn null_consensus_no_stake_has_only_equal_miner_emissions() {
    let out = run(&setup([0, 0]), 1_000_000);
    assert_eq!(out.server_emission, [250_000; 4]);
    assert_eq!(out.validator_emission, [0; 4]);
}

/// NULL:null_consensus_default_and_empty_subnet
#[test]
fn null_consensus_default_and_empty_subnet() {
    assert_eq!(
        EpochHyperparams::default().epoch_consensus,
        EpochConsensus::Yuma
    );
    let mut input = setup([0, 0]);
    input.n = 0;
    input.alpha_stake.clear();
    input.tao_stake.clear();
    input.block_at_registration.clear();
    input.validator_permit.clear();
    input.mechanisms[0] = MechanismInput::default();
    let out = run(&input, 1_000_000);
    assert!(out.emission.is_empty() && out.validator_permit.is_empty());
}

/// NULL:null_apportionment_conserves_large_and_subatomic_budgets
#[test]
fn null_apportionment_conserves_large_and_subatomic_budgets() {
    for budget in [0, 1, 7, 4_097, 1_000_003, u64::MAX] {
        let mut shares = vec![u128::from(u16::MAX); 2_500];
        shares[0] = 1;
        shares[100] = 0;
        let payouts = apportion_units(&shares, budget);
        let sum: u128 = payouts.iter().map(|&p| u128::from(p)).sum();
        assert_eq!(sum, u128::from(budget));
        assert_eq!(payouts[100], 0);
        assert_eq!(payouts, apportion_units(&shares, budget));
        let total: u128 = shares.iter().sum();
        for (share, &paid) in shares.iter().zip(&payouts) {
            let floor = u128::from(budget) * share / total;
            assert!([floor, floor + 1].contains(&u128::from(paid)));
        }
    }
    assert_eq!(
        apportion_units(&[u128::MAX; 2_500], u64::MAX)
            .iter()
            .map(|&p| u128::from(p))
            .sum::<u128>(),
        u128::from(u64::MAX)
    );
}

/// NULL:null_consensus_preserves_raw_weights_and_epoch_budget (its first assertion, that
/// `set_weights` stores the row raw on a Null subnet, is the chain's dispatch, not the epoch:
/// the fixture's `set_weights` stores it so).
#[test]
fn null_consensus_preserves_raw_weights_and_epoch_budget() {
    let mut input = setup([300_000_000, 100_000_000]);
    set_weights(&mut input, 0, &[2, 3], &[65_534, 1]);
    for budget in [0, 1, 3, 131_071, u64::MAX] {
        let out = run(&input, budget);
        let miner_sum: u128 = out.server_emission.iter().map(|&x| u128::from(x)).sum();
        let validator_sum: u128 = out.validator_emission.iter().map(|&x| u128::from(x)).sum();
        assert_eq!(miner_sum, u128::from(budget - budget / 2));
        assert_eq!(validator_sum, u128::from(budget / 2));
        assert_eq!(miner_sum + validator_sum, u128::from(budget));
        for uid in 0..4 {
            assert_eq!(
                out.emission[uid],
                out.server_emission[uid].saturating_add(out.validator_emission[uid])
            );
        }
    }
}

/// NULL:null_consensus_full_row_timelock_reveal_to_emissions, from the row the chain revealed
/// on: 2,500 uids, the winner's row `(j, 1)` for every uid j but `(2, 65_534)`, commit-reveal on
/// (the commit consumed by the reveal), `epoch_mechanism(.., 1_000_001)`. (The encryption and the
/// reveal are the chain's; `chain/tests/timelock.rs` covers them on the real runtime.)
#[test]
fn null_consensus_full_row_timelock_reveal_to_emissions() {
    let mut input = setup([300_000_000, 100_000_000]);
    let n = 2_500;
    input.n = n as u16;
    input.alpha_stake.resize(n, 0);
    input.tao_stake.resize(n, 0);
    input.block_at_registration.resize(n, 0);
    let mut permits = vec![false; n];
    permits[0] = true;
    permits[1] = true;
    input.validator_permit = permits;
    input.params.commit_reveal_enabled = true;
    let m = &mut input.mechanisms[0];
    m.last_update = vec![0; n];
    m.bonds = vec![Vec::new(); n];
    let mut values = vec![1u16; n];
    values[2] = 65_534;
    m.weights = vec![Vec::new(); n];
    m.weights[0] = (0..n as u16).zip(values.iter().copied()).collect();
    // The reveal writes the row in the reveal block (LastUpdate at or after it).
    m.last_update[0] = 2;
    input.current_block = 3;
    let out = run(&input, 1_000_001);
    assert_eq!(out.server_emission.len(), 2_500);
    assert!(out.server_emission.iter().filter(|&&e| e > 0).count() > 2_400);
    let miners: u128 = out.server_emission.iter().map(|&x| u128::from(x)).sum();
    let validators: u128 = out.validator_emission.iter().map(|&x| u128::from(x)).sum();
    assert_eq!(miners, 500_001);
    assert_eq!(miners + validators, 1_000_001);
}

/// NULL:null_no_validator_fallback_excludes_recycled_root_budget, its epoch part:
/// `distribute_emission(netuid, server 500, validator 200, root 300, 0)` with no stake
/// anywhere pays the miners the fallback (server + validator = 700) and stores an `Emission`
/// summing to 700; root's 300 is never redirected (the coinbase recycles it).
#[test]
fn null_no_validator_fallback_excludes_recycled_root_budget() {
    let mut input = setup([0, 0]);
    input.validator_permit = vec![false; 4];
    input.emission_budgets = Some(EmissionBudgets {
        server: 500,
        validator: 200,
        root: 300,
    });
    let out = epoch_with_mechanisms(&input).unwrap();
    assert_eq!(out.emission.iter().sum::<u64>(), 700);
    assert_eq!(out.server_emission.iter().sum::<u64>(), 700);
    assert_eq!(out.validator_emission.iter().sum::<u64>(), 0);
}

/// Four mechanisms with an even split, as `do_set_mechanism_count(netuid, 4)` leaves them.
fn four_mechanisms(input: &mut SubnetEpochInput) {
    input.params.mechanism_count = 4;
    let m = input.mechanisms[0].clone();
    input.mechanisms = vec![m; 4];
}

/// NULL:null_fallback_whole_units_respect_each_mechanism_budget
#[test]
fn null_fallback_whole_units_respect_each_mechanism_budget() {
    let mut input = setup([0, 0]);
    input.validator_permit = vec![false; 4];
    four_mechanisms(&mut input);
    for local_budget in [0u64, 1, 2, 7, 700, u64::MAX - 300] {
        let total_budget = local_budget.saturating_add(300);
        input.emission_budgets = Some(EmissionBudgets {
            server: local_budget,
            validator: 0,
            root: total_budget.saturating_sub(local_budget),
        });
        let out = epoch_with_mechanisms(&input).unwrap();
        assert_eq!(out.server_emission.iter().sum::<u64>(), local_budget);
        assert!(out.validator_emission.iter().all(|&d| d == 0));
        assert_eq!(out.emission.iter().sum::<u64>(), local_budget);
    }
}

/// NULL:null_multiple_mechanisms_cannot_multiply_miner_rounding_remainders
#[test]
fn null_multiple_mechanisms_cannot_multiply_miner_rounding_remainders() {
    let mut input = setup([300_000_000, 100_000_000]);
    four_mechanisms(&mut input);
    for miner_budget in [0u64, 1, 2, 3, 5, 501, 1_000_001] {
        input.emission_budgets = Some(EmissionBudgets {
            server: miner_budget,
            validator: 200,
            root: 300,
        });
        let out = epoch_with_mechanisms(&input).unwrap();
        assert_eq!(out.server_emission.iter().sum::<u64>(), miner_budget);
        assert_eq!(out.validator_emission.iter().sum::<u64>(), 500);
        assert_eq!(out.emission.iter().sum::<u64>(), miner_budget + 500);
    }
    // Independently rounded 251-unit mechanism totals would pay 504 miners; the public
    // 1,002-unit epoch must pay exactly 501 instead.
    input.emission_budgets = None;
    input.rao_emission = 1_002;
    let out = epoch_with_mechanisms(&input).unwrap();
    assert_eq!(out.server_emission.iter().sum::<u64>(), 501);
    assert_eq!(out.validator_emission.iter().sum::<u64>(), 501);
}

/// NULL:null_bond_cutoff_tracks_last_yuma_epoch_not_null_epochs. The switches'
/// `do_set_epoch_consensus` seeds `LastYumaStepBlock` from `LastMechansimStepBlock` when Yuma
/// goes Null and none is stored (subnets/mechanism.rs at the same commit); the fixture shows
/// that state directly.
#[test]
fn null_bond_cutoff_tracks_last_yuma_epoch_not_null_epochs() {
    let mut input = setup([300_000_000, 100_000_000]);
    input.params.epoch_consensus = EpochConsensus::Yuma;
    input.params.last_yuma_step_block = None;
    input.params.last_mechanism_step_block = 10;
    let cutoff = |input: &SubnetEpochInput, current: u64, tempo: u16| {
        let mut at = input.clone();
        at.current_block = current;
        at.params.tempo = tempo;
        bond_cutoff_block(&at)
    };
    assert_eq!(cutoff(&input, 20, 5), 11);
    // do_set_epoch_consensus(Null): LastYumaStepBlock absent → seeded with 10.
    input.params.epoch_consensus = EpochConsensus::Null;
    input.params.last_yuma_step_block = Some(10);
    input.params.last_mechanism_step_block = 100;
    assert_eq!(cutoff(&input, 100, 5), 11);
    input.params.epoch_consensus = EpochConsensus::Yuma;
    assert_eq!(cutoff(&input, 101, 5), 11);
    input.params.last_yuma_step_block = Some(101);
    assert_eq!(cutoff(&input, 102, 5), 102);
    // No LastYumaStepBlock and LastMechansimStepBlock 0: current − tempo (the code's last arm).
    input.params.last_yuma_step_block = None;
    input.params.last_mechanism_step_block = 0;
    assert_eq!(cutoff(&input, 102, 5), 97);
}

/// NULL:null_replaced_miner_bonds_match_clean_baseline_after_return_to_yuma: bonds frozen by
/// Null, a miner replaced meanwhile, then Yuma again: stale bonds to the replaced uid change
/// nothing (the bond cut-off masks its column), under Yuma2 and Yuma3.
#[test]
fn null_replaced_miner_bonds_match_clean_baseline_after_return_to_yuma() {
    for yuma3 in [false, true] {
        let run_with = |stale_bonds: bool| {
            let mut input = setup([300_000_000, 300_000_000]);
            input.params.yuma3_enabled = yuma3;
            input.params.last_mechanism_step_block = 10;
            let m = &mut input.mechanisms[0];
            if stale_bonds {
                m.bonds[0] = vec![(2, 32_767), (3, 32_768)];
                m.bonds[1] = vec![(3, u16::MAX)];
            } else {
                m.bonds[0] = vec![(2, 32_767)];
            }
            // setup()'s switch already seeded LastYumaStepBlock = 0, so the test's second
            // do_set_epoch_consensus(Null) does not seed it again: the cut-off is 0 + 1.
            // replace_neuron(netuid, 3, U256(4), 50): uid 3 re-registered at block 50, its own
            // rows cleared, LastUpdate[3] = 50.
            input.block_at_registration[3] = 50;
            m.weights[3].clear();
            m.bonds[3].clear();
            m.last_update[3] = 50;
            input.params.last_mechanism_step_block = 100;
            input.current_block = 110;
            set_weights(&mut input, 0, &[2], &[u16::MAX]);
            seed_historical_weights(&mut input, 1, &[2], &[u16::MAX]);
            // do_set_epoch_consensus(Yuma) restores MaxAllowedValidators (2, saved by the
            // switch to Null); the stored permits stay the winner's.
            input.params.epoch_consensus = EpochConsensus::Yuma;
            input.params.max_allowed_validators = 2;
            input.current_block = 111;
            let out = run(&input, 1_000);
            (out.bonds, out.dividends, out.validator_emission)
        };
        assert_eq!(run_with(true), run_with(false), "Yuma3={yuma3}");
    }
}

/// NULL:null_election_replaces_permit_and_dividends_include_nonpermit_stake
#[test]
fn null_election_replaces_permit_and_dividends_include_nonpermit_stake() {
    let mut input = setup([300_000_000, 100_000_000]);
    input.alpha_stake[1] += 300_000_000;
    let out = run(&input, 700);
    assert!(!out.validator_permit[0]);
    assert!(out.validator_permit[1]);
    assert_eq!(out.validator_permit.iter().filter(|&&p| p).count(), 1);
    assert_eq!(out.validator_emission[0], 150);
    assert_eq!(out.validator_emission[1], 200);
    // persist_netuid_epoch_terms stores those permits.
    let stored = epoch_with_mechanisms(&SubnetEpochInput {
        rao_emission: 700,
        ..input
    })
    .unwrap();
    assert_eq!(stored.validator_permit, [false, true, false, false]);
}

/// NULL:null_invalid_historical_row_does_not_affect_rewards: a row that is not the winner's
/// is never read (the runtime's is undecodable; here it is any row at all).
#[test]
fn null_invalid_historical_row_does_not_affect_rewards() {
    let mut input = setup([300_000_000, 100_000_000]);
    set_weights(&mut input, 0, &[2], &[1]);
    input.mechanisms[0].weights[1] = vec![(3, u16::MAX), (9_999, 7), (0, 1)];
    let out = run(&input, 100);
    assert_eq!(out.server_emission[2], 50);
}

/// The NULL tests' `null_timelock_winner_preempts_junk_and_replaces_own_row` epoch fact: with
/// stakes 300M/100M/500M/0 the permit goes to uid 2, which held none before.
#[test]
fn null_consensus_permit_goes_to_the_largest_stake_without_a_permit() {
    let mut input = setup([300_000_000, 100_000_000]);
    input.alpha_stake[2] = 500_000_000;
    let out = run(&input, 0);
    assert_eq!(out.validator_permit, [false, false, true, false]);
}

// ---- LiquidAlphaConsensusMode (MODE) ----

/// MODE's `create_test_consensus_data`: current `[0.2, 0.3, 0.4, 0.1]`, previous stored as
/// `fixed_proportion_to_u16(fixed(v))` of `[0.1, 0.2, 0.3, 0.4]`.
fn consensus_data() -> (Vec<I32F32>, Vec<f32>, Vec<u16>) {
    let current: Vec<I32F32> = [0.2, 0.3, 0.4, 0.1]
        .iter()
        .map(|&v| I32F32::from_num(v))
        .collect();
    let previous = vec![0.1f32, 0.2, 0.3, 0.4];
    let stored = previous
        .iter()
        .map(|&v| math::fixed_proportion_to_u16(I32F32::from_num(v)))
        .collect();
    (current, previous, stored)
}

/// MODE's setup: liquid alpha on, the mode as given.
fn mode_params(mode: ConsensusMode) -> EpochHyperparams {
    EpochHyperparams {
        liquid_alpha_enabled: true,
        liquid_alpha_consensus_mode: mode,
        ..EpochHyperparams::default()
    }
}

fn close(res: &[I32F32], expected: &[f32]) -> bool {
    res.iter()
        .zip(expected)
        .all(|(r, &e)| (*r - I32F32::from_num(e)).abs() < I32F32::from_num(0.001))
}

/// MODE:test_default_consensus_mode
#[test]
fn mode_test_default_consensus_mode() {
    assert_eq!(
        EpochHyperparams::default().liquid_alpha_consensus_mode,
        ConsensusMode::Auto
    );
}

/// MODE:test_compute_consensus_current_mode
#[test]
fn mode_test_compute_consensus_current_mode() {
    let (current, _, stored) = consensus_data();
    let p = mode_params(ConsensusMode::Current);
    let result = consensus_for_liquid_alpha(Runtime::Spec475, &p, &stored, &current);
    assert_eq!(result.len(), 4);
    assert_eq!(result, current);
}

/// MODE:test_compute_consensus_previous_mode
#[test]
fn mode_test_compute_consensus_previous_mode() {
    let (current, previous, stored) = consensus_data();
    let p = mode_params(ConsensusMode::Previous);
    let result = consensus_for_liquid_alpha(Runtime::Spec475, &p, &stored, &current);
    assert_eq!(result.len(), 4);
    assert!(
        close(&result, &previous),
        "Values should be approximately equal"
    );
}

/// MODE:test_compute_consensus_auto_mode
#[test]
fn mode_test_compute_consensus_auto_mode() {
    let (current, previous, stored) = consensus_data();
    let mut p = mode_params(ConsensusMode::Auto);
    // bond_penalty != 1: current.
    p.bonds_penalty = u16::MAX / 2;
    let result = consensus_for_liquid_alpha(Runtime::Spec475, &p, &stored, &current);
    assert_eq!(
        result, current,
        "Should use current consensus when bond_penalty != 1"
    );
    // bond_penalty == 1: previous.
    p.bonds_penalty = u16::MAX;
    let result = consensus_for_liquid_alpha(Runtime::Spec475, &p, &stored, &current);
    assert_eq!(result.len(), 4);
    assert!(
        close(&result, &previous),
        "Should use previous consensus when bond_penalty == 1"
    );
}

/// No runtime test; derived by hand from 475's `compute_consensus_for_liquid_alpha`:
/// `if stored.is_empty() { return current }`, then each u16 → `I32F32(u16) / I32F32(65535)`,
/// `resize(current.len(), 0)` and `truncate(current.len())`; and before spec 475 the current
/// consensus always.
#[test]
fn derived_consensus_selection_pads_truncates_and_falls_back() {
    let (current, _, _) = consensus_data();
    let p = mode_params(ConsensusMode::Previous);
    // Nothing stored: the current consensus.
    assert_eq!(
        consensus_for_liquid_alpha(Runtime::Spec475, &p, &[], &current),
        current
    );
    // Shorter: zero-padded. 65535 → exactly 1; the rest 0.
    let padded = consensus_for_liquid_alpha(Runtime::Spec475, &p, &[65_535], &current);
    assert_eq!(
        padded,
        [
            I32F32::from_num(1),
            I32F32::from_num(0),
            I32F32::from_num(0),
            I32F32::from_num(0)
        ]
    );
    // Longer: cut to n. 32768 → I32F32 32768 / 65535 = 0.500007629… (truncated to 2⁻³²).
    let cut = consensus_for_liquid_alpha(
        Runtime::Spec475,
        &p,
        &[32_768, 0, 0, 65_535, 65_535],
        &current,
    );
    assert_eq!(cut.len(), 4);
    assert_eq!(cut[0], I32F32::from_num(32_768) / I32F32::from_num(65_535));
    assert_eq!(cut[3], I32F32::from_num(1));
    // Spec 425 has no mode: always the current consensus.
    assert_eq!(
        consensus_for_liquid_alpha(Runtime::Spec425, &p, &[65_535], &current),
        current
    );
}

/// No runtime test; derived from 475's `compute_bonds_sparse`: liquid alpha applies only if the
/// *selected* consensus has a non-zero entry. A stored all-zero previous consensus (what a
/// Null epoch leaves) is selected, so the fixed α = 1 − BondsMovingAverage/10⁶ is used even
/// though this epoch's consensus is not zero: the Yuma3 bonds equal those of the same epoch
/// with liquid alpha off.
#[test]
fn derived_a_zero_previous_consensus_turns_liquid_alpha_off() {
    let mut sim_input = setup([600_000_000, 400_000_000]);
    sim_input.params.epoch_consensus = EpochConsensus::Yuma;
    sim_input.params.yuma3_enabled = true;
    sim_input.params.max_allowed_validators = 2;
    sim_input.validator_permit = vec![true, true, false, false];
    sim_input.current_block = 5;
    set_weights(&mut sim_input, 0, &[2, 3], &[u16::MAX, 20_000]);
    set_weights(&mut sim_input, 1, &[2, 3], &[30_000, u16::MAX]);
    sim_input.mechanisms[0].bonds[0] = vec![(2, 40_000), (3, 9_000)];
    sim_input.mechanisms[0].bonds[1] = vec![(2, 7_000), (3, 50_000)];
    sim_input.params.liquid_alpha_consensus_mode = ConsensusMode::Previous;
    sim_input.mechanisms[0].consensus_by_mechanism = vec![0; 4];
    let off = EpochHyperparams {
        liquid_alpha_enabled: false,
        ..sim_input.params.clone()
    };
    sim_input.params.liquid_alpha_enabled = true;
    let with_zero_previous = run(&sim_input, 1_000).bonds;
    let fixed_alpha = run(
        &SubnetEpochInput {
            params: off,
            ..sim_input.clone()
        },
        1_000,
    )
    .bonds;
    assert_eq!(with_zero_previous, fixed_alpha);
    // With a non-zero previous consensus the sigmoid α applies, and the bonds differ.
    sim_input.mechanisms[0].consensus_by_mechanism = vec![0, 0, 40_000, 20_000];
    assert_ne!(run(&sim_input, 1_000).bonds, fixed_alpha);
}
