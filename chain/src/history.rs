//! A subnet through time, read at past blocks in few round trips: its last epochs, found by
//! walking `LastEpochBlock` back from a block, and what the chain stored at each epoch block
//! (incentive per mechanism, dividends, emission, each hotkey's α) as
//! [`bt_core::history::EpochPoint`]s.
//!
//! Past blocks are read by hash with the storage keys and types of one pinned block, storage
//! only (a runtime-API call costs a runtime execution per block; storage reads do not): two
//! round trips per epoch, every epoch concurrently. When the oldest block runs another
//! runtime version, each block is read with its own metadata instead (slower, always right).

use bt_core::history::EpochPoint;
use bt_core::metagraph::storage_index;
use codec::Decode;
use futures::stream::{FuturesUnordered, StreamExt};

use crate::client::{Chain, Hash};
use crate::error::ChainError;
use crate::metagraph::MAX_MECHANISMS;
use crate::storage::{AtBlock, Batch, KeyPart};

/// `System.LastRuntimeUpgrade`: the spec version a block runs (twox128 of pallet and item).
fn last_runtime_upgrade_key() -> Vec<u8> {
    let mut key = sp_crypto_hashing::twox_128(b"System").to_vec();
    key.extend(sp_crypto_hashing::twox_128(b"LastRuntimeUpgrade"));
    key
}

/// The spec version block `hash` runs (None when the chain does not store it).
async fn spec_version_at(chain: &Chain, hash: Hash) -> Result<Option<u32>, ChainError> {
    let raw = chain
        .query_storage_at(&[last_runtime_upgrade_key()], hash)
        .await?;
    Ok(raw
        .into_iter()
        .next()
        .flatten()
        .and_then(|bytes| codec::Compact::<u32>::decode(&mut bytes.as_slice()).ok())
        .map(|c| c.0))
}

/// The epoch block recorded at a block: `LastEpochBlock` (dynamic tempo) or
/// `LastMechansimStepBlock` before it.
fn add_last_epoch(b: &mut Batch, netuid: u16) -> Result<usize, ChainError> {
    let net = [KeyPart::U16(netuid)];
    match b.add_optional("LastEpochBlock", &net)? {
        Some(i) => Ok(i),
        None => b.add("LastMechansimStepBlock", &net),
    }
}

/// Subnet `netuid`'s epoch blocks, newest first: `last_epoch` (the epoch block as read at
/// the pinned block `at`) and up to `count − 1` before it, each found from the epoch block
/// recorded at the block before the later one. Stops at the subnet's first epoch (after its
/// `NetworkRegisteredAt`).
pub async fn epoch_blocks(
    chain: &Chain,
    at: &AtBlock,
    netuid: u16,
    last_epoch: u64,
    count: usize,
) -> Result<Vec<u64>, ChainError> {
    // A new subnet's LastEpochBlock holds a block before its registration: no epoch.
    let mut first = Batch::new(at);
    let registered = first.add_optional("NetworkRegisteredAt", &[KeyPart::U16(netuid)])?;
    let registered_at: u64 = first.fetch(chain).await?.get_or(registered, 0)?;
    let mut b = Batch::new(at);
    let index = add_last_epoch(&mut b, netuid)?;
    let mut blocks = Vec::with_capacity(count);
    let mut epoch = last_epoch;
    while epoch > registered_at && blocks.len() < count {
        blocks.push(epoch);
        let hash = chain.block_hash(epoch - 1).await?;
        let values = b.fetch_at(chain, hash).await?;
        let before: u64 = values.get(index)?;
        if before >= epoch {
            break;
        }
        epoch = before;
    }
    Ok(blocks)
}

