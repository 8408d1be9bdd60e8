//! Epoch tests: the runtime's own exact-value epoch tests (`pallets/subtensor/src/tests/
//! epoch.rs` and `mechanism.rs` at spec 425; the same values at spec 385), replayed epoch by
//! epoch through a small model of the chain's storage, plus properties over random inputs.

use super::*;
use alloc::vec;
use proptest::prelude::*;
use substrate_fixed::types::U64F64;

/// The chain's `vec_u16_max_upscale_to_u16`, which `set_weights` applies before storing.
fn max_upscale(values: &[u16]) -> Vec<u16> {
    let u16_max = I32F32::saturating_from_num(u16::MAX);
    let threshold = I32F32::saturating_from_num(32768);
    let v: Vec<I32F32> = values
        .iter()
        .map(|&x| I32F32::saturating_from_num(x))
        .collect();
    let Some(&max) = v.iter().max() else {
        return Vec::new();
    };
    v.iter()
        .map(|e| {
            if max == math::ZERO {
                e.saturating_mul(u16_max).saturating_to_num::<u16>()
            } else if max > threshold {
                e.saturating_mul(math::safe_div(u16_max, max))
                    .round()
                    .saturating_to_num::<u16>()
            } else {
                math::safe_div(e.saturating_mul(u16_max), max)
                    .round()
                    .saturating_to_num::<u16>()
            }
        })
        .collect()
}

/// A subnet replayed block by block: the storage items the epoch reads, updated as the
/// runtime's extrinsics and the epoch update them.
struct Sim {
    input: SubnetEpochInput,
    block: u64,
    last: SubnetEpochOutput,
}

impl Sim {
    /// `n` uids registered at `registered_at` with these alpha stakes, as the runtime's test
    /// mock sets them up (`add_network_disable_commit_reveal`): Yuma2, no commit-reveal.
    fn new(runtime: Runtime, stakes: &[u64], registered_at: u64, tempo: u16) -> Self {
        let n = stakes.len();
        Self {
            input: SubnetEpochInput {
                runtime,
                current_block: registered_at,
                n: n as u16,
                alpha_stake: stakes.to_vec(),
                tao_stake: vec![0; n],
                tao_weight: 0,
                stake_threshold: 0,
                owner_uid: None,
                validator_permit: vec![false; n],
                block_at_registration: vec![registered_at; n],
                mechanisms: vec![MechanismInput {
                    last_update: vec![registered_at; n],
                    weights: vec![Vec::new(); n],
                    bonds: vec![Vec::new(); n],
                    commit_block: Vec::new(),
                    consensus_by_mechanism: Vec::new(),
                }],
                rao_emission: 1_000_000_000,
                emission_budgets: None,
                params: EpochHyperparams {
                    tempo,
                    max_allowed_validators: 64,
                    ..EpochHyperparams::default()
                },
            },
            block: registered_at,
            last: SubnetEpochOutput::default(),
        }
    }

    fn mechanisms(&mut self, count: u8) {
        let m = self.input.mechanisms[0].clone();
        self.input.mechanisms = vec![m; usize::from(count)];
        self.input.params.mechanism_count = count;
    }

    /// `set_weights` at the current block (mechanism 0): max-upscaled, `LastUpdate` set.
    fn set_weights(&mut self, uid: usize, uids: &[u16], values: &[u16]) {
        self.set_mechanism_weights(0, uid, uids, values);
    }

    fn set_mechanism_weights(&mut self, mech: usize, uid: usize, uids: &[u16], values: &[u16]) {
        let row = uids.iter().copied().zip(max_upscale(values)).collect();
        let m = &mut self.input.mechanisms[mech];
        m.weights[uid] = row;
        m.last_update[uid] = self.block;
    }

    fn next_block(&mut self) {
        self.block += 1;
    }

    fn run_to(&mut self, block: u64) {
        self.block = self.block.max(block);
    }

    /// `replace_neuron(uid)` at the current block for a new hotkey without stake.
    fn replace(&mut self, uid: usize) {
        let block = self.block;
        self.input.block_at_registration[uid] = block;
        self.input.alpha_stake[uid] = 0;
        let spec425 = self.input.runtime == Runtime::Spec425;
        if spec425 {
            self.input.validator_permit[uid] = false;
        }
        for m in &mut self.input.mechanisms {
            m.bonds[uid].clear();
            m.weights[uid].clear();
            for row in &mut m.weights {
                for e in row.iter_mut().filter(|e| usize::from(e.0) == uid) {
                    e.1 = 0;
                }
            }
            if spec425 {
                m.last_update[uid] = block;
            }
        }
    }

    /// `epoch(netuid, rao)` at the current block: outputs persisted as the runtime does.
    fn epoch(&mut self) -> SubnetEpochOutput {
        self.input.current_block = self.block;
        let out = epoch_with_mechanisms(&self.input).expect("a consistent input runs");
        self.input.validator_permit = out.validator_permit.clone();
        for (m, o) in self.input.mechanisms.iter_mut().zip(&out.mechanisms) {
            m.bonds = o.bonds.clone();
        }
        self.last = out.clone();
        out
    }

    /// `get_bonds(netuid)[i][j]`, the dense view the chain's tests assert on.
    fn bond(&self, i: usize, j: u16) -> u16 {
        self.input.mechanisms[0].bonds[i]
            .iter()
            .find(|e| e.0 == j)
            .map_or(0, |e| e.1)
    }
}

const ALL: [Runtime; 3] = [Runtime::Spec385, Runtime::Spec397, Runtime::Spec425];
/// Every rule set, for the property tests.
const GENERATIONS: [Runtime; 4] = [
    Runtime::Spec385,
    Runtime::Spec397,
    Runtime::Spec425,
    Runtime::Spec475,
];

#[test]
fn chain_test_1_graph() {
    // test_1_graph: one neuron, a self-weight set in its registration block.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1_000_000_000], 1, u16::MAX - 1);
        sim.set_weights(0, &[0], &[u16::MAX]);
        let out = sim.epoch();
        assert_eq!(out.consensus, vec![0]);
        assert_eq!(out.mechanisms[0].incentive, vec![0]);
        assert_eq!(out.dividends, vec![0]);
        assert_eq!(out.emission, vec![1_000_000_000], "{rt:?}: all by stake");
    }
}

#[test]
fn chain_test_10_graph() {
    // test_10_graph: ten neurons of stake 1 appended at block 0, self-weights at block 1.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1; 10], 0, u16::MAX - 1);
        sim.run_to(1);
        for i in 0..10 {
            sim.set_weights(i, &[i as u16], &[u16::MAX]);
        }
        let out = sim.epoch();
        assert!(out.consensus.iter().all(|&x| x == 0));
        assert!(out.mechanisms[0].incentive.iter().all(|&x| x == 0));
        assert!(out.dividends.iter().all(|&x| x == 0));
        assert_eq!(out.emission, vec![99_999_999; 10], "{rt:?}");
    }
}

/// test_bonds' weights: validators 0..4 weight servers 4..8.
const SERVERS: [u16; 4] = [4, 5, 6, 7];
const QUARTERS: [u16; 4] = [u16::MAX / 4, u16::MAX / 2, (u16::MAX / 4) * 3, u16::MAX];

#[test]
fn chain_test_bonds() {
    // test_bonds (sparse): the bond columns the chain asserts after each epoch.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1, 2, 3, 4, 0, 0, 0, 0], 1, 1);
        sim.input.params.max_allowed_validators = 8;
        sim.epoch(); // the first epoch hands out the permits
        sim.next_block();
        for uid in 0..4 {
            sim.set_weights(uid, &SERVERS, &QUARTERS);
        }
        let out = sim.epoch();
        let col = |s: &Sim, j: u16| [s.bond(0, j), s.bond(1, j), s.bond(2, j), s.bond(3, j)];
        assert_eq!(col(&sim, 4), [16383, 32767, 49151, 65535], "{rt:?}");
        // The chain's logged emission for this epoch.
        assert_eq!(
            out.emission,
            vec![
                49999998, 99999999, 150000000, 200000001, 49998779, 100000610, 149996337, 200004272
            ]
        );

        sim.set_weights(0, &[0], &[u16::MAX]);
        sim.next_block();
        let out = sim.epoch();
        assert_eq!(col(&sim, 4), [14582, 32767, 49151, 65535], "{rt:?}");
        assert_eq!(
            out.emission,
            vec![
                44998351, 101110561, 151667215, 202223870, 49998779, 100000610, 149996337,
                200004272
            ]
        );

        sim.set_weights(1, &[1], &[u16::MAX]);
        sim.next_block();
        sim.epoch();
        assert_eq!(col(&sim, 4), [12603, 28321, 49151, 65535], "{rt:?}");

        sim.set_weights(2, &[2], &[u16::MAX]);
        sim.next_block();
        let out = sim.epoch();
        assert_eq!(col(&sim, 7), [12602, 28320, 49150, 65535], "{rt:?}");
        assert_eq!(
            out.emission,
            vec![99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
        );

        sim.set_weights(2, &[7], &[u16::MAX]);
        sim.next_block();
        let out = sim.epoch();
        assert_eq!(col(&sim, 7), [10951, 24609, 49150, 65535], "{rt:?}");
        assert_eq!(
            out.emission,
            vec![36443733, 81898628, 163565493, 218092144, 0, 0, 0, 500000000]
        );

        sim.next_block();
        sim.epoch();
        assert_eq!(col(&sim, 7), [9559, 21482, 49150, 65535], "{rt:?}");
        sim.next_block();
        sim.epoch();
        assert_eq!(col(&sim, 7), [8376, 18824, 49150, 65535], "{rt:?}");
    }
}

