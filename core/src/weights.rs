//! Weight processing: from a validator's float scores to the u16 vector `set_weights` sends.
//!
//! Owns three things:
//! - the SDK's pipeline, bit-identical to `bittensor.utils.weight_utils` on its NumPy path:
//!   [`normalize_max_weight`], [`process_weights`] (uniform fallback, min-allowed padding,
//!   quantile exclusion) and [`convert_weights_and_uids_for_emit`];
//! - the chain's side of `set_weights` in its I32F32 arithmetic: [`chain_max_upscale`] and
//!   [`chain_max_weight_ok`] (the `MaxWeightExceeded` check);
//! - [`quantize_for_chain`], a quantizer that starts from the SDK's output and, where the
//!   SDK's rounding would make the chain reject the weights with `MaxWeightExceeded`, raises the
//!   smaller entries by the fewest units that make the check pass.
//!
//! Bad inputs get a [`WeightsError`]; NaN and negative weights count as zero, as in the SDK.

use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::types::I32F32;

use crate::numpy::{self, NpFloat};

/// The largest u16 weight; the SDK scales the largest weight to it.
pub const U16_MAX: u16 = u16::MAX;

/// The SDK's ε in `normalize_max_weight`.
const EPSILON: f64 = 1e-7;

/// Why weights could not be processed or quantized.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// `uids` and `weights` differ in length.
    #[error("uids and weights must have the same length, got {uids} uids and {weights} weights")]
    LengthMismatch {
        /// Number of uids given.
        uids: usize,
        /// Number of weights given.
        weights: usize,
    },
    /// The subnet size is zero: there is nobody to set weights on.
    #[error("the subnet has no neurons (n = 0): nothing to set weights on")]
    NoNeurons,
    /// The subnet size does not fit the chain's u16 uids.
    #[error("n = {0} exceeds the chain's maximum subnet size of 65535")]
    TooManyNeurons(usize),
    /// A uid is not below `n`.
    #[error("uid {uid} is out of range for a subnet of n = {n} neurons (uids run 0..{n})")]
    UidOutOfRange {
        /// The offending uid.
        uid: u64,
        /// The subnet size.
        n: usize,
    },
    /// A uid appears twice.
    #[error("uid {0} appears more than once; the chain rejects duplicate uids")]
    DuplicateUid(u16),
    /// The max weight limit is not a number in [0, 1].
    #[error("max_weight_limit must be a number in [0, 1] (MaxWeightsLimit / 65535), got {0}")]
    InvalidMaxWeightLimit(f64),
    /// A weight is negative where the SDK refuses negatives (at emit time).
    #[error("weight for uid {uid} is negative ({value}); weights on chain cannot be negative")]
    NegativeWeight {
        /// The uid whose weight is negative.
        uid: u16,
        /// The value.
        value: f64,
    },
    /// A processed weight is NaN or infinite, so it cannot be quantized (the SDK raises here too).
    #[error("weight for uid {uid} is not a finite number after processing ({value}); check the scores for NaN or infinity")]
    NonFiniteWeight {
        /// The uid whose weight is not finite.
        uid: u16,
        /// The value.
        value: f64,
    },
    /// Nothing to quantize (the SDK raises on an empty list).
    #[error("no weights to convert: the list is empty")]
    Empty,
    /// No u16 vector over these uids can pass the chain's max weight limit.
    #[error("{count} weights cannot satisfy MaxWeightsLimit {limit}/65535: even equal weights give each 1/{count}; set weights on more uids")]
    MaxWeightInfeasible {
        /// How many non-zero weights there are.
        count: usize,
        /// The subnet's MaxWeightsLimit (u16).
        limit: u16,
    },
}

/// Which branch of the SDK's `process_weights` produced the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Branch {
    /// No positive weight, or fewer neurons than `min_allowed_weights`: uniform 1/n (float64).
    Uniform,
    /// Fewer positive weights than `min_allowed_weights`: everyone padded with 1e-5 (float64).
    Padded,
    /// The normal path: quantile exclusion, then `normalize_max_weight` (float32).
    Normal,
}

/// The subnet parameters `process_weights` needs (what `process_weights_for_netuid` reads).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeightParams {
    /// Number of neurons in the subnet (`metagraph.n`).
    pub n: usize,
    /// `MinAllowedWeights[netuid]`.
    pub min_allowed_weights: usize,
    /// `MaxWeightsLimit[netuid] / 65535`, in [0, 1].
    pub max_weight_limit: f64,
    /// Lowest quantile to drop, in u16 units (0 = drop nothing), like the SDK's `exclude_quantile`.
    pub exclude_quantile: u16,
}

