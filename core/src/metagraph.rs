//! The metagraph: one subnet's neurons and hyperparameters at one block, as the chain stores
//! them, and the views derived from it (the SDK's W matrix, the epoch's input).
//!
//! The chain crate fills it (from storage, natively or in the browser); the validator and the
//! explorer only read it. Values keep the chain's integer types: u16 proportions, u64 rao.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::yuma::{EpochInput, EpochParams};

/// A 32-byte sr25519 public key (hotkey or coldkey).
pub type AccountId = [u8; 32];

/// `AxonInfo` as the chain stores it for a hotkey that called `serve_axon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AxonInfo {
    /// Block of the last `serve_axon`.
    pub block: u64,
    /// The axon's version, as the miner sent it.
    pub version: u32,
    /// IPv4 (in the low 32 bits) or IPv6 address.
    pub ip: u128,
    /// TCP port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
    /// Protocol code (4 = TCP in the SDK).
    pub protocol: u8,
}

impl AxonInfo {
    /// The address as the SDK prints it (`0.0.0.0` when the neuron never served).
    pub fn ip_string(&self) -> String {
        if self.ip_type == 6 {
            alloc::format!("{}", core::net::Ipv6Addr::from(self.ip))
        } else {
            alloc::format!("{}", core::net::Ipv4Addr::from(self.ip as u32))
        }
    }

    /// True when the neuron has announced an address (the SDK's `is_serving`).
    pub fn is_serving(&self) -> bool {
        self.ip != 0
    }
}

/// One uid of a subnet.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Neuron {
    /// The uid (index in every per-uid vector).
    pub uid: u16,
    /// `Keys[netuid][uid]`.
    pub hotkey: AccountId,
    /// `Owner[hotkey]`.
    pub coldkey: AccountId,
    /// `Active[netuid][uid]`.
    pub active: bool,
    /// `Axons[netuid][hotkey]` (default when absent).
    pub axon: AxonInfo,
    /// The hotkey's alpha on this subnet (rao).
    pub alpha_stake: u64,
    /// The hotkey's TAO on the root subnet (rao).
    pub tao_stake: u64,
    /// The stake the epoch weighs this uid by (rao): alpha plus weighted TAO.
    pub total_stake: u64,
    /// `Rank` (0 on runtimes that no longer store it).
    pub rank: u16,
    /// `Trust` (0 on runtimes that no longer store it).
    pub trust: u16,
    /// `Consensus`.
    pub consensus: u16,
    /// `Incentive`.
    pub incentive: u16,
    /// `Dividends`.
    pub dividends: u16,
    /// `ValidatorTrust`.
    pub validator_trust: u16,
    /// `Emission` of the last epoch (rao).
    pub emission: u64,
    /// `LastUpdate`: the block of the last weight setting (or commit).
    pub last_update: u64,
    /// `BlockAtRegistration`.
    pub block_at_registration: u64,
    /// `ValidatorPermit`.
    pub validator_permit: bool,
    /// `PruningScores` (0 where not stored).
    pub pruning_score: u16,
    /// `Weights[netuid][uid]`: `(uid, u16)` in storage (submission) order, zeros kept.
    pub weights: Vec<(u16, u16)>,
    /// `Bonds[netuid][uid]`.
    pub bonds: Vec<(u16, u16)>,
}

/// The subnet hyperparameters a validator and the epoch need, in the chain's units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyperparams {
    /// Blocks between epochs.
    pub tempo: u16,
    /// The fewest weights a `set_weights` may carry.
    pub min_allowed_weights: u16,
    /// The largest normalised weight, as a u16 proportion (65535 = no limit).
    pub max_weights_limit: u16,
    /// The lowest `version_key` the chain accepts (0 = any).
    pub weights_version: u64,
    /// Blocks between two weight settings of one hotkey.
    pub weights_rate_limit: u64,
    /// Weights must be committed, then revealed.
    pub commit_reveal_enabled: bool,
    /// Epochs between a commit and its reveal.
    pub commit_reveal_period: u64,
    /// Consensus majority, u16 proportion.
    pub kappa: u16,
    /// Bond EMA factor, millionths.
    pub bonds_moving_average: u64,
    /// Blocks after which a validator with no new weights is inactive.
    pub activity_cutoff: u16,
    /// How many uids may hold a validator permit.
    pub max_allowed_validators: u16,
    /// The most uids the subnet may hold.
    pub max_allowed_uids: u16,
    /// Blocks a new registration is protected from pruning.
    pub immunity_period: u16,
    /// Liquid alpha (per-column bond EMA factors).
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha's low bound, u16 proportion.
    pub alpha_low: u16,
    /// Liquid alpha's high bound, u16 proportion.
    pub alpha_high: u16,
}

impl Default for Hyperparams {
    fn default() -> Self {
        let epoch = EpochParams::default();
        Self {
            tempo: 360,
            min_allowed_weights: 1,
            max_weights_limit: u16::MAX,
            weights_version: 0,
            weights_rate_limit: 100,
            commit_reveal_enabled: false,
            commit_reveal_period: 1,
            kappa: epoch.kappa,
            bonds_moving_average: epoch.bonds_moving_average,
            activity_cutoff: epoch.activity_cutoff,
            max_allowed_validators: epoch.max_allowed_validators,
            max_allowed_uids: 256,
            immunity_period: 4096,
            liquid_alpha_enabled: false,
            alpha_low: epoch.alpha_low,
            alpha_high: epoch.alpha_high,
        }
    }
}