#[test]
fn chain_test_active_stake() {
    // test_active_stake: validators' weights outdate beyond the activity cutoff.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1; 4], 0, 1);
        sim.input.params.max_allowed_validators = 4;
        sim.epoch();
        sim.next_block();
        for uid in 0..2 {
            sim.set_weights(uid, &[2, 3], &[u16::MAX / 2; 2]);
        }
        let out = sim.epoch();
        for uid in 0..4 {
            if uid < 2 {
                assert_eq!(out.dividends[uid], 32767);
            }
            assert_eq!(out.emission[uid], 250000000, "{rt:?}");
        }
        for v in 0..2 {
            assert_eq!([sim.bond(v, 0), sim.bond(v, 1)], [0, 0]);
            assert_eq!([sim.bond(v, 2), sim.bond(v, 3)], [65535, 65535]);
        }
        // run to block 5002 (ActivityCutoff 5000 + 2): uid 1's weights are outdated
        sim.run_to(5002);
        sim.set_weights(0, &[2, 3], &[u16::MAX / 2; 2]);
        let out = sim.epoch();
        assert_eq!(out.dividends[0], 36044, "{rt:?}");
        assert_eq!(out.emission[0], 274999999);
        assert_eq!([sim.bond(0, 2), sim.bond(0, 3)], [65535, 65535]);
        assert_eq!(out.dividends[1], 29490);
        assert_eq!(out.emission[1], 224999999);
        assert_eq!([sim.bond(1, 2), sim.bond(1, 3)], [53619, 53619]);

        sim.set_weights(1, &[2, 3], &[u16::MAX / 2; 2]);
        sim.run_to(5003);
        let out = sim.epoch();
        assert_eq!(out.dividends[0], 35716, "{rt:?}");
        assert_eq!(out.emission[0], 272501132);
        assert_eq!([sim.bond(0, 2), sim.bond(0, 3)], [65535, 65535]);
        assert_eq!(out.dividends[1], 29818);
        assert_eq!(out.emission[1], 227498866);
        assert_eq!([sim.bond(1, 2), sim.bond(1, 3)], [54712, 54712]);
    }
}

#[test]
fn chain_test_outdated_weights() {
    // test_outdated_weights: a miner replaced after the weights were set gets nothing from them.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1; 4], 1, 0);
        sim.input.params.max_allowed_validators = 4;
        sim.epoch();
        sim.next_block();
        for uid in 0..2 {
            sim.set_weights(uid, &[2, 3], &[2 * (u16::MAX / 3), u16::MAX / 3]);
        }
        for uid in 2..4 {
            sim.set_weights(uid, &[uid as u16], &[u16::MAX]);
        }
        let out = sim.epoch();
        assert_eq!(
            out.emission,
            vec![250000000, 250000000, 333331637, 166668361],
            "{rt:?}"
        );
        sim.replace(3);
        sim.next_block();
        sim.set_weights(0, &[2, 3], &[2 * (u16::MAX / 3), u16::MAX / 3]);
        let out = sim.epoch();
        assert_eq!(out.dividends[0], 32767, "{rt:?}");
        assert_eq!(out.emission[0], 250000000);
        assert_eq!([sim.bond(0, 2), sim.bond(0, 3)], [65535, 65535]);
        assert_eq!(out.mechanisms[0].incentive, vec![0, 0, 65535, 0]);
    }
}

#[test]
fn chain_test_zero_weights() {
    // test_zero_weights: no weights, self-weights only, weights outdated by a re-registration:
    // emission follows stake; fresh weights give incentive again.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1, 0], 1, u16::MAX - 1);
        let out = sim.epoch();
        assert_eq!(out.emission, vec![1_000_000_000, 0], "{rt:?}");
        sim.set_weights(1, &[1], &[u16::MAX]);
        let out = sim.epoch();
        assert_eq!(out.emission, vec![1_000_000_000, 0]);
        sim.run_to(2);
        sim.set_weights(0, &[1], &[u16::MAX]);
        sim.replace(1);
        let out = sim.epoch();
        assert_eq!(out.emission, vec![1_000_000_000, 0]);
        sim.run_to(3);
        sim.set_weights(0, &[1], &[u16::MAX]);
        let out = sim.epoch();
        assert_eq!(out.emission, vec![500_000_000, 500_000_000], "{rt:?}");
    }
}

#[test]
fn chain_test_deregistered_miner_bonds() {
    // test_deregistered_miner_bonds: bonds to a miner registered since the last tempo are
    // dropped before the EMA.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1; 4], 1, u16::MAX - 1);
        sim.input.params.max_allowed_validators = 4;
        sim.epoch();
        sim.next_block();
        for uid in 0..2 {
            sim.set_weights(uid, &[2, 3], &[2 * (u16::MAX / 3), u16::MAX / 3]);
        }
        sim.next_block();
        sim.next_block();
        sim.input.params.tempo = 2;
        sim.epoch();
        let (b02, b03) = (sim.bond(0, 2), sim.bond(0, 3));
        assert!(b02 > 0 && b03 > 0);
        sim.input.params.tempo = u16::MAX - 1;
        sim.next_block();
        sim.replace(3);
        for uid in 0..2 {
            sim.set_weights(uid, &[2, 3], &[2 * (u16::MAX / 3), u16::MAX / 3]);
        }
        sim.next_block();
        sim.input.params.tempo = 2;
        sim.epoch();
        assert!(sim.bond(0, 2) >= b02, "{rt:?}");
        assert!(sim.bond(0, 3) <= b03, "{rt:?}");
    }
}

