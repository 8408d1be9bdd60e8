//! The epoch's input and output: plain serde structs, one entry per uid.
//!
//! [`EpochInput`] is what the runtime reads from storage for one subnet; [`EpochOutput`]
//! is what it writes back (the u16 vectors, the bond rows) and the emissions it returns.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The subnet hyperparameters the epoch reads, with the runtime's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EpochParams {
    /// `ActivityCutoff[netuid]` (u16 blocks at spec 218): a uid is inactive when
    /// `last_update + activity_cutoff < current_block`.
    pub activity_cutoff: u16,
    /// `Kappa[netuid]`: the consensus majority, u16 proportion (default 32767 ≈ 0.5).
    pub kappa: u16,
    /// `BondsMovingAverage[netuid]` in millionths (default 900 000 → α = 0.1).
    pub bonds_moving_average: u64,
    /// `MaxAllowedValidators[netuid]`: how many top-stake uids get a validator permit.
    pub max_allowed_validators: u16,
    /// `LiquidAlphaOn[netuid]`: per-column (218) or per-entry (Yuma3) bond EMA factors.
    pub liquid_alpha: bool,
    /// `AlphaValues[netuid].0`, u16 proportion (default 45875 ≈ 0.7).
    pub alpha_low: u16,
    /// `AlphaValues[netuid].1`, u16 proportion (default 58982 ≈ 0.9).
    pub alpha_high: u16,
    /// `Yuma3On[netuid]`: the bonds of later runtimes (EMA of weights, no renormalisation).
    /// Spec 218 has no Yuma3; this follows the current runtime's rules.
    pub yuma3: bool,
    /// `BondsPenalty[netuid]` (Yuma3 only): u16 proportion β of `W + β(W̄ − W)`.
    pub bonds_penalty: u16,
    /// `AlphaSigmoidSteepness[netuid]` (Yuma3 liquid alpha only).
    pub alpha_sigmoid_steepness: i16,
    /// `Tempo[netuid]` (Yuma3's bond mask only).
    pub tempo: u16,
    /// `LastMechansimStepBlock[netuid]` (Yuma3's bond mask only; 0 = never).
    pub last_mechanism_step_block: u64,
}

impl Default for EpochParams {
    fn default() -> Self {
        Self {
            activity_cutoff: 5000,
            kappa: 32_767,
            bonds_moving_average: 900_000,
            max_allowed_validators: 128,
            liquid_alpha: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            yuma3: false,
            bonds_penalty: 65_535,
            alpha_sigmoid_steepness: 1000,
            tempo: 360,
            last_mechanism_step_block: 0,
        }
    }
}

/// Everything one epoch of one subnet reads. Vectors are indexed by uid; their common
/// length is the subnet size n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochInput {
    /// The block the epoch runs in.
    pub current_block: u64,
    /// Per uid, the stake the runtime weighs it by (`get_stake_for_hotkey_on_subnet`, rao).
    pub stake: Vec<u64>,
    /// `LastUpdate[netuid]`: the block of each uid's last weight setting.
    pub last_update: Vec<u64>,
    /// `BlockAtRegistration[netuid][uid]`.
    pub block_at_registration: Vec<u64>,
    /// `ValidatorPermit[netuid]` as stored before the epoch (this epoch masks with it).
    pub validator_permit: Vec<bool>,
    /// `Weights[netuid][uid]`: rows of `(uid, u16)` in storage order; missing rows are empty.
    #[serde(default)]
    pub weights: Vec<Vec<(u16, u16)>>,
    /// `Bonds[netuid][uid]`: rows of `(uid, u16)`; missing rows are empty.
    #[serde(default)]
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// The emission (rao) this epoch distributes.
    #[serde(default)]
    pub rao_emission: u64,
    /// Subnet hyperparameters.
    #[serde(default)]
    pub params: EpochParams,
}

/// One numbered step of the epoch, for tracing where a number came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    /// Step number, as in the module documentation.
    pub step: u8,
    /// What the values are.
    pub name: String,
    /// Per-uid values as f64 (for matrices: the per-row sums).
    pub values: Vec<f64>,
}

/// What the epoch writes to storage, and the emissions it returns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EpochOutput {
    /// `Active[netuid]`.
    pub active: Vec<bool>,
    /// `StakeWeight[netuid]`: normalised stake, u16.
    pub stake_weight: Vec<u16>,
    /// `Rank[netuid]`.
    pub rank: Vec<u16>,
    /// `Trust[netuid]`.
    pub trust: Vec<u16>,
    /// `Consensus[netuid]`.
    pub consensus: Vec<u16>,
    /// `Incentive[netuid]`.
    pub incentive: Vec<u16>,
    /// `Dividends[netuid]`.
    pub dividends: Vec<u16>,
    /// `ValidatorTrust[netuid]`.
    pub validator_trust: Vec<u16>,
    /// `PruningScores[netuid]`.
    pub pruning_scores: Vec<u16>,
    /// `Emission[netuid]`: combined emission per uid (rao).
    pub emission: Vec<u64>,
    /// The server (miner) part of each uid's emission, as the epoch returns it.
    pub server_emission: Vec<u64>,
    /// The validator part of each uid's emission, as the epoch returns it.
    pub validator_emission: Vec<u64>,
    /// `ValidatorPermit[netuid]` after the epoch.
    pub validator_permit: Vec<bool>,
    /// `Bonds[netuid][uid]` after the epoch (rows the epoch does not write keep their input).
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// Per-step values, when a trace was asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceStep>,
}
