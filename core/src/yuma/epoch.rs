//! One mechanism's Yuma epoch (`epoch_mechanism`, the runtime's sparse production path), in
//! one function whose sections are the runtime's, in its order (run_epoch.rs L566-1076 at
//! spec 425). The rule sets differ in a few places, marked `Runtime::…`: the activity cutoff,
//! the owner rules (stake threshold and permits), the bond mask's `last_tempo` (spec 475:
//! `bond_cutoff_block`) and which consensus liquid alpha reads (spec 475:
//! `compute_consensus_for_liquid_alpha`). The steps a Null epoch shares (activity, stake,
//! the weight masks) are functions here that [`super::null`] calls too.

use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::types::{I32F32, I64F64, I96F32};

use super::math::{self, SparseRow, ONE, ZERO};
use super::{EpochError, EpochHyperparams, EpochOutput, SubnetEpochInput, Tracer};
use crate::stake;

/// The epoch's result with the intermediate values the views need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MechanismRun {
    pub output: EpochOutput,
    /// Validator permits as the epoch used them (stored, owner forced where the rules say so).
    pub permits: Vec<bool>,
    /// Active stake (normalised).
    pub active_stake: Vec<I32F32>,
    /// Weights after every mask, row-normalised.
    pub weights: Vec<SparseRow>,
    /// Consensus per column.
    pub consensus: Vec<I32F32>,
    /// The weights clipped at consensus (`W̄`).
    pub clipped: Vec<SparseRow>,
    /// Row sums of the clipped weights.
    pub validator_trust: Vec<I32F32>,
    /// `W̄ᵀ · active_stake` per uid before normalisation (the incentive's numerator).
    pub ranks: Vec<I32F32>,
    /// Incentive (normalised ranks).
    pub incentive: Vec<I32F32>,
    /// The bonds the dividends read: the column-normalised EMA bonds.
    pub dividend_bonds: Vec<SparseRow>,
    /// `Σ_j B_ij · I_j` per validator (Yuma2: the dividends before normalisation; Yuma3:
    /// before the multiplication by the active stake).
    pub bonds_incentive: Vec<I32F32>,
    /// The dividends before normalisation.
    pub raw_dividends: Vec<I32F32>,
    /// The commit block per uid the commit-reveal mask used (None: no mask).
    pub commit_blocks: Option<Vec<u64>>,
    /// Each uid's share of the mechanism's emission (the normalised combined emission): the
    /// emission for any amount follows from it ([`to_rao`]).
    pub combined_fraction: Vec<I32F32>,
    /// A Null epoch's particulars (None for Yuma).
    pub null: Option<NullRun>,
}

/// What a Null epoch decided (spec 475).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NullRun {
    /// The sole permit holder (None: an empty subnet).
    pub winner: Option<u16>,
    /// The winner's row counted nothing: every uid got one equal incentive share.
    pub equal_shares: bool,
}

/// `fraction × rao_emission` floored to rao for each entry, in the runtime's I96F32.
pub(crate) fn to_rao(fractions: &[I32F32], rao_emission: u64) -> Vec<u64> {
    let float_rao_emission = I96F32::saturating_from_num(rao_emission);
    fractions
        .iter()
        .map(|x| {
            I96F32::saturating_from_num(*x)
                .saturating_mul(float_rao_emission)
                .saturating_to_num::<u64>()
        })
        .collect()
}

/// `get_weights_sparse`: n rows, rows and entries of uids ≥ n dropped, values as integers.
fn stored_weights(rows: &[Vec<(u16, u16)>], n: usize) -> Vec<SparseRow> {
    (0..n)
        .map(|i| {
            rows.get(i).map_or_else(Vec::new, |row| {
                row.iter()
                    .filter(|&&(j, _)| usize::from(j) < n)
                    .map(|&(j, w)| (j, I32F32::saturating_from_num(w)))
                    .collect()
            })
        })
        .collect()
}

