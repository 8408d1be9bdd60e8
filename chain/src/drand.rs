//! The drand beacon the chain follows (pallet `Drand`): its key and clock read from the
//! chain, its pulses, and timelock encryption to a future round exactly as the runtime
//! decrypts it.
//!
//! The runtime's reveal (subtensor `coinbase/reveal_commits.rs`) deserializes a
//! `TLECiphertext<TinyBLS381>` (arkworks, compressed) and decrypts it with
//! `tld::<TinyBLS381, AESGCMStreamCipherProvider>` and the 48-byte G1 signature stored in
//! `Drand::Pulses[round]`. The identity of round `r` is `sha256(r as big-endian u64)`, hashed
//! to G1 with drand quicknet's DST (`BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`); a round's
//! signature is that point times the beacon's secret, and the public key is the secret times
//! the G2 generator (96 bytes). This module uses the crate the runtime pins (timelock 0.0.1 =
//! tle@5416406, with w3f-bls 0.1.4), so a ciphertext made here is one the chain can open.
//!
//! Encryption needs only the beacon's public key: it is read from `Drand::BeaconConfig`, never
//! built in (finney's is drand quicknet's; a local chain may carry a test beacon's, see
//! [`crate::beacon`]).

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, Group};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use bt_core::schedule::BeaconClock;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use scale_decode::DecodeAsType;
use scale_value::Value;
use serde::Serialize;
use sha2::{Digest, Sha256};
use timelock::curves::drand::TinyBLS381;
use timelock::ibe::fullident::Identity;
use timelock::stream_ciphers::AESGCMStreamCipherProvider;
use timelock::tlock::{tld, tle, TLECiphertext};

use crate::client::{with_timeout, Chain};
use crate::error::ChainError;
use crate::storage::AtBlock;

/// The pallet that stores the beacon's configuration and pulses.
pub const DRAND: &str = "Drand";

/// Bytes of a compressed G2 public key.
pub const PUBLIC_KEY_LEN: usize = 96;
/// Bytes of a compressed G1 round signature.
pub const SIGNATURE_LEN: usize = 48;

/// drand quicknet's real signature of round 1000 (subtensor `pallets/drand/src/tests.rs`,
/// `DRAND_PULSE`), hex: the one quicknet round whose signature is known offline.
pub const QUICKNET_ROUND_1000: &str = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";

pub use crate::error::DrandError;

/// A beacon's public key and clock, as `Drand::BeaconConfig` holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Beacon {
    /// The compressed G2 public key (96 bytes).
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
    /// Its genesis time and period.
    pub clock: BeaconClock,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }
}

/// The fields of `Drand::BeaconConfig` this crate uses (the others are skipped).
#[derive(Debug, DecodeAsType)]
struct StoredBeaconConfig {
    public_key: Vec<u8>,
    period: u32,
    genesis_time: u32,
}

/// `Drand::Pulses[round]` (the randomness is not used).
#[derive(Debug, DecodeAsType)]
struct StoredPulse {
    signature: Vec<u8>,
}

/// Reads `pallet.item[keys…]` at `at`: `None` when absent and the item has no default.
pub(crate) async fn read_value<T: DecodeAsType>(
    chain: &Chain,
    at: &AtBlock,
    pallet: &str,
    item: &str,
    keys: Vec<Value>,
) -> Result<Option<T>, ChainError> {
    crate::items::check_listed(crate::items::Kind::Storage, pallet, item);
    if !has_item(at, pallet, item) {
        return Err(ChainError::Unsupported {
            item: format!("{pallet}.{item}"),
        });
    }
    let address = subxt::dynamic::storage::<Vec<Value>, Value>(pallet, item);
    let what = format!("reading {pallet}.{item}");
    let entry = at
        .storage()
        .entry(address)
        .map_err(|e| ChainError::Decode {
            item: format!("{pallet}.{item}"),
            reason: e.to_string(),
        })?;
    let found = with_timeout(&what, chain.timeout(), entry.try_fetch(keys)).await?;
    found
        .map(|v| v.decode_as::<T>())
        .transpose()
        .map_err(|e| ChainError::Decode {
            item: format!("{pallet}.{item}"),
            reason: e.to_string(),
        })
}

