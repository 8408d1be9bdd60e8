//! The runtime's fixed-point vector and matrix primitives (`epoch/math.rs` at spec 218),
//! with the runtime's exact semantics and without its panics.
//!
//! Sparse matrices are rows of `(column, value)` in storage order; dense ones are `n × n`.
//! Sums over iterators are wrapping, as the runtime's `iter().sum()` is in a release build;
//! everything else saturates, as the runtime's `saturating_*` calls do. Where the runtime
//! would index out of bounds (it never does on a consistent chain state), entries are skipped.

use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::transcendental::{exp, ln};
use substrate_fixed::types::{I32F32, I64F64};

/// A sparse matrix row: `(column uid, value)` pairs.
pub type SparseRow = Vec<(u16, I32F32)>;

pub(crate) const ZERO: I32F32 = I32F32::from_bits(0);
pub(crate) const ONE: I32F32 = I32F32::from_bits(1 << 32);

/// `Σ x` in order, wrapping like the runtime's `iter().sum()` in release builds.
pub fn sum(x: impl IntoIterator<Item = I32F32>) -> I32F32 {
    x.into_iter().fold(ZERO, |acc, v| acc.wrapping_add(v))
}

/// The runtime's `fixed_proportion_to_u16`: `⌊x · 65535⌋`, saturating.
pub fn fixed_proportion_to_u16(x: I32F32) -> u16 {
    x.saturating_mul(I32F32::from_num(u16::MAX))
        .saturating_to_num::<u16>()
}

/// `u / 65535` as the runtime's `u16_proportion_to_fixed`.
pub fn u16_proportion_to_fixed(u: u16) -> I32F32 {
    I32F32::from_num(u).saturating_div(I32F32::from_num(u16::MAX))
}

/// `inplace_normalize`: divide by the (wrapping) sum unless it is zero.
pub fn normalize(x: &mut [I32F32]) {
    let s = sum(x.iter().copied());
    normalize_using_sum(x, s);
}

/// `inplace_normalize_using_sum`.
pub fn normalize_using_sum(x: &mut [I32F32], s: I32F32) {
    if s != ZERO {
        x.iter_mut().for_each(|v| *v = v.saturating_div(s));
    }
}

/// `inplace_normalize_64` then `vec_fixed64_to_fixed32` (narrowing drops fraction bits).
pub fn normalize_stake(stake: &[u64]) -> Vec<I32F32> {
    // u64 stake above 2^63 rao cannot exist (the supply is 2.1e16 rao); saturate rather than panic.
    let mut s64: Vec<I64F64> = stake
        .iter()
        .map(|&s| I64F64::saturating_from_num(s))
        .collect();
    let total = s64
        .iter()
        .fold(I64F64::from_bits(0), |acc, v| acc.wrapping_add(*v));
    if total != I64F64::from_bits(0) {
        s64.iter_mut().for_each(|v| *v = v.saturating_div(total));
    }
    s64.into_iter().map(I32F32::saturating_from_num).collect()
}