/// One subnet at one block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metagraph {
    /// The subnet.
    pub netuid: u16,
    /// The block the values were read at.
    pub block: u64,
    /// The runtime's spec_version at that block.
    pub spec_version: u32,
    /// The block of the subnet's last epoch (`LastMechansimStepBlock`, 0 = none yet).
    pub last_epoch_block: u64,
    /// The neurons, indexed by uid.
    pub neurons: Vec<Neuron>,
    /// The subnet's hyperparameters.
    pub hyperparams: Hyperparams,
}

impl Metagraph {
    /// Number of uids.
    pub fn n(&self) -> usize {
        self.neurons.len()
    }

    /// The uid registered to `hotkey`, if any.
    pub fn uid_of(&self, hotkey: &AccountId) -> Option<u16> {
        self.neurons
            .iter()
            .find(|n| &n.hotkey == hotkey)
            .map(|n| n.uid)
    }

    /// W as the SDK's metagraph shows it: each row's u16 values placed at their uid and
    /// normalised to sum 1 (an empty or all-zero row stays zero); uids ≥ n are ignored.
    pub fn weight_matrix(&self) -> Vec<Vec<f32>> {
        let n = self.n();
        self.neurons
            .iter()
            .map(|neuron| {
                let mut row = alloc::vec![0f32; n];
                for &(uid, w) in &neuron.weights {
                    if let Some(cell) = row.get_mut(uid as usize) {
                        *cell = f32::from(w);
                    }
                }
                let total: f32 = crate::numpy::pairwise_sum(&row);
                if total > 0.0 {
                    for cell in &mut row {
                        *cell /= total;
                    }
                }
                row
            })
            .collect()
    }

    /// The epoch's input for this subnet as if the epoch ran at `current_block` with
    /// `rao_emission` to distribute: what the chain itself reads from this state.
    pub fn epoch_input(&self, current_block: u64, rao_emission: u64) -> EpochInput {
        let h = &self.hyperparams;
        let params = EpochParams {
            activity_cutoff: h.activity_cutoff,
            kappa: h.kappa,
            bonds_moving_average: h.bonds_moving_average,
            max_allowed_validators: h.max_allowed_validators,
            liquid_alpha: h.liquid_alpha_enabled,
            alpha_low: h.alpha_low,
            alpha_high: h.alpha_high,
            tempo: h.tempo,
            ..EpochParams::default()
        };
        let col = |f: fn(&Neuron) -> u64| self.neurons.iter().map(f).collect::<Vec<u64>>();
        EpochInput {
            current_block,
            stake: col(|n| n.total_stake),
            last_update: col(|n| n.last_update),
            block_at_registration: col(|n| n.block_at_registration),
            validator_permit: self.neurons.iter().map(|n| n.validator_permit).collect(),
            weights: self.neurons.iter().map(|n| n.weights.clone()).collect(),
            bonds: self.neurons.iter().map(|n| n.bonds.clone()).collect(),
            rao_emission,
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neuron(uid: u16, weights: Vec<(u16, u16)>) -> Neuron {
        Neuron {
            uid,
            hotkey: [uid as u8; 32],
            weights,
            ..Neuron::default()
        }
    }

    #[test]
    fn axon_addresses_print_like_the_sdk() {
        let v4 = AxonInfo {
            ip: u128::from(u32::from_be_bytes([127, 0, 0, 2])),
            ip_type: 4,
            ..AxonInfo::default()
        };
        assert_eq!(v4.ip_string(), "127.0.0.2");
        assert!(v4.is_serving());
        assert_eq!(AxonInfo::default().ip_string(), "0.0.0.0");
        assert!(!AxonInfo::default().is_serving());
        let v6 = AxonInfo {
            ip: 1,
            ip_type: 6,
            ..AxonInfo::default()
        };
        assert_eq!(v6.ip_string(), "::1");
    }

    #[test]
    fn weight_matrix_is_row_normalised_and_ignores_foreign_uids() {
        let mg = Metagraph {
            neurons: alloc::vec![
                neuron(0, alloc::vec![(1, 65535), (2, 65535), (9, 65535)]),
                neuron(1, alloc::vec![]),
                neuron(2, alloc::vec![(0, 0)]),
            ],
            ..Metagraph::default()
        };
        let w = mg.weight_matrix();
        assert_eq!(w[0], alloc::vec![0.0, 0.5, 0.5]);
        assert_eq!(w[1], alloc::vec![0.0; 3]);
        assert_eq!(w[2], alloc::vec![0.0; 3]);
        assert_eq!(mg.uid_of(&[2; 32]), Some(2));
        assert_eq!(mg.uid_of(&[7; 32]), None);
    }

    #[test]
    fn epoch_input_carries_every_column() {
        let mut a = neuron(0, alloc::vec![(1, 100)]);
        a.total_stake = 5;
        a.last_update = 7;
        a.validator_permit = true;
        let mut b = neuron(1, alloc::vec![]);
        b.block_at_registration = 3;
        b.bonds = alloc::vec![(0, 9)];
        let mg = Metagraph {
            neurons: alloc::vec![a, b],
            hyperparams: Hyperparams {
                kappa: 1,
                activity_cutoff: 2,
                ..Hyperparams::default()
            },
            ..Metagraph::default()
        };
        let input = mg.epoch_input(10, 1000);
        assert_eq!(input.stake, alloc::vec![5, 0]);
        assert_eq!(input.last_update, alloc::vec![7, 0]);
        assert_eq!(input.block_at_registration, alloc::vec![0, 3]);
        assert_eq!(input.validator_permit, alloc::vec![true, false]);
        assert_eq!(input.weights[0], alloc::vec![(1, 100)]);
        assert_eq!(input.bonds[1], alloc::vec![(0, 9)]);
        assert_eq!((input.params.kappa, input.params.activity_cutoff), (1, 2));
        assert_eq!((input.current_block, input.rao_emission), (10, 1000));
    }
}
