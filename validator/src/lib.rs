//! The validator's building blocks, used by the `validator` binary (and its tests):
//! - [`config`]: `--config FILE` (TOML) as flags;
//! - [`offline`]: the core's math on JSON (process-weights, epoch);
//! - [`network`]: the chain subcommands (localnet, metagraph, yuma);
//! - [`wallet`]: btcli keyfiles, plain and encrypted;
//! - [`state`]: the crash-safe state file;
//! - [`synapse`]: the SDK's wire format (body, headers, body hash, signed message);
//! - [`dendrite`]: signed, concurrent, bounded calls to axons;
//! - [`axon`]: the miner side of the wire, with v9's verification;
//! - [`corpus`]: the reference subnet's synthetic tweets;
//! - [`task`]: what miners are asked and how answers are judged (the `Task` trait);
//! - [`run`]: the validation loop (`validator run`).

pub mod axon;
pub mod config;
pub mod corpus;
pub mod dendrite;
pub mod network;
pub mod offline;
pub mod run;
pub mod state;
pub mod synapse;
pub mod task;
pub mod wallet;
