//! Metagraph sync: one subnet at one block, read from storage in three batched round trips
//! (subnet vectors and hyperparameters; per-uid keys, weights, bonds, registrations;
//! per-hotkey owners, axons and stake).

use bt_core::metagraph::{AxonInfo, Hyperparams, Metagraph, Neuron};
use scale_decode::DecodeAsType;

use crate::client::Chain;
use crate::error::ChainError;
use crate::storage::{AtBlock, Batch, KeyPart};

/// `AxonInfo` as stored; the placeholders are skipped.
#[derive(Debug, Default, DecodeAsType)]
struct StoredAxon {
    block: u64,
    version: u32,
    ip: u128,
    port: u16,
    ip_type: u8,
    protocol: u8,
}

/// The netuids that exist at the best block, ascending.
pub async fn subnets(chain: &Chain) -> Result<Vec<u16>, ChainError> {
    let at = chain.at_best().await?;
    // Netuids are u16 and dense in practice; probe the first 1024 in one request.
    let mut batch = Batch::new(&at);
    let mut index = Vec::new();
    for netuid in 0..1024u16 {
        index.push((netuid, batch.add("NetworksAdded", &[KeyPart::U16(netuid)])?));
    }
    let values = batch.fetch(chain).await?;
    let mut out = Vec::new();
    for (netuid, i) in index {
        if values.get::<bool>(i)? {
            out.push(netuid);
        }
    }
    Ok(out)
}

/// Reads subnet `netuid` at block `block` (the best block when `None`).
pub async fn sync(chain: &Chain, netuid: u16, block: Option<u64>) -> Result<Metagraph, ChainError> {
    let at = match block {
        Some(b) => chain.at_number(b).await?,
        None => chain.at_best().await?,
    };
    sync_at(chain, &at, netuid).await
}

