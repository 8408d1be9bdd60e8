//! `bt-core`: the math shared by the validator (native) and the explorer (WebAssembly).
//!
//! Everything numeric that the project does lives here, once:
//! - [`numpy`]: the few NumPy behaviours the SDK's weight code relies on (pairwise sums, quantiles, rounding);
//! - [`weights`]: the SDK's weight processing, bit-exact, plus the chain's checks and a chain-safe quantizer;
//! - [`ema`]: the per-uid moving average of scores a validator keeps;
//! - [`metagraph`]: one subnet at one block (neurons, hyperparameters) and the views derived from it;
//! - [`volume`]: the masa-style volume reward (z-score through the normal CDF);
//! - [`stake`]: the stake the epoch weighs each uid by (alpha + weighted TAO, as the runtime);
//! - [`yuma`]: the epoch (Yuma consensus) of today's runtime in the chain's fixed-point arithmetic;
//! - [`replay`]: the chain's last epoch recomputed and compared value by value;
//! - [`schedule`]: the epoch schedule (commit-reveal epochs, the activity cutoff);
//! - [`whatif`]: the Yuma what-if (an edited validator, the epoch rerun, next to the chain's);
//! - [`pruning`]: deregistration, the chain's `get_neuron_to_prune` as an order, and immunity;
//! - [`concentration`]: Gini coefficient and top-10 share;
//! - [`health`]: stale weights, weights without a permit, unweighted miners;
//! - [`history`]: a subnet's stored values at its last epochs, per-uid series and charts;
//! - [`diff`]: what changed between two epochs (gainers, losers, weights);
//! - [`units`]: u16 proportions and rao as people read them;
//! - [`status`]: the document a validator serves at `GET /status`, which the explorer reads;
//! - [`ss58`]: addresses, read and written as the SDK does (the project's one SS58 codec).
//!
//! The crate is `no_std` + `alloc` so that the same code compiles to `wasm32-unknown-unknown`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod concentration;
pub mod diff;
pub mod ema;
pub mod health;
pub mod history;
pub mod metagraph;
pub mod numpy;
pub mod pruning;
pub mod replay;
pub mod schedule;
pub mod ss58;
pub mod stake;
pub mod status;
pub mod units;
pub mod volume;
pub mod weights;
pub mod whatif;
pub mod yuma;
