//! Deregistration: which uid the chain replaces when a registration arrives on a full subnet,
//! the order it would go on in, and each uid's immunity countdown.
//!
//! The rule is the runtime's `get_neuron_to_prune` (pallets/subtensor/src/subnets/
//! registration.rs at spec 425, opentensor/subtensor@14bc6f9f), read top to bottom:
//! 1. The **owner-immortal** hotkeys are skipped entirely (`get_immune_owner_hotkeys`): the
//!    subnet owner coldkey's hotkeys registered here (`OwnedHotkeys[SubnetOwner]` with a uid
//!    in `Uids`), oldest `BlockAtRegistration` first (then lowest uid), the first
//!    `ImmuneOwnerUidsLimit` of them; `SubnetOwnerHotkey`'s uid is put first when it is not
//!    among them, and the list is cut to the limit again.
//! 2. Every other uid is **immune** while `current_block − BlockAtRegistration <
//!    ImmunityPeriod` (`get_neuron_is_immune`), else free.
//! 3. Of each group the candidate is the lowest `Emission`, then the oldest registration,
//!    then the lowest uid.
//! 4. A free uid is taken when more than `MinNonImmuneUids` free uids remain; otherwise the
//!    immune candidate — and when there is none, nothing (`None`: the registration fails).
//!
//! Spec 475: the selection is the same (coldint/subtensor@26baf877, a later commit of the same
//! line; the file at 02214123 is not stored). Only step 1 enumerates the owner's hotkeys
//! differently there — the subnet's uids whose hotkey's `Owner` is the subnet owner, instead
//! of `OwnedHotkeys` — which names the same hotkeys on a chain where both maps agree.
//!
//! [`pruning_order`] extends the rule to a full order: the uid `get_neuron_to_prune` returns
//! now, then the one it would return with that uid gone, and so on (a free uid taken lowers
//! the free count). It is the order at this block: every registration, epoch and block that
//! passes changes emissions and immunity.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::metagraph::{AccountId, Metagraph};

/// The subnet's registration settings the rule reads besides the metagraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRules {
    /// `MinNonImmuneUids[netuid]` (default 10): the floor of free uids.
    pub min_non_immune_uids: u16,
    /// `ImmuneOwnerUidsLimit[netuid]` (default 1): how many owner hotkeys are immortal.
    pub immune_owner_uids_limit: u16,
    /// `OwnedHotkeys[SubnetOwner[netuid]]`: the subnet owner coldkey's hotkeys, in the
    /// chain's order.
    pub owner_hotkeys: Vec<AccountId>,
}

impl Default for RegistrationRules {
    /// The runtime's defaults (`DefaultMinNonImmuneUids`, `DefaultImmuneOwnerUidsLimit`).
    fn default() -> Self {
        Self {
            min_non_immune_uids: 10,
            immune_owner_uids_limit: 1,
            owner_hotkeys: Vec::new(),
        }
    }
}

/// `get_neuron_is_immune`: registered fewer than `immunity_period` blocks before `block`.
pub fn get_neuron_is_immune(block: u64, block_at_registration: u64, immunity_period: u16) -> bool {
    block.saturating_sub(block_at_registration) < u64::from(immunity_period)
}

/// Blocks of immunity left at `block` (0 once the uid is no longer immune).
pub fn immunity_blocks_left(block: u64, block_at_registration: u64, immunity_period: u16) -> u64 {
    (block_at_registration.saturating_add(u64::from(immunity_period))).saturating_sub(block)
}