/// `get_bonds_sparse`: n rows (rows of uids ≥ n dropped), entries kept as stored — the
/// runtime does not filter bond columns here; later steps drop columns ≥ n.
fn stored_bonds(
    rows: &[Vec<(u16, u16)>],
    n: usize,
    value: impl Fn(u16) -> I32F32,
) -> Vec<SparseRow> {
    (0..n)
        .map(|i| {
            rows.get(i).map_or_else(Vec::new, |row| {
                row.iter().map(|&(j, b)| (j, value(b))).collect()
            })
        })
        .collect()
}

/// `compute_bonds_sparse` (Yuma3, run_epoch.rs L1340): per-bond sigmoid α when liquid alpha
/// is on and some entry of the consensus it reads (`consensus`: see
/// [`consensus_for_liquid_alpha`]) is non-zero, else the fixed α of
/// `compute_disabled_liquid_alpha`.
pub(crate) fn yuma3_ema(
    weights_for_bonds: &[SparseRow],
    bonds: &[SparseRow],
    consensus: &[I32F32],
    p: &EpochHyperparams,
) -> Vec<SparseRow> {
    if p.liquid_alpha_enabled && !consensus.is_empty() && consensus.iter().any(|&c| c != ZERO) {
        // get_alpha_values_32, get_alpha_sigmoid_steepness
        let alpha_low = math::u16_proportion_to_fixed(p.alpha_low);
        let alpha_high = math::u16_proportion_to_fixed(p.alpha_high);
        let steepness = I32F32::saturating_from_num(p.alpha_sigmoid_steepness);
        let curve = math::SigmoidCurve::new(alpha_low, alpha_high, steepness);
        let columns = consensus.len();
        let mut scratch = vec![ZERO; columns];
        let empty = SparseRow::new();
        // compute_liquid_alpha_values_sparse builds an n-column α row by a peeking merge of
        // the weight and bond rows; mat_ema_alpha_sparse reads it only at the columns of the
        // weight row, so α is computed there only (same values, same merge).
        weights_for_bonds
            .iter()
            .enumerate()
            .map(|(i, w_row)| {
                let b_row = bonds.get(i).unwrap_or(&empty);
                let mut cols: Vec<u16> = w_row
                    .iter()
                    .map(|e| e.0)
                    .filter(|&j| usize::from(j) < columns)
                    .collect();
                cols.sort_unstable();
                cols.dedup();
                let w_seen = math::peek_values(w_row, &cols);
                let b_seen = math::peek_values(b_row, &cols);
                let alphas: Vec<I32F32> = cols
                    .iter()
                    .zip(w_seen.iter().zip(&b_seen))
                    .map(|(&j, (&w, &b))| {
                        let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
                        curve.alpha(c, w, b)
                    })
                    .collect();
                math::ema_alpha_row(w_row, b_row, &mut scratch, |j| {
                    cols.binary_search(&j)
                        .ok()
                        .and_then(|k| alphas.get(k).copied())
                })
            })
            .collect()
    } else {
        // compute_disabled_liquid_alpha
        let bma = I64F64::saturating_from_num(p.bonds_moving_average)
            .saturating_div(I64F64::saturating_from_num(1_000_000));
        let alpha = ONE.saturating_sub(I32F32::saturating_from_num(bma));
        math::mat_ema_sparse(weights_for_bonds, bonds, alpha)
    }
}