#[test]
fn chain_test_validator_permits() {
    // test_validator_permits: permits go to the top stakes above the stake threshold.
    for rt in ALL {
        for interleave in 0..3 {
            for (network_n, validators_n) in [(2usize, 1usize), (4, 2), (8, 4)] {
                let min_stake = validators_n as u64;
                let (validators, servers): (Vec<usize>, Vec<usize>) = match interleave {
                    0 => (
                        (0..validators_n).collect(),
                        (validators_n..network_n).collect(),
                    ),
                    1 => (0..network_n).partition(|i| i % (network_n / validators_n) == 0),
                    // the chain shuffles; any fixed permutation exercises the same rules
                    _ => (0..network_n).rev().partition(|i| i % 2 == 1),
                };
                for assignment in 0..=1 {
                    let mut stake = vec![0u64; network_n];
                    for &v in &validators {
                        stake[v] = if assignment == 1 {
                            (v + network_n) as u64
                        } else {
                            1
                        };
                    }
                    for &s in &servers {
                        stake[s] = if assignment == 1 { s as u64 } else { 0 };
                    }
                    let mut sim = Sim::new(rt, &stake, 1, u16::MAX - 1);
                    sim.input.stake_threshold = min_stake;
                    sim.input.params.max_allowed_validators = validators_n as u16;
                    let out = sim.epoch();
                    for &v in &validators {
                        assert_eq!(out.validator_permit[v], stake[v] >= min_stake, "{rt:?}");
                    }
                    for &s in &servers {
                        assert!(!out.validator_permit[s]);
                    }
                    for &s in &servers {
                        sim.input.alpha_stake[s] += 2 * network_n as u64;
                    }
                    sim.run_to(2);
                    let out = sim.epoch();
                    for &v in &validators {
                        assert!(!out.validator_permit[v]);
                    }
                    for &s in &servers {
                        assert_eq!(
                            out.validator_permit[s],
                            stake[s] + 2 * network_n as u64 >= min_stake
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn chain_test_can_set_self_weight_as_subnet_owner() {
    // test_can_set_self_weight_as_subnet_owner: the owner's self-weight counts.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[5_000_000_000_000, 0], 1, 360);
        sim.input.owner_uid = Some(0);
        sim.input.params.yuma3_enabled = true;
        sim.input.params.commit_reveal_enabled = true;
        sim.input.validator_permit = vec![true, false];
        sim.input.mechanisms[0].weights[0] = vec![(0, u16::MAX / 2), (1, u16::MAX / 2)];
        sim.input.mechanisms[0].last_update = vec![2, 0];
        sim.run_to(2);
        let out = sim.epoch();
        let server = &out.mechanisms[0].server_emission;
        assert!(server[0] > 0 && server[1] > 0, "{rt:?}");
        assert_eq!(server[0], server[1]);
    }
}

#[test]
fn chain_test_epoch_outputs_single_staker_registered_no_weights() {
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1], 1, u16::MAX - 1);
        let out = sim.epoch();
        let total = out.server_emission[0] + out.validator_emission[0];
        assert!(total.abs_diff(1_000_000_000) <= 1000, "{rt:?}: {total}");
    }
}

#[test]
fn chain_test_last_update_size_mismatch() {
    // test_last_update_size_mismatch: a LastUpdate longer than n is read as it is.
    for rt in ALL {
        let mut sim = Sim::new(rt, &[1_000_000_000], 1, u16::MAX - 1);
        sim.set_weights(0, &[0], &[u16::MAX]);
        sim.input.mechanisms[0].last_update = vec![1, 1, 1];
        let out = sim.epoch();
        assert_eq!(out.consensus, vec![0]);
        assert_eq!(out.mechanisms[0].incentive, vec![0]);
        assert_eq!(out.dividends, vec![0]);
        // and a shorter one counts the missing uids inactive
        sim.input.mechanisms[0].last_update = Vec::new();
        let out = sim.epoch();
        assert_eq!(out.active, vec![false]);
    }
}

/// `setup_yuma_3_scenario`: Yuma3 with liquid alpha (0.1, 0.3), steepness 1000, bonds
/// penalty 0, BondsMovingAverage 975 000, 3 validator permits; registration at block 1 and
/// the first epoch at block 2.
fn yuma3_scenario(rt: Runtime, stakes: &[u64]) -> Sim {
    let mut sim = Sim::new(rt, stakes, 1, 1);
    let p = &mut sim.input.params;
    p.bonds_penalty = 0;
    p.alpha_sigmoid_steepness = 1000;
    p.bonds_moving_average = 975_000;
    p.kappa = u16::MAX / 2;
    p.liquid_alpha_enabled = true;
    // set_alpha_values_32(0.1, 0.3)
    let to_u16 = |x: f64| {
        I32F32::from_num(x)
            .saturating_mul(I32F32::saturating_from_num(u16::MAX))
            .saturating_to_num::<u16>()
    };
    p.alpha_low = to_u16(0.1);
    p.alpha_high = to_u16(0.3);
    p.yuma3_enabled = true;
    p.max_allowed_validators = 3;
    sim.next_block();
    sim.epoch();
    sim
}

/// `set_yuma_3_weights` then `run_epoch_and_check_bonds_dividends`: dividends within 1e-3 of
/// the chain's targets; bonds (u16 proportions) of the 3 validators to the last columns within
/// 1e-3 of the bond targets.
fn yuma3_epoch(
    sim: &mut Sim,
    weights: &[Vec<u16>],
    uids: &[u16],
    bonds: &[[f64; 3]],
    dividends: &[f64],
    cols: usize,
) {
    for (uid, w) in weights.iter().enumerate() {
        sim.set_weights(uid, uids, w);
    }
    sim.next_block();
    let out = sim.epoch();
    let n = sim.input.n as usize;
    for (d, t) in out.dividends.iter().zip(dividends) {
        let got = math::u16_proportion_to_fixed(*d).to_num::<f64>();
        assert!(
            (got - t).abs() <= 1e-3,
            "dividends {:?} vs {dividends:?}",
            out.dividends
        );
    }
    for (i, row) in bonds.iter().enumerate() {
        for (k, t) in row.iter().take(cols).enumerate() {
            let j = (n - cols + k) as u16;
            let got = f64::from(sim.bond(i, j)) / 65535.0;
            assert!((got - t).abs() <= 1e-3, "bond ({i},{j}) = {got} vs {t}");
        }
    }
}

fn weights_for(
    epoch: usize,
    plan: &[(usize, [[u16; 2]; 3])],
    default: [[u16; 2]; 3],
) -> Vec<Vec<u16>> {
    let w = plan.iter().find(|p| p.0 == epoch).map_or(default, |p| p.1);
    w.iter().map(|r| r.to_vec()).collect()
}

const M: u16 = u16::MAX;

#[test]
fn chain_test_yuma_3_kappa_moves_first() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[8, 1, 1, 0, 0]);
        let bonds = [
            [[0.1013, 0.0, 0.], [0.1013, 0.0, 0.], [0.1013, 0.0, 0.]],
            [[0.0908, 0.1013, 0.], [0.3697, 0.0, 0.], [0.3697, 0.0, 0.]],
            [
                [0.0815, 0.1924, 0.],
                [0.3170, 0.1013, 0.],
                [0.5580, 0.0, 0.],
            ],
            [
                [0.0731, 0.2742, 0.],
                [0.2765, 0.1924, 0.],
                [0.4306, 0.1013, 0.],
            ],
            [
                [0.0656, 0.3478, 0.],
                [0.2435, 0.2742, 0.],
                [0.3589, 0.1924, 0.],
            ],
            [
                [0.0588, 0.4139, 0.],
                [0.2157, 0.3478, 0.],
                [0.3089, 0.2742, 0.],
            ],
        ];
        let dividends = [
            [0.8000, 0.1000, 0.1000, 0.0, 0.0],
            [1.0000, 0.0000, 0.0000, 0.0, 0.0],
            [0.9382, 0.0618, 0.0000, 0.0, 0.0],
            [0.8819, 0.0773, 0.0407, 0.0, 0.0],
            [0.8564, 0.0844, 0.0592, 0.0, 0.0],
            [0.8418, 0.0884, 0.0697, 0.0, 0.0],
        ];
        let plan = [
            (0, [[M, 0]; 3]),
            (1, [[0, M], [M, 0], [M, 0]]),
            (2, [[0, M], [0, M], [M, 0]]),
        ];
        for e in 0..6 {
            let w = weights_for(e, &plan, [[0, M]; 3]);
            let w: Vec<Vec<u16>> = if e >= 4 { Vec::new() } else { w };
            yuma3_epoch(&mut sim, &w, &[3, 4], &bonds[e], &dividends[e], 2);
        }
    }
}

#[test]
fn chain_test_yuma_3_kappa_moves_second() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[8, 1, 1, 0, 0]);
        let bonds = [
            [[0.1013, 0.0, 0.], [0.1013, 0.0, 0.], [0.1013, 0.0, 0.]],
            [[0.1924, 0.0, 0.], [0.0908, 0.2987, 0.], [0.1924, 0.0, 0.]],
            [
                [0.1715, 0.1013, 0.],
                [0.0815, 0.3697, 0.],
                [0.4336, 0.0, 0.],
            ],
            [
                [0.1531, 0.1924, 0.],
                [0.0731, 0.4336, 0.],
                [0.3608, 0.1013, 0.],
            ],
            [
                [0.1369, 0.2742, 0.],
                [0.0656, 0.4910, 0.],
                [0.3103, 0.1924, 0.],
            ],
            [
                [0.1225, 0.3478, 0.],
                [0.0588, 0.5426, 0.],
                [0.2712, 0.2742, 0.],
            ],
        ];
        let dividends = [
            [0.8000, 0.1000, 0.1000, 0.0, 0.0],
            [0.8446, 0.0498, 0.1056, 0.0, 0.0],
            [0.6868, 0.3132, 0.0000, 0.0, 0.0],
            [0.7421, 0.2090, 0.0489, 0.0, 0.0],
            [0.7625, 0.1706, 0.0669, 0.0, 0.0],
            [0.7730, 0.1508, 0.0762, 0.0, 0.0],
        ];
        let plan = [
            (0, [[M, 0]; 3]),
            (1, [[M, 0], [0, M], [M, 0]]),
            (2, [[0, M], [0, M], [M, 0]]),
        ];
        for e in 0..6 {
            let w = if e >= 4 {
                Vec::new()
            } else {
                weights_for(e, &plan, [[0, M]; 3])
            };
            yuma3_epoch(&mut sim, &w, &[3, 4], &bonds[e], &dividends[e], 2);
        }
    }
}

#[test]
fn chain_test_yuma_3_kappa_moves_last() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[8, 1, 1, 0, 0]);
        let bonds = [
            [[0.1013, 0.0, 0.], [0.1013, 0.0, 0.], [0.1013, 0.0, 0.]],
            [[0.1924, 0.0, 0.], [0.0908, 0.2987, 0.], [0.1924, 0.0, 0.]],
            [
                [0.2742, 0.0, 0.],
                [0.0815, 0.5081, 0.],
                [0.1715, 0.2987, 0.],
            ],
            [
                [0.2416, 0.1013, 0.],
                [0.0731, 0.5580, 0.],
                [0.1531, 0.3697, 0.],
            ],
            [
                [0.2141, 0.1924, 0.],
                [0.0656, 0.6028, 0.],
                [0.1369, 0.4336, 0.],
            ],
            [
                [0.1903, 0.2742, 0.],
                [0.0588, 0.6430, 0.],
                [0.1225, 0.4910, 0.],
            ],
        ];
        let dividends = [
            [0.8000, 0.1000, 0.1000, 0.0, 0.0],
            [0.8446, 0.0498, 0.1056, 0.0, 0.0],
            [0.8966, 0.0333, 0.0701, 0.0, 0.0],
            [0.4663, 0.3210, 0.2127, 0.0, 0.0],
            [0.5976, 0.2340, 0.1683, 0.0, 0.0],
            [0.6592, 0.1932, 0.1475, 0.0, 0.0],
        ];
        let plan = [
            (0, [[M, 0]; 3]),
            (1, [[M, 0], [0, M], [M, 0]]),
            (2, [[M, 0], [0, M], [0, M]]),
        ];
        for e in 0..6 {
            let w = if e >= 4 {
                Vec::new()
            } else {
                weights_for(e, &plan, [[0, M]; 3])
            };
            yuma3_epoch(&mut sim, &w, &[3, 4], &bonds[e], &dividends[e], 2);
        }
    }
}

