//! A subnet's health at one block, in one mechanism: validators whose weights are older than
//! the activity cutoff (or a threshold of one's choosing), uids without a validator permit
//! that still set weights, permit holders that never set any, miners that nobody weights,
//! and how concentrated the incentive is.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::concentration::{concentration, Concentration};
use crate::metagraph::Metagraph;

/// A uid whose weights are older than the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stale {
    /// The uid.
    pub uid: u16,
    /// The block it last set weights in this mechanism.
    pub last_update: u64,
    /// Blocks since then.
    pub blocks_ago: u64,
    /// It holds a validator permit.
    pub permit: bool,
    /// The stake the epoch weighs it by (rao).
    pub stake: u64,
}

/// The flags of one subnet at one block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// The block the metagraph was read at.
    pub block: u64,
    /// The mechanism.
    pub mechanism: u8,
    /// Weights older than this many blocks are stale.
    pub threshold: u64,
    /// The threshold is the subnet's activity cutoff (the epoch's own rule: such a
    /// validator's stake no longer counts, and its dividends stop).
    pub threshold_is_cutoff: bool,
    /// Uids with a weight row older than the threshold, oldest first.
    pub stale: Vec<Stale>,
    /// Uids without a validator permit that hold a weight row (the epoch ignores it), by
    /// uid, with the block of their last weights.
    pub weights_without_permit: Vec<(u16, u64)>,
    /// Permit holders with stake that never set weights in this mechanism, by uid.
    pub permit_without_weights: Vec<u16>,
    /// Miners (uids that set no weights and hold no validator permit) that no other uid's
    /// weight row names with a non-zero weight, by uid.
    pub unweighted_miners: Vec<u16>,
    /// The incentive of this mechanism over the miners.
    pub incentive: Concentration,
    /// The emission (across mechanisms) over every uid.
    pub emission: Concentration,
}

/// The health of `metagraph` (its neurons' mechanism) with weights older than `threshold`
/// blocks flagged; `None` takes the subnet's activity cutoff.
pub fn health(metagraph: &Metagraph, threshold: Option<u64>) -> Health {
    let block = metagraph.block;
    let cutoff = metagraph.hyperparams.activity_cutoff;
    let limit = threshold.unwrap_or(cutoff);
    let n = metagraph.n();
    let is_miner = |x: &&crate::metagraph::Neuron| x.weights.is_empty() && !x.validator_permit;

    let mut stale: Vec<Stale> = metagraph
        .neurons
        .iter()
        .filter(|x| !x.weights.is_empty())
        .filter_map(|x| {
            let blocks_ago = block.saturating_sub(x.last_update);
            (blocks_ago > limit).then_some(Stale {
                uid: x.uid,
                last_update: x.last_update,
                blocks_ago,
                permit: x.validator_permit,
                stake: x.total_stake,
            })
        })
        .collect();
    stale.sort_by(|a, b| b.blocks_ago.cmp(&a.blocks_ago).then(a.uid.cmp(&b.uid)));

    let weights_without_permit = metagraph
        .neurons
        .iter()
        .filter(|x| !x.validator_permit && !x.weights.is_empty())
        .map(|x| (x.uid, x.last_update))
        .collect();
    let permit_without_weights = metagraph
        .neurons
        .iter()
        .filter(|x| x.validator_permit && x.total_stake > 0 && x.weights.is_empty())
        .map(|x| x.uid)
        .collect();

    let mut weighted = alloc::vec![false; n];
    for x in &metagraph.neurons {
        for &(j, w) in &x.weights {
            if w > 0 && j != x.uid {
                if let Some(cell) = weighted.get_mut(usize::from(j)) {
                    *cell = true;
                }
            }
        }
    }
    let unweighted_miners = metagraph
        .neurons
        .iter()
        .filter(is_miner)
        .filter(|x| !weighted.get(usize::from(x.uid)).copied().unwrap_or(false))
        .map(|x| x.uid)
        .collect();

    let miners_incentive: Vec<u64> = metagraph
        .neurons
        .iter()
        .filter(is_miner)
        .map(|x| u64::from(x.incentive))
        .collect();
    let emission: Vec<u64> = metagraph.neurons.iter().map(|x| x.emission).collect();
    Health {
        block,
        mechanism: metagraph.mecid,
        threshold: limit,
        threshold_is_cutoff: threshold.is_none_or(|t| t == cutoff),
        stale,
        weights_without_permit,
        permit_without_weights,
        unweighted_miners,
        incentive: concentration(&miners_incentive),
        emission: concentration(&emission),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metagraph::Neuron;

    fn subnet() -> Metagraph {
        let mut neurons: Vec<Neuron> = (0..6)
            .map(|uid| Neuron {
                uid,
                ..Neuron::default()
            })
            .collect();
        // 0: fresh validator; 1: stale validator; 2: no permit but weights; 3: permit, no
        // weights; 4 and 5: miners, only 4 weighted.
        neurons[0].validator_permit = true;
        neurons[0].total_stake = 10;
        neurons[0].weights = alloc::vec![(4, 65535), (0, 100)];
        neurons[0].last_update = 990;
        neurons[1].validator_permit = true;
        neurons[1].total_stake = 5;
        neurons[1].weights = alloc::vec![(4, 65535), (5, 0)];
        neurons[1].last_update = 700;
        neurons[2].weights = alloc::vec![(5, 0)];
        neurons[2].last_update = 995;
        neurons[3].validator_permit = true;
        neurons[3].total_stake = 1;
        neurons[4].incentive = 65535;
        neurons[0].emission = 3;
        neurons[4].emission = 1;
        let mut mg = Metagraph {
            block: 1000,
            neurons,
            ..Metagraph::default()
        };
        mg.hyperparams.activity_cutoff = 200;
        mg
    }

    #[test]
    fn flags_follow_the_cutoff_or_the_chosen_threshold() {
        let h = health(&subnet(), None);
        assert_eq!((h.threshold, h.threshold_is_cutoff), (200, true));
        assert_eq!(
            h.stale,
            alloc::vec![Stale {
                uid: 1,
                last_update: 700,
                blocks_ago: 300,
                permit: true,
                stake: 5
            }]
        );
        assert_eq!(h.weights_without_permit, alloc::vec![(2, 995)]);
        assert_eq!(h.permit_without_weights, alloc::vec![3]);
        assert_eq!(
            h.unweighted_miners,
            alloc::vec![5],
            "zero weights and self-weights do not count; uid 3 holds a permit"
        );
        assert_eq!(h.incentive.count, 2, "uids 4 and 5");
        assert!((h.incentive.gini - 0.5).abs() < 1e-12);
        assert!((h.emission.top10_share - 1.0).abs() < 1e-12);

        let strict = health(&subnet(), Some(8));
        assert!(!strict.threshold_is_cutoff);
        assert_eq!(
            strict.stale.iter().map(|s| s.uid).collect::<Vec<_>>(),
            [1, 0],
            "oldest first; uid 2's 5 blocks are within 8"
        );
    }
}
