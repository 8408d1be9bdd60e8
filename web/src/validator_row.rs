//! The validator view's model: one validator's row of W (what it sent, and when) set against
//! consensus, uid by uid, with the part above consensus that the epoch clips away.

use bt_core::metagraph::Metagraph;

use crate::heatmap::{Grid, Layer};

/// One uid in the validator's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The uid weighted.
    pub uid: u16,
    /// The u16 stored on chain.
    pub sent: u16,
    /// The row-normalised weight (the SDK's W).
    pub normalized: f64,
    /// The chain's stored consensus for this uid, as a fraction.
    pub consensus_chain: f64,
    /// The core's consensus on the current state, as a fraction.
    pub consensus_core: f64,
}

impl Entry {
    /// Weight above the core's consensus: the part the epoch clips.
    pub fn clipped(&self) -> f64 {
        (self.normalized - self.consensus_core).max(0.0)
    }
}

/// A validator's row against consensus.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatorRow {
    /// The validator's uid.
    pub uid: u16,
    /// Block of its last weight setting.
    pub last_update: u64,
    /// Blocks since then at the metagraph's block.
    pub blocks_ago: u64,
    /// Every uid it weights or that has consensus, by uid.
    pub entries: Vec<Entry>,
}

impl ValidatorRow {
    /// The share of its weight that survives clipping (its validator trust, as the core
    /// computes it for this row).
    pub fn kept(&self) -> f64 {
        self.entries
            .iter()
            .map(|e| e.normalized - e.clipped())
            .sum()
    }
}

/// The row of `uid` (None when `uid` is not in the subnet); `core_consensus` is the core's
/// consensus per uid (u16), as the what-if computes it.
pub fn validator_row(
    metagraph: &Metagraph,
    uid: u16,
    core_consensus: &[u16],
) -> Option<ValidatorRow> {
    let neuron = metagraph.neurons.iter().find(|n| n.uid == uid)?;
    let grid = Grid::new(metagraph, Layer::Weights);
    let row = grid.rows.iter().position(|&r| r == uid);
    let frac = |v: u16| f64::from(v) / f64::from(u16::MAX);
    let entries = metagraph
        .neurons
        .iter()
        .filter_map(|target| {
            let col = usize::from(target.uid);
            let sent = row.and_then(|r| grid.value(r, col)).unwrap_or(0);
            let core = core_consensus.get(col).copied().unwrap_or(0);
            (sent > 0 || target.consensus > 0 || core > 0).then(|| Entry {
                uid: target.uid,
                sent,
                normalized: row.and_then(|r| grid.normalized(r, col)).unwrap_or(0.0),
                consensus_chain: frac(target.consensus),
                consensus_core: frac(core),
            })
        })
        .collect();
    Some(ValidatorRow {
        uid,
        last_update: neuron.last_update,
        blocks_ago: metagraph.block.saturating_sub(neuron.last_update),
        entries,
    })
}

/// The uids worth picking as validators: those that set weights, then the other permit
/// holders with stake, by uid.
pub fn validator_uids(metagraph: &Metagraph) -> Vec<u16> {
    let mut uids: Vec<u16> = metagraph
        .neurons
        .iter()
        .filter(|n| !n.weights.is_empty() || (n.validator_permit && n.total_stake > 0))
        .map(|n| n.uid)
        .collect();
    uids.sort_unstable();
    uids
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::Neuron;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn row_against_consensus() {
        let mut neurons: Vec<Neuron> = (0..4)
            .map(|uid| Neuron {
                uid,
                ..Neuron::default()
            })
            .collect();
        neurons[0].weights = vec![(2, 65535), (3, 21845)];
        neurons[0].last_update = 90;
        neurons[0].validator_permit = true;
        neurons[1].validator_permit = true;
        neurons[1].total_stake = 5;
        neurons[3].consensus = 65535;
        let mg = Metagraph {
            block: 100,
            neurons,
            ..Metagraph::default()
        };
        let core = [0, 0, 16384, 0];
        let row = validator_row(&mg, 0, &core).unwrap();
        assert_eq!(row.blocks_ago, 10);
        assert_eq!(
            row.entries.iter().map(|e| e.uid).collect::<Vec<_>>(),
            [2, 3]
        );
        let e2 = &row.entries[0];
        assert_eq!(e2.sent, 65535);
        assert_eq!(e2.normalized, 0.75);
        assert!((e2.consensus_core - 0.25).abs() < 1e-4);
        assert!((e2.clipped() - 0.5).abs() < 1e-4);
        assert_eq!(row.entries[1].consensus_chain, 1.0);
        assert!(
            (row.kept() - 0.25).abs() < 1e-4,
            "0.25 of uid 2 survives, uid 3 is all clipped"
        );
        assert_eq!(validator_uids(&mg), [0, 1]);
        assert!(validator_row(&mg, 9, &core).is_none());
        // A uid that never set weights has an empty row but still its consensus entries.
        assert_eq!(validator_row(&mg, 1, &core).unwrap().entries.len(), 2);
    }
}
