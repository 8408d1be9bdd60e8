//! Bond moving-average factors and the Yuma3 bonds path.
//!
//! - the classic α = 1 − BondsMovingAverage/10⁶ (`compute_ema_bonds_normal`);
//! - spec 218's liquid alpha: a per-column α from a logistic curve fitted through the
//!   consensus quartiles (`calculate_logistic_params`, `compute_alpha_values`, clamped);
//! - Yuma3 (the current runtime, behind `yuma3`): bonds are u16 proportions, the EMA runs on
//!   `W + β(W̄ − W)` directly, with an optional per-entry sigmoid α.

use super::math::{self, SparseRow, ONE, ZERO};
use super::{EpochInput, EpochParams, Prepared};
use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::types::{I32F32, I64F64};

/// The classic bonds EMA factor, `1 − BondsMovingAverage / 1 000 000`.
pub fn normal_alpha(p: &EpochParams) -> I32F32 {
    // Values above 2^63 cannot be stored meaningfully; saturate where the runtime would panic.
    let bma = I64F64::saturating_from_num(p.bonds_moving_average)
        .saturating_div(I64F64::from_num(1_000_000));
    ONE.saturating_sub(I32F32::saturating_from_num(bma))
}

/// `AlphaValues` as fixed proportions `(low, high)`.
fn alpha_bounds(p: &EpochParams) -> (I32F32, I32F32) {
    (
        math::u16_proportion_to_fixed(p.alpha_low),
        math::u16_proportion_to_fixed(p.alpha_high),
    )
}

/// `calculate_logistic_params`: `(a, b)` of the logistic through the consensus quartiles.
pub fn logistic_params(
    alpha_high: I32F32,
    alpha_low: I32F32,
    consensus_high: I32F32,
    consensus_low: I32F32,
) -> (I32F32, I32F32) {
    if consensus_high <= consensus_low || alpha_low == ZERO || alpha_high == ZERO {
        return (ZERO, ZERO);
    }
    let ln_high = math::safe_ln(ONE.saturating_div(alpha_high).saturating_sub(ONE));
    let ln_low = math::safe_ln(ONE.saturating_div(alpha_low).saturating_sub(ONE));
    let a = ln_high
        .saturating_sub(ln_low)
        .saturating_div(consensus_low.saturating_sub(consensus_high));
    let b = ln_low.saturating_add(a.saturating_mul(consensus_low));
    (a, b)
}

/// `compute_alpha_values`: `1 / (1 + e^(b − a·c))` per column.
pub fn alpha_values(consensus: &[I32F32], a: I32F32, b: I32F32) -> Vec<I32F32> {
    consensus
        .iter()
        .map(|c| {
            let e = math::safe_exp(b.saturating_sub(a.saturating_mul(*c)));
            ONE.saturating_div(ONE.saturating_add(e))
        })
        .collect()
}

/// Spec 218's per-column liquid alpha, or `None` when the classic α applies.
pub fn liquid_alpha_218(consensus: &[I32F32], p: &EpochParams) -> Option<Vec<I32F32>> {
    if !p.liquid_alpha || consensus.is_empty() || consensus.iter().all(|&c| c == ZERO) {
        return None;
    }
    let consensus_high = math::quantile(consensus, 0.75);
    let consensus_low = math::quantile(consensus, 0.25);
    // The runtime's condition, kept verbatim although it is almost always true.
    if !(consensus_high > consensus_low || consensus_high != ZERO || consensus_low < ZERO) {
        return None;
    }
    let (alpha_low, alpha_high) = alpha_bounds(p);
    let (a, b) = logistic_params(alpha_high, alpha_low, consensus_high, consensus_low);
    Some(
        alpha_values(consensus, a, b)
            .into_iter()
            .map(|x| x.min(alpha_high).max(alpha_low))
            .collect(),
    )
}

/// Yuma3's `alpha_sigmoid`: the EMA factor of one bond from how far the weight moved.
pub fn alpha_sigmoid(consensus: I32F32, weight: I32F32, bond: I32F32, p: &EpochParams) -> I32F32 {
    let (alpha_low, alpha_high) = alpha_bounds(p);
    let steepness = I32F32::from_num(p.alpha_sigmoid_steepness);
    let buy = clamp_value(weight.saturating_sub(consensus), ZERO, ONE);
    let sell = clamp_value(bond.saturating_sub(weight), ZERO, ONE);
    let diff = if weight >= bond { buy } else { sell };
    let exponent = steepness
        .saturating_div(I32F32::from_num(-100))
        .saturating_mul(diff.saturating_sub(I32F32::from_num(0.5)));
    let sigmoid = ONE.saturating_div(ONE.saturating_add(math::exp_safe(exponent)));
    let alpha =
        alpha_low.saturating_add(sigmoid.saturating_mul(alpha_high.saturating_sub(alpha_low)));
    clamp_value(alpha, alpha_low, alpha_high)
}

/// The runtime's `clamp_value`: `min(high)` then `max(low)`, so `low` wins when the bounds
/// cross (where `Ord::clamp` would panic).
fn clamp_value(value: I32F32, low: I32F32, high: I32F32) -> I32F32 {
    value.min(high).max(low)
}