impl WeightParams {
    /// Parameters from the chain's raw hyperparameters (`MaxWeightsLimit` as the chain stores it).
    pub fn from_chain(n: usize, min_allowed_weights: u16, max_weights_limit: u16) -> Self {
        Self {
            n,
            min_allowed_weights: usize::from(min_allowed_weights),
            max_weight_limit: f64::from(max_weights_limit) / f64::from(U16_MAX),
            exclude_quantile: 0,
        }
    }
}

/// The result of [`process_weights`]: float weights per uid, summing to about 1.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedWeights {
    /// Destination uids.
    pub uids: Vec<u16>,
    /// Their weights, widened exactly to f64 (the float32 branch's values are exact float32s).
    pub weights: Vec<f64>,
    /// Which SDK branch produced them.
    pub branch: Branch,
}

/// What `set_weights` sends: uids and u16 values, zeros dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct EmitWeights {
    /// Destination uids.
    pub uids: Vec<u16>,
    /// u16 weights; the largest is 65535.
    #[serde(rename = "weights_u16")]
    pub values: Vec<u16>,
}

/// The SDK's `normalize_max_weight(x, limit)`: scale `x` to sum 1 while capping every entry at
/// about `limit`, computed in `x`'s dtype with the SDK's float64 promotions.
///
/// An empty `x` gives an empty result (NumPy returns an empty array).
pub fn normalize_max_weight<F: NpFloat>(x: &[F], limit: f64) -> Vec<F> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let total = numpy::pairwise_sum(x);
    if total == F::ZERO || (n as f64) * limit <= 1.0 {
        return vec![F::ONE / F::from_count(n); n];
    }
    if surely_under_limit(x, F::from_f64(limit)) {
        return divide_by(x.to_vec(), total);
    }
    normalize_sorted(x, limit, total)
}

/// True when the SDK's test `max(sort(x) / sum(sort(x))) <= limit` provably passes, so the
/// sort (most of the cost at large n) can be skipped: `x` is finite and non-negative, and an
/// upper bound on the float rounding of the sorted pairwise sum and the division still leaves
/// the largest share at or below the limit. Inputs near the boundary take the exact path.
fn surely_under_limit<F: NpFloat>(x: &[F], limit_d: F) -> bool {
    let n = x.len() as f64;
    // Eight lanes of sum and max: independent chains, so the pass vectorises. Any summation
    // order is fine here; the bound below covers the rounding of every order.
    let (mut sums, mut maxs, mut ok) = ([0.0f64; 8], [0.0f64; 8], true);
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in chunk.iter().enumerate() {
            let v = v.to_f64();
            ok &= v >= 0.0 && v.is_finite();
            sums[lane] += v;
            maxs[lane] = if v > maxs[lane] { v } else { maxs[lane] };
        }
    }
    for (lane, &v) in tail.iter().enumerate() {
        let v = v.to_f64();
        ok &= v >= 0.0 && v.is_finite();
        sums[lane] += v;
        maxs[lane] = if v > maxs[lane] { v } else { maxs[lane] };
    }
    let sum: f64 = sums.iter().sum();
    let max = maxs.iter().fold(0.0f64, |m, &v| if v > m { v } else { m });
    // Summing n non-negative terms in any order loses at most a factor (1 − 2(n+1)u) while
    // (n+1)u < 1/2; the float64 sum above is far more accurate than that. The division adds
    // one rounding (1 + u), and 1e-12 covers evaluating this bound itself.
    let growth = 2.0 * (n + 1.0) * F::UNIT_ROUNDOFF;
    if !ok || sum.is_nan() || sum <= 0.0 || !sum.is_finite() || growth >= 0.5 {
        return false;
    }
    let bound = (max / sum) * (1.0 + F::UNIT_ROUNDOFF) / (1.0 - growth) * (1.0 + 1e-12);
    bound <= limit_d.to_f64()
}

/// The SDK's sorted path of `normalize_max_weight`, taken when the cap may apply.
fn normalize_sorted<F: NpFloat>(x: &[F], limit: f64, total: F) -> Vec<F> {
    let n = x.len();
    let sorted = numpy::sort(x);
    let sorted_sum = numpy::pairwise_sum(&sorted);
    let estimation: Vec<F> = sorted.iter().map(|&v| v / sorted_sum).collect();
    let limit_d = F::from_f64(limit);
    // NaN compares false, so a NaN maximum counts as over the limit (as in NumPy).
    let over_limit = numpy::max(&estimation)
        .is_none_or(|m| m.partial_cmp(&limit_d) != Some(core::cmp::Ordering::Less) && m != limit_d);
    if !over_limit {
        return divide_by(x.to_vec(), total);
    }
    let cumsum = numpy::cumsum(&estimation);
    let eps = F::from_f64(EPSILON);
    let n_values = estimation
        .iter()
        .zip(&cumsum)
        .enumerate()
        .filter(|&(i, (&e, &c))| {
            let tail = F::from_count(n - i - 1) * e;
            e / (tail + c + eps) < limit_d
        })
        .count();
    // NumPy's `cumsum[n_values - 1]` reads the last element when n_values is 0.
    let c_at = cumsum[n_values.checked_sub(1).unwrap_or(n - 1)];
    let numerator = limit_d * c_at - eps;
    let denominator = 1.0 - limit * ((n - n_values) as f64);
    let cutoff = (numerator.to_f64() / denominator) * sorted_sum.to_f64();
    let capped: Vec<F> = x
        .iter()
        .map(|&w| {
            if w.to_f64() > cutoff {
                F::from_f64(cutoff)
            } else {
                w
            }
        })
        .collect();
    let capped_sum = numpy::pairwise_sum(&capped);
    divide_by(capped, capped_sum)
}

