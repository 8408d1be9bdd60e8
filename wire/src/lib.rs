//! `bt-wire`: who a neuron is and how it talks — identity and transport, shared by the
//! validator and by any miner.
//!
//! core ← wire ← validator ← a subnet (wire needs no chain client: a miner's allowlist is fed
//! by whatever reads the metagraph):
//! - [`wallet`]: btcli keyfiles, plain and `$NACL`-encrypted, and `wallet create`;
//! - [`synapse`]: the SDK v9/v10 Synapse on the wire (body, headers, body hash, signed message)
//!   and the [`synapse::Synapse`] trait a subnet's request type implements;
//! - [`dendrite`]: signed, concurrent, bounded calls to miners, over either [`Protocol`];
//! - [`axon`]: the miner side of either protocol, with the metagraph blacklist, and
//!   [`nonce_book`], its bounded Synapse replay memory;
//! - [`serve`]: the miner's listener, with a header deadline and a connection cap;
//! - [`btauth`]: SDK 11's `btauth/1` hotkey-signed HTTP: signing, verifying, the replay store,
//!   a `reqwest` client side and a tower layer for axum;
//! - [`allowlist`]: who may call a miner (the subnet's registered hotkeys).
//!
//! Addresses are read and written by `bt_core::ss58`, the project's one SS58 codec.

pub mod allowlist;
pub mod axon;
pub mod btauth;
pub mod dendrite;
pub mod nonce_book;
pub mod serve;
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
