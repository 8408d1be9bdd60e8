//! How concentrated a distribution is (incentive, emission): the Gini coefficient and the
//! share of the largest ten values. Computed on the chain's integers, exactly in u128/i128,
//! and only divided at the end.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// A distribution's concentration.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Concentration {
    /// The Gini coefficient over every value: 0 when all are equal, → 1 when one holds all
    /// (0 for an empty or all-zero population).
    pub gini: f64,
    /// The share of the total held by the ten largest values (0 when the total is 0).
    pub top10_share: f64,
    /// How many values were counted.
    pub count: usize,
    /// How many of them are non-zero.
    pub nonzero: usize,
}

/// The Gini coefficient of `values`: `Σ_i Σ_j |x_i − x_j| / (2 n Σ x)`, computed as
/// `(2 Σ_k k·x_(k) − (n + 1) Σ x) / (n Σ x)` over the values sorted ascending (k from 1).
pub fn gini(values: &[u64]) -> f64 {
    let n = values.len();
    let total: u128 = values.iter().map(|&v| u128::from(v)).sum();
    if n == 0 || total == 0 {
        return 0.0;
    }
    let mut sorted: Vec<u64> = values.to_vec();
    sorted.sort_unstable();
    let weighted: u128 = sorted
        .iter()
        .enumerate()
        .map(|(k, &v)| (k as u128 + 1) * u128::from(v))
        .sum();
    let n128 = n as u128;
    let num = (2 * weighted) as i128 - ((n128 + 1) * total) as i128;
    num as f64 / (n128 * total) as f64
}

/// The share of the total held by the `k` largest values (0 when the total is 0).
pub fn top_share(values: &[u64], k: usize) -> f64 {
    let total: u128 = values.iter().map(|&v| u128::from(v)).sum();
    if total == 0 {
        return 0.0;
    }
    let mut sorted: Vec<u64> = values.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let top: u128 = sorted.iter().take(k).map(|&v| u128::from(v)).sum();
    top as f64 / total as f64
}

/// Gini and top-10 share of `values`.
pub fn concentration(values: &[u64]) -> Concentration {
    Concentration {
        gini: gini(values),
        top10_share: top_share(values, 10),
        count: values.len(),
        nonzero: values.iter().filter(|&&v| v > 0).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_flat_and_one_holder_is_concentrated() {
        assert_eq!(gini(&[5, 5, 5, 5]), 0.0);
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0, 0]), 0.0);
        // One of n holds everything: (n − 1) / n.
        assert!((gini(&[0, 0, 0, 9]) - 0.75).abs() < 1e-12);
        // 1, 2, 3, 4: Σ|xi − xj| = 20, 2 n Σx = 80.
        assert!((gini(&[4, 1, 3, 2]) - 0.25).abs() < 1e-12);
        // Large values do not overflow.
        assert!((gini(&[u64::MAX, 0]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn top_ten_share() {
        let values: Vec<u64> = (1..=20).collect();
        // 11 + … + 20 = 155 of 210.
        assert!((top_share(&values, 10) - 155.0 / 210.0).abs() < 1e-12);
        assert_eq!(top_share(&[3, 1], 10), 1.0);
        assert_eq!(top_share(&[0, 0], 10), 0.0);
        let c = concentration(&[0, 65535, 0, 0]);
        assert_eq!((c.count, c.nonzero, c.top10_share), (4, 1, 1.0));
        assert!((c.gini - 0.75).abs() < 1e-12);
    }
}