/// `is_topk`: the k largest entries (stable ascending sort; ties drop lower indices first).
pub fn is_topk(x: &[I32F32], k: usize) -> Vec<bool> {
    let n = x.len();
    let mut result = vec![true; n];
    if n < k {
        return result;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by_key(|&i| x[i]);
    for &i in idx.iter().take(n - k) {
        result[i] = false;
    }
    result
}

/// `is_zero`: the (wrapping) sum is zero.
pub fn is_zero(x: &[I32F32]) -> bool {
    sum(x.iter().copied()) == ZERO
}

/// `vecdiv`: `x_i / y_i`, 0 where `y_i = 0`.
pub fn vecdiv(x: &[I32F32], y: &[I32F32]) -> Vec<I32F32> {
    x.iter()
        .zip(y)
        .map(|(a, b)| {
            if *b != ZERO {
                a.saturating_div(*b)
            } else {
                ZERO
            }
        })
        .collect()
}

/// `weighted_median` (the 218 runtime's recursive version, run as a loop): the stake-weighted
/// median of `score` over the indices in `partition`, split at `minority`.
pub fn weighted_median(
    stake: &[I32F32],
    score: &[I32F32],
    partition: &[usize],
    minority: I32F32,
    lo: I32F32,
    hi: I32F32,
) -> I32F32 {
    let mut part: Vec<usize> = partition.to_vec();
    let (mut lo, mut hi) = (lo, hi);
    let mut lower = Vec::with_capacity(part.len());
    let mut upper = Vec::with_capacity(part.len());
    loop {
        match part.len() {
            0 => return ZERO,
            1 => return score[part[0]],
            _ => {}
        }
        let pivot = score[part[part.len() / 2]];
        let (mut lo_stake, mut hi_stake) = (ZERO, ZERO);
        lower.clear();
        upper.clear();
        for &i in &part {
            if score[i] == pivot {
                continue;
            }
            if score[i] < pivot {
                lo_stake = lo_stake.saturating_add(stake[i]);
                lower.push(i);
            } else {
                hi_stake = hi_stake.saturating_add(stake[i]);
                upper.push(i);
            }
        }
        let lo_bound = lo.saturating_add(lo_stake);
        let hi_bound = hi.saturating_sub(hi_stake);
        if lo_bound <= minority && minority < hi_bound {
            return pivot;
        } else if minority < lo_bound && !lower.is_empty() {
            hi = lo_bound;
            core::mem::swap(&mut part, &mut lower);
        } else if hi_bound <= minority && !upper.is_empty() {
            lo = hi_bound;
            core::mem::swap(&mut part, &mut upper);
        } else {
            return pivot;
        }
    }
}

/// `weighted_median_col_sparse`: per column, the κ-majority stake-weighted median over the
/// rows with positive stake (their stake renormalised).
pub fn weighted_median_col_sparse(
    stake: &[I32F32],
    score: &[SparseRow],
    columns: usize,
    majority: I32F32,
) -> Vec<I32F32> {
    let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|&s| s > ZERO).collect();
    normalize(&mut use_stake);
    let stake_sum = sum(use_stake.iter().copied());
    let stake_idx: Vec<usize> = (0..use_stake.len()).collect();
    let minority = stake_sum.saturating_sub(majority);
    let k_rows = use_stake.len();
    // Column-major scores of the staked rows, so each column's median reads one slice.
    let mut use_score = vec![ZERO; columns * k_rows];
    let mut k = 0;
    for (r, row) in score.iter().enumerate() {
        if stake.get(r).is_none_or(|&s| s <= ZERO) {
            continue;
        }
        for &(c, v) in row {
            if usize::from(c) < columns {
                use_score[usize::from(c) * k_rows + k] = v;
            }
        }
        k += 1;
    }
    (0..columns)
        .map(|c| {
            weighted_median(
                &use_stake,
                &use_score[c * k_rows..(c + 1) * k_rows],
                &stake_idx,
                minority,
                ZERO,
                stake_sum,
            )
        })
        .collect()
}

/// `weighted_median_col` (dense).
pub fn weighted_median_col(
    stake: &[I32F32],
    score: &[Vec<I32F32>],
    majority: I32F32,
) -> Vec<I32F32> {
    let columns = score.first().map_or(0, Vec::len);
    let rows: Vec<usize> = (0..stake.len()).filter(|&r| stake[r] > ZERO).collect();
    let mut use_stake: Vec<I32F32> = rows.iter().map(|&r| stake[r]).collect();
    if use_stake.is_empty() {
        return vec![ZERO; columns];
    }
    normalize(&mut use_stake);
    let stake_sum = sum(use_stake.iter().copied());
    let minority = stake_sum.saturating_sub(majority);
    let idx: Vec<usize> = (0..use_stake.len()).collect();
    (0..columns)
        .map(|c| {
            let col: Vec<I32F32> = rows.iter().map(|&r| score[r][c]).collect();
            weighted_median(&use_stake, &col, &idx, minority, ZERO, stake_sum)
        })
        .collect()
}

/// `inplace_row_normalize_sparse`: rows with a positive sum are divided by it.
pub fn row_normalize_sparse(m: &mut [SparseRow]) {
    for row in m {
        let s = sum(row.iter().map(|e| e.1));
        if s > ZERO {
            row.iter_mut().for_each(|e| e.1 = e.1.saturating_div(s));
        }
    }
}

/// `inplace_row_normalize` (dense).
pub fn row_normalize(m: &mut [Vec<I32F32>]) {
    for row in m {
        let s = sum(row.iter().copied());
        if s > ZERO {
            row.iter_mut().for_each(|v| *v = v.saturating_div(s));
        }
    }
}

