//! Every storage item, call and runtime API this crate uses on the chain, in one list
//! ([`USED`]), with which runtime generations have it (385, 425, 475), the value types its
//! decoder takes or the call's argument names, and what the code does where a runtime lacks
//! it. `docs/chain-specs.md` shows the list as a table.
//!
//! The code cannot drift from it: a storage read ([`crate::storage::Batch`]) and a weights call
//! check the list in debug builds, which the tests run, and `chain/tests/conformance.rs` holds
//! the list against the descriptors SDK 11.3.0 generated from a spec-475 runtime's metadata
//! and against the metadata of the spec-425 and spec-385 runtimes in `chain/specs/`.

/// What kind of chain interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A storage item; `shape` lists the value types the decoder takes (as the SDK and the
    /// metadata name them).
    Storage,
    /// A call; `shape` is its argument names in order.
    Call,
    /// A runtime API method (`pallet` is the API); `shape` is empty.
    RuntimeApi,
}

/// One interface the code uses.
#[derive(Debug, Clone, Copy)]
pub struct Used {
    /// Storage, call or runtime API.
    pub kind: Kind,
    /// The pallet (or runtime API).
    pub pallet: &'static str,
    /// The item, call or method.
    pub name: &'static str,
    /// Storage: the value types the decoder takes; call: the argument names.
    pub shape: &'static [&'static str],
    /// Whether spec 385, 425 and 475 have it.
    pub present: [bool; 3],
    /// What the code reads it for, or does where it is absent.
    pub note: &'static str,
}

/// The runtime generations [`Used::present`] refers to, in order.
pub const GENERATIONS: [u32; 3] = [385, 425, 475];

const ALL: [bool; 3] = [true, true, true];
const FROM_425: [bool; 3] = [false, true, true];
const ONLY_475: [bool; 3] = [false, false, true];
const ONLY_385: [bool; 3] = [true, false, false];

const fn storage(
    pallet: &'static str,
    name: &'static str,
    shape: &'static [&'static str],
    present: [bool; 3],
    note: &'static str,
) -> Used {
    Used {
        kind: Kind::Storage,
        pallet,
        name,
        shape,
        present,
        note,
    }
}

const fn call(
    pallet: &'static str,
    name: &'static str,
    shape: &'static [&'static str],
    present: [bool; 3],
    note: &'static str,
) -> Used {
    Used {
        kind: Kind::Call,
        pallet,
        name,
        shape,
        present,
        note,
    }
}

const S: &str = "SubtensorModule";
const A: &str = "AdminUtils";
const READ: &str = "read: required";
const OPT: &str = "read where present; absent: the default";
const U16: &[&str] = &["u16"];
const U64: &[&str] = &["u64", "AlphaBalance"];
const BOOL: &[&str] = &["bool"];
const U16S: &[&str] = &["Vec<u16>", "Vec<PerU16>"];
const ROW: &[&str] = &["Vec<(u16, u16)>"];
const LINKS: &[&str] = &["Vec<(u64, AccountId32)>"];
const ACCOUNT: &[&str] = &["AccountId32"];
const LOCAL: &str = "local chain only (bootstrap)";
const TESTS: &str = "local chain only (the chain tests)";

