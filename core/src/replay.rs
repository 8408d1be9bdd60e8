//! Replaying the chain's last epoch: run [`crate::yuma::epoch_with_mechanisms`] on the state
//! the epoch read (the block before it) and compare, value by value, with what the chain
//! stored at the epoch block: `Active`, `Emission`, `Consensus`, `Dividends`,
//! `ValidatorTrust`, `ValidatorPermit`, `StakeWeight` at `[netuid]`, and `Incentive[idx]`,
//! `Bonds[idx]` per mechanism.
//!
//! Equal zeros prove nothing: a value that is zero on both sides is counted apart
//! (`zero_uids`), never as a match, and a replay whose core consensus, incentive and dividends
//! are all zero reports `nothing_to_compare` instead of a match.
//!
//! A Null subnet (spec 475) is replayed with the Null rules (the input's `epoch_consensus`):
//! its consensus and trust are zero on both sides, its bonds stay as stored, and the budgets it
//! paid from are found from the stored emissions ([`null_budgets`]).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::metagraph::{Metagraph, Neuron};
use crate::yuma::{
    epoch_with_mechanisms, EmissionBudgets, EpochConsensus, EpochError, SubnetEpochInput,
    SubnetEpochOutput,
};

/// What the chain stored for one mechanism at the epoch block (None: not read, not compared).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredMechanism {
    /// `Incentive[idx]`.
    pub incentive: Option<Vec<u16>>,
    /// `Bonds[idx][uid]` for uid 0..n.
    pub bonds: Option<Vec<Vec<(u16, u16)>>>,
}

/// What the chain stored at the epoch block (None: not read, not compared).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredEpoch {
    /// `Active[netuid]`.
    pub active: Option<Vec<bool>>,
    /// `Emission[netuid]`.
    pub emission: Option<Vec<u64>>,
    /// `Consensus[netuid]`.
    pub consensus: Option<Vec<u16>>,
    /// `Dividends[netuid]`.
    pub dividends: Option<Vec<u16>>,
    /// `ValidatorTrust[netuid]`.
    pub validator_trust: Option<Vec<u16>>,
    /// `ValidatorPermit[netuid]`.
    pub validator_permit: Option<Vec<bool>>,
    /// `StakeWeight[netuid]`.
    pub stake_weight: Option<Vec<u16>>,
    /// Per mechanism 0..`MechanismCountCurrent`.
    pub mechanisms: Vec<StoredMechanism>,
}

/// One stored vector, the chain's and ours (u16 and bool values widened to u64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The storage item, e.g. `consensus`, `incentive[1]`, `validator_permit`.
    pub name: String,
    /// What the chain stored at the epoch block.
    pub chain: Vec<u64>,
    /// What the core computes from the state before it.
    pub ours: Vec<u64>,
    /// Uids where they differ (a value missing on one side differs).
    pub differing_uids: Vec<u16>,
    /// Uids where they are equal and non-zero: the matches.
    pub matching_uids: Vec<u16>,
    /// Uids where both are zero: nothing to compare there.
    pub zero_uids: Vec<u16>,
}

/// One mechanism's bonds, the chain's against ours, row by row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BondsComparison {
    /// The mechanism.
    pub mechanism: u8,
    /// Rows that differ.
    pub differing_uids: Vec<u16>,
    /// Rows that are equal and non-empty.
    pub matching_uids: Vec<u16>,
    /// Rows empty on both sides.
    pub empty_uids: Vec<u16>,
}

