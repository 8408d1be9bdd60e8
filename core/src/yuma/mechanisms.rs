//! `epoch_with_mechanisms` (subnets/mechanism.rs L230-406 at spec 425, identical at 385;
//! `epoch_with_mechanism_budgets` at spec 475): the emission split across mechanisms, one
//! epoch per mechanism, and the per-uid aggregation the runtime persists at `[netuid]`. A Null
//! subnet (spec 475) splits each pool (miners', validators', root's) on its own and pays each
//! mechanism from its slices; its aggregated `Emission` is the plain sum of whole-rao payouts.

use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::types::U64F64;

use super::epoch::{run_mechanism, MechanismRun};
use super::null::NullBudgets;
use super::{
    EpochConsensus, EpochError, EpochOutput, Runtime, SubnetEpochInput, SubnetEpochOutput, Tracer,
};

/// `split_emissions` (L230): `alpha · split_i / 65535` (u128, truncated) per mechanism, or
/// `alpha / count` each when no split is stored; the rounding remainder goes to mechanism 0.
/// A split of another length than `count`: spec 425 cuts or zero-pads it to `count` entries;
/// spec 475 ignores it and splits evenly.
pub fn split_emission(
    alpha: u64,
    mechanism_count: u8,
    split: Option<&[u16]>,
    runtime: Runtime,
) -> Vec<u64> {
    let count = usize::from(mechanism_count);
    let split = split.filter(|s| !runtime.is_475() || s.len() == count);
    let mut result: Vec<u64> = match split {
        Some(split) => split
            .iter()
            .map(|&s| {
                let v = u128::from(alpha)
                    .saturating_mul(u128::from(s))
                    .checked_div(u128::from(u16::MAX))
                    .unwrap_or(0);
                // The runtime casts with `as u64`; the value is ≤ alpha so it always fits.
                u64::try_from(v).unwrap_or(u64::MAX)
            })
            .collect(),
        None => {
            let per = alpha.checked_div(u64::from(mechanism_count)).unwrap_or(0);
            vec![per; count]
        }
    };
    if result.len() != count {
        result.resize(count, 0);
    }
    let total = result.iter().fold(0u64, |a, &b| a.wrapping_add(b));
    let rounding_err = alpha.saturating_sub(total);
    if let Some(first) = result.first_mut() {
        *first = first.saturating_add(rounding_err);
    }
    result
}

/// `weighted_acc_u16`: `existing + added · weight` in U64F64, truncated to u16 (saturating).
/// A mechanism's weight in the aggregates: its emission over the subnet's (mechanism 0 gets
/// full weight when nothing is emitted).
fn mechanism_weight(share: u64, rao_emission: u64, mech: usize) -> U64F64 {
    U64F64::saturating_from_num(share)
        .checked_div(U64F64::saturating_from_num(rao_emission))
        .unwrap_or_else(|| U64F64::saturating_from_num(u8::from(mech == 0)))
}

/// The stored `Emission` per uid when the subnet distributes `rao_emission`, from each
/// mechanism's emission fractions: the amount split between mechanisms, each uid's rao
/// floored per mechanism, then the mechanisms weighted by their share, as
/// `epoch_with_mechanisms` aggregates them.
fn aggregate_emission(
    fractions: &[Vec<substrate_fixed::types::I32F32>],
    rao_emission: u64,
    mechanism_count: u8,
    split: Option<&[u16]>,
    runtime: Runtime,
) -> Vec<u64> {
    let shares = split_emission(rao_emission, mechanism_count, split, runtime);
    let mut total: Vec<u64> = Vec::new();
    for (mech, (fraction, &share)) in fractions.iter().zip(&shares).enumerate() {
        let weight = mechanism_weight(share, rao_emission, mech);
        let rao = super::epoch::to_rao(fraction, share);
        if mech == 0 {
            total = rao
                .iter()
                .map(|&x| weighted_acc_alpha(0, x, weight))
                .collect();
        } else {
            for (t, &x) in total.iter_mut().zip(&rao) {
                *t = weighted_acc_alpha(*t, x, weight);
            }
        }
    }
    total
}

