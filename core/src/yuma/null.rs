//! The Null-consensus epoch of spec 475: `epoch_mechanism_with_budgets` on a subnet whose
//! `SubnetEpochConsensus` is `Null` (run_epoch.rs at coldint/subtensor@02214123, the v475
//! history). There is no Yuma: one validator, the largest stake, decides, and its raw weights
//! are the incentive. The steps, in the runtime's order:
//!
//! 1. **activity** as in Yuma: reported in `Active`, it pays nothing here;
//! 2. **stake** as in Yuma (`get_stake_weights_for_network`, which the runtime's cached
//!    `get_null_stake_weights_for_network` equals): the threshold-filtered, normalised stake
//!    is only reported (`StakeWeight`); the payouts use the raw total stake;
//! 3. **the winner**: the uid with the largest total stake, unfiltered and unrounded, ties to
//!    the lowest uid (uid 0 when every stake is 0): the only new permit holder;
//! 4. **weights**: the winner's stored row alone, its raw u16 values (no row normalisation),
//!    with the masks every epoch applies (the diagonal unless the winner is the owner's uid,
//!    entries to uids registered at or after the row's last update, under commit-reveal
//!    entries to uids registered after the row's live commit);
//! 5. **incentive shares**: each destination's raw weight; when they are all zero (no row, an
//!    empty or a stale one) every uid gets share 1, validators included;
//! 6. **dividend shares**: the I64F64 stake bits of every uid with stake > 0, with no permit,
//!    activity or threshold filter;
//! 7. **payouts** ([`apportion_units`]): the miners' budget by incentive shares, the
//!    validators' budget by dividend shares; when no uid has stake, validators get nothing and
//!    miners get the fallback budget;
//! 8. **stored**: incentive and dividends as normalised u16 proportions, consensus and
//!    validator trust zero (and `ConsensusByMechanism` zero), emission the two payouts in whole
//!    rao, the permit for the winner only, bonds untouched.

use alloc::vec;
use alloc::vec::Vec;
use primitive_types::U256;
use substrate_fixed::types::{I32F32, I64F64};

use super::epoch::{inactive, mask_weights, stake_terms, MechanismRun, NullRun};
use super::math::{self, SparseRow, ZERO};
use super::{EpochError, EpochOutput, SubnetEpochInput, Tracer};

/// What one mechanism of a Null subnet distributes (`epoch_mechanism_with_budgets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NullBudgets {
    /// The miners' pool: `split_emissions(PendingServerEmission)` of the mechanism.
    pub mining: u64,
    /// The validators' pool: the mechanism's slices of `PendingValidatorEmission` and
    /// `PendingRootAlphaDivs`.
    pub dividend: u64,
    /// The miners' pool when no uid has stake: the mechanism's slices of the server and
    /// validator emission (root's is never redirected).
    pub fallback: u64,
}

/// `apportion_units`: `budget` in whole units by `shares`, in uid order, from exact cumulative
/// ratios: `payout_i = ⌊P_i·B/T⌋ − ⌊P_{i−1}·B/T⌋` with `P_i` the prefix sum of the shares and
/// `T` their total, computed in 256 bits as the runtime does (U256). Each payout is the floor
/// or the ceiling of its share, and they sum to the budget exactly; all zero when every share
/// is zero.
pub fn apportion_units(shares: &[u128], budget: u64) -> Vec<u64> {
    let total = shares.iter().fold(U256::zero(), |sum, &share| {
        sum.saturating_add(U256::from(share))
    });
    if total.is_zero() {
        return vec![0; shares.len()];
    }
    let mut prefix = U256::zero();
    let mut allocated = 0u64;
    shares
        .iter()
        .map(|&share| {
            prefix = prefix.saturating_add(U256::from(share));
            let through = prefix
                .saturating_mul(U256::from(budget))
                .checked_div(total)
                .unwrap_or_default()
                .low_u64();
            let payout = through.saturating_sub(allocated);
            allocated = through;
            payout
        })
        .collect()
}

/// `null_validator_winner`: the uid of the largest stake, the first on ties; None only for
/// an empty subnet.
pub fn winner(stakes: &[I64F64]) -> Option<usize> {
    let mut winner: Option<usize> = None;
    for (uid, stake) in stakes.iter().enumerate() {
        if winner.is_none_or(|w| stakes.get(w).is_some_and(|old| stake > old)) {
            winner = Some(uid);
        }
    }
    winner
}

/// Shares normalised (`inplace_normalize_64`) and narrowed to I32F32, as the runtime reports
/// them.
fn normalised(shares: impl Iterator<Item = I64F64>) -> Vec<I32F32> {
    let mut report: Vec<I64F64> = shares.collect();
    math::inplace_normalize_64(&mut report);
    math::vec_fixed64_to_fixed32(&report)
}

