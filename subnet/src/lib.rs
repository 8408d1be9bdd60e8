//! `bt-subnet-tweets`: the reference subnet, built on `validator` and `bt-wire` — what a subnet
//! developer writes:
//! - [`protocol`]: the request type validators send and miners answer;
//! - [`tweets`]: the validator's [`validator::task::Task`]: what to ask, how to judge, how to
//!   reward;
//! - [`corpus`]: the synthetic tweets miners search, so the subnet runs offline;
//! - `bin/validator.rs`: the validator's command line with this task;
//! - `bin/miner.rs`: a miner answering from the corpus (and misbehaving on demand, for tests).

pub mod corpus;
pub mod protocol;
pub mod tweets;