/// `get_immune_owner_uids`: the owner-immortal uids, in the chain's order.
pub fn get_immune_owner_uids(mg: &Metagraph, rules: &RegistrationRules) -> Vec<u16> {
    let limit = usize::from(rules.immune_owner_uids_limit);
    let mut triples: Vec<(u64, u16)> = rules
        .owner_hotkeys
        .iter()
        .filter_map(|hk| mg.uid_of(hk))
        .map(|uid| (block_at_registration(mg, uid), uid))
        .collect();
    triples.sort();
    triples.truncate(limit);
    let mut uids: Vec<u16> = triples.into_iter().map(|(_, uid)| uid).collect();
    if let Some(owner_uid) = mg.owner_hotkey.as_ref().and_then(|hk| mg.uid_of(hk)) {
        if !uids.contains(&owner_uid) {
            uids.insert(0, owner_uid);
            uids.truncate(limit);
        }
    }
    uids
}

/// Where one uid stands in the pruning order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PruneRank {
    /// An owner-immortal hotkey: never pruned.
    OwnerImmortal,
    /// Pruned as the `n`-th (1 = the next registration on a full subnet replaces it).
    Place(u16),
    /// Not pruned while the floor of free uids (`MinNonImmuneUids`) holds and no immune uid
    /// is left to take instead.
    Floor,
}

/// One uid's deregistration risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneRisk {
    /// The uid.
    pub uid: u16,
    /// Its place in the order.
    pub rank: PruneRank,
    /// Immune at this block (`get_neuron_is_immune`).
    pub immune: bool,
    /// Blocks of immunity left.
    pub immunity_left: u64,
}

/// The chain's order of comparison: lowest emission, oldest registration, lowest uid.
fn key(mg: &Metagraph, uid: u16) -> (u64, u64, u16) {
    let emission = mg.neurons.get(usize::from(uid)).map_or(0, |n| n.emission);
    (emission, block_at_registration(mg, uid), uid)
}

fn block_at_registration(mg: &Metagraph, uid: u16) -> u64 {
    mg.neurons
        .get(usize::from(uid))
        .map_or(0, |n| n.block_at_registration)
}

/// `get_neuron_to_prune` at the metagraph's block: the uid a registration on a full subnet
/// replaces, or `None` (no candidate, or only free uids at the floor).
pub fn get_neuron_to_prune(mg: &Metagraph, rules: &RegistrationRules) -> Option<u16> {
    pruning_order(mg, rules)
        .into_iter()
        .find_map(|r| match r.rank {
            PruneRank::Place(1) => Some(r.uid),
            _ => None,
        })
}

/// Every uid's place in the pruning order and its immunity countdown, by uid.
pub fn pruning_order(mg: &Metagraph, rules: &RegistrationRules) -> Vec<PruneRisk> {
    let block = mg.block;
    let period = mg.hyperparams.immunity_period;
    let immortal = get_immune_owner_uids(mg, rules);
    let mut risks: Vec<PruneRisk> = mg
        .neurons
        .iter()
        .map(|n| PruneRisk {
            uid: n.uid,
            rank: PruneRank::Floor,
            immune: get_neuron_is_immune(block, n.block_at_registration, period),
            immunity_left: immunity_blocks_left(block, n.block_at_registration, period),
        })
        .collect();
    let mut free: Vec<(u64, u64, u16)> = Vec::new();
    let mut immune: Vec<(u64, u64, u16)> = Vec::new();
    for r in &mut risks {
        if immortal.contains(&r.uid) {
            r.rank = PruneRank::OwnerImmortal;
        } else if r.immune {
            immune.push(key(mg, r.uid));
        } else {
            free.push(key(mg, r.uid));
        }
    }
    free.sort_unstable();
    immune.sort_unstable();
    let (mut next_free, mut next_immune) = (free.iter(), immune.iter());
    let mut free_count = free.len();
    let floor = usize::from(rules.min_non_immune_uids);
    let mut place: u16 = 0;
    loop {
        let take = if free_count > floor {
            free_count -= 1;
            next_free.next()
        } else {
            next_immune.next()
        };
        let Some(&(_, _, uid)) = take else { break };
        place = place.saturating_add(1);
        if let Some(r) = risks.get_mut(usize::from(uid)) {
            r.rank = PruneRank::Place(place);
        }
    }
    risks
}

