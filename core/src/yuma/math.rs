//! The runtime's fixed-point vector and matrix primitives, as the epoch of subtensor spec 425
//! uses them (`pallets/subtensor/src/epoch/math.rs` at 14bc6f9f9; identical at spec 385 for
//! every function used here). Line numbers in the docs refer to that file.
//!
//! Semantics are the runtime's, operation by operation:
//! - `safe_div` is `checked_div(..).unwrap_or_default()`: a zero divisor *or an overflow*
//!   gives 0 (not a saturated value);
//! - sums over iterators (`iter().sum()`) wrap, as they do in the runtime's release build;
//! - everything else saturates where the runtime calls `saturating_*`;
//! - where the runtime indexes with `get(..)` and a default, so do we; the functions never
//!   panic on inconsistent shapes.
//!
//! Sparse matrices are rows of `(column, value)` pairs in storage order.

use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::transcendental::exp;
use substrate_fixed::types::{I32F32, I64F64};

/// A sparse matrix row: `(column uid, value)` pairs.
pub type SparseRow = Vec<(u16, I32F32)>;

/// 0 as I32F32.
pub const ZERO: I32F32 = I32F32::from_bits(0);
/// 1 as I32F32.
pub const ONE: I32F32 = I32F32::from_bits(1 << 32);
const ZERO64: I64F64 = I64F64::from_bits(0);

/// `safe_div` (safe-math `SafeDiv` for fixed types): `x / y`, 0 when `y = 0` or on overflow.
pub fn safe_div(x: I32F32, y: I32F32) -> I32F32 {
    x.checked_div(y).unwrap_or_default()
}

/// `safe_div` for I64F64.
pub fn safe_div64(x: I64F64, y: I64F64) -> I64F64 {
    x.checked_div(y).unwrap_or_default()
}

/// `Σ x` in order, wrapping like the runtime's `iter().sum()` in a release build (L144).
pub fn sum(x: impl IntoIterator<Item = I32F32>) -> I32F32 {
    x.into_iter().fold(ZERO, |acc, v| acc.wrapping_add(v))
}

/// `is_zero` (L166): the (wrapping) sum is zero.
pub fn is_zero(x: &[I32F32]) -> bool {
    sum(x.iter().copied()) == ZERO
}

/// `u16_to_fixed` (L41): the integer value.
pub fn u16_to_fixed(x: u16) -> I32F32 {
    I32F32::saturating_from_num(x)
}

/// `u16_proportion_to_fixed` (L45): `x / 65535`.
pub fn u16_proportion_to_fixed(x: u16) -> I32F32 {
    safe_div(
        I32F32::saturating_from_num(x),
        I32F32::saturating_from_num(u16::MAX),
    )
}

/// `fixed_to_fixed_u16_proportion` (L49): `x / 65535`.
pub fn fixed_to_fixed_u16_proportion(x: I32F32) -> I32F32 {
    safe_div(x, I32F32::saturating_from_num(u16::MAX))
}

/// `fixed_proportion_to_u16` (L53): `⌊x · 65535⌋`, saturating to `0..=65535`.
pub fn fixed_proportion_to_u16(x: I32F32) -> u16 {
    x.saturating_mul(I32F32::saturating_from_num(u16::MAX))
        .saturating_to_num::<u16>()
}

/// `exp_safe` (L172): e^x with x clamped to [−20, 20]; on overflow 0 for x ≤ 0, else the
/// maximum.
pub fn exp_safe(input: I32F32) -> I32F32 {
    let min_input = I32F32::saturating_from_num(-20);
    let max_input = I32F32::saturating_from_num(20);
    let mut safe_input = input;
    if input < min_input {
        safe_input = min_input;
    } else if max_input < input {
        safe_input = max_input;
    }
    match exp_i32f32(safe_input) {
        Some(v) => v,
        None if safe_input <= ZERO => ZERO,
        None => I32F32::max_value(),
    }
}

/// `substrate_fixed::transcendental::exp::<I32F32, I32F32>`, value for value (the property
/// test below holds the two equal; its `Err(())`, an overflow, is `None`), in fewer and
/// cheaper operations. The crate's algorithm:
/// `1 + x + Σ_{i=2}^{31} term_i` with `term_i = (term_{i−1} · x) / i` in I32F32, each step
/// checked (an overflow is `Err`), and `1 / result` for a negative `x`. Here:
/// - the division of a fixed-point value by the integer `i` is done on the raw bits:
///   `(a · 2³²) / (i · 2³²)` and `a / i` are the same rational, truncated the same way, so
///   the i64 quotient equals the crate's i128 one (and cannot overflow);
/// - the product is the crate's: `(a · b · 2³²) >> 64` in i128, an overflow of that i128
///   product (|a · b| ≥ 2⁹⁵) being `Err`;
/// - once a term is 0 every later term is 0 and adds nothing: the loop stops there.
///
/// `x = 0` and `x = 1` take the crate's own shortcuts (1 and its constant e).
pub fn exp_i32f32(x: I32F32) -> Option<I32F32> {
    if x == ZERO || x == ONE {
        return exp::<I32F32, I32F32>(x).ok();
    }
    let neg = x < ZERO;
    let op: i64 = if neg {
        x.to_bits().checked_neg()?
    } else {
        x.to_bits()
    };
    let one: i64 = 1 << 32;
    let mut result = op.checked_add(one)?;
    let mut term = op;
    // One step per i, unrolled so that each division is by a constant (a multiply).
    macro_rules! steps {
        ($($i:literal)*) => {$(
            let product = i128::from(term) * i128::from(op);
            if !(-(1i128 << 95)..(1i128 << 95)).contains(&product) {
                return None;
            }
            term = ((product >> 32) as i64) / $i;
            if term == 0 {
                return Some(finish(result, neg));
            }
            result = result.checked_add(term)?;
        )*};
    }
    steps!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
    Some(finish(result, neg))
}

