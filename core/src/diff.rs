//! What changed between two reads of a subnet (two epochs): per uid, the change of incentive
//! (the mechanism shown), dividends, emission and stake; who gained and who lost emission;
//! and every weight that a validator changed, added or dropped.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::metagraph::{Metagraph, Neuron};

/// A stored value before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Change<T> {
    /// At the earlier block (0 when the uid did not exist).
    pub before: T,
    /// At the later block.
    pub after: T,
}

impl Change<u16> {
    /// `after − before`.
    pub fn delta(&self) -> i64 {
        i64::from(self.after) - i64::from(self.before)
    }
}

impl Change<u64> {
    /// `after − before` (saturating at the i64 range).
    pub fn delta(&self) -> i64 {
        let wide = i128::from(self.after) - i128::from(self.before);
        i64::try_from(wide).unwrap_or(if wide < 0 { i64::MIN } else { i64::MAX })
    }
}

/// One uid between the two blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UidChange {
    /// The uid.
    pub uid: u16,
    /// The uid did not exist at the earlier block.
    pub new: bool,
    /// The uid's hotkey differs (it changed hands: the values belong to two neurons).
    pub hotkey_changed: bool,
    /// Incentive of the mechanism shown (u16).
    pub incentive: Change<u16>,
    /// Dividends (u16).
    pub dividends: Change<u16>,
    /// Emission (rao).
    pub emission: Change<u64>,
    /// Stake (rao).
    pub stake: Change<u64>,
}

/// One weight a validator changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightChange {
    /// The validator.
    pub validator: u16,
    /// The uid weighted.
    pub target: u16,
    /// The stored u16 before (None: absent).
    pub before: Option<u16>,
    /// The stored u16 after (None: absent).
    pub after: Option<u16>,
}

/// The difference between two reads of one subnet, in one mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochDiff {
    /// The earlier block.
    pub from_block: u64,
    /// The later block.
    pub to_block: u64,
    /// The mechanism compared.
    pub mechanism: u8,
    /// Every uid of the later read whose values changed, by uid.
    pub changes: Vec<UidChange>,
    /// Uids whose emission rose, largest rise first.
    pub gained: Vec<u16>,
    /// Uids whose emission fell, largest fall first.
    pub lost: Vec<u16>,
    /// Validators whose weight row changed, by uid.
    pub rows_changed: Vec<u16>,
    /// Every changed weight, by validator then target.
    pub weights: Vec<WeightChange>,
}

fn row(neuron: Option<&Neuron>) -> BTreeMap<u16, u16> {
    neuron
        .map(|x| x.weights.iter().copied().collect())
        .unwrap_or_default()
}

/// What changed from `before` to `after` (two reads of one subnet, showing the same
/// mechanism; the order of the blocks is taken as given).
pub fn diff(before: &Metagraph, after: &Metagraph) -> EpochDiff {
    let mut changes = Vec::new();
    let mut weights = Vec::new();
    let mut rows_changed = Vec::new();
    for a in &after.neurons {
        let b = before.neurons.get(usize::from(a.uid));
        let pick16 = |f: fn(&Neuron) -> u16| Change {
            before: b.map_or(0, f),
            after: f(a),
        };
        let pick64 = |f: fn(&Neuron) -> u64| Change {
            before: b.map_or(0, f),
            after: f(a),
        };
        let change = UidChange {
            uid: a.uid,
            new: b.is_none(),
            hotkey_changed: b.is_some_and(|b| b.hotkey != a.hotkey),
            incentive: pick16(|x| x.incentive),
            dividends: pick16(|x| x.dividends),
            emission: pick64(|x| x.emission),
            stake: pick64(|x| x.total_stake),
        };
        let same = !change.new
            && !change.hotkey_changed
            && change.incentive.delta() == 0
            && change.dividends.delta() == 0
            && change.emission.delta() == 0
            && change.stake.delta() == 0;
        if !same {
            changes.push(change);
        }

        let (old, new) = (row(b), row(Some(a)));
        let mut changed = false;
        let targets: alloc::collections::BTreeSet<u16> =
            old.keys().chain(new.keys()).copied().collect();
        for target in targets {
            let (x, y) = (old.get(&target).copied(), new.get(&target).copied());
            if x != y {
                changed = true;
                weights.push(WeightChange {
                    validator: a.uid,
                    target,
                    before: x,
                    after: y,
                });
            }
        }
        if changed {
            rows_changed.push(a.uid);
        }
    }
    let mut gained: Vec<(i64, u16)> = changes
        .iter()
        .filter(|c| c.emission.delta() > 0)
        .map(|c| (c.emission.delta(), c.uid))
        .collect();
    gained.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut lost: Vec<(i64, u16)> = changes
        .iter()
        .filter(|c| c.emission.delta() < 0)
        .map(|c| (c.emission.delta(), c.uid))
        .collect();
    lost.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    EpochDiff {
        from_block: before.block,
        to_block: after.block,
        mechanism: after.mecid,
        changes,
        gained: gained.into_iter().map(|g| g.1).collect(),
        lost: lost.into_iter().map(|l| l.1).collect(),
        rows_changed,
        weights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mg(block: u64, emissions: &[u64], weights: Vec<(u16, u16)>) -> Metagraph {
        let mut neurons: Vec<Neuron> = emissions
            .iter()
            .enumerate()
            .map(|(uid, &e)| Neuron {
                uid: uid as u16,
                hotkey: [uid as u8; 32],
                emission: e,
                ..Neuron::default()
            })
            .collect();
        neurons[0].weights = weights;
        Metagraph {
            block,
            neurons,
            ..Metagraph::default()
        }
    }

    #[test]
    fn gainers_losers_and_weight_changes() {
        let before = mg(10, &[5, 10, 10, 7], alloc::vec![(1, 100), (2, 200)]);
        let mut after = mg(20, &[5, 30, 1, 7, 4], alloc::vec![(2, 250), (3, 9)]);
        after.neurons[3].hotkey = [99; 32];
        after.neurons[1].incentive = 7;
        let d = diff(&before, &after);
        assert_eq!((d.from_block, d.to_block), (10, 20));
        assert_eq!(
            d.changes.iter().map(|c| c.uid).collect::<Vec<_>>(),
            [1, 2, 3, 4],
            "uid 0 is unchanged"
        );
        assert_eq!(d.gained, [1, 4]);
        assert_eq!(d.lost, [2]);
        assert!(d.changes[2].hotkey_changed && d.changes[3].new);
        assert_eq!(d.changes[0].incentive.delta(), 7);
        assert_eq!(d.changes[1].emission.delta(), -9);
        assert_eq!(d.rows_changed, [0]);
        assert_eq!(
            d.weights,
            alloc::vec![
                WeightChange {
                    validator: 0,
                    target: 1,
                    before: Some(100),
                    after: None
                },
                WeightChange {
                    validator: 0,
                    target: 2,
                    before: Some(200),
                    after: Some(250)
                },
                WeightChange {
                    validator: 0,
                    target: 3,
                    before: None,
                    after: Some(9)
                },
            ]
        );
        assert_eq!(
            Change {
                before: u64::MAX,
                after: 0
            }
            .delta(),
            i64::MIN
        );
    }
}