/// `compute_consensus_for_liquid_alpha` (spec 475, run_epoch.rs at coldint/subtensor@02214123):
/// the consensus the liquid-alpha sigmoid reads. Under `Previous`, or `Auto` with
/// `BondsPenalty` at 65535, the mechanism's `ConsensusByMechanism` as the previous epoch stored
/// it (u16 proportions to fixed point, zero-padded or cut to this epoch's length), unless none
/// is stored; otherwise, and before spec 475, this epoch's.
pub(crate) fn consensus_for_liquid_alpha(
    runtime: super::Runtime,
    p: &EpochHyperparams,
    previous: &[u16],
    current: &[I32F32],
) -> Vec<I32F32> {
    use super::ConsensusMode;
    let use_previous = runtime.is_475()
        && match p.liquid_alpha_consensus_mode {
            ConsensusMode::Current => false,
            ConsensusMode::Previous => true,
            ConsensusMode::Auto => p.bonds_penalty == u16::MAX,
        };
    if !use_previous || previous.is_empty() {
        return current.to_vec();
    }
    let mut selected: Vec<I32F32> = previous
        .iter()
        .map(|&c| math::u16_proportion_to_fixed(c))
        .collect();
    selected.resize(current.len(), ZERO);
    selected
}

/// The activity cutoff in blocks: `get_activity_cutoff_blocks` (dynamic tempo:
/// `max(1, ActivityCutoffFactorMilli × tempo / 1000)`) or `ActivityCutoff` (spec 385/397).
pub(crate) fn activity_cutoff(input: &SubnetEpochInput) -> u64 {
    let p = &input.params;
    if input.runtime.dynamic_tempo() {
        // utils/misc.rs L614 at 425
        u64::from(p.activity_cutoff_factor_milli)
            .saturating_mul(u64::from(p.tempo))
            .checked_div(1000)
            .unwrap_or(0)
            .max(1)
    } else {
        u64::from(p.activity_cutoff)
    }
}

/// Per uid, inactive: its last update plus the cutoff is before the current block (a uid
/// beyond the stored `LastUpdate` counts as updated at block 0).
pub(crate) fn inactive(input: &SubnetEpochInput, last_update: &[u64]) -> Vec<bool> {
    let cutoff = activity_cutoff(input);
    last_update
        .iter()
        .map(|&updated| updated.saturating_add(cutoff) < input.current_block)
        .collect()
}

/// `get_stake_weights_for_network`'s total stake, and that stake with the uids below
/// `StakeThreshold` zeroed (the owner's kept where the rules exempt it), normalised and
/// narrowed to I32F32: the epoch's `stake`.
pub(crate) fn stake_terms(input: &SubnetEpochInput) -> (Vec<I64F64>, Vec<I32F32>) {
    let rt = input.runtime;
    let total_stake = stake::stake_weights(&input.alpha_stake, &input.tao_stake, input.tao_weight);
    let owner_exempt = |uid: usize| rt.owner_keeps_permit() && input.owner_uid == Some(uid as u16);
    let mut filtered_stake: Vec<I64F64> = total_stake
        .iter()
        .enumerate()
        .map(|(uid, &s)| {
            if !owner_exempt(uid) && s.saturating_to_num::<u64>() < input.stake_threshold {
                I64F64::from_bits(0)
            } else {
                s
            }
        })
        .collect();
    math::inplace_normalize_64(&mut filtered_stake);
    let stake = math::vec_fixed64_to_fixed32(&filtered_stake);
    (total_stake, stake)
}

/// The masks every epoch applies to the weights it loaded: the diagonal (the owner's
/// self-weight kept), entries to uids registered at or after the row's last update, and under
/// commit-reveal entries to uids registered after the row's earliest live commit. Returns the
/// commit blocks the last mask used (None: commit-reveal off).
pub(crate) fn mask_weights(
    input: &SubnetEpochInput,
    m: &super::MechanismInput,
    weights: Vec<SparseRow>,
) -> (Vec<SparseRow>, Option<Vec<u64>>) {
    let n = usize::from(input.n);
    let block_at_registration = &input.block_at_registration;
    let mut weights = math::mask_diag_sparse(&weights, input.owner_uid);
    weights =
        math::vec_mask_sparse_matrix(&weights, &m.last_update, block_at_registration, |u, r| {
            u <= r
        });
    let commit_blocks = if input.params.commit_reveal_enabled {
        let cb: Vec<u64> = (0..n)
            .map(|i| m.commit_block.get(i).copied().flatten().unwrap_or(u64::MAX))
            .collect();
        weights = math::vec_mask_sparse_matrix(&weights, &cb, block_at_registration, |c, r| c < r);
        Some(cb)
    } else {
        None
    };
    (weights, commit_blocks)
}

