//! The detail panel's explanations as text: why a miner earns its incentive and why a
//! validator earns its dividends, line by line, from the core's
//! [`bt_core::yuma::MinerExplanation`] and [`bt_core::yuma::DividendExplanation`] (the same
//! epoch the what-if runs); on a Null subnet (spec 475) from
//! [`bt_core::yuma::NullExplanation`]: the winner's row and the stake share. No number is
//! computed here.

use bt_core::units::fraction_text;
use bt_core::yuma::{DividendExplanation, MinerExplanation, NullExplanation};

use crate::validator_row::{decimal, mask_text};

/// One validator's part in a miner's incentive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportLine {
    /// The validator.
    pub validator: u16,
    /// The u16 it stored for the miner.
    pub stored: u16,
    /// Why the epoch dropped it ("" when counted).
    pub masked: &'static str,
    /// Weight in the epoch, active stake, clipped weight (at the consensus in
    /// [`miner_summary`]), clipped amount, contribution (`W̄·S`), share of the rank.
    pub cells: [String; 6],
}

/// The validators behind `m`, by uid.
pub fn support_lines(m: &MinerExplanation) -> Vec<SupportLine> {
    m.supports
        .iter()
        .map(|s| SupportLine {
            validator: s.validator,
            stored: s.stored,
            masked: mask_text(s.masked),
            cells: [
                decimal(s.weight),
                decimal(s.active_stake),
                decimal(s.clipped),
                decimal(s.clipped_amount),
                decimal(s.contribution),
                decimal(s.rank_share),
            ],
        })
        .collect()
}

/// How the lines add up to the incentive.
pub fn miner_summary(m: &MinerExplanation) -> String {
    format!(
        "rank = Σ W̄·S = {}; incentive = rank / Σ rank over every uid ({}) = {} (u16 {}, as the epoch stores it: {}). Consensus C = {} (u16 {}).",
        decimal(m.rank),
        decimal(m.rank_total),
        decimal(m.incentive),
        m.incentive_u16,
        fraction_text(m.incentive_u16),
        decimal(m.consensus),
        m.consensus_u16,
    )
}

/// One bond term of a validator's dividends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BondLine {
    /// The bonded uid.
    pub uid: u16,
    /// Bond, incentive, bond × incentive.
    pub cells: [String; 3],
}

/// The bond terms of `d`, by uid.
pub fn bond_lines(d: &DividendExplanation) -> Vec<BondLine> {
    d.terms
        .iter()
        .map(|t| BondLine {
            uid: t.uid,
            cells: [decimal(t.bond), decimal(t.incentive), decimal(t.product)],
        })
        .collect()
}

/// How the terms add up to the dividend, under the subnet's Yuma version.
pub fn dividend_summary(d: &DividendExplanation) -> String {
    let rule = if d.yuma3 {
        format!(
            "Yuma3: dividend = (Σ B·I) × active stake = {} × {} = {}",
            decimal(d.bonds_times_incentive),
            decimal(d.active_stake),
            decimal(d.raw)
        )
    } else {
        format!("Yuma2: dividend = Σ B·I = {}", decimal(d.raw))
    };
    format!(
        "{rule}; normalised over every validator ({}) = {} (u16 {}: {}).",
        decimal(d.raw_total),
        decimal(d.dividend),
        d.dividend_u16,
        fraction_text(d.dividend_u16)
    )
}

/// Why a uid earns its incentive on a Null subnet: the winner's raw weight on it over the
/// winner's counted total, or the equal-share fallback.
pub fn null_incentive_summary(e: &NullExplanation) -> String {
    let winner = e
        .winner
        .map_or_else(|| "nobody".to_string(), |w| format!("uid {w}"));
    let from = if e.equal_shares {
        format!(
            "the permit holder ({winner}) counted no weight, so every uid gets one equal share ({} of {})",
            decimal(e.share),
            decimal(e.share_total)
        )
    } else if let Some(reason) = e.masked {
        format!(
            "the permit holder ({winner}) stored {} for it, dropped ({}): share 0 of {}",
            e.stored,
            mask_text(Some(reason)),
            decimal(e.share_total)
        )
    } else {
        format!(
            "the permit holder ({winner}, the largest stake) gave it {} of its {} counted",
            decimal(e.share),
            decimal(e.share_total)
        )
    };
    format!(
        "Null consensus: {from}; incentive = {} (u16 {}: {}). No consensus, clipping or other validator counts.",
        decimal(e.incentive),
        e.incentive_u16,
        fraction_text(e.incentive_u16)
    )
}

