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
//! After a restart, a commit saved but not known to have landed is looked up on chain: found,
//! it goes on; not found, it never landed, and the next round commits afresh.

use bt_chain::timelock::{PreparedCommit, TimelockedCommit};
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
        /// The block it landed in; `None` while that is not known (saved before sending).
        commit_block: Option<u64>,
    },
    /// A timelocked commit (v4): revealed by the chain.
    Timelocked {
        /// The weights committed.
        weights: WeightsToSet,
        /// The encrypted commit as prepared (saved before sending).
        prepared: PreparedCommit,
        /// Where the chain keyed it; `None` while that is not known.
        commit: Option<TimelockedCommit>,
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

    /// `hash` or `timelocked`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hash { .. } => "hash",
            Self::Timelocked { .. } => "timelocked",
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
        };
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains("\"kind\":\"hash\""), "{text}");
        assert_eq!(serde_json::from_str::<PendingCommit>(&text).unwrap(), p);
        assert_eq!(p.kind(), "hash");
        assert_eq!(p.commit_block(), None);
    }
}
