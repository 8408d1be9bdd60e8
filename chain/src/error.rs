//! The chain crate's errors: each says what went wrong and what to do about it.

use thiserror::Error;

/// Anything that can go wrong talking to a subtensor node.
#[derive(Debug, Error)]
pub enum ChainError {
    /// The endpoint could not be reached or did not speak JSON-RPC.
    #[error("cannot connect to {endpoint}: {reason}. Check --subtensor.chain_endpoint (ws://host:port or wss://…) and that the node is running")]
    Connect {
        /// The URL tried.
        endpoint: String,
        /// What the transport said.
        reason: String,
    },
    /// A request took longer than its deadline.
    #[error("{what} timed out after {seconds} s: the node is slow, overloaded or gone")]
    Timeout {
        /// What was being done.
        what: String,
        /// The deadline.
        seconds: u64,
    },
    /// An RPC or client error from subxt while reading.
    #[error("{what}: {reason}")]
    Rpc {
        /// What was being done.
        what: String,
        /// The underlying error.
        reason: String,
    },
    /// The subnet is not on this chain.
    #[error("subnet {netuid} does not exist on this chain (at block {block}); list subnets with `validator metagraph` (no --netuid) or check --netuid")]
    NoSuchSubnet {
        /// The netuid asked for.
        netuid: u16,
        /// The block read.
        block: u64,
    },
    /// The subnet has fewer mechanisms than the one asked for.
    #[error("subnet {netuid} has {count} mechanism(s), so there is no mechanism {mecid}: use --mechid 0..{count}")]
    NoSuchMechanism {
        /// The subnet.
        netuid: u16,
        /// The mechanism asked for.
        mecid: u8,
        /// How many it has.
        count: u8,
    },
    /// The runtime lacks a storage item, call or runtime API this crate needs.
    #[error("this runtime has no {item}: the node runs an unsupported subtensor version")]
    Unsupported {
        /// The missing item, as `Pallet.Item`.
        item: String,
    },
    /// A stored value did not decode as expected.
    #[error("cannot decode {item}: {reason}")]
    Decode {
        /// The item, as `Pallet.Item`.
        item: String,
        /// The decoder's message.
        reason: String,
    },
    /// A transaction was refused (by the pool or in the block). See [`TxError`].
    #[error(transparent)]
    Tx(#[from] TxError),
    /// A drand key, signature or ciphertext was unusable (see [`DrandError`]).
    #[error("drand: {0}")]
    Drand(#[from] DrandError),
    /// The subnet's schedule gives no reveal (tempo 0, or beyond the simulation's bound).
    #[error("commit-reveal schedule: {0}")]
    Schedule(#[from] bt_core::schedule::ScheduleError),
    /// The local node could not be started or bootstrapped.
    #[error("local chain: {0}")]
    Localnet(String),
    /// A transaction left this process but its fate was not seen (the node went away, timed
    /// out or stopped reporting): it may still land, up to block `valid_until` (its mortal
    /// era), and never after. Look for its effect on chain before sending it again.
    #[error("a transaction was sent but its inclusion was not seen ({reason}); it can still land up to block {valid_until}: its effect is looked up on chain before anything is sent again")]
    InclusionUnknown {
        /// The last block it can land in.
        valid_until: u64,
        /// What interrupted the wait.
        reason: String,
    },
}

/// Why a transaction (set_weights, commit, reveal, or a bootstrap call) did not land.
/// Each subtensor error a validator meets has its own variant and advice.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TxError {
    /// `SettingWeightsTooFast` / `CommittingWeightsTooFast`, or the pool's rate-limit refusal.
    #[error("weights set too fast: the subnet's weights rate limit has not passed since this hotkey's last update; wait, the validator retries after the limit")]
    RateLimited,
    /// `HotKeyNotRegisteredInSubNet` (or the pool's UidNotFound).
    #[error("hotkey is not registered on this subnet: register it (btcli subnets register) or check --netuid and --wallet.hotkey")]
    NotRegistered,
    /// `NeuronNoValidatorPermit`.
    #[error("this uid has no validator permit: it needs more stake than the subnet's lowest permitted validator; add stake and wait an epoch")]
    NoValidatorPermit,
    /// `IncorrectWeightVersionKey`.
    #[error("version_key is below the subnet's weights_version: upgrade the validator or pass a higher --neuron.version_key")]
    VersionKeyTooLow,
    /// `WeightVecLengthIsLow`.
    #[error("too few weights: the subnet's min_allowed_weights is higher than the number of non-zero weights sent; score more miners")]
    TooFewWeights,
    /// `MaxWeightExceeded`.
    #[error("a weight exceeds the subnet's max_weights_limit after normalisation: process the weights with the subnet's limit (chain-safe quantizer)")]
    MaxWeightExceeded,
    /// `CommitRevealEnabled`.
    #[error("commit-reveal is enabled on this subnet: weights must be committed and revealed, not set directly")]
    CommitRevealEnabled,
    /// `CommitRevealDisabled`.
    #[error("commit-reveal is disabled on this subnet: set weights directly")]
    CommitRevealDisabled,
    /// The pool refused a nonce that is already used.
    #[error("stale nonce: another transaction from this key landed first; resubmit (the nonce is re-read)")]
    StaleNonce,
    /// `NotEnoughStakeToSetWeights` (or the pool's StakeAmountTooLow).
    #[error("not enough stake to set weights: the hotkey's stake weight (alpha + TaoWeight × root TAO) is below the chain's StakeThreshold; add stake")]
    NotEnoughStake,
    /// `MechanismDoesNotExist`.
    #[error("this subnet has no such mechanism: check --mechid against the subnet's mechanism count (validator metagraph shows it)")]
    NoSuchMechanism,
    /// `IncorrectCommitRevealVersion`.
    #[error("the chain expects another commit-reveal version (CommitRevealWeightsVersion): the validator reads it each round; upgrade it if the chain moved past what it supports")]
    CommitRevealVersion,
    /// `InvalidRevealRound` (or the pool's code 15): the drand round is already stored.
    #[error("the commit's drand reveal round is in the past (below Drand::LastStoredRound): the reveal round is recomputed from the chain's schedule on the next attempt")]
    InvalidRevealRound,
    /// `TooManyUnrevealedCommits`.
    #[error("too many unrevealed commits from this hotkey (10 per epoch): wait for the chain to reveal them")]
    TooManyUnrevealedCommits,
    /// A reveal the chain refused; see [`RevealError`].
    #[error(transparent)]
    Reveal(#[from] RevealError),
    /// Any other module error, by name.
    #[error("the chain refused the call: {pallet}.{name}")]
    Module {
        /// Pallet name.
        pallet: String,
        /// Error variant name.
        name: String,
    },
    /// Any other refusal, with the node's words.
    #[error("the chain refused the transaction: {0}")]
    Other(String),
}

impl ChainError {
    /// A short, stable name for metrics and logs (`connect`, `timeout`, `tx_rate_limited`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Connect { .. } => "connect",
            Self::Timeout { .. } => "timeout",
            Self::Rpc { .. } => "rpc",
            Self::NoSuchSubnet { .. } => "no_such_subnet",
            Self::NoSuchMechanism { .. } => "no_such_mechanism",
            Self::Unsupported { .. } => "unsupported",
            Self::Decode { .. } => "decode",
            Self::Tx(t) => t.kind(),
            Self::Drand(_) => "drand",
            Self::Schedule(_) => "schedule",
            Self::Localnet(_) => "localnet",
            Self::InclusionUnknown { .. } => "inclusion_unknown",
        }
    }

    /// True when the connection is gone or unusable: reconnect before the next try.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::Timeout { .. }
                | Self::Rpc { .. }
                | Self::InclusionUnknown { .. }
        )
    }

    /// The one retry policy of this project: true when a later attempt can succeed without
    /// the operator's action. The node is away or slow, a sent transaction's fate is unknown
    /// (it is looked up), the chain refused for a reason that passes (see
    /// [`TxError::is_retryable`]), or the subnet's schedule gives no reveal now (its owner
    /// can change the tempo). False when the operator must act: the subnet or mechanism
    /// does not exist, the runtime lacks or changed what this crate reads (upgrade), a
    /// beacon key or ciphertext is unusable, or the local chain failed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Tx(t) => t.is_retryable(),
            Self::Connect { .. }
            | Self::Timeout { .. }
            | Self::Rpc { .. }
            | Self::InclusionUnknown { .. }
            | Self::Schedule(_) => true,
            Self::NoSuchSubnet { .. }
            | Self::NoSuchMechanism { .. }
            | Self::Unsupported { .. }
            | Self::Decode { .. }
            | Self::Drand(_)
            | Self::Localnet(_) => false,
        }
    }
}

