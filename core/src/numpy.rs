//! The NumPy behaviours the SDK's weight code depends on, reproduced bit for bit.
//!
//! The Python SDK computes weights with NumPy ≥ 2 (NEP 50 promotion rules). To give the same
//! bits we must add in the same order and round in the same places:
//! - [`pairwise_sum`]: `ndarray.sum()` of a contiguous 1-D array (NumPy's pairwise summation,
//!   accumulated in the array's dtype);
//! - [`cumsum`]: `np.cumsum` (a plain running sum);
//! - [`sort`] / [`max`]: `np.sort` (NaN last) and `np.max` (NaN propagates);
//! - [`quantile_linear_f32`]: `np.quantile(float32_array, q)` with the default "linear" method,
//!   as NumPy 2.0 computes it (q cast to float32, gamma in float32, its two-sided lerp);
//! - [`round_half_even`]: Python's `round(float)`.
//!
//! [`NpFloat`] abstracts over float32 and float64 so the SDK's float64 branch uses the same code.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt::Debug;
use core::ops::{Add, Div, Mul, Sub};

/// A NumPy floating dtype (float32 or float64) and the conversions NumPy applies to it.
pub trait NpFloat:
    Copy
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    /// 0 in this dtype.
    const ZERO: Self;
    /// 1 in this dtype.
    const ONE: Self;
    /// The unit roundoff of this dtype (half an ulp of 1), as a float64.
    const UNIT_ROUNDOFF: f64;
    /// A Python float (or NumPy float64) cast to this dtype: round to nearest, ties to even.
    fn from_f64(x: f64) -> Self;
    /// Exact widening to float64 (what `tolist()` and float64 promotion do).
    fn to_f64(self) -> f64;
    /// A Python int mixed with an array of this dtype (NEP 50 "weak" scalar): cast to the dtype.
    fn from_count(n: usize) -> Self;
    /// IEEE NaN test.
    fn is_nan(self) -> bool;
    /// IEEE sign bit.
    fn is_sign_negative(self) -> bool;
    /// IEEE 754 total order.
    fn total_cmp(&self, other: &Self) -> Ordering;
}

impl NpFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_count(n: usize) -> Self {
        n as f32
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    fn total_cmp(&self, other: &Self) -> Ordering {
        f32::total_cmp(self, other)
    }
}

impl NpFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn from_count(n: usize) -> Self {
        n as f64
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
    fn total_cmp(&self, other: &Self) -> Ordering {
        f64::total_cmp(self, other)
    }
}

/// `ndarray.sum()` of a contiguous 1-D array: NumPy's pairwise summation in the array's dtype.
///
/// Below 8 elements a plain loop; up to 128 eight interleaved partial sums combined as a tree;
/// above that the array is split at a multiple of 8 near the middle and both halves recurse.
pub fn pairwise_sum<F: NpFloat>(a: &[F]) -> F {
    F::ZERO + pairwise_block(a)
}