/// The chain's epoch against the core's, at one epoch block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// The block the epoch ran in.
    pub epoch_block: u64,
    /// The stored vectors, compared value by value.
    pub columns: Vec<Column>,
    /// Uids whose validator permit differs after the epoch.
    pub permit_differing_uids: Vec<u16>,
    /// Uids whose bond row differs in some mechanism.
    pub bonds_differing_uids: Vec<u16>,
    /// Per mechanism, the bond rows compared.
    pub bonds: Vec<BondsComparison>,
    /// Storage items the caller did not provide, so not compared.
    pub not_compared: Vec<String>,
    /// True when the chain's consensus, incentive and dividends are all zero while the core's
    /// are not: the chain did not run Yuma (a mock epoch, or no epoch yet).
    pub chain_all_zero: bool,
    /// True when the core's consensus, incentive and dividends are all zero too (no validator
    /// weights counted in this epoch): equal zeros prove nothing, so there is nothing to compare.
    pub nothing_to_compare: bool,
    /// The core's full output.
    pub ours: SubnetEpochOutput,
    /// The alpha (rao) the epoch distributed, as the replay took it.
    #[serde(default)]
    pub rao_emission: u64,
    /// True when that total was found as the one that reproduces every stored emission (see
    /// [`distributed_emission`]); false when it was given, or none was found.
    #[serde(default)]
    pub rao_emission_found: bool,
    /// The epoch's consensus rule (spec 475: Yuma or Null).
    #[serde(default)]
    pub epoch_consensus: EpochConsensus,
    /// On a Null subnet, the budgets the miners and validators were paid from, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_budgets: Option<EmissionBudgets>,
}

impl Replay {
    /// True when every compared value is equal, at least one consensus, incentive or
    /// dividend value matched non-zero, and there was something to compare.
    pub fn matches(&self) -> bool {
        let yuma_match = self.columns.iter().any(|c| {
            (c.name == "consensus" || c.name == "dividends" || c.name.starts_with("incentive"))
                && !c.matching_uids.is_empty()
        });
        !self.nothing_to_compare
            && yuma_match
            && self.columns.iter().all(|c| c.differing_uids.is_empty())
            && self.bonds.iter().all(|b| b.differing_uids.is_empty())
    }
}

fn uid(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn column(name: String, chain: Vec<u64>, ours: Vec<u64>) -> Column {
    let n = chain.len().max(ours.len());
    let (mut differing_uids, mut matching_uids, mut zero_uids) =
        (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        match (chain.get(i), ours.get(i)) {
            (Some(0), Some(0)) => zero_uids.push(uid(i)),
            (Some(a), Some(b)) if a == b => matching_uids.push(uid(i)),
            _ => differing_uids.push(uid(i)),
        }
    }
    Column {
        name,
        chain,
        ours,
        differing_uids,
        matching_uids,
        zero_uids,
    }
}

fn wide<T: Copy + Into<u64>>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| x.into()).collect()
}

fn flags(v: &[bool]) -> Vec<u64> {
    v.iter().map(|&b| u64::from(b)).collect()
}

fn all_zero(v: &[u64]) -> bool {
    v.iter().all(|&x| x == 0)
}

