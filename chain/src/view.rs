//! The metagraph as people and scripts read it (`validator metagraph --json`, the explorer's
//! JSON export): keys in SS58, axon addresses as text, stake and emission in TAO/alpha units
//! with rao alongside, u16 proportions as fractions with the stored u16 alongside. Field
//! names follow the Python SDK's `NeuronInfo` and metagraph where it has one.

use bt_core::metagraph::{EpochSchedule, Hyperparams, Metagraph, Neuron};
use bt_core::ss58::bittensor as ss58;
use serde::Serialize;

/// Rao per TAO (and per alpha).
const RAO: f64 = 1e9;

/// A u16 proportion as the fraction the SDK shows (`x / 65535`).
pub fn fraction(x: u16) -> f64 {
    f64::from(x) / f64::from(u16::MAX)
}

/// One subnet at one block, readable.
#[derive(Debug, Clone, Serialize)]
pub struct MetagraphView {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism the neurons' `incentive`, `last_update`, `weights` and `bonds` show.
    pub mechid: u8,
    /// The block read.
    pub block: u64,
    /// The runtime's spec_version.
    pub spec_version: u32,
    /// Number of uids.
    pub n: usize,
    /// The subnet owner's hotkey.
    pub owner_hotkey: Option<String>,
    /// Its uid, when registered.
    pub owner_uid: Option<u16>,
    /// Hyperparameters in the chain's units (`stake_threshold` in rao, `tao_weight` as a
    /// proportion of u64::MAX).
    pub hyperparameters: Hyperparams,
    /// `TaoWeight` as a fraction.
    pub tao_weight_fraction: f64,
    /// The epoch schedule.
    pub schedule: EpochSchedule,
    /// The neurons, by uid.
    pub neurons: Vec<NeuronView>,
    /// Every mechanism's incentive, activity, W and B.
    pub mechanisms: Vec<MechanismView>,
}

/// One neuron, readable.
#[derive(Debug, Clone, Serialize)]
pub struct NeuronView {
    /// The uid.
    pub uid: u16,
    /// Hotkey (SS58).
    pub hotkey: String,
    /// Coldkey (SS58).
    pub coldkey: String,
    /// Active in the last epoch.
    pub active: bool,
    /// Holds a validator permit.
    pub validator_permit: bool,
    /// The stake weight the epoch uses: alpha + TaoWeight × root TAO (α units, like the
    /// SDK's `S`).
    pub stake: f64,
    /// The same in rao.
    pub stake_rao: u64,
    /// Alpha stake on this subnet, inherited through child keys (α).
    pub alpha_stake: f64,
    /// The same in rao.
    pub alpha_stake_rao: u64,
    /// Root TAO stake, inherited through the subnet's child keys (τ).
    pub tao_stake: f64,
    /// The same in rao.
    pub tao_stake_rao: u64,
    /// `Rank` (runtimes up to spec 385 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<f64>,
    /// `Trust` (runtimes up to spec 385 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<f64>,
    /// Consensus (fraction).
    pub consensus: f64,
    /// Incentive in this mechanism (fraction).
    pub incentive: f64,
    /// Dividends (fraction).
    pub dividends: f64,
    /// Validator trust (fraction).
    pub validator_trust: f64,
    /// The normalised stake the last epoch used (fraction).
    pub stake_weight: f64,
    /// The stored u16 values: `[consensus, incentive, dividends, validator_trust, stake_weight]`.
    pub u16: [u16; 5],
    /// Emission of the last epoch (α).
    pub emission: f64,
    /// The same in rao.
    pub emission_rao: u64,
    /// The block of the last weights (or commit) in this mechanism.
    pub last_update: u64,
    /// The block it registered at.
    pub block_at_registration: u64,
    /// Its axon.
    pub axon_info: AxonView,
    /// This mechanism's weights: `[dest uid, u16]` as stored.
    pub weights: Vec<(u16, u16)>,
    /// This mechanism's bonds: `[dest uid, u16]` as stored.
    pub bonds: Vec<(u16, u16)>,
}

/// An axon, readable (the SDK's `AxonInfo` fields).
#[derive(Debug, Clone, Serialize)]
pub struct AxonView {
    /// `0.0.0.0` when it never served.
    pub ip: String,
    /// TCP port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
    /// Protocol code.
    pub protocol: u8,
    /// The axon's version.
    pub version: u32,
    /// The block it was served at.
    pub block: u64,
    /// Whether it has an address.
    pub is_serving: bool,
}

/// One mechanism, readable.
#[derive(Debug, Clone, Serialize)]
pub struct MechanismView {
    /// The mechanism id.
    pub mechid: u8,
    /// Its share of the subnet's emission (fraction; an even split when none is stored).
    pub emission_share: f64,
    /// Incentive per uid (fraction).
    pub incentive: Vec<f64>,
    /// Incentive per uid, as stored.
    pub incentive_u16: Vec<u16>,
    /// LastUpdate per uid.
    pub last_update: Vec<u64>,
    /// W: `[uid, [[dest, u16], …]]` for every uid with weights.
    pub weights: Vec<(u16, Vec<(u16, u16)>)>,
    /// B: `[uid, [[dest, u16], …]]` for every uid with bonds.
    pub bonds: Vec<(u16, Vec<(u16, u16)>)>,
    /// Unrevealed commits.
    pub commits: Vec<bt_core::metagraph::PendingCommit>,
}

