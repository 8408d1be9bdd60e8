//! The neuron table's model: one row per uid with the columns the explorer shows, and the
//! sorting and filtering the table offers. Pure data, so it is tested natively and in wasm.
//!
//! Columns are labelled as the chain stores them: incentive and last update are the selected
//! mechanism's (`Incentive[idx]`, `LastUpdate[idx]`, `idx = mecid·4096 + netuid`), consensus,
//! dividends, validator trust and emission are the subnet's aggregates (`…[netuid]`, each
//! mechanism weighted by its emission share).

use bt_core::metagraph::{Metagraph, Neuron};
use bt_core::pruning::{pruning_order, PruneRank, PruneRisk};
use bt_core::units::{fraction_text, tokens_text};
use serde::Serialize;

/// One line of the neuron table, in the chain's units (u16 proportions, rao).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The uid.
    pub uid: u16,
    /// The hotkey's SS58 address.
    pub hotkey: String,
    /// The stake the epoch weighs this uid by (rao of α: alpha + TaoWeight × root τ).
    pub stake: u64,
    /// Its alpha stake (rao of α).
    pub alpha_stake: u64,
    /// Its root stake (rao of τ).
    pub tao_stake: u64,
    /// Consensus (u16 proportion).
    pub consensus: u16,
    /// Incentive (u16 proportion).
    pub incentive: u16,
    /// Dividends (u16 proportion).
    pub dividends: u16,
    /// Emission of the last epoch (rao).
    pub emission: u64,
    /// Validator trust (u16 proportion).
    pub validator_trust: u16,
    /// Holds a validator permit.
    pub validator_permit: bool,
    /// Marked active by the last epoch.
    pub active: bool,
    /// Block of the last weight setting.
    pub last_update: u64,
    /// `ip:port` of the axon, empty when the neuron does not serve.
    pub axon: String,
    /// Its place in the chain's pruning order and its immunity (`None` when the
    /// registration settings were not read).
    pub prune: Option<PruneRisk>,
}

impl Row {
    /// The row for `neuron`; `ss58` renders a public key as an address.
    pub fn new(neuron: &Neuron, ss58: &impl Fn(&[u8; 32]) -> String) -> Self {
        Self {
            uid: neuron.uid,
            hotkey: ss58(&neuron.hotkey),
            stake: neuron.total_stake,
            alpha_stake: neuron.alpha_stake,
            tao_stake: neuron.tao_stake,
            consensus: neuron.consensus,
            incentive: neuron.incentive,
            dividends: neuron.dividends,
            emission: neuron.emission,
            validator_trust: neuron.validator_trust,
            validator_permit: neuron.validator_permit,
            active: neuron.active,
            last_update: neuron.last_update,
            axon: if neuron.axon.is_serving() {
                format!("{}:{}", neuron.axon.ip_string(), neuron.axon.port)
            } else {
                String::new()
            },
            prune: None,
        }
    }

    /// The pruning order as a sort key: places first, then the uids the floor of free uids
    /// protects, then the owner's immortal ones, then unknown.
    pub fn prune_key(&self) -> u32 {
        match self.prune.map(|p| p.rank) {
            Some(PruneRank::Place(n)) => u32::from(n),
            Some(PruneRank::Floor) => 1 << 17,
            Some(PruneRank::OwnerImmortal) => 1 << 18,
            None => u32::MAX,
        }
    }

    /// The hotkey shortened for a table cell: `5F3sa2…h9Qx`.
    pub fn short_hotkey(&self) -> String {
        short_address(&self.hotkey)
    }
}

