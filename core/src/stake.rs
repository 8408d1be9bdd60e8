//! The stake the epoch weighs each uid by, exactly as the runtime computes it
//! (`get_stake_weights_for_network`, subtensor `staking/stake_utils.rs`, identical at spec 385
//! and 425):
//!
//! ```text
//! tao_weight = U96F32(TaoWeight) / U96F32(u64::MAX)            (get_tao_weight)
//! total_i    = I64F64(alpha_i) + I64F64(tao_i) · I64F64(tao_weight)
//! ```
//!
//! `alpha_i` and `tao_i` are the inherited stakes ([`inherited`]:
//! `get_inherited_for_hotkey_on_subnet`, `get_tao_inherited_for_hotkey_on_subnet`, identical
//! at 385 and 425): the runtime rounds both to integer rao
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

/// A child key's or parent key's proportion (of `u64::MAX`) as the runtime normalises it.
fn proportion(p: u64) -> U96F32 {
    U96F32::saturating_from_num(p)
        .checked_div(U96F32::saturating_from_num(u64::MAX))
        .unwrap_or_default()
}

/// A hotkey's inherited stake on a subnet, in rao, as the runtime computes it in U96F32
/// (`get_inherited_for_hotkey_on_subnet` for α on the subnet; for TAO,
/// `get_tao_inherited_for_hotkey_on_subnet` with root stakes and the subnet's child keys):
///
/// ```text
/// own − Σ_children own · p_c + Σ_parents parent_own · p_p      (p = proportion / u64::MAX)
/// ```
///
/// `children`: the proportions the hotkey gives each child (`ChildKeys`); `parents`: each
/// parent's proportion to this hotkey (`ParentKeys`) and that parent's own stake. On the root
/// subnet the runtime takes α without inheritance: pass no children and no parents.
pub fn inherited(own: u64, children: &[u64], parents: &[(u64, u64)]) -> u64 {
    let initial = U96F32::saturating_from_num(own);
    let to_children = children.iter().fold(U96F32::from_num(0), |sum, &p| {
        sum.saturating_add(initial.saturating_mul(proportion(p)))
    });
    let from_parents = parents
        .iter()
        .fold(U96F32::from_num(0), |sum, &(p, parent)| {
            sum.saturating_add(U96F32::saturating_from_num(parent).saturating_mul(proportion(p)))
        });
    initial
        .saturating_sub(to_children)
        .saturating_add(from_parents)
        .saturating_to_num::<u64>()
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
    fn inheritance_moves_stake_from_parents_to_children() {
        // No keys: the own stake.
        assert_eq!(inherited(1_000, &[], &[]), 1_000);
        // All of it to a child, and the child's view of it.
        assert_eq!(inherited(1_000, &[u64::MAX], &[]), 0);
        assert_eq!(inherited(0, &[], &[(u64::MAX, 1_000)]), 1_000);
        // Half: u64::MAX / 2 is just under 0.5, so the parent keeps just over half (500 after
        // truncation) and the child just under (499).
        assert_eq!(inherited(1_000, &[u64::MAX / 2], &[]), 500);
        assert_eq!(inherited(0, &[], &[(u64::MAX / 2, 1_000)]), 499);
        // A hotkey both lends and borrows.
        assert_eq!(
            inherited(
                2_000_000_000,
                &[u64::MAX / 4],
                &[(u64::MAX / 10, 3_000_000_000)]
            ),
            1_800_000_000
        );
        // Proportions over the whole cannot take more than the hotkey holds.
        assert_eq!(inherited(10, &[u64::MAX, u64::MAX], &[]), 0);
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