#[test]
fn chain_test_yuma_3_one_epoch_switch() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[33, 33, 34, 0, 0]);
        let bonds = [
            [[0.1013, 0.0, 0.], [0.1013, 0.0, 0.], [0.1013, 0.0, 0.]],
            [[0.1924, 0.0, 0.], [0.1924, 0.0, 0.], [0.1924, 0.0, 0.]],
            [[0.2742, 0.0, 0.], [0.2742, 0.0, 0.], [0.1715, 0.2987, 0.]],
            [[0.3478, 0.0, 0.], [0.3478, 0.0, 0.], [0.2554, 0.2618, 0.]],
            [[0.4139, 0.0, 0.], [0.4139, 0.0, 0.], [0.3309, 0.2312, 0.]],
            [[0.4733, 0.0, 0.], [0.4733, 0.0, 0.], [0.3987, 0.2051, 0.]],
        ];
        let dividends = [
            [0.3300, 0.3300, 0.3400, 0.0, 0.0],
            [0.3300, 0.3300, 0.3400, 0.0, 0.0],
            [0.3782, 0.3782, 0.2436, 0.0, 0.0],
            [0.3628, 0.3628, 0.2745, 0.0, 0.0],
            [0.3541, 0.3541, 0.2917, 0.0, 0.0],
            [0.3487, 0.3487, 0.3026, 0.0, 0.0],
        ];
        let plan = [(2, [[M, 0], [M, 0], [0, M]])];
        for e in 0..6 {
            let w = weights_for(e, &plan, [[M, 0]; 3]);
            yuma3_epoch(&mut sim, &w, &[3, 4], &bonds[e], &dividends[e], 2);
        }
    }
}

#[test]
fn chain_test_yuma_3_liquid_alpha_disabled() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[33, 33, 34, 0, 0]);
        sim.input.params.liquid_alpha_enabled = false;
        let bonds = [
            [[0.0, 0.0250, 0.0], [0.0, 0.0250, 0.0], [0.0, 0.0250, 0.0]],
            [[0.0, 0.0494, 0.0], [0.0, 0.0494, 0.0], [0.0, 0.0494, 0.0]],
            [
                [0.0, 0.0731, 0.0],
                [0.0, 0.0731, 0.0],
                [0.0, 0.0481, 0.0250],
            ],
            [
                [0.0, 0.0963, 0.0],
                [0.0, 0.0963, 0.0],
                [0.0, 0.0719, 0.0244],
            ],
            [
                [0.0, 0.1189, 0.0],
                [0.0, 0.1189, 0.0],
                [0.0, 0.0951, 0.0238],
            ],
            [
                [0.0, 0.1409, 0.0],
                [0.0, 0.1409, 0.0],
                [0.0, 0.1178, 0.0232],
            ],
        ];
        let dividends = [
            [0.3300, 0.3300, 0.3400, 0.0, 0.0],
            [0.3300, 0.3300, 0.3400, 0.0, 0.0],
            [0.3734, 0.3734, 0.2532, 0.0, 0.0],
            [0.3611, 0.3611, 0.2779, 0.0, 0.0],
            [0.3541, 0.3541, 0.2919, 0.0, 0.0],
            [0.3495, 0.3495, 0.3009, 0.0, 0.0],
        ];
        let plan = [(2, [[M, 0], [M, 0], [0, M]])];
        for e in 0..6 {
            let w = weights_for(e, &plan, [[M, 0]; 3]);
            yuma3_epoch(&mut sim, &w, &[3, 4], &bonds[e], &dividends[e], 3);
        }
    }
}

#[test]
fn chain_test_yuma_3_stable_miner() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[8, 1, 1, 0, 0, 0]);
        let bonds = [
            [
                [0.0507, 0.0000, 0.0507],
                [0.0507, 0.0000, 0.0507],
                [0.0507, 0.0000, 0.0507],
            ],
            [
                [0.0962, 0.0000, 0.0962],
                [0.0455, 0.1000, 0.0962],
                [0.0962, 0.0000, 0.0962],
            ],
            [
                [0.0863, 0.0507, 0.1371],
                [0.0408, 0.1405, 0.1371],
                [0.1770, 0.0000, 0.1371],
            ],
            [
                [0.0774, 0.0962, 0.1739],
                [0.0367, 0.1770, 0.1739],
                [0.1579, 0.0507, 0.1739],
            ],
            [
                [0.0694, 0.1371, 0.2069],
                [0.0329, 0.2097, 0.2069],
                [0.1411, 0.0962, 0.2069],
            ],
            [
                [0.0623, 0.1739, 0.2366],
                [0.0296, 0.2391, 0.2366],
                [0.1263, 0.1371, 0.2366],
            ],
        ];
        let dividends = [
            [0.8000, 0.1000, 0.1000, 0.0, 0.0, 0.0],
            [0.8226, 0.0745, 0.1028, 0.0, 0.0, 0.0],
            [0.7750, 0.1685, 0.0565, 0.0, 0.0, 0.0],
            [0.7864, 0.1372, 0.0764, 0.0, 0.0, 0.0],
            [0.7912, 0.1241, 0.0847, 0.0, 0.0, 0.0],
            [0.7937, 0.1173, 0.0890, 0.0, 0.0, 0.0],
        ];
        let h = u16::MAX / 2;
        let a = vec![h, 0, h];
        let b = vec![0, h, h];
        for e in 0..6 {
            let w: Vec<Vec<u16>> = match e {
                0 => vec![a.clone(); 3],
                1 => vec![a.clone(), b.clone(), a.clone()],
                2 => vec![b.clone(), b.clone(), a.clone()],
                3 => vec![b.clone(); 3],
                _ => Vec::new(),
            };
            yuma3_epoch(&mut sim, &w, &[3, 4, 5], &bonds[e], &dividends[e], 3);
        }
    }
}

#[test]
fn chain_test_yuma_3_bonds_reset() {
    for rt in ALL {
        let mut sim = yuma3_scenario(rt, &[8, 1, 1, 0, 0]);
        let targets: [(usize, [[f64; 3]; 3], [f64; 5]); 7] = [
            (
                0,
                [[0.1013, 0.0, 0.], [0.1013, 0.0, 0.], [0.1013, 0.0, 0.]],
                [0.8000, 0.1000, 0.1000, 0., 0.],
            ),
            (
                1,
                [
                    [0.1924, 0.0, 0.],
                    [0.0908, 0.2987, 0.],
                    [0.0908, 0.2987, 0.],
                ],
                [0.8944, 0.0528, 0.0528, 0., 0.],
            ),
            (
                2,
                [
                    [0.1715, 0.1013, 0.],
                    [0.0815, 0.3697, 0.],
                    [0.0815, 0.3697, 0.],
                ],
                [0.5230, 0.2385, 0.2385, 0., 0.],
            ),
            (
                19,
                [
                    [0.0269, 0.8539, 0.],
                    [0.0131, 0.8975, 0.],
                    [0.0131, 0.8975, 0.],
                ],
                [0.7919, 0.1040, 0.1040, 0., 0.],
            ),
            (
                20,
                [
                    [0.0000, 0.8687, 0.],
                    [0.0000, 0.9079, 0.],
                    [0.0000, 0.9079, 0.],
                ],
                [0.7928, 0.1036, 0.1036, 0., 0.],
            ),
            (
                21,
                [
                    [0.0000, 0.8820, 0.],
                    [0.2987, 0.6386, 0.],
                    [0.2987, 0.6386, 0.],
                ],
                [0.8467, 0.0766, 0.0766, 0., 0.],
            ),
            (
                40,
                [
                    [0.8687, 0.0578, 0.],
                    [0.9079, 0.0523, 0.],
                    [0.9079, 0.0523, 0.],
                ],
                [0.7928, 0.1036, 0.1036, 0., 0.],
            ),
        ];
        for e in 0..=40 {
            let w: Vec<Vec<u16>> = match e {
                0 => vec![vec![M, 0]; 3],
                1 => vec![vec![M, 0], vec![0, M], vec![0, M]],
                2..=20 => vec![vec![0, M]; 3],
                21 => vec![vec![0, M], vec![M, 0], vec![M, 0]],
                _ => vec![vec![M, 0]; 3],
            };
            if e == 20 {
                // do_reset_bonds for uid 3 (BondsResetOn): its column leaves every bond row.
                for (uid, row) in w.iter().enumerate() {
                    sim.set_weights(uid, &[3, 4], row);
                }
                for row in &mut sim.input.mechanisms[0].bonds {
                    row.retain(|e| e.0 != 3);
                }
                let t = targets.iter().find(|t| t.0 == e).unwrap();
                yuma3_epoch(&mut sim, &[], &[3, 4], &t.1, &t.2, 2);
                continue;
            }
            match targets.iter().find(|t| t.0 == e) {
                Some(t) => yuma3_epoch(&mut sim, &w, &[3, 4], &t.1, &t.2, 2),
                None => {
                    for (uid, row) in w.iter().enumerate() {
                        sim.set_weights(uid, &[3, 4], row);
                    }
                    sim.next_block();
                    sim.epoch();
                }
            }
        }
    }
}