/// The alpha (rao) an epoch distributed, found from what it stored: the smallest amount
/// within `window` of the first one whose summed emission reaches the stored sum, for which
/// the epoch's `Emission` equals `stored` value for value; `None` when no amount does. Only
/// amounts above `at_least` are tried. The epoch runs once; each amount costs n × mechanisms.
pub fn distributed_emission(
    input: &SubnetEpochInput,
    stored: &[u64],
    at_least: u64,
    window: u64,
) -> Result<Option<u64>, EpochError> {
    super::check_input(input)?;
    let p = &input.params;
    let count = p.mechanism_count;
    let split = p.mechanism_emission_split.as_deref();
    let fractions = (0..usize::from(count.max(1)))
        .map(|mech| run_mechanism(input, mech, 0, &mut Tracer::off()).map(|r| r.combined_fraction))
        .collect::<Result<Vec<_>, _>>()?;
    let emission = |rao: u64| aggregate_emission(&fractions, rao, count, split, input.runtime);
    let sum = |v: &[u64]| v.iter().fold(0u64, |s, &x| s.saturating_add(x));
    let target = sum(stored);
    // The summed emission grows with the amount: bracket the stored sum, then bisect.
    let mut lo = at_least;
    let mut hi = lo.max(1);
    while sum(&emission(hi)) < target {
        if hi >= u64::MAX / 4 {
            return Ok(None);
        }
        lo = hi;
        hi = hi.saturating_mul(2);
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if sum(&emission(mid)) < target {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let start = lo.saturating_sub(window).max(at_least);
    Ok((start..=lo.saturating_add(window)).find(|&rao| emission(rao) == stored))
}

fn weighted_acc_u16(existing: u16, added: u16, weight: U64F64) -> u16 {
    U64F64::saturating_from_num(existing)
        .saturating_add(U64F64::saturating_from_num(added).saturating_mul(weight))
        .saturating_to_num::<u16>()
}

/// `weighted_acc_alpha`: the same for rao.
fn weighted_acc_alpha(existing: u64, added: u64, weight: U64F64) -> u64 {
    U64F64::saturating_from_num(existing)
        .saturating_add(U64F64::saturating_from_num(added).saturating_mul(weight))
        .saturating_to_num::<u64>()
}

/// Runs every mechanism and aggregates as the runtime does.
pub(crate) fn run(input: &SubnetEpochInput, trace: bool) -> Result<SubnetEpochOutput, EpochError> {
    run_keeping(input, trace, None)
}

/// An earlier epoch whose mechanisms may be taken as they are.
#[derive(Clone, Copy)]
pub(crate) struct Earlier<'a> {
    /// Its input.
    pub input: &'a SubnetEpochInput,
    /// Its output.
    pub output: &'a SubnetEpochOutput,
}

impl Earlier<'_> {
    /// Mechanism `mech`'s output, when `input` gives that mechanism exactly what the earlier
    /// epoch gave it. A mechanism's epoch (`run_mechanism`, and Null's) reads the subnet-wide
    /// input and its own `MechanismInput` only, and its share of the emission follows from the
    /// subnet-wide input: equal inputs, equal output, value for value.
    fn mechanism(&self, input: &SubnetEpochInput, mech: usize) -> Option<&EpochOutput> {
        let a = self.input;
        let shared = a.runtime == input.runtime
            && a.current_block == input.current_block
            && a.n == input.n
            && a.tao_weight == input.tao_weight
            && a.stake_threshold == input.stake_threshold
            && a.owner_uid == input.owner_uid
            && a.rao_emission == input.rao_emission
            && a.emission_budgets == input.emission_budgets
            && a.mechanisms.len() == input.mechanisms.len()
            && a.params == input.params
            && a.alpha_stake == input.alpha_stake
            && a.tao_stake == input.tao_stake
            && a.validator_permit == input.validator_permit
            && a.block_at_registration == input.block_at_registration;
        (shared && a.mechanisms.get(mech)? == input.mechanisms.get(mech)?)
            .then(|| self.output.mechanisms.get(mech))
            .flatten()
    }
}

/// [`run`], taking from `earlier` every mechanism whose input is unchanged.
pub(crate) fn run_reusing(
    input: &SubnetEpochInput,
    earlier: Earlier<'_>,
) -> Result<SubnetEpochOutput, EpochError> {
    aggregate(input, false, None, Some(earlier))
}

