//! The validator view's model: which uids to offer as validators, and one validator's row as
//! the core's epoch saw it ([`bt_core::yuma::ValidatorRowView`], from the same
//! [`bt_core::yuma::EpochDetail`] the what-if and the explanations read) turned into the
//! text the page shows. No number is computed here.

use bt_core::metagraph::Metagraph;
use bt_core::units::fraction_text;
use bt_core::yuma::{MaskReason, ValidatorRowView};

/// Why the epoch dropped a stored weight, in words.
pub fn mask_text(reason: Option<MaskReason>) -> &'static str {
    match reason {
        None => "",
        Some(MaskReason::NotAUid) => "not a uid",
        Some(MaskReason::NoPermit) => "no permit",
        Some(MaskReason::SelfWeight) => "self-weight",
        Some(MaskReason::SetBeforeRegistration) => "set before the uid registered",
        Some(MaskReason::CommittedBeforeRegistration) => "committed before the uid registered",
        Some(MaskReason::NotTheNullWinner) => "not read: Null reads the permit holder's row only",
    }
}

/// A fraction the core computed, as text with 6 decimals.
pub fn decimal(x: f64) -> String {
    format!("{x:.6}")
}

/// One stored entry of the row, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The uid weighted.
    pub uid: u16,
    /// The stored u16.
    pub stored: u16,
    /// Why the epoch dropped it ("" when counted).
    pub masked: &'static str,
    /// The weight in the epoch (masked, row-normalised), for the bar (0–1).
    pub weight: f64,
    /// The target's consensus, for the bar's mark (0–1).
    pub consensus: f64,
    /// The cells: weight, consensus, clipped weight, clipped amount (6 decimals).
    pub cells: [String; 4],
}

/// The row of `view` as lines, in storage order.
pub fn lines(view: &ValidatorRowView) -> Vec<Line> {
    view.entries
        .iter()
        .map(|e| Line {
            uid: e.uid,
            stored: e.stored,
            masked: mask_text(e.masked),
            weight: e.weight,
            consensus: e.consensus,
            cells: [
                decimal(e.weight),
                decimal(e.consensus),
                decimal(e.clipped),
                decimal(e.clipped_amount),
            ],
        })
        .collect()
}

/// The summary line: permit, activity, active stake, and validator trust as the core
/// computes it for this mechanism next to the chain's stored aggregate.
pub fn summary(
    view: &ValidatorRowView,
    stored_vtrust: u16,
    last_update: u64,
    block: u64,
) -> String {
    let when = if last_update == 0 {
        "has not set weights in this mechanism".to_string()
    } else {
        format!(
            "set these weights at block {last_update} ({} blocks before #{block})",
            block.saturating_sub(last_update)
        )
    };
    format!(
        "uid {} {when}; {}, {}, active stake {}. Validator trust (this mechanism, core): {} = the sum of its clipped weights; stored ValidatorTrust[netuid]: {}.",
        view.uid,
        if view.permitted { "permit" } else { "no permit (its row is ignored)" },
        if view.active { "active" } else { "inactive (weights older than the activity cutoff)" },
        decimal(view.active_stake),
        fraction_text(view.validator_trust_u16),
        fraction_text(stored_vtrust),
    )
}

