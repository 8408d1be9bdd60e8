//! The stake the epoch weighs each uid by, exactly as the runtime computes it
//! (`get_stake_weights_for_network`, subtensor `staking/stake_utils.rs`, identical at spec 385
//! and 425):
//!
//! ```text
//! tao_weight = U96F32(TaoWeight) / U96F32(u64::MAX)            (get_tao_weight)
//! total_i    = I64F64(alpha_i) + I64F64(tao_i) · I64F64(tao_weight)
//! ```
//!
//! `alpha_i` and `tao_i` are the inherited stakes (`get_inherited_for_hotkey_on_subnet`,
//! `get_tao_inherited_for_hotkey_on_subnet`): the runtime rounds both to integer rao
//! (`saturating_to_num::<u64>()`) before the epoch sees them, and `get_subnet_state` returns
//! exactly those integers as `alpha_stake` and `tao_stake`. So the u64 values of the runtime
//! API reproduce the epoch's I64F64 stake bit for bit; its `total_stake` field does not (it is
//! the I64F64 total truncated to rao).

use alloc::vec::Vec;
use substrate_fixed::types::{I64F64, U96F32};

/// `get_tao_weight`: the global `TaoWeight` as a fraction of `u64::MAX` (U96F32, truncated).
pub fn tao_weight_fraction(tao_weight: u64) -> U96F32 {
    U96F32::saturating_from_num(tao_weight)
        .checked_div(U96F32::saturating_from_num(u64::MAX))
        .unwrap_or_default()
}

/// One uid's epoch stake: `alpha + tao · tao_weight` in I64F64, saturating.
pub fn stake_weight(alpha_stake: u64, tao_stake: u64, tao_weight: u64) -> I64F64 {
    let w = I64F64::saturating_from_num(tao_weight_fraction(tao_weight));
    I64F64::saturating_from_num(alpha_stake)
        .saturating_add(I64F64::saturating_from_num(tao_stake).saturating_mul(w))
}

/// The epoch stake of every uid (`get_stake_weights_for_network`'s `total_stake`); a uid
/// missing from one of the vectors counts 0 there.
pub fn stake_weights(alpha_stake: &[u64], tao_stake: &[u64], tao_weight: u64) -> Vec<I64F64> {
    let w = I64F64::saturating_from_num(tao_weight_fraction(tao_weight));
    let n = alpha_stake.len().max(tao_stake.len());
    (0..n)
        .map(|i| {
            let a = alpha_stake.get(i).copied().unwrap_or(0);
            let t = tao_stake.get(i).copied().unwrap_or(0);
            I64F64::saturating_from_num(a)
                .saturating_add(I64F64::saturating_from_num(t).saturating_mul(w))
        })
        .collect()
}

/// The epoch stake truncated to rao, as `get_subnet_state` reports `total_stake` and as the
/// epoch compares it with `StakeThreshold`.
pub fn stake_weights_rao(alpha_stake: &[u64], tao_stake: &[u64], tao_weight: u64) -> Vec<u64> {
    stake_weights(alpha_stake, tao_stake, tao_weight)
        .into_iter()
        .map(|s| s.saturating_to_num::<u64>())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tao_weight_is_a_fraction_of_u64_max() {
        assert_eq!(tao_weight_fraction(0), U96F32::from_num(0));
        assert_eq!(tao_weight_fraction(u64::MAX), U96F32::from_num(1));
        // The runtime's default (SubtensorInitialTaoWeight) ≈ 5.27 %.
        let w = tao_weight_fraction(971_718_665_099_567_868).to_num::<f64>();
        assert!((w - 0.052_676_974).abs() < 1e-8, "{w}");
    }

    #[test]
    fn total_is_alpha_plus_weighted_tao() {
        assert_eq!(stake_weight(5, 0, u64::MAX), I64F64::from_num(5));
        assert_eq!(stake_weight(5, 7, u64::MAX), I64F64::from_num(12));
        assert_eq!(stake_weight(5, 7, 0), I64F64::from_num(5));
        // Half weight: u64::MAX / 2 is just under 0.5, so 1000 TAO rao count 499.99…
        let s = stake_weight(0, 1000, u64::MAX / 2);
        assert!(
            s < I64F64::from_num(500) && s > I64F64::from_num(499.99),
            "{s}"
        );
        assert_eq!(stake_weights_rao(&[0], &[1000], u64::MAX / 2), [499]);
        assert_eq!(
            stake_weights(&[1, 2], &[3], u64::MAX),
            [I64F64::from_num(4), I64F64::from_num(2)]
        );
    }

    #[test]
    fn large_stakes_do_not_overflow() {
        // The whole supply (2.1e16 rao) in both parts fits I64F64.
        let s = stake_weight(21_000_000_000_000_000, 21_000_000_000_000_000, u64::MAX);
        assert_eq!(s.saturating_to_num::<u64>(), 42_000_000_000_000_000);
        // Values above i64::MAX saturate instead of wrapping.
        assert_eq!(stake_weight(u64::MAX, 0, 0), I64F64::max_value());
    }
}
