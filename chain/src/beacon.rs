//! The local chain's drand: a test beacon whose key is installed in `Drand::BeaconConfig` and
//! whose round signatures are written to `Drand::Pulses` with chopsticks' `dev_setStorage`.
//!
//! On a live chain the drand pallet's offchain worker fetches quicknet pulses over HTTP and
//! submits them as unsigned `write_pulse` extrinsics. Chopsticks runs no offchain workers (and
//! this machine reaches no drand relay), so no pulse ever arrives; and quicknet's signatures
//! for the rounds a commit made today targets cannot be produced offline. So the local chain
//! gets its own beacon: a BLS12-381 key from a fixed, public seed ([`TEST_BEACON_SEED`]; a
//! test key, never a secret), installed as the chain's beacon key, so that a client that
//! reads the key from the chain (as [`crate::timelock`] does) encrypts to it; and pulses it
//! signs itself, written as the pallet would store them. The chain's own reveal then decrypts
//! them exactly as on finney (pure arkworks, no host call). See `docs/drand-localnet.md`.
//!
//! The beacon keeps quicknet's clock (genesis 1692803367, 3 s), read against the chain's block
//! timestamps: [`TestBeacon::publish_due`] writes every round due by the head block's time,
//! so a pulse lands one block after it is due.

use codec::Encode;
use scale_value::Value;

use crate::client::Chain;
use crate::drand::{self, BeaconSecret, DRAND};
use crate::error::ChainError;
use crate::localnet::{new_block, set_storage};
use crate::storage::AtBlock;
use bt_core::schedule::BeaconClock;

/// The seed of the local test beacon's key. Public on purpose: anyone can sign its rounds,
/// so it only ever belongs on a local chain.
pub const TEST_BEACON_SEED: &str = "bt-chain localnet drand test beacon (a public test key)";

/// drand quicknet's clock, which the test beacon keeps.
pub const QUICKNET_CLOCK: BeaconClock = BeaconClock {
    genesis_time: 1_692_803_367,
    period: 3,
};

/// The most rounds [`TestBeacon::publish_due`] writes at once (older missed rounds are
/// skipped, as a drand relay that was down would skip them).
pub const MAX_ROUNDS_PER_PUBLISH: u64 = 1000;

/// A drand beacon for a local chain. See the module documentation.
#[derive(Debug, Clone)]
pub struct TestBeacon {
    secret: BeaconSecret,
    clock: BeaconClock,
}

impl Default for TestBeacon {
    fn default() -> Self {
        Self::new()
    }
}

/// `Drand::Pulses`' value: `Pulse { round, randomness, signature }`.
#[derive(Encode)]
struct Pulse {
    round: u64,
    randomness: Vec<u8>,
    signature: Vec<u8>,
}

/// `Drand::BeaconConfig`'s value (`BeaconConfiguration`), fields in the runtime's order.
#[derive(Encode)]
struct BeaconConfiguration {
    public_key: Vec<u8>,
    period: u32,
    genesis_time: u32,
    hash: Vec<u8>,
    group_hash: Vec<u8>,
    scheme_id: Vec<u8>,
    beacon_id: Vec<u8>,
}

impl TestBeacon {
    /// The test beacon of [`TEST_BEACON_SEED`] on quicknet's clock.
    pub fn new() -> Self {
        Self {
            secret: BeaconSecret::from_seed(TEST_BEACON_SEED.as_bytes()),
            clock: QUICKNET_CLOCK,
        }
    }