/// The end of [`exp_i32f32`]: the sum, or `1 / sum` for a negative exponent. The sum is at
/// least 1 there (`e^|x|`), so `1 / sum` always fits: [`one_over`] computes the crate's
/// quotient.
fn finish(result: i64, neg: bool) -> I32F32 {
    if neg {
        one_over(result)
    } else {
        I32F32::from_bits(result)
    }
}

/// `ONE / x` as I32F32 division computes it (`(2³² · 2³²) / bits`, truncated), for `x ≥ 1`
/// (bits ≥ 2³², so the quotient is at most 2³² and fits), in u64 arithmetic:
/// `2⁶⁴ = (2⁶⁴ − 1) + 1`, so the quotient is `⌊(2⁶⁴ − 1) / b⌋`, plus one when the remainder
/// of that is `b − 1`. Below 1 the crate's division is used (which panics on 0; [`finish`]
/// and the sigmoid never pass less than 1).
pub fn one_over(bits: i64) -> I32F32 {
    if bits < (1 << 32) {
        return ONE.saturating_div(I32F32::from_bits(bits));
    }
    let b = bits as u64;
    let q = u64::MAX / b;
    let q = if u64::MAX % b == b - 1 { q + 1 } else { q };
    I32F32::from_bits(q as i64)
}

/// `clamp_value` (L1354): `min(high)` then `max(low)`, so `low` wins when the bounds cross.
pub fn clamp_value(value: I32F32, low: I32F32, high: I32F32) -> I32F32 {
    value.min(high).max(low)
}

/// `is_topk_nonzero` (L227): the k largest entries that are non-zero (stable ascending sort:
/// among equal values the lower uids lose their place first).
pub fn is_topk_nonzero(x: &[I32F32], k: usize) -> Vec<bool> {
    let n = x.len();
    let mut result: Vec<bool> = x.iter().map(|&e| e != ZERO).collect();
    if n < k {
        return result;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by_key(|&i| x.get(i).copied().unwrap_or_default());
    for &i in idx.iter().take(n.saturating_sub(k)) {
        if let Some(cell) = result.get_mut(i) {
            *cell = false;
        }
    }
    result
}

/// `inplace_normalize` (L254): divide by the (wrapping) sum unless it is zero.
pub fn inplace_normalize(x: &mut [I32F32]) {
    let s = sum(x.iter().copied());
    inplace_normalize_using_sum(x, s);
}

/// `inplace_normalize_using_sum` (L264).
pub fn inplace_normalize_using_sum(x: &mut [I32F32], x_sum: I32F32) {
    if x_sum == ZERO {
        return;
    }
    x.iter_mut().for_each(|v| *v = safe_div(*v, x_sum));
}

/// `inplace_normalize_64` (L273).
pub fn inplace_normalize_64(x: &mut [I64F64]) {
    let s = x.iter().fold(ZERO64, |acc, v| acc.wrapping_add(*v));
    if s == ZERO64 {
        return;
    }
    x.iter_mut().for_each(|v| *v = safe_div64(*v, s));
}

/// `vec_fixed64_to_fixed32` (L61): each value narrowed with `saturating_from_num`.
pub fn vec_fixed64_to_fixed32(x: &[I64F64]) -> Vec<I32F32> {
    x.iter().map(|v| I32F32::saturating_from_num(*v)).collect()
}

/// `inplace_mask_vector` (L487): zero `vector[i]` where `mask[i]` is true; positions beyond
/// the mask count as masked, but an empty mask masks nothing.
pub fn inplace_mask_vector(mask: &[bool], vector: &mut [I32F32]) {
    if mask.is_empty() {
        return;
    }
    for (i, v) in vector.iter_mut().enumerate() {
        if mask.get(i).copied().unwrap_or(true) {
            *v = ZERO;
        }
    }
}

/// `mask_rows_sparse` (L667): rows where `mask[i]` is true (or beyond the mask) are emptied.
pub fn mask_rows_sparse(mask: &[bool], m: &[SparseRow]) -> Vec<SparseRow> {
    m.iter()
        .enumerate()
        .map(|(i, row)| {
            if mask.get(i).copied().unwrap_or(true) {
                Vec::new()
            } else {
                row.clone()
            }
        })
        .collect()
}

/// `mask_diag_sparse` (L683) and `mask_diag_sparse_except_index` (L699): drops `(i, i)`
/// entries, keeping the one of row `except` when given.
pub fn mask_diag_sparse(m: &[SparseRow], except: Option<u16>) -> Vec<SparseRow> {
    m.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .filter(|&&(j, _)| {
                    i != usize::from(j) || except.is_some_and(|e| i == usize::from(e) && j == e)
                })
                .copied()
                .collect()
        })
        .collect()
}

