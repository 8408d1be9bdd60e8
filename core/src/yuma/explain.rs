//! The epoch explained: one run of every mechanism that keeps what each step computed, so that
//! a validator's row, why a miner earns its incentive and why a validator earns its dividends
//! are read off the very run whose outputs are shown next to them (the explorer's what-if
//! "core now" columns come from the same [`EpochDetail`]).
//!
//! Every number is the epoch's own fixed-point value (converted exactly to f64 for display,
//! with the stored u16 alongside where the chain stores one); nothing is re-derived here
//! except the per-term products, which use the epoch's own multiplication (`saturating_mul`
//! in I32F32) in the epoch's order, so that they add up to the epoch's sums.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use substrate_fixed::types::I32F32;

use super::epoch::MechanismRun;
use super::math::{self, ZERO};
use super::view::{row_view, stored_entries};
use super::{
    check_input, mechanisms, EpochError, EpochOutput, MaskReason, MechanismInput, SubnetEpochInput,
    SubnetEpochOutput, ValidatorRowView,
};

fn f(x: I32F32) -> f64 {
    x.to_num::<f64>()
}

/// One validator's part in a miner's incentive (mechanism by mechanism).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Support {
    /// The validator.
    pub validator: u16,
    /// The u16 it stored for the miner.
    pub stored: u16,
    /// Why the epoch dropped the weight (None: counted).
    pub masked: Option<MaskReason>,
    /// The weight after masks and row normalisation (`W_ij`).
    pub weight: f64,
    /// The validator's share of the active stake (`S_i`).
    pub active_stake: f64,
    /// The weight clipped at the miner's consensus (`W̄_ij = min(W_ij, C_j)`).
    pub clipped: f64,
    /// `W_ij − W̄_ij`: what the clipping removed.
    pub clipped_amount: f64,
    /// `W̄_ij · S_i`: what this validator adds to the miner's rank.
    pub contribution: f64,
    /// `contribution / rank`: this validator's share of the miner's rank (0 when the rank
    /// is 0).
    pub rank_share: f64,
}

/// Why a uid earns the incentive it earns in one mechanism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinerExplanation {
    /// The miner.
    pub uid: u16,
    /// The mechanism.
    pub mechanism: u8,
    /// The miner's consensus `C_j` (the κ-majority stake-weighted median of its weights).
    pub consensus: f64,
    /// Consensus as the epoch stores it (u16).
    pub consensus_u16: u16,
    /// Every validator whose stored row names the miner, by uid.
    pub supports: Vec<Support>,
    /// `rank_j = Σ_i W̄_ij · S_i`.
    pub rank: f64,
    /// `Σ_k rank_k` over every uid: the incentive normalises by it.
    pub rank_total: f64,
    /// `rank_j / Σ rank`: the incentive.
    pub incentive: f64,
    /// The incentive as stored (u16).
    pub incentive_u16: u16,
}

/// One bond term of a validator's dividends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BondTerm {
    /// The bonded uid.
    pub uid: u16,
    /// The bond as the dividends read it (the column-normalised EMA bond `B_ij`).
    pub bond: f64,
    /// The uid's incentive `I_j`.
    pub incentive: f64,
    /// `B_ij · I_j`.
    pub product: f64,
}

/// Why a validator earns the dividends it earns in one mechanism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DividendExplanation {
    /// The validator.
    pub uid: u16,
    /// The mechanism.
    pub mechanism: u8,
    /// Yuma3 (`(Σ_j B_ij I_j) · S_i`) rather than Yuma2 (`Σ_j B_ij I_j`).
    pub yuma3: bool,
    /// The validator's share of the active stake (`S_i`).
    pub active_stake: f64,
    /// Its bonds with a non-zero value, by uid.
    pub terms: Vec<BondTerm>,
    /// `Σ_j B_ij · I_j`.
    pub bonds_times_incentive: f64,
    /// The dividend before normalisation: Yuma3 `Σ_j B_ij I_j · S_i`, Yuma2 `Σ_j B_ij I_j`.
    pub raw: f64,
    /// The sum of every validator's raw dividend: the dividends normalise by it.
    pub raw_total: f64,
    /// `raw / raw_total`: the mechanism's dividend.
    pub dividend: f64,
    /// The mechanism's dividend as a u16.
    pub dividend_u16: u16,
}

