//! The Yuma consensus epoch of today's subtensor runtime, bit for bit: `epoch_with_mechanisms`
//! and `epoch_mechanism` (the sparse production path) of spec 425 (14bc6f9f9, 2026-06-30),
//! with the rule sets of spec 385 and 397 selectable by [`Runtime`], in the runtime's own
//! fixed-point arithmetic (`substrate-fixed`, the crate the runtime uses, operation by
//! operation: floor on multiply, truncation on divide, `safe_div` giving 0, wrapping sums).
//!
//! # The steps (one mechanism; numbered as in the trace)
//!
//! 1. **activity**: `active_i = last_update_i + cutoff ≥ current_block`; the cutoff is
//!    `max(1, ActivityCutoffFactorMilli × tempo / 1000)` (425) or `ActivityCutoff` (385/397);
//! 2. **stake**: `alpha + tao × TaoWeight/u64::MAX` in I64F64 ([`crate::stake`]); stakes below
//!    `StakeThreshold` count 0 (except the owner uid's, 397+); normalised, narrowed to I32F32;
//! 3. **permits**: the stored `ValidatorPermit` masks this epoch (the owner's forced true,
//!    397+); the new permits are `is_topk_nonzero(stake, MaxAllowedValidators)` (+ owner);
//! 4. **active stake**: stake of active uids with a stored permit, normalised;
//! 5. **weights**: rows of non-permitted uids emptied, the diagonal dropped except the owner's,
//!    entries with `last_update_i ≤ block_at_registration_j` dropped, with commit-reveal on
//!    entries with `commit_block_i < block_at_registration_j` dropped; rows normalised;
//! 6. **consensus**: per column the κ-majority stake-weighted median;
//! 7. **clipping** at consensus and **validator trust** (row sums of the clipped weights);
//! 8. **incentive**: `Σ_i W̄_ij · active_stake_i`, normalised (no rank/trust any more);
//! 9. **weights for bonds**: `W + β(W̄ − W)`, β = `BondsPenalty`;
//! 10. **bonds**, bonds to uids registered at or after `last_tempo` dropped first
//!     (`last_tempo = LastMechansimStepBlock + 1`, or `current_block − tempo` when that is 0
//!     or before spec 425): Yuma3 (u16 proportions, EMA with per-bond sigmoid α under liquid
//!     alpha, else `α = 1 − BondsMovingAverage/10⁶`, only the columns of the weight row kept)
//!     or Yuma2 (column-normalised, EMA of the column-normalised `ΔB = W_b ∘ S`, stored
//!     column max-upscaled);
//! 11. **dividends**: Yuma3 `(Σ_j B̂_ij I_j) · S_i`, Yuma2 `Bᵀ I`, normalised;
//! 12. **emission**: incentive and dividends over their joint sum, times the mechanism's
//!     emission (by stake when nothing was earned); outputs as u16 proportions, bond rows for
//!     uids with a new permit, every other row emptied.
//!
//! [`epoch_with_mechanisms`] splits `rao_emission` by `MechanismEmissionSplit` (or evenly,
//! the remainder to mechanism 0), runs each mechanism and aggregates per uid as the runtime
//! does: emissions summed, consensus/dividends/validator trust/stake weight/emission weighted
//! by the mechanism's share (truncated at each step), active and permits OR'ed.
//!
//! # What the caller reads
//!
//! See [`SubnetEpochInput`]: every field names its storage item or runtime-API field. Read
//! at the block *before* the epoch; the epoch block changes a few things before the epoch
//! runs: CR-v4 timelocked commits of the reveal epoch are revealed into `Weights` (and leave
//! `TimelockedWeightCommits`), see [`commit_blocks`]; at spec 425 `change_subnet_owner_if_needed`
//! may move `SubnetOwnerHotkey`, and `SubnetEpochIndex` is incremented (see [`CommitExpiry`]).
//! `LastMechansimStepBlock` is written after the epoch: the value before is the one it reads.
//!
//! Where the runtime would panic (`I32F32::from_num` of an impossible `BondsMovingAverage`
//! above ~2.1·10¹⁵) this module saturates instead; on every other input it gives the
//! runtime's numbers.