/// Reads subnet `netuid` at the block `at` is pinned to.
pub async fn sync_at(chain: &Chain, at: &AtBlock, netuid: u16) -> Result<Metagraph, ChainError> {
    let block = at.block_number();
    let net = [KeyPart::U16(netuid)];

    // Round trip 1: existence, size, per-uid vectors, hyperparameters.
    let mut b = Batch::new(at);
    let added = b.add("NetworksAdded", &net)?;
    let size = b.add("SubnetworkN", &net)?;
    let vec_u16 = |b: &mut Batch, item| b.add_optional(item, &net);
    let (rank, trust, consensus, incentive, dividends, vtrust, pruning) = (
        vec_u16(&mut b, "Rank")?,
        vec_u16(&mut b, "Trust")?,
        b.add("Consensus", &net)?,
        b.add("Incentive", &net)?,
        b.add("Dividends", &net)?,
        b.add("ValidatorTrust", &net)?,
        vec_u16(&mut b, "PruningScores")?,
    );
    let active = b.add("Active", &net)?;
    let emission = b.add("Emission", &net)?;
    let last_update = b.add("LastUpdate", &net)?;
    let permit = b.add("ValidatorPermit", &net)?;
    let tao_weight = b.add_optional("TaoWeight", &[KeyPart::U16(0)])?;
    let last_step = b.add_optional("LastMechansimStepBlock", &net)?;
    let hp = HyperIndex::add(&mut b, netuid)?;
    let v = b.fetch(chain).await?;
    if !v.get::<bool>(added)? {
        return Err(ChainError::NoSuchSubnet { netuid, block });
    }
    let n = usize::from(v.get::<u16>(size)?);
    let column_u16 = |i: Option<usize>| -> Result<Vec<u16>, ChainError> { v.get_or(i, Vec::new()) };
    let (rank, trust, pruning) = (column_u16(rank)?, column_u16(trust)?, column_u16(pruning)?);
    let consensus: Vec<u16> = v.get(consensus)?;
    let incentive: Vec<u16> = v.get(incentive)?;
    let dividends: Vec<u16> = v.get(dividends)?;
    let vtrust: Vec<u16> = v.get(vtrust)?;
    let active: Vec<bool> = v.get(active)?;
    let emission: Vec<u64> = v.get(emission)?;
    let last_update: Vec<u64> = v.get(last_update)?;
    let permit: Vec<bool> = v.get(permit)?;
    let tao_weight: u64 = v.get_or(tao_weight, 0)?;
    let last_epoch_block: u64 = v.get_or(last_step, 0)?;
    let hyperparams = hp.read(&v)?;

    // Round trip 2: per uid.
    let mut b = Batch::new(at);
    let mut per_uid = Vec::with_capacity(n);
    for uid in 0..n as u16 {
        let key = [KeyPart::U16(netuid), KeyPart::U16(uid)];
        per_uid.push((
            b.add("Keys", &key)?,
            b.add("Weights", &key)?,
            b.add("Bonds", &key)?,
            b.add("BlockAtRegistration", &key)?,
        ));
    }
    let v = b.fetch(chain).await?;
    let mut neurons = Vec::with_capacity(n);
    for (uid, &(hk, w, bo, reg)) in per_uid.iter().enumerate() {
        let at_uid = |col: &[u16]| col.get(uid).copied().unwrap_or(0);
        neurons.push(Neuron {
            uid: uid as u16,
            hotkey: v.account(hk)?,
            weights: v.get(w)?,
            bonds: v.get(bo)?,
            block_at_registration: v.get(reg)?,
            active: active.get(uid).copied().unwrap_or(false),
            validator_permit: permit.get(uid).copied().unwrap_or(false),
            emission: emission.get(uid).copied().unwrap_or(0),
            last_update: last_update.get(uid).copied().unwrap_or(0),
            rank: at_uid(&rank),
            trust: at_uid(&trust),
            consensus: at_uid(&consensus),
            incentive: at_uid(&incentive),
            dividends: at_uid(&dividends),
            validator_trust: at_uid(&vtrust),
            pruning_score: at_uid(&pruning),
            ..Neuron::default()
        });
    }

    // Round trip 3: per hotkey.
    let mut b = Batch::new(at);
    let mut per_hotkey = Vec::with_capacity(n);
    for neuron in &neurons {
        let hk = KeyPart::Account(neuron.hotkey);
        per_hotkey.push((
            b.add("Owner", std::slice::from_ref(&hk))?,
            b.add("Axons", &[KeyPart::U16(netuid), hk.clone()])?,
            b.add("TotalHotkeyAlpha", &[hk.clone(), KeyPart::U16(netuid)])?,
            b.add("TotalHotkeyAlpha", &[hk, KeyPart::U16(0)])?,
        ));
    }
    let v = b.fetch(chain).await?;
    for (neuron, &(owner, axon, alpha, root)) in neurons.iter_mut().zip(&per_hotkey) {
        neuron.coldkey = v.account(owner)?;
        if let Some(a) = v.get_opt::<StoredAxon>(axon)? {
            neuron.axon = AxonInfo {
                block: a.block,
                version: a.version,
                ip: a.ip,
                port: a.port,
                ip_type: a.ip_type,
                protocol: a.protocol,
            };
        }
        neuron.alpha_stake = v.get(alpha)?;
        neuron.tao_stake = if netuid == 0 { 0 } else { v.get(root)? };
        neuron.total_stake = total_stake(neuron.alpha_stake, neuron.tao_stake, tao_weight);
    }

    Ok(Metagraph {
        netuid,
        block,
        spec_version: at.spec_version(),
        last_epoch_block,
        neurons,
        hyperparams,
    })
}

/// The epoch's stake weight: alpha plus root TAO times `TaoWeight` (a u64 proportion),
/// floored to whole rao.
fn total_stake(alpha: u64, tao: u64, tao_weight: u64) -> u64 {
    let weighted = (u128::from(tao) * u128::from(tao_weight)) / u128::from(u64::MAX);
    alpha.saturating_add(weighted as u64)
}

/// Indices of the hyperparameters in a batch.
struct HyperIndex {
    tempo: usize,
    min_allowed_weights: usize,
    max_weights_limit: usize,
    weights_version: usize,
    weights_rate_limit: usize,
    commit_reveal: usize,
    reveal_period: Option<usize>,
    kappa: usize,
    bonds_moving_average: usize,
    activity_cutoff: Option<usize>,
    max_allowed_validators: usize,
    max_allowed_uids: usize,
    immunity_period: usize,
    liquid_alpha: Option<usize>,
    alpha_values: Option<usize>,
}

