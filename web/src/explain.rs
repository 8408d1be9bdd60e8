//! The detail panel's explanations as text: why a miner earns its incentive and why a
//! validator earns its dividends, line by line, from the core's
//! [`bt_core::yuma::MinerExplanation`] and [`bt_core::yuma::DividendExplanation`] (the same
//! epoch the what-if runs). No number is computed here.

use bt_core::units::fraction_text;
use bt_core::yuma::{DividendExplanation, MinerExplanation};

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
}
