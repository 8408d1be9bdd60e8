//! The per-uid moving average of scores a validator keeps between epochs.
//!
//! [`ScoreBook`] owns three rules a validator operator relies on:
//! - a reward moves only the uids that were scored this round (`s = α·r + (1−α)·s`);
//! - the book grows with the metagraph, new uids start at 0;
//! - a uid whose hotkey changed (the miner was replaced) is reset to 0, so a newcomer never
//!   inherits its predecessor's reputation.
//!
//! Bad rewards never poison the book: NaN and ±∞ become 0 and negative rewards are clamped
//! to 0, and the update reports which uids that happened to. Every check runs before the
//! book changes, so an update either applies whole or not at all.

use alloc::vec::Vec;

/// The moving-average factor validators use by default (masa's `moving_average_alpha`).
pub const DEFAULT_ALPHA: f64 = 0.1;

/// Why a score update or a book was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// α must be a finite number in (0, 1].
    #[error("moving-average alpha must be in (0, 1], got {0}")]
    InvalidAlpha(f64),
    /// `uids` and `rewards` have different lengths.
    #[error("{uids} uids but {rewards} rewards: each scored uid needs exactly one reward")]
    LengthMismatch {
        /// Number of uids given.
        uids: usize,
        /// Number of rewards given.
        rewards: usize,
    },
    /// A uid is not (yet) in the book; sync the metagraph's hotkeys first.
    #[error(
        "uid {uid} is not in the score book (size {len}); sync hotkeys from the metagraph first"
    )]
    UnknownUid {
        /// The offending uid.
        uid: u16,
        /// The book's current size.
        len: usize,
    },
    /// The same uid was scored twice in one update.
    #[error("uid {0} appears twice in one score update")]
    DuplicateUid(u16),
    /// Stored scores and hotkeys disagree in length (a damaged or hand-edited state).
    #[error("{scores} scores but {hotkeys} hotkeys")]
    InconsistentBook {
        /// Number of scores.
        scores: usize,
        /// Number of hotkeys.
        hotkeys: usize,
    },
    /// A stored score is NaN, infinite or negative.
    #[error("stored score for uid {uid} is {value}: scores must be finite and ≥ 0")]
    InvalidStoredScore {
        /// The uid.
        uid: usize,
        /// Its value.
        value: f64,
    },
}

/// What an update had to repair in its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateReport {
    /// uids whose reward was NaN or ±∞ and was treated as 0.
    pub non_finite: Vec<u16>,
    /// uids whose reward was negative and was clamped to 0.
    pub negative: Vec<u16>,
}

impl UpdateReport {
    /// `true` when every reward was used as given.
    pub fn is_clean(&self) -> bool {
        self.non_finite.is_empty() && self.negative.is_empty()
    }
}

/// Checks that α is a usable moving-average factor.
pub fn validate_alpha(alpha: f64) -> Result<f64, ScoreError> {
    if alpha.is_finite() && alpha > 0.0 && alpha <= 1.0 {
        Ok(alpha)
    } else {
        Err(ScoreError::InvalidAlpha(alpha))
    }
}

/// One moving-average step: `α·reward + (1−α)·previous`.
#[inline]
pub fn ema_step(alpha: f64, previous: f64, reward: f64) -> f64 {
    alpha * reward + (1.0 - alpha) * previous
}

/// Per-uid scores with the hotkey each score belongs to.
///
/// `H` is the hotkey type (an ss58 string, a 32-byte public key…); the book only compares hotkeys.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreBook<H> {
    alpha: f64,
    scores: Vec<f64>,
    hotkeys: Vec<Option<H>>,
}

impl<H: Clone + PartialEq> ScoreBook<H> {
    /// An empty book with moving-average factor `alpha`.
    pub fn new(alpha: f64) -> Result<Self, ScoreError> {
        Ok(Self {
            alpha: validate_alpha(alpha)?,
            scores: Vec::new(),
            hotkeys: Vec::new(),
        })
    }

