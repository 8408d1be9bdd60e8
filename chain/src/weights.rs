//! Setting weights and proving they landed: `set_mechanism_weights` (or `set_weights` on a
//! runtime without mechanisms), hash commit/reveal (v2) when the subnet requires it, and
//! [`verify_weights`], which reads the validator's own row of W in that mechanism back and
//! compares it with what was sent (after the chain's max-upscale).
//!
//! Every call names a [`Target`]: the subnet and the mechanism. Mechanism 0's storage index
//! is the netuid itself, so on a runtime without mechanisms only mechanism 0 exists.

use bt_core::metagraph::storage_index;
use bt_core::weights::chain_max_upscale;
use codec::Encode;
use scale_value::Value;
use serde::Serialize;
use subxt_signer::sr25519::Keypair;

use crate::client::Chain;
use crate::error::{ChainError, TxError};
use crate::storage::{Batch, KeyPart, SUBTENSOR};
use crate::tx::{submit, Included, SignedTx};

/// Where weights go: a subnet and one of its mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Target {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism (0 for the first; subnets have 1 or 2).
    pub mecid: u8,
}

impl Target {
    /// Mechanism 0 of `netuid`.
    pub fn subnet(netuid: u16) -> Self {
        Self { netuid, mecid: 0 }
    }

    /// The storage index of this mechanism's items (`mecid × 4096 + netuid`).
    pub fn storage_index(&self) -> u16 {
        storage_index(self.netuid, self.mecid)
    }
}

/// The call to use: the mechanism variant when the runtime has it, the plain call for
/// mechanism 0 on a runtime without mechanisms. A mechanism the subnet lacks is refused here:
/// the chain's transaction pool would call it a rate limit.
pub(crate) async fn call_name(
    chain: &Chain,
    target: Target,
    plain: &'static str,
    mechanism: &'static str,
) -> Result<&'static str, ChainError> {
    let at = chain.at_best().await?;
    if target.mecid > 0 {
        let mut b = Batch::new(&at);
        let count = b.add_optional("MechanismCountCurrent", &[KeyPart::U16(target.netuid)])?;
        let v = b.fetch(chain).await?;
        if target.mecid >= v.get_or::<u8>(count, 1)? {
            return Err(TxError::NoSuchMechanism.into());
        }
    }
    let has = |name: &str| {
        at.metadata_ref()
            .pallet_by_name(SUBTENSOR)
            .and_then(|p| p.call_variant_by_name(name))
            .is_some()
    };
    if has(mechanism) {
        Ok(mechanism)
    } else if target.mecid == 0 && has(plain) {
        Ok(plain)
    } else {
        Err(ChainError::Unsupported {
            item: format!("{SUBTENSOR}.{mechanism}"),
        })
    }
}

/// The leading arguments of a weights call: `netuid`, and `mecid` for the mechanism variant.
pub(crate) fn target_args(target: Target, call: &str) -> Vec<Value> {
    let mut args = vec![Value::u128(u128::from(target.netuid))];
    if call.contains("mechanism") {
        args.push(Value::u128(u128::from(target.mecid)));
    }
    args
}

/// Weights as `set_weights` sends them: uids and u16 values of equal length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct WeightsToSet {
    /// Destination uids.
    pub uids: Vec<u16>,
    /// u16 values (the SDK's emit conversion; the chain max-upscales them).
    pub values: Vec<u16>,
    /// The subnet's version key to send.
    pub version_key: u64,
}

impl WeightsToSet {
    /// The row the chain will store: `(uid, value)` in submission order, values max-upscaled.
    pub fn expected_row(&self) -> Vec<(u16, u16)> {
        self.uids
            .iter()
            .copied()
            .zip(chain_max_upscale(&self.values))
            .collect()
    }
}

fn u16s(v: &[u16]) -> Value {
    Value::unnamed_composite(v.iter().map(|&x| Value::u128(u128::from(x))))
}

/// A weights call: the call's name in `SubtensorModule` and its arguments.
#[derive(Debug, Clone)]
pub struct WeightsCall {
    /// `set_mechanism_weights`, `commit_weights`, …
    pub name: &'static str,
    /// Its arguments, in order.
    pub args: Vec<Value>,
}

