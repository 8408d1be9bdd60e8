//! Helpers shared by the interop tests.
#![allow(dead_code)]

pub mod localnet;

pub use bt_subnet_tweets::protocol::RecentTweetsSynapse;

#[path = "../../../wire/tests/common/shared.rs"]
mod shared;
pub use shared::*;