/// Runs the epoch of `epoch_block` on `input` (the state the epoch read, see
/// [`SubnetEpochInput`]) and compares it with `stored` (what the chain stored at
/// `epoch_block`).
pub fn replay(
    epoch_block: u64,
    input: &SubnetEpochInput,
    stored: &StoredEpoch,
) -> Result<Replay, EpochError> {
    let ours = epoch_with_mechanisms(input)?;
    let mut columns = Vec::new();
    let mut not_compared = Vec::new();
    let mut add = |name: &str, chain: Option<Vec<u64>>, mine: Vec<u64>| match chain {
        Some(chain) => columns.push(column(name.to_string(), chain, mine)),
        None => not_compared.push(name.to_string()),
    };
    add(
        "consensus",
        stored.consensus.as_deref().map(wide),
        wide(&ours.consensus),
    );
    for (m, out) in ours.mechanisms.iter().enumerate() {
        let chain = stored
            .mechanisms
            .get(m)
            .and_then(|s| s.incentive.as_deref())
            .map(wide);
        add(&format!("incentive[{m}]"), chain, wide(&out.incentive));
    }
    add(
        "dividends",
        stored.dividends.as_deref().map(wide),
        wide(&ours.dividends),
    );
    add(
        "validator_trust",
        stored.validator_trust.as_deref().map(wide),
        wide(&ours.validator_trust),
    );
    add("emission", stored.emission.clone(), ours.emission.clone());
    add(
        "stake_weight",
        stored.stake_weight.as_deref().map(wide),
        wide(&ours.stake_weight),
    );
    add(
        "active",
        stored.active.as_deref().map(flags),
        flags(&ours.active),
    );
    add(
        "validator_permit",
        stored.validator_permit.as_deref().map(flags),
        flags(&ours.validator_permit),
    );
    let permit_differing_uids = columns
        .iter()
        .find(|c| c.name == "validator_permit")
        .map(|c| c.differing_uids.clone())
        .unwrap_or_default();

    let mut bonds = Vec::new();
    let mut bonds_differing_uids: Vec<u16> = Vec::new();
    for (m, out) in ours.mechanisms.iter().enumerate() {
        let Some(chain) = stored.mechanisms.get(m).and_then(|s| s.bonds.as_ref()) else {
            not_compared.push(format!("bonds[{m}]"));
            continue;
        };
        let n = chain.len().max(out.bonds.len());
        let mut cmp = BondsComparison {
            mechanism: u8::try_from(m).unwrap_or(u8::MAX),
            differing_uids: Vec::new(),
            matching_uids: Vec::new(),
            empty_uids: Vec::new(),
        };
        for i in 0..n {
            match (chain.get(i), out.bonds.get(i)) {
                (Some(a), Some(b)) if a.is_empty() && b.is_empty() => cmp.empty_uids.push(uid(i)),
                (Some(a), Some(b)) if a == b => cmp.matching_uids.push(uid(i)),
                _ => cmp.differing_uids.push(uid(i)),
            }
        }
        bonds_differing_uids.extend(cmp.differing_uids.iter().copied());
        bonds.push(cmp);
    }
    bonds_differing_uids.sort_unstable();
    bonds_differing_uids.dedup();

    let yuma = |c: &&Column| {
        c.name == "consensus" || c.name == "dividends" || c.name.starts_with("incentive")
    };
    let nothing_to_compare = all_zero(&wide(&ours.consensus))
        && all_zero(&wide(&ours.dividends))
        && ours
            .mechanisms
            .iter()
            .all(|m| all_zero(&wide(&m.incentive)));
    let chain_all_zero = columns.iter().filter(yuma).all(|c| all_zero(&c.chain))
        && columns.iter().filter(yuma).count() > 0
        && !nothing_to_compare;
    Ok(Replay {
        epoch_block,
        columns,
        permit_differing_uids,
        bonds_differing_uids,
        bonds,
        not_compared,
        chain_all_zero,
        nothing_to_compare,
        rao_emission: input.total_emission(),
        rao_emission_found: false,
        epoch_consensus: if crate::yuma::is_null(input) {
            EpochConsensus::Null
        } else {
            EpochConsensus::Yuma
        },
        null_budgets: None,
        ours,
    })
}

