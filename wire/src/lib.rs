//! `bt-wire`: who a neuron is and how it talks — identity and transport, shared by the
//! validator and by any miner.
//!
//! core ← chain ← wire ← validator ← a subnet:
//! - [`wallet`]: btcli keyfiles, plain and `$NACL`-encrypted, and `wallet create`;
//! - [`synapse`]: the SDK v9/v10 Synapse on the wire (body, headers, body hash, signed message)
//!   and the [`synapse::Synapse`] trait a subnet's request type implements;
//! - [`dendrite`]: signed, concurrent, bounded calls to miners, over either [`Protocol`];
//! - [`axon`]: the miner side of either protocol, with the metagraph blacklist;
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

/// The wire protocol a subnet's validators and miners speak.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// The SDK v9/v10 Synapse: `POST /{SynapseName}` with the `bt_header_*` headers and the
    /// synapse's JSON envelope, signed by the dendrite. Most subnets speak it today.
    #[default]
    Synapse,
    /// SDK 11's `btauth/1`: `POST {ROUTE}` with the request's plain JSON, signed with the
    /// `X-Bittensor-*` headers.
    Btauth,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Synapse => "synapse",
            Protocol::Btauth => "btauth",
        })
    }
}