fn has_item(at: &AtBlock, pallet: &str, item: &str) -> bool {
    at.metadata_ref()
        .pallet_by_name(pallet)
        .and_then(|p| p.storage())
        .and_then(|s| s.entry_by_name(item))
        .is_some()
}

/// The beacon the chain follows at block `at` (`Drand::BeaconConfig`).
pub async fn read_beacon(chain: &Chain, at: &AtBlock) -> Result<Beacon, ChainError> {
    let config: StoredBeaconConfig = read_value(chain, at, DRAND, "BeaconConfig", vec![])
        .await?
        .ok_or_else(|| ChainError::Unsupported {
            item: format!("{DRAND}.BeaconConfig"),
        })?;
    Ok(Beacon {
        public_key: config.public_key,
        clock: BeaconClock {
            genesis_time: u64::from(config.genesis_time),
            period: u64::from(config.period),
        },
    })
}

/// `Drand::LastStoredRound` at `at`: the newest pulse on chain (0 = none yet). A commit to a
/// round below it is refused.
pub async fn last_stored_round(chain: &Chain, at: &AtBlock) -> Result<u64, ChainError> {
    Ok(read_value(chain, at, DRAND, "LastStoredRound", vec![])
        .await?
        .unwrap_or(0))
}

/// The signature of `round` stored at `at` (`Drand::Pulses[round].signature`), if any; a
/// `0x` prefix is stripped as the runtime does.
pub async fn pulse_signature(
    chain: &Chain,
    at: &AtBlock,
    round: u64,
) -> Result<Option<Vec<u8>>, ChainError> {
    let pulse: Option<StoredPulse> = read_value(
        chain,
        at,
        DRAND,
        "Pulses",
        vec![Value::u128(u128::from(round))],
    )
    .await?;
    Ok(pulse.map(|p| match p.signature.strip_prefix(b"0x") {
        Some(rest) => rest.to_vec(),
        None => p.signature,
    }))
}

/// The identity of drand round `round`: `sha256(round as big-endian u64)`.
pub fn round_identity(round: u64) -> Identity {
    let digest = Sha256::digest(round.to_be_bytes());
    Identity::new(b"", vec![digest.to_vec()])
}

fn public_key_point(public_key: &[u8]) -> Result<G2Projective, DrandError> {
    G2Affine::deserialize_compressed(public_key)
        .map(G2Projective::from)
        .map_err(|_| DrandError::PublicKey {
            len: public_key.len(),
        })
}

fn signature_point(signature: &[u8]) -> Result<G1Projective, DrandError> {
    G1Affine::deserialize_compressed(signature)
        .map(G1Projective::from)
        .map_err(|_| DrandError::Signature {
            len: signature.len(),
        })
}

/// Encrypts `message` so that the signature of `round` by the beacon with `public_key` opens
/// it: `tle::<TinyBLS381, AESGCMStreamCipherProvider>`, serialized compressed (what
/// `commit_timelocked_weights` carries). `rng` supplies the ephemeral key and nonces.
pub fn encrypt_with<R: RngCore + CryptoRng>(
    public_key: &[u8],
    round: u64,
    message: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, DrandError> {
    let pk = public_key_point(public_key)?;
    let mut ephemeral = [0u8; 32];
    rng.fill_bytes(&mut ephemeral);
    let ciphertext = tle::<TinyBLS381, AESGCMStreamCipherProvider, _>(
        pk,
        ephemeral,
        message,
        round_identity(round),
        rng,
    )
    .map_err(|_| DrandError::Encrypt)?;
    let mut out = Vec::new();
    ciphertext
        .serialize_compressed(&mut out)
        .map_err(|_| DrandError::Encrypt)?;
    Ok(out)
}

/// [`encrypt_with`] with fresh randomness from the operating system (the browser's crypto
/// API under the `web` feature).
pub fn encrypt(public_key: &[u8], round: u64, message: &[u8]) -> Result<Vec<u8>, DrandError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| DrandError::Randomness(e.to_string()))?;
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    encrypt_with(public_key, round, message, &mut rng)
}

