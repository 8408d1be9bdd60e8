//! A subnet through time: what the chain stored at each of its last epochs (incentive per
//! mechanism, dividends, emission, stake), and per-uid series of those values in display
//! units, with the points of a small line chart.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::metagraph::AccountId;

/// What the chain stored at one epoch block, per uid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EpochPoint {
    /// The epoch block.
    pub block: u64,
    /// `Keys[netuid]`: whose uid it was.
    pub hotkeys: Vec<AccountId>,
    /// `Incentive[idx]` per mechanism.
    pub incentive: Vec<Vec<u16>>,
    /// `LastUpdate[idx]` per mechanism: the block of each uid's last weights (under
    /// commit-reveal, of its last commit).
    #[serde(default)]
    pub last_update: Vec<Vec<u64>>,
    /// `Dividends[netuid]`.
    pub dividends: Vec<u16>,
    /// `Emission[netuid]` (rao of alpha).
    pub emission: Vec<u64>,
    /// Each uid's hotkey's α on the subnet (`TotalHotkeyAlpha`, rao: its own stake and its
    /// nominators', before child-key inheritance).
    pub stake: Vec<u64>,
}

/// What a series shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Metric {
    /// The mechanism's incentive (fraction of 1).
    Incentive,
    /// Dividends (fraction of 1).
    Dividends,
    /// Emission of the epoch (α).
    Emission,
    /// The hotkey's α stake (`TotalHotkeyAlpha`).
    Stake,
}

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 4] = [
        Metric::Incentive,
        Metric::Dividends,
        Metric::Emission,
        Metric::Stake,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Incentive => "incentive",
            Metric::Dividends => "dividends",
            Metric::Emission => "emission",
            Metric::Stake => "stake",
        }
    }

    /// Its unit ("" for fractions of 1).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Incentive | Metric::Dividends => "",
            Metric::Emission | Metric::Stake => "α",
        }
    }

    /// The stored value of `uid` at `point` (u16 or rao), None when the uid was not there.
    pub fn stored(self, point: &EpochPoint, mechanism: u8, uid: u16) -> Option<u64> {
        let i = usize::from(uid);
        match self {
            Metric::Incentive => point
                .incentive
                .get(usize::from(mechanism))
                .and_then(|v| v.get(i))
                .map(|&x| u64::from(x)),
            Metric::Dividends => point.dividends.get(i).map(|&x| u64::from(x)),
            Metric::Emission => point.emission.get(i).copied(),
            Metric::Stake => point.stake.get(i).copied(),
        }
    }

    /// A stored value in display units: u16 proportions as fractions of 1, rao as α.
    pub fn display(self, stored: u64) -> f64 {
        match self {
            Metric::Incentive | Metric::Dividends => {
                crate::units::fraction(u16::try_from(stored).unwrap_or(u16::MAX))
            }
            Metric::Emission | Metric::Stake => crate::units::tokens(stored),
        }
    }
}

/// One value of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// The epoch block.
    pub block: u64,
    /// The stored value (u16 or rao).
    pub stored: u64,
    /// In display units.
    pub value: f64,
}

/// One uid's values of one metric through the epochs, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The metric.
    pub metric: Metric,
    /// The uid.
    pub uid: u16,
    /// The values at the epochs where the uid existed.
    pub points: Vec<SeriesPoint>,
    /// Epoch blocks at which the uid's hotkey differs from the epoch before (the uid changed
    /// hands: the series mixes two neurons there).
    pub hotkey_changes: Vec<u64>,
    /// The smallest value (display units; 0 for an empty series).
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Series {
    /// The last value minus the first (display units; 0 with fewer than two points).
    pub fn change(&self) -> f64 {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) => b.value - a.value,
            _ => 0.0,
        }
    }

    /// The chart's points in a `width` × `height` box: x spread evenly by epoch, y from the
    /// bottom (0 at `height`), scaled from 0 to the series' maximum (a flat zero series lies
    /// on the bottom line).
    pub fn polyline(&self, width: f64, height: f64) -> Vec<(f64, f64)> {
        let count = self.points.len();
        let top = if self.max > 0.0 { self.max } else { 1.0 };
        self.points
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let x = if count > 1 {
                    width * k as f64 / (count - 1) as f64
                } else {
                    width / 2.0
                };
                let y = height - height * (p.value / top).clamp(0.0, 1.0);
                (x, y)
            })
            .collect()
    }
}