/// `w / s` elementwise; `s` is `w.sum()`, which the caller has at hand.
fn divide_by<F: NpFloat>(mut w: Vec<F>, s: F) -> Vec<F> {
    for v in &mut w {
        *v = *v / s;
    }
    w
}

/// Checks the uids the way the chain would: all below `n`, none repeated.
fn validate_uids(uids: &[u16], n: usize) -> Result<(), WeightsError> {
    let mut seen = vec![0u64; n.div_ceil(64)];
    for &uid in uids {
        let u = usize::from(uid);
        if u >= n {
            return Err(WeightsError::UidOutOfRange {
                uid: u64::from(uid),
                n,
            });
        }
        let (word, bit) = (u / 64, 1u64 << (u % 64));
        if seen[word] & bit != 0 {
            return Err(WeightsError::DuplicateUid(uid));
        }
        seen[word] |= bit;
    }
    Ok(())
}

/// The SDK's `process_weights(uids, weights, n, min_allowed_weights, max_weight_limit,
/// exclude_quantile)` on its NumPy path.
///
/// `weights` are the float32 values the SDK works on (`weights.astype(float32)`). As in the SDK,
/// the uniform and padded branches return uids `0..n` and index the padding by *position*, so
/// callers pass `uids == 0..len` (the metagraph's uids), which is what validators do.
/// NaN and negative weights count as zero.
pub fn process_weights(
    uids: &[u16],
    weights: &[f32],
    params: &WeightParams,
) -> Result<ProcessedWeights, WeightsError> {
    let n = params.n;
    if uids.len() != weights.len() {
        return Err(WeightsError::LengthMismatch {
            uids: uids.len(),
            weights: weights.len(),
        });
    }
    if n == 0 {
        return Err(WeightsError::NoNeurons);
    }
    if n > usize::from(U16_MAX) {
        return Err(WeightsError::TooManyNeurons(n));
    }
    let limit = params.max_weight_limit;
    if !(0.0..=1.0).contains(&limit) {
        return Err(WeightsError::InvalidMaxWeightLimit(limit));
    }
    validate_uids(uids, n)?;

    // The non-zero weights and their uids, in one pass.
    let (mut nz, mut nz_uids) = (
        Vec::with_capacity(weights.len()),
        Vec::with_capacity(weights.len()),
    );
    for (&uid, &w) in uids.iter().zip(weights) {
        if w > 0.0 {
            nz.push(w);
            nz_uids.push(uid);
        }
    }
    let all_uids = || (0..n).map(|u| u as u16).collect::<Vec<u16>>();

    if nz.is_empty() || n < params.min_allowed_weights {
        return Ok(ProcessedWeights {
            uids: all_uids(),
            weights: vec![1.0 / n as f64; n],
            branch: Branch::Uniform,
        });
    }
    if nz.len() < params.min_allowed_weights {
        let mut padded = vec![1e-5f64; n];
        // Padding is indexed by position, as in the SDK (p < len(weights) ≤ n: uids are unique
        // and below n).
        for (p, &w) in weights.iter().enumerate() {
            if w > 0.0 {
                padded[p] += f64::from(w);
            }
        }
        return Ok(ProcessedWeights {
            uids: all_uids(),
            weights: normalize_max_weight(&padded, limit),
            branch: Branch::Padded,
        });
    }

    let max_exclude = nz.len().saturating_sub(params.min_allowed_weights) as f64 / nz.len() as f64;
    let quantile = f64::from(params.exclude_quantile) / f64::from(U16_MAX);
    let q = if max_exclude < quantile {
        max_exclude
    } else {
        quantile
    };
    // np.quantile(x, 0) is min(x) exactly when that minimum is finite (NumPy interpolates with
    // min − min, NaN for +inf), and every non-zero weight is ≥ it: then all are kept.
    let (kept_uids, kept) = if q == 0.0 && nz.iter().any(|w| w.is_finite()) {
        (nz_uids, nz)
    } else {
        let lowest = numpy::quantile_linear_f32(&nz, q).unwrap_or(f32::NAN);
        let (mut kept_uids, mut kept) =
            (Vec::with_capacity(nz.len()), Vec::with_capacity(nz.len()));
        for (&uid, &w) in nz_uids.iter().zip(&nz) {
            if lowest <= w {
                kept_uids.push(uid);
                kept.push(w);
            }
        }
        (kept_uids, kept)
    };
    let normalized = normalize_max_weight(&kept, limit);
    Ok(ProcessedWeights {
        uids: kept_uids,
        weights: normalized.into_iter().map(f64::from).collect(),
        branch: Branch::Normal,
    })
}

