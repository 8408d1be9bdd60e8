//! The Yuma what-if: one validator's weights or stake edited, the epoch rerun by
//! [`crate::yuma`], and consensus, incentive and dividends put next to the chain's stored
//! values and the epoch of the unedited state ([`now`], an [`EpochDetail`] whose steps the
//! explanations read).
//!
//! The epoch runs as if at the metagraph's block, distributing what the last epoch
//! distributed ([`what_if_emission`]); the u16 outputs do not depend on that amount.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::metagraph::{Metagraph, Neuron};
use crate::yuma::{
    epoch_detailed, epoch_with_mechanisms_reusing, EpochDetail, EpochError, SubnetEpochOutput,
};

/// An edit of one validator.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scenario {
    /// The validator's uid.
    pub validator: u16,
    /// Its new weight row (in the mechanism shown) as `(uid, u16)`, as if it set these
    /// weights at the current block. `None` keeps the row on chain.
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
    /// block (so the validator is active and every entry postdates the miners' registration);
    /// zero entries are not stored, as the chain does not store them.
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Columns {
    /// Consensus (`Consensus[netuid]`, across mechanisms).
    pub consensus: Vec<u16>,
    /// Incentive of the mechanism shown (`Incentive[idx]`).
    pub incentive: Vec<u16>,
    /// Dividends (`Dividends[netuid]`, across mechanisms).
    pub dividends: Vec<u16>,
}

