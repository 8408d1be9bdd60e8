//! Epoch tests: worked cases from the runtime's own `tests/epoch.rs` (spec 218), replayed
//! through our pure functions, plus properties over random inputs.

use super::*;
use alloc::vec;
use proptest::prelude::*;

/// A subnet replayed epoch by epoch: each epoch's permits and bonds feed the next, as the
/// chain's storage does.
struct Sim {
    input: EpochInput,
    dense: bool,
}

impl Sim {
    fn new(stakes: &[u64], registered_at: u64, dense: bool) -> Self {
        let n = stakes.len();
        Self {
            input: EpochInput {
                current_block: registered_at,
                stake: stakes.to_vec(),
                last_update: vec![0; n],
                block_at_registration: vec![registered_at; n],
                validator_permit: vec![false; n],
                weights: vec![Vec::new(); n],
                bonds: vec![Vec::new(); n],
                rao_emission: 1_000_000_000,
                params: EpochParams {
                    max_allowed_validators: n as u16,
                    ..EpochParams::default()
                },
            },
            dense,
        }
    }

    fn set_weights(&mut self, uid: usize, row: &[(u16, u16)], block: u64) {
        self.input.weights[uid] = row.to_vec();
        self.input.last_update[uid] = block;
    }

    fn epoch(&mut self, block: u64) -> EpochOutput {
        self.input.current_block = block;
        let out = if self.dense {
            epoch_dense(&self.input)
        } else {
            epoch_sparse(&self.input)
        }
        .expect("a consistent input runs");
        self.input.validator_permit = out.validator_permit.clone();
        self.input.bonds = out.bonds.clone();
        out
    }

    /// `get_bonds(netuid)[i][j]`, the dense view the chain's tests assert on.
    fn bond(&self, i: usize, j: u16) -> u16 {
        self.input.bonds[i]
            .iter()
            .find(|e| e.0 == j)
            .map_or(0, |e| e.1)
    }
}

const QUARTERS: [(u16, u16); 4] = [
    (4, u16::MAX / 4),
    (5, u16::MAX / 2),
    (6, (u16::MAX / 4) * 3),
    (7, u16::MAX),
];

#[test]
fn chain_test_1_graph() {
    // test_1_graph: one neuron without a permit: all stake-based emission goes to it.
    for dense in [false, true] {
        let mut sim = Sim::new(&[1], 0, dense);
        sim.set_weights(0, &[(0, u16::MAX)], 1);
        let out = sim.epoch(1);
        assert_eq!(out.rank, vec![0]);
        assert_eq!(out.trust, vec![0]);
        assert_eq!(out.consensus, vec![0]);
        assert_eq!(out.incentive, vec![0]);
        assert_eq!(out.dividends, vec![0]);
        assert_eq!(out.emission, vec![1_000_000_000]);
    }
}

#[test]
fn chain_test_10_graph() {
    // test_10_graph: ten equal neurons with self-weights only.
    for dense in [false, true] {
        let mut sim = Sim::new(&[1; 10], 0, dense);
        for i in 0..10 {
            sim.set_weights(i, &[(i as u16, u16::MAX)], 1);
        }
        let out = sim.epoch(1);
        assert!(out.incentive.iter().all(|&x| x == 0));
        assert!(out.dividends.iter().all(|&x| x == 0));
        assert_eq!(out.emission, vec![99_999_999; 10]);
    }
}