impl WeightsCall {
    /// As a `RuntimeCall` value, to nest in a batch or a `dispatch_as`.
    pub fn runtime_call(&self) -> Value {
        Value::unnamed_variant(
            SUBTENSOR,
            vec![Value::unnamed_variant(self.name, self.args.clone())],
        )
    }

    /// Signs it with `hotkey` (not sent; see [`crate::tx::sign`]).
    pub async fn sign(&self, chain: &Chain, hotkey: &Keypair) -> Result<SignedTx, ChainError> {
        let call = crate::tx::dynamic_call(SUBTENSOR, self.name, self.args.clone());
        crate::tx::sign(chain, &call, hotkey).await
    }

    /// Signs it with `hotkey`, submits it and waits for inclusion.
    pub async fn submit(&self, chain: &Chain, hotkey: &Keypair) -> Result<Included, ChainError> {
        let call = crate::tx::dynamic_call(SUBTENSOR, self.name, self.args.clone());
        submit(chain, &call, hotkey).await
    }
}

/// `set_mechanism_weights(netuid, mecid, uids, values, version_key)`, or `set_weights` on a
/// runtime without mechanisms.
pub async fn set_weights_call(
    chain: &Chain,
    target: Target,
    w: &WeightsToSet,
) -> Result<WeightsCall, ChainError> {
    let name = call_name(chain, target, "set_weights", "set_mechanism_weights").await?;
    Ok(WeightsCall {
        name,
        args: weights_args(target, name, w, None),
    })
}

/// Submits [`set_weights_call`] signed by `hotkey` and waits for inclusion.
pub async fn set_weights(
    chain: &Chain,
    hotkey: &Keypair,
    target: Target,
    w: &WeightsToSet,
) -> Result<Included, ChainError> {
    set_weights_call(chain, target, w)
        .await?
        .submit(chain, hotkey)
        .await
}

/// The arguments of `set_(mechanism_)weights` (`netuid, [mecid,] uids, values, version_key`),
/// and of `reveal_(mechanism_)weights` when a salt is given (`…, values, salt, version_key`).
fn weights_args(target: Target, call: &str, w: &WeightsToSet, salt: Option<&[u16]>) -> Vec<Value> {
    let mut args = target_args(target, call);
    args.push(u16s(&w.uids));
    args.push(u16s(&w.values));
    args.extend(salt.map(u16s));
    args.push(Value::u128(u128::from(w.version_key)));
    args
}

/// The commit-reveal v2 hash the chain recomputes at reveal:
/// `blake2_256(SCALE(hotkey, storage_index, uids, values, salt, version_key))`, where the
/// storage index is `mecid × 4096 + netuid` (the netuid for mechanism 0, as before
/// mechanisms).
pub fn commit_hash(hotkey: &[u8; 32], target: Target, w: &WeightsToSet, salt: &[u16]) -> [u8; 32] {
    let encoded = (
        hotkey,
        target.storage_index(),
        &w.uids,
        &w.values,
        salt,
        w.version_key,
    )
        .encode();
    sp_crypto_hashing::blake2_256(&encoded)
}

/// `commit_(mechanism_)weights` of the hash of `w` by `hotkey` (commit-reveal v2).
pub async fn commit_weights_call(
    chain: &Chain,
    hotkey: &[u8; 32],
    target: Target,
    w: &WeightsToSet,
    salt: &[u16],
) -> Result<WeightsCall, ChainError> {
    let hash = commit_hash(hotkey, target, w, salt);
    let name = call_name(chain, target, "commit_weights", "commit_mechanism_weights").await?;
    let mut args = target_args(target, name);
    args.push(Value::from_bytes(hash));
    Ok(WeightsCall { name, args })
}

/// Commits the hash of `w` (commit-reveal v2). Keep `salt` to reveal later.
pub async fn commit_weights(
    chain: &Chain,
    hotkey: &Keypair,
    target: Target,
    w: &WeightsToSet,
    salt: &[u16],
) -> Result<Included, ChainError> {
    commit_weights_call(chain, &hotkey.public_key().0, target, w, salt)
        .await?
        .submit(chain, hotkey)
        .await
}