/// The SDK's `convert_weights_and_uids_for_emit`: the largest weight becomes 65535, the others
/// `round_half_even(w / max · 65535)`, zeros dropped, order kept.
///
/// All-zero weights give an empty result (nothing to set), as in the SDK.
pub fn convert_weights_and_uids_for_emit(
    uids: &[u16],
    weights: &[f64],
) -> Result<EmitWeights, WeightsError> {
    if uids.len() != weights.len() {
        return Err(WeightsError::LengthMismatch {
            uids: uids.len(),
            weights: weights.len(),
        });
    }
    if weights.is_empty() {
        return Err(WeightsError::Empty);
    }
    // One pass (eight lanes, so it vectorises) for the largest weight and for any negative or
    // NaN value; the offending uid is looked up only when there is one.
    let (max, invalid) = max_and_invalid(weights);
    if invalid {
        if let Some((&uid, &value)) = uids
            .iter()
            .zip(weights)
            .find(|(_, &w)| w < 0.0 || w.is_nan())
        {
            return Err(if value.is_nan() {
                WeightsError::NonFiniteWeight { uid, value }
            } else {
                WeightsError::NegativeWeight { uid, value }
            });
        }
    }
    // The SDK tests Python's sum() for zero; with no negative and no NaN values that sum is zero
    // exactly when every weight is zero, that is when the largest is.
    if max == 0.0 {
        return Ok(EmitWeights::default());
    }
    // With a finite max every w / max is in [0, 1]. An infinite max gives inf / inf = NaN at the
    // first infinite weight, which the SDK's int() refuses.
    if !max.is_finite() {
        if let Some((&uid, &value)) = uids.iter().zip(weights).find(|(_, &w)| w.is_infinite()) {
            return Err(WeightsError::NonFiniteWeight { uid, value });
        }
    }
    // One branch-free pass (it vectorises), then the compaction that drops zeros.
    let scale = f64::from(U16_MAX);
    let scaled: Vec<f64> = weights
        .iter()
        .map(|&w| numpy::round_half_even_small((w / max) * scale))
        .collect();
    // Stream compaction without branches: write every entry, advance only past non-zeros.
    let (mut out_uids, mut out_values) = (vec![0u16; scaled.len()], vec![0u16; scaled.len()]);
    let mut kept = 0;
    for i in 0..scaled.len() {
        let v = scaled[i];
        out_uids[kept] = uids[i];
        // v is an integer in [0, 65535] (w ≤ max).
        out_values[kept] = v as i32 as u16;
        kept += usize::from(v != 0.0);
    }
    out_uids.truncate(kept);
    out_values.truncate(kept);
    Ok(EmitWeights {
        uids: out_uids,
        values: out_values,
    })
}

/// The largest of `values` (not empty) and whether any is negative or NaN, in eight
/// independent lanes. Max is exact in any order (equal positive values have equal bits).
fn max_and_invalid(values: &[f64]) -> (f64, bool) {
    let (mut lanes, mut invalid) = ([values[0]; 8], false);
    for chunk in values.chunks(8) {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            invalid |= v < 0.0 || v.is_nan();
            *lane = if v > *lane { v } else { *lane };
        }
    }
    let max = lanes
        .iter()
        .fold(values[0], |m, &v| if v > m { v } else { m });
    (max, invalid)
}

/// The chain's `vec_max_upscale_to_u16` on fixed-point values, in I32F32 exactly as the runtime
/// computes it (truncating divisions, round half away from zero — wrapping on overflow, as the
/// release-built runtime does — and a saturating conversion).
pub fn max_upscale_fixed_to_u16(values: &[I32F32]) -> Vec<u16> {
    let u16_max = I32F32::from_num(U16_MAX);
    let threshold = I32F32::from_num(32768);
    let Some(&max) = values.iter().max() else {
        return Vec::new();
    };
    if max == I32F32::from_num(0) {
        return values
            .iter()
            .map(|v| v.saturating_mul(u16_max).saturating_to_num::<u16>())
            .collect();
    }
    if max > threshold {
        let scale = u16_max.saturating_div(max);
        return values
            .iter()
            .map(|v| {
                v.saturating_mul(scale)
                    .wrapping_round()
                    .saturating_to_num::<u16>()
            })
            .collect();
    }
    values
        .iter()
        .map(|v| {
            v.saturating_mul(u16_max)
                .saturating_div(max)
                .wrapping_round()
                .saturating_to_num::<u16>()
        })
        .collect()
}