#[test]
fn chain_test_bonds() {
    // test_bonds: 4 validators (stake 1..4) weight 4 miners; one by one they switch to
    // self-weights; the chain asserts these bond values after each epoch.
    for dense in [false, true] {
        let mut sim = Sim::new(&[1, 2, 3, 4, 0, 0, 0, 0], 0, dense);
        sim.epoch(0); // the first epoch hands out the permits
        for uid in 0..4 {
            sim.set_weights(uid, &QUARTERS, 1);
        }
        let out = sim.epoch(1);
        assert_eq!(
            out.emission,
            vec![
                49999998, 99999999, 150000000, 200000001, 49998779, 100000610, 149996337, 200004272
            ]
        );
        let col4 = |s: &Sim| [s.bond(0, 4), s.bond(1, 4), s.bond(2, 4), s.bond(3, 4)];
        let col7 = |s: &Sim| [s.bond(0, 7), s.bond(1, 7), s.bond(2, 7), s.bond(3, 7)];
        assert_eq!(col4(&sim), [16383, 32767, 49151, 65535], "dense={dense}");

        sim.set_weights(0, &[(0, u16::MAX)], 2);
        let out = sim.epoch(2);
        assert_eq!(col4(&sim), [14582, 32767, 49151, 65535], "dense={dense}");
        assert_eq!(
            out.emission,
            vec![
                44998351, 101110561, 151667215, 202223870, 49998779, 100000610, 149996337,
                200004272
            ]
        );

        sim.set_weights(1, &[(1, u16::MAX)], 3);
        sim.epoch(3);
        assert_eq!(col4(&sim), [12603, 28321, 49151, 65535], "dense={dense}");

        sim.set_weights(2, &[(2, u16::MAX)], 4);
        let out = sim.epoch(4);
        assert_eq!(col7(&sim), [12602, 28320, 49150, 65535], "dense={dense}");
        assert_eq!(
            out.emission,
            vec![99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
        );

        sim.set_weights(2, &[(7, u16::MAX)], 5);
        let out = sim.epoch(5);
        assert_eq!(col7(&sim), [10951, 24609, 49150, 65535], "dense={dense}");
        assert_eq!(out.incentive[7], 65535);
        assert_eq!(
            out.emission,
            vec![36443733, 81898628, 163565493, 218092144, 0, 0, 0, 500000000]
        );

        sim.epoch(6);
        assert_eq!(col7(&sim), [9559, 21482, 49150, 65535], "dense={dense}");
        sim.epoch(7);
        assert_eq!(col7(&sim), [8376, 18824, 49150, 65535], "dense={dense}");
    }
}

#[test]
fn chain_test_bonds_with_liquid_alpha() {
    // test_bonds_with_liquid_alpha
    for dense in [false, true] {
        let mut sim = Sim::new(&[1, 2, 3, 4, 0, 0, 0, 0], 1, dense);
        sim.epoch(1);
        for uid in 0..4 {
            sim.input.validator_permit[uid] = true;
            sim.set_weights(uid, &QUARTERS, 2);
        }
        sim.input.params.liquid_alpha = true;
        sim.epoch(2);
        let col4 = |s: &Sim| [s.bond(0, 4), s.bond(1, 4), s.bond(2, 4), s.bond(3, 4)];
        assert_eq!(col4(&sim), [16383, 32767, 49151, 65535], "dense={dense}");
        sim.set_weights(0, &[(0, u16::MAX)], 3);
        sim.epoch(3);
        assert_eq!(col4(&sim), [2862, 32767, 49151, 65535], "dense={dense}");
        sim.set_weights(1, &[(1, u16::MAX)], 4);
        sim.epoch(4);
        assert_eq!(col4(&sim), [435, 4985, 49151, 65535], "dense={dense}");
    }
}

#[test]
fn chain_logistic_and_alpha_values() {
    // test_calculate_logistic_params / test_compute_alpha_values: the edge cases give (0, 0),
    // and α is 1/(1 + e^(b − a·c)).
    let h = I32F32::from_num(0.9);
    let l = I32F32::from_num(0.1);
    assert_eq!(bonds::logistic_params(h, l, ZERO, ZERO), (ZERO, ZERO));
    assert_eq!(
        bonds::logistic_params(h, ZERO, I32F32::from_num(0.8), l),
        (ZERO, ZERO)
    );
    let (a, b) = bonds::logistic_params(h, l, I32F32::from_num(0.8), I32F32::from_num(0.2));
    // a = (ln(1/0.9 − 1) − ln(1/0.1 − 1)) / (0.2 − 0.8) = 2·ln 9 / 0.6 ≈ 7.324
    assert!((a.to_num::<f64>() - 7.3241).abs() < 1e-3, "{a}");
    let alphas = bonds::alpha_values(&[I32F32::from_num(0.2), I32F32::from_num(0.8)], a, b);
    assert!((alphas[0].to_num::<f64>() - 0.1).abs() < 1e-3, "{alphas:?}");
    assert!((alphas[1].to_num::<f64>() - 0.9).abs() < 1e-3, "{alphas:?}");
}

#[test]
fn outdated_weights_and_inactive_validators_are_masked() {
    // Mirrors test_outdated_weights / test_active_stake in spirit: a miner that registered
    // after the validator's last weight setting receives nothing from those weights, and an
    // inactive validator's stake does not count.
    let mut sim = Sim::new(&[10, 10, 0, 0], 0, false);
    sim.epoch(0);
    sim.set_weights(0, &[(2, 100), (3, 100)], 5);
    sim.set_weights(1, &[(2, 100), (3, 100)], 5);
    sim.input.block_at_registration[3] = 5; // uid 3 was replaced at block 5
    let out = sim.epoch(6);
    assert_eq!(out.incentive[3], 0);
    assert_eq!(out.incentive[2], 65535);

    sim.input.params.activity_cutoff = 10;
    sim.input.block_at_registration[3] = 0;
    sim.set_weights(1, &[(3, 100)], 20);
    let out = sim.epoch(20); // uid 0 last updated at 5: inactive now (5 + 10 < 20)
    assert_eq!(out.active, vec![false, true, false, false]);
    assert_eq!(out.incentive[3], 65535, "only the active validator counts");
}

#[test]
fn shape_errors_are_typed() {
    let mut sim = Sim::new(&[1, 2], 0, false);
    sim.input.last_update.push(0);
    assert_eq!(
        epoch_sparse(&sim.input),
        Err(EpochError::LengthMismatch {
            field: "last_update",
            got: 3,
            n: 2
        })
    );
    let mut big = Sim::new(&[1, 2], 0, true);
    big.input.params.yuma3 = true;
    assert_eq!(epoch_dense(&big.input), Err(EpochError::Yuma3Dense));
}

#[test]
fn yuma3_bonds_follow_weights() {
    // Yuma3: bonds are EMAs of the (clipped) weights themselves, stored as proportions.
    let mut sim = Sim::new(&[1, 3, 0, 0], 0, false);
    sim.input.params.yuma3 = true;
    sim.input.params.tempo = 10;
    sim.epoch(0);
    sim.set_weights(0, &[(2, 65535)], 11);
    sim.set_weights(1, &[(2, 65535)], 11);
    let out = sim.epoch(12);
    // α = 0.1 and both rows put weight 1 on uid 2: each bond is 0.1 of 65535.
    assert_eq!(sim.bond(0, 2), 6553);
    assert_eq!(sim.bond(1, 2), 6553);
    assert_eq!(out.dividends[0] + out.dividends[1], 65534);
    assert!(
        out.dividends[1] > out.dividends[0],
        "dividends scale with stake"
    );
    let out = sim.epoch(13);
    assert_eq!(sim.bond(0, 2), 12451, "0.1 + 0.9·0.1 = 0.19");
    assert!(out.incentive[2] == 65535);
}

#[test]
fn trace_names_every_step() {
    let mut sim = Sim::new(&[1, 2, 0], 0, false);
    sim.epoch(0);
    sim.set_weights(0, &[(2, 1)], 1);
    let out = epoch_sparse_traced(&sim.input).unwrap();
    let steps: Vec<u8> = out.trace.iter().map(|t| t.step).collect();
    assert_eq!(steps, vec![1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]);
    assert!(out.trace.iter().all(|t| t.values.len() == 3));
    let plain = epoch_sparse(&sim.input).unwrap();
    assert_eq!(
        EpochOutput {
            trace: Vec::new(),
            ..out
        },
        plain
    );
}

#[test]
fn serde_round_trip() {
    let mut sim = Sim::new(&[5, 1, 0], 0, false);
    sim.epoch(0);
    sim.set_weights(0, &[(2, 7), (1, 3)], 1);
    let json = serde_json::to_string(&sim.input).unwrap();
    let back: EpochInput = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sim.input);
    let out = epoch_sparse(&back).unwrap();
    let out_back: EpochOutput =
        serde_json::from_str(&serde_json::to_string(&out).unwrap()).unwrap();
    assert_eq!(out_back, out);
    // Hyperparameters may be omitted: the chain's defaults apply.
    let minimal = r#"{"current_block":1,"stake":[1],"last_update":[0],"block_at_registration":[0],"validator_permit":[true]}"#;
    let parsed: EpochInput = serde_json::from_str(minimal).unwrap();
    assert_eq!(parsed.params, EpochParams::default());
}