mod commits;
mod epoch;
mod explain;
mod input;
pub mod math;
mod mechanisms;
pub mod null;
mod view;

pub use commits::{commit_blocks, CommitExpiry, TimelockedCommitQueue, WeightCommitQueue};
pub use explain::{
    epoch_detailed, BondTerm, DividendExplanation, EpochDetail, MinerExplanation, NullExplanation,
    Support,
};
pub use input::{
    ConsensusMode, EmissionBudgets, EpochConsensus, EpochHyperparams, EpochOutput, MechanismInput,
    Runtime, SubnetEpochInput, SubnetEpochOutput, TraceStep, NEWEST_KNOWN_SPEC,
};
pub use mechanisms::{distributed_emission, is_null, split_emission};
pub use view::{normalize_weight_row, validator_row_view, MaskReason, RowEntry, ValidatorRowView};

use alloc::string::ToString;
use alloc::vec::Vec;
use math::SparseRow;
use substrate_fixed::types::I32F32;

/// Why an epoch input cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    /// A per-uid vector does not have one entry per uid.
    #[error("`{field}` has {got} entries but the subnet has n = {n} uids")]
    LengthMismatch {
        /// The offending field.
        field: &'static str,
        /// Its length.
        got: usize,
        /// The subnet size.
        n: usize,
    },
    /// More uids than the chain's u16 uids can address (legacy input).
    #[error("n = {0} uids exceeds the chain's maximum of 65535")]
    TooManyNeurons(usize),
    /// `mechanism_count` names a mechanism the input does not carry.
    #[error("mechanism {mechanism} is counted by `mechanism_count` but the input carries {given} mechanisms")]
    MissingMechanism {
        /// The missing mechanism's index.
        mechanism: usize,
        /// How many the input has.
        given: usize,
    },
    /// The runtime's epoch rules are not implemented here.
    #[error("runtime spec {0} predates the epoch rules implemented here (spec 385 and later)")]
    UnsupportedRuntime(u32),
    /// `rao_emission` and `emission_budgets` both given, and not equal.
    #[error("rao_emission is {rao_emission} but the emission budgets sum to {budgets}: give one, or make them agree")]
    BudgetsDisagree {
        /// `rao_emission`.
        rao_emission: u64,
        /// The budgets' sum.
        budgets: u64,
    },
    /// A uid outside the subnet was asked for.
    #[error("uid {uid} is not in the subnet (n = {n})")]
    UidOutOfRange {
        /// The uid.
        uid: u16,
        /// The subnet size.
        n: u16,
    },
}

/// Checks the shape of `input`: the per-uid vectors have n entries, every counted mechanism
/// is present, commit blocks are absent or per uid.
pub(crate) fn check_input(input: &SubnetEpochInput) -> Result<(), EpochError> {
    let n = usize::from(input.n);
    let exact = |field: &'static str, got: usize| {
        if got == n {
            Ok(())
        } else {
            Err(EpochError::LengthMismatch { field, got, n })
        }
    };
    exact("alpha_stake", input.alpha_stake.len())?;
    exact("tao_stake", input.tao_stake.len())?;
    exact("block_at_registration", input.block_at_registration.len())?;
    if let Some(budgets) = input.emission_budgets {
        if input.rao_emission != 0 && input.rao_emission != budgets.total() {
            return Err(EpochError::BudgetsDisagree {
                rao_emission: input.rao_emission,
                budgets: budgets.total(),
            });
        }
    }
    let count = usize::from(input.params.mechanism_count);
    if input.mechanisms.len() < count {
        return Err(EpochError::MissingMechanism {
            mechanism: input.mechanisms.len(),
            given: input.mechanisms.len(),
        });
    }
    for m in input.mechanisms.iter().take(count) {
        if !m.commit_block.is_empty() {
            exact("commit_block", m.commit_block.len())?;
        }
    }
    Ok(())
}

/// `epoch_with_mechanisms`: every mechanism's epoch and the subnet-level aggregate.
pub fn epoch_with_mechanisms(input: &SubnetEpochInput) -> Result<SubnetEpochOutput, EpochError> {
    check_input(input)?;
    mechanisms::run(input, false)
}

