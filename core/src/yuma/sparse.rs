//! The sparse epoch: the runtime's production path (`epoch` at spec 218).

use super::math::{self, SparseRow};
use super::{
    bond_storage, bonds, finish, prepare, EpochError, EpochInput, EpochOutput, Terms, Tracer,
};
use alloc::vec::Vec;
use substrate_fixed::types::I32F32;

/// A stored u16 matrix as integer-valued fixed-point rows, entries to uids ≥ n dropped.
pub(crate) fn stored_rows(rows: &[Vec<(u16, u16)>], n: usize) -> Vec<SparseRow> {
    (0..n)
        .map(|i| {
            rows.get(i)
                .map(|row| {
                    row.iter()
                        .filter(|&&(j, _)| usize::from(j) < n)
                        .map(|&(j, v)| (j, I32F32::from_num(v)))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Drops entries `(i, j)` where `last_update_i ≤ block_at_registration_j`: weights (and bonds)
/// set before the target registered belong to its predecessor.
pub(crate) fn mask_outdated(m: &mut [SparseRow], last_update: &[u64], registered: &[u64]) {
    for (row, &updated) in m.iter_mut().zip(last_update) {
        row.retain(|&(j, _)| {
            registered
                .get(usize::from(j))
                .is_some_and(|&reg| updated > reg)
        });
    }
}

pub(crate) fn run(input: &EpochInput, tracer: &mut Tracer) -> Result<EpochOutput, EpochError> {
    let prep = prepare(input, tracer)?;
    let n = prep.n;
    let a = &prep.active_stake;

    // 5. weights
    let mut weights = stored_rows(&input.weights, n);
    for (i, row) in weights.iter_mut().enumerate() {
        if !prep.permits[i] {
            row.clear();
        } else {
            row.retain(|&(j, _)| usize::from(j) != i);
        }
    }
    mask_outdated(
        &mut weights,
        &input.last_update,
        &input.block_at_registration,
    );
    math::row_normalize_sparse(&mut weights);
    tracer.rows(5, "weights (masked, row-normalised): row sums", &weights);
    let preranks = math::matmul_sparse(&weights, a, n);

    // 6. consensus
    let consensus = math::weighted_median_col_sparse(a, &weights, n, prep.kappa);
    tracer.vec(6, "consensus", &consensus);

    // 7. clipping
    let clipped = math::col_clip_sparse(&weights, &consensus);

    // 8. validator trust
    let validator_trust = math::row_sum_sparse(&clipped);
    tracer.vec(8, "validator trust", &validator_trust);

    // 9. rank, trust, incentive
    let mut ranks = math::matmul_sparse(&clipped, a, n);
    let trust = math::vecdiv(&ranks, &preranks);
    math::normalize(&mut ranks);
    let incentive = ranks.clone();
    tracer.vec(9, "incentive", &incentive);

    // 10–11. bonds and dividends
    let (ema_bonds, dividends, upscale) = if input.params.yuma3 {
        let (ema, div) =
            bonds::yuma3_sparse(input, &prep, &weights, &clipped, &consensus, &incentive);
        (ema, div, false)
    } else {
        let mut old = stored_rows(&input.bonds, n);
        mask_outdated(&mut old, &input.last_update, &input.block_at_registration);
        math::col_normalize_sparse(&mut old, n);
        let mut delta = math::row_hadamard_sparse(&clipped, a);
        math::col_normalize_sparse(&mut delta, n);
        let mut ema = match bonds::liquid_alpha_218(&consensus, &input.params) {
            Some(alpha) => math::mat_ema_alpha_vec_sparse(&delta, &old, &alpha, n),
            None => math::mat_ema_sparse(&delta, &old, bonds::normal_alpha(&input.params), n),
        };
        math::col_normalize_sparse(&mut ema, n);
        let mut div = math::matmul_transpose_sparse(&ema, &incentive);
        math::normalize(&mut div);
        (ema, div, true)
    };
    tracer.rows(10, &super::bonds_mode(&input.params), &ema_bonds);
    tracer.vec(11, "dividends", &dividends);

    let terms = Terms {
        consensus,
        validator_trust,
        ranks,
        trust,
        incentive,
        dividends,
    };
    let permits = prep.permits.clone();
    let mut out = finish(input, prep, terms, tracer);
    let mut stored = ema_bonds;
    if upscale {
        math::col_max_upscale_sparse(&mut stored, n);
    }
    out.bonds = bond_storage(input, &permits, &out.validator_permit, |i| {
        stored[i]
            .iter()
            .map(|&(j, v)| (j, math::fixed_proportion_to_u16(v)))
            .collect()
    });
    Ok(out)
}