/// Why a uid earns its dividend on a Null subnet: its stake over all stake.
pub fn null_dividend_summary(e: &NullExplanation) -> String {
    format!(
        "Null consensus: dividend = stake / all stake = {} / {} = {} (u16 {}: {}), with no permit, activity or threshold filter.",
        decimal(e.stake),
        decimal(e.stake_total),
        decimal(e.dividend),
        e.dividend_u16,
        fraction_text(e.dividend_u16)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::{Metagraph, Neuron};
    use bt_core::whatif::now;

    fn subnet(yuma3: bool) -> Metagraph {
        let mut neurons: Vec<Neuron> = (0..4)
            .map(|uid| Neuron {
                uid,
                last_update: 100,
                block_at_registration: 1,
                ..Neuron::default()
            })
            .collect();
        for (uid, stake) in [(0usize, 700_000_000_000u64), (1, 300_000_000_000)] {
            neurons[uid].alpha_stake = stake;
            neurons[uid].total_stake = stake;
            neurons[uid].validator_permit = true;
        }
        neurons[0].weights = vec![(2, 65535), (3, 10000)];
        neurons[1].weights = vec![(3, 65535)];
        neurons[0].bonds = vec![(2, 30000), (3, 1000)];
        neurons[1].bonds = vec![(3, 20000)];
        let mut mg = Metagraph {
            block: 110,
            spec_version: 425,
            neurons,
            ..Metagraph::default()
        };
        mg.hyperparams.yuma3 = yuma3;
        mg
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn explanations_show_the_cores_values() {
        for yuma3 in [false, true] {
            let mg = subnet(yuma3);
            let detail = now(&mg).unwrap();
            let m = detail.miner(0, 3).unwrap();
            let lines = support_lines(&m);
            assert_eq!(
                lines.iter().map(|l| l.validator).collect::<Vec<_>>(),
                [0, 1]
            );
            assert_eq!(lines[1].cells[0], decimal(m.supports[1].weight));
            assert_eq!(lines[0].cells[4], decimal(m.supports[0].contribution));
            assert_eq!(m.incentive_u16, detail.output().mechanisms[0].incentive[3]);
            assert!(miner_summary(&m).contains(&format!("u16 {}", m.incentive_u16)));

            let d = detail.dividends(0, 0).unwrap();
            assert_eq!(d.dividend_u16, detail.output().dividends[0]);
            let bonds = bond_lines(&d);
            assert_eq!(bonds.len(), d.terms.len());
            assert!(!bonds.is_empty());
            let text = dividend_summary(&d);
            assert!(
                text.starts_with(if yuma3 { "Yuma3" } else { "Yuma2" }),
                "{text}"
            );
        }
    }

    /// On the Null fixture (the state of the runtime's test
    /// `null_consensus_winner_incentives_and_stake_dividends_ignore_activity`): the incentive
    /// is the winner's row 3:1, the dividends the stake 3:1, and the texts say so. The u16 are
    /// the runtime's reporting of those shares: ⌊0.75 × 65535⌋ = 49151, ⌊0.25 × 65535⌋ = 16383.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn null_explanations_show_the_winners_row_and_the_stake_share() {
        let mg = crate::rules::null_subnet();
        let detail = now(&mg).unwrap();
        assert!(detail.is_null());
        let miner = detail.null(0, 2).unwrap();
        assert_eq!(miner.winner, Some(0));
        assert_eq!((miner.stored, miner.masked), (3, None));
        assert_eq!((miner.share, miner.share_total), (3.0, 4.0));
        assert_eq!(miner.incentive_u16, 49_151);
        let text = null_incentive_summary(&miner);
        assert!(
            text.contains("uid 0") && text.contains("u16 49151"),
            "{text}"
        );
        // uid 1's own row (all on uid 3) is not read: uid 3 gets the winner's 1 of 4.
        assert_eq!(detail.null(0, 3).unwrap().incentive_u16, 16_383);
        let validator = detail.null(0, 0).unwrap();
        assert_eq!(validator.dividend_u16, 49_151);
        assert_eq!(detail.null(0, 1).unwrap().dividend_u16, 16_383);
        assert!(null_dividend_summary(&validator).contains("u16 49151"));
        // The loser's row is marked as not read.
        let rows = detail.validator_row(0, 1).unwrap();
        assert!(rows
            .entries
            .iter()
            .all(|e| e.masked == Some(bt_core::yuma::MaskReason::NotTheNullWinner)));
        // The what-if reruns the Null rules: moving the winner's weight moves the incentive.
        let scenario = bt_core::whatif::Scenario {
            validator: 0,
            weights: Some(vec![(2, 1), (3, 1)]),
            stake: None,
        };
        let outcome = bt_core::whatif::compare(&mg, &detail, &scenario).unwrap();
        assert_eq!(outcome.edited.incentive[2], 32_767);
        // A non-winner's edit changes nothing.
        let ignored = bt_core::whatif::Scenario {
            validator: 1,
            weights: Some(vec![(2, 65_535)]),
            stake: None,
        };
        let outcome = bt_core::whatif::compare(&mg, &detail, &ignored).unwrap();
        assert_eq!(outcome.edited.incentive[2], 49_151);
    }
}