/// `reveal_(mechanism_)weights` of `w` with `salt`.
pub async fn reveal_weights_call(
    chain: &Chain,
    target: Target,
    w: &WeightsToSet,
    salt: &[u16],
) -> Result<WeightsCall, ChainError> {
    let name = call_name(chain, target, "reveal_weights", "reveal_mechanism_weights").await?;
    Ok(WeightsCall {
        name,
        args: weights_args(target, name, w, Some(salt)),
    })
}

/// Reveals weights committed with [`commit_weights`] and the same `salt`.
pub async fn reveal_weights(
    chain: &Chain,
    hotkey: &Keypair,
    target: Target,
    w: &WeightsToSet,
    salt: &[u16],
) -> Result<Included, ChainError> {
    reveal_weights_call(chain, target, w, salt)
        .await?
        .submit(chain, hotkey)
        .await
}

/// The hash commit of `hash` by `hotkey` in `target`, if it is queued on chain now:
/// `(commit_block, commit_epoch)` (the epoch is `None` on runtimes without dynamic tempo,
/// which key commits by block). After a restart this tells whether a commit that was saved
/// before it was sent landed.
pub async fn find_hash_commit(
    chain: &Chain,
    target: Target,
    hotkey: &[u8; 32],
    hash: &[u8; 32],
) -> Result<Option<(u64, Option<u64>)>, ChainError> {
    let at = chain.at_best().await?;
    let dynamic_tempo = Batch::new(&at).has("SubnetEpochIndex");
    let mut b = Batch::new(&at);
    let i = b.add(
        "WeightCommits",
        &[
            KeyPart::U16(target.storage_index()),
            KeyPart::Account(*hotkey),
        ],
    )?;
    let queue: Vec<([u8; 32], u64, u64, u64)> = b.fetch(chain).await?.get(i)?;
    Ok(queue
        .into_iter()
        .find(|(h, ..)| h == hash)
        .map(|(_, a, b, _)| {
            if dynamic_tempo {
                (b, Some(a))
            } else {
                (a, None)
            }
        }))
}

/// What reading W back showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Verification {
    /// The stored row equals what was sent (after max-upscale).
    Match {
        /// The hotkey's uid.
        uid: u16,
        /// The block of the read.
        block: u64,
    },
    /// The row was written after the submission but differs.
    Mismatch {
        /// The hotkey's uid.
        uid: u16,
        /// The block of the read.
        block: u64,
        /// What the chain should hold.
        expected: Vec<(u16, u16)>,
        /// What it holds.
        found: Vec<(u16, u16)>,
        /// Entries that differ: `(uid, expected value, found value)`; 0 where absent.
        differences: Vec<(u16, u16, u16)>,
    },
    /// The chain has not stored this submission yet (LastUpdate is older than it).
    NotYetIncluded {
        /// The block of the read.
        block: u64,
        /// The uid's LastUpdate, if it has a uid.
        last_update: Option<u64>,
    },
}

impl Verification {
    /// True for [`Verification::Match`].
    pub fn is_match(&self) -> bool {
        matches!(self, Self::Match { .. })
    }
}

/// Reads `hotkey`'s row of W in `target`'s mechanism at the best block and compares it with
/// `sent`. The row counts only if the uid's LastUpdate ≥ `since_block`: the block
/// `set_weights` landed in, or under commit-reveal the block of the commit (a reveal does not
/// stamp LastUpdate).
pub async fn verify_weights(
    chain: &Chain,
    target: Target,
    hotkey: &[u8; 32],
    sent: &WeightsToSet,
    since_block: u64,
) -> Result<Verification, ChainError> {
    let at = chain.at_best().await?;
    let block = at.block_number();
    let mut b = Batch::new(&at);
    let idx = KeyPart::U16(target.storage_index());
    let uid_i = b.add(
        "Uids",
        &[KeyPart::U16(target.netuid), KeyPart::Account(*hotkey)],
    )?;
    let lu_i = b.add("LastUpdate", std::slice::from_ref(&idx))?;
    let v = b.fetch(chain).await?;
    let Some(uid) = v.get_opt::<u16>(uid_i)? else {
        return Ok(Verification::NotYetIncluded {
            block,
            last_update: None,
        });
    };
    let last_update = v
        .get::<Vec<u64>>(lu_i)?
        .get(usize::from(uid))
        .copied()
        .unwrap_or(0);
    if last_update < since_block {
        return Ok(Verification::NotYetIncluded {
            block,
            last_update: Some(last_update),
        });
    }
    let mut b = Batch::new(&at);
    let row_i = b.add("Weights", &[idx, KeyPart::U16(uid)])?;
    let found: Vec<(u16, u16)> = b.fetch(chain).await?.get(row_i)?;
    Ok(compare_rows(uid, block, sent.expected_row(), found))
}