/// Column sums, saturating (as `col_sum_sparse` / the column-normalize helpers).
fn col_sums_sparse(m: &[SparseRow], columns: usize) -> Vec<I32F32> {
    let mut sums = vec![ZERO; columns];
    for row in m {
        for &(j, v) in row {
            if let Some(s) = sums.get_mut(usize::from(j)) {
                *s = s.saturating_add(v);
            }
        }
    }
    sums
}

/// `inplace_col_normalize_sparse`.
pub fn col_normalize_sparse(m: &mut [SparseRow], columns: usize) {
    let sums = col_sums_sparse(m, columns);
    for row in m {
        for (j, v) in row.iter_mut() {
            if let Some(&s) = sums.get(usize::from(*j)) {
                if s != ZERO {
                    *v = v.saturating_div(s);
                }
            }
        }
    }
}

/// `inplace_col_normalize` (dense).
pub fn col_normalize(m: &mut [Vec<I32F32>]) {
    let columns = m.first().map_or(0, Vec::len);
    let mut sums = vec![ZERO; columns];
    for row in m.iter() {
        for (s, v) in sums.iter_mut().zip(row) {
            *s = s.saturating_add(*v);
        }
    }
    for row in m {
        for (v, s) in row.iter_mut().zip(&sums) {
            if *s != ZERO {
                *v = v.saturating_div(*s);
            }
        }
    }
}

/// `inplace_col_max_upscale_sparse`.
pub fn col_max_upscale_sparse(m: &mut [SparseRow], columns: usize) {
    let mut maxes = vec![ZERO; columns];
    for row in m.iter() {
        for &(j, v) in row {
            if let Some(mx) = maxes.get_mut(usize::from(j)) {
                if *mx < v {
                    *mx = v;
                }
            }
        }
    }
    for row in m {
        for (j, v) in row.iter_mut() {
            if let Some(&mx) = maxes.get(usize::from(*j)) {
                if mx != ZERO {
                    *v = v.saturating_div(mx);
                }
            }
        }
    }
}

/// `inplace_col_max_upscale` (dense).
pub fn col_max_upscale(m: &mut [Vec<I32F32>]) {
    let columns = m.first().map_or(0, Vec::len);
    let mut maxes = vec![ZERO; columns];
    for row in m.iter() {
        for (mx, v) in maxes.iter_mut().zip(row) {
            *mx = (*mx).max(*v);
        }
    }
    for row in m {
        for (v, mx) in row.iter_mut().zip(&maxes) {
            if *mx != ZERO {
                *v = v.saturating_div(*mx);
            }
        }
    }
}

/// `matmul_sparse`: `r_j = Σ_i x_i · M_ij`.
pub fn matmul_sparse(m: &[SparseRow], x: &[I32F32], columns: usize) -> Vec<I32F32> {
    let mut r = vec![ZERO; columns];
    for (row, &xi) in m.iter().zip(x) {
        for &(j, v) in row {
            if let Some(rj) = r.get_mut(usize::from(j)) {
                *rj = rj.saturating_add(xi.saturating_mul(v));
            }
        }
    }
    r
}

/// `matmul` (dense): `r_j = Σ_i x_i · M_ij`.
pub fn matmul(m: &[Vec<I32F32>], x: &[I32F32]) -> Vec<I32F32> {
    let columns = m.first().map_or(0, Vec::len);
    let mut r = vec![ZERO; columns];
    for (row, &xi) in m.iter().zip(x) {
        for (rj, v) in r.iter_mut().zip(row) {
            *rj = rj.saturating_add(xi.saturating_mul(*v));
        }
    }
    r
}

/// `matmul_transpose_sparse`: `r_i = Σ_j x_j · M_ij`.
pub fn matmul_transpose_sparse(m: &[SparseRow], x: &[I32F32]) -> Vec<I32F32> {
    m.iter()
        .map(|row| {
            row.iter().fold(ZERO, |acc, &(j, v)| {
                let xj = x.get(usize::from(j)).copied().unwrap_or(ZERO);
                acc.saturating_add(xj.saturating_mul(v))
            })
        })
        .collect()
}

/// `matmul_transpose` (dense).
pub fn matmul_transpose(m: &[Vec<I32F32>], x: &[I32F32]) -> Vec<I32F32> {
    m.iter()
        .map(|row| {
            row.iter().zip(x).fold(ZERO, |acc, (v, xj)| {
                acc.saturating_add(xj.saturating_mul(*v))
            })
        })
        .collect()
}

