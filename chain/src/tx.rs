//! Submitting a signed extrinsic and waiting for it to land in a block, with every way it can
//! fail turned into a [`TxError`]: pool refusals (stale nonce, subtensor's custom codes) and
//! dispatch errors (module errors by name).

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
    let mut txs = at.transactions();
    let signed = with_timeout(
        "signing",
        limit,
        txs.create_signed(call, signer, Default::default()),
    )
    .await?;
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

impl std::fmt::Debug for Included {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Included")
            .field("block_hash", &self.block_hash)
            .field("block_number", &self.block_number)
            .finish_non_exhaustive()
    }
}

impl Included {
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