impl HyperIndex {
    fn add(b: &mut Batch, netuid: u16) -> Result<Self, ChainError> {
        let net = [KeyPart::U16(netuid)];
        Ok(Self {
            tempo: b.add("Tempo", &net)?,
            min_allowed_weights: b.add("MinAllowedWeights", &net)?,
            max_weights_limit: b.add("MaxWeightsLimit", &net)?,
            weights_version: b.add("WeightsVersionKey", &net)?,
            weights_rate_limit: b.add("WeightsSetRateLimit", &net)?,
            commit_reveal: b.add("CommitRevealWeightsEnabled", &net)?,
            reveal_period: b.add_optional("RevealPeriodEpochs", &net)?,
            kappa: b.add("Kappa", &net)?,
            bonds_moving_average: b.add("BondsMovingAverage", &net)?,
            activity_cutoff: b.add_optional("ActivityCutoff", &net)?,
            max_allowed_validators: b.add("MaxAllowedValidators", &net)?,
            max_allowed_uids: b.add("MaxAllowedUids", &net)?,
            immunity_period: b.add("ImmunityPeriod", &net)?,
            liquid_alpha: b.add_optional("LiquidAlphaOn", &net)?,
            alpha_values: b.add_optional("AlphaValues", &net)?,
        })
    }

    fn read(&self, v: &crate::storage::Values) -> Result<Hyperparams, ChainError> {
        let d = Hyperparams::default();
        let (alpha_low, alpha_high) = v.get_or(self.alpha_values, (d.alpha_low, d.alpha_high))?;
        Ok(Hyperparams {
            tempo: v.get(self.tempo)?,
            min_allowed_weights: v.get(self.min_allowed_weights)?,
            max_weights_limit: v.get(self.max_weights_limit)?,
            weights_version: v.get(self.weights_version)?,
            weights_rate_limit: v.get(self.weights_rate_limit)?,
            commit_reveal_enabled: v.get(self.commit_reveal)?,
            commit_reveal_period: v.get_or(self.reveal_period, d.commit_reveal_period)?,
            kappa: v.get(self.kappa)?,
            bonds_moving_average: v.get(self.bonds_moving_average)?,
            activity_cutoff: v.get_or(self.activity_cutoff, d.activity_cutoff)?,
            max_allowed_validators: v.get(self.max_allowed_validators)?,
            max_allowed_uids: v.get(self.max_allowed_uids)?,
            immunity_period: v.get(self.immunity_period)?,
            liquid_alpha_enabled: v.get_or(self.liquid_alpha, false)?,
            alpha_low,
            alpha_high,
        })
    }
}

/// The subnet's last epoch replayed by the core: the metagraph at the block before it, run
/// through the epoch, against what the chain stored at the epoch block.
pub async fn replay_last_epoch(
    chain: &Chain,
    netuid: u16,
) -> Result<bt_core::replay::Replay, ChainError> {
    let head = sync(chain, netuid, None).await?;
    let epoch_block = head.last_epoch_block;
    if epoch_block == 0 {
        return Err(ChainError::Rpc {
            what: format!("replaying subnet {netuid}'s last epoch"),
            reason: "the subnet has not run an epoch yet: wait one tempo".into(),
        });
    }
    let before = sync(chain, netuid, Some(epoch_block - 1)).await?;
    let after = sync(chain, netuid, Some(epoch_block)).await?;
    bt_core::replay::replay_epoch(&before, &after, epoch_block).map_err(|e| ChainError::Decode {
        item: format!("subnet {netuid} at block {}", epoch_block - 1),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tao_weight_is_a_u64_proportion() {
        assert_eq!(total_stake(5, 1000, 0), 5);
        assert_eq!(total_stake(5, 1000, u64::MAX), 1005);
        assert_eq!(total_stake(0, 1000, u64::MAX / 2), 499);
        assert_eq!(total_stake(u64::MAX, u64::MAX, u64::MAX), u64::MAX);
    }
}
