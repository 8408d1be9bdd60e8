//! `bt-wire`: who a neuron is and how it talks — identity and transport, shared by the
//! validator and by any miner.
//!
//! core ← chain ← wire ← validator ← a subnet:
//! - [`wallet`]: btcli keyfiles, plain and `$NACL`-encrypted, and `wallet create`;
//! - [`synapse`]: the SDK v9/v10 Synapse on the wire (body, headers, body hash, signed message)
//!   and the [`synapse::Synapse`] trait a subnet's request type implements;
//! - [`dendrite`]: signed, concurrent, bounded calls to miners;
//! - [`axon`]: the miner side, with v9's verification and the metagraph blacklist.

pub mod axon;
pub mod dendrite;
pub mod synapse;
pub mod wallet;