/// Decrypts a commit with a round's signature, as the chain does at reveal.
pub fn decrypt(ciphertext: &[u8], signature: &[u8]) -> Result<Vec<u8>, DrandError> {
    let ct = TLECiphertext::<TinyBLS381>::deserialize_compressed(ciphertext)
        .map_err(|_| DrandError::Ciphertext)?;
    let sig = signature_point(signature)?;
    tld::<TinyBLS381, AESGCMStreamCipherProvider>(ct, sig).map_err(|_| DrandError::Decrypt)
}

/// True when `signature` is the beacon's BLS signature of `round`:
/// `e(signature, G2) == e(H(round), public_key)`.
pub fn verify_round(public_key: &[u8], round: u64, signature: &[u8]) -> Result<bool, DrandError> {
    let pk = public_key_point(public_key)?;
    let sig = signature_point(signature)?;
    let message = round_identity(round).public::<TinyBLS381>();
    Ok(Bls12_381::pairing(sig, G2Projective::generator()) == Bls12_381::pairing(message, pk))
}

/// A beacon's secret key (a BLS12-381 scalar): what signs rounds. Only test beacons have one
/// here; drand's is split among its nodes.
#[derive(Clone)]
pub struct BeaconSecret(Fr);

impl std::fmt::Debug for BeaconSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeaconSecret(..)")
    }
}

impl BeaconSecret {
    /// The secret derived from `seed` (reduced modulo the group order).
    pub fn from_seed(seed: &[u8]) -> Self {
        use ark_ff::PrimeField;
        Self(Fr::from_le_bytes_mod_order(&Sha256::digest(seed)))
    }