/// Everything the crate uses, grouped: the metagraph's storage, the schedule and commits, the
/// drand beacon, the weights calls, the local chain's bootstrap, the runtime APIs.
pub const USED: &[Used] = &[
    // The subnet's vectors (metagraph sync, history, replay).
    storage(S, "NetworksAdded", BOOL, ALL, READ),
    storage(S, "SubnetworkN", U16, ALL, READ),
    storage(S, "Active", &["Vec<bool>"], ALL, READ),
    storage(S, "ValidatorPermit", &["Vec<bool>"], ALL, READ),
    storage(S, "Emission", &["Vec<u64>", "Vec<AlphaBalance>"], ALL, READ),
    storage(S, "Dividends", U16S, ALL, "read: required; PerU16 at 475 (the same bytes)"),
    storage(S, "Consensus", U16S, ALL, "read: required; PerU16 at 475, zero under Null"),
    storage(S, "ValidatorTrust", U16S, ALL, "read: required; PerU16 at 475, zero under Null"),
    storage(S, "Incentive", U16S, ALL, "read per mechanism: required; PerU16 at 475"),
    storage(S, "StakeWeight", U16S, ALL, OPT),
    storage(S, "Rank", U16S, ONLY_385, "read where present (removed after 385)"),
    storage(S, "Trust", U16S, ONLY_385, "read where present (removed after 385)"),
    storage(S, "PruningScores", U16S, ONLY_385, "read where present (removed after 385)"),
    storage(S, "LastUpdate", &["Vec<u64>"], ALL, "read per mechanism: required"),
    storage(S, "Weights", ROW, ALL, "read per mechanism and uid: required"),
    storage(S, "Bonds", ROW, ALL, "read per mechanism and uid: required; Null leaves them"),
    storage(S, "Keys", ACCOUNT, ALL, READ),
    storage(S, "Uids", U16, ALL, READ),
    storage(S, "BlockAtRegistration", &["u64"], ALL, READ),
    storage(S, "Owner", ACCOUNT, ALL, READ),
    storage(S, "Axons", &["AxonInfo"], ALL, "read: required (decoded by field name)"),
    storage(S, "SubnetOwnerHotkey", ACCOUNT, ALL, READ),
    storage(S, "SubnetOwner", ACCOUNT, ALL, "read: the owner coldkey (pruning: its hotkeys are immortal)"),
    storage(S, "OwnedHotkeys", &["Vec<AccountId32>"], ALL, "read: the owner coldkey's hotkeys (pruning); a coldkey's hotkeys (lookup)"),
    storage(S, "MinNonImmuneUids", U16, ALL, "read: the floor of free uids (pruning)"),
    storage(S, "ImmuneOwnerUidsLimit", U16, ALL, "read: how many owner hotkeys are immortal (pruning)"),
    storage(S, "IsNetworkMember", BOOL, ALL, "read by prefix: the subnets a hotkey is registered on (lookup)"),
    storage(S, "NetworkRegisteredAt", &["u64"], ALL, OPT),
    storage(S, "TotalHotkeyAlpha", U64, ALL, "read: required (own α on the subnet and root)"),
    storage(S, "ChildKeys", LINKS, ALL, "read: required (stake lent)"),
    storage(S, "ParentKeys", LINKS, ALL, "read: required (stake borrowed)"),
    storage(
        S,
        "ChildkeyThresholdSuspended",
        &["()"],
        ONLY_475,
        "read where present (475): a suspended parent's links move no stake, except on its own subnet",
    ),
    storage(S, "TaoWeight", &["u64"], ALL, "read: a plain value, or per netuid on older runtimes"),
    storage(S, "StakeThreshold", &["u64"], ALL, OPT),
    storage(S, "PendingServerEmission", U64, ALL, OPT),
    storage(S, "PendingValidatorEmission", U64, ALL, OPT),
    storage(S, "PendingRootAlphaDivs", U64, ALL, OPT),
    // Hyperparameters.
    storage(S, "Tempo", U16, ALL, READ),
    storage(S, "MinAllowedWeights", U16, ALL, READ),
    storage(S, "MaxWeightsLimit", U16, ALL, "read; the runtime enforces 65535 whatever it stores"),
    storage(S, "WeightsVersionKey", &["u64"], ALL, READ),
    storage(S, "WeightsSetRateLimit", &["u64"], ALL, READ),
    storage(S, "CommitRevealWeightsEnabled", BOOL, ALL, READ),
    storage(S, "RevealPeriodEpochs", &["u64"], ALL, OPT),
    storage(S, "CommitRevealWeightsVersion", U16, ALL, OPT),
    storage(S, "Kappa", U16, ALL, READ),
    storage(S, "BondsMovingAverage", &["u64"], ALL, READ),
    storage(S, "ActivityCutoff", U16, ALL, "read where present (the cutoff before dynamic tempo)"),
    storage(S, "ActivityCutoffFactorMilli", &["u32"], FROM_425, "read where present (dynamic tempo)"),
    storage(S, "MaxAllowedValidators", U16, ALL, READ),
    storage(S, "MaxAllowedUids", U16, ALL, READ),
    storage(S, "ImmunityPeriod", U16, ALL, READ),
    storage(S, "LiquidAlphaOn", BOOL, ALL, OPT),
    storage(S, "AlphaValues", &["(u16, u16)"], ALL, OPT),
    storage(S, "AlphaSigmoidSteepness", &["i16"], ALL, OPT),
    storage(S, "Yuma3On", BOOL, ALL, OPT),
    storage(S, "BondsPenalty", U16, ALL, OPT),
    storage(S, "BondsResetOn", BOOL, ALL, OPT),
    storage(S, "MechanismCountCurrent", &["u8", "MechId"], ALL, "read where present; absent: one mechanism"),
    storage(S, "MechanismEmissionSplit", &["Vec<u16>"], ALL, "read where present; absent: an even split"),
    storage(
        S,
        "SubnetEpochConsensus",
        &["EpochConsensus"],
        ONLY_475,
        "read where present (475): Null subnets run the Null epoch; absent: Yuma",
    ),
    storage(
        S,
        "LiquidAlphaConsensusMode",
        &["ConsensusMode"],
        ONLY_475,
        "read where present (475): which consensus liquid alpha reads; absent: the current one",
    ),
    storage(
        S,
        "ConsensusByMechanism",
        &["Vec<u16>", "Vec<PerU16>"],
        ONLY_475,
        "read per mechanism where present (475): the previous epoch's consensus",
    ),
    // The epoch schedule and commits.
    storage(S, "LastEpochBlock", &["u64"], FROM_425, "read where present (dynamic tempo)"),
    storage(S, "PendingEpochAt", &["u64"], FROM_425, "read where present (dynamic tempo)"),
    storage(S, "SubnetEpochIndex", &["u64"], FROM_425, "read where present; required by timelocked commits"),
    storage(S, "BlocksSinceLastStep", &["u64"], ALL, "read: required; capped at tempo + 1 at 475"),
    storage(S, "LastMechansimStepBlock", &["u64"], ALL, "read: required (the runtime's spelling)"),
    storage(
        S,
        "LastYumaStepBlock",
        &["u64"],
        ONLY_475,
        "read where present (475): the bond cut-off",
    ),
    storage(
        S,
        "WeightCommits",
        &["Vec<(H256, u64, u64, u64)>"],
        ALL,
        "read under commit-reveal (hash commits)",
    ),
    storage(
        S,
        "TimelockedWeightCommits",
        &["Vec<(AccountId32, u64, BoundedVec, u64)>", "Vec<(AccountId32, u64, Vec<u8>, u64)>"],
        ALL,
        "read under commit-reveal (timelocked commits)",
    ),
    // The drand beacon, block time and runtime version.
    storage("Drand", "BeaconConfig", &["BeaconConfiguration"], ALL, "read: timelock encryption (decoded by field name)"),
    storage("Drand", "Pulses", &["Pulse"], ALL, "read: whether a reveal round's pulse is on chain"),
    storage("Drand", "LastStoredRound", &["u64"], ALL, READ),
    storage("Timestamp", "Now", &["u64"], ALL, "read: the reveal round's time"),
    storage("System", "LastRuntimeUpgrade", &["LastRuntimeUpgradeInfo"], ALL, "read: the spec version of a past block"),
    storage("System", "Account", &["AccountInfo"], ALL, LOCAL),
    // Weights.
    call(S, "set_weights", &["netuid", "dests", "weights", "version_key"], ALL, "mechanism 0 where the runtime has no mechanisms"),
    call(S, "set_mechanism_weights", &["netuid", "mecid", "dests", "weights", "version_key"], ALL, "set weights"),
    call(S, "commit_weights", &["netuid", "commit_hash"], ALL, "hash commit, mechanism 0 fallback"),
    call(S, "commit_mechanism_weights", &["netuid", "mecid", "commit_hash"], ALL, "hash commit"),
    call(S, "reveal_weights", &["netuid", "uids", "values", "salt", "version_key"], ALL, "reveal, mechanism 0 fallback"),
    call(S, "reveal_mechanism_weights", &["netuid", "mecid", "uids", "values", "salt", "version_key"], ALL, "reveal"),
    call(S, "commit_timelocked_weights", &["netuid", "commit", "reveal_round", "commit_reveal_version"], ALL, "timelocked commit, mechanism 0 fallback"),
    call(S, "commit_timelocked_mechanism_weights", &["netuid", "mecid", "commit", "reveal_round", "commit_reveal_version"], ALL, "timelocked commit"),
    // The local chain's bootstrap.
    call(S, "register_network", &["hotkey"], ALL, "local chain only; later arguments filled with defaults on older runtimes"),
    call(S, "start_call", &["netuid"], ALL, LOCAL),
    call(S, "burned_register", &["netuid", "hotkey"], ALL, LOCAL),
    call(S, "add_stake", &["hotkey", "netuid", "amount_staked"], ALL, LOCAL),
    call(S, "serve_axon", &["netuid", "version", "ip", "port", "ip_type", "protocol", "placeholder1", "placeholder2"], ALL, LOCAL),
    call(A, "sudo_set_tempo", &["netuid", "tempo"], ALL, LOCAL),
    call(A, "sudo_set_commit_reveal_weights_enabled", &["netuid", "enabled"], ALL, LOCAL),
    call(A, "sudo_set_commit_reveal_weights_interval", &["netuid", "interval"], ALL, LOCAL),
    call(A, "sudo_set_weights_set_rate_limit", &["netuid", "weights_set_rate_limit"], ALL, LOCAL),
    call(A, "sudo_set_serving_rate_limit", &["netuid", "serving_rate_limit"], ALL, LOCAL),
    call(A, "sudo_set_max_registrations_per_block", &["netuid", "max_registrations_per_block"], ALL, LOCAL),
    call(A, "sudo_set_target_registrations_per_interval", &["netuid", "target_registrations_per_interval"], ALL, LOCAL),
    call(A, "sudo_set_min_allowed_weights", &["netuid", "min_allowed_weights"], ALL, LOCAL),
    call(A, "sudo_set_yuma3_enabled", &["netuid", "enabled"], ALL, LOCAL),
    call(A, "sudo_set_liquid_alpha_enabled", &["netuid", "enabled"], ALL, LOCAL),
    call(A, "sudo_set_max_allowed_uids", &["netuid", "max_allowed_uids"], ALL, LOCAL),
    call(A, "sudo_set_mechanism_count", &["netuid", "mechanism_count"], ALL, LOCAL),
    call(A, "sudo_set_mechanism_emission_split", &["netuid", "maybe_split"], ALL, LOCAL),
    call(A, "sudo_set_network_rate_limit", &["rate_limit"], ALL, LOCAL),
    call(A, "sudo_set_admin_freeze_window", &["window"], ALL, LOCAL),
    call(A, "sudo_set_stake_threshold", &["min_stake"], ALL, LOCAL),
    call("Balances", "transfer_keep_alive", &["dest", "value"], ALL, LOCAL),
    // The chain tests' own rule changes (through the same call builder).
    call(A, "sudo_set_max_allowed_validators", &["netuid", "max_allowed_validators"], ALL, TESTS),
    call(A, "sudo_set_weights_version_key", &["netuid", "weights_version_key"], ALL, TESTS),
    call(S, "set_activity_cutoff_factor", &["netuid", "factor_milli"], FROM_425, TESTS),
    call("Utility", "batch", &["calls"], ALL, LOCAL),
    call("Utility", "batch_all", &["calls"], ALL, LOCAL),
    call("Utility", "dispatch_as", &["as_origin", "call"], ALL, LOCAL),
    call("Sudo", "sudo", &["call"], ALL, LOCAL),
    // Runtime APIs.
    Used {
        kind: Kind::RuntimeApi,
        pallet: "Metadata",
        name: "metadata_at_version",
        shape: &[],
        present: ALL,
        note: "the metadata, V15 (or V16 when the node serves it)",
    },
    Used {
        kind: Kind::RuntimeApi,
        pallet: "SubnetInfoRuntimeApi",
        name: "get_block_emission",
        shape: &[],
        present: ONLY_475,
        note: "called where present (its API version 2): the block's emission; absent: not shown",
    },
];