/// `bond_cutoff_block`: bonds to uids registered at or after it are dropped. Spec 475:
/// `LastYumaStepBlock + 1` when stored, else `LastMechansimStepBlock + 1`, else
/// `current_block − tempo`; spec 425: the same without `LastYumaStepBlock`; before dynamic tempo
/// always `current_block − tempo`.
pub(crate) fn bond_cutoff_block(input: &SubnetEpochInput) -> u64 {
    let p = &input.params;
    let rt = input.runtime;
    if rt.is_475() {
        if let Some(last_yuma) = p.last_yuma_step_block {
            return last_yuma.saturating_add(1);
        }
    }
    if rt.dynamic_tempo() && p.last_mechanism_step_block != 0 {
        p.last_mechanism_step_block.saturating_add(1)
    } else {
        input.current_block.saturating_sub(u64::from(p.tempo))
    }
}

/// Runs mechanism `mech` of the subnet with `rao_emission` to distribute. The input's shape
/// has been checked by the caller.
pub(crate) fn run_mechanism(
    input: &SubnetEpochInput,
    mech: usize,
    rao_emission: u64,
    tracer: &mut Tracer,
) -> Result<MechanismRun, EpochError> {
    let rt = input.runtime;
    let p = &input.params;
    let n = usize::from(input.n);
    let m = input.mechanism(mech)?;
    let owner_uid = input.owner_uid;

    // ======================
    // == Active & updated ==
    // ======================
    let inactive = inactive(input, &m.last_update);
    let active: Vec<bool> = inactive.iter().map(|&b| !b).collect();
    let block_at_registration = &input.block_at_registration;
    tracer.flags(1, "active", &active);

    // ===========
    // == Stake ==
    // ===========
    let (_, stake) = stake_terms(input);
    tracer.vec(2, "stake (threshold-filtered, normalised)", &stake);

    // =======================
    // == Validator permits ==
    // =======================
    let mut validator_permits: Vec<bool> = input.validator_permit.clone();
    if rt.owner_keeps_permit() {
        if let Some(cell) = owner_uid.and_then(|o| validator_permits.get_mut(usize::from(o))) {
            *cell = true;
        }
    }
    let validator_forbids: Vec<bool> = validator_permits.iter().map(|&b| !b).collect();
    let mut new_validator_permits =
        math::is_topk_nonzero(&stake, usize::from(p.max_allowed_validators));
    if rt.owner_keeps_permit() {
        if let Some(cell) = owner_uid.and_then(|o| new_validator_permits.get_mut(usize::from(o))) {
            *cell = true;
        }
    }
    tracer.flags(
        3,
        "validator permits (stored, used by this epoch)",
        &validator_permits,
    );
    tracer.flags(3, "new validator permits", &new_validator_permits);

    // ==================
    // == Active Stake ==
    // ==================
    let mut active_stake = stake.clone();
    math::inplace_mask_vector(&inactive, &mut active_stake);
    math::inplace_mask_vector(&validator_forbids, &mut active_stake);
    math::inplace_normalize(&mut active_stake);
    tracer.vec(4, "active stake", &active_stake);

    // =============
    // == Weights ==
    // =============
    let weights = math::mask_rows_sparse(&validator_forbids, &stored_weights(&m.weights, n));
    let (mut weights, commit_blocks) = mask_weights(input, m, weights);
    math::inplace_row_normalize_sparse(&mut weights);
    tracer.rows(5, "weights (masked, row-normalised): row sums", &weights);

    // ================================
    // == Consensus, Validator Trust ==
    // ================================
    let kappa = math::safe_div(
        I32F32::saturating_from_num(p.kappa),
        I32F32::saturating_from_num(u16::MAX),
    );
    let consensus = math::weighted_median_col_sparse(&active_stake, &weights, n, kappa);
    tracer.vec(6, "consensus", &consensus);
    let clipped = math::col_clip_sparse(&weights, &consensus);
    let validator_trust = math::row_sum_sparse(&clipped);
    tracer.vec(
        7,
        "validator trust (row sums of weights clipped at consensus)",
        &validator_trust,
    );

    // ===============
    // == Incentive ==
    // ===============
    let raw_ranks = math::matmul_sparse(&clipped, &active_stake, n);
    let mut incentive = raw_ranks.clone();
    math::inplace_normalize(&mut incentive);
    tracer.vec(8, "incentive", &incentive);

    // =========================
    // == Bonds and Dividends ==
    // =========================
    let bonds_penalty = math::safe_div(
        I32F32::saturating_from_num(p.bonds_penalty),
        I32F32::saturating_from_num(u16::MAX),
    );
    let weights_for_bonds = math::interpolate_sparse(&weights, &clipped, n, bonds_penalty);
    tracer.rows(
        9,
        "weights for bonds W + β(W̄ − W): row sums",
        &weights_for_bonds,
    );
    let last_tempo = bond_cutoff_block(input);
    let mask_recent = |b: &[SparseRow]| {
        math::scalar_vec_mask_sparse_matrix(b, last_tempo, block_at_registration, |t, r| t <= r)
    };
    let (ema_bonds, dividend_bonds, bonds_incentive, raw_dividends, dividends) = if p.yuma3_enabled
    {
        let bonds = stored_bonds(&m.bonds, n, |b| {
            math::fixed_to_fixed_u16_proportion(math::u16_to_fixed(b))
        });
        let bonds = mask_recent(&bonds);
        // Runtime::Spec475: the previous epoch's consensus where the mode says so.
        let selected = consensus_for_liquid_alpha(rt, p, &m.consensus_by_mechanism, &consensus);
        let ema_bonds = yuma3_ema(&weights_for_bonds, &bonds, &selected, p);
        tracer.rows(10, "Yuma3 EMA bonds: row sums", &ema_bonds);
        let mut ema_bonds_norm = ema_bonds.clone();
        math::inplace_col_normalize_sparse(&mut ema_bonds_norm, n);
        let total_bonds_per_validator =
            math::row_sum_sparse(&math::mat_vec_mul_sparse(&ema_bonds_norm, &incentive));
        let raw_dividends = math::vec_mul(&total_bonds_per_validator, &active_stake);
        let mut dividends = raw_dividends.clone();
        math::inplace_normalize(&mut dividends);
        (
            ema_bonds,
            ema_bonds_norm,
            total_bonds_per_validator,
            raw_dividends,
            dividends,
        )
    } else {
        let mut bonds = mask_recent(&stored_bonds(&m.bonds, n, math::u16_to_fixed));
        math::inplace_col_normalize_sparse(&mut bonds, n);
        let mut bonds_delta = math::row_hadamard_sparse(&weights_for_bonds, &active_stake);
        math::inplace_col_normalize_sparse(&mut bonds_delta, n);
        // compute_ema_bonds_normal_sparse
        let bma = math::safe_div64(
            I64F64::saturating_from_num(p.bonds_moving_average),
            I64F64::saturating_from_num(1_000_000),
        );
        let alpha = ONE.saturating_sub(I32F32::saturating_from_num(bma));
        let mut ema_bonds = math::mat_ema_sparse(&bonds_delta, &bonds, alpha);
        math::inplace_col_normalize_sparse(&mut ema_bonds, n);
        tracer.rows(10, "EMA bonds (column-normalised): row sums", &ema_bonds);
        let raw_dividends = math::matmul_transpose_sparse(&ema_bonds, &incentive);
        let mut dividends = raw_dividends.clone();
        math::inplace_normalize(&mut dividends);
        let dividend_bonds = ema_bonds.clone();
        math::inplace_col_max_upscale_sparse(&mut ema_bonds, n);
        (
            ema_bonds,
            dividend_bonds,
            raw_dividends.clone(),
            raw_dividends,
            dividends,
        )
    };
    tracer.vec(11, "dividends", &dividends);

    // ==============
    // == Emission ==
    // ==============
    let combined_emission: Vec<I32F32> = incentive
        .iter()
        .zip(&dividends)
        .map(|(i, d)| i.saturating_add(*d))
        .collect();
    let emission_sum = math::sum(combined_emission.iter().copied());
    let mut normalized_server_emission = incentive.clone();
    let mut normalized_validator_emission = dividends.clone();
    let mut normalized_combined_emission = combined_emission;
    math::inplace_normalize_using_sum(&mut normalized_server_emission, emission_sum);
    math::inplace_normalize_using_sum(&mut normalized_validator_emission, emission_sum);
    math::inplace_normalize(&mut normalized_combined_emission);
    if emission_sum == ZERO {
        // No weights counted: emission by (active) stake.
        let by = if math::is_zero(&active_stake) {
            &stake
        } else {
            &active_stake
        };
        normalized_validator_emission.clone_from(by);
        normalized_combined_emission.clone_from(by);
    }
    tracer.vec(
        12,
        "normalised combined emission",
        &normalized_combined_emission,
    );
    let server_emission = to_rao(&normalized_server_emission, rao_emission);
    let validator_emission = to_rao(&normalized_validator_emission, rao_emission);
    let combined_rao = to_rao(&normalized_combined_emission, rao_emission);

    // ===========================
    // == Populate epoch output ==
    // ===========================
    let u16s = |v: &[I32F32]| -> Vec<u16> {
        (0..n)
            .map(|i| v.get(i).map_or(0, |x| math::fixed_proportion_to_u16(*x)))
            .collect()
    };
    let per_uid =
        |v: &[u64]| -> Vec<u64> { (0..n).map(|i| v.get(i).copied().unwrap_or(0)).collect() };
    let flags =
        |v: &[bool]| -> Vec<bool> { (0..n).map(|i| v.get(i).copied().unwrap_or(false)).collect() };
    let new_permits = flags(&new_validator_permits);
    let bonds: Vec<Vec<(u16, u16)>> = (0..n)
        .map(|i| {
            if new_permits[i] {
                ema_bonds.get(i).map_or_else(Vec::new, |row| {
                    row.iter()
                        .map(|&(j, v)| (j, math::fixed_proportion_to_u16(v)))
                        .collect()
                })
            } else {
                // A uid without a new permit gets an empty row (the runtime writes every row).
                Vec::new()
            }
        })
        .collect();
    let output = EpochOutput {
        active: flags(&active),
        stake_weight: u16s(&stake),
        consensus: u16s(&consensus),
        incentive: u16s(&incentive),
        dividends: u16s(&dividends),
        validator_trust: u16s(&validator_trust),
        emission: per_uid(&combined_rao),
        server_emission: per_uid(&server_emission),
        validator_emission: per_uid(&validator_emission),
        validator_permit: new_permits,
        bonds,
        trace: Vec::new(),
    };
    Ok(MechanismRun {
        output,
        permits: validator_permits,
        active_stake,
        weights,
        consensus,
        clipped,
        validator_trust,
        ranks: raw_ranks,
        incentive,
        dividend_bonds,
        bonds_incentive,
        raw_dividends,
        commit_blocks,
        combined_fraction: (0..n)
            .map(|i| normalized_combined_emission.get(i).copied().unwrap_or(ZERO))
            .collect(),
        null: None,
    })
}