impl TxError {
    /// A short, stable name for metrics and logs (`tx_rate_limited`, `tx_version_key`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RateLimited => "tx_rate_limited",
            Self::NotRegistered => "tx_not_registered",
            Self::NoValidatorPermit => "tx_no_validator_permit",
            Self::VersionKeyTooLow => "tx_version_key",
            Self::TooFewWeights => "tx_too_few_weights",
            Self::MaxWeightExceeded => "tx_max_weight",
            Self::CommitRevealEnabled => "tx_commit_reveal_enabled",
            Self::CommitRevealDisabled => "tx_commit_reveal_disabled",
            Self::StaleNonce => "tx_stale_nonce",
            Self::NotEnoughStake => "tx_not_enough_stake",
            Self::NoSuchMechanism => "tx_no_such_mechanism",
            Self::CommitRevealVersion => "tx_commit_reveal_version",
            Self::InvalidRevealRound => "tx_invalid_reveal_round",
            Self::TooManyUnrevealedCommits => "tx_too_many_unrevealed_commits",
            Self::Reveal(r) => r.kind(),
            Self::Module { .. } => "tx_module",
            Self::Other(_) => "tx_other",
        }
    }

    /// The typed error for a module error named `pallet.name`.
    pub fn from_module(pallet: &str, name: &str) -> Self {
        match name {
            "SettingWeightsTooFast" | "CommittingWeightsTooFast" => Self::RateLimited,
            "HotKeyNotRegisteredInSubNet" => Self::NotRegistered,
            "NeuronNoValidatorPermit" => Self::NoValidatorPermit,
            "IncorrectWeightVersionKey" => Self::VersionKeyTooLow,
            "WeightVecLengthIsLow" => Self::TooFewWeights,
            "MaxWeightExceeded" => Self::MaxWeightExceeded,
            "CommitRevealEnabled" => Self::CommitRevealEnabled,
            "CommitRevealDisabled" => Self::CommitRevealDisabled,
            "NotEnoughStakeToSetWeights" => Self::NotEnoughStake,
            "MechanismDoesNotExist" => Self::NoSuchMechanism,
            "IncorrectCommitRevealVersion" => Self::CommitRevealVersion,
            "InvalidRevealRound" => Self::InvalidRevealRound,
            "TooManyUnrevealedCommits" => Self::TooManyUnrevealedCommits,
            "InvalidRevealCommitHashNotMatch" => Self::Reveal(RevealError::HashNotMatch),
            "NoWeightsCommitFound" => Self::Reveal(RevealError::NoCommitFound),
            "ExpiredWeightCommit" => Self::Reveal(RevealError::Expired),
            "RevealTooEarly" => Self::Reveal(RevealError::TooEarly),
            "InvalidRevealCommitTempo" => Self::Reveal(RevealError::WrongTempo),
            _ => Self::Module {
                pallet: pallet.to_string(),
                name: name.to_string(),
            },
        }
    }

    /// The typed error for a transaction-pool refusal, from the node's message
    /// (`1010: Invalid Transaction: …` with a custom code, or `stale`).
    pub fn from_pool_message(message: &str) -> Self {
        let lower = message.to_ascii_lowercase();
        if lower.contains("stale") || lower.contains("outdated") {
            return Self::StaleNonce;
        }
        // Subtensor's CustomTransactionError codes (its transaction extension), the same
        // numbers on spec 385 and 425.
        let code = custom_code(&lower);
        match code {
            Some(1) => Self::NotEnoughStake,
            Some(6) => Self::RateLimited,
            Some(15) => Self::InvalidRevealRound,
            Some(16) => Self::Reveal(RevealError::NoCommitFound),
            Some(17) => Self::Reveal(RevealError::TooEarly),
            Some(19) => Self::NotRegistered,
            _ => Self::Other(message.to_string()),
        }
    }

    /// True for refusals that pass without the operator's action (part of
    /// [`ChainError::is_retryable`]): the validator re-reads the chain each round, so a new
    /// version key, a commit-reveal switch or a later round is picked up; a permit or stake
    /// can come with the next epoch; more miners can be scored; a refused reveal is settled
    /// by committing afresh; an unknown refusal is logged with its name and tried again.
    /// Not retryable: the hotkey is not registered, the mechanism does not exist, the
    /// weights break the subnet's max weight limit (a quantizer fault), or the chain wants a
    /// commit-reveal version this validator does not speak.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited
            | Self::StaleNonce
            | Self::VersionKeyTooLow
            | Self::InvalidRevealRound
            | Self::TooManyUnrevealedCommits
            | Self::CommitRevealEnabled
            | Self::CommitRevealDisabled
            | Self::NoValidatorPermit
            | Self::NotEnoughStake
            | Self::TooFewWeights
            | Self::Reveal(_)
            | Self::Module { .. }
            | Self::Other(_) => true,
            Self::NotRegistered
            | Self::NoSuchMechanism
            | Self::MaxWeightExceeded
            | Self::CommitRevealVersion => false,
        }
    }
}

