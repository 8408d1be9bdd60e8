//! Views for display, computed by the epoch code itself: a validator's row as the epoch sees
//! it (masks, normalisation, consensus, clipping, validator trust) and a weight row
//! normalised the way the runtime normalises it.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use substrate_fixed::types::I32F32;

use super::epoch::MechanismRun;
use super::math::{self, ZERO};
use super::{check_input, EpochError, EpochOutput, MechanismInput, SubnetEpochInput, Tracer};

/// Why the epoch dropped a stored weight, in the order the runtime applies its masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskReason {
    /// The target uid is ≥ n (not read from storage).
    NotAUid,
    /// The validator held no validator permit before this epoch: its whole row is masked.
    NoPermit,
    /// A self-weight (only the owner uid keeps its own).
    SelfWeight,
    /// Set at or before the target's registration (`last_update_i ≤ block_at_registration_j`).
    SetBeforeRegistration,
    /// Commit-reveal: committed before the target registered
    /// (`commit_block_i < block_at_registration_j`).
    CommittedBeforeRegistration,
    /// Null consensus (spec 475): only the sole permit holder's row is read.
    NotTheNullWinner,
}

/// One stored weight of the validator's row and what the epoch made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowEntry {
    /// Target uid.
    pub uid: u16,
    /// The stored u16.
    pub stored: u16,
    /// Why the epoch dropped it (None: counted).
    pub masked: Option<MaskReason>,
    /// The weight after masks and row normalisation (0 when masked).
    pub weight: f64,
    /// The target's consensus.
    pub consensus: f64,
    /// The weight clipped at consensus (what counts for incentive).
    pub clipped: f64,
    /// `weight − clipped`: what the clipping removed.
    pub clipped_amount: f64,
}

/// One validator's row in one mechanism's epoch, exactly as the core computes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorRowView {
    /// The validator.
    pub uid: u16,
    /// The mechanism.
    pub mechanism: u8,
    /// It held a validator permit this epoch counts (stored permit; the owner's forced).
    pub permitted: bool,
    /// Its last update is within the activity cutoff.
    pub active: bool,
    /// Its share of the active stake (0 when inactive or without permit).
    pub active_stake: f64,
    /// Every stored entry of its row, in storage order.
    pub entries: Vec<RowEntry>,
    /// Consensus per uid 0..n (as f64, exact conversion of the fixed-point value).
    pub consensus: Vec<f64>,
    /// Consensus per uid as stored (u16).
    pub consensus_u16: Vec<u16>,
    /// Validator trust: the sum of its clipped weights.
    pub validator_trust: f64,
    /// Validator trust as stored (u16).
    pub validator_trust_u16: u16,
}

fn f(x: I32F32) -> f64 {
    x.to_num::<f64>()
}

/// The row of validator `uid` in mechanism `mechanism`'s epoch: its stored weights, which
/// masks dropped which entry and why, the normalised weights, the consensus they are clipped
/// at, the clipped amounts and the validator trust — all from the epoch run itself.
pub fn validator_row_view(
    input: &SubnetEpochInput,
    mechanism: u8,
    uid: u16,
) -> Result<ValidatorRowView, EpochError> {
    check_input(input)?;
    if uid >= input.n {
        return Err(EpochError::UidOutOfRange { uid, n: input.n });
    }
    let mech = usize::from(mechanism);
    let (share, budgets) = super::mechanisms::plan(input)
        .get(mech)
        .copied()
        .unwrap_or_default();
    let run = super::mechanisms::run_planned(input, mech, share, budgets, &mut Tracer::off())?;
    row_view(input, &run, &run.output, mechanism, uid)
}

/// The row of validator `uid` from a mechanism's run (`output` is that run's output).
pub(crate) fn row_view(
    input: &SubnetEpochInput,
    run: &MechanismRun,
    output: &EpochOutput,
    mechanism: u8,
    uid: u16,
) -> Result<ValidatorRowView, EpochError> {
    let n = usize::from(input.n);
    let i = usize::from(uid);
    if i >= n {
        return Err(EpochError::UidOutOfRange { uid, n: input.n });
    }
    let mech = usize::from(mechanism);
    let m = input.mechanism(mech)?;
    let entries = stored_entries(input, run, m, uid)
        .into_iter()
        .map(|e| {
            let cut = clip(e.weight, e.consensus);
            RowEntry {
                uid: e.uid,
                stored: e.stored,
                masked: e.masked,
                weight: f(e.weight),
                consensus: f(e.consensus),
                clipped: f(cut),
                clipped_amount: f(e.weight.saturating_sub(cut)),
            }
        })
        .collect();
    let vtrust = run.validator_trust.get(i).copied().unwrap_or(ZERO);
    Ok(ValidatorRowView {
        uid,
        mechanism,
        permitted: run.permits.get(i).copied().unwrap_or(false),
        active: output.active.get(i).copied().unwrap_or(false),
        active_stake: run.active_stake.get(i).map_or(0.0, |s| f(*s)),
        entries,
        consensus: run.consensus.iter().map(|c| f(*c)).collect(),
        consensus_u16: output.consensus.clone(),
        validator_trust: f(vtrust),
        validator_trust_u16: math::fixed_proportion_to_u16(vtrust),
    })
}