    /// Its compressed G2 public key (96 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.secret.public_key()
    }

    /// Its clock.
    pub fn clock(&self) -> BeaconClock {
        self.clock
    }

    /// Its signature of `round` (48 bytes).
    pub fn sign(&self, round: u64) -> Vec<u8> {
        self.secret.sign_round(round)
    }

    /// Makes it the chain's beacon: writes `Drand::BeaconConfig` with its public key and
    /// clock (quicknet's scheme id; its own chain hash).
    pub async fn install(&self, chain: &Chain) -> Result<(), ChainError> {
        let config = BeaconConfiguration {
            public_key: self.public_key(),
            period: u32::try_from(self.clock.period).unwrap_or(u32::MAX),
            genesis_time: u32::try_from(self.clock.genesis_time).unwrap_or(u32::MAX),
            hash: sp_crypto_hashing::sha2_256(TEST_BEACON_SEED.as_bytes()).to_vec(),
            group_hash: sp_crypto_hashing::sha2_256(&self.public_key()).to_vec(),
            scheme_id: b"bls-unchained-g1-rfc9380".to_vec(),
            beacon_id: b"bt-test".to_vec(),
        };
        let at = chain.at_best().await?;
        let key = raw_key(&at, "BeaconConfig", vec![])?;
        write_raw(chain, vec![(key, config.encode())]).await
    }

    /// Writes the pulses of `rounds` (`Drand::Pulses[round]`) and moves
    /// `Drand::LastStoredRound` up to the newest of them, as the pallet's `write_pulse` does.
    pub async fn publish(&self, chain: &Chain, rounds: &[u64]) -> Result<(), ChainError> {
        let pulses: Vec<(u64, Vec<u8>)> = rounds.iter().map(|&r| (r, self.sign(r))).collect();
        write_pulses(chain, &pulses).await
    }

    /// Publishes every round due by the head block's timestamp that is newer than
    /// `Drand::LastStoredRound` (only the newest due when none is stored yet; at most
    /// [`MAX_ROUNDS_PER_PUBLISH`]). Returns the newest round now stored, if any.
    pub async fn publish_due(&self, chain: &Chain) -> Result<Option<u64>, ChainError> {
        let at = chain.at_best().await?;
        let now_ms: u64 = drand::read_value(chain, &at, "Timestamp", "Now", vec![])
            .await?
            .unwrap_or(0);
        let due = self.clock.latest_round(now_ms);
        let last = drand::last_stored_round(chain, &at).await?;
        if due == 0 || due <= last {
            return Ok((last > 0).then_some(last));
        }
        let first = if last == 0 {
            due
        } else {
            (last + 1).max(due.saturating_sub(MAX_ROUNDS_PER_PUBLISH - 1))
        };
        let rounds: Vec<u64> = (first..=due).collect();
        self.publish(chain, &rounds).await?;
        Ok(Some(due))
    }

    /// Builds `count` blocks one by one, publishing the rounds due after each (a local
    /// chain with a running beacon).
    pub async fn new_blocks(&self, chain: &Chain, count: u32) -> Result<(), ChainError> {
        for _ in 0..count {
            new_block(chain).await?;
            self.publish_due(chain).await?;
        }
        Ok(())
    }
}

/// Writes `(round, signature)` pulses into `Drand::Pulses` and moves `Drand::LastStoredRound`
/// up to the newest of them, as the pallet's `write_pulse` does (without its verification,
/// which needs BLS host calls chopsticks does not have). For the test beacon's rounds, or a
/// real beacon's published signatures (drand quicknet's round 1000, for instance).
pub async fn write_pulses(chain: &Chain, pulses: &[(u64, Vec<u8>)]) -> Result<(), ChainError> {
    let Some(newest) = pulses.iter().map(|(r, _)| *r).max() else {
        return Ok(());
    };
    let at = chain.at_best().await?;
    let last = drand::last_stored_round(chain, &at).await?;
    let mut pairs = Vec::with_capacity(pulses.len() + 1);
    for (round, signature) in pulses {
        let pulse = Pulse {
            round: *round,
            randomness: sp_crypto_hashing::sha2_256(signature).to_vec(),
            signature: signature.clone(),
        };
        pairs.push((
            raw_key(&at, "Pulses", vec![Value::u128(u128::from(*round))])?,
            pulse.encode(),
        ));
    }
    pairs.push((
        raw_key(&at, "LastStoredRound", vec![])?,
        last.max(newest).encode(),
    ));
    write_raw(chain, pairs).await
}

/// The raw storage key of `Drand.item[keys…]` at `at`.
fn raw_key(at: &AtBlock, item: &str, keys: Vec<Value>) -> Result<Vec<u8>, ChainError> {
    let address = subxt::dynamic::storage::<Vec<Value>, Value>(DRAND, item);
    at.storage()
        .entry(address)
        .and_then(|e| e.fetch_key(keys))
        .map_err(|e| ChainError::Unsupported {
            item: format!("{DRAND}.{item} ({e})"),
        })
}

/// Writes raw `(key, value)` pairs with `dev_setStorage`.
async fn write_raw(chain: &Chain, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), ChainError> {
    let pairs: Vec<serde_json::Value> = pairs
        .into_iter()
        .map(|(k, v)| {
            serde_json::json!([
                format!("0x{}", hex::encode(k)),
                format!("0x{}", hex::encode(v))
            ])
        })
        .collect();
    set_storage(chain, serde_json::Value::Array(pairs)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_beacon_is_deterministic_and_verifiable() {
        let a = TestBeacon::new();
        let b = TestBeacon::default();
        assert_eq!(a.public_key(), b.public_key());
        assert_eq!(a.public_key().len(), drand::PUBLIC_KEY_LEN);
        assert_eq!(
            drand::verify_round(&a.public_key(), 14_000_000, &a.sign(14_000_000)),
            Ok(true)
        );
        assert_eq!(a.clock(), QUICKNET_CLOCK);
    }
}