/// `vec_mask_sparse_matrix` (L720): drops `(i, j)` where `mask_fn(first[i], second[j])`;
/// missing vector entries read as 0.
pub fn vec_mask_sparse_matrix(
    m: &[SparseRow],
    first: &[u64],
    second: &[u64],
    mask_fn: impl Fn(u64, u64) -> bool,
) -> Vec<SparseRow> {
    m.iter()
        .enumerate()
        .map(|(i, row)| {
            let fv = first.get(i).copied().unwrap_or(0);
            row.iter()
                .filter(|&&(j, _)| !mask_fn(fv, second.get(usize::from(j)).copied().unwrap_or(0)))
                .copied()
                .collect()
        })
        .collect()
}

/// `scalar_vec_mask_sparse_matrix` (L612): drops `(i, j)` where `mask_fn(scalar, vector[j])`;
/// missing vector entries read as 0.
pub fn scalar_vec_mask_sparse_matrix(
    m: &[SparseRow],
    scalar: u64,
    vector: &[u64],
    mask_fn: impl Fn(u64, u64) -> bool,
) -> Vec<SparseRow> {
    m.iter()
        .map(|row| {
            row.iter()
                .filter(|&&(j, _)| {
                    !mask_fn(scalar, vector.get(usize::from(j)).copied().unwrap_or(0))
                })
                .copied()
                .collect()
        })
        .collect()
}

/// `inplace_row_normalize_sparse` (L325): rows with a positive (wrapping) sum are divided by it.
pub fn inplace_row_normalize_sparse(m: &mut [SparseRow]) {
    for row in m {
        let s = sum(row.iter().map(|e| e.1));
        if s > ZERO {
            row.iter_mut().for_each(|e| e.1 = safe_div(e.1, s));
        }
    }
}

/// `row_sum_sparse` (L347), wrapping.
pub fn row_sum_sparse(m: &[SparseRow]) -> Vec<I32F32> {
    m.iter().map(|row| sum(row.iter().map(|e| e.1))).collect()
}

/// Column sums over columns `0..columns`, saturating.
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

/// `inplace_col_normalize_sparse` (L355): entries of columns with a non-zero sum divided by
/// it; entries of columns ≥ `columns` are left as they are.
pub fn inplace_col_normalize_sparse(m: &mut [SparseRow], columns: usize) {
    let sums = col_sums_sparse(m, columns);
    for row in m {
        for (j, v) in row.iter_mut() {
            let d = sums.get(usize::from(*j)).copied().unwrap_or(ZERO);
            if d != ZERO {
                *v = safe_div(*v, d);
            }
        }
    }
}

/// `inplace_col_max_upscale_sparse` (L420).
pub fn inplace_col_max_upscale_sparse(m: &mut [SparseRow], columns: usize) {
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
            let mx = maxes.get(usize::from(*j)).copied().unwrap_or(ZERO);
            if mx != ZERO {
                *v = safe_div(*v, mx);
            }
        }
    }
}

/// `row_hadamard_sparse` (L767): `M_ij · x_i` (rows beyond `x` are dropped).
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

/// `matmul_sparse` (L861): `r_j = Σ_i x_i · M_ij` over columns `0..columns`.
pub fn matmul_sparse(m: &[SparseRow], x: &[I32F32], columns: usize) -> Vec<I32F32> {
    let mut r = vec![ZERO; columns];
    for (i, row) in m.iter().enumerate() {
        let xi = x.get(i).copied().unwrap_or(ZERO);
        for &(j, v) in row {
            if let Some(rj) = r.get_mut(usize::from(j)) {
                *rj = rj.saturating_add(xi.saturating_mul(v));
            }
        }
    }
    r
}

/// `matmul_transpose_sparse` (L883): `r_i = Σ_j x_j · M_ij`.
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

/// `col_clip_sparse` (L921): `min(M_ij, c_j)`; an entry above a threshold ≤ 0 is dropped.
pub fn col_clip_sparse(m: &[SparseRow], threshold: &[I32F32]) -> Vec<SparseRow> {
    m.iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(j, v)| {
                    let t = threshold.get(usize::from(j)).copied().unwrap_or(ZERO);
                    if t < v {
                        (t > ZERO).then_some((j, t))
                    } else {
                        Some((j, v))
                    }
                })
                .collect()
        })
        .collect()
}