/// `col_clip_sparse`: `min(M_ij, c_j)`, dropping entries whose clip value is ≤ 0.
pub fn col_clip_sparse(m: &[SparseRow], threshold: &[I32F32]) -> Vec<SparseRow> {
    m.iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(j, v)| {
                    let t = threshold.get(usize::from(j)).copied().unwrap_or(ZERO);
                    if t < v {
                        (ZERO < t).then_some((j, t))
                    } else {
                        Some((j, v))
                    }
                })
                .collect()
        })
        .collect()
}

/// `inplace_col_clip` (dense).
pub fn col_clip(m: &mut [Vec<I32F32>], threshold: &[I32F32]) {
    for row in m {
        for (v, t) in row.iter_mut().zip(threshold) {
            *v = (*t).min(*v);
        }
    }
}

/// `row_sum_sparse` (wrapping, like the runtime's `sum`).
pub fn row_sum_sparse(m: &[SparseRow]) -> Vec<I32F32> {
    m.iter().map(|row| sum(row.iter().map(|e| e.1))).collect()
}

/// `row_sum` (dense).
pub fn row_sum(m: &[Vec<I32F32>]) -> Vec<I32F32> {
    m.iter().map(|row| sum(row.iter().copied())).collect()
}

/// `row_hadamard_sparse`: `M_ij · x_i`.
pub fn row_hadamard_sparse(m: &[SparseRow], x: &[I32F32]) -> Vec<SparseRow> {
    m.iter()
        .zip(x)
        .map(|(row, &xi)| {
            row.iter()
                .map(|&(j, v)| (j, v.saturating_mul(xi)))
                .collect()
        })
        .collect()
}

/// `row_hadamard` (dense).
pub fn row_hadamard(m: &[Vec<I32F32>], x: &[I32F32]) -> Vec<Vec<I32F32>> {
    m.iter()
        .zip(x)
        .map(|(row, &xi)| row.iter().map(|v| xi.saturating_mul(*v)).collect())
        .collect()
}

/// Accumulates rows into a reusable dense buffer and emits the positive entries in column
/// order: the shape shared by the runtime's sparse EMA helpers.
struct RowBuffer {
    values: Vec<I32F32>,
    touched: Vec<bool>,
    cols: Vec<u16>,
}

impl RowBuffer {
    fn new(columns: usize) -> Self {
        Self {
            values: vec![ZERO; columns],
            touched: vec![false; columns],
            cols: Vec::new(),
        }
    }

    fn slot(&mut self, j: u16) -> Option<&mut I32F32> {
        let ju = usize::from(j);
        let touched = self.touched.get_mut(ju)?;
        if !*touched {
            *touched = true;
            self.cols.push(j);
        }
        self.values.get_mut(ju)
    }

    /// Emits the positive entries in ascending column order and resets the buffer.
    fn drain_positive(&mut self) -> SparseRow {
        self.cols.sort_unstable();
        let mut out = Vec::with_capacity(self.cols.len());
        for &j in &self.cols {
            let ju = usize::from(j);
            let v = self.values[ju];
            if v > ZERO {
                out.push((j, v));
            }
            self.values[ju] = ZERO;
            self.touched[ju] = false;
        }
        self.cols.clear();
        out
    }
}

/// `mat_ema_sparse`: `α·new + (1−α)·old`, positive entries kept, in column order.
pub fn mat_ema_sparse(
    new: &[SparseRow],
    old: &[SparseRow],
    alpha: I32F32,
    columns: usize,
) -> Vec<SparseRow> {
    let one_minus = ONE.saturating_sub(alpha);
    let mut buf = RowBuffer::new(columns);
    new.iter()
        .zip(old)
        .map(|(new_row, old_row)| {
            for &(j, v) in new_row {
                if let Some(s) = buf.slot(j) {
                    *s = s.saturating_add(alpha.saturating_mul(v));
                }
            }
            for &(j, v) in old_row {
                if let Some(s) = buf.slot(j) {
                    *s = s.saturating_add(one_minus.saturating_mul(v));
                }
            }
            buf.drain_positive()
        })
        .collect()
}

/// `mat_ema` (dense).
pub fn mat_ema(new: &[Vec<I32F32>], old: &[Vec<I32F32>], alpha: I32F32) -> Vec<Vec<I32F32>> {
    let one_minus = ONE.saturating_sub(alpha);
    new.iter()
        .zip(old)
        .map(|(nr, or)| {
            nr.iter()
                .zip(or)
                .map(|(n, o)| {
                    alpha
                        .saturating_mul(*n)
                        .saturating_add(one_minus.saturating_mul(*o))
                })
                .collect()
        })
        .collect()
}

