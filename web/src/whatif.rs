//! The Yuma what-if: one validator's weights or stake edited, the epoch rerun by `bt-core`
//! (the validator's own code), and consensus, incentive and dividends put next to the chain's
//! stored values and the core's result for the unedited state.

use bt_core::metagraph::Metagraph;
use bt_core::yuma::{epoch_with_mechanisms, EpochError, SubnetEpochOutput};

/// An edit of one validator.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// The validator's uid.
    pub validator: u16,
    /// Its new weight row as `(uid, u16)`, as if it set these weights at the current block.
    /// `None` keeps the row on chain.
    pub weights: Option<Vec<(u16, u16)>>,
    /// Its new stake (rao of alpha, no root TAO). `None` keeps the stake on chain.
    pub stake: Option<u64>,
}

impl Scenario {
    /// True when nothing is edited.
    pub fn is_unchanged(&self) -> bool {
        self.weights.is_none() && self.stake.is_none()
    }

    /// `metagraph` with this edit applied. A weight row counts as set at the metagraph's
    /// block (so the validator is active and every entry postdates the miners' registration).
    pub fn apply(&self, metagraph: &Metagraph) -> Metagraph {
        let mut edited = metagraph.clone();
        if let Some(neuron) = edited.neurons.iter_mut().find(|n| n.uid == self.validator) {
            if let Some(weights) = &self.weights {
                neuron.weights = weights.iter().copied().filter(|&(_, w)| w > 0).collect();
                neuron.last_update = metagraph.block;
            }
            if let Some(stake) = self.stake {
                // The edited stake is all alpha.
                neuron.alpha_stake = stake;
                neuron.tao_stake = 0;
                neuron.total_stake = stake;
            }
        }
        edited
    }
}

/// Consensus, incentive and dividends, one value per uid (u16 proportions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Columns {
    /// Consensus.
    pub consensus: Vec<u16>,
    /// Incentive.
    pub incentive: Vec<u16>,
    /// Dividends.
    pub dividends: Vec<u16>,
}

impl Columns {
    /// The subnet's consensus and dividends, and mechanism `mecid`'s incentive.
    fn of_output(out: &SubnetEpochOutput, mecid: u8) -> Self {
        Self {
            consensus: out.consensus.clone(),
            incentive: out
                .mechanisms
                .get(usize::from(mecid))
                .map(|m| m.incentive.clone())
                .unwrap_or_default(),
            dividends: out.dividends.clone(),
        }
    }

    fn of_chain(metagraph: &Metagraph) -> Self {
        let col = |f: fn(&bt_core::metagraph::Neuron) -> u16| {
            metagraph.neurons.iter().map(f).collect::<Vec<u16>>()
        };
        Self {
            consensus: col(|n| n.consensus),
            incentive: col(|n| n.incentive),
            dividends: col(|n| n.dividends),
        }
    }

    fn all_zero(&self) -> bool {
        [&self.consensus, &self.incentive, &self.dividends]
            .iter()
            .all(|v| v.iter().all(|&x| x == 0))
    }
}

/// The three views of one subnet's incentive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What the chain stored at its last epoch.
    pub chain: Columns,
    /// The core's epoch on the state as it is.
    pub now: Columns,
    /// The core's epoch with the edit applied.
    pub edited: Columns,
    /// The chain stores zeros while the core computes values: no epoch has run since the
    /// weights were set (or the runtime does not run the real epoch).
    pub chain_all_zero: bool,
}