/// The chain's max-upscale of a submitted u16 vector (`vec_u16_max_upscale_to_u16`): what is
/// stored in `Weights` for `values`. SDK output (max = 65535) is unchanged by it.
pub fn chain_max_upscale(values: &[u16]) -> Vec<u16> {
    let fixed: Vec<I32F32> = values.iter().map(|&v| I32F32::from_num(v)).collect();
    max_upscale_fixed_to_u16(&fixed)
}

/// The chain's `MaxWeightExceeded` check (`check_vec_max_limited`) on the already upscaled
/// values: `max(v / Σv) ≤ limit / 65535` in I32F32. A limit of 65535 disables the check.
/// (The chain also exempts a self-weight, a single entry on the caller's own uid.)
pub fn chain_max_weight_ok(values: &[u16], max_weights_limit: u16) -> bool {
    if max_weights_limit == U16_MAX {
        return true;
    }
    let limit = I32F32::from_num(max_weights_limit).saturating_div(I32F32::from_num(U16_MAX));
    max_normalized_share(values).is_none_or(|m| m <= limit)
}

/// `max(v) / Σv` as the chain's `inplace_normalize` gives it (the sum wraps like the runtime's).
fn max_normalized_share(values: &[u16]) -> Option<I32F32> {
    let sum = values.iter().fold(I32F32::from_num(0), |s, &v| {
        s.wrapping_add(I32F32::from_num(v))
    });
    let max = I32F32::from_num(*values.iter().max()?);
    if sum == I32F32::from_num(0) {
        return Some(max);
    }
    // The maximum of the normalised vector is the normalised maximum (division is monotone).
    Some(max.saturating_div(sum))
}

