//! The metagraph: one subnet's neurons and hyperparameters at one block, as the chain stores
//! them, and the views derived from it (the SDK's W matrix, the epoch's input).
//!
//! The chain crate fills it (from storage, natively or in the browser); the validator and the
//! explorer only read it. Values keep the chain's integer types: u16 proportions, u64 rao.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::yuma::{
    commit_blocks, CommitExpiry, ConsensusMode, EpochConsensus, EpochError, EpochHyperparams,
    MechanismInput, Runtime, SubnetEpochInput, TimelockedCommitQueue, WeightCommitQueue,
};

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

/// One uid of a subnet. The per-mechanism fields (`incentive`, `last_update`, `weights`,
/// `bonds`) are those of [`Metagraph::mecid`], like the SDK's `metagraph(netuid, mechid)`;
/// every mechanism's are in [`Metagraph::mechanisms`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Neuron {
    /// The uid (index in every per-uid vector).
    pub uid: u16,
    /// `Keys[netuid][uid]`.
    pub hotkey: AccountId,
    /// `Owner[hotkey]`.
    pub coldkey: AccountId,
    /// `Active[netuid][uid]` (across mechanisms).
    pub active: bool,
    /// `Axons[netuid][hotkey]` (default when absent).
    pub axon: AxonInfo,
    /// The alpha stake the epoch counts for this hotkey on this subnet (rao): its own plus
    /// what parents lend it, minus what it lends its children.
    pub alpha_stake: u64,
    /// The root TAO stake the epoch counts for it (rao), inherited the same way.
    pub tao_stake: u64,
    /// The stake weight (rao): alpha plus `TaoWeight` × TAO, as the chain reports it (floored).
    pub total_stake: u64,
    /// `StakeWeight[netuid][uid]`: the normalised stake the last epoch used, u16.
    pub stake_weight: u16,
    /// `Rank`, on runtimes that still store it (removed after spec 385).
    pub rank: Option<u16>,
    /// `Trust`, on runtimes that still store it (removed after spec 385).
    pub trust: Option<u16>,
    /// `Consensus` (across mechanisms, split-weighted).
    pub consensus: u16,
    /// `Incentive[mecid*4096+netuid]`: this mechanism's incentive.
    pub incentive: u16,
    /// `Dividends` (across mechanisms, split-weighted).
    pub dividends: u16,
    /// `ValidatorTrust` (across mechanisms, split-weighted).
    pub validator_trust: u16,
    /// `Emission` of the last epoch (rao of alpha, across mechanisms).
    pub emission: u64,
    /// `LastUpdate[idx]`: the block of the last weight setting (or commit) in this mechanism.
    pub last_update: u64,
    /// `BlockAtRegistration`.
    pub block_at_registration: u64,
    /// `ValidatorPermit`.
    pub validator_permit: bool,
    /// `PruningScores`, on runtimes that still store it (removed after spec 385).
    pub pruning_score: Option<u16>,
    /// `Weights[idx][uid]`: `(uid, u16)` in storage (submission) order, zeros kept.
    pub weights: Vec<(u16, u16)>,
    /// `Bonds[idx][uid]`.
    pub bonds: Vec<(u16, u16)>,
}

/// A commit that the chain has not revealed yet (`WeightCommits` for hash commits,
/// `TimelockedWeightCommits` for timelocked ones): the epoch masks weights on uids that
/// registered after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCommit {
    /// The committer's uid.
    pub uid: u16,
    /// The epoch it was committed in (`SubnetEpochIndex` on dynamic-tempo runtimes).
    pub commit_epoch: u64,
    /// The block it was committed in.
    pub commit_block: u64,
    /// The drand round it is encrypted to (timelocked commits), `None` for hash commits.
    pub reveal_round: Option<u64>,
}

/// One mechanism of a subnet: its own weights, bonds, incentive and activity
/// (stored under `NetUidStorageIndex = mecid × 4096 + netuid`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Mechanism {
    /// The mechanism id (0 for the first).
    pub mecid: u8,
    /// `Incentive[idx]`, per uid.
    pub incentive: Vec<u16>,
    /// `LastUpdate[idx]`, per uid.
    pub last_update: Vec<u64>,
    /// `Weights[idx][uid]`, per uid.
    pub weights: Vec<Vec<(u16, u16)>>,
    /// `Bonds[idx][uid]`, per uid.
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// Unrevealed commits (hash and timelocked).
    pub commits: Vec<PendingCommit>,
    /// `ConsensusByMechanism[idx]` (spec 475): this mechanism's consensus as its last epoch
    /// stored it (empty where the runtime has no such item, or nothing is stored).
    #[serde(default)]
    pub consensus_by_mechanism: Vec<u16>,
}

