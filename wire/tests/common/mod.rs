//! Helpers shared by the wire's interop tests.
#![allow(dead_code)]

use bt_wire::synapse::Synapse;
use serde::{Deserialize, Serialize};

/// The synapse the Python peers serve: `class RecentTweetsSynapse(bt.Synapse): query: str;
/// count: Optional[int] = None; response: Optional[Any] = None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentTweetsSynapse {
    pub query: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub response: Option<serde_json::Value>,
}

impl Synapse for RecentTweetsSynapse {
    const NAME: &'static str = "RecentTweetsSynapse";
    const ROUTE: &'static str = "/recent_tweets";
    const REQUIRED: &'static [(&'static str, &'static str)] = &[("query", "\"\"")];
}

mod shared;
pub use shared::*;