/// Reads what the chain stored at epoch block `number` (`hash`) with `at`'s keys and types,
/// for uids below `n`: the vectors and hotkeys, then each hotkey's α.
async fn read_point(
    chain: &Chain,
    at: &AtBlock,
    netuid: u16,
    n: u16,
    number: u64,
    hash: Hash,
) -> Result<EpochPoint, ChainError> {
    let net = [KeyPart::U16(netuid)];
    let mut b = Batch::new(at);
    let added = b.add("NetworksAdded", &net)?;
    let count_index = b.add("SubnetworkN", &net)?;
    let mechanisms_index = b.add_optional("MechanismCountCurrent", &net)?;
    let incentive: Vec<usize> = (0..MAX_MECHANISMS)
        .map(|m| b.add("Incentive", &[KeyPart::U16(storage_index(netuid, m))]))
        .collect::<Result<_, _>>()?;
    let last_update: Vec<usize> = (0..MAX_MECHANISMS)
        .map(|m| b.add("LastUpdate", &[KeyPart::U16(storage_index(netuid, m))]))
        .collect::<Result<_, _>>()?;
    let dividends = b.add("Dividends", &net)?;
    let emission = b.add("Emission", &net)?;
    let keys: Vec<usize> = (0..n)
        .map(|uid| b.add("Keys", &[KeyPart::U16(netuid), KeyPart::U16(uid)]))
        .collect::<Result<_, _>>()?;
    let values = b.fetch_at(chain, hash).await?;
    if !values.get::<bool>(added)? {
        return Err(ChainError::NoSuchSubnet {
            netuid,
            block: number,
        });
    }
    let count: u16 = values.get(count_index)?;
    let hotkeys: Vec<[u8; 32]> = keys
        .iter()
        .take(usize::from(count))
        .map(|&i| values.account(i))
        .collect::<Result<_, _>>()?;
    let mechanisms: u8 = values.get_or(mechanisms_index, 1u8)?;
    let incentive = incentive
        .iter()
        .take(usize::from(mechanisms.clamp(1, MAX_MECHANISMS)))
        .map(|&i| values.get::<Vec<u16>>(i))
        .collect::<Result<Vec<_>, _>>()?;
    let last_update = last_update
        .iter()
        .take(usize::from(mechanisms.clamp(1, MAX_MECHANISMS)))
        .map(|&i| values.get::<Vec<u64>>(i))
        .collect::<Result<Vec<_>, _>>()?;

    let mut b = Batch::new(at);
    let alpha: Vec<usize> = hotkeys
        .iter()
        .map(|hk| {
            b.add(
                "TotalHotkeyAlpha",
                &[KeyPart::Account(*hk), KeyPart::U16(netuid)],
            )
        })
        .collect::<Result<_, _>>()?;
    let stakes = b.fetch_at(chain, hash).await?;
    let stake = alpha
        .iter()
        .map(|&i| stakes.get::<u64>(i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EpochPoint {
        block: number,
        hotkeys,
        incentive,
        last_update,
        dividends: values.get(dividends)?,
        emission: values.get(emission)?,
        stake,
    })
}

/// What the chain stored at each of `blocks` (epoch blocks of subnet `netuid`) for uids below
/// `n` (the subnet's size at `at`), read concurrently; `progress(done, total)` is called as
/// each arrives. The points come back in the order of `blocks`; an epoch block at which the
/// subnet did not exist yet is left out.
pub async fn epoch_points(
    chain: &Chain,
    at: &AtBlock,
    netuid: u16,
    n: u16,
    blocks: &[u64],
    progress: impl Fn(usize, usize),
) -> Result<Vec<EpochPoint>, ChainError> {
    let Some(&oldest) = blocks.iter().min() else {
        return Ok(Vec::new());
    };
    let oldest_hash = chain.block_hash(oldest).await?;
    // Spec versions only grow: when the oldest block runs the pinned block's runtime, so
    // does every block between.
    let (old, new) = futures::join!(
        spec_version_at(chain, oldest_hash),
        spec_version_at(chain, at.block_hash())
    );
    let same_runtime = old? == new?;
    let total = blocks.len();
    let mut pending: FuturesUnordered<_> = blocks
        .iter()
        .enumerate()
        .map(|(k, &number)| async move {
            let point = if same_runtime {
                let hash = chain.block_hash(number).await?;
                read_point(chain, at, netuid, n, number, hash).await
            } else {
                let own = chain.at_number(number).await?;
                read_point(chain, &own, netuid, n, number, own.block_hash()).await
            };
            match point {
                Ok(p) => Ok((k, Some(p))),
                Err(ChainError::NoSuchSubnet { .. }) => Ok((k, None)),
                Err(e) => Err(e),
            }
        })
        .collect();
    let mut out: Vec<Option<EpochPoint>> = vec![None; total];
    let mut done = 0;
    while let Some(next) = pending.next().await {
        let (k, point) = next?;
        out[k] = point;
        done += 1;
        progress(done, total);
    }
    Ok(out.into_iter().flatten().collect())
}
