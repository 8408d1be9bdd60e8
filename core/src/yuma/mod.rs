//! The Yuma consensus epoch, as the subtensor runtime (spec_version 218) runs it, in the
//! chain's fixed-point arithmetic (`substrate-fixed`: floor on multiply, truncation on divide,
//! saturating where the runtime saturates).
//!
//! [`epoch_sparse`] is the production path (`epoch`), [`epoch_dense`] the runtime's test path
//! (`epoch_dense`); both give the same numbers on a consistent state. The steps, numbered as
//! in the trace ([`epoch_sparse_traced`]):
//!
//! 1. activity: `active_i = last_update_i + activity_cutoff ≥ current_block`;
//! 2. stake: normalised in I64F64, narrowed to I32F32;
//! 3. permits: this epoch masks with the stored permits; the new ones are the top-k stakes;
//! 4. active stake: stake of active permit holders, normalised;
//! 5. weights: rows of permit holders, self-weights removed, entries older than the target's
//!    registration removed (`last_update_i ≤ block_at_registration_j`), rows normalised;
//! 6. consensus: the κ-majority stake-weighted median of each column;
//! 7. clipping of weights at consensus; 8. validator trust (row sums of the clipped weights);
//! 9. rank, trust and incentive;
//! 10. bonds: classic EMA of `ΔB = W̄ ◦ A` (218), per-column liquid alpha (218), or Yuma3
//!     (the current runtime: EMA of `W + β(W̄ − W)`, optional sigmoid liquid alpha);
//! 11. dividends; 12. emission split; 13. the u16 vectors and bond rows the chain stores.
//!
//! Where the runtime would panic on an inconsistent state (a bond to a uid ≥ n, vectors of
//! different lengths), this module drops the entry or returns an [`EpochError`] instead.

mod bonds;
mod dense;
mod input;
pub mod math;
mod sparse;

pub use input::{EpochInput, EpochOutput, EpochParams, TraceStep};

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use math::{fixed_proportion_to_u16, SparseRow, ZERO};
use substrate_fixed::types::{I32F32, I96F32};

/// Largest subnet the dense path accepts (it holds n × n matrices).
pub const DENSE_MAX_N: usize = 8192;

/// Why an epoch input cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    /// A per-uid vector does not have one entry per uid.
    #[error("`{field}` has {got} entries but the subnet has n = {n} uids (the length of `stake`)")]
    LengthMismatch {
        /// The offending field.
        field: &'static str,
        /// Its length.
        got: usize,
        /// The subnet size.
        n: usize,
    },
    /// More uids than the chain's u16 uids can address.
    #[error("n = {0} uids exceeds the chain's maximum of 65535")]
    TooManyNeurons(usize),
    /// The dense path would need too much memory.
    #[error("the dense epoch holds n × n matrices; n = {n} exceeds its limit of {max}, use the sparse path")]
    TooLargeForDense {
        /// The subnet size.
        n: usize,
        /// The limit.
        max: usize,
    },
    /// Yuma3 exists on the sparse production path only.
    #[error("Yuma3 bonds are implemented on the sparse path only (spec 218 has no Yuma3 at all)")]
    Yuma3Dense,
}

/// Runs the production (sparse) epoch.
pub fn epoch_sparse(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    sparse::run(input, &mut Tracer::off())
}

/// Runs the production (sparse) epoch and records each step's values in `trace`.
pub fn epoch_sparse_traced(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    let mut tracer = Tracer::on();
    let mut out = sparse::run(input, &mut tracer)?;
    out.trace = tracer.steps;
    Ok(out)
}

/// Runs the dense epoch (the runtime's `epoch_dense`, used by its tests).
pub fn epoch_dense(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    dense::run(input)
}

/// Collects [`TraceStep`]s when switched on; costs nothing when off.
pub(crate) struct Tracer {
    steps: Vec<TraceStep>,
    on: bool,
}

impl Tracer {
    fn off() -> Self {
        Self {
            steps: Vec::new(),
            on: false,
        }
    }

    fn on() -> Self {
        Self {
            steps: Vec::new(),
            on: true,
        }
    }

    pub(crate) fn vec(&mut self, step: u8, name: &str, values: &[I32F32]) {
        if self.on {
            self.push(
                step,
                name,
                values.iter().map(|v| v.to_num::<f64>()).collect(),
            );
        }
    }

    pub(crate) fn rows(&mut self, step: u8, name: &str, rows: &[SparseRow]) {
        if self.on {
            let sums = math::row_sum_sparse(rows);
            self.push(step, name, sums.iter().map(|v| v.to_num::<f64>()).collect());
        }
    }

    pub(crate) fn flags(&mut self, step: u8, name: &str, flags: &[bool]) {
        if self.on {
            self.push(
                step,
                name,
                flags.iter().map(|&b| f64::from(u8::from(b))).collect(),
            );
        }
    }

    fn push(&mut self, step: u8, name: &str, values: Vec<f64>) {
        self.steps.push(TraceStep {
            step,
            name: name.to_string(),
            values,
        });
    }
}

/// Steps 1–4, shared by both paths.
pub(crate) struct Prepared {
    pub n: usize,
    pub active: Vec<bool>,
    pub stake: Vec<I32F32>,
    pub permits: Vec<bool>,
    pub new_permits: Vec<bool>,
    pub active_stake: Vec<I32F32>,
    pub kappa: I32F32,
}

