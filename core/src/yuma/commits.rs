//! The commit-reveal column mask's input: per uid, the earliest unexpired commit block
//! (run_epoch.rs L730-770 at spec 425; L700-745 at spec 385).
//!
//! The epoch reads, for the mechanism's storage index `idx`:
//! - `WeightCommits[idx][hotkey]` (CR-v2): a queue of 4-tuples. Spec 425 stores
//!   `(hash, commit_epoch, commit_block, _)`; spec 385/397 store
//!   `(hash, commit_block, first_reveal_block, last_reveal_block)`. For each hotkey the
//!   first unexpired entry of the queue (in queue order) counts, then the loop stops.
//! - `TimelockedWeightCommits[idx][epoch]` (CR-v3/v4): a queue of
//!   `(hotkey, commit_block, ciphertext, reveal_round)`. Spec 425 skips a whole queue whose
//!   `epoch` key has expired; spec 385/397 judge each entry by its `commit_block`.
//!
//! A uid's commit block is the minimum over what counts; hotkeys are mapped to uids with the
//! subnet's `Keys` (a hotkey that is not registered is skipped).
//!
//! **Which state.** The epoch runs inside `block_step` of the epoch block, after
//! `reveal_crv3_commits` (every rule set) has removed the timelocked queues of epochs before
//! the reveal epoch and taken the queue of the reveal epoch
//! (`TimelockedWeightCommits[idx][current_epoch − reveal_period]`, `current_epoch` being the
//! epoch index the epoch block starts): of that queue only the entries whose drand round had
//! no pulse yet are put back; revealed entries and entries that failed to decrypt or apply
//! are gone. So read the commits at the block before the epoch, drop the timelocked queues of
//! epochs before the reveal epoch, and of the reveal epoch's queue keep only the entries whose
//! `reveal_round` is missing from `Drand::Pulses` at the epoch block. CR-v2 commits are
//! revealed by extrinsics, after the epoch: read them as they are at the block before.
//!
//! The reveals also write `Weights[idx]` (not `LastUpdate[idx]`, which under commit-reveal is
//! the commit block) before the epoch: for the hotkeys with a `TimelockedWeightsRevealed(idx,
//! hotkey)` event in the epoch block, take their `Weights[idx]` row from the epoch block.

use alloc::vec;
use alloc::vec::Vec;

/// How the epoch judges a commit expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CommitExpiry {
    /// Spec 425 (`is_commit_expired`, subnets/weights.rs L1287): expired when
    /// `epoch_index > commit_epoch + reveal_period`. `epoch_index` is the epoch's view of
    /// `current_epoch_with_lookahead`: `SubnetEpochIndex` at the block before the epoch
    /// **plus one** (`drain_pending` increments the counter before the epoch runs, and
    /// `should_run_epoch` is then false, so no look-ahead is added).
    EpochIndex {
        /// `SubnetEpochIndex[netuid]` at the block before the epoch, plus 1.
        epoch_index: u64,
        /// `RevealPeriodEpochs[netuid]`.
        reveal_period: u64,
    },
    /// Spec 385/397 (`is_commit_expired`, subnets/weights.rs L1263 at 385): expired when
    /// `grid(current_block) > grid(commit_block) + reveal_period`, with
    /// `grid(b) = (b + netuid + 1) / (tempo + 1)`.
    BlockGrid {
        /// The subnet.
        netuid: u16,
        /// `Tempo[netuid]`.
        tempo: u16,
        /// The epoch block.
        current_block: u64,
        /// `RevealPeriodEpochs[netuid]`.
        reveal_period: u64,
    },
}

impl CommitExpiry {
    fn grid(netuid: u16, tempo: u16, block: u64) -> u64 {
        block
            .saturating_add(u64::from(netuid).saturating_add(1))
            .checked_div(u64::from(tempo).saturating_add(1))
            .unwrap_or(0)
    }

    /// True when a commit of `epoch_or_block` (the commit epoch under
    /// [`CommitExpiry::EpochIndex`], the commit block under [`CommitExpiry::BlockGrid`]) has
    /// expired at the epoch.
    pub fn is_expired(&self, epoch_or_block: u64) -> bool {
        match *self {
            Self::EpochIndex {
                epoch_index,
                reveal_period,
            } => epoch_index > epoch_or_block.saturating_add(reveal_period),
            Self::BlockGrid {
                netuid,
                tempo,
                current_block,
                reveal_period,
            } => {
                Self::grid(netuid, tempo, current_block)
                    > Self::grid(netuid, tempo, epoch_or_block).saturating_add(reveal_period)
            }
        }
    }
}