/// The chain's cap on subnets: mechanism `m` of subnet `n` is stored under `m × 4096 + n`.
pub const GLOBAL_MAX_SUBNET_COUNT: u16 = 4096;

/// The storage index of a mechanism's items (`NetUidStorageIndex`): `mecid × 4096 + netuid`.
/// For mechanism 0 it is the netuid itself.
pub fn storage_index(netuid: u16, mecid: u8) -> u16 {
    u16::from(mecid)
        .saturating_mul(GLOBAL_MAX_SUBNET_COUNT)
        .saturating_add(netuid)
}

/// When the subnet's epochs run: what the chain stores about its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EpochSchedule {
    /// True on runtimes with dynamic tempo (spec ≥ 423): epochs fire at
    /// `last_epoch_block + tempo` or at `pending_epoch_at`, and are counted by `epoch_index`.
    pub dynamic_tempo: bool,
    /// The block of the last epoch: `LastEpochBlock` with dynamic tempo,
    /// `LastMechansimStepBlock` before (0 = none yet).
    pub last_epoch_block: u64,
    /// `PendingEpochAt`: an epoch the owner triggered or the chain deferred (0 = none).
    pub pending_epoch_at: u64,
    /// `SubnetEpochIndex`: epochs run so far (dynamic tempo only).
    pub epoch_index: u64,
    /// `BlocksSinceLastStep`.
    pub blocks_since_last_step: u64,
    /// `LastMechansimStepBlock` (the chain's spelling): the block emission was last drained.
    pub last_mechanism_step_block: u64,
    /// `LastYumaStepBlock` (spec 475): the block of the last Yuma epoch (None where the
    /// runtime has no such item or nothing is stored).
    #[serde(default)]
    pub last_yuma_step_block: Option<u64>,
    /// Spec 475's epoch safety net (see [`crate::schedule::ScheduleState::tempo_safety_net`]).
    #[serde(default)]
    pub tempo_safety_net: bool,
}

/// The subnet hyperparameters a validator and the epoch need, in the chain's units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hyperparams {
    /// Blocks between epochs.
    pub tempo: u16,
    /// The fewest weights a `set_weights` may carry.
    pub min_allowed_weights: u16,
    /// The largest normalised weight, as a u16 proportion (65535 = no limit).
    pub max_weights_limit: u16,
    /// The lowest `version_key` the chain accepts (0 = any).
    pub weights_version: u64,
    /// Blocks between two weight settings (commits, under commit-reveal) of one hotkey.
    pub weights_rate_limit: u64,
    /// Weights must be committed, then revealed.
    pub commit_reveal_enabled: bool,
    /// Epochs between a commit and its reveal (`RevealPeriodEpochs`).
    pub commit_reveal_period: u64,
    /// The commit-reveal version the chain accepts (`CommitRevealWeightsVersion`, global).
    pub commit_reveal_version: u16,
    /// Consensus majority, u16 proportion.
    pub kappa: u16,
    /// Bond EMA factor, millionths.
    pub bonds_moving_average: u64,
    /// Blocks after which a validator with no new weights is inactive, as the epoch uses it:
    /// `ActivityCutoffFactorMilli × tempo / 1000` (at least 1) with dynamic tempo,
    /// `ActivityCutoff` before.
    pub activity_cutoff: u64,
    /// `ActivityCutoffFactorMilli` (dynamic-tempo runtimes only).
    pub activity_cutoff_factor_milli: Option<u64>,
    /// How many uids may hold a validator permit.
    pub max_allowed_validators: u16,
    /// The most uids the subnet may hold.
    pub max_allowed_uids: u16,
    /// Blocks a new registration is protected from pruning.
    pub immunity_period: u16,
    /// Liquid alpha (per-bond EMA factors; acts under Yuma3 only on these runtimes).
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha's low bound, u16 proportion.
    pub alpha_low: u16,
    /// Liquid alpha's high bound, u16 proportion.
    pub alpha_high: u16,
    /// `AlphaSigmoidSteepness` (liquid alpha's sigmoid).
    pub alpha_sigmoid_steepness: i16,
    /// `Yuma3On`: Yuma3 bonds and dividends.
    pub yuma3: bool,
    /// `BondsPenalty`, u16 proportion β of `W + β(W̄ − W)` in the bonds.
    pub bonds_penalty: u16,
    /// `BondsResetOn`.
    pub bonds_reset: bool,
    /// `MechanismCountCurrent`.
    pub mechanism_count: u8,
    /// `MechanismEmissionSplit` (empty: an even split).
    pub mechanism_emission_split: Vec<u16>,
    /// `StakeThreshold` (global, rao of stake weight): below it no weights, no epoch stake.
    pub stake_threshold: u64,
    /// `TaoWeight` (global): root TAO's weight in the stake, a proportion of u64::MAX.
    pub tao_weight: u64,
    /// `SubnetEpochConsensus` (spec 475; Yuma before it): Yuma or Null consensus.
    pub epoch_consensus: EpochConsensus,
    /// `LiquidAlphaConsensusMode` (spec 475): which consensus liquid alpha reads (`None` where
    /// the runtime has no such item: the current one).
    pub liquid_alpha_consensus_mode: Option<ConsensusMode>,
}