/// The budgets a one-mechanism Null epoch paid from, found from what it stored: its `Emission`
/// per uid is the miners' budget `M` apportioned by the winner's weights plus the validators'
/// `T − M` apportioned by stake (`T` the stored total). The uids paid from one pool only (no
/// stake and some incentive, or stake and no incentive) are paid monotonically in `M`, so `M`
/// is bisected on them and checked against every stored value. `None` when no `M` reproduces
/// them, when the subnet has more than one mechanism (its pools are split per mechanism, and
/// validators' and root's apart), or when every uid is paid from both pools.
pub fn null_budgets(
    input: &SubnetEpochInput,
    stored_emission: &[u64],
) -> Result<Option<EmissionBudgets>, EpochError> {
    if input.params.mechanism_count.max(1) != 1 {
        return Ok(None);
    }
    let total = stored_emission
        .iter()
        .fold(0u64, |s, &e| s.saturating_add(e));
    let run = |mining: u64| -> Result<Vec<u64>, EpochError> {
        let mut at = input.clone();
        at.rao_emission = 0;
        at.emission_budgets = Some(EmissionBudgets {
            server: mining,
            validator: total - mining,
            root: 0,
        });
        Ok(epoch_with_mechanisms(&at)?.emission)
    };
    // Which uids one pool alone pays: from a run with both budgets non-zero.
    let probe = epoch_with_mechanisms(&SubnetEpochInput {
        rao_emission: 0,
        emission_budgets: Some(EmissionBudgets {
            server: 1 << 40,
            validator: 1 << 40,
            root: 0,
        }),
        ..input.clone()
    })?;
    let m = &probe.mechanisms[0];
    let pure_miners: Vec<usize> = (0..usize::from(input.n))
        .filter(|&i| m.server_emission[i] > 0 && m.validator_emission[i] == 0)
        .collect();
    let pure_validators: Vec<usize> = (0..usize::from(input.n))
        .filter(|&i| m.server_emission[i] == 0 && m.validator_emission[i] > 0)
        .collect();
    let (uids, rising) = if !pure_miners.is_empty() {
        (pure_miners, true)
    } else if !pure_validators.is_empty() {
        (pure_validators, false)
    } else {
        return Ok(None);
    };
    let sum_of = |v: &[u64]| uids.iter().fold(0u64, |s, &i| s.saturating_add(v[i]));
    let target = sum_of(stored_emission);
    // The smallest M whose pool-alone sum reaches the stored one (falling: the largest M
    // whose sum is still at least it), then a few either side.
    let (mut lo, mut hi) = (0u64, total);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let below = if rising {
            sum_of(&run(mid)?) < target
        } else {
            sum_of(&run(mid)?) > target
        };
        if below {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for mining in lo.saturating_sub(2)..=lo.saturating_add(2).min(total) {
        if run(mining)? == stored_emission {
            return Ok(Some(EmissionBudgets {
                server: mining,
                validator: total - mining,
                root: 0,
            }));
        }
    }
    Ok(None)
}

/// What the chain stored in `after` (the metagraph read at the epoch block), every
/// mechanism, for [`replay`], for the first `n` uids: the epoch's. A uid registered in the
/// epoch block was registered by an extrinsic, after the epoch ran, and is not its.
pub fn stored_epoch(after: &Metagraph, n: usize) -> StoredEpoch {
    let neurons = &after.neurons[..n.min(after.neurons.len())];
    let col = |f: fn(&Neuron) -> u16| Some(neurons.iter().map(f).collect::<Vec<u16>>());
    let first = |v: &[u16]| v.iter().take(n).copied().collect::<Vec<u16>>();
    StoredEpoch {
        active: Some(neurons.iter().map(|n| n.active).collect()),
        emission: Some(neurons.iter().map(|n| n.emission).collect()),
        consensus: col(|n| n.consensus),
        dividends: col(|n| n.dividends),
        validator_trust: col(|n| n.validator_trust),
        validator_permit: Some(neurons.iter().map(|n| n.validator_permit).collect()),
        stake_weight: col(|n| n.stake_weight),
        mechanisms: after
            .mechanisms
            .iter()
            .map(|m| StoredMechanism {
                incentive: Some(first(&m.incentive)),
                bonds: Some(m.bonds.iter().take(n).cloned().collect()),
            })
            .collect(),
    }
}

/// The alpha (rao) the epoch distributed, which no storage item keeps: the epoch block adds
/// its own block's emission to the pending pools and drains them in the same block. It is
/// more than the pending emission at the block before; the answer is the smallest amount for
/// which the core's `Emission` equals every stored value ([`crate::yuma::distributed_emission`],
/// searched within the floors' reach of the stored sum), `None` when no amount does (then the
/// shares themselves differ).
pub fn distributed_emission(
    input: &SubnetEpochInput,
    stored_emission: &[u64],
    pending_before: u64,
) -> Result<Option<u64>, EpochError> {
    let n = u64::from(input.n) + 1;
    let count = u64::from(input.params.mechanism_count.max(1));
    // Each uid loses under one rao per floor; with several mechanisms each rao of the
    // aggregate stands for up to `count` rao of the amount.
    let window = n
        .saturating_mul(count + 1)
        .saturating_mul(count)
        .saturating_mul(2)
        .saturating_add(16);
    crate::yuma::distributed_emission(
        input,
        stored_emission,
        pending_before.saturating_add(1),
        window,
    )
}

/// The subnet's epoch at `epoch_block` recomputed from `before` (the metagraph at the block
/// before it) and compared with what the chain stored (`after`, read at the epoch block).
/// The alpha it distributed is found by [`distributed_emission`] from `before`'s pending
/// emission and `after`'s stored emissions; when none reproduces them, the stored sum stands
/// for it and the emission column shows the differences.
pub fn replay_epoch(
    before: &Metagraph,
    after: &Metagraph,
    epoch_block: u64,
) -> Result<Replay, EpochError> {
    let stored = stored_epoch(after, before.n());
    let mut input = before.epoch_input(epoch_block, 0)?;
    let emission = stored.emission.clone().unwrap_or_default();
    let stored_sum = emission.iter().fold(0u64, |s, &e| s.saturating_add(e));
    if crate::yuma::is_null(&input) {
        let found = null_budgets(&input, &emission)?;
        match found {
            Some(budgets) => input.emission_budgets = Some(budgets),
            None => input.rao_emission = stored_sum,
        }
        let mut r = replay(epoch_block, &input, &stored)?;
        r.rao_emission_found = found.is_some();
        r.null_budgets = found;
        return Ok(r);
    }
    let found = distributed_emission(&input, &emission, before.pending_emission)?;
    input.rao_emission = found.unwrap_or(stored_sum);
    let mut r = replay(epoch_block, &input, &stored)?;
    r.rao_emission = input.rao_emission;
    r.rao_emission_found = found.is_some();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metagraph::{Hyperparams, Neuron};
    use crate::yuma::{EpochHyperparams, MechanismInput, Runtime};

    /// Two validators weighting two miners (spec 425, two mechanisms).
    fn input() -> SubnetEpochInput {
        let weights = alloc::vec![
            alloc::vec![(2, 65535), (3, 30000)],
            alloc::vec![(2, 20000), (3, 65535)],
            alloc::vec![],
            alloc::vec![],
        ];
        let mech = MechanismInput {
            last_update: alloc::vec![10, 10, 0, 0],
            weights,
            bonds: alloc::vec![],
            commit_block: alloc::vec![],
            consensus_by_mechanism: alloc::vec![],
        };
        let mut mech1 = mech.clone();
        mech1.weights[0] = alloc::vec![(3, 65535)];
        SubnetEpochInput {
            runtime: Runtime::Spec425,
            current_block: 20,
            n: 4,
            alpha_stake: alloc::vec![600, 400, 0, 0],
            tao_stake: alloc::vec![0; 4],
            tao_weight: 0,
            stake_threshold: 0,
            owner_uid: None,
            validator_permit: alloc::vec![true, true, false, false],
            block_at_registration: alloc::vec![0; 4],
            mechanisms: alloc::vec![mech, mech1],
            rao_emission: 1_000_000,
            emission_budgets: None,
            params: EpochHyperparams {
                tempo: 100,
                mechanism_count: 2,
                ..EpochHyperparams::default()
            },
        }
    }

    fn stored_from(out: &SubnetEpochOutput) -> StoredEpoch {
        StoredEpoch {
            active: Some(out.active.clone()),
            emission: Some(out.emission.clone()),
            consensus: Some(out.consensus.clone()),
            dividends: Some(out.dividends.clone()),
            validator_trust: Some(out.validator_trust.clone()),
            validator_permit: Some(out.validator_permit.clone()),
            stake_weight: Some(out.stake_weight.clone()),
            mechanisms: out
                .mechanisms
                .iter()
                .map(|m| StoredMechanism {
                    incentive: Some(m.incentive.clone()),
                    bonds: Some(m.bonds.clone()),
                })
                .collect(),
        }
    }

    /// The budgets of a Null epoch come back from what it stored: for budgets chosen here,
    /// the epoch's stored emission leads [`null_budgets`] to the same budgets (miners' and
    /// validators'; a one-mechanism epoch cannot tell root's pool from the validators').
    #[test]
    fn null_budgets_are_found_from_the_stored_emission() {
        let mut null = input();
        null.runtime = Runtime::Spec475;
        null.params.mechanism_count = 1;
        null.mechanisms.truncate(1);
        null.params.epoch_consensus = EpochConsensus::Null;
        for (server, validator) in [(500_000, 500_000), (123_457, 9_876_543), (7, 0), (0, 999)] {
            null.rao_emission = 0;
            null.emission_budgets = Some(EmissionBudgets {
                server,
                validator,
                root: 0,
            });
            let stored = epoch_with_mechanisms(&null).unwrap().emission;
            let found = null_budgets(&null, &stored).unwrap();
            assert_eq!(
                found,
                Some(EmissionBudgets {
                    server,
                    validator,
                    root: 0
                }),
                "server {server}, validator {validator}"
            );
        }
    }

    #[test]
    fn the_same_epoch_matches_value_by_value() {
        let input = input();
        let ours = epoch_with_mechanisms(&input).unwrap();
        let replay = replay(20, &input, &stored_from(&ours)).unwrap();
        assert!(replay.matches(), "{replay:?}");
        assert!(replay.not_compared.is_empty());
        let incentive1 = replay
            .columns
            .iter()
            .find(|c| c.name == "incentive[1]")
            .unwrap();
        assert_eq!(incentive1.matching_uids, alloc::vec![3]);
        assert_eq!(incentive1.zero_uids, alloc::vec![0, 1, 2]);
        assert_eq!(replay.bonds.len(), 2);
    }

    #[test]
    fn one_differing_value_is_found() {
        let input = input();
        let ours = epoch_with_mechanisms(&input).unwrap();
        let mut stored = stored_from(&ours);
        if let Some(v) = stored.dividends.as_mut() {
            v[1] = v[1].wrapping_add(1);
        }
        if let Some(b) = stored.mechanisms[1].bonds.as_mut() {
            b[0].clear();
        }
        stored.stake_weight = None;
        let replay = replay(20, &input, &stored).unwrap();
        assert!(!replay.matches());
        let d = replay
            .columns
            .iter()
            .find(|c| c.name == "dividends")
            .unwrap();
        assert_eq!(d.differing_uids, alloc::vec![1]);
        assert_eq!(replay.bonds_differing_uids, alloc::vec![0]);
        assert_eq!(replay.not_compared, alloc::vec!["stake_weight".to_string()]);
    }

    #[test]
    fn equal_zeros_are_not_a_match() {
        let mut input = input();
        for m in &mut input.mechanisms {
            m.weights = alloc::vec![alloc::vec![]; 4];
        }
        let ours = epoch_with_mechanisms(&input).unwrap();
        let replay = replay(20, &input, &stored_from(&ours)).unwrap();
        assert!(replay.nothing_to_compare);
        assert!(!replay.matches());
        assert!(!replay.chain_all_zero);
    }

    /// A spec-425 subnet with two mechanisms as the chain crate reads it.
    fn subnet() -> Metagraph {
        let validator = |uid: u16, stake: u64| Neuron {
            uid,
            hotkey: [uid as u8; 32],
            alpha_stake: stake,
            total_stake: stake,
            validator_permit: true,
            ..Neuron::default()
        };
        let miner = |uid: u16| Neuron {
            uid,
            hotkey: [uid as u8; 32],
            ..Neuron::default()
        };
        let mechanism = |mecid: u8, rows: [Vec<(u16, u16)>; 2]| crate::metagraph::Mechanism {
            mecid,
            last_update: alloc::vec![10, 10, 0, 0],
            weights: alloc::vec![rows[0].clone(), rows[1].clone(), Vec::new(), Vec::new()],
            bonds: alloc::vec![Vec::new(); 4],
            incentive: alloc::vec![0; 4],
            commits: Vec::new(),
            consensus_by_mechanism: Vec::new(),
        };
        let mechanisms = alloc::vec![
            mechanism(
                0,
                [
                    alloc::vec![(2, 65535), (3, 30000)],
                    alloc::vec![(2, 20000), (3, 65535)]
                ]
            ),
            mechanism(
                1,
                [alloc::vec![(3, 65535)], alloc::vec![(2, 65535), (3, 1000)]]
            ),
        ];
        let mut neurons = alloc::vec![validator(0, 600), validator(1, 400), miner(2), miner(3)];
        for (n, uid) in neurons.iter_mut().zip(0..) {
            n.last_update = mechanisms[0].last_update[uid];
            n.weights = mechanisms[0].weights[uid].clone();
        }
        Metagraph {
            netuid: 1,
            block: 19,
            spec_version: 425,
            neurons,
            mechanisms,
            hyperparams: Hyperparams {
                activity_cutoff_factor_milli: Some(10_000),
                tempo: 10,
                mechanism_count: 2,
                mechanism_emission_split: alloc::vec![20000, 45535],
                ..Hyperparams::default()
            },
            ..Metagraph::default()
        }
    }

    #[test]
    fn a_replay_of_stored_values_matches_and_a_mock_does_not() {
        let before = subnet();
        let ours = epoch_with_mechanisms(&before.epoch_input(20, 1_000_000).unwrap()).unwrap();
        let mut after = before.clone();
        after.block = 20;
        for (i, n) in after.neurons.iter_mut().enumerate() {
            n.active = ours.active[i];
            n.consensus = ours.consensus[i];
            n.dividends = ours.dividends[i];
            n.validator_trust = ours.validator_trust[i];
            n.validator_permit = ours.validator_permit[i];
            n.stake_weight = ours.stake_weight[i];
            n.emission = ours.emission[i];
        }
        for (m, out) in after.mechanisms.iter_mut().zip(&ours.mechanisms) {
            m.incentive = out.incentive.clone();
            m.bonds = out.bonds.clone();
        }
        let r = replay_epoch(&before, &after, 20).unwrap();
        assert!(r.matches(), "{r:?}");
        assert!(!r.chain_all_zero);
        assert!(r.not_compared.is_empty(), "{:?}", r.not_compared);
        // The distributed total is found from the stored emissions: the smallest that gives
        // each of them (1 000 000 or a few rao below, which floor to the same values).
        assert!(r.rao_emission_found);
        assert!(
            r.rao_emission <= 1_000_000 && r.rao_emission > 999_990,
            "{}",
            r.rao_emission
        );
        for m in &ours.mechanisms {
            assert!(m.incentive[2] > 0 || m.incentive[3] > 0);
        }
        // A stored emission no total explains: only the emission column differs.
        let mut skewed = after.clone();
        skewed.neurons[2].emission += 1000;
        let r = replay_epoch(&before, &skewed, 20).unwrap();
        assert!(!r.rao_emission_found);
        let differing: Vec<&str> = r
            .columns
            .iter()
            .filter(|c| !c.differing_uids.is_empty())
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(differing, alloc::vec!["emission"]);

        for n in &mut after.neurons {
            n.consensus = 0;
            n.dividends = 0;
            n.validator_trust = 0;
        }
        for m in &mut after.mechanisms {
            m.incentive = alloc::vec![0; 4];
            m.bonds = alloc::vec![Vec::new(); 4];
        }
        let r = replay_epoch(&before, &after, 20).unwrap();
        assert!(!r.matches());
        assert!(r.chain_all_zero);
        let incentive = r.columns.iter().find(|c| c.name == "incentive[1]").unwrap();
        assert!(!incentive.differing_uids.is_empty());
        assert_eq!(r.bonds_differing_uids, alloc::vec![0, 1]);
    }
}
