//! Setting weights and proving they landed: `set_weights`, commit/reveal v2 when the subnet
//! requires it, and [`verify_weights`], which reads the validator's own row of W back and
//! compares it with what was sent (after the chain's max-upscale).

use bt_core::weights::chain_max_upscale;
use codec::Encode;
use scale_value::Value;
use serde::Serialize;
use subxt_signer::sr25519::Keypair;

use crate::client::Chain;
use crate::error::ChainError;
use crate::storage::{Batch, KeyPart, SUBTENSOR};
use crate::tx::{submit, Included};

/// Weights as `set_weights` sends them: uids and u16 values of equal length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Submits `set_weights(netuid, uids, values, version_key)` signed by `hotkey` and waits for
/// inclusion.
pub async fn set_weights(
    chain: &Chain,
    hotkey: &Keypair,
    netuid: u16,
    w: &WeightsToSet,
) -> Result<Included, ChainError> {
    let call = subxt::dynamic::tx(SUBTENSOR, "set_weights", weights_args(netuid, w, None));
    submit(chain, &call, hotkey).await
}

/// The arguments of `set_weights` (`netuid, uids, values, version_key`), and of
/// `reveal_weights` when a salt is given (`netuid, uids, values, salt, version_key`).
fn weights_args(netuid: u16, w: &WeightsToSet, salt: Option<&[u16]>) -> Vec<Value> {
    let mut args = vec![
        Value::u128(u128::from(netuid)),
        u16s(&w.uids),
        u16s(&w.values),
    ];
    args.extend(salt.map(u16s));
    args.push(Value::u128(u128::from(w.version_key)));
    args
}

/// The commit-reveal v2 hash the chain recomputes at reveal:
/// `blake2_256(SCALE(hotkey, netuid, uids, values, salt, version_key))`.
pub fn commit_hash(hotkey: &[u8; 32], netuid: u16, w: &WeightsToSet, salt: &[u16]) -> [u8; 32] {
    let encoded = (hotkey, netuid, &w.uids, &w.values, salt, w.version_key).encode();
    sp_crypto_hashing::blake2_256(&encoded)
}

/// Commits the hash of `w` (commit-reveal v2). Keep `salt` to reveal later.
pub async fn commit_weights(
    chain: &Chain,
    hotkey: &Keypair,
    netuid: u16,
    w: &WeightsToSet,
    salt: &[u16],
) -> Result<Included, ChainError> {
    let hash = commit_hash(&hotkey.public_key().0, netuid, w, salt);
    let call = subxt::dynamic::tx(
        SUBTENSOR,
        "commit_weights",
        vec![Value::u128(u128::from(netuid)), Value::from_bytes(hash)],
    );
    submit(chain, &call, hotkey).await
}

/// Reveals weights committed with [`commit_weights`] and the same `salt`.
pub async fn reveal_weights(
    chain: &Chain,
    hotkey: &Keypair,
    netuid: u16,
    w: &WeightsToSet,
    salt: &[u16],
) -> Result<Included, ChainError> {
    let call = subxt::dynamic::tx(
        SUBTENSOR,
        "reveal_weights",
        weights_args(netuid, w, Some(salt)),
    );
    submit(chain, &call, hotkey).await
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

/// Reads `hotkey`'s row of W on `netuid` at the best block and compares it with `sent`.
/// The row counts only if the uid's LastUpdate ≥ `since_block`: the block `set_weights` landed
/// in, or under commit-reveal the block of the commit (a reveal does not stamp LastUpdate).
pub async fn verify_weights(
    chain: &Chain,
    netuid: u16,
    hotkey: &[u8; 32],
    sent: &WeightsToSet,
    since_block: u64,
) -> Result<Verification, ChainError> {
    let at = chain.at_best().await?;
    let block = at.block_number();
    let mut b = Batch::new(&at);
    let uid_i = b.add("Uids", &[KeyPart::U16(netuid), KeyPart::Account(*hotkey)])?;
    let lu_i = b.add("LastUpdate", &[KeyPart::U16(netuid)])?;
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
    let row_i = b.add("Weights", &[KeyPart::U16(netuid), KeyPart::U16(uid)])?;
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
    netuid: u16,
    w: &WeightsToSet,
) -> Result<SetAndVerified, ChainError> {
    let included = set_weights(chain, hotkey, netuid, w).await?;
    let verification = verify_weights(
        chain,
        netuid,
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
            commit_hash(&[7; 32], 5, &w, &[9]),
            sp_crypto_hashing::blake2_256(&manual)
        );
    }
}
