//! Weights the chain has not answered for yet: a commit made under commit-reveal, saved in
//! the state file **before** it is sent, so that no crash loses it.
//!
//! Two kinds, chosen by the subnet and `--neuron.commit_reveal`:
//! - **timelocked** (commit-reveal v4, the SDK's default): the weights are encrypted to a drand
//!   round of the reveal epoch and the chain reveals them itself; the validator only checks,
//!   after the reveal epoch, that they landed (`match`, `mismatch`, or `dropped` with the
//!   reason);
//! - **hash** (v2): the validator commits a hash and reveals the weights with the salt in the
//!   reveal epoch. The salt comes from the operating system's secure random generator.
//!
//! A commit moves through [`Stage`]s, each saved before the step that leaves it:
//! `Sent` (signed and saved, then sent: whether it landed is not known) → `Committed` (on
//! chain at a known block) → for hash commits `Revealing` (the reveal signed and saved, then
//! sent) → `Revealed` (the reveal is in a block; the read-back remains). Every ambiguous
//! moment (a crash, a node that goes away between sending and inclusion) leaves the commit
//! in `Sent` or `Revealing` with the very transaction that was sent: the next step looks for
//! its effect on chain, and if there is none, sends the same bytes again. Those can land at
//! most once (their nonce) and never after their mortal era, so nothing is committed or
//! revealed twice, and a refusal of the same bytes proves the commit never landed.

use bt_chain::timelock::{PreparedCommit, TimelockedCommit};
use bt_chain::tx::SignedTx;
use bt_chain::weights::{Target, WeightsToSet};
use serde::{Deserialize, Serialize};

/// How the validator commits when the subnet has commit-reveal on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// Timelocked when the runtime takes timelocked commits (commit-reveal version 4), hash
    /// commits otherwise.
    #[default]
    Auto,
    /// Always timelocked (fails where the runtime cannot take them).
    Timelocked,
    /// Always hash commits, revealed by the validator.
    Hash,
}

/// A commit waiting for the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingCommit {
    /// A hash commit (v2): revealed by the validator in the reveal epoch.
    Hash {
        /// Where the weights go.
        target: Target,
        /// The weights committed.
        weights: WeightsToSet,
        /// The salt (from the OS's secure random generator).
        salt: Vec<u16>,
        /// The commit's hash.
        hash: [u8; 32],
        /// The block it landed in; `None` while that is not known.
        commit_block: Option<u64>,
        /// The commit transaction as signed, saved before it was sent (absent in states
        /// saved by versions before 0.2, whose unknown commits are looked up only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit_tx: Option<SignedTx>,
        /// The reveal, once signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reveal: Option<Reveal>,
    },
    /// A timelocked commit (v4): revealed by the chain.
    Timelocked {
        /// The weights committed.
        weights: WeightsToSet,
        /// The encrypted commit as prepared (saved before sending).
        prepared: PreparedCommit,
        /// Where the chain keyed it; `None` while that is not known.
        commit: Option<TimelockedCommit>,
        /// The commit transaction as signed, saved before it was sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit_tx: Option<SignedTx>,
    },
}

/// A hash commit's reveal: the transaction as signed (saved before it is sent) and, once
/// seen, the block it landed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reveal {
    /// The reveal transaction.
    pub tx: SignedTx,
    /// Its block, once its inclusion was seen.
    pub included_at: Option<u64>,
}

/// Where a pending commit is, read from what is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Saved and (perhaps) sent; whether it landed is not known.
    Sent,
    /// On chain since this block.
    Committed(u64),
    /// A hash commit's reveal was sent (perhaps); whether it landed is not known.
    Revealing(u64),
    /// A hash commit's reveal landed in `revealed_at`; the read-back remains.
    Revealed {
        /// The commit's block.
        commit_block: u64,
        /// The reveal's block.
        revealed_at: u64,
    },
}

