//! Replaying the chain's last epoch: run [`crate::yuma`] on the metagraph as it was just before
//! the epoch block and compare the result, value by value, with what the chain stored at that
//! block. This is how the validator (`validator yuma`) and the explorer show whether the chain's
//! consensus is what the published rules give.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::metagraph::Metagraph;
use crate::yuma::{epoch_sparse, EpochError, EpochOutput};

/// One stored u16 vector, the chain's and ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// `consensus`, `incentive`, `dividends` or `validator_trust`.
    pub name: String,
    /// What the chain stored at the epoch block.
    pub chain: Vec<u16>,
    /// What the core computes from the state before it.
    pub ours: Vec<u16>,
    /// The uids where they differ.
    pub differing_uids: Vec<u16>,
}

/// The chain's epoch against the core's, at one epoch block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// The block the epoch ran in.
    pub epoch_block: u64,
    /// The u16 vectors.
    pub columns: Vec<Column>,
    /// Uids whose validator permit differs after the epoch.
    pub permit_differing_uids: Vec<u16>,
    /// Uids whose bond row differs after the epoch.
    pub bonds_differing_uids: Vec<u16>,
    /// True when the chain's consensus, incentive and dividends are all zero while the core's
    /// are not: the chain did not run Yuma (a mock epoch, or no epoch yet).
    pub chain_all_zero: bool,
    /// True when the core's consensus, incentive and dividends are all zero too (no validator
    /// weights counted in this epoch): equal zeros prove nothing, so there is nothing to compare.
    pub nothing_to_compare: bool,
    /// The core's full output.
    pub ours: EpochOutput,
}

impl Replay {
    /// True when every compared value is equal and there was something to compare.
    pub fn matches(&self) -> bool {
        !self.nothing_to_compare
            && self.columns.iter().all(|c| c.differing_uids.is_empty())
            && self.permit_differing_uids.is_empty()
            && self.bonds_differing_uids.is_empty()
    }
}

fn differing<T: PartialEq>(a: &[T], b: &[T]) -> Vec<u16> {
    let n = a.len().max(b.len());
    (0..n)
        .filter(|&i| a.get(i) != b.get(i))
        .map(|i| u16::try_from(i).unwrap_or(u16::MAX))
        .collect()
}

/// Runs the epoch of `epoch_block` on `before` (the metagraph at `epoch_block − 1`) and compares
/// it with `after` (the metagraph at `epoch_block`). The emission to distribute is taken from
/// `after` (the sum of its per-uid emission).
pub fn replay_epoch(
    before: &Metagraph,
    after: &Metagraph,
    epoch_block: u64,
) -> Result<Replay, EpochError> {
    let rao_emission = after
        .neurons
        .iter()
        .fold(0u64, |s, n| s.saturating_add(n.emission));
    let ours = epoch_sparse(&before.epoch_input(epoch_block, rao_emission))?;
    let chain_col =
        |f: fn(&crate::metagraph::Neuron) -> u16| after.neurons.iter().map(f).collect::<Vec<u16>>();
    let columns: Vec<Column> = [
        ("consensus", chain_col(|n| n.consensus), &ours.consensus),
        ("incentive", chain_col(|n| n.incentive), &ours.incentive),
        ("dividends", chain_col(|n| n.dividends), &ours.dividends),
        (
            "validator_trust",
            chain_col(|n| n.validator_trust),
            &ours.validator_trust,
        ),
    ]
    .into_iter()
    .map(|(name, chain, ours)| Column {
        name: name.into(),
        differing_uids: differing(&chain, ours),
        chain,
        ours: ours.clone(),
    })
    .collect();
    let chain_permits: Vec<bool> = after.neurons.iter().map(|n| n.validator_permit).collect();
    let chain_bonds: Vec<Vec<(u16, u16)>> = after.neurons.iter().map(|n| n.bonds.clone()).collect();
    let all_zero = |v: &[u16]| v.iter().all(|&x| x == 0);
    let nothing_to_compare = columns.iter().take(3).all(|c| all_zero(&c.ours));
    let chain_all_zero = columns.iter().take(3).all(|c| all_zero(&c.chain)) && !nothing_to_compare;
    Ok(Replay {
        epoch_block,
        permit_differing_uids: differing(&chain_permits, &ours.validator_permit),
        bonds_differing_uids: differing(&chain_bonds, &ours.bonds),
        chain_all_zero,
        nothing_to_compare,
        columns,
        ours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metagraph::{Hyperparams, Neuron};

    /// Two validators weighting two miners; the "after" state is what the core computes, so the
    /// replay matches; zeroing the chain's values is reported as a non-Yuma chain.
    fn subnet() -> Metagraph {
        let validator = |uid: u16, stake: u64, weights: Vec<(u16, u16)>| Neuron {
            uid,
            hotkey: [uid as u8; 32],
            total_stake: stake,
            validator_permit: true,
            last_update: 10,
            weights,
            ..Neuron::default()
        };
        let miner = |uid: u16| Neuron {
            uid,
            hotkey: [uid as u8; 32],
            ..Neuron::default()
        };
        Metagraph {
            netuid: 1,
            block: 19,
            neurons: alloc::vec![
                validator(0, 600, alloc::vec![(2, 65535), (3, 30000)]),
                validator(1, 400, alloc::vec![(2, 20000), (3, 65535)]),
                miner(2),
                miner(3),
            ],
            hyperparams: Hyperparams {
                activity_cutoff: 100,
                ..Hyperparams::default()
            },
            ..Metagraph::default()
        }
    }

    #[test]
    fn a_chain_that_ran_yuma_matches_and_a_mock_does_not() {
        let before = subnet();
        let ours = epoch_sparse(&before.epoch_input(20, 1_000_000)).unwrap();
        let mut after = before.clone();
        after.block = 20;
        for (i, n) in after.neurons.iter_mut().enumerate() {
            n.consensus = ours.consensus[i];
            n.incentive = ours.incentive[i];
            n.dividends = ours.dividends[i];
            n.validator_trust = ours.validator_trust[i];
            n.validator_permit = ours.validator_permit[i];
            n.bonds = ours.bonds[i].clone();
            n.emission = ours.emission[i];
        }
        let replay = replay_epoch(&before, &after, 20).unwrap();
        assert!(replay.matches(), "{replay:?}");
        assert!(!replay.chain_all_zero);
        assert!(ours.incentive[2] > 0 && ours.incentive[3] > 0);

        for n in &mut after.neurons {
            n.consensus = 0;
            n.incentive = 0;
            n.dividends = 0;
            n.validator_trust = 0;
            n.bonds.clear();
        }
        let replay = replay_epoch(&before, &after, 20).unwrap();
        assert!(!replay.matches());
        assert!(replay.chain_all_zero);
        let incentive = &replay.columns[1];
        assert_eq!(incentive.name, "incentive");
        assert_eq!(incentive.differing_uids, alloc::vec![2, 3]);
        assert_eq!(replay.bonds_differing_uids, alloc::vec![0, 1]);
    }

    #[test]
    fn equal_zeros_are_not_a_match() {
        let mut before = subnet();
        for n in &mut before.neurons {
            n.weights.clear();
        }
        let after = before.clone();
        let replay = replay_epoch(&before, &after, 20).unwrap();
        assert!(replay.nothing_to_compare);
        assert!(!replay.matches());
        assert!(!replay.chain_all_zero);
    }
}
