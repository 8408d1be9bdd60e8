//! The epoch's input and output: plain serde structs in the chain's units.
//!
//! [`SubnetEpochInput`] is everything `epoch_with_mechanisms` reads for one subnet, as stored
//! at the block before the epoch (see each field for the storage item); [`SubnetEpochOutput`]
//! is what it writes back, per subnet and per mechanism ([`EpochOutput`]).

use alloc::string::String;

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Which runtime's epoch rules to run. Each variant is the rule set of real runtimes on
/// subtensor's main branch, verified against their source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// spec 385–396 (b59e6683e, 2026-03-18; unchanged at 391): the activity cutoff is
    /// `ActivityCutoff` in blocks, bonds are masked by `current_block − tempo`, commits expire
    /// on the `(block + netuid + 1) / (tempo + 1)` epoch grid, and the owner uid gets no
    /// stake-threshold exemption nor a forced validator permit (only its self-weight is kept).
    Spec385,
    /// spec 397–422 (e7f05a051, 486037ba4): spec 385 plus the owner rules of subtensor
    /// 69627c0d5 (the owner uid passes the stake threshold and always holds a permit).
    Spec397,
    /// spec 423–474, verified at 425 (14bc6f9f9, 2026-06-30) and identical at 423
    /// (06032d518): dynamic tempo. The activity cutoff is `ActivityCutoffFactorMilli × tempo /
    /// 1000`, bonds are masked by `LastMechansimStepBlock + 1`, commits expire by the
    /// `SubnetEpochIndex` counter. (Specs 426–474 ran on finney between July and October 2026;
    /// the 475 rules below arrived somewhere among them, unverified which where: they are read
    /// with these rules.)
    #[default]
    Spec425,
    /// spec 475 (finney from block 9,233,782, 2026-10-07; v475 d1718c99, its rules read at
    /// coldint/subtensor@02214123): spec 425 plus `EpochConsensus::Null` subnets,
    /// `LiquidAlphaConsensusMode` (liquid alpha may read the previous epoch's consensus,
    /// `ConsensusByMechanism`), suspended child keys (`ChildkeyThresholdSuspended`), the
    /// epoch safety net at `BlocksSinceLastStep > tempo` with the counter capped at `tempo + 1`,
    /// the bond cut-off at `LastYumaStepBlock + 1`, and `split_emissions` ignoring a stored split
    /// whose length is not the mechanism count.
    Spec475,
}

/// The newest runtime whose rules are implemented here; a newer one is read with its rules
/// (see [`Runtime::is_newer_than_known`]).
pub const NEWEST_KNOWN_SPEC: u32 = 475;

impl Runtime {
    /// The rule set of the runtime with this `spec_version` (from `state_getRuntimeVersion`),
    /// or None below 385, where the rules were not verified. A runtime newer than
    /// [`NEWEST_KNOWN_SPEC`] gets the newest rules: callers warn about it
    /// ([`Runtime::is_newer_than_known`]).
    pub fn for_spec_version(spec_version: u32) -> Option<Self> {
        match spec_version {
            475.. => Some(Self::Spec475),
            423..=474 => Some(Self::Spec425),
            397..=422 => Some(Self::Spec397),
            385..=396 => Some(Self::Spec385),
            _ => None,
        }
    }

    /// True when `spec_version` is newer than any runtime whose rules are known here: it is
    /// read as [`NEWEST_KNOWN_SPEC`], and the numbers may be wrong where it changed a rule.
    pub fn is_newer_than_known(spec_version: u32) -> bool {
        spec_version > NEWEST_KNOWN_SPEC
    }

    /// Dynamic tempo: the activity cutoff from `ActivityCutoffFactorMilli`, the bond mask from
    /// `LastMechansimStepBlock`, commit expiry by `SubnetEpochIndex`.
    pub fn dynamic_tempo(self) -> bool {
        matches!(self, Self::Spec425 | Self::Spec475)
    }

    /// The owner uid is exempt from `StakeThreshold` and always holds a validator permit.
    pub fn owner_keeps_permit(self) -> bool {
        matches!(self, Self::Spec397 | Self::Spec425 | Self::Spec475)
    }

    /// Spec 475's rules: `SubnetEpochConsensus` (Null subnets), `LiquidAlphaConsensusMode`,
    /// `ChildkeyThresholdSuspended`, the tempo safety net and `LastYumaStepBlock`.
    pub fn is_475(self) -> bool {
        matches!(self, Self::Spec475)
    }
}