    /// Rebuilds a book from persisted parts, checking that they are consistent.
    pub fn from_parts(
        alpha: f64,
        scores: Vec<f64>,
        hotkeys: Vec<Option<H>>,
    ) -> Result<Self, ScoreError> {
        let alpha = validate_alpha(alpha)?;
        if scores.len() != hotkeys.len() {
            return Err(ScoreError::InconsistentBook {
                scores: scores.len(),
                hotkeys: hotkeys.len(),
            });
        }
        if let Some((uid, &value)) = scores
            .iter()
            .enumerate()
            .find(|(_, s)| !s.is_finite() || **s < 0.0)
        {
            return Err(ScoreError::InvalidStoredScore { uid, value });
        }
        Ok(Self {
            alpha,
            scores,
            hotkeys,
        })
    }

    /// The moving-average factor.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Scores by uid.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The hotkey each score belongs to (`None` until the uid was first synced).
    pub fn hotkeys(&self) -> &[Option<H>] {
        &self.hotkeys
    }

    /// Number of uids in the book.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// `true` when the book holds no uid.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// Aligns the book with the metagraph's hotkeys (index = uid).
    ///
    /// The book grows to the metagraph's size with zero scores; a uid whose stored hotkey
    /// differs from the metagraph's is reset to 0; uids beyond the metagraph are dropped.
    /// Returns the uids that were reset or dropped.
    pub fn sync_hotkeys(&mut self, hotkeys: &[H]) -> Vec<u16> {
        let mut reset = Vec::new();
        for uid in hotkeys.len()..self.scores.len() {
            reset.push(uid_u16(uid));
        }
        self.scores.truncate(hotkeys.len());
        self.hotkeys.truncate(hotkeys.len());
        for (uid, hotkey) in hotkeys.iter().enumerate() {
            match self.hotkeys.get_mut(uid) {
                Some(stored) => {
                    if stored.as_ref() != Some(hotkey) {
                        if stored.is_some() {
                            reset.push(uid_u16(uid));
                        }
                        self.scores[uid] = 0.0;
                        *stored = Some(hotkey.clone());
                    }
                }
                None => {
                    self.scores.push(0.0);
                    self.hotkeys.push(Some(hotkey.clone()));
                }
            }
        }
        reset
    }

    /// Folds this round's rewards into the scored uids; other uids keep their score.
    ///
    /// Fails without changing anything on a length mismatch, a duplicate uid or a uid
    /// the book does not hold. Non-finite rewards count as 0 and negative ones are
    /// clamped to 0; the report lists them.
    pub fn update(&mut self, uids: &[u16], rewards: &[f64]) -> Result<UpdateReport, ScoreError> {
        if uids.len() != rewards.len() {
            return Err(ScoreError::LengthMismatch {
                uids: uids.len(),
                rewards: rewards.len(),
            });
        }
        let mut seen = alloc::vec![false; self.scores.len()];
        for &uid in uids {
            let slot = seen
                .get_mut(usize::from(uid))
                .ok_or(ScoreError::UnknownUid {
                    uid,
                    len: self.scores.len(),
                })?;
            if *slot {
                return Err(ScoreError::DuplicateUid(uid));
            }
            *slot = true;
        }
        let mut report = UpdateReport::default();
        for (&uid, &reward) in uids.iter().zip(rewards) {
            let reward = if !reward.is_finite() {
                report.non_finite.push(uid);
                0.0
            } else if reward < 0.0 {
                report.negative.push(uid);
                0.0
            } else {
                reward
            };
            let score = &mut self.scores[usize::from(uid)];
            *score = ema_step(self.alpha, *score, reward);
        }
        Ok(report)
    }

    /// Scores as the f32 weights the SDK's weight processing takes.
    pub fn weights_f32(&self) -> Vec<f32> {
        self.scores.iter().map(|&s| s as f32).collect()
    }
}