/// `mat_ema_alpha_vec_sparse` (218 liquid alpha): per-column α; the new term is assigned,
/// then the old term added.
pub fn mat_ema_alpha_vec_sparse(
    new: &[SparseRow],
    old: &[SparseRow],
    alpha: &[I32F32],
    columns: usize,
) -> Vec<SparseRow> {
    let mut buf = RowBuffer::new(columns);
    new.iter()
        .zip(old)
        .map(|(new_row, old_row)| {
            for &(j, v) in new_row {
                let a = alpha.get(usize::from(j)).copied().unwrap_or(ZERO);
                if let Some(s) = buf.slot(j) {
                    *s = a.saturating_mul(v);
                }
            }
            for &(j, v) in old_row {
                let a = alpha.get(usize::from(j)).copied().unwrap_or(ZERO);
                if let Some(s) = buf.slot(j) {
                    *s = s.saturating_add(ONE.saturating_sub(a).saturating_mul(v));
                }
            }
            buf.drain_positive()
        })
        .collect()
}

/// `mat_ema_alpha_vec` (dense, 218 liquid alpha).
pub fn mat_ema_alpha_vec(
    new: &[Vec<I32F32>],
    old: &[Vec<I32F32>],
    alpha: &[I32F32],
) -> Vec<Vec<I32F32>> {
    new.iter()
        .zip(old)
        .map(|(nr, or)| {
            nr.iter()
                .zip(or)
                .zip(alpha)
                .map(|((n, o), a)| {
                    a.saturating_mul(*n)
                        .saturating_add(ONE.saturating_sub(*a).saturating_mul(*o))
                })
                .collect()
        })
        .collect()
}

/// `quantile` (218): linear interpolation between sorted neighbours, the position in f64.
pub fn quantile(data: &[I32F32], q: f64) -> I32F32 {
    let mut sorted = data.to_vec();
    sorted.sort();
    let len = sorted.len();
    if len == 0 {
        return ZERO;
    }
    let pos = q * (len - 1) as f64;
    let low = libm::floor(pos) as usize;
    let high = libm::ceil(pos) as usize;
    let lo_v = sorted.get(low).copied().unwrap_or(ZERO);
    if low == high {
        return lo_v;
    }
    let hi_v = sorted.get(high).copied().unwrap_or(ZERO);
    let weight = I32F32::saturating_from_num(pos - low as f64);
    lo_v.saturating_add(hi_v.saturating_sub(lo_v).saturating_mul(weight))
}

/// `safe_ln`: the natural log, 0 where it is undefined.
pub fn safe_ln(x: I32F32) -> I32F32 {
    ln::<I32F32, I32F32>(x).unwrap_or(ZERO)
}

/// `safe_exp`: e^x, 0 on overflow.
pub fn safe_exp(x: I32F32) -> I32F32 {
    exp::<I32F32, I32F32>(x).unwrap_or(ZERO)
}

/// `exp_safe` (Yuma3's sigmoid): the input clamped to [−20, 20]; on overflow 0 for x ≤ 0,
/// else the maximum.
pub fn exp_safe(x: I32F32) -> I32F32 {
    let clamped = x.clamp(I32F32::from_num(-20), I32F32::from_num(20));
    match exp::<I32F32, I32F32>(clamped) {
        Ok(v) => v,
        Err(()) if clamped <= ZERO => ZERO,
        Err(()) => I32F32::max_value(),
    }
}

#[cfg(test)]
mod tests {
    //! Expected values from the runtime's own `tests/math.rs` (spec 218).
    use super::*;

    fn fx(v: &[f32]) -> Vec<I32F32> {
        v.iter().map(|&x| I32F32::from_num(x)).collect()
    }

