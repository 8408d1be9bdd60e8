//! Submitting a signed extrinsic and waiting for it to land in a block, with every way it can
//! fail turned into a [`TxError`]: pool refusals (stale nonce, subtensor's custom codes) and
//! dispatch errors (module errors by name).
//!
//! Signing follows the runtime's own list of transaction extensions (its metadata): subxt
//! encodes the standard ones, skips those that carry no data, and every other extension that
//! carries data gets its type's zero value (no tip, `None`, an empty list) from
//! [`extension_params`]. Spec 425's `ChargeTransactionPaymentWrapper` reports itself under
//! the inner `ChargeTransactionPayment` name (runtime/src/transaction_payment_wrapper.rs,
//! `fn metadata`), so subxt's own encoding serves it; a runtime that names it otherwise is
//! served by the zero value.

use scale_info::{PortableRegistry, TypeDef, TypeDefPrimitive};
use scale_value::Value;
use subxt::config::DefaultExtrinsicParamsBuilder;
use subxt::error::{DispatchError, TransactionEventsError};
use subxt::extrinsics::ExtrinsicEvents;
use subxt::transactions::{Payload, TransactionStatus};
use subxt_signer::sr25519::Keypair;

use crate::client::{with_timeout, Chain, Config, Hash};
use crate::error::{ChainError, TxError};

/// A transaction that made it into a block without a dispatch error.
pub struct Included {
    /// The block it landed in.
    pub block_hash: Hash,
    /// That block's number.
    pub block_number: u64,
    /// Its events.
    pub events: ExtrinsicEvents<Config>,
}

/// A dispatch error as a typed [`TxError`].
pub fn dispatch_to_tx_error(err: &DispatchError) -> TxError {
    match err {
        DispatchError::Module(m) => match m.details() {
            Ok(d) => TxError::from_module(d.pallet.name(), &d.variant.name),
            Err(_) => TxError::Other(m.to_string()),
        },
        other => TxError::Other(other.to_string()),
    }
}

/// Signs `call` with `signer`, submits it, and waits (up to the chain's timeout per step)
/// until it is in a block. A dispatch error or a pool refusal becomes [`ChainError::Tx`].
pub async fn submit<C: Payload>(
    chain: &Chain,
    call: &C,
    signer: &Keypair,
) -> Result<Included, ChainError> {
    let limit = chain.timeout();
    let at = chain.at_best().await?;
    let params = extension_params(&at)?;
    let mut txs = at.transactions();
    let signed = with_timeout("signing", limit, txs.create_signed(call, signer, params)).await?;
    let mut progress = match with_timeout("submitting", limit, signed.submit_and_watch()).await {
        Ok(p) => p,
        Err(ChainError::Rpc { reason, .. }) => {
            return Err(TxError::from_pool_message(&reason).into())
        }
        Err(e) => return Err(e),
    };
    loop {
        let status = with_timeout("waiting for inclusion", limit, async {
            progress
                .next()
                .await
                .ok_or("the node closed the transaction's status stream")?
                .map_err(|e| e.to_string())
        })
        .await;
        let status = match status {
            Ok(s) => s,
            Err(ChainError::Rpc { reason, .. }) => {
                return Err(TxError::from_pool_message(&reason).into())
            }
            Err(e) => return Err(e),
        };
        let in_block = match status {
            TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => b,
            TransactionStatus::Invalid { message }
            | TransactionStatus::Dropped { message }
            | TransactionStatus::Error { message } => {
                return Err(TxError::from_pool_message(&message).into())
            }
            _ => continue,
        };
        let events = match with_timeout("reading the block's events", limit, async {
            match in_block.wait_for_success().await {
                Ok(ev) => Ok(Ok(ev)),
                Err(TransactionEventsError::ExtrinsicFailed(d)) => {
                    Ok(Err(dispatch_to_tx_error(&d)))
                }
                Err(e) => Err(e),
            }
        })
        .await?
        {
            Ok(events) => events,
            Err(tx) => return Err(tx.into()),
        };
        let block_hash = in_block.block_hash();
        let block_number = with_timeout("reading the inclusion block", limit, in_block.at())
            .await?
            .block_number();
        return Ok(Included {
            block_hash,
            block_number,
            events,
        });
    }
}