fn rows(matrix: &[Vec<(u16, u16)>]) -> Vec<(u16, Vec<(u16, u16)>)> {
    matrix
        .iter()
        .enumerate()
        .filter(|(_, row)| !row.is_empty())
        .map(|(uid, row)| (uid as u16, row.clone()))
        .collect()
}

fn neuron(n: &Neuron) -> NeuronView {
    NeuronView {
        uid: n.uid,
        hotkey: ss58(&n.hotkey),
        coldkey: ss58(&n.coldkey),
        active: n.active,
        validator_permit: n.validator_permit,
        stake: n.total_stake as f64 / RAO,
        stake_rao: n.total_stake,
        alpha_stake: n.alpha_stake as f64 / RAO,
        alpha_stake_rao: n.alpha_stake,
        tao_stake: n.tao_stake as f64 / RAO,
        tao_stake_rao: n.tao_stake,
        rank: n.rank.map(fraction),
        trust: n.trust.map(fraction),
        consensus: fraction(n.consensus),
        incentive: fraction(n.incentive),
        dividends: fraction(n.dividends),
        validator_trust: fraction(n.validator_trust),
        stake_weight: fraction(n.stake_weight),
        u16: [
            n.consensus,
            n.incentive,
            n.dividends,
            n.validator_trust,
            n.stake_weight,
        ],
        emission: n.emission as f64 / RAO,
        emission_rao: n.emission,
        last_update: n.last_update,
        block_at_registration: n.block_at_registration,
        axon_info: AxonView {
            ip: n.axon.ip_string(),
            port: n.axon.port,
            ip_type: n.axon.ip_type,
            protocol: n.axon.protocol,
            version: n.axon.version,
            block: n.axon.block,
            is_serving: n.axon.is_serving(),
        },
        weights: n.weights.clone(),
        bonds: n.bonds.clone(),
    }
}

impl MetagraphView {
    /// The readable view of `mg`.
    pub fn new(mg: &Metagraph) -> Self {
        let shares = mg.emission_shares();
        Self {
            netuid: mg.netuid,
            mechid: mg.mecid,
            block: mg.block,
            spec_version: mg.spec_version,
            n: mg.n(),
            owner_hotkey: mg.owner_hotkey.as_ref().map(ss58),
            owner_uid: mg.owner_uid,
            hyperparameters: mg.hyperparams.clone(),
            tao_weight_fraction: mg.hyperparams.tao_weight as f64 / u64::MAX as f64,
            schedule: mg.schedule,
            neurons: mg.neurons.iter().map(neuron).collect(),
            mechanisms: mg
                .mechanisms
                .iter()
                .map(|m| MechanismView {
                    mechid: m.mecid,
                    emission_share: shares
                        .get(usize::from(m.mecid))
                        .copied()
                        .map_or(0.0, fraction),
                    incentive: m.incentive.iter().copied().map(fraction).collect(),
                    incentive_u16: m.incentive.clone(),
                    last_update: m.last_update.clone(),
                    weights: rows(&m.weights),
                    bonds: rows(&m.bonds),
                    commits: m.commits.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::{AxonInfo, Mechanism};

    /// The project's codec (bt-core) prints and reads addresses exactly as subxt's
    /// `AccountId32`, the chain client's own.
    #[test]
    fn the_ss58_codec_agrees_with_subxt() {
        use std::str::FromStr;
        for seed in [0u8, 7, 0x42, 0xd4, 0xff] {
            let key: [u8; 32] =
                core::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8));
            let theirs = subxt::utils::AccountId32(key).to_string();
            assert_eq!(ss58(&key), theirs);
            assert_eq!(
                subxt::utils::AccountId32::from_str(&ss58(&key)).unwrap().0,
                key
            );
            assert_eq!(bt_core::ss58::decode(&theirs), Ok((key, 42)));
        }
    }

    #[test]
    fn keys_are_ss58_ips_text_and_stake_in_units_with_rao() {
        let mut mg = Metagraph {
            netuid: 2,
            neurons: vec![Neuron {
                uid: 0,
                hotkey: [
                    0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04,
                    0xa9, 0x9f, 0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56,
                    0x84, 0xe7, 0xa5, 0x6d, 0xa2, 0x7d,
                ],
                total_stake: 1_500_000_000,
                consensus: 65535,
                axon: AxonInfo {
                    ip: u128::from(u32::from_be_bytes([127, 0, 0, 2])),
                    ip_type: 4,
                    port: 8091,
                    ..AxonInfo::default()
                },
                weights: vec![(0, 7)],
                ..Neuron::default()
            }],
            mechanisms: vec![Mechanism {
                weights: vec![vec![(0, 7)]],
                incentive: vec![32768],
                ..Mechanism::default()
            }],
            ..Metagraph::default()
        };
        mg.hyperparams.mechanism_count = 1;
        let v = serde_json::to_value(MetagraphView::new(&mg)).unwrap();
        let n = &v["neurons"][0];
        // //Alice's public key.
        assert_eq!(
            n["hotkey"],
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        assert_eq!(n["stake"], 1.5);
        assert_eq!(n["stake_rao"], 1_500_000_000u64);
        assert_eq!(n["consensus"], 1.0);
        assert_eq!(n["axon_info"]["ip"], "127.0.0.2");
        assert!(
            n.get("rank").is_none(),
            "absent where the runtime has no Rank"
        );
        assert_eq!(v["mechanisms"][0]["weights"][0][0], 0);
        assert_eq!(v["mechanisms"][0]["weights"][0][1][0][1], 7);
        assert_eq!(v["mechanisms"][0]["emission_share"], 1.0);
    }
}
