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

/// A call by name, checked against the list of what the crate uses ([`crate::items`]).
pub fn dynamic_call(pallet: &str, name: &str, args: Vec<scale_value::Value>) -> impl Payload {
    crate::items::check_listed(crate::items::Kind::Call, pallet, name);
    subxt::dynamic::tx(pallet.to_string(), name.to_string(), args)
}

/// How many blocks a transaction stays valid after the block it is signed at (its mortal
/// era, a power of two). After that it can never land, so a submission whose outcome was
/// lost (the node went away between sending and inclusion) is settled by then: either it is
/// on chain, or it never will be.
pub const MORTALITY_BLOCKS: u64 = 64;

/// A transaction signed and not yet sent: its bytes and the last block it can land in.
/// What a caller that must not lose track of a submission saves before it [`send`]s: the
/// same bytes sent again can land at most once (their nonce), and not after `valid_until`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedTx {
    /// The SCALE-encoded extrinsic.
    #[serde(with = "crate::timelock::hex_bytes")]
    pub bytes: Vec<u8>,
    /// The last block it can be included in (the end of its mortal era).
    pub valid_until: u64,
}

impl std::fmt::Debug for SignedTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedTx")
            .field("bytes", &self.bytes.len())
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// Signs `call` with `signer` at the best block, mortal for [`MORTALITY_BLOCKS`].
pub async fn sign<C: Payload>(
    chain: &Chain,
    call: &C,
    signer: &Keypair,
) -> Result<SignedTx, ChainError> {
    let limit = chain.timeout();
    let at = chain.at_best().await?;
    let params = extension_params(&at)?;
    let valid_until = at.block_number().saturating_add(MORTALITY_BLOCKS);
    let mut txs = at.transactions();
    let tx = with_timeout("signing", limit, txs.create_signed(call, signer, params)).await?;
    Ok(SignedTx {
        bytes: tx.into_encoded(),
        valid_until,
    })
}

/// Signs `call` with `signer`, submits it, and waits (up to the chain's timeout per step)
/// until it is in a block. See [`send`] for what each failure means.
pub async fn submit<C: Payload>(
    chain: &Chain,
    call: &C,
    signer: &Keypair,
) -> Result<Included, ChainError> {
    let signed = sign(chain, call, signer).await?;
    send(chain, &signed).await
}

/// The block `signed` landed in, if it did: its very bytes looked up in the bodies of the
/// blocks of its mortal era, up to the best block, newest first. The proof that this
/// transaction landed whatever became of its effect since (a timelocked commit that the chain
/// has already revealed is queued no more), and the answer to a stale nonce on sending the
/// same bytes again (they landed, or another transaction took the nonce).
pub async fn find_included(chain: &Chain, signed: &SignedTx) -> Result<Option<u64>, ChainError> {
    let best = chain.best_number().await?;
    let born = signed.valid_until.saturating_sub(MORTALITY_BLOCKS);
    let last = best.min(signed.valid_until);
    for number in (born..=last).rev() {
        let hash = chain.block_hash(number).await?;
        let what = format!("reading the body of block #{number}");
        let block = with_timeout(
            &what,
            chain.timeout(),
            chain.legacy().chain_get_block(Some(hash)),
        )
        .await?;
        let Some(block) = block else {
            return Err(ChainError::Rpc {
                what,
                reason: "the node does not have this block (an archive node keeps every block)"
                    .into(),
            });
        };
        if block.block.extrinsics.iter().any(|x| x.0 == signed.bytes) {
            return Ok(Some(number));
        }
    }
    Ok(None)
}