/// Why a uid earns what it earns on a Null subnet (spec 475) in one mechanism: there is no
/// consensus, clipping or bond. Its incentive is the sole permit holder's raw weight on it over
/// that holder's counted total (or one equal share per uid when the holder's row counts
/// nothing), and its dividend is its stake over all stake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NullExplanation {
    /// The uid.
    pub uid: u16,
    /// The mechanism.
    pub mechanism: u8,
    /// The sole permit holder, the uid with the largest stake (None: an empty subnet).
    pub winner: Option<u16>,
    /// The raw u16 the winner stored for this uid (0 when none).
    pub stored: u16,
    /// Why the winner's entry for this uid was dropped (None: counted, or no entry).
    pub masked: Option<MaskReason>,
    /// The uid's incentive share: the counted raw weight, or 1 under equal shares.
    pub share: f64,
    /// Every uid's shares summed: the incentive divides by it.
    pub share_total: f64,
    /// The winner's row counted nothing (empty, stale or masked): every uid, validators
    /// included, got one equal share.
    pub equal_shares: bool,
    /// `share / share_total`: the incentive.
    pub incentive: f64,
    /// The incentive as stored (u16).
    pub incentive_u16: u16,
    /// The uid's stake as the epoch weighs it (rao; unfiltered: no permit, activity or
    /// threshold filter in a Null epoch).
    pub stake: f64,
    /// The stake of every uid with stake, summed.
    pub stake_total: f64,
    /// `stake / stake_total`: the dividend.
    pub dividend: f64,
    /// The dividend as stored (u16).
    pub dividend_u16: u16,
}

/// One epoch of a subnet, every mechanism, with the values of each step kept.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochDetail {
    input: SubnetEpochInput,
    output: SubnetEpochOutput,
    runs: Vec<MechanismRun>,
}

/// Runs the epoch on `input` (as [`super::epoch_with_mechanisms`]) and keeps each step's
/// values for the explanations.
pub fn epoch_detailed(input: SubnetEpochInput) -> Result<EpochDetail, EpochError> {
    check_input(&input)?;
    let mut runs = Vec::new();
    let output = mechanisms::run_keeping(&input, false, Some(&mut runs))?;
    Ok(EpochDetail {
        input,
        output,
        runs,
    })
}

impl EpochDetail {
    /// What the epoch writes (the same as [`super::epoch_with_mechanisms`] on this input).
    pub fn output(&self) -> &SubnetEpochOutput {
        &self.output
    }

    /// The input it ran on.
    pub fn input(&self) -> &SubnetEpochInput {
        &self.input
    }

    /// Yuma3 bonds and dividends.
    pub fn yuma3(&self) -> bool {
        self.input.params.yuma3_enabled
    }

    /// The epoch ran Null consensus (spec 475): [`EpochDetail::null`] explains it;
    /// [`EpochDetail::miner`] and [`EpochDetail::dividends`] are Yuma's terms.
    pub fn is_null(&self) -> bool {
        super::is_null(&self.input)
    }

    /// Why `uid` earns its incentive and dividend on a Null subnet in mechanism `mechanism`.
    pub fn null(&self, mechanism: u8, uid: u16) -> Result<NullExplanation, EpochError> {
        let (run, out, m) = self.mechanism(mechanism, uid)?;
        let null = run.null.unwrap_or(super::epoch::NullRun {
            winner: None,
            equal_shares: false,
        });
        let j = usize::from(uid);
        let entry = null.winner.and_then(|w| {
            stored_entries(&self.input, run, m, w)
                .into_iter()
                .rfind(|e| e.uid == uid)
        });
        let stakes = crate::stake::stake_weights(
            &self.input.alpha_stake,
            &self.input.tao_stake,
            self.input.tao_weight,
        );
        let positive = |s: &substrate_fixed::types::I64F64| s.to_num::<f64>().max(0.0);
        let stake = stakes.get(j).map_or(0.0, positive);
        let stake_total: f64 = stakes.iter().map(positive).sum();
        let share = run.ranks.get(j).copied().unwrap_or(ZERO);
        Ok(NullExplanation {
            uid,
            mechanism,
            winner: null.winner,
            stored: entry.as_ref().map_or(0, |e| e.stored),
            masked: entry.as_ref().and_then(|e| e.masked),
            share: f(share),
            share_total: run.ranks.iter().map(|&x| f(x)).sum(),
            equal_shares: null.equal_shares,
            incentive: f(run.incentive.get(j).copied().unwrap_or(ZERO)),
            incentive_u16: out.incentive.get(j).copied().unwrap_or(0),
            stake,
            stake_total,
            dividend: if stake_total > 0.0 {
                stake / stake_total
            } else {
                0.0
            },
            dividend_u16: out.dividends.get(j).copied().unwrap_or(0),
        })
    }