impl Default for Hyperparams {
    fn default() -> Self {
        let epoch = EpochHyperparams::default();
        Self {
            tempo: 360,
            min_allowed_weights: 1,
            max_weights_limit: u16::MAX,
            weights_version: 0,
            weights_rate_limit: 100,
            commit_reveal_enabled: false,
            commit_reveal_period: 1,
            commit_reveal_version: 4,
            kappa: epoch.kappa,
            bonds_moving_average: epoch.bonds_moving_average,
            activity_cutoff: u64::from(epoch.activity_cutoff),
            activity_cutoff_factor_milli: Some(u64::from(epoch.activity_cutoff_factor_milli)),
            max_allowed_validators: epoch.max_allowed_validators,
            max_allowed_uids: 256,
            immunity_period: 4096,
            liquid_alpha_enabled: false,
            alpha_low: epoch.alpha_low,
            alpha_high: epoch.alpha_high,
            alpha_sigmoid_steepness: epoch.alpha_sigmoid_steepness,
            yuma3: false,
            bonds_penalty: u16::MAX,
            bonds_reset: false,
            mechanism_count: 1,
            mechanism_emission_split: Vec::new(),
            stake_threshold: 0,
            tao_weight: 0,
            epoch_consensus: EpochConsensus::Yuma,
            liquid_alpha_consensus_mode: None,
        }
    }
}

/// One subnet as the chain's list of subnets shows it (the explorer's overview).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubnetSummary {
    /// The subnet.
    pub netuid: u16,
    /// `SubnetworkN`: uids registered.
    pub n: u16,
    /// `Tempo`.
    pub tempo: u16,
    /// `CommitRevealWeightsEnabled`.
    pub commit_reveal: bool,
    /// `Yuma3On`: Yuma3 bonds and dividends (else Yuma2).
    pub yuma3: bool,
    /// `MechanismCountCurrent` (1 where the runtime has no mechanisms).
    pub mechanisms: u8,
    /// The block of its last epoch (`LastEpochBlock`, or `LastMechansimStepBlock` before
    /// dynamic tempo; 0 = none yet).
    pub last_epoch_block: u64,
    /// `SubnetEpochConsensus` is Null (spec 475): no Yuma at all.
    #[serde(default)]
    pub null: bool,
}

impl SubnetSummary {
    /// The rule the subnet's epoch runs, as people name it: `Null`, `Yuma3` or `Yuma2`.
    pub fn yuma(&self) -> &'static str {
        consensus_name(self.null, self.yuma3)
    }
}

/// `Null`, `Yuma3` or `Yuma2`.
fn consensus_name(null: bool, yuma3: bool) -> &'static str {
    match (null, yuma3) {
        (true, _) => "Null",
        (false, true) => "Yuma3",
        (false, false) => "Yuma2",
    }
}