/// `weighted_median` (L975): the stake-weighted median of `score` over the indices in
/// `partition`, found by mid-pivot bisection, split at `minority`.
pub fn weighted_median(
    stake: &[I32F32],
    score: &[I32F32],
    partition: &[usize],
    minority: I32F32,
    mut lo: I32F32,
    mut hi: I32F32,
) -> I32F32 {
    if stake.len() != score.len() {
        return ZERO;
    }
    let get = |v: &[I32F32], i: usize| v.get(i).copied().unwrap_or(ZERO);
    let mut part: Vec<usize> = partition.to_vec();
    let limit = partition.len();
    let mut iterations = 0usize;
    let mut lower: Vec<usize> = Vec::new();
    let mut upper: Vec<usize> = Vec::new();
    loop {
        match part.len() {
            0 => return ZERO,
            1 => return get(score, part[0]),
            _ => {}
        }
        let pivot = get(score, part.get(part.len() / 2).copied().unwrap_or(0));
        let (mut lo_stake, mut hi_stake) = (ZERO, ZERO);
        for &i in &part {
            let s = get(score, i);
            if s == pivot {
                continue;
            }
            if s < pivot {
                lo_stake = lo_stake.saturating_add(get(stake, i));
                lower.push(i);
            } else {
                hi_stake = hi_stake.saturating_add(get(stake, i));
                upper.push(i);
            }
        }
        if minority < lo.saturating_add(lo_stake) && !lower.is_empty() {
            hi = lo.saturating_add(lo_stake);
            core::mem::swap(&mut part, &mut lower);
        } else if hi.saturating_sub(hi_stake) <= minority && !upper.is_empty() {
            lo = hi.saturating_sub(hi_stake);
            core::mem::swap(&mut part, &mut upper);
        } else {
            return pivot;
        }
        lower.clear();
        upper.clear();
        iterations = iterations.saturating_add(1);
        if iterations > limit {
            return ZERO;
        }
    }
}

/// `weighted_median_col_sparse` (L1121): per column `0..columns`, the κ-majority
/// stake-weighted median over the rows with positive stake (their stake renormalised).
pub fn weighted_median_col_sparse(
    stake: &[I32F32],
    score: &[SparseRow],
    columns: usize,
    majority: I32F32,
) -> Vec<I32F32> {
    let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|&s| s > ZERO).collect();
    inplace_normalize(&mut use_stake);
    let stake_sum = sum(use_stake.iter().copied());
    let minority = stake_sum.saturating_sub(majority);
    let stake_idx: Vec<usize> = (0..use_stake.len()).collect();
    let k_rows = use_stake.len();
    // Column-major: column c's scores are use_score[c*k_rows .. (c+1)*k_rows].
    let mut use_score = vec![ZERO; columns.saturating_mul(k_rows)];
    let mut k = 0usize;
    for (&s, row) in stake.iter().zip(score) {
        if s > ZERO {
            for &(c, v) in row {
                if usize::from(c) < columns {
                    if let Some(cell) = use_score.get_mut(usize::from(c) * k_rows + k) {
                        *cell = v;
                    }
                }
            }
            k = k.saturating_add(1);
        }
    }
    (0..columns)
        .map(|c| {
            let col = use_score.get(c * k_rows..(c + 1) * k_rows).unwrap_or(&[]);
            weighted_median(&use_stake, col, &stake_idx, minority, ZERO, stake_sum)
        })
        .collect()
}

/// Writes `row` into a dense scratch buffer the way the runtime densifies a sparse row
/// (`row[j] = value`, the last duplicate wins); returns the touched columns, sorted and unique.
fn densify(buf: &mut [I32F32], row: &SparseRow, touched: &mut Vec<u16>) {
    for &(j, v) in row {
        if let Some(cell) = buf.get_mut(usize::from(j)) {
            *cell = v;
            touched.push(j);
        }
    }
}

/// `interpolate_sparse` (L1247): `m1 + ratio·(m2 − m1)` over columns `0..columns`, positive
/// entries kept in ascending column order; ratio 0 returns `m1`, ratio 1 returns `m2`
/// unchanged, and matrices with different row counts give `m2`.
pub fn interpolate_sparse(
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
    if m1.len() != m2.len() {
        return m2.to_vec();
    }
    let mut row1 = vec![ZERO; columns];
    let mut row2 = vec![ZERO; columns];
    let mut touched: Vec<u16> = Vec::new();
    m1.iter()
        .zip(m2)
        .map(|(r1, r2)| {
            touched.clear();
            densify(&mut row1, r1, &mut touched);
            densify(&mut row2, r2, &mut touched);
            touched.sort_unstable();
            touched.dedup();
            let mut out = Vec::with_capacity(touched.len());
            for &j in touched.iter() {
                let ju = usize::from(j);
                let (v1, v2) = (row1[ju], row2[ju]);
                let v = v1.saturating_add(ratio.saturating_mul(v2.saturating_sub(v1)));
                if ZERO < v {
                    out.push((j, v));
                }
                row1[ju] = ZERO;
                row2[ju] = ZERO;
            }
            out
        })
        .collect()
}

