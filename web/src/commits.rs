//! The commit-reveal timeline of every validator, from the chain alone: each unrevealed commit
//! (`WeightCommits` and `TimelockedWeightCommits`, every mechanism) with its reveal epoch, its
//! drand round and whether that round's pulse is on chain (`Drand::LastStoredRound`), whether
//! it has expired unrevealed (the runtime's `is_commit_expired`, through
//! `bt_core::yuma::CommitExpiry`), and each validator's commits over the history
//! window (the blocks its `LastUpdate` took: under commit-reveal a commit sets it).

use bt_core::history::History;
use bt_core::metagraph::Metagraph;
use bt_core::yuma::CommitExpiry;
use serde::Serialize;

/// Where a commit's drand pulse is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Pulse {
    /// A hash commit (commit-reveal v2): no drand round; the validator reveals it.
    NotTimelocked,
    /// The pulse of its round is on chain (`LastStoredRound` ≥ the round).
    OnChain,
    /// Not yet: the newest pulse on chain is this round.
    Waiting(u64),
    /// `LastStoredRound` was not read.
    Unknown,
}

/// One unrevealed commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitRow {
    /// The committer's uid.
    pub uid: u16,
    /// The mechanism.
    pub mecid: u8,
    /// The block it landed in.
    pub commit_block: u64,
    /// The epoch the chain keyed it by.
    pub commit_epoch: u64,
    /// `commit_epoch + RevealPeriodEpochs`: the epoch it is revealed in.
    pub reveal_epoch: u64,
    /// Its drand round (timelocked commits).
    pub reveal_round: Option<u64>,
    /// Its pulse.
    pub pulse: Pulse,
    /// Past its reveal epoch and still unrevealed: the chain drops it.
    pub expired: bool,
}

impl CommitRow {
    /// The state in words: `waiting for epoch E`, `revealing in epoch E`, `expired unrevealed`.
    pub fn state_text(&self, epoch_index: u64) -> String {
        if self.expired {
            "expired unrevealed".to_string()
        } else if epoch_index >= self.reveal_epoch {
            format!("due: reveal epoch {}", self.reveal_epoch)
        } else {
            format!("waiting for epoch {}", self.reveal_epoch)
        }
    }

    /// The pulse in words.
    pub fn pulse_text(&self) -> String {
        match (self.pulse, self.reveal_round) {
            (Pulse::NotTimelocked, _) => "— (hash commit)".to_string(),
            (Pulse::OnChain, Some(r)) => format!("round {r}: on chain"),
            (Pulse::Waiting(last), Some(r)) => {
                format!("round {r}: not yet (last stored {last})")
            }
            (_, Some(r)) => format!("round {r}"),
            (_, None) => String::new(),
        }
    }
}

/// How the runtime judges expiry at the subnet's current state.
fn expiry(mg: &Metagraph) -> CommitExpiry {
    let reveal_period = mg.hyperparams.commit_reveal_period;
    if mg.schedule.dynamic_tempo {
        CommitExpiry::EpochIndex {
            epoch_index: mg.schedule.epoch_index,
            reveal_period,
        }
    } else {
        CommitExpiry::BlockGrid {
            netuid: mg.netuid,
            tempo: mg.hyperparams.tempo,
            current_block: mg.block,
            reveal_period,
        }
    }
}

/// Every unrevealed commit of the subnet (all mechanisms), by uid then commit block.
/// `last_stored_round` is `Drand::LastStoredRound` at the same block.
pub fn pending_commits(mg: &Metagraph, last_stored_round: Option<u64>) -> Vec<CommitRow> {
    let rule = expiry(mg);
    let mut out: Vec<CommitRow> = mg
        .mechanisms
        .iter()
        .flat_map(|m| {
            m.commits.iter().map(move |c| {
                let pulse = match (c.reveal_round, last_stored_round) {
                    (None, _) => Pulse::NotTimelocked,
                    (Some(_), None) => Pulse::Unknown,
                    (Some(r), Some(last)) if last >= r => Pulse::OnChain,
                    (Some(_), Some(last)) => Pulse::Waiting(last),
                };
                let judged = if mg.schedule.dynamic_tempo {
                    c.commit_epoch
                } else {
                    c.commit_block
                };
                CommitRow {
                    uid: c.uid,
                    mecid: m.mecid,
                    commit_block: c.commit_block,
                    commit_epoch: c.commit_epoch,
                    reveal_epoch: c
                        .commit_epoch
                        .saturating_add(mg.hyperparams.commit_reveal_period),
                    reveal_round: c.reveal_round,
                    pulse,
                    expired: rule.is_expired(judged),
                }
            })
        })
        .collect();
    out.sort_by_key(|r| (r.uid, r.mecid, r.commit_block));
    out
}

