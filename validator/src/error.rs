//! The validator's one error type: what can stop a round or the loop, typed, with a stable
//! [`Error::kind`] for metrics and logs and [`Error::is_retryable`] for the loop's decision
//! (retry next round, or stop and let the operator act).

use std::path::PathBuf;

use bt_chain::ChainError;

/// Anything the validation loop can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The chain: unreachable, slow, or a refusal (see [`ChainError`]).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The state file could not be written or read.
    #[error("the state file: {0}")]
    State(#[from] crate::state::StateError),
    /// The saved state belongs to another subnet.
    #[error("the state in {dir} is for netuid {saved}, not {wanted}: use another --state.dir")]
    OtherSubnet {
        /// The state folder.
        dir: PathBuf,
        /// The subnet it was saved for.
        saved: u16,
        /// The subnet asked for.
        wanted: u16,
    },
    /// The saved scores do not fit together.
    #[error("the saved scores are inconsistent: {0}")]
    Scores(String),
    /// The validator's hotkey has no uid on the subnet.
    #[error("hotkey {hotkey} is not registered on netuid {netuid}: register it (btcli subnets register) or check --wallet.hotkey/--netuid")]
    NotRegistered {
        /// The hotkey (SS58).
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// Turning scores into weights failed (the core's checks).
    #[error("weights: {0}")]
    Weights(String),
    /// The subnet wants timelocked commits and this runtime offers none, or the operator
    /// asked for a commit-reveal mode the subnet cannot take.
    #[error("commit-reveal: {0}")]
    CommitReveal(String),
    /// The dendrite could not be built (TLS, sockets).
    #[error("the dendrite: {0}")]
    Dendrite(String),
    /// An endpoint of the validator (metrics, status) could not listen.
    #[error("{what}: cannot listen on {addr}: {source}")]
    Listen {
        /// Which endpoint: `metrics` or `status`.
        what: &'static str,
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// A short, stable name for metrics labels and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Chain(e) => e.kind(),
            Self::State(_) => "state",
            Self::OtherSubnet { .. } => "other_subnet",
            Self::Scores(_) => "scores",
            Self::NotRegistered { .. } => "not_registered",
            Self::Weights(_) => "weights",
            Self::CommitReveal(_) => "commit_reveal",
            Self::Dendrite(_) => "dendrite",
            Self::Listen { .. } => "listen",
        }
    }

    /// True when the loop goes on to the next round; false stops it, after a checkpoint.
    /// Chain errors follow the project's one policy ([`ChainError::is_retryable`]); of the
    /// loop's own errors, only a weights computation that the next scores can cure passes.
    /// The hotkey not being registered, a state that belongs elsewhere or cannot be written,
    /// and an impossible commit-reveal mode need the operator.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Chain(e) => e.is_retryable(),
            Self::Weights(_) => true,
            Self::State(_)
            | Self::OtherSubnet { .. }
            | Self::Scores(_)
            | Self::NotRegistered { .. }
            | Self::CommitReveal(_)
            | Self::Dendrite(_)
            | Self::Listen { .. } => false,
        }
    }

    /// True when the connection should be dropped and made again.
    pub fn is_connection(&self) -> bool {
        matches!(self, Self::Chain(e) if e.is_connection())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_chain::TxError;

    #[test]
    fn kinds_are_stable_names_and_retries_are_decided_by_type() {
        let rate = Error::from(ChainError::Tx(TxError::RateLimited));
        assert_eq!(rate.kind(), "tx_rate_limited");
        assert!(rate.is_retryable() && !rate.is_connection());
        let gone = Error::from(ChainError::Timeout {
            what: "x".into(),
            seconds: 1,
        });
        assert_eq!(gone.kind(), "timeout");
        assert!(gone.is_retryable() && gone.is_connection());
        let permit = Error::from(ChainError::Tx(TxError::NoValidatorPermit));
        assert!(
            permit.is_retryable(),
            "a permit can come with the next epoch"
        );
        let missing = Error::from(ChainError::NoSuchSubnet {
            netuid: 9,
            block: 1,
        });
        assert!(!missing.is_retryable());
        let unregistered = Error::NotRegistered {
            hotkey: "5F…".into(),
            netuid: 2,
        };
        assert_eq!(unregistered.kind(), "not_registered");
        assert!(!unregistered.is_retryable());
    }
}