    fn mechanism(
        &self,
        mechanism: u8,
        uid: u16,
    ) -> Result<(&MechanismRun, &EpochOutput, &MechanismInput), EpochError> {
        if uid >= self.input.n {
            return Err(EpochError::UidOutOfRange {
                uid,
                n: self.input.n,
            });
        }
        let mech = usize::from(mechanism);
        let missing = EpochError::MissingMechanism {
            mechanism: mech,
            given: self.runs.len(),
        };
        let run = self.runs.get(mech).ok_or(missing.clone())?;
        let out = self.output.mechanisms.get(mech).ok_or(missing.clone())?;
        let m = self.input.mechanisms.get(mech).ok_or(missing)?;
        Ok((run, out, m))
    }

    /// Validator `uid`'s row in mechanism `mechanism` (as [`super::validator_row_view`]).
    pub fn validator_row(&self, mechanism: u8, uid: u16) -> Result<ValidatorRowView, EpochError> {
        let (run, out, _) = self.mechanism(mechanism, uid)?;
        row_view(&self.input, run, out, mechanism, uid)
    }

    /// Why `uid` earns its incentive in mechanism `mechanism`: each validator's weight on
    /// it, that validator's active stake, the consensus it is clipped at, and the resulting
    /// share of the rank.
    pub fn miner(&self, mechanism: u8, uid: u16) -> Result<MinerExplanation, EpochError> {
        let (run, out, m) = self.mechanism(mechanism, uid)?;
        let j = usize::from(uid);
        let rank = run.ranks.get(j).copied().unwrap_or(ZERO);
        let mut supports = Vec::new();
        for (i, row) in m.weights.iter().enumerate().take(usize::from(self.input.n)) {
            if !row.iter().any(|e| e.0 == uid) {
                continue;
            }
            let validator = u16::try_from(i).unwrap_or(u16::MAX);
            let Some(entry) = stored_entries(&self.input, run, m, validator)
                .into_iter()
                .find(|e| e.uid == uid)
            else {
                continue;
            };
            let stake = run.active_stake.get(i).copied().unwrap_or(ZERO);
            // The clipped weight the incentive used (col_clip_sparse drops an entry above a
            // consensus ≤ 0).
            let clipped = run
                .clipped
                .get(i)
                .and_then(|r| r.iter().find(|e| e.0 == uid))
                .map_or(ZERO, |e| e.1);
            // matmul_sparse: r_j += x_i · v.
            let contribution = stake.saturating_mul(clipped);
            supports.push(Support {
                validator,
                stored: entry.stored,
                masked: entry.masked,
                weight: f(entry.weight),
                active_stake: f(stake),
                clipped: f(clipped),
                clipped_amount: f(entry.weight.saturating_sub(clipped)),
                contribution: f(contribution),
                rank_share: if rank == ZERO {
                    0.0
                } else {
                    f(contribution) / f(rank)
                },
            });
        }
        let consensus = run.consensus.get(j).copied().unwrap_or(ZERO);
        Ok(MinerExplanation {
            uid,
            mechanism,
            consensus: f(consensus),
            consensus_u16: out.consensus.get(j).copied().unwrap_or(0),
            supports,
            rank: f(rank),
            rank_total: f(math::sum(run.ranks.iter().copied())),
            incentive: f(run.incentive.get(j).copied().unwrap_or(ZERO)),
            incentive_u16: out.incentive.get(j).copied().unwrap_or(0),
        })
    }

    /// Why validator `uid` earns its dividends in mechanism `mechanism`: its bonds times the
    /// incentive of the bonded uids (times its active stake under Yuma3), over every
    /// validator's.
    pub fn dividends(&self, mechanism: u8, uid: u16) -> Result<DividendExplanation, EpochError> {
        let (run, out, _) = self.mechanism(mechanism, uid)?;
        let i = usize::from(uid);
        let terms = run
            .dividend_bonds
            .get(i)
            .map(|row| {
                row.iter()
                    .filter(|e| e.1 != ZERO)
                    .map(|&(j, bond)| {
                        let incentive = run.incentive.get(usize::from(j)).copied().unwrap_or(ZERO);
                        BondTerm {
                            uid: j,
                            bond: f(bond),
                            incentive: f(incentive),
                            product: f(bond.saturating_mul(incentive)),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let raw = run.raw_dividends.get(i).copied().unwrap_or(ZERO);
        let total = math::sum(run.raw_dividends.iter().copied());
        Ok(DividendExplanation {
            uid,
            mechanism,
            yuma3: self.yuma3(),
            active_stake: f(run.active_stake.get(i).copied().unwrap_or(ZERO)),
            terms,
            bonds_times_incentive: f(run.bonds_incentive.get(i).copied().unwrap_or(ZERO)),
            raw: f(raw),
            raw_total: f(total),
            dividend: f(math::safe_div(raw, total)),
            dividend_u16: out.dividends.get(i).copied().unwrap_or(0),
        })
    }
}