/// The entry for `kind` `pallet.name`, if the list has it.
pub fn find(kind: Kind, pallet: &str, name: &str) -> Option<&'static Used> {
    USED.iter()
        .find(|u| u.kind == kind && u.pallet == pallet && u.name == name)
}

/// In debug builds (the tests), panics when the code uses an interface the list does not
/// name: the list and the code cannot drift apart.
pub(crate) fn check_listed(kind: Kind, pallet: &str, name: &str) {
    debug_assert!(
        find(kind, pallet, name).is_some(),
        "{pallet}.{name} ({kind:?}) is used but not listed in chain/src/items.rs"
    );
}

/// The list as the Markdown table in `docs/chain-specs.md` (a unit test keeps the two equal).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| kind | item | 385 | 425 | 475 | type / arguments | what the code does |\n|---|---|---|---|---|---|---|\n",
    );
    for u in USED {
        let kind = match u.kind {
            Kind::Storage => "storage",
            Kind::Call => "call",
            Kind::RuntimeApi => "runtime API",
        };
        let mark = |p: bool| if p { "yes" } else { "—" };
        let shape = match u.kind {
            Kind::Call => format!("`({})`", u.shape.join(", ")),
            Kind::RuntimeApi => String::new(),
            Kind::Storage => u
                .shape
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" or "),
        };
        out.push_str(&format!(
            "| {kind} | `{}.{}` | {} | {} | {} | {} | {} |\n",
            u.pallet,
            u.name,
            mark(u.present[0]),
            mark(u.present[1]),
            mark(u.present[2]),
            shape.replace('|', "\\|"),
            u.note
        ));
    }
    out
}