/// `5F3sa2…h9Qx` for a long address; short strings unchanged.
pub fn short_address(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() <= 12 {
        return address.to_string();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// All rows of `metagraph`, by uid.
pub fn rows(metagraph: &Metagraph, ss58: impl Fn(&[u8; 32]) -> String) -> Vec<Row> {
    let mut rows: Vec<Row> = metagraph
        .neurons
        .iter()
        .map(|n| Row::new(n, &ss58))
        .collect();
    if let Some(rules) = &metagraph.registration {
        for risk in pruning_order(metagraph, rules) {
            if let Some(row) = rows.get_mut(usize::from(risk.uid)) {
                row.prune = Some(risk);
            }
        }
    }
    rows
}

/// The table's columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// uid
    Uid,
    /// hotkey
    Hotkey,
    /// stake
    Stake,
    /// consensus
    Consensus,
    /// incentive
    Incentive,
    /// dividends
    Dividends,
    /// emission
    Emission,
    /// validator trust
    ValidatorTrust,
    /// validator permit
    Permit,
    /// active
    Active,
    /// place in the pruning order
    Prune,
    /// last update
    LastUpdate,
    /// axon
    Axon,
}

impl Column {
    /// The columns the page's table shows (the axon is in the detail panel and the exports).
    pub const SHOWN: [Column; 12] = [
        Column::Uid,
        Column::Hotkey,
        Column::Stake,
        Column::Consensus,
        Column::Incentive,
        Column::Dividends,
        Column::Emission,
        Column::ValidatorTrust,
        Column::Permit,
        Column::Active,
        Column::Prune,
        Column::LastUpdate,
    ];

    /// Every column, in export order.
    pub const ALL: [Column; 13] = [
        Column::Uid,
        Column::Hotkey,
        Column::Stake,
        Column::Consensus,
        Column::Incentive,
        Column::Dividends,
        Column::Emission,
        Column::ValidatorTrust,
        Column::Permit,
        Column::Active,
        Column::Prune,
        Column::LastUpdate,
        Column::Axon,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Uid => "uid",
            Column::Hotkey => "hotkey",
            Column::Stake => "stake α",
            Column::Consensus => "C",
            Column::Incentive => "I",
            Column::Dividends => "D",
            Column::Emission => "E α",
            Column::ValidatorTrust => "vtrust",
            Column::Permit => "permit",
            Column::Active => "active",
            Column::Prune => "prune",
            Column::LastUpdate => "last_update",
            Column::Axon => "axon",
        }
    }

    /// Whose value the column shows.
    pub fn scope(self) -> Scope {
        match self {
            Column::Incentive | Column::LastUpdate => Scope::Mechanism,
            Column::Consensus
            | Column::Dividends
            | Column::Emission
            | Column::ValidatorTrust
            | Column::Permit
            | Column::Active
            | Column::Prune => Scope::Subnet,
            Column::Uid | Column::Hotkey | Column::Stake | Column::Axon => Scope::Neuron,
        }
    }

    /// What the header's tooltip explains (the storage item, and the unit).
    pub fn help(self) -> &'static str {
        match self {
            Column::Uid => "the neuron's index in the subnet",
            Column::Hotkey => "the hotkey's SS58 address (the icon copies it whole)",
            Column::Stake => "the stake the epoch weighs this uid by: alpha + TaoWeight × root τ, in α",
            Column::Consensus => "Consensus[netuid]: the κ-majority stake-weighted median of the weights this uid received, each mechanism weighted by its emission share",
            Column::Incentive => "Incentive[mecid·4096+netuid]: this uid's share of the selected mechanism's miner emission",
            Column::Dividends => "Dividends[netuid]: this uid's share of the validators' emission, each mechanism weighted by its emission share",
            Column::Emission => "Emission[netuid]: what the last epoch paid this uid across mechanisms, in α",
            Column::ValidatorTrust => "ValidatorTrust[netuid]: how much of this validator's weight survived clipping at consensus, each mechanism weighted by its emission share",
            Column::Permit => "ValidatorPermit[netuid]: holds a validator permit",
            Column::Active => "Active[netuid]: set weights within the activity cutoff in some mechanism",
            Column::Prune => "the order in which the chain replaces uids when registrations arrive on a full subnet (get_neuron_to_prune: lowest Emission, then oldest registration, then lowest uid; free uids before immune ones while more than MinNonImmuneUids are free; the owner's immortal hotkeys never), and the blocks of ImmunityPeriod left",
            Column::LastUpdate => "LastUpdate[mecid·4096+netuid]: block of the last weight setting in the selected mechanism",
            Column::Axon => "the miner's announced address",
        }
    }

    /// The cell text of `row` in this column (the hotkey shortened).
    pub fn cell(self, row: &Row) -> String {
        match self {
            Column::Uid => row.uid.to_string(),
            Column::Hotkey => row.short_hotkey(),
            Column::Stake => tokens(row.stake),
            Column::Consensus => proportion(row.consensus),
            Column::Incentive => proportion(row.incentive),
            Column::Dividends => proportion(row.dividends),
            Column::Emission => tokens(row.emission),
            Column::ValidatorTrust => proportion(row.validator_trust),
            Column::Permit => yes_no(row.validator_permit),
            Column::Active => yes_no(row.active),
            Column::Prune => prune_text(row.prune),
            Column::LastUpdate => row.last_update.to_string(),
            Column::Axon => row.axon.clone(),
        }
    }
}

