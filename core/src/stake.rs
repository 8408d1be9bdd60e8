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
//!
//! Spec 475 suspends child links ([`links_in_force`]): a parent whose total stake fell below
//! `StakeThreshold` is listed in `ChildkeyThresholdSuspended`, and its links then move no
//! stake (its children inherit nothing from it, it keeps its own), except on the subnet whose
//! owner hotkey it is. The arithmetic of [`inherited`] is unchanged.

use alloc::vec::Vec;
use substrate_fixed::types::{I64F64, U96F32};

use crate::yuma::Runtime;

/// Whether a parent's child links count on a subnet (`get_children` / `get_parents`, which
/// skip the links of a parent for which `childkeys_suspended` holds; spec 475,
/// staking/set_children.rs at coldint/subtensor@786d31bd): always before spec 475; at 475
/// unless the parent is in `ChildkeyThresholdSuspended` and is not the subnet's
/// `SubnetOwnerHotkey`. A hotkey's children are dropped when it is itself suspended, and its
/// parents one by one by each parent's flag (its own flag does not matter there).
pub fn links_in_force(runtime: Runtime, parent_suspended: bool, parent_owns_subnet: bool) -> bool {
    !(runtime.is_475() && parent_suspended && !parent_owns_subnet)
}

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

    /// The suspension rule of spec 475, from the runtime's own tests
    /// (coldint/subtensor@02214123 pallets/subtensor/src/tests/children.rs): the maps are built
    /// directly and the links in force and the inherited stakes asserted as the tests assert
    /// them through `get_children`, `get_parents` and `get_inherited_for_hotkey_on_subnet`.
    #[test]
    fn runtime_475_suspended_parents_pass_no_stake_except_on_their_own_subnet() {
        const TAO: u64 = 1_000_000_000;
        // test_live_children_suspended_when_parent_falls_below_threshold: ChildKeys[parent] =
        // [(MAX, child)], ParentKeys[child] = [(MAX, parent)].
        let (parent_own, child_own) = (1_200 * TAO, 7 * TAO);
        let view = |rt: Runtime, suspended: bool, owner: bool| {
            let in_force = links_in_force(rt, suspended, owner);
            let children: &[u64] = if in_force { &[u64::MAX] } else { &[] };
            let parents: &[(u64, u64)] = if in_force {
                &[(u64::MAX, parent_own)]
            } else {
                &[]
            };
            (
                inherited(parent_own, children, &[]),
                inherited(child_own, &[], parents),
            )
        };
        // While the parent qualifies, the child inherits (> 0) and the parent lends it all.
        let (parent, child) = view(Runtime::Spec475, false, false);
        assert!(child > 0, "child inherits while the parent qualifies");
        assert_eq!((parent, child), (0, child_own + parent_own));
        // Suspended: get_children(parent) = [] and get_parents(child) = [], so each keeps
        // exactly its own stake ("inherited == own" for both).
        assert_eq!(view(Runtime::Spec475, true, false), (parent_own, child_own));
        // The subnet owner hotkey keeps its children on its own subnet while suspended.
        assert_eq!(
            view(Runtime::Spec475, true, true),
            (0, child_own + parent_own)
        );
        // test_childkey_suspension_covers_all_subnets_except_owned: one flag hides the links on
        // every subnet the parent does not own, and only there.
        for owns in [false, true] {
            assert_eq!(links_in_force(Runtime::Spec475, true, owns), owns);
        }
        // Before spec 475 the flag does not exist: every link counts.
        for rt in [Runtime::Spec385, Runtime::Spec397, Runtime::Spec425] {
            assert!(links_in_force(rt, true, false));
            assert_eq!(view(rt, true, false), (0, child_own + parent_own));
        }
    }

    /// test_childkey_suspension_leaves_other_parents_untouched (same file): three "uppers"
    /// each parent both `parent` and `child` with u64::MAX / 2, and `parent` parents `child`
    /// with u64::MAX. Suspending `parent` hides only its own edge: `get_children(parent)` is
    /// empty, `child` keeps its three other parents, the uppers' children are unchanged, and
    /// `parent` still has its three parents (a suspended hotkey still receives).
    #[test]
    fn runtime_475_a_suspended_parent_leaves_the_other_parents() {
        let rt = Runtime::Spec475;
        let (parent, child) = (2_000u32, 2_002u32);
        let uppers = [3_001u32, 3_002, 3_003];
        // ChildKeys as stored: (parent hotkey, proportion, child hotkey).
        let mut links: Vec<(u32, u64, u32)> = Vec::new();
        for &u in &uppers {
            links.push((u, u64::MAX / 2, parent));
            links.push((u, u64::MAX / 2, child));
        }
        links.push((parent, u64::MAX, child));
        let suspended = |hk: u32| hk == parent;
        let children_of = |hk: u32, s: &dyn Fn(u32) -> bool| -> Vec<(u64, u32)> {
            if !links_in_force(rt, s(hk), false) {
                return Vec::new();
            }
            links
                .iter()
                .filter(|l| l.0 == hk)
                .map(|l| (l.1, l.2))
                .collect()
        };
        let parents_of = |hk: u32, s: &dyn Fn(u32) -> bool| -> Vec<(u64, u32)> {
            links
                .iter()
                .filter(|l| l.2 == hk && links_in_force(rt, s(l.0), false))
                .map(|l| (l.1, l.0))
                .collect()
        };
        let none = |_: u32| false;
        assert_eq!(parents_of(parent, &none).len(), 3);
        assert_eq!(parents_of(child, &none).len(), 4);
        assert!(children_of(parent, &suspended).is_empty());
        let child_parents = parents_of(child, &suspended);
        assert_eq!(child_parents.len(), 3);
        assert!(child_parents.iter().all(|&(_, who)| who != parent));
        for &u in &uppers {
            assert_eq!(
                children_of(u, &suspended),
                [(u64::MAX / 2, parent), (u64::MAX / 2, child)],
                "other parents' edges are unaffected"
            );
        }
        assert_eq!(parents_of(parent, &suspended).len(), 3);
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