#[test]
fn chain_test_liquid_alpha_equal_values_against_itself() {
    // test_liquid_alpha_equal_values_against_itself: α_low = α_high = 0.1 equals the fixed
    // α = 1 − 0.9 (BondsMovingAverage 900 000), within 1e-3.
    let w: Vec<SparseRow> = [
        [0., 0.1, 0.],
        [0., 0.2, 0.4],
        [0., 0.3, 0.1],
        [0., 0.4, 0.5],
    ]
    .iter()
    .map(|r| {
        r.iter()
            .enumerate()
            .filter(|(_, &v)| v > 0.)
            .map(|(j, &v)| (j as u16, I32F32::from_num(v)))
            .collect()
    })
    .collect();
    let b: Vec<SparseRow> = [
        [0.1, 0.1, 0.5],
        [0., 0., 0.4],
        [0.5, 0.1, 0.1],
        [0., 0.4, 0.2],
    ]
    .iter()
    .map(|r| {
        r.iter()
            .enumerate()
            .filter(|(_, &v)| v > 0.)
            .map(|(j, &v)| (j as u16, I32F32::from_num(v)))
            .collect()
    })
    .collect();
    // Square as the runtime assumes: pad to 4 columns with a zero consensus.
    let consensus: Vec<I32F32> = [0.3, 0.2, 0.1, 0.4]
        .iter()
        .map(|&c| I32F32::from_num(c))
        .collect();
    let p = EpochHyperparams {
        alpha_low: u16::MAX / 10,
        alpha_high: u16::MAX / 10,
        bonds_moving_average: 900_000,
        liquid_alpha_enabled: true,
        ..EpochHyperparams::default()
    };
    let on = epoch::yuma3_ema(&w, &b, &consensus, &p);
    let off = epoch::yuma3_ema(
        &w,
        &b,
        &consensus,
        &EpochHyperparams {
            liquid_alpha_enabled: false,
            ..p.clone()
        },
    );
    // The dense runtime test compares whole matrices; sparse, the liquid-alpha EMA keeps the
    // columns of the weight rows only, so compare there.
    for ((ro, rf), wr) in on.iter().zip(&off).zip(&w) {
        assert_eq!(ro.len(), wr.len());
        for eo in ro {
            let ef = rf
                .iter()
                .find(|e| e.0 == eo.0)
                .expect("the fixed-α EMA has the column");
            assert!(
                (eo.1 - ef.1).abs() <= I32F32::from_num(1e-3),
                "{on:?} vs {off:?}"
            );
        }
    }
}

/// `mock_epoch_state`: two neurons weighting each other on two mechanisms.
fn mechanism_sim() -> Sim {
    let mut sim = Sim::new(Runtime::Spec425, &[1_000_000_000, 1_000_000_000], 1, 1);
    sim.mechanisms(2);
    sim.input.validator_permit = vec![true, true];
    for m in &mut sim.input.mechanisms {
        m.last_update = vec![2, 2];
        m.weights = vec![vec![(0, 0xFFFF), (1, 0xFFFF)]; 2];
    }
    sim
}

/// `mock_3_neurons`: a third uid without stake; only uid 0 holds a permit.
fn mechanism_sim_3() -> Sim {
    let mut sim = mechanism_sim();
    sim.input.n = 3;
    sim.input.alpha_stake.push(0);
    sim.input.tao_stake.push(0);
    sim.input.block_at_registration.push(1);
    sim.input.validator_permit = vec![true, false, false];
    for m in &mut sim.input.mechanisms {
        m.last_update = vec![2, 2, 2];
        m.weights.push(Vec::new());
        m.bonds.push(Vec::new());
    }
    sim
}

#[test]
fn chain_epoch_with_mechanisms_produces_per_mechanism_incentive() {
    let mut sim = mechanism_sim();
    let out = sim.epoch();
    for m in &out.mechanisms {
        assert_eq!(m.incentive, vec![0xFFFF / 2; 2]);
    }
}

#[test]
fn chain_epoch_with_mechanisms_updates_bonds() {
    let mut sim = mechanism_sim();
    sim.input.mechanisms[1].weights =
        vec![vec![(0, 0xFFFF), (1, 0)], vec![(0, 0xFFFF), (1, 0xFFFF)]];
    let out = sim.epoch();
    assert_eq!(
        out.mechanisms[0].bonds,
        vec![vec![(1, 65535)], vec![(0, 65535)]]
    );
    assert_eq!(out.mechanisms[1].bonds, vec![vec![], vec![(0, 65535)]]);
}

#[test]
fn chain_epoch_with_mechanisms_incentives_proportional_to_weights() {
    let mut sim = mechanism_sim_3();
    sim.input.mechanisms[0].weights[0] = vec![(1, 0xFFFF / 5 * 4), (2, 0xFFFF / 5)];
    sim.input.mechanisms[1].weights[0] = vec![(1, 0xFFFF / 5), (2, 0xFFFF / 5 * 4)];
    let out = sim.epoch();
    let (hi, lo) = (0xFFFF / 5 * 4, 0xFFFF / 5);
    let i0 = &out.mechanisms[0].incentive;
    let i1 = &out.mechanisms[1].incentive;
    assert!(i0[1].abs_diff(hi) <= 1 && i0[2].abs_diff(lo) <= 1, "{i0:?}");
    assert!(i1[1].abs_diff(lo) <= 1 && i1[2].abs_diff(hi) <= 1, "{i1:?}");
}

#[test]
fn chain_epoch_with_mechanisms_persists_and_aggregates_all_terms() {
    let mut sim = mechanism_sim_3();
    let split0 = u16::MAX / 4;
    sim.input.params.mechanism_emission_split = Some(vec![split0, u16::MAX - split0]);
    sim.input.mechanisms[0].weights[0] = vec![(1, 0xFFFF / 5 * 3), (2, 0xFFFF / 5 * 2)];
    sim.input.mechanisms[1].weights[0] = vec![(1, 0xFFFF / 5), (2, 0xFFFF / 5 * 4)];
    let emission = sim.input.rao_emission;
    let split = split_emission(
        emission,
        2,
        sim.input.params.mechanism_emission_split.as_deref(),
        sim.input.runtime,
    );
    let w0 = U64F64::from_num(split[0]) / U64F64::from_num(emission);
    let w1 = U64F64::from_num(split[1]) / U64F64::from_num(emission);
    assert!((w0.to_num::<f64>() - 0.25).abs() < 1e-4);
    assert!((w1.to_num::<f64>() - 0.75).abs() < 1e-4);
    let out0 = epoch_mechanism(&sim.input, 0, split[0]).unwrap();
    let out1 = epoch_mechanism(&sim.input, 1, split[1]).unwrap();
    let agg = sim.epoch();
    assert_eq!(agg.mechanisms[0], out0);
    assert_eq!(agg.mechanisms[1], out1);
    let wu16 = |a: u16, b: u16| {
        (U64F64::saturating_from_num(a) * w0 + U64F64::saturating_from_num(b) * w1)
            .saturating_to_num::<u16>()
    };
    let wu64 = |a: u64, b: u64| {
        (U64F64::saturating_from_num(a) * w0 + U64F64::saturating_from_num(b) * w1)
            .saturating_to_num::<u64>()
    };
    for uid in 0..3 {
        assert_eq!(
            agg.server_emission[uid],
            out0.server_emission[uid] + out1.server_emission[uid]
        );
        assert_eq!(
            agg.validator_emission[uid],
            out0.validator_emission[uid] + out1.validator_emission[uid]
        );
        assert_eq!(agg.active[uid], out0.active[uid] || out1.active[uid]);
        assert_eq!(
            agg.validator_permit[uid],
            out0.validator_permit[uid] || out1.validator_permit[uid]
        );
        assert!(agg.emission[uid].abs_diff(wu64(out0.emission[uid], out1.emission[uid])) <= 1);
        assert!(agg.consensus[uid].abs_diff(wu16(out0.consensus[uid], out1.consensus[uid])) <= 1);
        assert!(agg.dividends[uid].abs_diff(wu16(out0.dividends[uid], out1.dividends[uid])) <= 1);
        assert!(
            agg.validator_trust[uid]
                .abs_diff(wu16(out0.validator_trust[uid], out1.validator_trust[uid]))
                <= 1
        );
    }
    assert!(!agg.mechanisms[0].bonds[0].is_empty() && !agg.mechanisms[1].bonds[0].is_empty());
}

