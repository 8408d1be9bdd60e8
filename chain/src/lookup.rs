//! One key across every subnet: where a hotkey, or a coldkey's hotkeys, are registered, and
//! the values the chain stores for each of those uids — read without any subnet's metagraph.
//!
//! Three round trips at one block:
//! 1. `OwnedHotkeys[key]` (the key as a coldkey) and the keys of `IsNetworkMember[key]` and of
//!    each owned hotkey, listed by prefix (the last two bytes of each key are the netuid);
//! 2. per (hotkey, netuid): `Uids` (the uid, confirming the membership), `TotalHotkeyAlpha`,
//!    `Owner`; per subnet once: `Incentive`, `LastUpdate` (mechanism 0), `Dividends`,
//!    `Emission`, `ValidatorPermit`;
//! 3. nothing more: each value is picked from its subnet's vector by uid.

use subxt::utils::AccountId32;

use bt_core::metagraph::{storage_index, AccountId};

use crate::client::Chain;
use crate::error::ChainError;
use crate::storage::{AtBlock, Batch, KeyPart, SUBTENSOR};

/// One uid of the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    /// The subnet.
    pub netuid: u16,
    /// The uid there.
    pub uid: u16,
    /// The hotkey registered.
    pub hotkey: AccountId,
    /// Its coldkey (`Owner`).
    pub coldkey: AccountId,
    /// Its own α on the subnet (`TotalHotkeyAlpha`, rao).
    pub alpha_stake: u64,
    /// `Incentive` of mechanism 0 at the uid.
    pub incentive: u16,
    /// `Dividends` at the uid.
    pub dividends: u16,
    /// `Emission` at the uid (rao of α).
    pub emission: u64,
    /// `ValidatorPermit` at the uid.
    pub validator_permit: bool,
    /// `LastUpdate` of mechanism 0 at the uid.
    pub last_update: u64,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct KeyLookup {
    /// The block read.
    pub block: u64,
    /// The hotkeys the key owns as a coldkey (`OwnedHotkeys`; empty for a hotkey).
    pub owned_hotkeys: Vec<AccountId>,
    /// Every uid of the key (as a hotkey) or of its hotkeys, by netuid then uid.
    pub placements: Vec<Placement>,
}

/// Keys listed per `state_getKeysPaged` request.
const KEYS_PAGE: u32 = 1000;

/// The netuids whose `IsNetworkMember[hotkey]` key exists (Blake2_128Concat hotkey, Identity
/// netuid).
async fn member_of(
    chain: &Chain,
    at: &AtBlock,
    hotkey: &AccountId,
) -> Result<Vec<u16>, ChainError> {
    let mut prefix = sp_crypto_hashing::twox_128(SUBTENSOR.as_bytes()).to_vec();
    prefix.extend(sp_crypto_hashing::twox_128(b"IsNetworkMember"));
    prefix.extend(sp_crypto_hashing::blake2_128(hotkey));
    prefix.extend(hotkey);
    let keys = chain
        .keys_paged(&prefix, KEYS_PAGE, at.block_hash())
        .await?;
    Ok(keys
        .iter()
        .filter(|k| k.len() == prefix.len() + 2)
        .map(|k| u16::from_le_bytes([k[k.len() - 2], k[k.len() - 1]]))
        .collect())
}

/// Where `key` (a hotkey, or a coldkey's hotkeys) is registered at the best block.
pub async fn lookup(chain: &Chain, key: &AccountId) -> Result<KeyLookup, ChainError> {
    let at = chain.at_best().await?;
    lookup_at(chain, &at, key).await
}

/// [`lookup`] at the block `at` is pinned to.
pub async fn lookup_at(
    chain: &Chain,
    at: &AtBlock,
    key: &AccountId,
) -> Result<KeyLookup, ChainError> {
    // Round trip 1: the key as a coldkey, then the subnets of the key and its hotkeys.
    let mut b = Batch::new(at);
    let owned = b.add("OwnedHotkeys", &[KeyPart::Account(*key)])?;
    let v = b.fetch(chain).await?;
    let owned_hotkeys: Vec<AccountId> = v
        .get::<Vec<AccountId32>>(owned)?
        .into_iter()
        .map(|a| a.0)
        .collect();
    let mut hotkeys = vec![*key];
    hotkeys.extend(owned_hotkeys.iter().filter(|h| *h != key));
    let mut pairs: Vec<(AccountId, u16)> = Vec::new();
    for hk in &hotkeys {
        for netuid in member_of(chain, at, hk).await? {
            pairs.push((*hk, netuid));
        }
    }
    let mut netuids: Vec<u16> = pairs.iter().map(|&(_, n)| n).collect();
    netuids.sort_unstable();
    netuids.dedup();

    // Round trip 2: each pair's uid, stake and coldkey; each subnet's vectors once.
    let mut b = Batch::new(at);
    let mut per_pair = Vec::with_capacity(pairs.len());
    for (hk, netuid) in &pairs {
        per_pair.push((
            b.add("Uids", &[KeyPart::U16(*netuid), KeyPart::Account(*hk)])?,
            b.add(
                "TotalHotkeyAlpha",
                &[KeyPart::Account(*hk), KeyPart::U16(*netuid)],
            )?,
            b.add("Owner", &[KeyPart::Account(*hk)])?,
        ));
    }
    let mut per_subnet = Vec::with_capacity(netuids.len());
    for &netuid in &netuids {
        let net = [KeyPart::U16(netuid)];
        let idx = [KeyPart::U16(storage_index(netuid, 0))];
        per_subnet.push([
            b.add("Incentive", &idx)?,
            b.add("LastUpdate", &idx)?,
            b.add("Dividends", &net)?,
            b.add("Emission", &net)?,
            b.add("ValidatorPermit", &net)?,
        ]);
    }
    let v = b.fetch(chain).await?;
    let mut placements = Vec::with_capacity(pairs.len());
    for (&(hotkey, netuid), &(uid, stake, owner)) in pairs.iter().zip(&per_pair) {
        let Some(uid) = v.get_opt::<u16>(uid)? else {
            continue;
        };
        let Some(s) = netuids.iter().position(|&n| n == netuid) else {
            continue;
        };
        let [incentive, last_update, dividends, emission, permit] = per_subnet[s];
        let at_uid = |col: Vec<u16>| col.get(usize::from(uid)).copied().unwrap_or(0);
        placements.push(Placement {
            netuid,
            uid,
            hotkey,
            coldkey: v.account(owner)?,
            alpha_stake: v.get(stake)?,
            incentive: at_uid(v.get(incentive)?),
            dividends: at_uid(v.get(dividends)?),
            emission: v
                .get::<Vec<u64>>(emission)?
                .get(usize::from(uid))
                .copied()
                .unwrap_or(0),
            validator_permit: v
                .get::<Vec<bool>>(permit)?
                .get(usize::from(uid))
                .copied()
                .unwrap_or(false),
            last_update: v
                .get::<Vec<u64>>(last_update)?
                .get(usize::from(uid))
                .copied()
                .unwrap_or(0),
        });
    }
    placements.sort_by_key(|p| (p.netuid, p.uid));
    Ok(KeyLookup {
        block: at.block_number(),
        owned_hotkeys,
        placements,
    })
}
