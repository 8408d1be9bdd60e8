//! Batched, metadata-typed storage reads: many keys in one `state_queryStorageAt`, each value
//! decoded with the type the runtime's metadata declares, so the same code reads any runtime
//! that has the items (this local chain, finney).

use scale_decode::DecodeAsType;
use subxt::client::{ClientAtBlock, OnlineClientAtBlockImpl};
use subxt::utils::AccountId32;

use crate::client::{Chain, Config, Hash};
use crate::error::ChainError;

/// The pallet that holds the subnet state.
pub const SUBTENSOR: &str = "SubtensorModule";

/// A client pinned at one block.
pub type AtBlock = ClientAtBlock<Config, OnlineClientAtBlockImpl<Config>>;

/// A storage key, one part per hasher of the item.
#[derive(Debug, Clone)]
pub enum KeyPart {
    /// A u16 (netuid, storage index, uid).
    U16(u16),
    /// A u64 (an epoch index).
    U64(u64),
    /// An account (hotkey, coldkey).
    Account([u8; 32]),
}

#[derive(Clone)]
struct Slot {
    item: &'static str,
    key: Vec<u8>,
    ty: u32,
    default: Option<Vec<u8>>,
}

/// Keys collected for one round trip; [`Batch::fetch`] reads them all at once.
pub struct Batch<'a> {
    at: &'a AtBlock,
    slots: Vec<Slot>,
}

/// The values a [`Batch`] read, addressed by the index [`Batch::add`] returned.
pub struct Values<'a> {
    at: &'a AtBlock,
    slots: Vec<Slot>,
    raw: Vec<Option<Vec<u8>>>,
}

impl<'a> Batch<'a> {
    /// An empty batch at `at`'s block.
    pub fn new(at: &'a AtBlock) -> Self {
        Self {
            at,
            slots: Vec::new(),
        }
    }

    /// The block this batch reads.
    pub fn block_number(&self) -> u64 {
        self.at.block_number()
    }

    /// True when the runtime has `SubtensorModule.item`.
    pub fn has(&self, item: &str) -> bool {
        crate::items::check_listed(crate::items::Kind::Storage, SUBTENSOR, item);
        self.at
            .metadata_ref()
            .pallet_by_name(SUBTENSOR)
            .and_then(|p| p.storage())
            .and_then(|s| s.entry_by_name(item))
            .is_some()
    }

    /// Adds `SubtensorModule.item[keys…]`; returns its index. Fails when the runtime lacks it.
    pub fn add(&mut self, item: &'static str, keys: &[KeyPart]) -> Result<usize, ChainError> {
        crate::items::check_listed(crate::items::Kind::Storage, SUBTENSOR, item);
        let missing = || ChainError::Unsupported {
            item: format!("{SUBTENSOR}.{item}"),
        };
        let metadata = self.at.metadata_ref();
        let entry = metadata
            .pallet_by_name(SUBTENSOR)
            .and_then(|p| p.storage())
            .and_then(|s| s.entry_by_name(item))
            .ok_or_else(missing)?;
        let ty = entry.value_ty();
        let default = entry.default_value().map(|d| d.to_vec());
        let values: Vec<scale_value::Value> = keys
            .iter()
            .map(|k| match k {
                KeyPart::U16(v) => scale_value::Value::u128(u128::from(*v)),
                KeyPart::U64(v) => scale_value::Value::u128(u128::from(*v)),
                KeyPart::Account(a) => scale_value::Value::from_bytes(a),
            })
            .collect();
        let address =
            subxt::dynamic::storage::<Vec<scale_value::Value>, scale_value::Value>(SUBTENSOR, item);
        let key = self
            .at
            .storage()
            .entry(address)
            .and_then(|e| e.fetch_key(values))
            .map_err(|e| ChainError::Decode {
                item: format!("{SUBTENSOR}.{item} key"),
                reason: e.to_string(),
            })?;
        self.slots.push(Slot {
            item,
            key,
            ty,
            default,
        });
        Ok(self.slots.len() - 1)
    }

    /// The number of keys the runtime's `SubtensorModule.item` takes (0 for a plain value).
    pub fn key_count(&self, item: &str) -> Option<usize> {
        crate::items::check_listed(crate::items::Kind::Storage, SUBTENSOR, item);
        self.at
            .metadata_ref()
            .pallet_by_name(SUBTENSOR)
            .and_then(|p| p.storage())
            .and_then(|s| s.entry_by_name(item))
            .map(|e| e.keys().count())
    }

    /// Adds the item only when the runtime has it; `None` otherwise.
    pub fn add_optional(
        &mut self,
        item: &'static str,
        keys: &[KeyPart],
    ) -> Result<Option<usize>, ChainError> {
        if self.has(item) {
            self.add(item, keys).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads every key in one request.
    pub async fn fetch(self, chain: &Chain) -> Result<Values<'a>, ChainError> {
        let keys: Vec<Vec<u8>> = self.slots.iter().map(|s| s.key.clone()).collect();
        let raw = chain.query_storage_at(&keys, self.at.block_hash()).await?;
        Ok(Values {
            at: self.at,
            slots: self.slots,
            raw,
        })
    }

    /// Reads every key in one request at another block, `hash`, whose runtime is this
    /// batch's (same metadata: the values decode with this block's types).
    pub async fn fetch_at(&self, chain: &Chain, hash: Hash) -> Result<Values<'a>, ChainError> {
        let keys: Vec<Vec<u8>> = self.slots.iter().map(|s| s.key.clone()).collect();
        let raw = chain.query_storage_at(&keys, hash).await?;
        Ok(Values {
            at: self.at,
            slots: self.slots.clone(),
            raw,
        })
    }
}

impl Values<'_> {
    /// True when the key at `index` holds a value (not the default).
    pub fn exists(&self, index: usize) -> bool {
        matches!(self.raw.get(index), Some(Some(_)))
    }

    /// The value at `index` decoded as `T`; the item's default when the key is absent.
    /// `None` when absent and the item has no default (an `OptionQuery` item).
    pub fn get_opt<T: DecodeAsType>(&self, index: usize) -> Result<Option<T>, ChainError> {
        let slot = &self.slots[index];
        let bytes = match self.raw.get(index).cloned().flatten() {
            Some(b) => b,
            None => match &slot.default {
                Some(d) => d.clone(),
                None => return Ok(None),
            },
        };
        let types = self.at.metadata_ref().types();
        T::decode_as_type(&mut bytes.as_slice(), slot.ty, types)
            .map(Some)
            .map_err(|e| ChainError::Decode {
                item: format!("{SUBTENSOR}.{}", slot.item),
                reason: e.to_string(),
            })
    }

    /// The value at `index`, or `T::default()` when absent without a declared default.
    pub fn get<T: DecodeAsType + Default>(&self, index: usize) -> Result<T, ChainError> {
        Ok(self.get_opt(index)?.unwrap_or_default())
    }

    /// Like [`Values::get`] for an index from [`Batch::add_optional`].
    pub fn get_or<T: DecodeAsType>(
        &self,
        index: Option<usize>,
        fallback: T,
    ) -> Result<T, ChainError> {
        match index {
            Some(i) => Ok(self.get_opt(i)?.unwrap_or(fallback)),
            None => Ok(fallback),
        }
    }

    /// An account value (hotkey, coldkey) as bytes.
    pub fn account(&self, index: usize) -> Result<[u8; 32], ChainError> {
        Ok(self
            .get_opt::<AccountId32>(index)?
            .map(|a| a.0)
            .unwrap_or([0; 32]))
    }
}
