//! The masa-style volume reward: how much useful work each miner delivered over a
//! sliding window of tempos, turned into a reward in [0, 1].
//!
//! [`VolumeWindow`] keeps per-tempo buckets (`bucket = block / tempo`) of each miner's
//! volume and retains the last [`WINDOW_TEMPOS`]. [`VolumeWindow::rewards`] sums each
//! miner's volume over the window, takes its z-score against all miners that appear
//! (population standard deviation) and maps it through the standard normal CDF:
//! `r = Φ((V − μ)/σ)`. When σ = 0 every reward is 0, except that a single eligible
//! miner gets 1 — the same rules masa's `Scorer` applies; [`Ties::Half`] gives equally good
//! miners Φ(0) = 0.5 instead (the tie rule, here and nowhere else).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

/// How many tempo buckets the window keeps.
pub const WINDOW_TEMPOS: usize = 6;

/// Why a volume window cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VolumeError {
    /// A zero tempo would put every block in a division by zero.
    #[error("tempo must be at least 1 block")]
    ZeroTempo,
}

/// The volume every miner delivered during one tempo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    /// `block / tempo` for the blocks this bucket covers.
    pub tempo: u64,
    /// Volume per uid.
    pub miners: BTreeMap<u16, u64>,
}

/// The last [`WINDOW_TEMPOS`] tempos of miner volume.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VolumeWindow {
    tempo: u64,
    buckets: VecDeque<Bucket>,
}

/// Per-uid rewards, ready for [`crate::ema::ScoreBook::update`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rewards {
    /// The uids that have volume in the window (ascending).
    pub uids: Vec<u16>,
    /// Their rewards in [0, 1].
    pub rewards: Vec<f64>,
}

impl VolumeWindow {
    /// An empty window for a subnet with this tempo (blocks per epoch).
    pub fn new(tempo: u64) -> Result<Self, VolumeError> {
        if tempo == 0 {
            return Err(VolumeError::ZeroTempo);
        }
        Ok(Self {
            tempo,
            buckets: VecDeque::new(),
        })
    }

    /// Rebuilds a window from persisted buckets; only the newest [`WINDOW_TEMPOS`] are kept.
    pub fn from_buckets(tempo: u64, buckets: Vec<Bucket>) -> Result<Self, VolumeError> {
        let mut window = Self::new(tempo)?;
        window.buckets = buckets.into();
        window.trim();
        Ok(window)
    }

    /// The tempo buckets, oldest first.
    pub fn buckets(&self) -> impl Iterator<Item = &Bucket> {
        self.buckets.iter()
    }

    /// The tempo the window buckets by.
    pub fn tempo(&self) -> u64 {
        self.tempo
    }

    /// Records `volume` delivered by `uid` at `block`.
    pub fn add_volume(&mut self, block: u64, uid: u16, volume: u64) {
        let tempo = block / self.tempo;
        if self.buckets.back().map(|b| b.tempo) != Some(tempo) {
            self.buckets.push_back(Bucket {
                tempo,
                miners: BTreeMap::new(),
            });
            self.trim();
        }
        if let Some(bucket) = self.buckets.back_mut() {
            let entry = bucket.miners.entry(uid).or_insert(0);
            *entry = entry.saturating_add(volume);
        }
    }

    /// Forgets everything `uid` delivered (its hotkey was replaced).
    pub fn reset_uid(&mut self, uid: u16) {
        for bucket in &mut self.buckets {
            if let Some(v) = bucket.miners.get_mut(&uid) {
                *v = 0;
            }
        }
    }

    /// Total volume per uid over the window (ascending uid).
    pub fn totals(&self) -> BTreeMap<u16, u64> {
        let mut totals = BTreeMap::new();
        for bucket in &self.buckets {
            for (&uid, &v) in &bucket.miners {
                let t = totals.entry(uid).or_insert(0u64);
                *t = t.saturating_add(v);
            }
        }
        totals
    }

    /// Rewards for the uids below `n` (the metagraph's size), masa's rules ([`Ties::Zero`]).
    pub fn rewards(&self, n: usize) -> Rewards {
        self.rewards_with(n, Ties::Zero)
    }

    /// Rewards for the uids below `n` (the metagraph's size), equal volumes rewarded as
    /// `ties` says.
    ///
    /// μ and σ are taken over every uid that appears in the window, as masa does, and
    /// only then are uids ≥ `n` left out.
    pub fn rewards_with(&self, n: usize, ties: Ties) -> Rewards {
        let totals = self.totals();
        let count = totals.len() as f64;
        let mean = totals.values().map(|&v| v as f64).sum::<f64>() / count;
        let variance = totals
            .values()
            .map(|&v| {
                let d = v as f64 - mean;
                d * d
            })
            .sum::<f64>()
            / count;
        let sigma = libm::sqrt(variance);
        let eligible: Vec<(u16, u64)> = totals
            .into_iter()
            .filter(|(uid, _)| usize::from(*uid) < n)
            .collect();
        let single = eligible.len() == 1;
        let (uids, rewards) = eligible
            .into_iter()
            .map(|(uid, v)| {
                let r = if single {
                    1.0
                } else if sigma > 0.0 && sigma.is_finite() {
                    normal_cdf((v as f64 - mean) / sigma)
                } else if ties == Ties::Half && mean > 0.0 {
                    // Every z is 0: Φ(0).
                    0.5
                } else {
                    0.0
                };
                (uid, r)
            })
            .unzip();
        Rewards { uids, rewards }
    }