/// The transaction extensions subxt encodes itself (its `KnownDefaultTransactionExtensions`).
const SUBXT_KNOWN_EXTENSIONS: &[&str] = &[
    "VerifyMultiSignature",
    "CheckSpecVersion",
    "CheckTxVersion",
    "CheckNonce",
    "CheckGenesis",
    "CheckMortality",
    "ChargeAssetTxPayment",
    "ChargeTransactionPayment",
    "CheckMetadataHash",
];

/// Signing parameters for the runtime at `at`: no tip, and for each transaction extension of
/// the runtime that subxt does not know and that carries data, the zero value of its type.
pub fn extension_params(
    at: &crate::storage::AtBlock,
) -> Result<subxt::config::DefaultExtrinsicParams<Config>, ChainError> {
    let metadata = at.metadata_ref();
    let types = metadata.types();
    let mut builder = DefaultExtrinsicParamsBuilder::<Config>::new();
    for ext in metadata
        .extrinsic()
        .transaction_extensions_to_use_for_encoding()
    {
        let name = ext.identifier();
        if SUBXT_KNOWN_EXTENSIONS.contains(&name) || is_empty_type(ext.extra_ty(), types) {
            continue;
        }
        let value = zero_value(ext.extra_ty(), types).ok_or_else(|| ChainError::Unsupported {
            item: format!("a zero value for the transaction extension {name}"),
        })?;
        builder = builder.custom_extension(name, value);
    }
    Ok(builder.build())
}

/// True when values of type `id` encode to no bytes (subxt skips such extensions).
fn is_empty_type(id: u32, types: &PortableRegistry) -> bool {
    match types.resolve(id).map(|t| &t.type_def) {
        Some(TypeDef::Composite(c)) => c.fields.iter().all(|f| is_empty_type(f.ty.id, types)),
        Some(TypeDef::Tuple(t)) => t.fields.iter().all(|f| is_empty_type(f.id, types)),
        Some(TypeDef::Array(a)) => a.len == 0 || is_empty_type(a.type_param.id, types),
        _ => false,
    }
}

/// The zero value of type `id`: 0 for numbers, `false`, empty strings and sequences, the
/// first variant that has one (`None` for an `Option`), composites of zeros.
fn zero_value(id: u32, types: &PortableRegistry) -> Option<Value> {
    let ty = types.resolve(id)?;
    Some(match &ty.type_def {
        TypeDef::Composite(c) => {
            let fields = c.fields.iter().map(|f| zero_value(f.ty.id, types));
            if c.fields.iter().all(|f| f.name.is_some()) && !c.fields.is_empty() {
                let names = c.fields.iter().filter_map(|f| f.name.clone());
                Value::named_composite(
                    names
                        .zip(fields)
                        .map(|(n, v)| v.map(|v| (n, v)))
                        .collect::<Option<Vec<_>>>()?,
                )
            } else {
                Value::unnamed_composite(fields.collect::<Option<Vec<_>>>()?)
            }
        }
        TypeDef::Tuple(t) => Value::unnamed_composite(
            t.fields
                .iter()
                .map(|f| zero_value(f.id, types))
                .collect::<Option<Vec<_>>>()?,
        ),
        TypeDef::Array(a) => Value::unnamed_composite(
            (0..a.len)
                .map(|_| zero_value(a.type_param.id, types))
                .collect::<Option<Vec<_>>>()?,
        ),
        TypeDef::Sequence(_) | TypeDef::BitSequence(_) => Value::unnamed_composite(Vec::new()),
        TypeDef::Compact(_) => Value::u128(0),
        TypeDef::Primitive(p) => match p {
            TypeDefPrimitive::Bool => Value::bool(false),
            TypeDefPrimitive::Str => Value::string(""),
            TypeDefPrimitive::Char => Value::char('\0'),
            TypeDefPrimitive::I8
            | TypeDefPrimitive::I16
            | TypeDefPrimitive::I32
            | TypeDefPrimitive::I64
            | TypeDefPrimitive::I128
            | TypeDefPrimitive::I256 => Value::i128(0),
            _ => Value::u128(0),
        },
        TypeDef::Variant(v) => v.variants.iter().find_map(|variant| {
            let fields = variant
                .fields
                .iter()
                .map(|f| zero_value(f.ty.id, types))
                .collect::<Option<Vec<_>>>()?;
            Some(Value::unnamed_variant(variant.name.clone(), fields))
        })?,
    })
}