/// `col_clip_sparse` on one entry: `min(w, c)`, dropped (0) when above a consensus ≤ 0.
pub(crate) fn clip(weight: I32F32, consensus: I32F32) -> I32F32 {
    if consensus < weight {
        consensus.max(ZERO)
    } else {
        weight
    }
}

/// One stored entry of a validator's row as the epoch saw it (fixed point).
pub(crate) struct StoredEntry {
    pub uid: u16,
    pub stored: u16,
    pub masked: Option<MaskReason>,
    /// The counted, row-normalised weight (0 when masked).
    pub weight: I32F32,
    /// The target's consensus.
    pub consensus: I32F32,
}

/// Validator `uid`'s stored row in mechanism `m`, each entry with the mask that dropped it
/// (in the runtime's order) or its normalised weight.
pub(crate) fn stored_entries(
    input: &SubnetEpochInput,
    run: &MechanismRun,
    m: &MechanismInput,
    uid: u16,
) -> Vec<StoredEntry> {
    let n = usize::from(input.n);
    let i = usize::from(uid);
    // Null reads the winner's row alone, with no permit mask.
    let not_the_winner = run.null.is_some_and(|null| null.winner != Some(uid));
    let permitted = run.null.is_some() || run.permits.get(i).copied().unwrap_or(false);
    let last_update = m.last_update.get(i).copied().unwrap_or(0);
    let commit_block = run.commit_blocks.as_ref().and_then(|cb| cb.get(i).copied());
    let registered = |j: usize| input.block_at_registration.get(j).copied().unwrap_or(0);
    let empty: Vec<(u16, I32F32)> = Vec::new();
    // Masks only filter and normalisation keeps the order, so the counted entries are the
    // epoch's row entries in order.
    let mut kept = run.weights.get(i).unwrap_or(&empty).iter();
    let stored: &[(u16, u16)] = m.weights.get(i).map_or(&[], |r| r.as_slice());
    stored
        .iter()
        .map(|&(j, w)| {
            let ju = usize::from(j);
            let masked = if ju >= n {
                Some(MaskReason::NotAUid)
            } else if not_the_winner {
                Some(MaskReason::NotTheNullWinner)
            } else if !permitted {
                Some(MaskReason::NoPermit)
            } else if ju == i && input.owner_uid != Some(uid) {
                Some(MaskReason::SelfWeight)
            } else if last_update <= registered(ju) {
                Some(MaskReason::SetBeforeRegistration)
            } else if commit_block.is_some_and(|cb| cb < registered(ju)) {
                Some(MaskReason::CommittedBeforeRegistration)
            } else {
                None
            };
            let weight = if masked.is_none() {
                kept.next().map_or(ZERO, |e| e.1)
            } else {
                ZERO
            };
            StoredEntry {
                uid: j,
                stored: w,
                masked,
                weight,
                consensus: run.consensus.get(ju).copied().unwrap_or(ZERO),
            }
        })
        .collect()
}

/// A stored weight row normalised as the runtime normalises it, without the epoch's masks:
/// entries to uids ≥ n dropped, values divided by the row's fixed-point sum (I32F32,
/// `inplace_row_normalize_sparse`). Returns `(uid, weight)` in storage order; an all-zero row
/// stays zero. (The SDK's f32 normalisation is `Metagraph::weight_matrix`.)
pub fn normalize_weight_row(row: &[(u16, u16)], n: usize) -> Vec<(u16, f64)> {
    let mut fixed: Vec<Vec<(u16, I32F32)>> = alloc::vec![row
        .iter()
        .filter(|&&(j, _)| usize::from(j) < n)
        .map(|&(j, w)| (j, I32F32::saturating_from_num(w)))
        .collect()];
    math::inplace_row_normalize_sparse(&mut fixed);
    fixed
        .pop()
        .unwrap_or_default()
        .into_iter()
        .map(|(j, v)| (j, f(v)))
        .collect()
}