/// Compares the expected and stored rows of W.
pub fn compare_rows(
    uid: u16,
    block: u64,
    expected: Vec<(u16, u16)>,
    found: Vec<(u16, u16)>,
) -> Verification {
    if expected == found {
        return Verification::Match { uid, block };
    }
    let lookup =
        |row: &[(u16, u16)], u: u16| row.iter().find(|(d, _)| *d == u).map_or(0, |&(_, v)| v);
    let mut dests: Vec<u16> = expected.iter().chain(&found).map(|&(d, _)| d).collect();
    dests.sort_unstable();
    dests.dedup();
    let differences = dests
        .into_iter()
        .map(|d| (d, lookup(&expected, d), lookup(&found, d)))
        .filter(|(_, e, f)| e != f)
        .collect();
    Verification::Mismatch {
        uid,
        block,
        expected,
        found,
        differences,
    }
}

/// The result of [`Verification`] when a submission landed: submission then read-back.
#[derive(Debug, Clone, Serialize)]
pub struct SetAndVerified {
    /// The block the extrinsic landed in.
    pub included_at: u64,
    /// The read-back.
    pub verification: Verification,
}

/// Sets weights, then reads them back: the one call a validator needs per epoch.
pub async fn set_and_verify(
    chain: &Chain,
    hotkey: &Keypair,
    target: Target,
    w: &WeightsToSet,
) -> Result<SetAndVerified, ChainError> {
    let included = set_weights(chain, hotkey, target, w).await?;
    let verification = verify_weights(
        chain,
        target,
        &hotkey.public_key().0,
        w,
        included.block_number,
    )
    .await?;
    Ok(SetAndVerified {
        included_at: included.block_number,
        verification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_row_is_max_upscaled_in_submission_order() {
        let w = WeightsToSet {
            uids: vec![3, 1],
            values: vec![100, 50],
            version_key: 0,
        };
        assert_eq!(w.expected_row(), vec![(3, 65535), (1, 32768)]);
    }

    #[test]
    fn rows_compare_with_differences() {
        assert!(compare_rows(0, 1, vec![(1, 5)], vec![(1, 5)]).is_match());
        match compare_rows(0, 1, vec![(1, 5), (2, 6)], vec![(1, 5), (3, 7)]) {
            Verification::Mismatch { differences, .. } => {
                assert_eq!(differences, vec![(2, 6, 0), (3, 0, 7)]);
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn commit_hash_encodes_like_the_chain() {
        // SCALE of (AccountId, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64), hashed with blake2-256.
        let w = WeightsToSet {
            uids: vec![1],
            values: vec![2],
            version_key: 3,
        };
        let mut manual = vec![7u8; 32];
        manual.extend_from_slice(&5u16.to_le_bytes());
        manual.extend_from_slice(&[4, 1, 0]);
        manual.extend_from_slice(&[4, 2, 0]);
        manual.extend_from_slice(&[4, 9, 0]);
        manual.extend_from_slice(&3u64.to_le_bytes());
        assert_eq!(
            commit_hash(&[7; 32], Target::subnet(5), &w, &[9]),
            sp_crypto_hashing::blake2_256(&manual)
        );
        // Mechanism 1 of subnet 5 hashes storage index 4101.
        manual[32..34].copy_from_slice(&4101u16.to_le_bytes());
        let target = Target {
            netuid: 5,
            mecid: 1,
        };
        assert_eq!(target.storage_index(), 4101);
        assert_eq!(
            commit_hash(&[7; 32], target, &w, &[9]),
            sp_crypto_hashing::blake2_256(&manual)
        );
    }
}