/// `vec_mul` (L1303): `a_i · b_i`, 0 on overflow.
pub fn vec_mul(a: &[I32F32], b: &[I32F32]) -> Vec<I32F32> {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.checked_mul(*y).unwrap_or_default())
        .collect()
}

/// `mat_vec_mul_sparse` (L1332): `M_ij · x_j`, zero products dropped, columns beyond `x`
/// dropped.
pub fn mat_vec_mul_sparse(m: &[SparseRow], x: &[I32F32]) -> Vec<SparseRow> {
    m.iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(j, v)| {
                    let xj = x.get(usize::from(j))?;
                    let p = v.saturating_mul(*xj);
                    (p != ZERO).then_some((j, p))
                })
                .collect()
        })
        .collect()
}

/// `mat_ema_sparse` (L1406): `α·new + (1−α)·old` over columns `0..new.len()` (the runtime
/// assumes a square matrix), positive entries kept in ascending column order.
pub fn mat_ema_sparse(new: &[SparseRow], old: &[SparseRow], alpha: I32F32) -> Vec<SparseRow> {
    let n = new.len();
    let one_minus = ONE.saturating_sub(alpha);
    let mut acc = vec![ZERO; n];
    let mut touched: Vec<u16> = Vec::new();
    new.iter()
        .enumerate()
        .map(|(i, new_row)| {
            touched.clear();
            for &(j, v) in new_row {
                if let Some(cell) = acc.get_mut(usize::from(j)) {
                    *cell = cell.saturating_add(alpha.saturating_mul(v));
                    touched.push(j);
                }
            }
            if let Some(old_row) = old.get(i) {
                for &(j, v) in old_row {
                    if let Some(cell) = acc.get_mut(usize::from(j)) {
                        *cell = cell.saturating_add(one_minus.saturating_mul(v));
                        touched.push(j);
                    }
                }
            }
            touched.sort_unstable();
            touched.dedup();
            let mut out = Vec::with_capacity(touched.len());
            for &j in touched.iter() {
                let ju = usize::from(j);
                if acc[ju] > ZERO {
                    out.push((j, acc[ju]));
                }
                acc[ju] = ZERO;
            }
            out
        })
        .collect()
}

/// `mat_ema_alpha_sparse` (L1464) with a dense α matrix, as the runtime's tests call it:
/// for each entry of the **new** row, `min(1, (1−α_ij)·old_ij + max(0, α_ij·new_ij))`; bonds
/// in columns the new row does not list are dropped. Shapes that do not match give `new`.
pub fn mat_ema_alpha_sparse(
    new: &[SparseRow],
    old: &[SparseRow],
    alpha: &[Vec<I32F32>],
) -> Vec<SparseRow> {
    if new.len() != old.len() || new.len() != alpha.len() {
        return new.to_vec();
    }
    new.iter()
        .zip(old)
        .zip(alpha)
        .map(|((new_row, old_row), alpha_row)| {
            let mut scratch = vec![ZERO; alpha_row.len()];
            ema_alpha_row(new_row, old_row, &mut scratch, |j| {
                alpha_row.get(usize::from(j)).copied()
            })
        })
        .collect()
}

/// One row of `mat_ema_alpha_sparse`, with `alpha(j)` the row's α at column `j` (None beyond
/// the α row's length, `scratch.len()`). `scratch` must be all zero; it is left all zero.
pub(crate) fn ema_alpha_row(
    new_row: &SparseRow,
    old_row: &SparseRow,
    scratch: &mut [I32F32],
    alpha: impl Fn(u16) -> Option<I32F32>,
) -> SparseRow {
    // decayed[j] = (1 − α_j)·old_j, assigned (the last duplicate wins).
    for &(j, old_val) in old_row {
        if let (Some(a), Some(cell)) = (alpha(j), scratch.get_mut(usize::from(j))) {
            *cell = ONE.saturating_sub(a).saturating_mul(old_val);
        }
    }
    let out = new_row
        .iter()
        .filter_map(|&(j, new_val)| {
            let decayed = *scratch.get(usize::from(j))?;
            let a = alpha(j)?;
            let inc = a.saturating_mul(new_val).max(ZERO);
            let v = decayed.saturating_add(inc).min(ONE);
            (v > ZERO).then_some((j, v))
        })
        .collect();
    for &(j, _) in old_row {
        if let Some(cell) = scratch.get_mut(usize::from(j)) {
            *cell = ZERO;
        }
    }
    out
}