/// Why the chain refused a hash reveal (`reveal_(mechanism_)weights`), each as the runtime
/// names it. The pool's custom codes 16 and 17 are `NoCommitFound` and `TooEarly`.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum RevealError {
    /// `RevealTooEarly` (or pool code 17): the commit's reveal epoch has not come.
    #[error("reveal too early (RevealTooEarly): the commit's reveal epoch has not come; the validator reveals in that epoch")]
    TooEarly,
    /// `InvalidRevealCommitHashNotMatch`: the weights, salt or version key revealed do not
    /// hash to any queued commit of this hotkey.
    #[error("the reveal does not match the commit's hash (InvalidRevealCommitHashNotMatch): the saved weights, salt or version key differ from what was committed; the validator commits afresh")]
    HashNotMatch,
    /// `NoWeightsCommitFound` (or pool code 16): this hotkey has no commit queued.
    #[error("no commit is queued for this hotkey (NoWeightsCommitFound): it was revealed already, expired, or never landed")]
    NoCommitFound,
    /// `ExpiredWeightCommit`: the commit's reveal epoch has passed.
    #[error("the commit expired (ExpiredWeightCommit): its reveal epoch passed before the reveal; the validator commits afresh")]
    Expired,
    /// `InvalidRevealCommitTempo`: the reveal came outside the commit's reveal epoch.
    #[error("the reveal is outside the commit's reveal epoch (InvalidRevealCommitTempo)")]
    WrongTempo,
}