/// Sends a signed transaction and waits (up to the chain's timeout per step) until it is in
/// a block. A refusal the node or the block states (the pool's verdict, a dispatch error)
/// becomes [`ChainError::Tx`]: the transaction did not land. Anything else after the
/// transaction left this process (a timeout, a dropped connection, a status the node did
/// not finish) becomes [`ChainError::InclusionUnknown`]: it may still land, until
/// `valid_until`.
pub async fn send(chain: &Chain, signed: &SignedTx) -> Result<Included, ChainError> {
    let limit = chain.timeout();
    let valid_until = signed.valid_until;
    let unknown = |e: ChainError| ChainError::InclusionUnknown {
        valid_until,
        reason: e.to_string(),
    };
    let at = chain.at_best().await?;
    let tx = at.transactions().from_bytes(signed.bytes.clone());
    let submitted = with_timeout_typed(limit, tx.submit_and_watch()).await;
    let mut progress = match submitted {
        Some(Ok(p)) => p,
        Some(Err(e)) => return Err(submission_error(&e, valid_until)),
        None => {
            return Err(unknown(ChainError::Timeout {
                what: "submitting".into(),
                seconds: limit.as_secs(),
            }))
        }
    };
    loop {
        let status = with_timeout("waiting for inclusion", limit, async {
            progress
                .next()
                .await
                .ok_or("the node closed the transaction's status stream")?
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| match e {
            // chopsticks reports a transaction that fails when its block is built as an
            // error on the status stream, carrying the pool's verdict.
            ChainError::Rpc { ref reason, .. } => match TxError::from_pool_message(reason) {
                TxError::Other(_) => unknown(e),
                refused => refused.into(),
            },
            e => unknown(e),
        })?;
        let in_block = match status {
            TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => b,
            TransactionStatus::Invalid { message } => {
                return Err(TxError::from_pool_message(&message).into())
            }
            TransactionStatus::Dropped { message } | TransactionStatus::Error { message } => {
                // Out of this node's pool, but it may have reached others.
                return Err(ChainError::InclusionUnknown {
                    valid_until,
                    reason: message,
                });
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
        .await
        .map_err(unknown)?
        {
            Ok(events) => events,
            Err(tx) => return Err(tx.into()),
        };
        let block_hash = in_block.block_hash();
        let block_number = with_timeout("reading the inclusion block", limit, in_block.at())
            .await
            .map_err(unknown)?
            .block_number();
        return Ok(Included {
            block_hash,
            block_number,
            events,
        });
    }
}

/// `fut` with a deadline, keeping its own error type; `None` when the deadline passed.
async fn with_timeout_typed<T, E>(
    limit: std::time::Duration,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Option<Result<T, E>> {
    use futures::FutureExt;
    let timer = futures_timer::Delay::new(limit).fuse();
    let fut = fut.fuse();
    futures::pin_mut!(timer, fut);
    futures::select! {
        out = fut => Some(out),
        _ = timer => None,
    }
}

/// What a failed submission means. The node answers `author_submitAndWatchExtrinsic` with a
/// JSON-RPC error object when it refuses the transaction (codes 1010–1016, Substrate's
/// `author` errors): "already imported" (1013) and "temporarily banned" (1012, seen
/// recently) say the node holds or held these very bytes, so their fate is unknown; the
/// others are refusals ([`TxError`]). Any other error (the connection failed) says nothing
/// about the transaction's fate either.
fn submission_error(e: &subxt::error::ExtrinsicError, valid_until: u64) -> ChainError {
    use subxt::error::{BackendError, ExtrinsicError, RpcError};
    let unknown = ChainError::InclusionUnknown {
        valid_until,
        reason: e.to_string(),
    };
    let ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(RpcError::ClientError(
        subxt_rpcs::Error::User(user),
    ))) = e
    else {
        return unknown;
    };
    match user.code {
        1012 | 1013 => unknown,
        1010..=1016 => {
            let data = user.data.as_ref().map_or("", |d| d.get());
            TxError::from_pool_message(&format!("{} {data}", user.message)).into()
        }
        _ => unknown,
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
    let mut builder = DefaultExtrinsicParamsBuilder::<Config>::new().mortal(MORTALITY_BLOCKS);
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
/// event), typed: [`TxError::from_module`] for module errors, [`TxError::Other`] otherwise.
pub fn dispatch_error(metadata: subxt::metadata::ArcMetadata, bytes: &[u8]) -> TxError {
    match DispatchError::decode_from(bytes.to_vec(), metadata) {
        Ok(err) => dispatch_to_tx_error(&err),
        Err(_) => TxError::Other(format!("an undecodable error (0x{})", hex::encode(bytes))),
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