/// `EpochConsensus` (spec 475, `SubnetEpochConsensus[netuid]`, default Yuma): how a subnet's
/// epoch turns weights into incentive and dividends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EpochConsensus {
    /// Yuma consensus (every runtime before 475, and the default).
    #[default]
    Yuma,
    /// Null consensus: the largest-stake uid alone holds the permit, its raw weight row is the
    /// incentive, dividends follow stake; no consensus, trust or bonds (see [`super::null`]).
    Null,
}

/// `ConsensusMode` (spec 475, `LiquidAlphaConsensusMode[netuid]`, default Auto): which
/// consensus the liquid-alpha sigmoid reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsensusMode {
    /// This epoch's consensus (spec 425's only rule).
    Current,
    /// The previous epoch's consensus of the mechanism (`ConsensusByMechanism`).
    Previous,
    /// Previous when `BondsPenalty` is 65535 (its default), else current.
    #[default]
    Auto,
}

impl ConsensusMode {
    /// Every mode, in the runtime's order (its `LiquidAlphaConsensusMode` variants).
    pub const ALL: [ConsensusMode; 3] = [Self::Current, Self::Previous, Self::Auto];
}

/// The subnet hyperparameters the epoch reads, with the runtime's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EpochHyperparams {
    /// `Tempo[netuid]`.
    pub tempo: u16,
    /// `ActivityCutoff[netuid]` (blocks): read by spec 385/397 only.
    pub activity_cutoff: u16,
    /// `ActivityCutoffFactorMilli[netuid]`: read by spec 425 only; the cutoff is
    /// `max(1, factor × tempo / 1000)` blocks.
    pub activity_cutoff_factor_milli: u32,
    /// `Kappa[netuid]`: the consensus majority, u16 proportion.
    pub kappa: u16,
    /// `BondsMovingAverage[netuid]` in millionths: the fixed bond EMA factor is
    /// `α = 1 − BondsMovingAverage / 10⁶`.
    pub bonds_moving_average: u64,
    /// `BondsPenalty[netuid]`: u16 proportion β; bonds follow `W + β(W̄ − W)`.
    pub bonds_penalty: u16,
    /// `MaxAllowedValidators[netuid]`.
    pub max_allowed_validators: u16,
    /// `LiquidAlphaOn[netuid]` (only has an effect with Yuma3).
    pub liquid_alpha_enabled: bool,
    /// `AlphaValues[netuid].0`, u16 proportion.
    pub alpha_low: u16,
    /// `AlphaValues[netuid].1`, u16 proportion.
    pub alpha_high: u16,
    /// `AlphaSigmoidSteepness[netuid]`.
    pub alpha_sigmoid_steepness: i16,
    /// `Yuma3On[netuid]`.
    pub yuma3_enabled: bool,
    /// `CommitRevealWeightsEnabled[netuid]`: turns on the commit-reveal column mask.
    pub commit_reveal_enabled: bool,
    /// `LastMechansimStepBlock[netuid]` as stored before the epoch (the previous successful
    /// epoch; 0 = none): spec 425's bond mask.
    pub last_mechanism_step_block: u64,
    /// `MechanismCountCurrent[netuid]`.
    pub mechanism_count: u8,
    /// `MechanismEmissionSplit[netuid]` (None when absent: an even split).
    pub mechanism_emission_split: Option<Vec<u16>>,
    /// `SubnetEpochConsensus[netuid]` (spec 475; Yuma before it).
    pub epoch_consensus: EpochConsensus,
    /// `LiquidAlphaConsensusMode[netuid]` (spec 475; before it liquid alpha reads the current
    /// consensus whatever this says).
    pub liquid_alpha_consensus_mode: ConsensusMode,
    /// `LastYumaStepBlock[netuid]` (spec 475, an optional item): the block of the last Yuma
    /// epoch; the bond cut-off is the block after it when present.
    pub last_yuma_step_block: Option<u64>,
}

impl Default for EpochHyperparams {
    fn default() -> Self {
        Self {
            tempo: 360,
            activity_cutoff: 5000,
            activity_cutoff_factor_milli: 13_889,
            kappa: 32_767,
            bonds_moving_average: 900_000,
            bonds_penalty: u16::MAX,
            max_allowed_validators: 128,
            liquid_alpha_enabled: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            alpha_sigmoid_steepness: 1000,
            yuma3_enabled: false,
            commit_reveal_enabled: false,
            last_mechanism_step_block: 0,
            mechanism_count: 1,
            mechanism_emission_split: None,
            epoch_consensus: EpochConsensus::Yuma,
            liquid_alpha_consensus_mode: ConsensusMode::Auto,
            last_yuma_step_block: None,
        }
    }
}

