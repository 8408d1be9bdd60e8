//! `bt-web`: the metagraph explorer, a Leptos (CSR) app built by trunk.
//!
//! core ← chain ← web: the page reads a subnet straight from a node over websocket
//! (`bt-chain`'s `web` feature), at the newest block or any past one, and recomputes the
//! epoch in the browser with `bt-core`, the code the validator runs. There is no backend, and
//! no number is computed here: every value shown is the chain's, or the core's from it.
//!
//! Pure view models (built and unit-tested natively and in wasm):
//! - [`table`]: the neuron table's rows, sorting and filtering;
//! - [`heatmap`]: W or B as a grid, its pixels, hit-testing and tooltips;
//! - [`validator_row`]: one validator's row as the core's epoch saw it;
//! - [`explain`]: why a miner earns its incentive, why a validator earns its dividends;
//! - [`my_validator`]: a validator's `GET /status` next to the chain: intends vs holds, its
//!   commit-reveal timeline, what stops it;
//! - [`commits`]: every validator's unrevealed commits, their pulses and expiry, from the chain;
//! - [`lookup`]: the key lookup's input;
//! - [`rules`]: the subnet's epoch rule (Null, Yuma3, Yuma2) and liquid alpha, for the header;
//! - [`chart`]: a uid's history as small SVG line charts;
//! - [`export`]: CSV and JSON downloads.
//!
//! In the browser only: [`route`] (endpoint, netuid, mechanism and block in the URL),
//! [`live`] (connect, read now or at a past block, follow new blocks, history, diff), [`app`]
//! and [`components`].

pub mod chart;
pub mod commits;
pub mod explain;
pub mod export;
pub mod heatmap;
pub mod lookup;
pub mod my_validator;
pub mod rules;
pub mod table;
pub mod validator_row;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod live;
#[cfg(target_arch = "wasm32")]
pub mod route;