impl std::fmt::Debug for Included {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Included")
            .field("block_hash", &self.block_hash)
            .field("block_number", &self.block_number)
            .finish_non_exhaustive()
    }
}

impl Included {
    /// The raw field bytes of every event `pallet.name` this extrinsic emitted, in order.
    pub fn all_event_fields(&self, pallet: &str, name: &str) -> Vec<Vec<u8>> {
        self.events
            .iter()
            .filter_map(Result::ok)
            .filter(|e| e.pallet_name() == pallet && e.event_name() == name)
            .map(|e| e.field_bytes().to_vec())
            .collect()
    }

    /// The raw field bytes of the first event `pallet.name` this extrinsic emitted.
    pub fn event_fields(&self, pallet: &str, name: &str) -> Option<Vec<u8>> {
        self.events
            .iter()
            .filter_map(Result::ok)
            .find(|e| e.pallet_name() == pallet && e.event_name() == name)
            .map(|e| e.field_bytes().to_vec())
    }
}

/// A `DispatchError` as SCALE bytes (inside a `Sudo.Sudid` or `Utility.BatchInterrupted`
/// event), named: `Pallet.Error` for module errors, the variant otherwise.
pub fn dispatch_error_name(metadata: subxt::metadata::ArcMetadata, bytes: &[u8]) -> String {
    match DispatchError::decode_from(bytes.to_vec(), metadata) {
        Ok(err) => match dispatch_to_tx_error(&err) {
            TxError::Module { pallet, name } => format!("{pallet}.{name}"),
            other => format!("{other} ({err})"),
        },
        Err(_) => format!("an undecodable error (0x{})", hex::encode(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::{Compact, Encode};
    use scale_encode::EncodeAsType;
    use scale_info::{meta_type, Registry, TypeInfo};

    /// An extension that carries a tip under another name, as a runtime might declare it.
    #[derive(TypeInfo)]
    #[allow(dead_code)]
    struct ChargeTransactionPaymentWrapper {
        inner: (Compact<u128>,),
    }

    #[derive(TypeInfo)]
    #[allow(dead_code)]
    enum Mode {
        Disabled,
        Enabled(u8),
    }

    #[derive(TypeInfo)]
    #[allow(dead_code)]
    struct Nothing;

    fn registry_with<T: TypeInfo + 'static>() -> (PortableRegistry, u32) {
        let mut registry = Registry::new();
        let id = registry.register_type(&meta_type::<T>()).id;
        (registry.into(), id)
    }

    #[test]
    fn unknown_extensions_get_their_zero_value() {
        let (types, id) = registry_with::<ChargeTransactionPaymentWrapper>();
        assert!(!is_empty_type(id, &types));
        let zero = zero_value(id, &types).expect("a zero value");
        let mut bytes = Vec::new();
        zero.encode_as_type_to(id, &types, &mut bytes).unwrap();
        assert_eq!(bytes, Compact(0u128).encode(), "a zero tip");

        let (types, id) = registry_with::<Option<u32>>();
        let mut bytes = Vec::new();
        zero_value(id, &types)
            .unwrap()
            .encode_as_type_to(id, &types, &mut bytes)
            .unwrap();
        assert_eq!(bytes, vec![0], "None");

        let (types, id) = registry_with::<(Mode, Vec<u8>, bool, [u16; 2])>();
        let mut bytes = Vec::new();
        zero_value(id, &types)
            .unwrap()
            .encode_as_type_to(id, &types, &mut bytes)
            .unwrap();
        assert_eq!(bytes, vec![0, 0, 0, 0, 0, 0, 0]);

        let (types, id) = registry_with::<Nothing>();
        assert!(is_empty_type(id, &types), "skipped, as subxt skips it");
    }
}