impl Hyperparams {
    /// Liquid alpha as people read it: off, or on with the consensus its sigmoid reads (spec
    /// 475's `LiquidAlphaConsensusMode`; `Auto` reads the previous epoch's when
    /// `BondsPenalty` is 65535). It acts under Yuma3 only.
    pub fn liquid_alpha_text(&self) -> alloc::string::String {
        use alloc::string::ToString;
        if !self.liquid_alpha_enabled {
            return "liquid alpha off".to_string();
        }
        let reads = match self.liquid_alpha_consensus_mode {
            None | Some(ConsensusMode::Current) => "this epoch's consensus",
            Some(ConsensusMode::Previous) => "the previous epoch's consensus",
            Some(ConsensusMode::Auto) if self.bonds_penalty == u16::MAX => {
                "the previous epoch's consensus (auto: bonds penalty 65535)"
            }
            Some(ConsensusMode::Auto) => "this epoch's consensus (auto: bonds penalty below 65535)",
        };
        let inert = if self.yuma3 {
            ""
        } else {
            "; inert under Yuma2"
        };
        alloc::format!("liquid alpha on, reading {reads}{inert}")
    }
}

/// One subnet at one block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metagraph {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism whose values the neurons' per-mechanism fields show.
    pub mecid: u8,
    /// The block the values were read at.
    pub block: u64,
    /// The runtime's spec_version at that block.
    pub spec_version: u32,
    /// The subnet's epoch schedule.
    pub schedule: EpochSchedule,
    /// The subnet owner's hotkey (`SubnetOwnerHotkey`).
    pub owner_hotkey: Option<AccountId>,
    /// The owner hotkey's uid, when it is registered (the epoch treats it specially).
    pub owner_uid: Option<u16>,
    /// The neurons, indexed by uid.
    pub neurons: Vec<Neuron>,
    /// Every mechanism, by mecid.
    pub mechanisms: Vec<Mechanism>,
    /// The subnet's hyperparameters.
    pub hyperparams: Hyperparams,
    /// The alpha (rao) waiting for the next epoch: `PendingServerEmission +
    /// PendingValidatorEmission + PendingRootAlphaDivs`.
    #[serde(default)]
    pub pending_emission: u64,
    /// The same, pool by pool (the miners', the validators', root's).
    #[serde(default)]
    pub pending_budgets: crate::yuma::EmissionBudgets,
    /// What deregistration reads besides the neurons (`None` when not read).
    #[serde(default)]
    pub registration: Option<crate::pruning::RegistrationRules>,
}

impl Metagraph {
    /// Number of uids.
    pub fn n(&self) -> usize {
        self.neurons.len()
    }

    /// Each mechanism's share of the subnet's emission as a u16 proportion, as the chain
    /// splits it: `MechanismEmissionSplit` padded or cut to the mechanism count, or an even
    /// split; the rounding remainder goes to mechanism 0.
    pub fn emission_shares(&self) -> Vec<u16> {
        let count = usize::from(self.hyperparams.mechanism_count.max(1));
        let split = &self.hyperparams.mechanism_emission_split;
        let mut shares: Vec<u16> = if split.is_empty() {
            alloc::vec![u16::MAX / count as u16; count]
        } else {
            let mut s = split.clone();
            s.resize(count, 0);
            s
        };
        let total: u32 = shares.iter().map(|&s| u32::from(s)).sum();
        if let Some(first) = shares.first_mut() {
            let rest = u32::from(u16::MAX).saturating_sub(total);
            *first = first.saturating_add(u16::try_from(rest).unwrap_or(u16::MAX));
        }
        shares
    }

    /// The mechanism the neurons show.
    pub fn mechanism(&self) -> Option<&Mechanism> {
        self.mechanisms.get(usize::from(self.mecid))
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
            .map(|neuron| normalized_row(&neuron.weights, n))
            .collect()
    }

    /// One row of [`Metagraph::weight_matrix`]: uid `uid`'s weights as the SDK shows them
    /// (None when `uid` is not in the subnet).
    pub fn weight_row(&self, uid: u16) -> Option<Vec<f32>> {
        let neuron = self.neurons.get(usize::from(uid))?;
        Some(normalized_row(&neuron.weights, self.n()))
    }

    /// This metagraph with its neurons showing mechanism `mecid`'s incentive, last update,
    /// weights and bonds (None when the subnet has no such mechanism): switching mechanisms
    /// needs no new read.
    pub fn for_mechanism(&self, mecid: u8) -> Option<Metagraph> {
        let m = self.mechanisms.get(usize::from(mecid))?;
        let mut out = self.clone();
        out.mecid = mecid;
        for (uid, neuron) in out.neurons.iter_mut().enumerate() {
            neuron.incentive = m.incentive.get(uid).copied().unwrap_or(0);
            neuron.last_update = m.last_update.get(uid).copied().unwrap_or(0);
            neuron.weights = m.weights.get(uid).cloned().unwrap_or_default();
            neuron.bonds = m.bonds.get(uid).cloned().unwrap_or_default();
        }
        Some(out)
    }

