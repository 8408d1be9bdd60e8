//! `bt-web`: the metagraph explorer, a Leptos (CSR) app built by trunk.
//!
//! core ← chain ← web: the page reads a subnet straight from a node over websocket
//! (`bt-chain`'s `web` feature) and recomputes the epoch in the browser with `bt-core`, the
//! code the validator runs. There is no backend.
//!
//! Pure view models (built and unit-tested natively too):
//! - [`table`]: the neuron table's rows, sorting and filtering;
//! - [`heatmap`]: W or B as a grid, its pixels, hit-testing and tooltips;
//! - [`validator_row`]: one validator's row against consensus;
//! - [`whatif`]: the Yuma what-if (an edited validator, the epoch rerun);
//! - [`export`]: CSV and JSON downloads.
//!
//! In the browser only: [`route`] (endpoint and netuid in the URL), [`live`] (connect, sync,
//! follow new blocks), [`app`] and [`components`].

pub mod export;
pub mod heatmap;
pub mod table;
pub mod validator_row;
pub mod whatif;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod live;
#[cfg(target_arch = "wasm32")]
pub mod route;