    /// The compressed G2 public key (96 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PUBLIC_KEY_LEN);
        // Serializing a valid point into a Vec cannot fail.
        let _ = (G2Projective::generator() * self.0)
            .into_affine()
            .serialize_compressed(&mut out);
        out
    }

    /// The signature of `round` (compressed G1, 48 bytes): what the beacon publishes.
    pub fn sign_round(&self, round: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIGNATURE_LEN);
        let _ = round_identity(round)
            .extract::<TinyBLS381>(self.0)
            .0
            .into_affine()
            .serialize_compressed(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// drand quicknet's public key (the runtime's default `BeaconConfig`).
    const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";
    use super::QUICKNET_ROUND_1000;

    fn bytes(h: &str) -> Vec<u8> {
        hex::decode(h).expect("hex")
    }

    /// The guard against a w3f-bls that hashes identities differently (≥ 0.1.8 prepends the
    /// DST): a real quicknet signature must verify, and a commit to round 1000 must open
    /// with it.
    #[test]
    fn the_real_quicknet_round_1000_verifies_and_decrypts() {
        let pk = bytes(QUICKNET_PUBLIC_KEY);
        let sig = bytes(QUICKNET_ROUND_1000);
        assert_eq!((pk.len(), sig.len()), (PUBLIC_KEY_LEN, SIGNATURE_LEN));
        assert_eq!(verify_round(&pk, 1000, &sig), Ok(true));
        assert_eq!(verify_round(&pk, 1001, &sig), Ok(false));
        let ct = encrypt(&pk, 1000, b"weights").expect("encrypts");
        assert_eq!(decrypt(&ct, &sig).as_deref(), Ok(&b"weights"[..]));
        // Encrypted to round 1001, round 1000's signature does not open it.
        let other = encrypt(&pk, 1001, b"weights").expect("encrypts");
        assert_eq!(decrypt(&other, &sig), Err(DrandError::Decrypt));
    }

    /// A ciphertext made by the Python SDK's encryption (bittensor 10.2.0 pins
    /// bittensor_drand 1.3.0): `encrypt_at_round(b"sdk 10.2.0 / bittensor_drand 1.3.0 to round
    /// 1000", 1000)`, which returns SCALE `(Vec<u8> ciphertext, u64 round)`; this is the
    /// ciphertext part. The real round-1000 signature opens it here: both sides speak the
    /// same format.
    const SDK_CIPHERTEXT_ROUND_1000: &str = "b8f0f0379e951de026fefaa282f2c1430f22cf282704cecfa8452d0f7363ab14fd06a30efa08c3556a97b48032cc4535134faf3962689546ab834eb090acccff04fda4b946902403c10b8814297470848723aae583b5b4879cae830840c68cce2000000000000000766e7bc7af39ba2d63a3e1e8ac2a360da4ed92a6af8d707759ec423b91ac2be1200000000000000059e60f2e9bc0bbb28db5515024505bd758d53280a433f13a99cd8097e8587cbb5c0000000000000040000000000000007b7a49222e554f588ccc57a38b717af3f51bf97d115182d2a1224f7b84bdc87be04a5be1523157c354a4d48a24c293cac733f05126bb3f3e844247b4bb1bbdb90c00000000000000fd1e791092fd05f0deb33fc808000000000000004145535f47434d5f";

    #[test]
    fn the_sdks_ciphertext_opens_with_the_real_round_1000() {
        let plain = decrypt(
            &bytes(SDK_CIPHERTEXT_ROUND_1000),
            &bytes(QUICKNET_ROUND_1000),
        );
        assert_eq!(
            plain.as_deref(),
            Ok(&b"sdk 10.2.0 / bittensor_drand 1.3.0 to round 1000"[..])
        );
    }

    #[test]
    fn a_test_beacon_signs_rounds_that_open_its_commits() {
        let secret = BeaconSecret::from_seed(b"bt-chain test beacon");
        let pk = secret.public_key();
        let sig = secret.sign_round(42);
        assert_eq!((pk.len(), sig.len()), (PUBLIC_KEY_LEN, SIGNATURE_LEN));
        assert_eq!(verify_round(&pk, 42, &sig), Ok(true));
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
        let ct = encrypt_with(&pk, 42, b"payload", &mut rng).unwrap();
        assert_eq!(decrypt(&ct, &sig).as_deref(), Ok(&b"payload"[..]));
        // Not with quicknet's key, nor another round's signature.
        let quicknet = bytes(QUICKNET_PUBLIC_KEY);
        assert_eq!(verify_round(&quicknet, 42, &sig), Ok(false));
        // A commit to quicknet's key (what the Python SDK makes) does not open with the test
        // beacon's signature of the same round.
        let to_quicknet = encrypt_with(&quicknet, 42, b"payload", &mut rng).unwrap();
        assert_eq!(decrypt(&to_quicknet, &sig), Err(DrandError::Decrypt));
        assert_eq!(
            decrypt(&ct, &secret.sign_round(43)),
            Err(DrandError::Decrypt)
        );
        assert!(format!("{secret:?}").contains(".."));
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        assert!(matches!(
            encrypt(&[1, 2, 3], 1, b"x"),
            Err(DrandError::PublicKey { len: 3 })
        ));
        assert_eq!(decrypt(b"junk", &[0; 48]), Err(DrandError::Ciphertext));
        let pk = bytes(QUICKNET_PUBLIC_KEY);
        let ct = encrypt(&pk, 1, b"x").unwrap();
        assert!(matches!(
            decrypt(&ct, &[0x80; 10]),
            Err(DrandError::Signature { len: 10 })
        ));
        assert!(matches!(
            verify_round(&pk, 1, &[1; 5]),
            Err(DrandError::Signature { len: 5 })
        ));
    }
}