fn pairwise_block<F: NpFloat>(a: &[F]) -> F {
    let n = a.len();
    if n < 8 {
        let mut res = F::ZERO;
        for &v in a {
            res = res + v;
        }
        res
    } else if n <= 128 {
        let mut r = [F::ZERO; 8];
        r.copy_from_slice(&a[..8]);
        let body = n - n % 8;
        for chunk in a[8..body].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc = *acc + v;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[body..] {
            res = res + v;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_block(&a[..half]) + pairwise_block(&a[half..])
    }
}

/// `np.cumsum`: a sequential running sum in the dtype.
pub fn cumsum<F: NpFloat>(a: &[F]) -> Vec<F> {
    let mut acc = F::ZERO;
    let mut out = Vec::with_capacity(a.len());
    for (i, &v) in a.iter().enumerate() {
        acc = if i == 0 { v } else { acc + v };
        out.push(acc);
    }
    out
}

/// NumPy's sort order: ascending with NaN last (a total preorder, so sorting never panics).
pub fn np_order<F: NpFloat>(a: &F, b: &F) -> Ordering {
    a.partial_cmp(b)
        .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

/// `np.sort` of a copy.
pub fn sort<F: NpFloat>(a: &[F]) -> Vec<F> {
    let mut v = a.to_vec();
    if v.iter()
        .all(|x| !(x.is_nan() || (*x == F::ZERO && x.is_sign_negative())))
    {
        // Without NaN and −0.0, IEEE total order is NumPy's order, and faster to sort by.
        v.sort_unstable_by(F::total_cmp);
    } else {
        v.sort_unstable_by(np_order);
    }
    v
}

/// `np.max`: NaN if any element is NaN; `None` for an empty array (NumPy raises).
pub fn max<F: NpFloat>(a: &[F]) -> Option<F> {
    let mut it = a.iter().copied();
    let mut m = it.next()?;
    for v in it {
        if v.is_nan() {
            return Some(v);
        }
        if v > m {
            m = v;
        }
    }
    Some(m)
}

/// `np.quantile(a, q)` for a float32 array and a Python float `q` in [0, 1], method "linear",
/// exactly as NumPy 2.0 evaluates it. `None` for an empty array (NumPy raises).
///
/// NumPy 2 casts `q` to float32, computes the virtual index `(m − 1)·q` in float32, takes
/// `gamma = index − floor(index)` (index clamped to the last element, where NumPy's `gamma` is
/// then `index + 1`, harmless because both neighbours are the same element), and interpolates
/// `a + (b − a)·gamma`, or `b − (b − a)·(1 − gamma)` when `gamma ≥ 0.5`.
pub fn quantile_linear_f32(a: &[f32], q: f64) -> Option<f32> {
    let m = a.len();
    if m == 0 {
        return None;
    }
    let q32 = q as f32;
    let virtual_index = (m - 1) as f32 * q32;
    let floor = libm::floorf(virtual_index);
    let (prev_pos, next_pos, prev_index) =
        if virtual_index.is_nan() || virtual_index >= (m - 1) as f32 {
            (m - 1, m - 1, -1.0f64)
        } else if virtual_index < 0.0 {
            (0, 0, 0.0)
        } else {
            // floor < m − 1 here, so both positions are in range.
            let p = floor as usize;
            (p, p + 1, f64::from(floor))
        };
    let gamma = (f64::from(virtual_index) - prev_index) as f32;
    // Only two order statistics are needed: select them in O(m) instead of sorting.
    let (lo, hi) = if prev_pos == 0 && next_pos <= 1 {
        // The common exclude_quantile = 0 case: the two smallest, in one scan.
        let (lo, second) = two_smallest(a);
        (lo, if next_pos == 0 { lo } else { second })
    } else {
        let mut scratch = a.to_vec();
        let (_, &mut lo, right) = scratch.select_nth_unstable_by(prev_pos, np_order);
        let hi = if next_pos == prev_pos {
            lo
        } else {
            right.iter().copied().min_by(np_order).unwrap_or(lo)
        };
        (lo, hi)
    };
    let diff = hi - lo;
    let value = if gamma >= 0.5 {
        hi - diff * (1.0 - gamma)
    } else {
        lo + diff * gamma
    };
    Some(value)
}

/// The first two elements of `a` in NumPy's sort order (the second is the first again when `a`
/// has one element). `a` is not empty.
fn two_smallest(a: &[f32]) -> (f32, f32) {
    // NumPy's order with NaN last, as plain boolean logic (no Ordering, few branches).
    let less = |v: f32, x: f32| v < x || (x.is_nan() && !v.is_nan());
    let mut lo = a[0];
    if a.len() == 1 {
        return (lo, lo);
    }
    // NaN is last in NumPy's order, so it is the right "nothing yet" for the second smallest:
    // any element replaces it, and a NaN element leaves it a NaN.
    let mut second = f32::NAN;
    for &v in &a[1..] {
        if less(v, lo) {
            second = lo;
            lo = v;
        } else if less(v, second) {
            second = v;
        }
    }
    (lo, second)
}

/// [`round_half_even`] for `0 ≤ x < 2^52` (and NaN/±inf passed through as non-finite): adding
/// and removing 2^52 rounds to an integer in the default nearest-even mode. Branch-free, so
/// loops over it vectorise.
#[inline]
pub fn round_half_even_small(x: f64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    (x + TWO_52) - TWO_52
}

/// Python's `round(x)` for a float: round half to even.
pub fn round_half_even(x: f64) -> f64 {
    // Adding and removing 2^52 rounds to an integer in the current (nearest-even) mode; exact
    // for 0 ≤ x < 2^52, the range of the weight code. libm handles the rest.
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if (0.0..TWO_52).contains(&x) {
        round_half_even_small(x)
    } else {
        libm::rint(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Reference values printed by NumPy 2.0.2: `np.array(a, dtype=np.float32).sum()`.
    #[test]
    fn pairwise_sum_differs_from_naive_like_numpy() {
        // 0.1 repeated 1000 times: naive f32 accumulation gives 99.99905, NumPy 2.0.2 gives 100.000015.
        let a = vec![0.1f32; 1000];
        let naive = a.iter().fold(0.0f32, |s, &v| s + v);
        assert_eq!(naive, 99.99905f32);
        assert_eq!(pairwise_sum(&a), 100.000015f32);
    }

    #[test]
    fn pairwise_small_blocks() {
        let a: Vec<f32> = (1..=20).map(|i| i as f32 / 7.0).collect();
        // Eight interleaved accumulators, then the leftover 4 elements in order.
        let mut r = [0f32; 8];
        r.copy_from_slice(&a[..8]);
        for k in 0..8 {
            r[k] += a[8 + k];
        }
        let mut expect = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[16..] {
            expect += v;
        }
        assert_eq!(pairwise_sum(&a), expect);
    }

    #[test]
    fn cumsum_is_running() {
        assert_eq!(cumsum(&[1.0f32, 2.0, 3.0]), vec![1.0, 3.0, 6.0]);
        assert!(cumsum::<f32>(&[]).is_empty());
    }

    #[test]
    fn sort_puts_nan_last() {
        let s = sort(&[f32::NAN, 2.0, -1.0, f32::INFINITY]);
        assert_eq!(&s[..3], &[-1.0, 2.0, f32::INFINITY]);
        assert!(s[3].is_nan());
    }

    #[test]
    fn max_propagates_nan() {
        assert!(max(&[1.0f32, f32::NAN, 3.0]).unwrap().is_nan());
        assert_eq!(max(&[1.0f32, 3.0, 2.0]), Some(3.0));
        assert_eq!(max::<f32>(&[]), None);
    }

    proptest::proptest! {
        /// The one-scan shortcut for the lowest quantiles equals selecting from a full sort.
        #[test]
        fn low_quantile_shortcut_matches_sorting(
            a in proptest::collection::vec(proptest::prelude::any::<f32>(), 1..200),
        ) {
            let sorted = sort(&a);
            let (lo, second) = two_smallest(&a);
            proptest::prop_assert!(np_order(&lo, &sorted[0]) == Ordering::Equal);
            let s = sorted[1.min(sorted.len() - 1)];
            proptest::prop_assert!(np_order(&second, &s) == Ordering::Equal);
        }
    }

    #[test]
    fn quantile_linear_matches_numpy() {
        // np.quantile(np.array([1,2,3,4], np.float32), 0.5) == 2.5
        assert_eq!(quantile_linear_f32(&[4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        assert_eq!(quantile_linear_f32(&[4.0, 1.0, 3.0, 2.0], 0.0), Some(1.0));
        assert_eq!(quantile_linear_f32(&[4.0, 1.0, 3.0, 2.0], 1.0), Some(4.0));
        assert_eq!(quantile_linear_f32(&[7.0], 0.3), Some(7.0));
        // 0.1 of [0, 10]: index 0.1 (float32), lerp below one half.
        assert_eq!(quantile_linear_f32(&[0.0, 10.0], 0.1), Some(10.0 * 0.1f32));
        assert_eq!(quantile_linear_f32(&[], 0.1), None);
    }

    #[test]
    fn python_round_is_half_even() {
        assert_eq!(round_half_even(0.5), 0.0);
        assert_eq!(round_half_even(1.5), 2.0);
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(-0.5), -0.0);
        assert_eq!(round_half_even(65534.5), 65534.0);
    }
}