/// A uid's place in the pruning order and its immunity: `#1`, `floor`, `owner`, each with
/// `· immune N` while immune.
pub fn prune_text(prune: Option<PruneRisk>) -> String {
    let Some(p) = prune else {
        return String::new();
    };
    let place = match p.rank {
        PruneRank::Place(n) => format!("#{n}"),
        PruneRank::Floor => "floor".to_string(),
        PruneRank::OwnerImmortal => "owner".to_string(),
    };
    if p.immune {
        format!("{place} · immune {}", p.immunity_left)
    } else {
        place
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A u16 proportion as a fraction of 1 with 4 decimals (`65535` → `1.0000`).
pub fn proportion(value: u16) -> String {
    fraction_text(value)
}

/// Rao as whole tokens with 4 decimals (`1_500_000_000` → `1.5000`).
pub fn tokens(rao: u64) -> String {
    tokens_text(rao)
}

/// Whose value a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The neuron itself (uid, keys, stake, axon).
    Neuron,
    /// The selected mechanism (`…[mecid·4096+netuid]`).
    Mechanism,
    /// The subnet across mechanisms (`…[netuid]`).
    Subnet,
}

/// Sorts `rows` by `column` (ties by uid), descending when asked.
pub fn sort(rows: &mut [Row], column: Column, descending: bool) {
    rows.sort_by(|a, b| {
        let ord = match column {
            Column::Uid => a.uid.cmp(&b.uid),
            Column::Hotkey => a.hotkey.cmp(&b.hotkey),
            Column::Stake => a.stake.cmp(&b.stake),
            Column::Consensus => a.consensus.cmp(&b.consensus),
            Column::Incentive => a.incentive.cmp(&b.incentive),
            Column::Dividends => a.dividends.cmp(&b.dividends),
            Column::Emission => a.emission.cmp(&b.emission),
            Column::ValidatorTrust => a.validator_trust.cmp(&b.validator_trust),
            Column::Permit => a.validator_permit.cmp(&b.validator_permit),
            Column::Active => a.active.cmp(&b.active),
            Column::Prune => a.prune_key().cmp(&b.prune_key()),
            Column::LastUpdate => a.last_update.cmp(&b.last_update),
            Column::Axon => a.axon.cmp(&b.axon),
        }
        .then(a.uid.cmp(&b.uid));
        if descending {
            ord.reverse()
        } else {
            ord
        }
    });
}

/// What the filter box and its check boxes ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Free text: a uid (exact, when it is a number), or part of a hotkey or an axon address (case-insensitive).
    pub text: String,
    /// Only validator-permit holders.
    pub permit_only: bool,
    /// Only neurons that serve an axon.
    pub serving_only: bool,
}

impl Filter {
    /// True when `row` passes.
    pub fn accepts(&self, row: &Row) -> bool {
        if self.permit_only && !row.validator_permit {
            return false;
        }
        if self.serving_only && row.axon.is_empty() {
            return false;
        }
        let text = self.text.trim();
        if text.is_empty() {
            return true;
        }
        // A number is a uid (SS58 addresses contain digits too).
        if let Ok(uid) = text.parse::<u16>() {
            return row.uid == uid;
        }
        let needle = text.to_lowercase();
        row.hotkey.to_lowercase().contains(&needle) || row.axon.contains(&needle)
    }