/// The runtime's `alpha_sigmoid` (run_epoch.rs L1505): the EMA factor of one bond from how
/// far the weight moved, `α_low + σ·(α_high − α_low)` clamped, with
/// `σ = 1/(1 + e^(−steepness/100·(diff − 0.5)))`.
pub fn alpha_sigmoid(
    consensus: I32F32,
    weight: I32F32,
    bond: I32F32,
    alpha_low: I32F32,
    alpha_high: I32F32,
    steepness: I32F32,
) -> I32F32 {
    SigmoidCurve::new(alpha_low, alpha_high, steepness).alpha(consensus, weight, bond)
}

/// [`alpha_sigmoid`]'s constants, computed once for a whole matrix: the same operations on
/// the same values, so every α is the runtime's.
#[derive(Debug, Clone, Copy)]
pub struct SigmoidCurve {
    alpha_low: I32F32,
    alpha_high: I32F32,
    /// `steepness / −100`.
    scaled_steepness: I32F32,
}

impl SigmoidCurve {
    /// The curve of `alpha_low`, `alpha_high` and `steepness`.
    pub fn new(alpha_low: I32F32, alpha_high: I32F32, steepness: I32F32) -> Self {
        Self {
            alpha_low,
            alpha_high,
            scaled_steepness: steepness.saturating_div(I32F32::from_num(-100)),
        }
    }

    /// The α of one bond.
    pub fn alpha(&self, consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        let diff_buy = clamp_value(weight.saturating_sub(consensus), ZERO, ONE);
        let diff_sell = clamp_value(bond.saturating_sub(weight), ZERO, ONE);
        let combined_diff = if weight >= bond { diff_buy } else { diff_sell };
        // `ONE.saturating_div(ONE + e)`; `ONE + e` is at least 1 (e ≥ 0).
        let sigmoid = one_over(
            ONE.saturating_add(exp_safe(
                self.scaled_steepness
                    .saturating_mul(combined_diff.saturating_sub(I32F32::from_num(0.5))),
            ))
            .to_bits(),
        );
        let alpha = self
            .alpha_low
            .saturating_add(sigmoid.saturating_mul(self.alpha_high.saturating_sub(self.alpha_low)));
        clamp_value(alpha, self.alpha_low, self.alpha_high)
    }
}