/// uids are u16 on chain; the metagraph can never exceed that, so saturate rather than panic.
fn uid_u16(uid: usize) -> u16 {
    u16::try_from(uid).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use proptest::prelude::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn alpha_is_validated() {
        assert!(ScoreBook::<String>::new(DEFAULT_ALPHA).is_ok());
        assert!(ScoreBook::<String>::new(1.0).is_ok());
        for bad in [0.0, -0.1, 1.1, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                ScoreBook::<String>::new(bad),
                Err(ScoreError::InvalidAlpha(_))
            ));
        }
    }

    #[test]
    fn rewards_move_only_scored_uids() {
        let mut book = ScoreBook::new(0.1).unwrap();
        book.sync_hotkeys(&keys(&["a", "b", "c"]));
        book.update(&[0, 2], &[1.0, 0.5]).unwrap();
        assert_eq!(book.scores(), &[0.1, 0.0, 0.05]);
        book.update(&[0], &[1.0]).unwrap();
        assert!((book.scores()[0] - 0.19).abs() < 1e-15);
        assert_eq!(book.scores()[2], 0.05);
    }

    #[test]
    fn grows_with_metagraph_and_resets_replaced_hotkeys() {
        let mut book = ScoreBook::new(0.5).unwrap();
        assert!(book.sync_hotkeys(&keys(&["a", "b"])).is_empty());
        book.update(&[0, 1], &[1.0, 1.0]).unwrap();
        let reset = book.sync_hotkeys(&keys(&["a", "B", "c"]));
        assert_eq!(reset, vec![1]);
        assert_eq!(book.scores(), &[0.5, 0.0, 0.0]);
        assert_eq!(book.hotkeys()[1].as_deref(), Some("B"));
        let dropped = book.sync_hotkeys(&keys(&["a"]));
        assert_eq!(dropped, vec![1, 2]);
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn bad_rewards_are_repaired_and_reported() {
        let mut book = ScoreBook::new(0.5).unwrap();
        book.sync_hotkeys(&keys(&["a", "b", "c", "d"]));
        book.update(&[0, 1, 2, 3], &[1.0, 1.0, 1.0, 1.0]).unwrap();
        let report = book
            .update(&[0, 1, 2], &[f64::NAN, f64::NEG_INFINITY, -3.0])
            .unwrap();
        assert_eq!(report.non_finite, vec![0, 1]);
        assert_eq!(report.negative, vec![2]);
        assert_eq!(book.scores(), &[0.25, 0.25, 0.25, 0.5]);
    }

    #[test]
    fn invalid_updates_change_nothing() {
        let mut book = ScoreBook::new(0.5).unwrap();
        book.sync_hotkeys(&keys(&["a", "b"]));
        let before = book.clone();
        assert!(matches!(
            book.update(&[0, 1], &[1.0]),
            Err(ScoreError::LengthMismatch { .. })
        ));
        assert_eq!(
            book.update(&[1, 1], &[1.0, 1.0]),
            Err(ScoreError::DuplicateUid(1))
        );
        assert_eq!(
            book.update(&[0, 5], &[1.0, 1.0]),
            Err(ScoreError::UnknownUid { uid: 5, len: 2 })
        );
        assert_eq!(book, before);
    }

    #[test]
    fn from_parts_checks_consistency() {
        assert!(ScoreBook::from_parts(0.1, vec![0.1], vec![Some(1u8)]).is_ok());
        assert!(matches!(
            ScoreBook::from_parts(0.1, vec![0.1, 0.2], vec![Some(1u8)]),
            Err(ScoreError::InconsistentBook { .. })
        ));
        assert!(matches!(
            ScoreBook::from_parts(0.1, vec![f64::NAN], vec![Some(1u8)]),
            Err(ScoreError::InvalidStoredScore { uid: 0, .. })
        ));
    }

    proptest! {
        #[test]
        fn scores_stay_between_min_and_max_reward(
            n in 1usize..64,
            rounds in proptest::collection::vec(proptest::collection::vec(0.0f64..=1.0, 64), 1..20),
            alpha in 0.001f64..=1.0,
        ) {
            let hotkeys: Vec<u32> = (0..n as u32).collect();
            let mut book = ScoreBook::new(alpha).unwrap();
            book.sync_hotkeys(&hotkeys);
            let uids: Vec<u16> = (0..n as u16).collect();
            for r in &rounds {
                book.update(&uids, &r[..n]).unwrap();
            }
            for s in book.scores() {
                prop_assert!(s.is_finite() && *s >= 0.0 && *s <= 1.0 + 1e-12);
            }
        }

        #[test]
        fn update_never_panics(
            len in 0usize..16,
            uids in proptest::collection::vec(any::<u16>(), 0..20),
            rewards in proptest::collection::vec(any::<f64>(), 0..20),
        ) {
            let hotkeys: Vec<u32> = (0..len as u32).collect();
            let mut book = ScoreBook::new(DEFAULT_ALPHA).unwrap();
            book.sync_hotkeys(&hotkeys);
            let _ = book.update(&uids, &rewards);
            for s in book.scores() {
                prop_assert!(s.is_finite() && *s >= 0.0);
            }
        }
    }
}