/// Runs the epoch on `metagraph` as it is and with `scenario` applied, as if it ran at the
/// metagraph's block.
pub fn run(metagraph: &Metagraph, scenario: &Scenario) -> Result<Outcome, EpochError> {
    let emission = metagraph
        .neurons
        .iter()
        .fold(0u64, |s, n| s.saturating_add(n.emission))
        .max(1_000_000_000);
    let epoch = |mg: &Metagraph| {
        epoch_with_mechanisms(&mg.epoch_input(mg.block, emission)?)
            .map(|out| Columns::of_output(&out, mg.mecid))
    };
    let now = epoch(metagraph)?;
    let edited = if scenario.is_unchanged() {
        now.clone()
    } else {
        epoch(&scenario.apply(metagraph))?
    };
    let chain = Columns::of_chain(metagraph);
    let chain_all_zero = chain.all_zero() && !now.all_zero();
    Ok(Outcome {
        chain,
        now,
        edited,
        chain_all_zero,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::Neuron;

    /// Two validators (uids 0, 1) and three miners (2, 3, 4); both validators favour miner 2.
    pub(crate) fn subnet() -> Metagraph {
        let mut neurons: Vec<Neuron> = (0..5)
            .map(|uid| Neuron {
                uid,
                hotkey: [uid as u8; 32],
                last_update: 100,
                block_at_registration: 1,
                ..Neuron::default()
            })
            .collect();
        for (uid, stake) in [(0usize, 600_000_000_000u64), (1, 400_000_000_000)] {
            neurons[uid].alpha_stake = stake;
            neurons[uid].total_stake = stake;
            neurons[uid].validator_permit = true;
            neurons[uid].weights = vec![(2, 65535), (3, 30000), (4, 1000)];
        }
        Metagraph {
            netuid: 1,
            block: 110,
            spec_version: 425,
            neurons,
            ..Metagraph::default()
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn unchanged_scenario_equals_the_core_now() {
        let mg = subnet();
        let out = run(&mg, &Scenario::default()).unwrap();
        assert_eq!(out.now, out.edited);
        assert!(out.now.incentive[2] > out.now.incentive[3]);
        assert!(out.now.incentive[3] > out.now.incentive[4]);
        assert!(out.chain_all_zero, "the sample stores no C/I/D");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn moving_the_big_validators_weight_moves_consensus_and_incentive() {
        let mg = subnet();
        let scenario = Scenario {
            validator: 0,
            weights: Some(vec![(4, 65535)]),
            stake: None,
        };
        let out = run(&mg, &scenario).unwrap();
        // 60% of stake now backs miner 4 only: it passes the κ = 0.5 majority.
        assert!(out.edited.consensus[4] > out.now.consensus[4]);
        assert!(out.edited.incentive[4] > out.now.incentive[4]);
        assert!(out.edited.incentive[2] < out.now.incentive[2]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn stake_edit_and_apply_details() {
        let mg = subnet();
        let scenario = Scenario {
            validator: 1,
            weights: Some(vec![(2, 0), (3, 5)]),
            stake: Some(7),
        };
        let edited = scenario.apply(&mg);
        assert_eq!(
            edited.neurons[1].weights,
            vec![(3, 5)],
            "zero entries are not stored"
        );
        assert_eq!(edited.neurons[1].last_update, 110);
        assert_eq!(edited.neurons[1].total_stake, 7);
        assert_eq!(edited.neurons[0], mg.neurons[0]);
        // Stake moved to validator 1 (who now backs miner 3 only) flips the majority.
        let big = Scenario {
            validator: 1,
            weights: Some(vec![(3, 65535)]),
            stake: Some(2_000_000_000_000),
        };
        let out = run(&mg, &big).unwrap();
        assert!(out.edited.incentive[3] > out.edited.incentive[2]);
        assert!(out.edited.dividends[1] > out.now.dividends[1]);
    }
}

#[cfg(test)]
mod golden {
    use super::tests::subnet;
    use super::*;

    /// The same numbers natively and in WebAssembly (this test runs on both targets): the
    /// explorer's epoch is the validator's.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn epoch_values_are_exact() {
        let out = run(&subnet(), &Scenario::default()).unwrap();
        let edited = run(
            &subnet(),
            &Scenario {
                validator: 0,
                weights: Some(vec![(3, 65535), (4, 20000)]),
                stake: Some(300_000_000_000),
            },
        )
        .unwrap();
        assert_eq!(
            out.now,
            Columns {
                consensus: vec![0, 0, 44489, 20366, 678],
                incentive: vec![0, 0, 44489, 20366, 678],
                dividends: vec![39321, 26213, 0, 0, 0],
            }
        );
        // Validator 1 now holds the majority: consensus stays, incentive and dividends move.
        assert_eq!(
            edited.edited,
            Columns {
                consensus: vec![0, 0, 44489, 20366, 678],
                incentive: vec![0, 0, 35854, 28723, 957],
                dividends: vec![12720, 52814, 0, 0, 0],
            }
        );
    }
}