/// [`epoch_with_mechanisms`] of `input`, taking each mechanism whose input is the one it had
/// in `earlier_input` (with the same subnet-wide input) from `earlier_output` instead of
/// running it again: a mechanism's epoch reads nothing else, so the output is the same, value
/// for value. A what-if that edits one mechanism's weights reruns that mechanism only.
pub fn epoch_with_mechanisms_reusing(
    input: &SubnetEpochInput,
    earlier_input: &SubnetEpochInput,
    earlier_output: &SubnetEpochOutput,
) -> Result<SubnetEpochOutput, EpochError> {
    check_input(input)?;
    mechanisms::run_reusing(
        input,
        mechanisms::Earlier {
            input: earlier_input,
            output: earlier_output,
        },
    )
}

/// [`epoch_with_mechanisms`] with each mechanism's per-step values in its `trace`.
pub fn epoch_with_mechanisms_traced(
    input: &SubnetEpochInput,
) -> Result<SubnetEpochOutput, EpochError> {
    check_input(input)?;
    mechanisms::run(input, true)
}

/// `epoch_mechanism`: mechanism `mechanism`'s epoch alone, distributing `rao_emission` (on a
/// Null subnet as the runtime's wrapper pays it: miners `E − ⌊E/2⌋`, validators `⌊E/2⌋`, and
/// the whole `E` to miners when no uid has stake).
pub fn epoch_mechanism(
    input: &SubnetEpochInput,
    mechanism: u8,
    rao_emission: u64,
) -> Result<EpochOutput, EpochError> {
    check_input(input)?;
    Ok(run_single(input, mechanism, rao_emission, &mut Tracer::off())?.output)
}

/// One mechanism with `rao_emission`, Yuma or Null as the subnet runs.
fn run_single(
    input: &SubnetEpochInput,
    mechanism: u8,
    rao_emission: u64,
    tracer: &mut Tracer,
) -> Result<epoch::MechanismRun, EpochError> {
    let budgets = mechanisms::is_null(input).then(|| {
        let halves = EmissionBudgets::halves(rao_emission);
        null::NullBudgets {
            mining: halves.server,
            dividend: halves.validator,
            fallback: rao_emission,
        }
    });
    mechanisms::run_planned(input, usize::from(mechanism), rao_emission, budgets, tracer)
}

/// [`epoch_mechanism`] with the per-step values in `trace`.
pub fn epoch_mechanism_traced(
    input: &SubnetEpochInput,
    mechanism: u8,
    rao_emission: u64,
) -> Result<EpochOutput, EpochError> {
    check_input(input)?;
    let mut tracer = Tracer::on();
    let mut out = run_single(input, mechanism, rao_emission, &mut tracer)?.output;
    out.trace = tracer.steps;
    Ok(out)
}

/// Collects [`TraceStep`]s when switched on; costs nothing when off.
pub(crate) struct Tracer {
    pub(crate) steps: Vec<TraceStep>,
    on: bool,
}

impl Tracer {
    pub(crate) fn off() -> Self {
        Self {
            steps: Vec::new(),
            on: false,
        }
    }

    pub(crate) fn on() -> Self {
        Self {
            steps: Vec::new(),
            on: true,
        }
    }

    pub(crate) fn vec(&mut self, step: u8, name: &str, values: &[I32F32]) {
        if self.on {
            let v = values.iter().map(|v| v.to_num::<f64>()).collect();
            self.push(step, name, v);
        }
    }

    pub(crate) fn rows(&mut self, step: u8, name: &str, rows: &[SparseRow]) {
        if self.on {
            let sums = math::row_sum_sparse(rows);
            self.push(step, name, sums.iter().map(|v| v.to_num::<f64>()).collect());
        }
    }

    pub(crate) fn flags(&mut self, step: u8, name: &str, flags: &[bool]) {
        if self.on {
            let v = flags.iter().map(|&b| f64::from(u8::from(b))).collect();
            self.push(step, name, v);
        }
    }

    fn push(&mut self, step: u8, name: &str, values: Vec<f64>) {
        self.steps.push(TraceStep {
            step,
            name: name.to_string(),
            values,
        });
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_475;