/// Quantize processed weights so that the chain accepts them under `max_weights_limit`.
///
/// Starts from the SDK's [`convert_weights_and_uids_for_emit`]. If the chain's check on the
/// upscaled result fails (the SDK's rounding can push the largest share over the limit), the
/// smaller entries are raised, largest first and by as few units in total as the check needs,
/// never above 65535. Fails with [`WeightsError::MaxWeightInfeasible`] when even equal weights
/// on these uids exceed the limit.
pub fn quantize_for_chain(
    uids: &[u16],
    weights: &[f64],
    max_weights_limit: u16,
) -> Result<EmitWeights, WeightsError> {
    let mut emit = convert_weights_and_uids_for_emit(uids, weights)?;
    let upscaled = chain_max_upscale(&emit.values);
    emit.values = upscaled;
    if chain_max_weight_ok(&emit.values, max_weights_limit) {
        return Ok(emit);
    }
    let count = emit.values.len();
    if !chain_max_weight_ok(&vec![U16_MAX; count], max_weights_limit) {
        return Err(WeightsError::MaxWeightInfeasible {
            count,
            limit: max_weights_limit,
        });
    }
    // The largest entry stays at 65535; the check passes once Σv is large enough. Find the
    // smallest total that passes by bisection, then hand the missing units out.
    let current: u64 = emit.values.iter().map(|&v| u64::from(v)).sum();
    let capacity = (count as u64) * u64::from(U16_MAX);
    let passes = |total: u64| {
        let share = I32F32::from_num(U16_MAX).saturating_div(I32F32::saturating_from_num(total));
        let limit = I32F32::from_num(max_weights_limit).saturating_div(I32F32::from_num(U16_MAX));
        share <= limit
    };
    let (mut lo, mut hi) = (current, capacity);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if passes(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    raise_smaller_entries(&mut emit.values, lo - current);
    // The sum's fixed-point wrap can only matter beyond 32767 full entries; re-check anyway.
    if chain_max_weight_ok(&emit.values, max_weights_limit) {
        Ok(emit)
    } else {
        Err(WeightsError::MaxWeightInfeasible {
            count,
            limit: max_weights_limit,
        })
    }
}

/// Adds `deficit` units across the entries below 65535, evenly and largest entries first, so
/// that the order of the weights is preserved.
fn raise_smaller_entries(values: &mut [u16], mut deficit: u64) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].cmp(&values[a]).then(a.cmp(&b)));
    while deficit > 0 {
        let open = order.iter().filter(|&&i| values[i] < U16_MAX).count() as u64;
        if open == 0 {
            return;
        }
        let each = (deficit / open).max(1);
        for &i in &order {
            let add = each.min(u64::from(U16_MAX - values[i])).min(deficit);
            values[i] += add as u16;
            deficit -= add;
            if deficit == 0 {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn params(n: usize, min_allowed: usize, limit: f64, q: u16) -> WeightParams {
        WeightParams {
            n,
            min_allowed_weights: min_allowed,
            max_weight_limit: limit,
            exclude_quantile: q,
        }
    }

    fn bits32(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn bits64(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn lowest_quantile_zero_keeps_all_unless_the_minimum_is_infinite() {
        let params = |n| WeightParams {
            n,
            min_allowed_weights: 1,
            max_weight_limit: 1.0,
            exclude_quantile: 0,
        };
        let kept = process_weights(&[0, 1, 2], &[0.5, 0.25, 0.25], &params(3)).unwrap();
        assert_eq!(kept.uids, vec![0, 1, 2]);
        // np.quantile([inf], 0) is NaN (inf − inf), so nothing passes `lowest <= w`.
        let inf = process_weights(&[0, 1], &[f32::INFINITY, f32::NAN], &params(2)).unwrap();
        assert!(inf.uids.is_empty(), "{inf:?}");
    }

    fn arange(n: usize) -> Vec<u16> {
        (0..n as u16).collect()
    }

    #[test]
    fn normalize_without_cap_is_plain_division() {
        let y = normalize_max_weight(&[1.0f32, 1.0, 2.0], 1.0);
        assert_eq!(y, vec![0.25, 0.25, 0.5]);
    }

    #[test]
    fn normalize_caps_the_largest() {
        let x: Vec<f32> = vec![10.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let y = normalize_max_weight(&x, 0.2);
        let max = y.iter().cloned().fold(0.0f32, f32::max);
        assert!(max <= 0.2 + 1e-6, "max {max}");
        assert!((y.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn normalize_uniform_when_limit_too_small_or_zero_sum() {
        assert_eq!(normalize_max_weight(&[1.0f32, 2.0], 0.4), vec![0.5, 0.5]);
        assert_eq!(
            normalize_max_weight(&[0.0f32, 0.0, 0.0, 0.0], 0.5),
            vec![0.25; 4]
        );
        assert!(normalize_max_weight::<f32>(&[], 0.5).is_empty());
    }

    #[test]
    fn branch_uniform_on_all_zero() {
        let p = process_weights(&arange(4), &[0.0; 4], &params(4, 1, 1.0, 0)).unwrap();
        assert_eq!(p.branch, Branch::Uniform);
        assert_eq!(p.weights, vec![0.25; 4]);
        assert_eq!(p.uids, arange(4));
    }

    #[test]
    fn branch_uniform_when_fewer_neurons_than_min_allowed() {
        let p = process_weights(&arange(3), &[1.0, 2.0, 3.0], &params(3, 8, 1.0, 0)).unwrap();
        assert_eq!(p.branch, Branch::Uniform);
    }

    #[test]
    fn branch_padded_gives_everyone_a_floor() {
        let p = process_weights(
            &arange(5),
            &[0.0, 1.0, 0.0, 0.0, 0.0],
            &params(5, 2, 1.0, 0),
        )
        .unwrap();
        assert_eq!(p.branch, Branch::Padded);
        assert_eq!(p.uids, arange(5));
        assert!(p.weights.iter().all(|&w| w > 0.0));
        let e = convert_weights_and_uids_for_emit(&p.uids, &p.weights).unwrap();
        assert_eq!(e.values[1], 65535);
        assert_eq!(e.values[0], 1); // round(1e-5/(1+1e-5) · 65535) = 1
    }

    #[test]
    fn branch_normal_drops_zeros_nan_and_negatives() {
        let w = [0.5, f32::NAN, -1.0, 0.25, 0.0];
        let p = process_weights(&arange(5), &w, &params(5, 1, 1.0, 0)).unwrap();
        assert_eq!(p.branch, Branch::Normal);
        assert_eq!(p.uids, vec![0, 3]);
        let e = convert_weights_and_uids_for_emit(&p.uids, &p.weights).unwrap();
        assert_eq!(e.values, vec![65535, 32768]); // 0.5 · 65535 = 32767.5 → 32768 (half to even)
    }

    #[test]
    fn quantile_exclusion_respects_min_allowed() {
        let w: Vec<f32> = (1..=10).map(|i| i as f32).collect();
        // Drop the lowest half, but min_allowed 8 limits the exclusion to 2 of 10.
        let p = process_weights(&arange(10), &w, &params(10, 8, 1.0, 32768)).unwrap();
        assert_eq!(p.uids.len(), 8);
        assert_eq!(p.uids[0], 2);
    }

    #[test]
    fn bad_inputs_get_typed_errors() {
        let p = params(4, 0, 1.0, 0);
        assert_eq!(
            process_weights(&[0, 1], &[1.0], &p),
            Err(WeightsError::LengthMismatch {
                uids: 2,
                weights: 1
            })
        );
        assert_eq!(
            process_weights(&[0, 4], &[1.0, 1.0], &p),
            Err(WeightsError::UidOutOfRange { uid: 4, n: 4 })
        );
        assert_eq!(
            process_weights(&[1, 1], &[1.0, 1.0], &p),
            Err(WeightsError::DuplicateUid(1))
        );
        assert_eq!(
            process_weights(&[], &[], &params(0, 0, 1.0, 0)),
            Err(WeightsError::NoNeurons)
        );
        assert!(matches!(
            process_weights(&[0], &[1.0], &params(1, 0, f64::NAN, 0)),
            Err(WeightsError::InvalidMaxWeightLimit(_))
        ));
        assert_eq!(
            convert_weights_and_uids_for_emit(&[], &[]),
            Err(WeightsError::Empty)
        );
        assert!(matches!(
            convert_weights_and_uids_for_emit(&[0, 1], &[f64::NAN, 1.0]),
            Err(WeightsError::NonFiniteWeight { uid: 0, .. })
        ));
        assert!(matches!(
            convert_weights_and_uids_for_emit(&[0], &[-0.5]),
            Err(WeightsError::NegativeWeight { uid: 0, .. })
        ));
    }

    #[test]
    fn emit_all_zero_sets_nothing() {
        assert_eq!(
            convert_weights_and_uids_for_emit(&[0, 1], &[0.0, 0.0]),
            Ok(EmitWeights::default())
        );
    }

    #[test]
    fn chain_upscale_matches_runtime_cases() {
        // SDK output (max 65535) is left alone.
        assert_eq!(chain_max_upscale(&[65535, 100, 1]), vec![65535, 100, 1]);
        // Small max: v · 65535 / max, rounded half away from zero.
        assert_eq!(chain_max_upscale(&[1, 2]), vec![32768, 65535]);
        assert_eq!(chain_max_upscale(&[0, 0]), vec![0, 0]);
        assert!(chain_max_upscale(&[]).is_empty());
    }

    #[test]
    fn chain_limit_check() {
        assert!(chain_max_weight_ok(&[65535, 65535], 32768));
        assert!(!chain_max_weight_ok(&[65535, 65534], 32767));
        assert!(chain_max_weight_ok(&[65535], U16_MAX));
        assert!(!chain_max_weight_ok(&[65535], 65534));
    }

    #[test]
    fn quantizer_repairs_what_sdk_rounding_breaks() {
        // Found by search: the SDK's pipeline on these scores, under a 0.2 limit (13107/65535),
        // yields u16 values the chain rejects with MaxWeightExceeded.
        let w = [
            0.37757397f32,
            0.44116247,
            0.013907075,
            0.07824594,
            0.3802458,
            0.09223461,
            0.19754344,
            0.6516726,
            0.7604207,
            0.9925611,
        ];
        let uids = arange(10);
        let p = process_weights(&uids, &w, &params(10, 1, 13107.0 / 65535.0, 0)).unwrap();
        let sdk = convert_weights_and_uids_for_emit(&p.uids, &p.weights).unwrap();
        assert!(!chain_max_weight_ok(&sdk.values, 13107));
        let safe = quantize_for_chain(&p.uids, &p.weights, 13107).unwrap();
        assert!(chain_max_weight_ok(&safe.values, 13107));
        assert_eq!(safe.uids, sdk.uids);
        // Only a few units move, never down.
        let moved: u32 = safe
            .values
            .iter()
            .zip(&sdk.values)
            .map(|(a, b)| u32::from(a - b))
            .sum();
        assert!(moved > 0 && moved < 100, "moved {moved}");
        // Five equal weights cannot fit under a 0.1 limit at all.
        assert_eq!(
            quantize_for_chain(&arange(5), &[0.2; 5], 6553),
            Err(WeightsError::MaxWeightInfeasible {
                count: 5,
                limit: 6553
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn processed_weights_sum_to_one_and_respect_the_limit(
            w in prop::collection::vec(0.0f32..1000.0, 1..300),
            min_allowed in 0usize..64,
            limit_u16 in 1u16..=65535,
            q in 0u16..=65535,
        ) {
            let n = w.len();
            let limit = f64::from(limit_u16) / 65535.0;
            let p = process_weights(&arange(n), &w, &params(n, min_allowed, limit, q)).unwrap();
            let total: f64 = p.weights.iter().sum();
            prop_assert!((total - 1.0).abs() < 1e-4, "sum {}", total);
            let count = p.weights.len();
            let max = p.weights.iter().cloned().fold(0.0, f64::max);
            // The cap only applies when it is attainable (count · limit > 1).
            if (count as f64) * limit > 1.0 {
                prop_assert!(max <= limit + 1e-4, "max {} limit {}", max, limit);
            }
        }

        /// Skipping the sort is an optimisation only: it must agree, bit for bit, with the
        /// SDK's sorted path, including just below and above the limit.
        #[test]
        fn sort_shortcut_agrees_with_the_sorted_path(
            w in prop::collection::vec(0.0f32..1000.0, 1..400),
            wide in prop::collection::vec(0.0f64..1e6, 1..400),
            nudge in -100i32..=100,
        ) {
            let s32: f64 = w.iter().map(|&v| f64::from(v)).sum();
            let m32 = w.iter().cloned().fold(0.0f32, f32::max);
            let s64: f64 = wide.iter().sum();
            let m64 = wide.iter().cloned().fold(0.0f64, f64::max);
            // Limits at the largest share, near it on either side, and loose ones.
            for (share, ok) in [(f64::from(m32) / s32, s32 > 0.0), (m64 / s64, s64 > 0.0)] {
                if !ok { continue; }
                // Relative steps of 1e-6 straddle the shortcut's safety margin (≈ 2(n+1)u).
                let near = share * (1.0 + f64::from(nudge) * 1e-6);
                for limit in [share, near.clamp(0.0, 1.0), 0.5, 1.0] {
                    let fast = normalize_max_weight(&w, limit);
                    let slow = if w.len() as f64 * limit <= 1.0 || s32 == 0.0 {
                        fast.clone()
                    } else {
                        normalize_sorted(&w, limit, numpy::pairwise_sum(&w))
                    };
                    prop_assert_eq!(bits32(&fast), bits32(&slow));
                    let fast = normalize_max_weight(&wide, limit);
                    let slow = if wide.len() as f64 * limit <= 1.0 || s64 == 0.0 {
                        fast.clone()
                    } else {
                        normalize_sorted(&wide, limit, numpy::pairwise_sum(&wide))
                    };
                    prop_assert_eq!(bits64(&fast), bits64(&slow));
                }
            }
        }

        #[test]
        fn permuting_inputs_permutes_the_normal_branch(
            w in prop::collection::vec(0.001f32..1.0, 2..64),
            seed in any::<u64>(),
        ) {
            // NumPy sums in array order, so only a permutation that keeps the float sums equal
            // is invariant; reversing a list of equal weights is one. Check the uid set instead:
            // which uids survive does not depend on their order.
            let n = w.len();
            let p = process_weights(&arange(n), &w, &params(n, 1, 1.0, 0)).unwrap();
            let mut perm: Vec<usize> = (0..n).collect();
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                perm.swap(i, (s >> 33) as usize % (i + 1));
            }
            let uids: Vec<u16> = perm.iter().map(|&i| i as u16).collect();
            let wp: Vec<f32> = perm.iter().map(|&i| w[i]).collect();
            let q = process_weights(&uids, &wp, &params(n, 1, 1.0, 0)).unwrap();
            let mut a = p.uids.clone();
            let mut b = q.uids.clone();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
            for (uid, wq) in q.uids.iter().zip(&q.weights) {
                let idx = p.uids.iter().position(|u| u == uid).unwrap();
                prop_assert!((p.weights[idx] - wq).abs() < 1e-6);
            }
        }

        #[test]
        fn nothing_panics(
            w in prop::collection::vec(any::<f32>(), 0..80),
            n in 0usize..100,
            min_allowed in 0usize..100,
            limit in any::<f64>(),
            q in any::<u16>(),
        ) {
            let uids: Vec<u16> = (0..w.len() as u16).collect();
            if let Ok(p) = process_weights(&uids, &w, &params(n, min_allowed, limit, q)) {
                let _ = convert_weights_and_uids_for_emit(&p.uids, &p.weights);
                if let Ok(e) = quantize_for_chain(&p.uids, &p.weights, (limit.abs() * 65535.0) as u16) {
                    prop_assert_eq!(e.uids.len(), e.values.len());
                }
            }
        }

        #[test]
        fn quantizer_always_passes_the_chain_check(
            w in prop::collection::vec(0.0f64..1.0, 1..200),
            limit in 1u16..=65535,
        ) {
            let uids = arange(w.len());
            match quantize_for_chain(&uids, &w, limit) {
                Ok(e) => prop_assert!(chain_max_weight_ok(&e.values, limit)),
                Err(WeightsError::MaxWeightInfeasible { count, .. }) => {
                    prop_assert!(!chain_max_weight_ok(&vec![65535; count], limit));
                }
                Err(e) => prop_assert!(false, "unexpected {:?}", e),
            }
        }
    }
}