#[cfg(test)]
mod tests {
    //! Ported from the runtime's own tests (opentensor/subtensor@14bc6f9f, spec 425):
    //! pallets/subtensor/src/tests/uids.rs and tests/registration.rs. Each sets up the
    //! storage the rule reads and asserts what `get_neuron_to_prune` returns.
    use super::*;
    use crate::metagraph::Neuron;
    use alloc::vec;

    fn key_of(n: u8) -> AccountId {
        [n; 32]
    }

    /// A subnet at `block` with neurons `(hotkey, block_at_registration, emission)`.
    fn subnet(block: u64, immunity_period: u16, neurons: &[(u8, u64, u64)]) -> Metagraph {
        let mut mg = Metagraph {
            block,
            ..Metagraph::default()
        };
        mg.hyperparams.immunity_period = immunity_period;
        mg.neurons = neurons
            .iter()
            .enumerate()
            .map(|(uid, &(hk, reg, emission))| Neuron {
                uid: uid as u16,
                hotkey: key_of(hk),
                block_at_registration: reg,
                emission,
                ..Neuron::default()
            })
            .collect();
        mg
    }

    fn rules(min_free: u16, limit: u16, owner_hotkeys: &[u8]) -> RegistrationRules {
        RegistrationRules {
            min_non_immune_uids: min_free,
            immune_owner_uids_limit: limit,
            owner_hotkeys: owner_hotkeys.iter().map(|&k| key_of(k)).collect(),
        }
    }

    /// uids.rs `test_get_neuron_to_prune_owner_not_pruned`: the owner (uid 0, emission 0) is
    /// immortal with limit 1; the lowest emission among the others (uid 1) goes.
    #[test]
    fn owner_not_pruned() {
        let mut mg = subnet(1, 0, &[(123, 0, 0), (10, 0, 1), (11, 1, 2)]);
        mg.owner_hotkey = Some(key_of(123));
        let r = rules(0, 1, &[123]);
        assert_eq!(get_neuron_to_prune(&mg, &r), Some(1));
    }

    /// uids.rs `test_get_neuron_to_prune_owner_pruned_if_not_in_sn_owner_hotkey_map`: two
    /// owner hotkeys, limit 1: the one in `SubnetOwnerHotkey` is immortal, the other goes.
    #[test]
    fn owner_pruned_if_not_the_owner_hotkey() {
        // owner_hotkey 123 at uid 0 (reg 0), other owner hotkey 45 at uid 1 (reg 0).
        let neurons = [(123, 0, 0), (45, 0, 1), (10, 1, 2), (11, 2, 3)];
        let mut mg = subnet(3, 0, &neurons);
        mg.owner_hotkey = Some(key_of(123));
        let r = rules(0, 1, &[123, 45]);
        assert_eq!(get_neuron_to_prune(&mg, &r), Some(1), "case 1");
        mg.owner_hotkey = Some(key_of(45));
        assert_eq!(get_neuron_to_prune(&mg, &r), Some(0), "case 2");
    }

    /// uids.rs `test_prune_respects_min_non_immune_floor_prefers_immune`: three free uids at
    /// a floor of 3 and one immune: the immune one (uid 3) goes.
    #[test]
    fn floor_prefers_immune() {
        // Registered at blocks 1, 2, 3; immunity 1000; now 1009; uid 3 registered at 1009.
        let mg = subnet(1009, 1000, &[(1, 1, 0), (2, 2, 0), (3, 3, 0), (4, 1009, 0)]);
        let r = rules(3, 0, &[]);
        assert_eq!(get_neuron_to_prune(&mg, &r), Some(3));
        let order = pruning_order(&mg, &r);
        assert!(order[..3].iter().all(|x| x.rank == PruneRank::Floor));
        assert_eq!(order[3].immunity_left, 1000);
    }