#[test]
fn chain_epoch_with_mechanisms_no_weight_no_incentive() {
    let mut sim = mechanism_sim_3();
    for m in &mut sim.input.mechanisms {
        m.weights[0] = vec![(1, 1), (2, 0)];
    }
    let out = sim.epoch();
    for m in &out.mechanisms {
        assert_eq!(m.incentive, vec![0, 0xFFFF, 0]);
    }
}

#[test]
fn chain_epoch_mechanism_emergency_mode_distributes_by_stake() {
    // Mechanism 1 alone, no weights: validator emission by stake 10:30:60.
    let mut sim = Sim::new(Runtime::Spec425, &[10, 30, 60, 0], 1, 5);
    sim.mechanisms(2);
    sim.input.validator_permit = vec![true, true, true, false];
    sim.input.mechanisms[1].last_update = vec![1; 4];
    sim.input.current_block = 1;
    let e = 1_000_000u64;
    let out = epoch_mechanism(&sim.input, 1, e).unwrap();
    assert!(out.server_emission.iter().all(|&x| x == 0));
    for (got, want) in out
        .validator_emission
        .iter()
        .zip([e / 10, e * 3 / 10, e * 6 / 10, 0])
    {
        assert!(got.abs_diff(want) <= 2, "{:?}", out.validator_emission);
    }
}

#[test]
fn owner_rules_by_runtime() {
    // Spec 397+: the owner uid passes the stake threshold and keeps its permit; spec 385 does
    // not exempt it (only its self-weight is kept, in every rule set).
    let mut sim = Sim::new(Runtime::Spec385, &[10, 1000, 0], 1, 100);
    sim.input.owner_uid = Some(0);
    sim.input.stake_threshold = 100;
    sim.input.params.max_allowed_validators = 1;
    for rt in ALL {
        sim.input.runtime = rt;
        let out = sim.epoch();
        let exempt = rt != Runtime::Spec385;
        assert_eq!(out.validator_permit, vec![exempt, true, false], "{rt:?}");
        assert_eq!(out.stake_weight[0] > 0, exempt, "{rt:?}");
        sim.input.validator_permit = vec![false, false, false];
    }
}

#[test]
fn activity_cutoff_and_bond_mask_by_runtime() {
    // Spec 425: cutoff = max(1, factor × tempo / 1000); spec 385/397: ActivityCutoff.
    let mut sim = Sim::new(Runtime::Spec425, &[1, 1, 0], 0, 100);
    sim.input.validator_permit = vec![true, true, false];
    sim.input.params.activity_cutoff = 10;
    sim.input.params.activity_cutoff_factor_milli = 500; // 50 blocks at tempo 100
    sim.input.mechanisms[0].last_update = vec![60, 30, 0];
    sim.run_to(85);
    let out = sim.epoch();
    assert_eq!(out.active, vec![true, false, false]);
    sim.input.runtime = Runtime::Spec385;
    let out = sim.epoch();
    assert_eq!(out.active, vec![false, false, false]);
    sim.input.params.tempo = 0;
    sim.input.runtime = Runtime::Spec425;
    let out = sim.epoch();
    assert_eq!(
        out.active,
        vec![false, false, false],
        "a cutoff of at least 1 block"
    );

    // The bond mask: uid 2 registered at block 50. Spec 425 with LastMechansimStepBlock = 40
    // masks bonds to it (41 ≤ 50); at block 200 spec 385 uses 200 − 100 = 100 > 50: kept.
    let mut sim = Sim::new(Runtime::Spec425, &[1, 0, 0], 0, 100);
    sim.input.validator_permit = vec![true, false, false];
    sim.input.block_at_registration[2] = 50;
    sim.input.params.last_mechanism_step_block = 40;
    sim.input.params.yuma3_enabled = true;
    sim.input.mechanisms[0].bonds[0] = vec![(2, 30000)];
    sim.input.mechanisms[0].weights[0] = vec![(2, 0)];
    sim.input.mechanisms[0].last_update[0] = 199;
    sim.run_to(200);
    let keep = sim.input.clone();
    sim.epoch();
    assert_eq!(
        sim.input.mechanisms[0].bonds[0],
        vec![],
        "masked, then the zero weight adds nothing"
    );
    sim.input = keep.clone();
    sim.input.runtime = Runtime::Spec385;
    sim.epoch();
    // (1 − 0.1)·30000/65535 kept
    assert_eq!(sim.input.mechanisms[0].bonds[0], vec![(2, 26999)]);
    sim.input = keep;
    sim.input.params.last_mechanism_step_block = 0; // no previous epoch: block − tempo
    sim.epoch();
    assert_eq!(sim.input.mechanisms[0].bonds[0], vec![(2, 26999)]);
}

#[test]
fn commit_reveal_masks_miners_registered_after_the_commit() {
    // test_epoch_masks_incoming_to_sniped_uid_prevents_inheritance /
    // test_epoch_does_not_mask_outside_window_but_masks_inside: validator uid 0 committed at
    // block 30 (live) and at block 5 (expired); uid 1 registered at 10 (before the live
    // commit), uids 2 and 3 at 31: their incentive is masked.
    let mut sim = Sim::new(Runtime::Spec425, &[10_000, 0, 0, 0], 0, 8);
    sim.input.validator_permit = vec![true, false, false, false];
    sim.input.block_at_registration = vec![0, 10, 31, 31];
    sim.run_to(40);
    sim.set_weights(0, &[1, 2, 3], &[u16::MAX / 3; 3]);
    let expiry = CommitExpiry::EpochIndex {
        epoch_index: 5,
        reveal_period: 2,
    };
    let v2 = [WeightCommitQueue {
        uid: Some(0),
        entries: vec![(1, 5), (3, 30)],
    }];
    sim.input.mechanisms[0].commit_block = commit_blocks(4, &expiry, &v2, &[]);
    assert_eq!(
        sim.input.mechanisms[0].commit_block,
        vec![Some(30), None, None, None]
    );
    sim.input.params.commit_reveal_enabled = true;
    let out = sim.epoch();
    let inc = &out.mechanisms[0].incentive;
    assert!(inc[1] > 0);
    assert_eq!((inc[2], inc[3]), (0, 0));
    // Commit-reveal disabled: no mask (test_epoch_no_mask_when_commit_reveal_disabled).
    sim.input.params.commit_reveal_enabled = false;
    let out = sim.epoch();
    assert!(out.mechanisms[0].incentive[2] > 0);
}

#[test]
fn validator_row_view_is_the_epochs_row() {
    let mut sim = Sim::new(Runtime::Spec425, &[600, 400, 0, 0, 0], 0, 100);
    sim.input.validator_permit = vec![true, true, false, false, false];
    sim.input.block_at_registration = vec![0, 0, 0, 0, 20];
    sim.run_to(30);
    sim.set_weights(0, &[0, 2, 3, 4, 9], &[100, 65535, 30000, 5000, 7]);
    sim.set_weights(1, &[2, 3], &[20000, 65535]);
    sim.input.mechanisms[0].last_update[0] = 10; // set before uid 4 registered
    let out = epoch_with_mechanisms(&sim.input).unwrap();
    let view = validator_row_view(&sim.input, 0, 0).unwrap();
    assert!(view.permitted && view.active);
    let reasons: Vec<Option<MaskReason>> = view.entries.iter().map(|e| e.masked).collect();
    assert_eq!(
        reasons,
        vec![
            Some(MaskReason::SelfWeight),
            None,
            None,
            Some(MaskReason::SetBeforeRegistration),
            Some(MaskReason::NotAUid)
        ]
    );
    let kept: f64 = view.entries.iter().map(|e| e.weight).sum();
    assert!((kept - 1.0).abs() < 1e-8);
    assert_eq!(view.validator_trust_u16, out.validator_trust[0]);
    assert_eq!(view.consensus_u16, out.consensus);
    for e in &view.entries {
        assert!((e.weight - e.clipped - e.clipped_amount).abs() < 1e-12);
        assert!(e.clipped <= e.consensus + 1e-12 || e.masked.is_some());
    }
    let clipped_sum: f64 = view.entries.iter().map(|e| e.clipped).sum();
    assert!((clipped_sum - view.validator_trust).abs() < 1e-8);
    assert_eq!(
        validator_row_view(&sim.input, 0, 9),
        Err(EpochError::UidOutOfRange { uid: 9, n: 5 })
    );
    // The display normalisation.
    let row = normalize_weight_row(&[(1, 1), (2, 3), (9, 100)], 5);
    assert_eq!(row, vec![(1, 0.25), (2, 0.75)]);
}

#[test]
fn runtime_for_spec_version() {
    assert_eq!(Runtime::for_spec_version(384), None);
    assert_eq!(Runtime::for_spec_version(385), Some(Runtime::Spec385));
    assert_eq!(Runtime::for_spec_version(396), Some(Runtime::Spec385));
    assert_eq!(Runtime::for_spec_version(397), Some(Runtime::Spec397));
    assert_eq!(Runtime::for_spec_version(422), Some(Runtime::Spec397));
    assert_eq!(Runtime::for_spec_version(423), Some(Runtime::Spec425));
    assert_eq!(Runtime::for_spec_version(446), Some(Runtime::Spec425));
}