/// Present at the generation of `spec_version` (385, 425 or 475: the last at or below it).
pub fn present_at(used: &Used, spec_version: u32) -> bool {
    let generation = GENERATIONS
        .iter()
        .rposition(|&g| g <= spec_version)
        .unwrap_or(0);
    used.present[generation]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/chain-specs.md` shows this list, between its two markers.
    #[test]
    fn the_docs_table_is_the_list() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/chain-specs.md");
        let doc = std::fs::read_to_string(path).expect("docs/chain-specs.md");
        let (begin, end) = ("<!-- items: begin -->\n", "<!-- items: end -->");
        let start = doc.find(begin).expect("the begin marker") + begin.len();
        let stop = doc.find(end).expect("the end marker");
        assert_eq!(
            &doc[start..stop],
            markdown_table(),
            "docs/chain-specs.md's table is not chain/src/items.rs's list; the table the list gives is printed above"
        );
    }

    #[test]
    fn no_entry_is_listed_twice() {
        for (i, a) in USED.iter().enumerate() {
            for b in &USED[i + 1..] {
                assert!(
                    !(a.kind == b.kind && a.pallet == b.pallet && a.name == b.name),
                    "{}.{} twice",
                    a.pallet,
                    a.name
                );
            }
        }
        assert!(present_at(find(Kind::Storage, S, "Rank").unwrap(), 385));
        assert!(!present_at(find(Kind::Storage, S, "Rank").unwrap(), 425));
        assert!(present_at(
            find(Kind::Storage, S, "SubnetEpochConsensus").unwrap(),
            480
        ));
    }
}
