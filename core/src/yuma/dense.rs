//! The dense epoch: the runtime's `epoch_dense` (spec 218), on full n × n matrices.
//!
//! Same numbers as the sparse path; it differs in what it stores for bonds: a new permit
//! holder's row lists all n columns, zeros included.

use super::math::{self, ZERO};
use super::{
    bond_storage, bonds, finish, prepare, EpochError, EpochInput, EpochOutput, Terms, Tracer,
    DENSE_MAX_N,
};
use alloc::vec;
use alloc::vec::Vec;
use substrate_fixed::types::I32F32;

/// A stored u16 matrix as a dense integer-valued matrix (entries to uids ≥ n dropped).
fn dense_rows(rows: &[Vec<(u16, u16)>], n: usize) -> Vec<Vec<I32F32>> {
    let mut m = vec![vec![ZERO; n]; n];
    for (i, row) in rows.iter().enumerate().take(n) {
        for &(j, v) in row {
            if let Some(e) = m[i].get_mut(usize::from(j)) {
                *e = I32F32::from_num(v);
            }
        }
    }
    m
}

/// Zeroes `(i, j)` where `last_update_i ≤ block_at_registration_j`.
fn mask_outdated(m: &mut [Vec<I32F32>], last_update: &[u64], registered: &[u64]) {
    for (row, &updated) in m.iter_mut().zip(last_update) {
        for (v, &reg) in row.iter_mut().zip(registered) {
            if updated <= reg {
                *v = ZERO;
            }
        }
    }
}

pub(crate) fn run(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    if input.params.yuma3 {
        return Err(EpochError::Yuma3Dense);
    }
    let n = input.stake.len();
    if n > DENSE_MAX_N {
        return Err(EpochError::TooLargeForDense {
            n,
            max: DENSE_MAX_N,
        });
    }
    let mut tracer = Tracer::off();
    let prep = prepare(input, &mut tracer)?;
    let a = &prep.active_stake;

    let mut weights = dense_rows(&input.weights, n);
    for (i, row) in weights.iter_mut().enumerate() {
        if !prep.permits[i] {
            row.iter_mut().for_each(|v| *v = ZERO);
        }
        row[i] = ZERO;
    }
    mask_outdated(
        &mut weights,
        &input.last_update,
        &input.block_at_registration,
    );
    math::row_normalize(&mut weights);
    let preranks = math::matmul(&weights, a);
    let consensus = if n == 0 {
        Vec::new()
    } else {
        math::weighted_median_col(a, &weights, prep.kappa)
    };
    math::col_clip(&mut weights, &consensus);
    let validator_trust = math::row_sum(&weights);
    let mut ranks = math::matmul(&weights, a);
    let trust = math::vecdiv(&ranks, &preranks);
    math::normalize(&mut ranks);
    let incentive = ranks.clone();

    let mut old = dense_rows(&input.bonds, n);
    mask_outdated(&mut old, &input.last_update, &input.block_at_registration);
    math::col_normalize(&mut old);
    let mut delta = math::row_hadamard(&weights, a);
    math::col_normalize(&mut delta);
    let mut ema = match bonds::liquid_alpha_218(&consensus, &input.params) {
        Some(alpha) => math::mat_ema_alpha_vec(&delta, &old, &alpha),
        None => math::mat_ema(&delta, &old, bonds::normal_alpha(&input.params)),
    };
    math::col_normalize(&mut ema);
    let mut dividends = math::matmul_transpose(&ema, &incentive);
    math::normalize(&mut dividends);

    let terms = Terms {
        consensus,
        validator_trust,
        ranks,
        trust,
        incentive,
        dividends,
    };
    let permits = prep.permits.clone();
    let mut out = finish(input, prep, terms, &mut tracer);
    math::col_max_upscale(&mut ema);
    out.bonds = bond_storage(input, &permits, &out.validator_permit, |i| {
        ema[i]
            .iter()
            .enumerate()
            .map(|(j, v)| (j as u16, math::fixed_proportion_to_u16(*v)))
            .collect()
    });
    Ok(out)
}
