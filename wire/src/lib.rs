//! `bt-wire`: who a neuron is and how it talks — identity and transport, shared by the
//! validator and by any miner.
//!
//! core ← chain ← wire ← validator ← a subnet:
//! - [`wallet`]: btcli keyfiles, plain and `$NACL`-encrypted, and `wallet create`;
//! - [`synapse`]: the SDK v9/v10 Synapse on the wire (body, headers, body hash, signed message)
//!   and the [`synapse::Synapse`] trait a subnet's request type implements;
//! - [`dendrite`]: signed, concurrent, bounded calls to miners;
//! - [`axon`]: the miner side, with v9's verification and the metagraph blacklist;
//! - [`btauth`]: SDK 11's `btauth/1` hotkey-signed HTTP: signing, verifying, the replay store,
//!   a `reqwest` client side and a tower layer for axum;
//! - [`allowlist`]: who may call a miner (the subnet's registered hotkeys);
//! - [`ss58`]: addresses, read as the SDK reads them.

pub mod allowlist;
pub mod axon;
pub mod btauth;
pub mod dendrite;
pub mod ss58;
pub mod synapse;
pub mod wallet;