    /// The rows that pass, in their order.
    pub fn apply(&self, rows: &[Row]) -> Vec<Row> {
        rows.iter().filter(|r| self.accepts(r)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::AxonInfo;

    fn neuron(uid: u16, stake: u64, consensus: u16, permit: bool, serving: bool) -> Neuron {
        Neuron {
            uid,
            hotkey: [uid as u8; 32],
            total_stake: stake,
            consensus,
            validator_permit: permit,
            axon: if serving {
                AxonInfo {
                    ip: u128::from(u32::from_be_bytes([10, 0, 0, uid as u8])),
                    port: 8091,
                    ip_type: 4,
                    ..AxonInfo::default()
                }
            } else {
                AxonInfo::default()
            },
            ..Neuron::default()
        }
    }

    fn sample() -> Vec<Row> {
        let mg = Metagraph {
            neurons: vec![
                neuron(0, 5_000_000_000, 0, true, false),
                neuron(1, 0, 40_000, false, true),
                neuron(2, 0, 20_000, false, true),
                neuron(3, 1_000_000_000, 20_000, true, false),
            ],
            ..Metagraph::default()
        };
        rows(&mg, |k| format!("5Key{:02}abcdefghijklmnop", k[0]))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rows_carry_the_chain_values_and_render_them() {
        let rows = sample();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1].axon, "10.0.0.1:8091");
        assert_eq!(rows[0].axon, "");
        assert_eq!(Column::Stake.cell(&rows[0]), "5.0000");
        assert_eq!(Column::Consensus.cell(&rows[1]), "0.6104");
        assert_eq!(Column::Hotkey.cell(&rows[0]), "5Key00…mnop");
        assert_eq!(proportion(u16::MAX), "1.0000");
        assert_eq!(Column::Incentive.scope(), Scope::Mechanism);
        assert_eq!(Column::Dividends.scope(), Scope::Subnet);
        assert!(Column::Consensus.help().starts_with("Consensus[netuid]"));
        assert_eq!(tokens(1_500_000_000), "1.5000");
        assert_eq!(tokens(123), "0.0000");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_prune_column_follows_the_chains_order() {
        // Emissions 3, 1, 2, 0 (uid 3 the owner, immortal); uid 2 registered late (immune).
        let mut mg = Metagraph {
            block: 1000,
            neurons: (0..4u16)
                .map(|uid| Neuron {
                    uid,
                    hotkey: [uid as u8; 32],
                    emission: [3, 1, 2, 0][usize::from(uid)],
                    block_at_registration: if uid == 2 { 990 } else { 0 },
                    ..Neuron::default()
                })
                .collect(),
            owner_hotkey: Some([3; 32]),
            registration: Some(bt_core::pruning::RegistrationRules {
                min_non_immune_uids: 0,
                immune_owner_uids_limit: 1,
                owner_hotkeys: vec![],
            }),
            ..Metagraph::default()
        };
        mg.hyperparams.immunity_period = 100;
        let mut rows = rows(&mg, |k| format!("{}", k[0]));
        let cells: Vec<String> = rows.iter().map(|r| Column::Prune.cell(r)).collect();
        assert_eq!(cells, ["#2", "#1", "#3 · immune 90", "owner"]);
        sort(&mut rows, Column::Prune, false);
        assert_eq!(rows.iter().map(|r| r.uid).collect::<Vec<_>>(), [1, 0, 2, 3]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn sorting_is_stable_by_uid_and_reversible() {
        let mut rows = sample();
        sort(&mut rows, Column::Consensus, true);
        assert_eq!(rows.iter().map(|r| r.uid).collect::<Vec<_>>(), [1, 3, 2, 0]);
        sort(&mut rows, Column::Consensus, false);
        assert_eq!(rows.iter().map(|r| r.uid).collect::<Vec<_>>(), [0, 2, 3, 1]);
        sort(&mut rows, Column::Stake, true);
        assert_eq!(rows[0].uid, 0);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn filter_by_uid_text_and_flags() {
        let rows = sample();
        let uids = |f: &Filter| f.apply(&rows).iter().map(|r| r.uid).collect::<Vec<_>>();
        assert_eq!(uids(&Filter::default()), [0, 1, 2, 3]);
        let by_uid = Filter {
            text: "2".into(),
            ..Filter::default()
        };
        assert_eq!(uids(&by_uid), [2]);
        let by_key = Filter {
            text: "KEY03".into(),
            ..Filter::default()
        };
        assert_eq!(uids(&by_key), [3]);
        let by_axon = Filter {
            text: "10.0.0.".into(),
            ..Filter::default()
        };
        assert_eq!(uids(&by_axon), [1, 2]);
        let permits = Filter {
            permit_only: true,
            ..Filter::default()
        };
        assert_eq!(uids(&permits), [0, 3]);
        let serving = Filter {
            serving_only: true,
            ..Filter::default()
        };
        assert_eq!(uids(&serving), [1, 2]);
    }
}