/// What one mechanism (`idx = mecid·4096 + netuid`) of the subnet reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MechanismInput {
    /// `LastUpdate[idx]` as stored (any length: the runtime reads it as it is; uids beyond it
    /// count as inactive).
    pub last_update: Vec<u64>,
    /// `Weights[idx][uid]` rows of `(uid, u16)` in storage order, zeros kept; index = uid,
    /// missing rows are empty. Rows and entries of uids ≥ n are ignored, as the runtime does.
    /// Under CR-v4 the epoch block reveals timelocked commits first: take the rows of the
    /// hotkeys revealed there from the epoch block (see [`super::commit_blocks`]).
    pub weights: Vec<Vec<(u16, u16)>>,
    /// `Bonds[idx][uid]` rows of `(uid, u16)` in storage order; index = uid.
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// Commit-reveal: per uid, the earliest **unexpired** commit block across
    /// `WeightCommits[idx]` and `TimelockedWeightCommits[idx]` as the epoch sees them, None
    /// when the uid has no live commit. Empty = no commits at all. Read only when
    /// `commit_reveal_enabled`; derive it with [`super::commit_blocks`].
    pub commit_block: Vec<Option<u64>>,
    /// `ConsensusByMechanism[idx]` (spec 475): the mechanism's consensus as the previous epoch
    /// stored it (u16 proportions; it may be shorter or longer than n). Liquid alpha reads it
    /// under `ConsensusMode::Previous`; empty means none stored.
    pub consensus_by_mechanism: Vec<u16>,
}

/// Everything one subnet's epoch (`epoch_with_mechanisms`) reads, in the chain's units, as
/// the epoch sees it (the state at the block before the epoch; see the crate docs of
/// [`super`] for the few items the epoch block itself changes first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetEpochInput {
    /// The rule set (from the runtime's `spec_version`, see [`Runtime::for_spec_version`]).
    #[serde(default)]
    pub runtime: Runtime,
    /// The block the epoch runs in.
    pub current_block: u64,
    /// `SubnetworkN[netuid]`: per-uid vectors below have n entries. (The runtime builds its
    /// output over the uids that have a `Keys[netuid][uid]` entry; on a consistent chain that
    /// is every uid 0..n, which this input assumes.)
    pub n: u16,
    /// Per uid, the alpha stake the epoch weighs (rao): `get_subnet_state(netuid).alpha_stake`
    /// (the hotkey's alpha adjusted by its child/parent links, an integer; see
    /// [`crate::stake`]).
    pub alpha_stake: Vec<u64>,
    /// Per uid, the root TAO stake the epoch weighs (rao): `get_subnet_state(netuid).tao_stake`.
    pub tao_stake: Vec<u64>,
    /// `TaoWeight` (the global u64 storage value; the weight is `TaoWeight / u64::MAX`).
    #[serde(default)]
    pub tao_weight: u64,
    /// `StakeThreshold` (rao): stakes below it count as 0.
    #[serde(default)]
    pub stake_threshold: u64,
    /// The owner uid: `Uids[netuid][SubnetOwnerHotkey[netuid]]` (None when unset or not
    /// registered). At spec 425 `drain_pending` may hand the subnet to a new owner in the
    /// epoch block just before the epoch (`change_subnet_owner_if_needed`, which can also
    /// register the new owner's hotkey): when the epoch block's `SubnetOwnerHotkey` differs
    /// from the block before, take the owner and the uid vectors from the epoch block.
    #[serde(default)]
    pub owner_uid: Option<u16>,
    /// `ValidatorPermit[netuid]` as stored before the epoch (any length, as stored).
    pub validator_permit: Vec<bool>,
    /// `BlockAtRegistration[netuid][uid]` for uid in 0..n (0 for an empty uid).
    pub block_at_registration: Vec<u64>,
    /// One entry per mechanism 0..`mechanism_count`.
    pub mechanisms: Vec<MechanismInput>,
    /// The alpha (rao) the epoch distributes: the sum of `PendingServerEmission`,
    /// `PendingValidatorEmission` and `PendingRootAlphaDivs` as `drain_pending` takes them in the epoch block (the values at
    /// the block before plus what `emit_to_subnets` adds in the epoch block). Only the
    /// emissions depend on it; every u16 output, the permits and the bonds do not.
    #[serde(default)]
    pub rao_emission: u64,
    /// The pools that make up `rao_emission`, for spec 475's Null epochs, which pay miners and
    /// validators from separate budgets. Absent: `rao_emission` split as the runtime's
    /// `epoch_with_mechanisms` splits it (miners `E − ⌊E/2⌋`, validators `⌊E/2⌋`, root 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emission_budgets: Option<EmissionBudgets>,
    /// Subnet hyperparameters.
    #[serde(default)]
    pub params: EpochHyperparams,
}