/// [`run`], keeping each mechanism's intermediate values in `keep` (their `output` moved into
/// the aggregate's `mechanisms`).
pub(crate) fn run_keeping(
    input: &SubnetEpochInput,
    trace: bool,
    keep: Option<&mut Vec<MechanismRun>>,
) -> Result<SubnetEpochOutput, EpochError> {
    aggregate(input, trace, keep, None)
}

/// Each mechanism's epoch (run, or taken from `earlier` when its input is unchanged and
/// nothing is kept), aggregated as the runtime does.
fn aggregate(
    input: &SubnetEpochInput,
    trace: bool,
    mut keep: Option<&mut Vec<MechanismRun>>,
    earlier: Option<Earlier<'_>>,
) -> Result<SubnetEpochOutput, EpochError> {
    let null = is_null(input);
    let total = input.total_emission();
    let plan = plan(input);
    let n = usize::from(input.n);
    let mut agg = SubnetEpochOutput {
        emission_split: plan.iter().map(|(share, _)| *share).collect(),
        ..SubnetEpochOutput::default()
    };
    for (mech, &(share, budgets)) in plan.iter().enumerate() {
        let reused = match (&keep, earlier) {
            (None, Some(e)) if !trace => e.mechanism(input, mech).cloned(),
            _ => None,
        };
        let out: EpochOutput = match reused {
            Some(out) => out,
            None => {
                let mut tracer = if trace { Tracer::on() } else { Tracer::off() };
                let mut run = run_planned(input, mech, share, budgets, &mut tracer)?;
                let mut out: EpochOutput = core::mem::take(&mut run.output);
                out.trace = tracer.steps;
                if let Some(keep) = keep.as_mut() {
                    keep.push(run);
                }
                out
            }
        };
        // The mechanism's weight: its share of the emission; with nothing to emit mechanism 0
        // gets the full weight (`safe_div_or`).
        let weight = mechanism_weight(share, total, mech);
        // Null payouts are whole rao from funded slices: summed as they are.
        let acc_emission = |acc: u64, added: u64| {
            if null {
                acc.saturating_add(added)
            } else {
                weighted_acc_alpha(acc, added, weight)
            }
        };
        if mech == 0 {
            // The first mechanism inserts each uid (weighted from 0).
            let w16 = |v: &[u16]| -> Vec<u16> {
                v.iter().map(|&x| weighted_acc_u16(0, x, weight)).collect()
            };
            agg.active = out.active.clone();
            agg.emission = out.emission.iter().map(|&x| acc_emission(0, x)).collect();
            agg.consensus = w16(&out.consensus);
            agg.dividends = w16(&out.dividends);
            agg.validator_trust = w16(&out.validator_trust);
            agg.validator_permit = out.validator_permit.clone();
            agg.stake_weight = w16(&out.stake_weight);
            agg.server_emission = out.server_emission.clone();
            agg.validator_emission = out.validator_emission.clone();
        } else {
            for i in 0..n {
                let acc16 = |a: &mut Vec<u16>, b: &[u16]| {
                    if let (Some(x), Some(&y)) = (a.get_mut(i), b.get(i)) {
                        *x = weighted_acc_u16(*x, y, weight);
                    }
                };
                acc16(&mut agg.consensus, &out.consensus);
                acc16(&mut agg.dividends, &out.dividends);
                acc16(&mut agg.validator_trust, &out.validator_trust);
                acc16(&mut agg.stake_weight, &out.stake_weight);
                if let (Some(x), Some(&y)) = (agg.emission.get_mut(i), out.emission.get(i)) {
                    *x = acc_emission(*x, y);
                }
                let add = |a: &mut Vec<u64>, b: &[u64]| {
                    if let (Some(x), Some(&y)) = (a.get_mut(i), b.get(i)) {
                        *x = x.saturating_add(y);
                    }
                };
                add(&mut agg.server_emission, &out.server_emission);
                add(&mut agg.validator_emission, &out.validator_emission);
                if let (Some(x), Some(&y)) = (agg.active.get_mut(i), out.active.get(i)) {
                    *x |= y;
                }
                if let (Some(x), Some(&y)) =
                    (agg.validator_permit.get_mut(i), out.validator_permit.get(i))
                {
                    *x |= y;
                }
            }
        }
        agg.mechanisms.push(out);
    }
    Ok(agg)
}