/// The uids worth picking as validators: those that set weights, then the other permit
/// holders with stake, by uid.
pub fn validator_uids(metagraph: &Metagraph) -> Vec<u16> {
    let mut uids: Vec<u16> = metagraph
        .neurons
        .iter()
        .filter(|n| !n.weights.is_empty() || (n.validator_permit && n.total_stake > 0))
        .map(|n| n.uid)
        .collect();
    uids.sort_unstable();
    uids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heatmap::{Grid, Layer};
    use bt_core::metagraph::Neuron;
    use bt_core::whatif::now;
    use bt_core::yuma::validator_row_view;

    /// Two validators and three miners; validator 0 also weights itself and a uid ≥ n.
    fn subnet() -> Metagraph {
        let mut neurons: Vec<Neuron> = (0..5)
            .map(|uid| Neuron {
                uid,
                hotkey: [uid as u8; 32],
                last_update: 100,
                block_at_registration: 1,
                ..Neuron::default()
            })
            .collect();
        for (uid, stake) in [(0usize, 600_000_000_000u64), (1, 400_000_000_000)] {
            neurons[uid].alpha_stake = stake;
            neurons[uid].total_stake = stake;
            neurons[uid].validator_permit = true;
        }
        neurons[0].weights = vec![(0, 9000), (2, 65535), (3, 30000), (4, 1000), (9, 5)];
        neurons[1].weights = vec![(2, 20000), (3, 65535)];
        Metagraph {
            netuid: 1,
            block: 110,
            spec_version: 425,
            neurons,
            ..Metagraph::default()
        }
    }

    /// The validator view and the heatmap show exactly what the core computes on the same
    /// data: the row view of the what-if's epoch is `validator_row_view`, every line carries
    /// its values, and the heatmap's W is `Metagraph::weight_row`.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_views_show_the_cores_numbers() {
        let mg = subnet();
        let detail = now(&mg).unwrap();
        let input = mg
            .epoch_input(mg.block, bt_core::whatif::what_if_emission(&mg))
            .unwrap();
        for uid in [0u16, 1] {
            let view = detail.validator_row(0, uid).unwrap();
            assert_eq!(view, validator_row_view(&input, 0, uid).unwrap());
            let shown = lines(&view);
            assert_eq!(shown.len(), view.entries.len());
            for (line, e) in shown.iter().zip(&view.entries) {
                assert_eq!((line.uid, line.stored), (e.uid, e.stored));
                assert_eq!(line.weight, e.weight);
                assert_eq!(line.cells[0], format!("{:.6}", e.weight));
                assert_eq!(line.cells[2], format!("{:.6}", e.clipped));
                assert_eq!(line.cells[3], format!("{:.6}", e.clipped_amount));
            }
        }
        let view = detail.validator_row(0, 0).unwrap();
        let masks: Vec<&str> = lines(&view).iter().map(|l| l.masked).collect();
        assert_eq!(masks, ["self-weight", "", "", "", "not a uid"]);
        assert_eq!(
            view.validator_trust_u16,
            detail.output().validator_trust[0],
            "one mechanism: the aggregate is the mechanism's"
        );
        let text = summary(&view, 123, 100, 110);
        assert!(text.contains("10 blocks before #110"), "{text}");
        assert!(
            text.contains(&fraction_text(view.validator_trust_u16)),
            "{text}"
        );

        let grid = Grid::new(&mg, Layer::Weights);
        for (r, &uid) in grid.rows.iter().enumerate() {
            let core = mg.weight_row(uid).unwrap();
            for (c, &w) in core.iter().enumerate() {
                assert_eq!(grid.normalized(r, c), Some(f64::from(w)));
            }
        }
        assert_eq!(validator_uids(&mg), [0, 1]);
        assert_eq!(mg.heaviest_weight_setter(), Some(0));
    }

    /// The what-if's epoch values, asserted on both targets: the explorer's epoch is the
    /// validator's.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn epoch_values_are_exact_on_both_targets() {
        use bt_core::whatif::{run, Columns, Scenario};
        let mut mg = subnet();
        for n in &mut mg.neurons[..2] {
            n.weights = vec![(2, 65535), (3, 30000), (4, 1000)];
        }
        let out = run(&mg, &Scenario::default()).unwrap();
        assert_eq!(
            out.now,
            Columns {
                consensus: vec![0, 0, 44489, 20366, 678],
                incentive: vec![0, 0, 44489, 20366, 678],
                dividends: vec![39321, 26213, 0, 0, 0],
            }
        );
        let edited = run(
            &mg,
            &Scenario {
                validator: 0,
                weights: Some(vec![(3, 65535), (4, 20000)]),
                stake: Some(300_000_000_000),
            },
        )
        .unwrap();
        assert_eq!(edited.edited.incentive, vec![0, 0, 35854, 28723, 957]);
        assert_eq!(edited.edited.dividends, vec![12720, 52814, 0, 0, 0]);
    }
}
