//! The validator: the loop, its state, the [`task::Task`] a subnet implements, and the command
//! line a subnet's `validator` binary runs. Wallets and the wire come from `bt-wire`.
//! - [`cli`]: the `validator` command line, for a subnet's binary to run with its task;
//! - [`btauth`]: `validator btauth sign|verify`;
//! - [`config`]: `--config FILE` (TOML) as flags;
//! - [`error`]: the loop's typed errors;
//! - [`commit`]: commits waiting for the chain (timelocked or by hash), saved before sending;
//! - [`offline`]: the core's math on JSON (process-weights, epoch);
//! - [`network`]: the chain subcommands (localnet, metagraph, yuma);
//! - [`state`]: the crash-safe state file;
//! - [`status`]: `GET /status`, the live state as JSON for operators and the explorer;
//! - [`task`]: what miners are asked and how answers are judged (the `Task` trait);
//! - [`run`]: the validation loop (`validator run`);
//! - `test_hooks`: the integration tests' pauses, only with the `test-hooks` feature;
//! - [`wallet`]: `bt_wire::wallet`, re-exported for the chain subcommands' dev wallets.

pub mod btauth;
pub mod cli;
pub mod commit;
pub mod config;
pub mod error;
pub mod network;
pub mod offline;
pub mod run;
pub mod state;
pub mod status;
pub mod task;
mod test_hooks;

pub use bt_wire::wallet;

pub use error::Error;
