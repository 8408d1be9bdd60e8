//! `btauth/1`: hotkey-signed HTTP, the identity layer of the Python SDK 11 (`bittensor.http_auth`,
//! which replaced the v10 Axon/Dendrite). Any HTTP request proves "sent by hotkey X, to hotkey
//! Y, with exactly this body, recently" with six headers:
//!
//! | header | value |
//! |---|---|
//! | `X-Bittensor-Version` | `1` |
//! | `X-Bittensor-Hotkey` | the sender's SS58 |
//! | `X-Bittensor-Receiver` | the receiver's SS58 (optional on the wire; servers require it by default) |
//! | `X-Bittensor-Nonce` | the sender's clock in nanoseconds, decimal |
//! | `X-Bittensor-Crypto` | absent for sr25519, or `ed25519` |
//! | `X-Bittensor-Signature` | `0x` + hex of the signature over [`payload`] |
//!
//! The signed payload is the UTF-8 lines `btauth/1`, the scheme, the method in upper case, the
//! request target (path and `?query` as sent), the hex sha256 of the raw body, the nonce, the
//! sender and the receiver (`-` when unbound), joined by `\n`.
//!
//! Verification runs in the SDK's order, each failure its own [`AuthError`]: header shape,
//! receiver binding, freshness (10 s back, 2 s ahead), the signature under the declared scheme
//! only, then replay of a (hotkey, nonce) pair, which is stored only once the signature holds.
//!
//! - [`protocol`]: the constants, schemes, payload, [`Caller`] and [`AuthError`];
//! - [`headers`]: the six headers as received, read exactly as the SDK reads them;
//! - [`verify`]: [`verify::Policy`] and the checks;
//! - [`sign`]: [`sign::Signer`], a hotkey (sr25519 or ed25519) that signs requests;
//! - [`nonce`]: the replay store ([`nonce::NonceStore`], bounded [`nonce::MemoryNonceStore`]);
//! - [`client`]: signing a `reqwest` request;
//! - [`server`]: a tower layer for axum that hands handlers the authenticated [`Caller`].

pub mod client;
pub mod headers;
pub mod nonce;
pub mod protocol;
pub mod server;
pub mod sign;
pub mod verify;

pub use protocol::{
    now_ns, payload, AuthError, Caller, Malformed, Scheme, DEFAULT_ALLOWED_SKEW, DEFAULT_MAX_AGE,
    HEADER_CRYPTO, HEADER_HOTKEY, HEADER_NONCE, HEADER_RECEIVER, HEADER_SIGNATURE, HEADER_VERSION,
    PROTOCOL, VERSION,
};
pub use sign::Signer;
pub use verify::Policy;