/// The emission pools an epoch distributes (`drain_pending` in the epoch block), in rao.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmissionBudgets {
    /// `PendingServerEmission`: the miners' pool.
    pub server: u64,
    /// `PendingValidatorEmission`: the validators' pool.
    pub validator: u64,
    /// `PendingRootAlphaDivs`: root's dividends, paid with the validators'.
    pub root: u64,
}

impl EmissionBudgets {
    /// `epoch_with_mechanisms`' split of a total: miners `E − ⌊E/2⌋`, validators `⌊E/2⌋`.
    pub fn halves(total: u64) -> Self {
        Self {
            server: total - total / 2,
            validator: total / 2,
            root: 0,
        }
    }

    /// Their sum (saturating).
    pub fn total(&self) -> u64 {
        self.server
            .saturating_add(self.validator)
            .saturating_add(self.root)
    }
}

impl SubnetEpochInput {
    /// The pools the epoch distributes: [`SubnetEpochInput::emission_budgets`], or
    /// `rao_emission` in halves.
    pub fn budgets(&self) -> EmissionBudgets {
        self.emission_budgets
            .unwrap_or_else(|| EmissionBudgets::halves(self.rao_emission))
    }

    /// The whole emission: the budgets' sum when they are given, else `rao_emission`.
    pub fn total_emission(&self) -> u64 {
        self.emission_budgets
            .map_or(self.rao_emission, |b| b.total())
    }

    /// Mechanism `mech`'s input, or [`super::EpochError::MissingMechanism`].
    pub fn mechanism(&self, mech: usize) -> Result<&MechanismInput, super::EpochError> {
        self.mechanisms
            .get(mech)
            .ok_or(super::EpochError::MissingMechanism {
                mechanism: mech,
                given: self.mechanisms.len(),
            })
    }
}

/// One named step of the epoch, for tracing where a number came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    /// Step number, as in the module documentation.
    pub step: u8,
    /// What the values are.
    pub name: String,
    /// Per-uid values as f64 (for matrices: the per-row sums).
    pub values: Vec<f64>,
}

/// What one mechanism's epoch (`epoch_mechanism`) produces, one entry per uid 0..n: the
/// terms the runtime persists or aggregates.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EpochOutput {
    /// Active (last update within the activity cutoff).
    pub active: Vec<bool>,
    /// Normalised (threshold-filtered) stake, u16.
    pub stake_weight: Vec<u16>,
    /// Consensus, u16.
    pub consensus: Vec<u16>,
    /// `Incentive[idx]`, u16.
    pub incentive: Vec<u16>,
    /// Dividends, u16.
    pub dividends: Vec<u16>,
    /// Validator trust, u16.
    pub validator_trust: Vec<u16>,
    /// Combined emission per uid (rao).
    pub emission: Vec<u64>,
    /// The server (miner) part of the emission (rao).
    pub server_emission: Vec<u64>,
    /// The validator part of the emission (rao).
    pub validator_emission: Vec<u64>,
    /// The new validator permits.
    pub validator_permit: Vec<bool>,
    /// `Bonds[idx][uid]` after the epoch: the runtime writes every row (empty for a uid
    /// without a new permit).
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// Per-step values, when a trace was asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceStep>,
}

/// What `epoch_with_mechanisms` writes for the subnet, plus what it returns to the coinbase.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubnetEpochOutput {
    /// The emission each mechanism distributed (`split_emissions`).
    pub emission_split: Vec<u64>,
    /// `Active[netuid]`: OR over mechanisms.
    pub active: Vec<bool>,
    /// `Emission[netuid]`: emission weighted by each mechanism's share (rao).
    pub emission: Vec<u64>,
    /// `Consensus[netuid]`: share-weighted.
    pub consensus: Vec<u16>,
    /// `Dividends[netuid]`: share-weighted.
    pub dividends: Vec<u16>,
    /// `ValidatorTrust[netuid]`: share-weighted.
    pub validator_trust: Vec<u16>,
    /// `ValidatorPermit[netuid]`: OR over mechanisms.
    pub validator_permit: Vec<bool>,
    /// `StakeWeight[netuid]`: share-weighted.
    pub stake_weight: Vec<u16>,
    /// Server emission summed over mechanisms (rao), as returned to the coinbase.
    pub server_emission: Vec<u64>,
    /// Validator emission summed over mechanisms (rao), as returned to the coinbase.
    pub validator_emission: Vec<u64>,
    /// Per mechanism: `Incentive[idx]`, `Bonds[idx]` and the mechanism's own terms.
    pub mechanisms: Vec<EpochOutput>,
}