impl PendingCommit {
    /// The weights committed.
    pub fn weights(&self) -> &WeightsToSet {
        match self {
            Self::Hash { weights, .. } | Self::Timelocked { weights, .. } => weights,
        }
    }

    /// The block the commit landed in, when known.
    pub fn commit_block(&self) -> Option<u64> {
        match self {
            Self::Hash { commit_block, .. } => *commit_block,
            Self::Timelocked { commit, .. } => commit.as_ref().map(|c| c.included_at),
        }
    }

    /// Where it is.
    pub fn stage(&self) -> Stage {
        match (self.commit_block(), self) {
            (None, _) => Stage::Sent,
            (
                Some(commit_block),
                Self::Hash {
                    reveal: Some(r), ..
                },
            ) => match r.included_at {
                Some(revealed_at) => Stage::Revealed {
                    commit_block,
                    revealed_at,
                },
                None => Stage::Revealing(commit_block),
            },
            (Some(block), _) => Stage::Committed(block),
        }
    }

    /// `hash` or `timelocked`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hash { .. } => "hash",
            Self::Timelocked { .. } => "timelocked",
        }
    }

    /// The commit transaction as signed, when saved.
    pub fn commit_tx(&self) -> Option<&SignedTx> {
        match self {
            Self::Hash { commit_tx, .. } | Self::Timelocked { commit_tx, .. } => commit_tx.as_ref(),
        }
    }
}

/// A salt of eight u16 from the operating system's secure random generator.
pub fn random_salt() -> Result<Vec<u16>, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_are_random() {
        let a = random_salt().unwrap();
        let b = random_salt().unwrap();
        assert_eq!(a.len(), 8);
        assert_ne!(a, b, "two salts from the OS generator differ");
    }

    #[test]
    fn a_pending_commit_round_trips_through_json() {
        let p = PendingCommit::Hash {
            target: Target {
                netuid: 2,
                mecid: 1,
            },
            weights: WeightsToSet {
                uids: vec![1, 2],
                values: vec![65535, 3],
                version_key: 7,
            },
            salt: vec![9; 8],
            hash: [4; 32],
            commit_block: None,
            commit_tx: Some(SignedTx {
                bytes: vec![1, 2, 3],
                valid_until: 70,
            }),
            reveal: None,
        };
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains("\"kind\":\"hash\""), "{text}");
        assert_eq!(serde_json::from_str::<PendingCommit>(&text).unwrap(), p);
        assert_eq!(p.kind(), "hash");
        assert_eq!(p.commit_block(), None);
        assert_eq!(p.stage(), Stage::Sent);
    }

    #[test]
    fn a_state_saved_before_transactions_were_kept_still_loads() {
        let old = r#"{"kind":"hash","target":{"netuid":2,"mecid":0},
            "weights":{"uids":[1],"values":[65535],"version_key":7},
            "salt":[1,2,3,4,5,6,7,8],"hash":[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3],
            "commit_block":98}"#;
        let p: PendingCommit = serde_json::from_str(old).unwrap();
        assert_eq!(p.stage(), Stage::Committed(98));
        assert!(p.commit_tx().is_none());
    }

    #[test]
    fn stages_follow_what_is_saved() {
        let tx = SignedTx {
            bytes: vec![7],
            valid_until: 90,
        };
        let mut p = PendingCommit::Hash {
            target: Target::subnet(2),
            weights: WeightsToSet {
                uids: vec![1],
                values: vec![65535],
                version_key: 0,
            },
            salt: vec![0; 8],
            hash: [0; 32],
            commit_block: Some(20),
            commit_tx: Some(tx.clone()),
            reveal: Some(Reveal {
                tx,
                included_at: None,
            }),
        };
        assert_eq!(p.stage(), Stage::Revealing(20));
        if let PendingCommit::Hash {
            reveal: Some(r), ..
        } = &mut p
        {
            r.included_at = Some(41);
        }
        assert_eq!(
            p.stage(),
            Stage::Revealed {
                commit_block: 20,
                revealed_at: 41
            }
        );
    }
}