    fn close(a: &[I32F32], b: &[f32], eps: f32) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            let d = (x.to_num::<f32>() - y).abs();
            assert!(d <= eps, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn math_is_topk() {
        // test_math_is_topk
        let x = fx(&[0., 1., 2., 3., 4., 5., 6., 7., 8., 9.]);
        assert_eq!(is_topk(&x, 0), vec![false; 10]);
        assert_eq!(
            is_topk(&x, 5),
            vec![false, false, false, false, false, true, true, true, true, true]
        );
        assert_eq!(is_topk(&x, 10), vec![true; 10]);
        assert_eq!(is_topk(&x, 100), vec![true; 10]);
        let y = fx(&[9., 8., 7., 6., 5., 4., 3., 2., 1., 0.]);
        assert_eq!(
            is_topk(&y, 5),
            vec![true, true, true, true, true, false, false, false, false, false]
        );
        let ties = fx(&[1., 1., 1., 0.]);
        assert_eq!(is_topk(&ties, 2), vec![false, true, true, false]);
    }

    #[test]
    fn math_weighted_median() {
        // test_math_weighted_median (selected cases)
        let stake = fx(&[0.1, 0.2, 0.3, 0.4]);
        let score = fx(&[4., 3., 2., 1.]);
        let idx: Vec<usize> = (0..4).collect();
        let half = I32F32::from_num(0.5);
        let one = I32F32::from_num(1);
        // minority = 1 − κ; with κ = 0.5 the median of {1:.4, 2:.3, 3:.2, 4:.1} is 2.
        let m = weighted_median(&stake, &score, &idx, one - half, ZERO, one);
        assert_eq!(m, I32F32::from_num(2));
        assert_eq!(weighted_median(&stake, &score, &[], half, ZERO, one), ZERO);
        assert_eq!(
            weighted_median(&stake, &score, &[3], half, ZERO, one),
            I32F32::from_num(1)
        );
        // All-equal scores give that score.
        let same = fx(&[0.3, 0.3, 0.3, 0.3]);
        assert_eq!(
            weighted_median(&stake, &same, &idx, half, ZERO, one),
            same[0]
        );
    }

    #[test]
    fn math_weighted_median_col_sparse_matches_dense() {
        let stake = fx(&[0.0, 0.5, 0.25, 0.25]);
        let dense = vec![
            fx(&[0.0, 0.0, 0.0, 0.0]),
            fx(&[0.0, 0.1, 0.6, 0.3]),
            fx(&[0.0, 0.3, 0.3, 0.4]),
            fx(&[0.0, 0.2, 0.2, 0.6]),
        ];
        let sparse: Vec<SparseRow> = dense
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(_, v)| **v > ZERO)
                    .map(|(j, v)| (j as u16, *v))
                    .collect()
            })
            .collect();
        let kappa = I32F32::from_num(0.5);
        let a = weighted_median_col_sparse(&stake, &sparse, 4, kappa);
        let b = weighted_median_col(&stake, &dense, kappa);
        assert_eq!(a, b);
    }

    #[test]
    fn math_normalize_and_ema() {
        let mut x = fx(&[1., 1., 2.]);
        normalize(&mut x);
        close(&x, &[0.25, 0.25, 0.5], 1e-9);
        let mut z = fx(&[0., 0.]);
        normalize(&mut z);
        assert_eq!(z, fx(&[0., 0.]));
        // test_math_sparse_mat_ema: α = 0.1
        let old: Vec<SparseRow> = vec![vec![(0, I32F32::from_num(1))], vec![]];
        let new: Vec<SparseRow> = vec![
            vec![(1, I32F32::from_num(1))],
            vec![(0, I32F32::from_num(2))],
        ];
        let e = mat_ema_sparse(&new, &old, I32F32::from_num(0.1), 2);
        assert_eq!(e[0].len(), 2);
        close(&[e[0][0].1, e[0][1].1, e[1][0].1], &[0.9, 0.1, 0.2], 1e-8);
    }

    #[test]
    fn math_quantile_and_transcendentals() {
        let d = fx(&[0.1, 0.4, 0.2, 0.3]);
        close(&[quantile(&d, 0.5)], &[0.25], 1e-7);
        close(&[quantile(&d, 0.75)], &[0.325], 1e-7);
        assert_eq!(quantile(&[], 0.5), ZERO);
        close(&[safe_exp(ONE)], &[core::f32::consts::E], 1e-6);
        close(&[safe_ln(ONE)], &[0.0], 1e-8);
        assert_eq!(safe_ln(ZERO), ZERO);
        assert_eq!(
            exp_safe(I32F32::from_num(1000)),
            exp_safe(I32F32::from_num(20))
        );
    }

    #[test]
    fn fixed_proportion_saturates() {
        assert_eq!(fixed_proportion_to_u16(ONE), 65535);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(2)), 65535);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(-1)), 0);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(0.5)), 32767);
    }
}