/// Random consistent subnets: stakes, permits, weight and bond rows with unique uids < n.
fn subnet() -> impl Strategy<Value = EpochInput> {
    (2usize..24).prop_flat_map(|n| {
        let row = proptest::collection::btree_map(0..n as u16, 0u16..=u16::MAX, 0..n);
        (
            proptest::collection::vec(0u64..1_000_000_000_000, n),
            proptest::collection::vec(0u64..30, n),
            proptest::collection::vec(0u64..30, n),
            proptest::collection::vec(any::<bool>(), n),
            proptest::collection::vec(row.clone(), n),
            proptest::collection::vec(row, n),
            (
                any::<u16>(),
                1u16..=u16::MAX,
                0u64..=1_000_000,
                1u16..24,
                any::<bool>(),
            ),
        )
            .prop_map(
                move |(
                    stake,
                    last_update,
                    registered,
                    permits,
                    w,
                    b,
                    (kappa, cutoff, bma, maxv, liquid),
                )| {
                    EpochInput {
                        current_block: 30,
                        stake,
                        last_update,
                        block_at_registration: registered,
                        validator_permit: permits,
                        weights: w.into_iter().map(|r| r.into_iter().collect()).collect(),
                        bonds: b.into_iter().map(|r| r.into_iter().collect()).collect(),
                        rao_emission: 1_000_000_000,
                        params: EpochParams {
                            kappa,
                            activity_cutoff: cutoff % 40,
                            bonds_moving_average: bma,
                            max_allowed_validators: maxv,
                            liquid_alpha: liquid,
                            ..EpochParams::default()
                        },
                    }
                },
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sparse_equals_dense(input in subnet()) {
        let s = epoch_sparse(&input).unwrap();
        let d = epoch_dense(&input).unwrap();
        // Only the bond rows' shape differs: dense rows list every column.
        let dense_bonds: Vec<Vec<(u16, u16)>> = d.bonds.iter().zip(&s.bonds).map(|(dr, sr)| {
            if dr.len() == input.stake.len() && sr.len() != dr.len() {
                dr.iter().copied().filter(|e| e.1 != 0).collect()
            } else {
                dr.clone()
            }
        }).collect();
        let sparse_bonds: Vec<Vec<(u16, u16)>> = s.bonds.iter().map(|r| r.iter().copied().filter(|e| e.1 != 0).collect()).collect();
        let dense_bonds: Vec<Vec<(u16, u16)>> = dense_bonds.iter().map(|r| r.iter().copied().filter(|e| e.1 != 0).collect()).collect();
        prop_assert_eq!(sparse_bonds, dense_bonds);
        prop_assert_eq!(EpochOutput { bonds: Vec::new(), ..s }, EpochOutput { bonds: Vec::new(), ..d });
    }

    #[test]
    fn outputs_are_well_formed(input in subnet(), yuma3 in any::<bool>()) {
        let mut input = input;
        input.params.yuma3 = yuma3;
        let n = input.stake.len();
        let out = epoch_sparse(&input).unwrap();
        for v in [&out.rank, &out.trust, &out.consensus, &out.incentive, &out.dividends, &out.validator_trust, &out.pruning_scores, &out.stake_weight] {
            prop_assert_eq!(v.len(), n);
        }
        prop_assert_eq!(out.bonds.len(), n);
        let incentive: u64 = out.incentive.iter().map(|&x| u64::from(x)).sum();
        prop_assert!(incentive == 0 || (65_535 - n as u64..=65_535).contains(&incentive), "{}", incentive);
        let emitted: u64 = out.emission.iter().sum();
        prop_assert!(emitted <= input.rao_emission);
    }

    #[test]
    fn arbitrary_input_never_panics(
        n in 0usize..12,
        lens in proptest::collection::vec(0usize..14, 5),
        rows in proptest::collection::vec(proptest::collection::vec((any::<u16>(), any::<u16>()), 0..6), 0..14),
        stake in proptest::collection::vec(any::<u64>(), 0..14),
        block in any::<u64>(),
        yuma3 in any::<bool>(),
        liquid in any::<bool>(),
        steep in any::<i16>(),
    ) {
        let mut stake = stake;
        stake.resize(n, u64::MAX);
        let input = EpochInput {
            current_block: block,
            stake,
            last_update: vec![block / 2; if lens[0] % 3 == 0 { lens[0] } else { n }],
            block_at_registration: vec![block / 3; n],
            validator_permit: vec![true; if lens[1] % 5 == 0 { lens[1] } else { n }],
            weights: rows.iter().take(n).cloned().collect(),
            bonds: rows.iter().rev().take(n).cloned().collect(),
            rao_emission: u64::MAX,
            params: EpochParams { yuma3, liquid_alpha: liquid, alpha_sigmoid_steepness: steep, ..EpochParams::default() },
        };
        let _ = epoch_sparse(&input);
        let _ = epoch_sparse_traced(&input);
        let _ = epoch_dense(&input);
    }
}