#[test]
fn shape_errors_are_typed() {
    let mut sim = Sim::new(Runtime::Spec425, &[1, 2], 0, 10);
    sim.input.tao_stake.push(0);
    assert_eq!(
        epoch_with_mechanisms(&sim.input),
        Err(EpochError::LengthMismatch {
            field: "tao_stake",
            got: 3,
            n: 2
        })
    );
    sim.input.tao_stake.pop();
    sim.input.params.mechanism_count = 2;
    assert!(matches!(
        epoch_with_mechanisms(&sim.input),
        Err(EpochError::MissingMechanism { .. })
    ));
    sim.input.params.mechanism_count = 0;
    let out = epoch_with_mechanisms(&sim.input).unwrap();
    assert!(
        out.mechanisms.is_empty() && out.consensus.is_empty(),
        "nothing runs, as on chain"
    );
}

#[test]
fn trace_names_every_step_and_changes_nothing() {
    let mut sim = Sim::new(Runtime::Spec425, &[1, 2, 0], 0, 10);
    sim.input.validator_permit = vec![true, true, false];
    sim.run_to(1);
    sim.set_weights(0, &[2], &[1]);
    let traced = epoch_with_mechanisms_traced(&sim.input).unwrap();
    let steps: Vec<u8> = traced.mechanisms[0].trace.iter().map(|t| t.step).collect();
    assert_eq!(steps, vec![1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert!(traced.mechanisms[0]
        .trace
        .iter()
        .all(|t| t.values.len() == 3));
    let mut plain = epoch_with_mechanisms(&sim.input).unwrap();
    plain.mechanisms[0].trace = traced.mechanisms[0].trace.clone();
    assert_eq!(plain, traced);
}

#[test]
fn serde_round_trip_and_defaults() {
    let mut sim = Sim::new(Runtime::Spec385, &[5, 1, 0], 0, 10);
    sim.set_weights(0, &[2, 1], &[7, 3]);
    let json = serde_json::to_string(&sim.input).unwrap();
    assert!(json.contains("\"runtime\":\"spec385\""));
    let back: SubnetEpochInput = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sim.input);
    let out = epoch_with_mechanisms(&back).unwrap();
    let out_back: SubnetEpochOutput =
        serde_json::from_str(&serde_json::to_string(&out).unwrap()).unwrap();
    assert_eq!(out_back, out);
    let minimal = r#"{"current_block":1,"n":1,"alpha_stake":[1],"tao_stake":[0],
        "validator_permit":[true],"block_at_registration":[0],"mechanisms":[{}]}"#;
    let parsed: SubnetEpochInput = serde_json::from_str(minimal).unwrap();
    assert_eq!(parsed.params, EpochHyperparams::default());
    assert_eq!(parsed.runtime, Runtime::Spec425);
    assert!(epoch_with_mechanisms(&parsed).is_ok());
}

#[test]
fn the_example_input_runs() {
    let json = include_str!("../../../examples/epoch-input.json");
    let input: SubnetEpochInput = serde_json::from_str(json).unwrap();
    let out = epoch_with_mechanisms(&input).unwrap();
    assert!(out.mechanisms[0].incentive.iter().any(|&x| x > 0));
}

/// Random consistent subnets with 1–2 mechanisms under any rule set.
fn subnet() -> impl Strategy<Value = SubnetEpochInput> {
    (2usize..20, 1u8..3).prop_flat_map(|(n, mechs)| {
        let row = proptest::collection::vec((0..n as u16 + 2, any::<u16>()), 0..n + 2);
        let mech = (
            proptest::collection::vec(0u64..60, 0..n + 2),
            proptest::collection::vec(row.clone(), n),
            proptest::collection::vec(row, n),
            proptest::collection::vec(proptest::option::of(0u64..60), n),
            proptest::collection::vec(any::<u16>(), 0..n + 2),
        )
            .prop_map(
                |(last_update, weights, bonds, commit_block, consensus_by_mechanism)| {
                    MechanismInput {
                        last_update,
                        weights,
                        bonds,
                        commit_block,
                        consensus_by_mechanism,
                    }
                },
            );
        (
            proptest::collection::vec(0u64..1_000_000_000_000, n),
            proptest::collection::vec(0u64..1_000_000_000_000, n),
            proptest::collection::vec(0u64..60, n),
            proptest::collection::vec(any::<bool>(), 0..n + 2),
            proptest::collection::vec(mech, usize::from(mechs)),
            (
                any::<u64>(),
                0u64..100_000_000_000,
                proptest::option::of(0..n as u16 + 1),
            ),
            (
                any::<u16>(),
                0u16..40,
                0u64..=1_000_000,
                1u16..24,
                any::<bool>(),
                any::<bool>(),
                any::<u16>(),
                any::<bool>(),
            ),
            (
                0usize..4,
                0u64..60,
                any::<u16>(),
                any::<u16>(),
                any::<i16>(),
                0u16..70,
            ),
            (
                any::<bool>(),
                0u8..3,
                proptest::option::of(0u64..60),
                proptest::option::of((any::<u32>(), any::<u32>(), any::<u32>())),
            ),
        )
            .prop_map(
                move |(
                    alpha,
                    tao,
                    registered,
                    permits,
                    mechanisms,
                    (tao_weight, threshold, owner),
                    (kappa, cutoff, bma, maxv, liquid, yuma3, penalty, cr),
                    (rt, lms, low, high, steep, tempo),
                    (null, mode, last_yuma, budgets),
                )| {
                    SubnetEpochInput {
                        runtime: GENERATIONS[rt],
                        current_block: 60,
                        n: n as u16,
                        alpha_stake: alpha,
                        tao_stake: tao,
                        tao_weight,
                        stake_threshold: threshold,
                        owner_uid: owner,
                        validator_permit: permits,
                        block_at_registration: registered,
                        mechanisms,
                        rao_emission: if budgets.is_some() { 0 } else { 1_000_000_000 },
                        emission_budgets: budgets.map(|(server, validator, root)| {
                            EmissionBudgets {
                                server: u64::from(server),
                                validator: u64::from(validator),
                                root: u64::from(root),
                            }
                        }),
                        params: EpochHyperparams {
                            tempo,
                            kappa,
                            activity_cutoff: cutoff,
                            activity_cutoff_factor_milli: u32::from(cutoff) * 100,
                            bonds_moving_average: bma,
                            max_allowed_validators: maxv,
                            liquid_alpha_enabled: liquid,
                            yuma3_enabled: yuma3,
                            bonds_penalty: penalty,
                            commit_reveal_enabled: cr,
                            last_mechanism_step_block: lms,
                            alpha_low: low.min(high),
                            alpha_high: high.max(low),
                            alpha_sigmoid_steepness: steep,
                            mechanism_count: mechs,
                            mechanism_emission_split: None,
                            epoch_consensus: if null {
                                EpochConsensus::Null
                            } else {
                                EpochConsensus::Yuma
                            },
                            liquid_alpha_consensus_mode: ConsensusMode::ALL[usize::from(mode)],
                            last_yuma_step_block: last_yuma,
                        },
                    }
                },
            )
    })
}