    /// The uid with the largest incentive in the mechanism shown (ties: the lower uid); None
    /// when every incentive is 0.
    pub fn top_earner(&self) -> Option<u16> {
        self.neurons
            .iter()
            .filter(|n| n.incentive > 0)
            .max_by(|a, b| a.incentive.cmp(&b.incentive).then(b.uid.cmp(&a.uid)))
            .map(|n| n.uid)
    }

    /// The validator a view should open on: the uid with the most stake among those that
    /// hold a weight row in the mechanism shown (ties: the lower uid); None when nobody set
    /// weights.
    pub fn heaviest_weight_setter(&self) -> Option<u16> {
        self.neurons
            .iter()
            .filter(|n| n.weights.iter().any(|&(_, w)| w > 0))
            .max_by(|a, b| a.total_stake.cmp(&b.total_stake).then(b.uid.cmp(&a.uid)))
            .map(|n| n.uid)
    }

    /// True when the subnet runs Null consensus (spec 475's `SubnetEpochConsensus`).
    pub fn is_null(&self) -> bool {
        self.runtime().is_some_and(Runtime::is_475)
            && self.hyperparams.epoch_consensus == EpochConsensus::Null
    }

    /// On a Null subnet, whether `uid` may set, commit or reveal weights: only the sole
    /// validator-permit holder may (spec 475's `ensure_min_stake`; anyone else, the owner's
    /// self-weight included, is refused with `NeuronNoValidatorPermit`; SDK 11.3's `_preflight`
    /// checks the same before signing). Always true on a Yuma subnet (its own checks apply).
    pub fn may_set_weights(&self, uid: u16) -> bool {
        !self.is_null()
            || self
                .neurons
                .get(usize::from(uid))
                .is_some_and(|n| n.validator_permit)
    }

    /// The epoch rules of this metagraph's runtime (`None` below spec 385, whose rules are
    /// not implemented).
    pub fn runtime(&self) -> Option<Runtime> {
        Runtime::for_spec_version(self.spec_version)
    }