/// The stored values at a subnet's last epochs, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct History {
    /// One point per epoch block, ascending.
    pub points: Vec<EpochPoint>,
}

impl History {
    /// The history of `points` (any order; sorted by block, duplicates dropped).
    pub fn new(mut points: Vec<EpochPoint>) -> Self {
        points.sort_by_key(|p| p.block);
        points.dedup_by_key(|p| p.block);
        Self { points }
    }

    /// The epoch blocks, ascending.
    pub fn blocks(&self) -> Vec<u64> {
        self.points.iter().map(|p| p.block).collect()
    }

    /// The point of epoch block `block`.
    pub fn at(&self, block: u64) -> Option<&EpochPoint> {
        self.points.iter().find(|p| p.block == block)
    }

    /// `uid`'s `metric` (incentive of `mechanism`) through the epochs.
    pub fn series(&self, uid: u16, mechanism: u8, metric: Metric) -> Series {
        let mut points = Vec::new();
        let mut hotkey_changes = Vec::new();
        let mut last_key: Option<&AccountId> = None;
        for p in &self.points {
            let Some(stored) = metric.stored(p, mechanism, uid) else {
                continue;
            };
            let key = p.hotkeys.get(usize::from(uid));
            if let (Some(before), Some(now)) = (last_key, key) {
                if before != now {
                    hotkey_changes.push(p.block);
                }
            }
            if key.is_some() {
                last_key = key;
            }
            points.push(SeriesPoint {
                block: p.block,
                stored,
                value: metric.display(stored),
            });
        }
        let min = points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
        let max = points.iter().map(|p| p.value).fold(0.0, f64::max);
        Series {
            metric,
            uid,
            min: if min.is_finite() { min } else { 0.0 },
            max,
            points,
            hotkey_changes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(block: u64, incentive: u16, key: u8) -> EpochPoint {
        EpochPoint {
            block,
            hotkeys: alloc::vec![[0; 32], [key; 32]],
            incentive: alloc::vec![alloc::vec![0, incentive], alloc::vec![0, 1]],
            last_update: alloc::vec![alloc::vec![0, 0], alloc::vec![0, 0]],
            dividends: alloc::vec![65535, 0],
            emission: alloc::vec![2_000_000_000, u64::from(incentive)],
            stake: alloc::vec![5_000_000_000, 0],
        }
    }

    #[test]
    fn series_in_display_units_with_owner_changes() {
        let h = History::new(alloc::vec![
            point(30, 65535, 1),
            point(10, 0, 1),
            point(20, 32768, 2),
            point(20, 1, 9),
        ]);
        assert_eq!(h.blocks(), [10, 20, 30]);
        let s = h.series(1, 0, Metric::Incentive);
        assert_eq!(
            s.points.iter().map(|p| p.stored).collect::<Vec<_>>(),
            [0, 32768, 65535]
        );
        assert_eq!(s.points[2].value, 1.0);
        assert_eq!(s.hotkey_changes, [20, 30]);
        assert_eq!((s.min, s.max), (0.0, 1.0));
        assert_eq!(s.change(), 1.0);
        assert_eq!(h.series(1, 1, Metric::Incentive).points[0].stored, 1);
        let stake = h.series(0, 0, Metric::Stake);
        assert_eq!(stake.points[0].value, 5.0);
        assert!(h.series(7, 0, Metric::Stake).points.is_empty());
        assert_eq!(h.at(20).map(|p| p.block), Some(20));
    }

    #[test]
    fn polyline_spans_the_box() {
        let h = History::new(alloc::vec![
            point(10, 0, 1),
            point(20, 32768, 1),
            point(30, 65535, 1)
        ]);
        let line = h.series(1, 0, Metric::Incentive).polyline(100.0, 20.0);
        assert_eq!(line[0], (0.0, 20.0));
        assert_eq!(line[2], (100.0, 0.0));
        assert!((line[1].1 - 10.0).abs() < 1e-3);
        // A flat zero series lies on the bottom line; one point is centred.
        let zero = h.series(0, 0, Metric::Incentive).polyline(100.0, 20.0);
        assert!(zero.iter().all(|&(_, y)| y == 20.0));
        let one = History::new(alloc::vec![point(10, 5, 1)]);
        assert_eq!(
            one.series(1, 0, Metric::Incentive).polyline(100.0, 20.0)[0].0,
            50.0
        );
    }
}
