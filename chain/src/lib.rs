//! `bt-chain`: the subtensor chain for the validator (native) and the explorer (browser).
//!
//! core ← chain ← validator / web: this crate reads and writes the chain and leaves all math
//! to `bt-core`.
//! - [`client`]: endpoints (btcli's network names), connecting with deadlines, batched raw reads;
//! - [`storage`]: metadata-typed storage reads, many keys per round trip;
//! - [`metagraph`]: one subnet at one block, in two round trips; the list of subnets;
//! - [`lookup`]: one hotkey or coldkey across every subnet, without reading any metagraph;
//! - [`history`]: a subnet's last epochs, read at past blocks concurrently;
//! - [`tx`]: signed submission and inclusion, with typed errors;
//! - [`weights`]: set_weights, commit/reveal v2, and the read-back that proves weights landed;
//! - [`drand`]: the chain's drand beacon (key, clock, pulses) and timelock encryption to it;
//! - [`timelock`]: commit-reveal v4 (timelocked commits the chain reveals) and its read-back;
//! - [`view`]: the metagraph as people read it (SS58 keys, units, the SDK's field names);
//! - [`blocks`]: new heads with reconnect and backoff;
//! - [`items`]: every storage item, call and runtime API the crate uses, per runtime generation;
//! - [`localnet`], [`bootstrap`], [`beacon`] (native): a chopsticks node, a dev subnet and a
//!   test drand beacon for tests and demos; [`snapshot`] (native): bootstrapped chains made
//!   once and started from copies.

#[cfg(feature = "native")]
pub mod beacon;
pub mod blocks;
#[cfg(feature = "native")]
pub mod bootstrap;
pub mod client;
pub mod drand;
pub mod error;
pub mod history;
pub mod items;
#[cfg(feature = "native")]
pub mod localnet;
pub mod lookup;
pub mod metagraph;
#[cfg(feature = "native")]
pub mod snapshot;
pub mod storage;
pub mod timelock;
pub mod tx;
pub mod view;
pub mod weights;

pub use client::{resolve_endpoint, Chain};
pub use error::{ChainError, RevealError, TxError};
/// An account id (hotkey, coldkey); `Display` gives its SS58 address.
pub use subxt::utils::AccountId32;