impl Columns {
    /// The epoch's consensus and dividends, and mechanism `mecid`'s incentive.
    pub fn of_output(out: &SubnetEpochOutput, mecid: u8) -> Self {
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

    /// What the chain stores in `metagraph` (its neurons' mechanism).
    pub fn of_chain(metagraph: &Metagraph) -> Self {
        let col = |f: fn(&Neuron) -> u16| metagraph.neurons.iter().map(f).collect::<Vec<u16>>();
        Self {
            consensus: col(|n| n.consensus),
            incentive: col(|n| n.incentive),
            dividends: col(|n| n.dividends),
        }
    }

    /// True when every value is 0.
    pub fn all_zero(&self) -> bool {
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

/// The alpha (rao) a what-if distributes: the last epoch's total stored emission, at least
/// one α (only the emissions depend on it).
pub fn what_if_emission(metagraph: &Metagraph) -> u64 {
    metagraph
        .neurons
        .iter()
        .fold(0u64, |s, n| s.saturating_add(n.emission))
        .max(1_000_000_000)
}

/// The epoch of `metagraph` as it is, as if it ran at the metagraph's block, every step kept.
pub fn now(metagraph: &Metagraph) -> Result<EpochDetail, EpochError> {
    epoch_detailed(metagraph.epoch_input(metagraph.block, what_if_emission(metagraph))?)
}

/// `scenario` against `now` (the epoch of `metagraph` as it is, from [`now`]): the edited
/// epoch is run only when something is edited.
pub fn compare(
    metagraph: &Metagraph,
    now: &EpochDetail,
    scenario: &Scenario,
) -> Result<Outcome, EpochError> {
    let current = Columns::of_output(now.output(), metagraph.mecid);
    let edited = if scenario.is_unchanged() {
        current.clone()
    } else {
        let edited = scenario.apply(metagraph);
        let input = edited.epoch_input(edited.block, what_if_emission(metagraph))?;
        // A weight edit changes one mechanism's input: the others are taken from `now`.
        let out = epoch_with_mechanisms_reusing(&input, now.input(), now.output())?;
        Columns::of_output(&out, metagraph.mecid)
    };
    let chain = Columns::of_chain(metagraph);
    let chain_all_zero = chain.all_zero() && !current.all_zero();
    Ok(Outcome {
        chain,
        now: current,
        edited,
        chain_all_zero,
    })
}

/// [`now`] and [`compare`] in one call.
pub fn run(metagraph: &Metagraph, scenario: &Scenario) -> Result<Outcome, EpochError> {
    compare(metagraph, &now(metagraph)?, scenario)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metagraph::Mechanism;
    use crate::yuma::epoch_with_mechanisms;

    /// [`subnet`] with a second mechanism (a 25/75 split) whose rows reverse the first's,
    /// shown as mechanism `mecid`.
    fn two_mechanisms(mecid: u8) -> Metagraph {
        let one = subnet();
        let rows = |m: u8| -> Vec<Vec<(u16, u16)>> {
            one.neurons
                .iter()
                .map(|n| {
                    if m == 0 {
                        n.weights.clone()
                    } else {
                        n.weights.iter().map(|&(u, w)| (6 - u, w)).collect()
                    }
                })
                .collect()
        };
        let mut mg = one.clone();
        mg.hyperparams.mechanism_count = 2;
        mg.hyperparams.mechanism_emission_split = alloc::vec![16384, 49151];
        mg.mechanisms = (0..2u8)
            .map(|m| Mechanism {
                mecid: m,
                last_update: alloc::vec![100; 5],
                weights: rows(m),
                bonds: alloc::vec![Vec::new(); 5],
                incentive: alloc::vec![0; 5],
                ..Mechanism::default()
            })
            .collect();
        mg.mecid = mecid;
        for (n, row) in mg.neurons.iter_mut().zip(rows(mecid)) {
            n.weights = row;
        }
        mg
    }

    /// Reusing the unedited mechanism gives the full epoch's values, for a weight edit in
    /// either mechanism and for a stake edit (which reruns both).
    #[test]
    fn a_what_if_reruns_only_what_the_edit_changes_and_equals_the_full_epoch() {
        for mecid in [0u8, 1] {
            let mg = two_mechanisms(mecid);
            let now = now(&mg).unwrap();
            for scenario in [
                Scenario {
                    validator: 0,
                    weights: Some(alloc::vec![(3, 65535), (4, 20000)]),
                    stake: None,
                },
                Scenario {
                    validator: 1,
                    weights: None,
                    stake: Some(5_000_000_000_000),
                },
            ] {
                let got = compare(&mg, &now, &scenario).unwrap().edited;
                let edited = scenario.apply(&mg);
                let full = epoch_with_mechanisms(
                    &edited
                        .epoch_input(edited.block, what_if_emission(&mg))
                        .unwrap(),
                )
                .unwrap();
                assert_eq!(
                    got,
                    Columns::of_output(&full, mecid),
                    "{mecid} {scenario:?}"
                );
                assert_ne!(
                    got,
                    Columns::of_output(now.output(), mecid),
                    "the edit moves it"
                );
            }
        }
    }

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
            neurons[uid].weights = alloc::vec![(2, 65535), (3, 30000), (4, 1000)];
        }
        Metagraph {
            netuid: 1,
            block: 110,
            spec_version: 425,
            neurons,
            ..Metagraph::default()
        }
    }

    #[test]
    fn unchanged_scenario_equals_the_core_now() {
        let mg = subnet();
        let out = run(&mg, &Scenario::default()).unwrap();
        assert_eq!(out.now, out.edited);
        assert!(out.now.incentive[2] > out.now.incentive[3]);
        assert!(out.now.incentive[3] > out.now.incentive[4]);
        assert!(out.chain_all_zero, "the sample stores no C/I/D");
        // The detailed epoch is the plain epoch.
        let plain = epoch_with_mechanisms(&mg.epoch_input(110, what_if_emission(&mg)).unwrap());
        assert_eq!(now(&mg).unwrap().output(), &plain.unwrap());
    }

    #[test]
    fn moving_the_big_validators_weight_moves_consensus_and_incentive() {
        let mg = subnet();
        let scenario = Scenario {
            validator: 0,
            weights: Some(alloc::vec![(4, 65535)]),
            stake: None,
        };
        let out = run(&mg, &scenario).unwrap();
        // 60% of stake now backs miner 4 only: it passes the κ = 0.5 majority.
        assert!(out.edited.consensus[4] > out.now.consensus[4]);
        assert!(out.edited.incentive[4] > out.now.incentive[4]);
        assert!(out.edited.incentive[2] < out.now.incentive[2]);
    }

    #[test]
    fn stake_edit_and_apply_details() {
        let mg = subnet();
        let scenario = Scenario {
            validator: 1,
            weights: Some(alloc::vec![(2, 0), (3, 5)]),
            stake: Some(7),
        };
        let edited = scenario.apply(&mg);
        assert_eq!(
            edited.neurons[1].weights,
            alloc::vec![(3, 5)],
            "zero entries are not stored"
        );
        assert_eq!(edited.neurons[1].last_update, 110);
        assert_eq!(edited.neurons[1].total_stake, 7);
        assert_eq!(edited.neurons[0], mg.neurons[0]);
        let big = Scenario {
            validator: 1,
            weights: Some(alloc::vec![(3, 65535)]),
            stake: Some(2_000_000_000_000),
        };
        let out = run(&mg, &big).unwrap();
        assert!(out.edited.incentive[3] > out.edited.incentive[2]);
        assert!(out.edited.dividends[1] > out.now.dividends[1]);
        assert_eq!(what_if_emission(&mg), 1_000_000_000);
    }

    /// The exact values (the explorer asserts the same numbers in WebAssembly).
    #[test]
    fn epoch_values_are_exact() {
        let out = run(&subnet(), &Scenario::default()).unwrap();
        let edited = run(
            &subnet(),
            &Scenario {
                validator: 0,
                weights: Some(alloc::vec![(3, 65535), (4, 20000)]),
                stake: Some(300_000_000_000),
            },
        )
        .unwrap();
        assert_eq!(
            out.now,
            Columns {
                consensus: alloc::vec![0, 0, 44489, 20366, 678],
                incentive: alloc::vec![0, 0, 44489, 20366, 678],
                dividends: alloc::vec![39321, 26213, 0, 0, 0],
            }
        );
        assert_eq!(
            edited.edited,
            Columns {
                consensus: alloc::vec![0, 0, 44489, 20366, 678],
                incentive: alloc::vec![0, 0, 35854, 28723, 957],
                dividends: alloc::vec![12720, 52814, 0, 0, 0],
            }
        );
    }
}
