//! The document a running validator serves at `GET /status` (`validator run --status.port`):
//! written by the validator, read by the explorer's "My validator" view — one definition, so
//! the page reads exactly what the validator writes.
//!
//! It holds what an operator asks of a running validator and nothing secret: no key material,
//! salt, signed transaction, file path or node address.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Weights as the validator computed or sent them (the chain's form: uids and u16 values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusWeights {
    /// The block: of the metagraph they were computed against, or the one they landed in.
    pub block: u64,
    /// Destination uids.
    pub uids: Vec<u16>,
    /// u16 values, as sent (the chain stores them max-upscaled).
    pub values: Vec<u16>,
    /// The version key sent (sent weights only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_key: Option<u64>,
}

/// A commit waiting for the chain (or the last one, after the chain answered for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCommit {
    /// `timelocked` (the chain reveals it) or `hash` (the validator reveals it).
    pub kind: String,
    /// `sent` (inclusion not seen yet), `committed`, `revealing` (hash: the reveal sent) or
    /// `revealed` (hash: the read-back remains).
    pub stage: String,
    /// The block it landed in, once known.
    pub commit_block: Option<u64>,
    /// Timelocked: the drand round it is encrypted to.
    pub reveal_round: Option<u64>,
    /// The epoch in which it is revealed.
    pub reveal_epoch: Option<u64>,
    /// The block at which the reveal is expected.
    pub expected_reveal_block: Option<u64>,
}

/// The last read-back of the validator's row of W.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadBack {
    /// `match`, `mismatch`, `not_yet_included` or `dropped`.
    pub outcome: String,
    /// The block of the read (or of the drop), when known.
    #[serde(default)]
    pub block: Option<u64>,
    /// Why the chain dropped the commit (`dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One recent error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusError {
    /// Its stable kind (the validator's `Error::kind`).
    pub kind: String,
    /// What happened, without paths or the node's address.
    pub message: String,
    /// Whether the loop goes on after it.
    pub retryable: bool,
    /// The last block the validator had read when it happened (0 before the first read).
    pub block: u64,
    /// Unix milliseconds.
    pub at_ms: u64,
}

/// Everything `GET /status` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorStatus {
    /// The validator's hotkey (SS58).
    pub hotkey: String,
    /// The subnet.
    pub netuid: u16,
    /// The mechanism it sets weights for.
    pub mecid: u8,
    /// Its uid, once the metagraph was read.
    pub uid: Option<u16>,
    /// Scoring rounds completed.
    pub step: u64,
    /// The block of its last metagraph read (0 before the first).
    pub block: u64,
    /// The moving-average score per uid.
    pub scores: Vec<f64>,
    /// The weights the scores give now (before the rate limit decides whether to send).
    pub weights_computed: Option<StatusWeights>,
    /// The weights last sent (or committed), and the block they landed in.
    pub weights_sent: Option<StatusWeights>,
    /// The commit waiting for the chain.
    pub pending_commit: Option<StatusCommit>,
    /// The last commit, as last seen pending, kept after the chain answered for it.
    #[serde(default)]
    pub last_commit: Option<StatusCommit>,
    /// The last read-back.
    pub last_verification: Option<ReadBack>,
    /// The first block at which the rate limit lets it set (or commit) weights.
    pub next_weights_block: Option<u64>,
    /// The last errors, oldest first.
    #[serde(default)]
    pub errors: Vec<StatusError>,
    /// Unix milliseconds of this status.
    #[serde(default)]
    pub updated_ms: u64,
}

impl ValidatorStatus {
    /// A status before the first round.
    pub fn new(hotkey: String, netuid: u16, mecid: u8, now_ms: u64) -> Self {
        Self {
            hotkey,
            netuid,
            mecid,
            uid: None,
            step: 0,
            block: 0,
            scores: Vec::new(),
            weights_computed: None,
            weights_sent: None,
            pending_commit: None,
            last_commit: None,
            last_verification: None,
            next_weights_block: None,
            errors: Vec::new(),
            updated_ms: now_ms,
        }
    }
}