impl RevealError {
    /// A short, stable name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooEarly => "tx_reveal_too_early",
            Self::HashNotMatch => "tx_reveal_hash_not_match",
            Self::NoCommitFound => "tx_reveal_no_commit",
            Self::Expired => "tx_reveal_expired",
            Self::WrongTempo => "tx_reveal_wrong_tempo",
        }
    }
}

/// The `custom` code in a pool refusal such as `{"invalid":{"custom":6}}` or `Custom(6)`.
fn custom_code(lower: &str) -> Option<u8> {
    let at = lower.find("custom")?;
    let digits: String = lower[at + 6..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// What can go wrong with beacon keys, signatures and ciphertexts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrandError {
    /// The public key is not a compressed BLS12-381 G2 point.
    #[error("the beacon public key is not a compressed BLS12-381 G2 point ({len} bytes)")]
    PublicKey {
        /// Its length.
        len: usize,
    },
    /// The signature is not a compressed BLS12-381 G1 point.
    #[error("the pulse signature is not a compressed BLS12-381 G1 point ({len} bytes)")]
    Signature {
        /// Its length.
        len: usize,
    },
    /// The ciphertext does not deserialize as a `TLECiphertext<TinyBLS381>`.
    #[error("the commit is not a timelock ciphertext (TLECiphertext<TinyBLS381>, compressed)")]
    Ciphertext,
    /// Decryption failed: the signature is not the one of the round and key it was made for.
    #[error("the commit does not decrypt with this signature: it was encrypted to another beacon key or round")]
    Decrypt,
    /// Encryption failed.
    #[error("timelock encryption failed")]
    Encrypt,
    /// No randomness from the operating system (or the browser).
    #[error("no randomness available: {0}")]
    Randomness(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_errors_map_to_their_variants() {
        assert_eq!(
            TxError::from_module("SubtensorModule", "SettingWeightsTooFast"),
            TxError::RateLimited
        );
        assert_eq!(
            TxError::from_module("SubtensorModule", "WeightVecLengthIsLow"),
            TxError::TooFewWeights
        );
        assert_eq!(
            TxError::from_module("SubtensorModule", "Whatever"),
            TxError::Module {
                pallet: "SubtensorModule".into(),
                name: "Whatever".into()
            }
        );
    }

    #[test]
    fn pool_refusals_map_to_their_variants() {
        assert_eq!(
            TxError::from_pool_message(r#"1010: Invalid Transaction: {"invalid":{"stale":null}}"#),
            TxError::StaleNonce
        );
        assert_eq!(
            TxError::from_pool_message(r#"{"invalid":{"custom":6}}"#),
            TxError::RateLimited
        );
        assert_eq!(
            TxError::from_pool_message("Invalid Transaction: Custom(1)"),
            TxError::NotEnoughStake
        );
        assert!(matches!(
            TxError::from_pool_message("something else"),
            TxError::Other(_)
        ));
        assert_eq!(
            TxError::from_pool_message(r#"{"invalid":{"custom":17}}"#),
            TxError::Reveal(RevealError::TooEarly)
        );
        assert_eq!(
            TxError::from_pool_message(r#"{"invalid":{"custom":16}}"#),
            TxError::Reveal(RevealError::NoCommitFound)
        );
    }

    #[test]
    fn reveal_refusals_are_told_apart_by_name() {
        for (name, want) in [
            ("RevealTooEarly", RevealError::TooEarly),
            ("InvalidRevealCommitHashNotMatch", RevealError::HashNotMatch),
            ("NoWeightsCommitFound", RevealError::NoCommitFound),
            ("ExpiredWeightCommit", RevealError::Expired),
            ("InvalidRevealCommitTempo", RevealError::WrongTempo),
        ] {
            assert_eq!(
                TxError::from_module("SubtensorModule", name),
                TxError::Reveal(want)
            );
        }
    }

    #[test]
    fn one_retry_policy_says_what_passes_and_what_needs_the_operator() {
        for passes in [
            TxError::RateLimited,
            TxError::NoValidatorPermit,
            TxError::NotEnoughStake,
            TxError::TooFewWeights,
            TxError::Reveal(RevealError::TooEarly),
        ] {
            assert!(ChainError::Tx(passes.clone()).is_retryable(), "{passes:?}");
        }
        for stops in [
            TxError::NotRegistered,
            TxError::NoSuchMechanism,
            TxError::CommitRevealVersion,
        ] {
            assert!(!ChainError::Tx(stops.clone()).is_retryable(), "{stops:?}");
        }
        let unknown = ChainError::InclusionUnknown {
            valid_until: 9,
            reason: "gone".into(),
        };
        assert!(unknown.is_retryable() && unknown.is_connection());
        assert!(!ChainError::Unsupported { item: "x".into() }.is_retryable());
    }
}