    /// The epoch's input for this subnet, every mechanism, as if the epoch ran at
    /// `current_block` with `rao_emission` to distribute: what the chain itself reads from
    /// this state (read it at the block before the epoch). The neurons' per-mechanism fields
    /// stand for mechanism [`Metagraph::mecid`], so an edited neuron (the explorer's what-if)
    /// counts.
    pub fn epoch_input(
        &self,
        current_block: u64,
        rao_emission: u64,
    ) -> Result<SubnetEpochInput, EpochError> {
        let runtime = self
            .runtime()
            .ok_or(EpochError::UnsupportedRuntime(self.spec_version))?;
        let n = u16::try_from(self.n()).map_err(|_| EpochError::TooManyNeurons(self.n()))?;
        let h = &self.hyperparams;
        let expiry = if runtime.dynamic_tempo() {
            // The epoch block increments SubnetEpochIndex before the epoch runs.
            CommitExpiry::EpochIndex {
                epoch_index: self.schedule.epoch_index.saturating_add(1),
                reveal_period: h.commit_reveal_period,
            }
        } else {
            CommitExpiry::BlockGrid {
                netuid: self.netuid,
                tempo: h.tempo,
                current_block,
                reveal_period: h.commit_reveal_period,
            }
        };
        let count = usize::from(h.mechanism_count.max(1));
        let mut mechanisms = Vec::with_capacity(count);
        for mecid in 0..count {
            let stored = self.mechanisms.get(mecid);
            let mut m = MechanismInput {
                last_update: stored.map(|m| m.last_update.clone()).unwrap_or_default(),
                weights: stored.map(|m| m.weights.clone()).unwrap_or_default(),
                bonds: stored.map(|m| m.bonds.clone()).unwrap_or_default(),
                commit_block: Vec::new(),
                consensus_by_mechanism: stored
                    .map(|m| m.consensus_by_mechanism.clone())
                    .unwrap_or_default(),
            };
            if mecid == usize::from(self.mecid) {
                m.last_update = self.neurons.iter().map(|x| x.last_update).collect();
                m.weights = self.neurons.iter().map(|x| x.weights.clone()).collect();
                m.bonds = self.neurons.iter().map(|x| x.bonds.clone()).collect();
            }
            if h.commit_reveal_enabled {
                let commits = stored.map(|m| m.commits.as_slice()).unwrap_or_default();
                let (hashed, timelocked) = commit_queues(commits, runtime.dynamic_tempo());
                m.commit_block = commit_blocks(n, &expiry, &hashed, &timelocked);
            }
            mechanisms.push(m);
        }
        let col = |f: fn(&Neuron) -> u64| self.neurons.iter().map(f).collect::<Vec<u64>>();
        Ok(SubnetEpochInput {
            runtime,
            current_block,
            n,
            alpha_stake: col(|x| x.alpha_stake),
            tao_stake: col(|x| x.tao_stake),
            tao_weight: h.tao_weight,
            stake_threshold: h.stake_threshold,
            owner_uid: self.owner_uid,
            validator_permit: self.neurons.iter().map(|x| x.validator_permit).collect(),
            block_at_registration: col(|x| x.block_at_registration),
            mechanisms,
            rao_emission,
            emission_budgets: None,
            params: EpochHyperparams {
                tempo: h.tempo,
                activity_cutoff: u16::try_from(h.activity_cutoff).unwrap_or(u16::MAX),
                activity_cutoff_factor_milli: h
                    .activity_cutoff_factor_milli
                    .map_or(0, |f| u32::try_from(f).unwrap_or(u32::MAX)),
                kappa: h.kappa,
                bonds_moving_average: h.bonds_moving_average,
                bonds_penalty: h.bonds_penalty,
                max_allowed_validators: h.max_allowed_validators,
                liquid_alpha_enabled: h.liquid_alpha_enabled,
                alpha_low: h.alpha_low,
                alpha_high: h.alpha_high,
                alpha_sigmoid_steepness: h.alpha_sigmoid_steepness,
                yuma3_enabled: h.yuma3,
                commit_reveal_enabled: h.commit_reveal_enabled,
                last_mechanism_step_block: self.schedule.last_mechanism_step_block,
                mechanism_count: h.mechanism_count.max(1),
                mechanism_emission_split: (!h.mechanism_emission_split.is_empty())
                    .then(|| h.mechanism_emission_split.clone()),
                epoch_consensus: h.epoch_consensus,
                liquid_alpha_consensus_mode: h
                    .liquid_alpha_consensus_mode
                    .unwrap_or(ConsensusMode::Current),
                last_yuma_step_block: self.schedule.last_yuma_step_block,
            },
        })
    }
}