/// Yuma3 bonds and dividends (sparse): returns the new bonds (proportions) and dividends.
///
/// `weights` are the masked, row-normalised weights and `clipped` the weights clipped at
/// consensus.
pub fn yuma3_sparse(
    input: &EpochInput,
    prep: &Prepared,
    weights: &[SparseRow],
    clipped: &[SparseRow],
    consensus: &[I32F32],
    incentive: &[I32F32],
) -> (Vec<SparseRow>, Vec<I32F32>) {
    let n = prep.n;
    let p = &input.params;
    // Weights for bonds: W + β(W̄ − W).
    let beta = math::u16_proportion_to_fixed(p.bonds_penalty);
    let wb = interpolate_sparse(weights, clipped, n, beta);

    // Stored bonds as proportions; bonds to uids registered since the last tempo are dropped.
    let last_tempo = if p.last_mechanism_step_block == 0 {
        input.current_block.saturating_sub(u64::from(p.tempo))
    } else {
        p.last_mechanism_step_block.saturating_add(1)
    };
    let old: Vec<SparseRow> = (0..n)
        .map(|i| {
            input
                .bonds
                .get(i)
                .map(|row| {
                    row.iter()
                        .filter(|&&(j, _)| {
                            input
                                .block_at_registration
                                .get(usize::from(j))
                                .is_some_and(|&reg| last_tempo > reg)
                        })
                        .map(|&(j, b)| (j, math::u16_proportion_to_fixed(b)))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();

    let ema = if p.liquid_alpha && consensus.iter().any(|&c| c != ZERO) {
        mat_ema_sigmoid_sparse(&wb, &old, consensus, p)
    } else {
        math::mat_ema_sparse(&wb, &old, normal_alpha(p), n)
    };

    let mut ema_norm = ema.clone();
    math::col_normalize_sparse(&mut ema_norm, n);
    let mut dividends: Vec<I32F32> = ema_norm
        .iter()
        .zip(&prep.active_stake)
        .map(|(row, a)| {
            let total = math::sum(row.iter().filter_map(|&(j, b)| {
                let v = b.saturating_mul(incentive.get(usize::from(j)).copied().unwrap_or(ZERO));
                (v != ZERO).then_some(v)
            }));
            total.checked_mul(*a).unwrap_or_default()
        })
        .collect();
    math::normalize(&mut dividends);
    (ema, dividends)
}

/// `interpolate_sparse`: `m1 + ratio·(m2 − m1)`, positive entries kept in column order.
fn interpolate_sparse(
    m1: &[SparseRow],
    m2: &[SparseRow],
    columns: usize,
    ratio: I32F32,
) -> Vec<SparseRow> {
    if ratio == ZERO {
        return m1.to_vec();
    }
    if ratio == ONE {
        return m2.to_vec();
    }
    let mut row1 = vec![ZERO; columns];
    let mut row2 = vec![ZERO; columns];
    m1.iter()
        .zip(m2)
        .map(|(r1, r2)| {
            row1.iter_mut().for_each(|v| *v = ZERO);
            row2.iter_mut().for_each(|v| *v = ZERO);
            for &(j, v) in r1 {
                if let Some(e) = row1.get_mut(usize::from(j)) {
                    *e = v;
                }
            }
            for &(j, v) in r2 {
                if let Some(e) = row2.get_mut(usize::from(j)) {
                    *e = v;
                }
            }
            (0..columns)
                .filter_map(|j| {
                    let v = row1[j]
                        .saturating_add(ratio.saturating_mul(row2[j].saturating_sub(row1[j])));
                    (ZERO < v).then_some((j as u16, v))
                })
                .collect()
        })
        .collect()
}

/// `mat_ema_alpha_sparse` with `compute_liquid_alpha_values_sparse`'s per-entry α: only the
/// columns present in the new row are emitted (bonds a validator stopped weighting vanish).
fn mat_ema_sigmoid_sparse(
    new: &[SparseRow],
    old: &[SparseRow],
    consensus: &[I32F32],
    p: &EpochParams,
) -> Vec<SparseRow> {
    let columns = consensus.len();
    let mut weight_at = vec![ZERO; columns];
    let mut bond_at = vec![ZERO; columns];
    new.iter()
        .zip(old)
        .map(|(new_row, old_row)| {
            // The runtime walks both rows assuming ascending uids; out-of-order entries are
            // skipped there, so do the same.
            fill_sorted(&mut weight_at, new_row);
            fill_sorted(&mut bond_at, old_row);
            let row = new_row
                .iter()
                .filter_map(|&(j, w)| {
                    let ju = usize::from(j);
                    let c = *consensus.get(ju)?;
                    let a = alpha_sigmoid(c, weight_at[ju], bond_at[ju], p);
                    let decayed = old_row
                        .iter()
                        .rev()
                        .find(|e| e.0 == j)
                        .map_or(ZERO, |&(_, b)| ONE.saturating_sub(a).saturating_mul(b));
                    let v = decayed
                        .saturating_add(a.saturating_mul(w).max(ZERO))
                        .min(ONE);
                    (v > ZERO).then_some((j, v))
                })
                .collect();
            clear(&mut weight_at, new_row);
            clear(&mut bond_at, old_row);
            row
        })
        .collect()
}

/// Writes a row into a dense buffer the way the runtime's peeking merge reads it: an entry
/// is seen only if its uid is above every uid before it.
fn fill_sorted(buf: &mut [I32F32], row: &SparseRow) {
    let mut last: Option<u16> = None;
    for &(j, v) in row {
        if last.is_none_or(|l| j > l) {
            if let Some(e) = buf.get_mut(usize::from(j)) {
                *e = v;
            }
            last = Some(j);
        }
    }
}

fn clear(buf: &mut [I32F32], row: &SparseRow) {
    for &(j, _) in row {
        if let Some(e) = buf.get_mut(usize::from(j)) {
            *e = ZERO;
        }
    }
}