/// Each mechanism's emission and, on a Null subnet, the budgets it pays from: Yuma splits the
/// whole emission; Null splits each pool (miners', validators', root's) on its own, a
/// mechanism's emission being the sum of its slices.
pub(crate) fn plan(input: &SubnetEpochInput) -> Vec<(u64, Option<NullBudgets>)> {
    let p = &input.params;
    let split_of = |alpha: u64| {
        split_emission(
            alpha,
            p.mechanism_count,
            p.mechanism_emission_split.as_deref(),
            input.runtime,
        )
    };
    if !is_null(input) {
        return split_of(input.total_emission())
            .into_iter()
            .map(|share| (share, None))
            .collect();
    }
    let budgets = input.budgets();
    let miners = split_of(budgets.server);
    let validators = split_of(budgets.validator);
    let roots = split_of(budgets.root);
    miners
        .iter()
        .zip(validators.iter().zip(&roots))
        .map(|(&miner, (&validator, &root))| {
            let share = miner.saturating_add(validator).saturating_add(root);
            let budgets = NullBudgets {
                mining: miner,
                dividend: validator.saturating_add(root),
                fallback: miner.saturating_add(validator),
            };
            (share, Some(budgets))
        })
        .collect()
}

/// Runs mechanism `mech` as [`plan`] planned it: Yuma with its share, or Null with its budgets.
pub(crate) fn run_planned(
    input: &SubnetEpochInput,
    mech: usize,
    share: u64,
    budgets: Option<NullBudgets>,
    tracer: &mut Tracer,
) -> Result<MechanismRun, EpochError> {
    match budgets {
        Some(budgets) => super::null::run_mechanism(input, mech, budgets, tracer),
        None => run_mechanism(input, mech, share, tracer),
    }
}

/// True when the subnet runs Null consensus (spec 475's `SubnetEpochConsensus`).
pub fn is_null(input: &SubnetEpochInput) -> bool {
    input.runtime.is_475() && input.params.epoch_consensus == EpochConsensus::Null
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_emissions_like_the_runtime() {
        for rt in [Runtime::Spec425, Runtime::Spec475] {
            // split_emissions_even_division
            assert_eq!(split_emission(25, 5, None, rt), vec![5; 5]);
            // split_emissions_rounding_to_first
            assert_eq!(split_emission(10, 4, None, rt), vec![4, 2, 2, 2]);
            // split_emissions_fibbonacci
            assert_eq!(
                split_emission(19, 5, Some(&[3450, 6899, 10348, 17247, 27594]), rt),
                vec![1, 2, 3, 5, 8]
            );
            // No mechanism: nothing to run.
            assert_eq!(split_emission(100, 0, None, rt), Vec::<u64>::new());
        }
        // A split of another length than the mechanism count. Spec 425 (mechanism.rs L230-262
        // at 14bc6f9f9) zero-pads a shorter one and cuts a longer one.
        let short = Some(&[65535u16][..]);
        let long = Some(&[32767u16, 32768][..]);
        assert_eq!(
            split_emission(100, 3, short, Runtime::Spec425),
            vec![100, 0, 0]
        );
        assert_eq!(split_emission(100, 1, long, Runtime::Spec425), vec![100]);
        // Spec 475 (`split_emissions` at coldint/subtensor@02214123: `.filter(|split|
        // split.len() == mechanism_count)`) ignores it and splits evenly. No runtime test
        // covers this; derived by hand from that code: 100 / 3 = 33 each, the remainder 1 to
        // mechanism 0 → [34, 33, 33]; one mechanism takes all 100.
        assert_eq!(
            split_emission(100, 3, short, Runtime::Spec475),
            vec![34, 33, 33]
        );
        assert_eq!(split_emission(100, 1, long, Runtime::Spec475), vec![100]);
    }

    #[test]
    fn weighted_accumulation_truncates_each_step() {
        let half = U64F64::from_num(0.5);
        assert_eq!(weighted_acc_u16(0, 3, half), 1);
        assert_eq!(weighted_acc_u16(1, 3, half), 2);
        assert_eq!(weighted_acc_u16(65535, 65535, half), 65535);
        assert_eq!(weighted_acc_alpha(0, 999, half), 499);
    }
}