/// Runs mechanism `mech` of a Null subnet with `budgets` to pay. The input's shape has been
/// checked by the caller.
pub(crate) fn run_mechanism(
    input: &SubnetEpochInput,
    mech: usize,
    budgets: NullBudgets,
    tracer: &mut Tracer,
) -> Result<MechanismRun, EpochError> {
    let n = usize::from(input.n);
    let m = input.mechanism(mech)?;

    // 1. Activity (reported only).
    let inactive = inactive(input, &m.last_update);
    let active: Vec<bool> = (0..n)
        .map(|i| !inactive.get(i).copied().unwrap_or(true))
        .collect();
    tracer.flags(1, "active (reported; Null pays regardless)", &active);

    // 2. Stake: the filtered, normalised stake is reported; payouts use the total.
    let (total_stake, stake) = stake_terms(input);
    tracer.vec(
        2,
        "stake (threshold-filtered, normalised; reported)",
        &stake,
    );

    // 3. The winner: the sole new permit holder.
    let winner = winner(&total_stake);
    let new_permits: Vec<bool> = (0..n).map(|uid| Some(uid) == winner).collect();
    tracer.flags(3, "new validator permit (the largest stake)", &new_permits);

    // 4. Weights: the winner's row alone, raw, masked as every epoch masks.
    let mut rows: Vec<SparseRow> = vec![Vec::new(); n];
    if let Some(uid) = winner {
        if let (Some(row), Some(stored)) = (rows.get_mut(uid), m.weights.get(uid)) {
            *row = stored
                .iter()
                .filter(|&&(j, _)| usize::from(j) < n)
                .map(|&(j, w)| (j, I32F32::saturating_from_num(w)))
                .collect();
        }
    }
    let (weights, commit_blocks) = mask_weights(input, m, rows);
    tracer.rows(
        4,
        "the winner's weights (masked, raw u16): row sum",
        &weights,
    );

    // 5. Incentive shares: the winner's raw weights; all zero → every uid one share.
    let mut incentive_shares = vec![0u128; n];
    if let Some(row) = winner.and_then(|uid| weights.get(uid)) {
        for &(j, w) in row {
            if let Some(share) = incentive_shares.get_mut(usize::from(j)) {
                *share = u128::from(w.saturating_to_num::<u16>());
            }
        }
    }
    let equal_shares = incentive_shares.iter().all(|&s| s == 0);
    if equal_shares {
        incentive_shares.fill(1);
    }
    let incentive = normalised(
        incentive_shares
            .iter()
            .map(|&s| I64F64::saturating_from_num(s)),
    );
    tracer.vec(5, "incentive (the winner's row, normalised)", &incentive);

    // 6. Dividend shares: every positive stake, as I64F64 bits.
    let dividend_shares: Vec<u128> = (0..n)
        .map(|i| match total_stake.get(i) {
            Some(s) if *s > I64F64::from_num(0) => s.to_bits() as u128,
            _ => 0,
        })
        .collect();
    let dividends = normalised(
        dividend_shares
            .iter()
            .map(|&bits| I64F64::from_bits(bits as i128)),
    );
    tracer.vec(6, "dividends (stake share)", &dividends);

    // 7. Payouts in whole rao.
    let has_validators = dividend_shares.iter().any(|&s| s > 0);
    let (miner_budget, validator_budget) = if has_validators {
        (budgets.mining, budgets.dividend)
    } else {
        (budgets.fallback, 0)
    };
    let server_emission = apportion_units(&incentive_shares, miner_budget);
    let validator_emission = apportion_units(&dividend_shares, validator_budget);
    let emission: Vec<u64> = server_emission
        .iter()
        .zip(&validator_emission)
        .map(|(s, v)| s.saturating_add(*v))
        .collect();

    // 8. What is stored.
    let u16s = |v: &[I32F32]| -> Vec<u16> {
        (0..n)
            .map(|i| v.get(i).map_or(0, |x| math::fixed_proportion_to_u16(*x)))
            .collect()
    };
    let zeros = vec![ZERO; n];
    // Bonds are not written: the stored rows stay as they are.
    let bonds: Vec<Vec<(u16, u16)>> = (0..n)
        .map(|i| m.bonds.get(i).cloned().unwrap_or_default())
        .collect();
    let total_emission: u64 = emission.iter().fold(0u64, |a, &e| a.saturating_add(e));
    let combined_fraction: Vec<I32F32> = emission
        .iter()
        .map(|&e| {
            I32F32::saturating_from_num(e)
                .checked_div(I32F32::saturating_from_num(total_emission))
                .unwrap_or(ZERO)
        })
        .collect();
    let output = EpochOutput {
        active,
        stake_weight: u16s(&stake),
        consensus: vec![0; n],
        incentive: u16s(&incentive),
        dividends: u16s(&dividends),
        validator_trust: vec![0; n],
        emission,
        server_emission,
        validator_emission,
        validator_permit: new_permits,
        bonds,
        trace: Vec::new(),
    };
    Ok(MechanismRun {
        output,
        // Null does not force the owner's permit.
        permits: (0..n)
            .map(|i| input.validator_permit.get(i).copied().unwrap_or(false))
            .collect(),
        active_stake: stake,
        weights,
        consensus: zeros.clone(),
        clipped: vec![Vec::new(); n],
        validator_trust: zeros.clone(),
        ranks: incentive_shares
            .iter()
            .map(|&s| I32F32::saturating_from_num(s))
            .collect(),
        incentive,
        dividend_bonds: vec![Vec::new(); n],
        bonds_incentive: zeros,
        raw_dividends: dividends,
        commit_blocks,
        combined_fraction,
        null: Some(NullRun {
            winner: winner.map(|w| u16::try_from(w).unwrap_or(u16::MAX)),
            equal_shares,
        }),
    })
}