    fn trim(&mut self) {
        while self.buckets.len() > WINDOW_TEMPOS {
            self.buckets.pop_front();
        }
    }
}

/// What equal volumes (σ = 0, more than one miner) earn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ties {
    /// 0 each, as masa's `Scorer` gives: a subnet of equally good miners sets no weights.
    #[default]
    Zero,
    /// Φ(0) = 0.5 each (when they delivered anything): equally good miners share equally.
    Half,
}

/// The standard normal CDF, Φ(z) = ½·erfc(−z/√2).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / core::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        // scipy.stats.norm.cdf values.
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((normal_cdf(1.0) - 0.8413447460685429).abs() < 1e-15);
        assert!((normal_cdf(-1.959963984540054) - 0.025).abs() < 1e-15);
        assert!((normal_cdf(-10.0) - 7.619853024160527e-24).abs() < 1e-36);
    }

    #[test]
    fn zero_tempo_is_rejected() {
        assert_eq!(VolumeWindow::new(0), Err(VolumeError::ZeroTempo));
    }

    #[test]
    fn buckets_by_tempo_and_keeps_six() {
        let mut w = VolumeWindow::new(10).unwrap();
        for block in (0..100).step_by(5) {
            w.add_volume(block, 1, 1);
        }
        let tempos: Vec<u64> = w.buckets().map(|b| b.tempo).collect();
        assert_eq!(tempos, vec![4, 5, 6, 7, 8, 9]);
        assert_eq!(w.totals()[&1], 12);
    }

    #[test]
    fn z_score_through_cdf() {
        let mut w = VolumeWindow::new(100).unwrap();
        // Volumes 1, 2, 3: μ = 2, σ = sqrt(2/3).
        for (uid, v) in [(0, 1), (1, 2), (2, 3)] {
            w.add_volume(7, uid, v);
        }
        let r = w.rewards(3);
        assert_eq!(r.uids, vec![0, 1, 2]);
        let sigma = libm::sqrt(2.0 / 3.0);
        assert!((r.rewards[0] - normal_cdf(-1.0 / sigma)).abs() < 1e-15);
        assert!((r.rewards[1] - 0.5).abs() < 1e-15);
        assert!((r.rewards[0] + r.rewards[2] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn masa_edge_cases() {
        let mut w = VolumeWindow::new(100).unwrap();
        assert_eq!(w.rewards(10), Rewards::default());
        w.add_volume(0, 3, 5);
        assert_eq!(w.rewards(10).rewards, vec![1.0]);
        w.add_volume(0, 4, 5);
        assert_eq!(w.rewards(10).rewards, vec![0.0, 0.0], "σ = 0 gives 0");
        assert_eq!(
            w.rewards_with(10, Ties::Half).rewards,
            vec![0.5, 0.5],
            "or Φ(0)"
        );
        // uid 4 is outside the metagraph but still counts towards μ and σ.
        w.add_volume(0, 4, 5);
        assert_eq!(w.rewards(4).rewards, vec![1.0]);
        let r = w.rewards(10);
        assert!(r.rewards[0] < 0.5 && r.rewards[1] > 0.5);
    }

    #[test]
    fn reset_forgets_a_uid() {
        let mut w = VolumeWindow::new(10).unwrap();
        w.add_volume(0, 1, 5);
        w.add_volume(15, 1, 5);
        w.add_volume(15, 2, 5);
        w.reset_uid(1);
        assert_eq!(w.totals()[&1], 0);
        assert_eq!(w.totals()[&2], 5);
    }

    #[test]
    fn serde_round_trip_and_trim() {
        let mut w = VolumeWindow::new(10).unwrap();
        w.add_volume(3, 0, 9);
        let json = serde_json::to_string(&w).unwrap();
        let back: VolumeWindow = serde_json::from_str(&json).unwrap();
        assert_eq!(back, w);
        let many: Vec<Bucket> = (0..9)
            .map(|t| Bucket {
                tempo: t,
                miners: BTreeMap::new(),
            })
            .collect();
        let w = VolumeWindow::from_buckets(10, many).unwrap();
        assert_eq!(w.buckets().next().map(|b| b.tempo), Some(3));
    }

    proptest! {
        #[test]
        fn rewards_are_probabilities(
            entries in proptest::collection::vec((any::<u64>(), 0u16..64, any::<u64>()), 0..200),
            n in 0usize..80,
        ) {
            let mut w = VolumeWindow::new(360).unwrap();
            for (block, uid, v) in entries {
                w.add_volume(block % 100_000, uid, v);
            }
            let r = w.rewards(n);
            prop_assert_eq!(r.uids.len(), r.rewards.len());
            for (&uid, &x) in r.uids.iter().zip(&r.rewards) {
                prop_assert!(usize::from(uid) < n);
                prop_assert!((0.0..=1.0).contains(&x));
            }
        }
    }
}