/// Checks the input's shape and runs steps 1–4.
pub(crate) fn prepare(input: &EpochInput, tracer: &mut Tracer) -> Result<Prepared, EpochError> {
    let n = input.stake.len();
    if n > usize::from(u16::MAX) {
        return Err(EpochError::TooManyNeurons(n));
    }
    let check = |field: &'static str, got: usize, exact: bool| {
        if (exact && got != n) || got > n {
            Err(EpochError::LengthMismatch { field, got, n })
        } else {
            Ok(())
        }
    };
    check("last_update", input.last_update.len(), true)?;
    check(
        "block_at_registration",
        input.block_at_registration.len(),
        true,
    )?;
    check("validator_permit", input.validator_permit.len(), true)?;
    check("weights", input.weights.len(), false)?;
    check("bonds", input.bonds.len(), false)?;
    let p = &input.params;

    // 1. activity
    let cutoff = u64::from(p.activity_cutoff);
    let active: Vec<bool> = input
        .last_update
        .iter()
        .map(|&u| u.saturating_add(cutoff) >= input.current_block)
        .collect();
    tracer.flags(1, "active", &active);

    // 2. stake
    let stake = math::normalize_stake(&input.stake);
    tracer.vec(2, "stake (normalised)", &stake);

    // 3. permits
    let permits = input.validator_permit.clone();
    let new_permits = math::is_topk(&stake, usize::from(p.max_allowed_validators));
    tracer.flags(3, "new validator permits", &new_permits);

    // 4. active stake
    let mut active_stake: Vec<I32F32> = stake
        .iter()
        .zip(active.iter().zip(&permits))
        .map(|(&s, (&a, &vp))| if a && vp { s } else { ZERO })
        .collect();
    math::normalize(&mut active_stake);
    tracer.vec(4, "active stake", &active_stake);

    let kappa = I32F32::from_num(p.kappa).saturating_div(I32F32::from_num(u16::MAX));
    Ok(Prepared {
        n,
        active,
        stake,
        permits,
        new_permits,
        active_stake,
        kappa,
    })
}

/// The per-uid vectors computed by steps 6–11.
pub(crate) struct Terms {
    pub consensus: Vec<I32F32>,
    pub validator_trust: Vec<I32F32>,
    pub ranks: Vec<I32F32>,
    pub trust: Vec<I32F32>,
    pub incentive: Vec<I32F32>,
    pub dividends: Vec<I32F32>,
}

/// Steps 12–13: the emission split and the u16 vectors; bond rows are filled by the caller.
pub(crate) fn finish(
    input: &EpochInput,
    prep: Prepared,
    terms: Terms,
    tracer: &mut Tracer,
) -> EpochOutput {
    // 12. emission
    let combined: Vec<I32F32> = terms
        .incentive
        .iter()
        .zip(&terms.dividends)
        .map(|(i, d)| i.saturating_add(*d))
        .collect();
    let emission_sum = math::sum(combined.iter().copied());
    let mut server = terms.incentive.clone();
    let mut validator = terms.dividends.clone();
    let mut combined_norm = combined;
    math::normalize_using_sum(&mut server, emission_sum);
    math::normalize_using_sum(&mut validator, emission_sum);
    math::normalize(&mut combined_norm);
    if emission_sum == ZERO {
        let fallback = if math::is_zero(&prep.active_stake) {
            &prep.stake
        } else {
            &prep.active_stake
        };
        validator.clone_from(fallback);
        combined_norm.clone_from(fallback);
    }
    tracer.vec(12, "normalised combined emission", &combined_norm);
    let rao = I96F32::from_num(input.rao_emission);
    let to_rao = |v: &[I32F32]| -> Vec<u64> {
        v.iter()
            .map(|x| {
                I96F32::from_num(*x)
                    .saturating_mul(rao)
                    .saturating_to_num::<u64>()
            })
            .collect()
    };
    let u16s =
        |v: &[I32F32]| -> Vec<u16> { v.iter().map(|x| fixed_proportion_to_u16(*x)).collect() };

    // 13. what the chain stores
    EpochOutput {
        active: prep.active,
        stake_weight: u16s(&prep.stake),
        rank: u16s(&terms.ranks),
        trust: u16s(&terms.trust),
        consensus: u16s(&terms.consensus),
        incentive: u16s(&terms.incentive),
        dividends: u16s(&terms.dividends),
        validator_trust: u16s(&terms.validator_trust),
        pruning_scores: crate::weights::max_upscale_fixed_to_u16(&combined_norm),
        emission: to_rao(&combined_norm),
        server_emission: to_rao(&server),
        validator_emission: to_rao(&validator),
        validator_permit: prep.new_permits,
        bonds: Vec::new(),
        trace: Vec::new(),
    }
}

/// The `Bonds` rows after the epoch: rows of new permit holders are `rows(i)`, rows of
/// uids that lost their permit are cleared, the others keep their stored value.
pub(crate) fn bond_storage(
    input: &EpochInput,
    prep_permits: &[bool],
    new_permits: &[bool],
    mut rows: impl FnMut(usize) -> Vec<(u16, u16)>,
) -> Vec<Vec<(u16, u16)>> {
    (0..new_permits.len())
        .map(|i| {
            if new_permits[i] {
                rows(i)
            } else if prep_permits[i] {
                Vec::new()
            } else {
                input.bonds.get(i).cloned().unwrap_or_default()
            }
        })
        .collect()
}

/// Human-readable name of the bonds mode, for traces and errors.
pub(crate) fn bonds_mode(p: &EpochParams) -> String {
    match (p.yuma3, p.liquid_alpha) {
        (false, false) => "classic bonds EMA".into(),
        (false, true) => "classic bonds EMA, liquid alpha".into(),
        (true, false) => "Yuma3 bonds".into(),
        (true, true) => "Yuma3 bonds, liquid alpha".into(),
    }
}

#[cfg(test)]
mod tests;