    /// uids.rs `test_prune_tie_breakers_non_immune_emission_block_uid`: equal emissions, the
    /// earliest registration goes.
    #[test]
    fn tie_breaks_by_registration_block() {
        let mg = subnet(3, 0, &[(1, 0, 10), (2, 1, 10), (3, 2, 10)]);
        let r = rules(0, 0, &[]);
        assert_eq!(get_neuron_to_prune(&mg, &r), Some(0));
        let places: Vec<PruneRank> = pruning_order(&mg, &r).iter().map(|x| x.rank).collect();
        assert_eq!(
            places,
            vec![
                PruneRank::Place(1),
                PruneRank::Place(2),
                PruneRank::Place(3)
            ]
        );
    }

    /// uids.rs `test_prune_all_owner_immortal_returns_none`.
    #[test]
    fn all_owner_immortal_is_none() {
        let mg = subnet(0, 0, &[(1, 0, 0), (2, 0, 0), (3, 0, 0)]);
        let r = rules(10, 10, &[1, 2, 3]);
        assert_eq!(get_neuron_to_prune(&mg, &r), None);
        assert!(pruning_order(&mg, &r)
            .iter()
            .all(|x| x.rank == PruneRank::OwnerImmortal));
    }

    /// registration.rs `test_registration_get_uid_to_prune_all_in_immunity_period`: both
    /// immune, the lower emission (uid 0) goes.
    #[test]
    fn all_immune_lowest_emission() {
        let mg = subnet(1, 2, &[(0, 0, 100), (1, 1, 110)]);
        assert_eq!(get_neuron_to_prune(&mg, &rules(0, 0, &[])), Some(0));
    }

    /// registration.rs `test_registration_get_uid_to_prune_none_in_immunity_period`.
    #[test]
    fn none_immune_lowest_emission() {
        let mg = subnet(4, 2, &[(0, 0, 100), (1, 1, 110)]);
        let order = pruning_order(&mg, &rules(0, 0, &[]));
        assert_eq!(get_neuron_to_prune(&mg, &rules(0, 0, &[])), Some(0));
        assert!(order.iter().all(|x| !x.immune && x.immunity_left == 0));
    }

    /// registration.rs `test_registration_get_uid_to_prune_owner_immortality`: limit 1 → the
    /// other owner hotkey (uid 1) goes; limit 2 → both immortal, the non-owner (uid 2) goes.
    #[test]
    fn owner_immortality_limits() {
        // uid 0 owner hotkey 1 (reg 0), uid 1 other owner hotkey 2 (reg 1), uid 2 hotkey 3
        // (reg 2); immunity 1, now block 10; emissions 0, 0, 1.
        let mut mg = subnet(10, 1, &[(1, 0, 0), (2, 1, 0), (3, 2, 1)]);
        mg.owner_hotkey = Some(key_of(1));
        for (limit, expected) in [(1, 1), (2, 2)] {
            let r = rules(0, limit, &[1, 2]);
            assert_eq!(
                get_neuron_to_prune(&mg, &r),
                Some(expected),
                "limit {limit}"
            );
        }
    }

    /// registration.rs `test_registration_get_uid_to_prune_owner_immortality_all_immune`:
    /// registered at 12, 11, 10 with immunity 100, limit 2: the two owner hotkeys are
    /// immortal, uid 2 goes.
    #[test]
    fn owner_immortality_all_immune() {
        let mut mg = subnet(21, 100, &[(1, 12, 0), (2, 11, 0), (3, 10, 1)]);
        mg.owner_hotkey = Some(key_of(1));
        assert_eq!(get_neuron_to_prune(&mg, &rules(0, 2, &[1, 2])), Some(2));
    }

    #[test]
    fn the_floor_without_immune_uids_prunes_nothing() {
        // As the runtime: free uids at the floor and no immune candidate → None.
        let mg = subnet(100, 1, &[(1, 0, 0), (2, 0, 0)]);
        assert_eq!(get_neuron_to_prune(&mg, &rules(2, 0, &[])), None);
        assert_eq!(get_neuron_to_prune(&mg, &rules(1, 0, &[])), Some(0));
    }
}