/// The value the runtime's peeking merge (`compute_liquid_alpha_values_sparse`, run_epoch.rs
/// L1440-1475) reads at each column of `columns` (sorted ascending): it walks the row assuming
/// ascending uids, skipping entries below the column and stopping at the first entry at or
/// above it, so on an unsorted row some entries are never seen. Returns one value per column.
pub(crate) fn peek_values(row: &SparseRow, columns: &[u16]) -> Vec<I32F32> {
    let mut pos = 0usize;
    columns
        .iter()
        .map(|&j| {
            while let Some(&(i, _)) = row.get(pos) {
                if i < j {
                    pos += 1;
                } else {
                    break;
                }
            }
            match row.get(pos) {
                Some(&(i, v)) if i == j => v,
                _ => ZERO,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! Expected values from the runtime's own `tests/math.rs` (spec 425).
    use super::*;
    use proptest::prelude::*;

    /// The crate the runtime computes e^x with.
    fn crate_exp(x: I32F32) -> Option<I32F32> {
        exp::<I32F32, I32F32>(x).ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The sigmoid's range (|x| ≤ 20 after `exp_safe`'s clamp), raw bits.
        #[test]
        fn exp_equals_the_crates_in_the_sigmoids_range(raw in -(20i64 << 32)..=(20i64 << 32)) {
            let x = I32F32::from_bits(raw);
            prop_assert_eq!(exp_i32f32(x), crate_exp(x));
        }

        /// Anywhere, overflows (`Err`) included.
        #[test]
        fn exp_equals_the_crates_everywhere(raw in any::<i64>(), shift in 0u32..63) {
            let x = I32F32::from_bits(raw >> shift);
            prop_assert_eq!(exp_i32f32(x), crate_exp(x));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// `1 / x` as the crate divides, for every x (saturating below 1, as `saturating_div`).
        #[test]
        fn one_over_equals_the_crates_division(raw in any::<i64>(), shift in 0u32..63) {
            let bits = raw >> shift;
            prop_assume!(bits != 0, "the crate panics on a zero divisor, as one_over does");
            prop_assert_eq!(one_over(bits), ONE.saturating_div(I32F32::from_bits(bits)));
        }
    }

    #[test]
    fn exp_equals_the_crates_at_the_edges() {
        let edges = [
            0i64,
            1,
            -1,
            1 << 32,
            -(1 << 32),
            (1 << 31),
            -(1 << 31),
            20 << 32,
            -(20 << 32),
            21 << 32,
            -(21 << 32),
            (1 << 32) + 1,
            (1 << 32) - 1,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        for raw in edges {
            let x = I32F32::from_bits(raw);
            assert_eq!(exp_i32f32(x), crate_exp(x), "raw {raw}");
            if raw != 0 {
                assert_eq!(one_over(raw), ONE.saturating_div(x), "1 / raw {raw}");
            }
        }
    }

    fn fx(v: &[f32]) -> Vec<I32F32> {
        v.iter().map(|&x| I32F32::from_num(x)).collect()
    }

    /// `vec_to_sparse_mat_fixed`: row-major values, positive entries kept.
    fn sparse(v: &[f32], rows: usize) -> Vec<SparseRow> {
        let cols = v.len() / rows;
        (0..rows)
            .map(|r| {
                (0..cols)
                    .filter(|&c| v[r * cols + c] > 0.)
                    .map(|c| (c as u16, I32F32::from_num(v[r * cols + c])))
                    .collect()
            })
            .collect()
    }

    fn dense(v: &[f32], rows: usize) -> Vec<Vec<I32F32>> {
        let cols = v.len() / rows;
        (0..rows)
            .map(|r| fx(&v[r * cols..(r + 1) * cols]))
            .collect()
    }

    fn close_rows(a: &[SparseRow], b: &[SparseRow], eps: f64) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (ra, rb) in a.iter().zip(b) {
            assert_eq!(ra.len(), rb.len(), "{a:?} vs {b:?}");
            for (ea, eb) in ra.iter().zip(rb) {
                assert_eq!(ea.0, eb.0);
                let d = (ea.1.to_num::<f64>() - eb.1.to_num::<f64>()).abs();
                assert!(d <= eps, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn math_is_topk_nonzero() {
        let x = fx(&[0., 1., 2., 3., 4., 5., 6., 7., 8., 9.]);
        assert_eq!(is_topk_nonzero(&x, 0), vec![false; 10]);
        let mut top5 = vec![false; 5];
        top5.extend([true; 5]);
        assert_eq!(is_topk_nonzero(&x, 5), top5);
        let mut all = vec![true; 10];
        all[0] = false;
        assert_eq!(is_topk_nonzero(&x, 10), all);
        assert_eq!(is_topk_nonzero(&x, 100), all);
        // Stable ascending sort: among ties the lower uids lose first.
        assert_eq!(
            is_topk_nonzero(&fx(&[1., 1., 1., 0.]), 2),
            vec![false, true, true, false]
        );
    }

    #[test]
    fn math_weighted_median_col_sparse() {
        // test_math_weighted_median_col_sparse
        assert_eq!(
            weighted_median_col_sparse(&[], &[vec![]], 0, I32F32::from_num(0.5)),
            Vec::<I32F32>::new()
        );
        let stake = fx(&[0., 0.75, 0.25, 0.]);
        let w = sparse(&[0., 0.1, 0., 0., 0.2, 0.4, 0., 0.3, 0.1, 0., 0.4, 0.5], 4);
        let m = |k: f32| weighted_median_col_sparse(&stake, &w, 3, I32F32::from_num(k));
        assert_eq!(m(0.24), fx(&[0., 0.3, 0.4]));
        assert_eq!(m(0.26), fx(&[0., 0.2, 0.4]));
        assert_eq!(m(0.76), fx(&[0., 0.2, 0.1]));
        let stake = fx(&[0., 0.3, 0.2, 0.5]);
        let w = sparse(&[0., 0.1, 0., 0., 0.2, 0.4, 0., 0.3, 0.1, 0., 0., 0.5], 4);
        assert_eq!(
            weighted_median_col_sparse(&stake, &w, 3, I32F32::from_num(0.51)),
            fx(&[0., 0., 0.4])
        );
    }

    #[test]
    fn math_interpolate_sparse() {
        // test_math_interpolate_sparse (selected cases)
        let m1 = sparse(&[1., 0., 100., 1000., 10000., 100000.], 3);
        let m2 = sparse(&[10., 100., 1000., 10000., 100000., 0.], 3);
        assert_eq!(interpolate_sparse(&m1, &m2, 2, ZERO), m1);
        let r = interpolate_sparse(&m1, &m2, 2, I32F32::from_num(0.9));
        close_rows(
            &r,
            &sparse(&[9.1, 90., 910., 9100., 91000., 10000.], 3),
            1e-4,
        );
        let zeros = sparse(&[0.; 12], 4);
        let ones = sparse(&[1.; 12], 4);
        let r = interpolate_sparse(&zeros, &ones, 3, I32F32::from_num(0.5));
        close_rows(&r, &sparse(&[0.5; 12], 4), 0.);
        let r = interpolate_sparse(&zeros, &ones, 3, I32F32::from_num(0.000000001));
        close_rows(&r, &sparse(&[0.000000001; 12], 4), 0.);
    }

    #[test]
    fn math_sparse_mat_ema_alpha() {
        // test_math_sparse_mat_ema_alpha
        let alphas = dense(&[0.1; 12], 4);
        let old = sparse(
            &[
                0.1, 0.2, 3., 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12,
            ],
            4,
        );
        let new = sparse(&[1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12.], 4);
        let target = sparse(
            &[
                0.19, 0.38, 1., 0.43599, 0.545, 0.65399, 0.763, 0.87199, 0.981, 1., 1., 1.,
            ],
            4,
        );
        close_rows(&mat_ema_alpha_sparse(&new, &old, &alphas), &target, 1e-4);
        // A bond to a column the new row does not list is dropped, not decayed.
        let old = sparse(&[1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], 4);
        let new = sparse(&[0., 0., 0., 0., 2., 0., 0., 0., 0., 0., 0., 0.], 4);
        let r = mat_ema_alpha_sparse(&new, &old, &alphas);
        close_rows(
            &r,
            &sparse(&[0., 0., 0., 0., 0.2, 0., 0., 0., 0., 0., 0., 0.], 4),
            1e-6,
        );
        // test_mat_ema_alpha_sparse_mixed_alpha: clamped at 1.
        let new = sparse(&[1., 2., 3., 4.], 2);
        let old = sparse(&[5., 6., 7., 8.], 2);
        let alpha = vec![fx(&[0.3, 0.7]); 2];
        close_rows(
            &mat_ema_alpha_sparse(&new, &old, &alpha),
            &sparse(&[1., 1., 1., 1.], 2),
            1e-6,
        );
    }

    #[test]
    fn math_mask_diag_sparse_except_index() {
        // test_math_mask_diag_sparse_except_index
        let v = [1., 2., 3., 4., 5., 6., 7., 8., 9.];
        let m = sparse(&v, 3);
        for i in 0..3 {
            let mut target = [0., 2., 3., 4., 0., 6., 7., 8., 0.];
            target[i * 3 + i] = v[i * 3 + i];
            assert_eq!(mask_diag_sparse(&m, Some(i as u16)), sparse(&target, 3));
        }
        assert_eq!(
            mask_diag_sparse(&m, None),
            sparse(&[0., 2., 3., 4., 0., 6., 7., 8., 0.], 3)
        );
    }

    #[test]
    fn math_mask_vector_semantics() {
        // An empty mask masks nothing; positions beyond a shorter mask are masked.
        let mut v = fx(&[1., 2., 3.]);
        inplace_mask_vector(&[], &mut v);
        assert_eq!(v, fx(&[1., 2., 3.]));
        inplace_mask_vector(&[false], &mut v);
        assert_eq!(v, fx(&[1., 0., 0.]));
        // mask_rows_sparse masks rows beyond the mask, even with an empty mask.
        let rows = sparse(&[1., 1., 1., 1.], 2);
        assert_eq!(mask_rows_sparse(&[], &rows), vec![vec![], vec![]]);
    }

    #[test]
    fn math_sparse_mat_ema() {
        // test_math_sparse_mat_ema (α = 0.1)
        let old = sparse(&[1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12.], 4);
        let new = sparse(
            &[
                10., 20., 30., 40., 50., 60., 70., 80., 90., 100., 110., 120.,
            ],
            4,
        );
        // Only 4 columns fit a 4-row "square" matrix: all 3 do.
        let r = mat_ema_sparse(&new, &old, I32F32::from_num(0.1));
        close_rows(
            &r,
            &sparse(
                &[
                    1.9, 3.8, 5.7, 7.6, 9.5, 11.4, 13.3, 15.2, 17.1, 19., 20.9, 22.8,
                ],
                4,
            ),
            1e-5,
        );
        let old = sparse(&[1., 0., 0., 0.], 2);
        let new = sparse(&[0., 1., 2., 0.], 2);
        let r = mat_ema_sparse(&new, &old, I32F32::from_num(0.1));
        close_rows(&r, &sparse(&[0.9, 0.1, 0.2, 0.], 2), 1e-7);
    }

    #[test]
    fn math_peek_values_follow_the_runtime_merge() {
        let v = |x: f32| I32F32::from_num(x);
        let sorted: SparseRow = vec![(1, v(0.1)), (3, v(0.3))];
        assert_eq!(
            peek_values(&sorted, &[0, 1, 2, 3, 4]),
            vec![ZERO, v(0.1), ZERO, v(0.3), ZERO]
        );
        // Unsorted: (3, ..) first hides (1, ..) from every column after 1 is passed.
        let unsorted: SparseRow = vec![(3, v(0.3)), (1, v(0.1))];
        assert_eq!(
            peek_values(&unsorted, &[1, 3]),
            vec![ZERO, v(0.3)],
            "column 1 stops at (3, ..)"
        );
    }

    #[test]
    fn math_fixed_conversions() {
        assert_eq!(fixed_proportion_to_u16(ONE), 65535);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(2)), 65535);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(-1)), 0);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(0.5)), 32767);
        assert_eq!(u16_proportion_to_fixed(65535), ONE);
        assert_eq!(safe_div(ONE, ZERO), ZERO);
        // Overflow gives 0, not the maximum.
        assert_eq!(
            safe_div(I32F32::from_num(1000), I32F32::from_num(1e-9)),
            ZERO
        );
    }
}