/// The blocks of `uid`'s weights (its commits, under commit-reveal) in `mecid` over the
/// history window: each distinct non-zero `LastUpdate` the epochs saw, oldest first, while
/// the uid belonged to the same hotkey.
pub fn commits_in_window(history: &History, mecid: u8, uid: u16, hotkey: &[u8; 32]) -> Vec<u64> {
    let mut blocks: Vec<u64> = history
        .points
        .iter()
        .filter(|p| p.hotkeys.get(usize::from(uid)) == Some(hotkey))
        .filter_map(|p| {
            p.last_update
                .get(usize::from(mecid))?
                .get(usize::from(uid))
                .copied()
        })
        .filter(|&b| b != 0)
        .collect();
    blocks.sort_unstable();
    blocks.dedup();
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::history::EpochPoint;
    use bt_core::metagraph::{Mechanism, PendingCommit};

    fn subnet() -> Metagraph {
        let mut mg = Metagraph {
            netuid: 2,
            block: 500,
            mechanisms: vec![Mechanism {
                mecid: 0,
                commits: vec![
                    PendingCommit {
                        uid: 1,
                        commit_epoch: 7,
                        commit_block: 400,
                        reveal_round: Some(90),
                    },
                    PendingCommit {
                        uid: 0,
                        commit_epoch: 5,
                        commit_block: 300,
                        reveal_round: Some(80),
                    },
                ],
                ..Mechanism::default()
            }],
            ..Metagraph::default()
        };
        mg.schedule.dynamic_tempo = true;
        mg.schedule.epoch_index = 7;
        mg.hyperparams.commit_reveal_period = 1;
        mg
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn commits_carry_reveal_epoch_pulse_and_expiry() {
        let rows = pending_commits(&subnet(), Some(85));
        assert_eq!(rows.len(), 2);
        // uid 0: epoch 5 + 1 = 6 < 7: expired (the runtime: 7 > 5 + 1); its pulse is there.
        assert_eq!(rows[0].uid, 0);
        assert!(rows[0].expired);
        assert_eq!(rows[0].pulse, Pulse::OnChain);
        assert_eq!(rows[0].state_text(7), "expired unrevealed");
        // uid 1: reveal epoch 8, pulse 90 not yet (85 stored).
        assert!(!rows[1].expired);
        assert_eq!(rows[1].reveal_epoch, 8);
        assert_eq!(rows[1].pulse, Pulse::Waiting(85));
        assert_eq!(rows[1].pulse_text(), "round 90: not yet (last stored 85)");
        assert_eq!(rows[1].state_text(7), "waiting for epoch 8");
        assert_eq!(
            pending_commits(&subnet(), None)[1].pulse,
            Pulse::Unknown,
            "no LastStoredRound read"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_window_lists_distinct_commit_blocks_of_the_same_hotkey() {
        let point = |block, lu: u64, key: u8| EpochPoint {
            block,
            hotkeys: vec![[9; 32], [key; 32]],
            incentive: vec![vec![0, 0]],
            last_update: vec![vec![0, lu]],
            dividends: vec![0, 0],
            emission: vec![0, 0],
            stake: vec![0, 0],
        };
        let h = History::new(vec![
            point(100, 0, 1),
            point(200, 150, 1),
            point(300, 150, 1),
            point(400, 350, 1),
            point(500, 450, 2),
        ]);
        assert_eq!(commits_in_window(&h, 0, 1, &[1; 32]), [150, 350]);
        assert_eq!(commits_in_window(&h, 1, 1, &[1; 32]), Vec::<u64>::new());
    }
}