fn sum16(v: &[u16]) -> u64 {
    v.iter().map(|&x| u64::from(x)).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn outputs_are_well_formed(input in subnet()) {
        let n = usize::from(input.n);
        let out = epoch_with_mechanisms(&input).unwrap();
        for v in [&out.consensus, &out.dividends, &out.validator_trust, &out.stake_weight] {
            prop_assert_eq!(v.len(), n);
        }
        prop_assert_eq!(out.active.len(), n);
        prop_assert_eq!(out.validator_permit.len(), n);
        prop_assert_eq!(out.emission.len(), n);
        prop_assert_eq!(out.mechanisms.len(), usize::from(input.params.mechanism_count));
        prop_assert_eq!(out.emission_split.iter().sum::<u64>(), input.total_emission());
        let null = input.runtime == Runtime::Spec475
            && input.params.epoch_consensus == EpochConsensus::Null;
        for (mech, (m, share)) in out.mechanisms.iter().zip(&out.emission_split).enumerate() {
            prop_assert_eq!(m.incentive.len(), n);
            prop_assert_eq!(m.bonds.len(), n);
            // Normalised vectors sum to 65535 up to one unit of truncation per uid.
            for v in [&m.incentive, &m.dividends, &m.stake_weight] {
                let s = sum16(v);
                prop_assert!(s == 0 || (65_535 - n as u64..=65_535).contains(&s), "{}", s);
            }
            let emitted: u64 = m.emission.iter().sum();
            prop_assert!(emitted <= *share);
            if null {
                // Whole-rao payouts: no rounding loss unless no uid has stake (then root's
                // slice is not redirected to the miners).
                prop_assert!(m.consensus.iter().chain(&m.validator_trust).all(|&x| x == 0));
                prop_assert_eq!(m.validator_permit.iter().filter(|&&p| p).count(), n.min(1));
                for (i, row) in m.bonds.iter().enumerate() {
                    let stored = input.mechanisms[mech].bonds.get(i).cloned().unwrap_or_default();
                    prop_assert_eq!(row, &stored, "Null leaves the bonds as stored");
                }
            } else {
                prop_assert!(emitted == 0 || emitted + n as u64 + 1 >= *share * 99 / 100, "{} of {}", emitted, share);
                for (i, row) in m.bonds.iter().enumerate() {
                    prop_assert!(row.is_empty() || m.validator_permit[i]);
                    prop_assert!(row.iter().all(|e| usize::from(e.0) < n));
                }
                if let Some(o) = input.owner_uid.filter(|&o| usize::from(o) < n && input.runtime != Runtime::Spec385) {
                    prop_assert!(m.validator_permit[usize::from(o)]);
                }
            }
        }
    }

    #[test]
    fn one_mechanism_aggregates_to_itself(input in subnet()) {
        let mut input = input;
        input.params.mechanism_count = 1;
        let out = epoch_with_mechanisms(&input).unwrap();
        let m = &out.mechanisms[0];
        prop_assert_eq!(&out.consensus, &m.consensus);
        prop_assert_eq!(&out.dividends, &m.dividends);
        prop_assert_eq!(&out.emission, &m.emission);
        prop_assert_eq!(&out.stake_weight, &m.stake_weight);
        prop_assert_eq!(&out.validator_permit, &m.validator_permit);
    }

    #[test]
    fn row_views_agree_with_the_epoch(input in subnet()) {
        let out = epoch_with_mechanisms(&input).unwrap();
        for uid in 0..input.n {
            let view = validator_row_view(&input, 0, uid).unwrap();
            prop_assert_eq!(view.validator_trust_u16, out.mechanisms[0].validator_trust[usize::from(uid)]);
            let clipped: f64 = view.entries.iter().map(|e| e.clipped).sum();
            prop_assert!((clipped - view.validator_trust).abs() < 1e-6);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(
        n in 0u16..12,
        lens in proptest::collection::vec(0usize..14, 7),
        rows in proptest::collection::vec(proptest::collection::vec((any::<u16>(), any::<u16>()), 0..6), 0..14),
        stake in proptest::collection::vec(any::<u64>(), 0..14),
        block in any::<u64>(),
        flags in proptest::collection::vec(any::<bool>(), 4),
        steep in any::<i16>(),
        numbers in proptest::collection::vec(any::<u64>(), 4),
        split in proptest::option::of(proptest::collection::vec(any::<u16>(), 0..4)),
        count in 0u8..4,
    ) {
        let len = |k: usize| if lens[k] % 3 == 0 { lens[k] } else { usize::from(n) };
        let mech = MechanismInput {
            last_update: vec![block / 2; len(0)],
            weights: rows.clone(),
            bonds: rows.iter().rev().cloned().collect(),
            commit_block: vec![Some(block / 4); if lens[5] % 2 == 0 { 0 } else { len(5) }],
            consensus_by_mechanism: vec![numbers[0] as u16; len(6)],
        };
        let input = SubnetEpochInput {
            runtime: GENERATIONS[lens[4] % 4],
            current_block: block,
            n,
            alpha_stake: stake.iter().copied().cycle().take(len(1)).collect(),
            tao_stake: vec![u64::MAX; len(2)],
            tao_weight: numbers[0],
            stake_threshold: numbers[1],
            owner_uid: Some(numbers[2] as u16),
            validator_permit: vec![true; lens[3]],
            block_at_registration: vec![block / 3; usize::from(n)],
            mechanisms: vec![mech; 3],
            rao_emission: numbers[3],
            emission_budgets: flags[3].then_some(EmissionBudgets {
                server: numbers[3],
                validator: numbers[0],
                root: numbers[1],
            }),
            params: EpochHyperparams {
                epoch_consensus: if flags[3] {
                    EpochConsensus::Null
                } else {
                    EpochConsensus::Yuma
                },
                last_yuma_step_block: flags[2].then_some(numbers[2]),
                yuma3_enabled: flags[0],
                liquid_alpha_enabled: flags[1],
                commit_reveal_enabled: flags[2],
                alpha_sigmoid_steepness: steep,
                bonds_moving_average: numbers[0],
                last_mechanism_step_block: numbers[1],
                tempo: numbers[2] as u16,
                activity_cutoff_factor_milli: numbers[3] as u32,
                mechanism_count: count,
                mechanism_emission_split: split,
                kappa: numbers[0] as u16,
                bonds_penalty: numbers[1] as u16,
                ..EpochHyperparams::default()
            },
        };
        if let Ok(out) = epoch_with_mechanisms_traced(&input) {
            prop_assert_eq!(out.mechanisms.len(), usize::from(count));
        }
        let _ = epoch_mechanism(&input, 2, numbers[3]);
        let _ = validator_row_view(&input, 0, 0);
    }
}

/// The explanations are the epoch's own numbers: the contributions add up to each miner's
/// rank, the ranks to the incentive, the bond terms to each validator's dividend, under
/// Yuma2 and Yuma3, in both mechanisms; the row view equals `validator_row_view`.
#[test]
fn explanations_add_up_to_the_epochs_outputs() {
    for yuma3 in [false, true] {
        let mut sim = Sim::new(Runtime::Spec425, &[600, 300, 100, 0, 0, 0], 0, 100);
        sim.mechanisms(2);
        sim.input.params.yuma3_enabled = yuma3;
        sim.input.validator_permit = vec![true, true, true, false, false, false];
        sim.run_to(30);
        sim.set_weights(0, &[3, 4, 5], &[65535, 30000, 1000]);
        sim.set_weights(1, &[3, 4], &[20000, 65535]);
        sim.set_weights(2, &[1, 5], &[65535, 65535]); // a weight on a validator
        sim.set_mechanism_weights(1, 0, &[5], &[65535]);
        sim.set_mechanism_weights(1, 1, &[4], &[65535]);
        sim.epoch(); // bonds from a first epoch
        sim.run_to(140);
        sim.set_weights(0, &[3, 4, 5], &[65535, 30000, 1000]);
        sim.set_weights(1, &[3, 4], &[20000, 65535]);
        let detail = epoch_detailed(sim.input.clone()).unwrap();
        assert_eq!(detail.output(), &epoch_with_mechanisms(&sim.input).unwrap());
        assert_eq!(detail.yuma3(), yuma3);
        for mech in 0..2u8 {
            let out = &detail.output().mechanisms[usize::from(mech)];
            let mut incentive_sum = 0.0;
            for uid in 0..6u16 {
                let m = detail.miner(mech, uid).unwrap();
                assert_eq!(m.incentive_u16, out.incentive[usize::from(uid)]);
                assert_eq!(m.consensus_u16, out.consensus[usize::from(uid)]);
                let summed: f64 = m.supports.iter().map(|s| s.contribution).sum();
                assert!((summed - m.rank).abs() < 1e-8, "{yuma3} {mech} {uid}");
                for s in &m.supports {
                    assert!((s.weight - s.clipped - s.clipped_amount).abs() < 1e-12);
                    assert!(s.clipped <= m.consensus + 1e-12);
                }
                if m.rank > 0.0 {
                    let shares: f64 = m.supports.iter().map(|s| s.rank_share).sum();
                    assert!((shares - 1.0).abs() < 1e-6);
                    assert!((m.incentive - m.rank / m.rank_total).abs() < 1e-6);
                }
                incentive_sum += m.incentive;

                let d = detail.dividends(mech, uid).unwrap();
                assert_eq!(d.dividend_u16, out.dividends[usize::from(uid)]);
                assert_eq!(
                    math::fixed_proportion_to_u16(I32F32::from_num(d.dividend)),
                    d.dividend_u16
                );
                let products: f64 = d.terms.iter().map(|t| t.product).sum();
                assert!((products - d.bonds_times_incentive).abs() < 1e-8);
                let expected_raw = if yuma3 {
                    d.bonds_times_incentive * d.active_stake
                } else {
                    d.bonds_times_incentive
                };
                assert!((d.raw - expected_raw).abs() < 1e-6);

                let row = detail.validator_row(mech, uid).unwrap();
                assert_eq!(row, validator_row_view(&sim.input, mech, uid).unwrap());
            }
            assert!((incentive_sum - 1.0).abs() < 1e-6);
        }
        // Validator 2's weight on validator 1 supports it; validator 0 earns dividends.
        let v1 = detail.miner(0, 1).unwrap();
        assert_eq!(
            v1.supports.iter().map(|s| s.validator).collect::<Vec<_>>(),
            [2]
        );
        assert!(detail.dividends(0, 0).unwrap().dividend > 0.0);
        assert!(!detail.dividends(0, 0).unwrap().terms.is_empty());
        assert!(matches!(
            detail.miner(0, 6),
            Err(EpochError::UidOutOfRange { uid: 6, n: 6 })
        ));
        assert!(detail.miner(2, 0).is_err());
    }
}