/// A weight row placed at its uids (`n` columns; uids ≥ n ignored) and normalised to sum 1
/// as the SDK does: f32, NumPy's pairwise sum. An empty or all-zero row stays zero.
fn normalized_row(weights: &[(u16, u16)], n: usize) -> Vec<f32> {
    let mut row = alloc::vec![0f32; n];
    for &(uid, w) in weights {
        if let Some(cell) = row.get_mut(usize::from(uid)) {
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
}

/// The commits as the epoch's queues: hash commits per uid in queue order, timelocked ones
/// per commit epoch. Hash commits carry `(commit_epoch, commit_block)` on dynamic-tempo
/// runtimes and `(commit_block, …)` before.
fn commit_queues(
    commits: &[PendingCommit],
    dynamic_tempo: bool,
) -> (Vec<WeightCommitQueue>, Vec<TimelockedCommitQueue>) {
    let mut hashed: Vec<WeightCommitQueue> = Vec::new();
    let mut timelocked: Vec<TimelockedCommitQueue> = Vec::new();
    for c in commits {
        if c.reveal_round.is_some() {
            let entry = (Some(c.uid), c.commit_block);
            match timelocked.iter_mut().find(|q| q.epoch == c.commit_epoch) {
                Some(q) => q.entries.push(entry),
                None => timelocked.push(TimelockedCommitQueue {
                    epoch: c.commit_epoch,
                    entries: alloc::vec![entry],
                }),
            }
        } else {
            let entry = if dynamic_tempo {
                (c.commit_epoch, c.commit_block)
            } else {
                (c.commit_block, c.commit_block)
            };
            match hashed.iter_mut().find(|q| q.uid == Some(c.uid)) {
                Some(q) => q.entries.push(entry),
                None => hashed.push(WeightCommitQueue {
                    uid: Some(c.uid),
                    entries: alloc::vec![entry],
                }),
            }
        }
    }
    (hashed, timelocked)
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
        assert_eq!(mg.weight_row(0), Some(w[0].clone()));
        assert_eq!(mg.weight_row(3), None);
        assert_eq!(
            mg.heaviest_weight_setter(),
            Some(0),
            "uid 2's row is all zero"
        );
        assert_eq!(mg.top_earner(), None);
        assert_eq!(mg.uid_of(&[7; 32]), None);
    }

    #[test]
    fn epoch_input_carries_every_column_and_the_edited_mechanism() {
        let mut a = neuron(0, alloc::vec![(1, 100)]);
        a.alpha_stake = 5;
        a.tao_stake = 2;
        a.last_update = 7;
        a.validator_permit = true;
        let mut b = neuron(1, alloc::vec![]);
        b.block_at_registration = 3;
        b.bonds = alloc::vec![(0, 9)];
        let stored = Mechanism {
            mecid: 0,
            last_update: alloc::vec![1, 1],
            weights: alloc::vec![alloc::vec![(1, 1)], Vec::new()],
            commits: alloc::vec![PendingCommit {
                uid: 0,
                commit_epoch: 4,
                commit_block: 40,
                reveal_round: None,
            }],
            ..Mechanism::default()
        };
        let mg = Metagraph {
            spec_version: 425,
            owner_uid: Some(1),
            neurons: alloc::vec![a, b],
            mechanisms: alloc::vec![stored.clone(), Mechanism { mecid: 1, ..stored }],
            schedule: EpochSchedule {
                epoch_index: 4,
                ..EpochSchedule::default()
            },
            hyperparams: Hyperparams {
                kappa: 1,
                activity_cutoff_factor_milli: Some(2000),
                mechanism_count: 2,
                commit_reveal_enabled: true,
                tao_weight: 9,
                stake_threshold: 4,
                ..Hyperparams::default()
            },
            ..Metagraph::default()
        };
        let input = mg.epoch_input(10, 1000).unwrap();
        assert_eq!(input.runtime, Runtime::Spec425);
        assert_eq!(
            (input.alpha_stake.clone(), input.tao_stake.clone()),
            (alloc::vec![5, 0], alloc::vec![2, 0])
        );
        assert_eq!(
            (input.tao_weight, input.stake_threshold, input.owner_uid),
            (9, 4, Some(1))
        );
        assert_eq!(input.block_at_registration, alloc::vec![0, 3]);
        assert_eq!(input.validator_permit, alloc::vec![true, false]);
        // Mechanism 0 is the neurons' (edited) view, mechanism 1 as stored.
        assert_eq!(input.mechanisms[0].last_update, alloc::vec![7, 0]);
        assert_eq!(input.mechanisms[0].weights[0], alloc::vec![(1, 100)]);
        assert_eq!(input.mechanisms[0].bonds[1], alloc::vec![(0, 9)]);
        assert_eq!(input.mechanisms[1].weights[0], alloc::vec![(1, 1)]);
        // The hash commit of epoch 4 is live (epoch 5 ≤ 4 + 1).
        assert_eq!(
            input.mechanisms[1].commit_block,
            alloc::vec![Some(40), None]
        );
        assert_eq!(
            (
                input.params.kappa,
                input.params.activity_cutoff_factor_milli
            ),
            (1, 2000)
        );
        assert_eq!((input.current_block, input.rao_emission), (10, 1000));
        let old = Metagraph {
            spec_version: 218,
            ..mg
        };
        assert!(matches!(
            old.epoch_input(10, 0),
            Err(EpochError::UnsupportedRuntime(218))
        ));
    }

    #[test]
    fn emission_shares_follow_the_split_or_are_even() {
        let mut mg = Metagraph::default();
        assert_eq!(mg.emission_shares(), alloc::vec![65535]);
        mg.hyperparams.mechanism_count = 2;
        assert_eq!(mg.emission_shares(), alloc::vec![32768, 32767]);
        mg.hyperparams.mechanism_emission_split = alloc::vec![16384, 49151];
        assert_eq!(mg.emission_shares(), alloc::vec![16384, 49151]);
        mg.hyperparams.mechanism_emission_split = alloc::vec![65535];
        assert_eq!(mg.emission_shares(), alloc::vec![65535, 0]);
    }
}
