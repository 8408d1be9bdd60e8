//! How the shown subnet turns weights into rewards, as the page says it: its epoch rule (Null
//! consensus on spec 475, else Yuma3 or Yuma2), liquid alpha and which consensus it reads,
//! and the header line that names them. Every fact is the chain's (the metagraph's
//! hyperparameters and runtime); nothing is computed here.

use bt_core::metagraph::Metagraph;

/// The subnet's epoch rule, for the header and the explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetRules {
    /// `Null`, `Yuma3` or `Yuma2`.
    pub rule: &'static str,
    /// A Null-consensus subnet (spec 475): no Yuma, one validator decides.
    pub null: bool,
    /// One sentence on what the rule pays.
    pub text: String,
}

/// The rules of `mg`'s subnet.
pub fn subnet_rules(mg: &Metagraph) -> SubnetRules {
    let h = &mg.hyperparams;
    let null = mg.is_null();
    let text = if null {
        let holder = mg
            .neurons
            .iter()
            .find(|n| n.validator_permit)
            .map_or_else(|| "none yet".to_string(), |n| format!("uid {}", n.uid));
        format!(
            "Null consensus (spec 475): no Yuma. The largest stake holds the only validator permit ({holder}); its weight row, as set, is the miners' incentive; dividends follow stake; there is no consensus, validator trust or bonds."
        )
    } else {
        format!("{} · {}", yuma(h.yuma3), h.liquid_alpha_text())
    };
    SubnetRules {
        rule: if null { "Null" } else { yuma(h.yuma3) },
        null,
        text,
    }
}

/// `Yuma3` or `Yuma2`.
fn yuma(yuma3: bool) -> &'static str {
    if yuma3 {
        "Yuma3"
    } else {
        "Yuma2"
    }
}

/// The header's line for `mg` (live, or pinned at a past block).
pub fn header_text(mg: &Metagraph, pinned: bool) -> String {
    let rule = subnet_rules(mg).rule;
    let rule = if rule == "Null" {
        "Null consensus"
    } else {
        rule
    };
    if pinned {
        format!(
            "Subnet {} at past block #{}: {} uids, runtime spec {}, {rule}. “newest” follows the chain again.",
            mg.netuid,
            mg.block,
            mg.n(),
            mg.spec_version
        )
    } else {
        format!(
            "Subnet {}: {} uids, runtime spec {}, {rule}; following new blocks.",
            mg.netuid,
            mg.n(),
            mg.spec_version
        )
    }
}

/// A Null subnet as the tests build it: spec 475, four uids, uid 0 the largest stake and the
/// permit holder weighting uids 2 and 3 three to one (the runtime's own test
/// `null_consensus_winner_incentives_and_stake_dividends_ignore_activity`, coldint/subtensor@
/// 02214123 pallets/subtensor/src/tests/null_consensus.rs), uid 1's row ignored.
#[cfg(test)]
pub(crate) fn null_subnet() -> Metagraph {
    use bt_core::metagraph::Neuron;
    use bt_core::yuma::EpochConsensus;
    let mut neurons: Vec<Neuron> = (0..4)
        .map(|uid| Neuron {
            uid,
            ..Neuron::default()
        })
        .collect();
    neurons[0].alpha_stake = 300_000_000;
    neurons[0].total_stake = 300_000_000;
    neurons[0].validator_permit = true;
    neurons[0].weights = vec![(2, 3), (3, 1)];
    neurons[0].last_update = 1;
    neurons[1].alpha_stake = 100_000_000;
    neurons[1].total_stake = 100_000_000;
    neurons[1].weights = vec![(3, u16::MAX)];
    neurons[1].last_update = 1;
    let mut mg = Metagraph {
        netuid: 7,
        block: 1,
        spec_version: 475,
        neurons,
        ..Metagraph::default()
    };
    mg.hyperparams.tempo = u16::MAX - 1;
    mg.hyperparams.epoch_consensus = EpochConsensus::Null;
    mg.schedule.last_yuma_step_block = Some(0);
    mg
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::yuma::{ConsensusMode, EpochConsensus};

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_null_subnet_is_named_in_the_header_with_its_permit_holder() {
        let mg = null_subnet();
        let rules = subnet_rules(&mg);
        assert!(rules.null);
        assert_eq!(rules.rule, "Null");
        assert!(rules.text.contains("uid 0"), "{}", rules.text);
        assert!(header_text(&mg, false).contains("Null consensus"));
        assert!(header_text(&mg, true).contains("past block #1"));
        // The same state on a runtime before 475 has no Null rule: it is read as Yuma.
        let mut old = mg.clone();
        old.spec_version = 425;
        assert!(!subnet_rules(&old).null);
        assert_eq!(subnet_rules(&old).rule, "Yuma2");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_liquid_alpha_mode_is_shown_with_the_rule() {
        let mut mg = null_subnet();
        mg.hyperparams.epoch_consensus = EpochConsensus::Yuma;
        mg.hyperparams.yuma3 = true;
        mg.hyperparams.liquid_alpha_enabled = true;
        mg.hyperparams.liquid_alpha_consensus_mode = Some(ConsensusMode::Auto);
        let text = subnet_rules(&mg).text;
        assert!(text.starts_with("Yuma3 · liquid alpha on"), "{text}");
        assert!(text.contains("previous epoch's consensus (auto"), "{text}");
        mg.hyperparams.bonds_penalty = 1000;
        assert!(subnet_rules(&mg)
            .text
            .contains("this epoch's consensus (auto"));
        mg.hyperparams.liquid_alpha_consensus_mode = Some(ConsensusMode::Current);
        assert!(subnet_rules(&mg)
            .text
            .contains("reading this epoch's consensus"));
        mg.hyperparams.liquid_alpha_enabled = false;
        assert_eq!(subnet_rules(&mg).text, "Yuma3 · liquid alpha off");
    }
}