/// One hotkey's `WeightCommits[idx][hotkey]` queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct WeightCommitQueue {
    /// The hotkey's uid (`Uids[netuid][hotkey]`); None when it is not registered.
    pub uid: Option<u16>,
    /// The queue in storage order: tuple fields 1 and 2 (`(commit_epoch, commit_block)` at
    /// spec 425, `(commit_block, first_reveal_block)` at spec 385/397).
    pub entries: Vec<(u64, u64)>,
}

/// One `TimelockedWeightCommits[idx][epoch]` queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TimelockedCommitQueue {
    /// The map's second key, the commit epoch.
    pub epoch: u64,
    /// `(uid of the hotkey, commit_block)` per entry; uid None when not registered.
    pub entries: Vec<(Option<u16>, u64)>,
}

/// Per uid 0..n, the earliest unexpired commit block (None: no live commit), as the epoch
/// computes `commit_blocks` for the commit-reveal column mask. The rules (tuple layout and
/// expiry) follow `expiry`: [`CommitExpiry::EpochIndex`] is spec 425,
/// [`CommitExpiry::BlockGrid`] spec 385/397.
pub fn commit_blocks(
    n: u16,
    expiry: &CommitExpiry,
    weight_commits: &[WeightCommitQueue],
    timelocked: &[TimelockedCommitQueue],
) -> Vec<Option<u64>> {
    let mut cells: Vec<Option<u64>> = vec![None; usize::from(n)];
    let mut lower = |uid: Option<u16>, block: u64| {
        if let Some(cell) = uid.and_then(|u| cells.get_mut(usize::from(u))) {
            *cell = Some(cell.map_or(block, |c| c.min(block)));
        }
    };
    let epoch_keyed = matches!(expiry, CommitExpiry::EpochIndex { .. });
    for queue in weight_commits {
        for &(field1, field2) in &queue.entries {
            // Spec 425: (commit_epoch, commit_block); spec 385: (commit_block, _).
            let (judged, block) = if epoch_keyed {
                (field1, field2)
            } else {
                (field1, field1)
            };
            if !expiry.is_expired(judged) {
                lower(queue.uid, block);
                break;
            }
        }
    }
    for queue in timelocked {
        if epoch_keyed && expiry.is_expired(queue.epoch) {
            continue;
        }
        for &(uid, block) in &queue.entries {
            if epoch_keyed || !expiry.is_expired(block) {
                lower(uid, block);
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec425_expiry_is_by_epoch_counter() {
        let e = CommitExpiry::EpochIndex {
            epoch_index: 10,
            reveal_period: 2,
        };
        assert!(!e.is_expired(8));
        assert!(e.is_expired(7));
        let v2 = [
            WeightCommitQueue {
                uid: Some(0),
                // the first entry expired, the second is live: its block counts
                entries: vec![(7, 100), (8, 150), (9, 120)],
            },
            WeightCommitQueue {
                uid: None,
                entries: vec![(9, 1)],
            },
        ];
        let v4 = [
            TimelockedCommitQueue {
                epoch: 7,
                entries: vec![(Some(1), 5)],
            },
            TimelockedCommitQueue {
                epoch: 9,
                entries: vec![(Some(1), 130), (Some(0), 140)],
            },
        ];
        assert_eq!(
            commit_blocks(3, &e, &v2, &v4),
            vec![Some(140), Some(130), None]
        );
    }

    #[test]
    fn spec385_expiry_is_by_block_grid() {
        // tempo 9, netuid 0: grid(b) = (b + 1) / 10.
        let e = CommitExpiry::BlockGrid {
            netuid: 0,
            tempo: 9,
            current_block: 59,
            reveal_period: 2,
        };
        assert_eq!(CommitExpiry::grid(0, 9, 59), 6);
        assert!(!e.is_expired(39)); // grid 4 + 2 = 6, not < 6
        assert!(e.is_expired(38)); // grid 3
        let v2 = [WeightCommitQueue {
            uid: Some(1),
            entries: vec![(20, 0), (45, 0)],
        }];
        let v3 = [TimelockedCommitQueue {
            epoch: 0,
            entries: vec![(Some(0), 10), (Some(0), 50)],
        }];
        assert_eq!(commit_blocks(2, &e, &v2, &v3), vec![Some(50), Some(45)]);
    }
}
