//! What the reference subnet's validators and miners say to each other: one request type,
//! [`RecentTweetsSynapse`], the same class a Python miner of this subnet serves.

use bt_wire::synapse::Synapse;
use serde::{Deserialize, Serialize};

/// The reference subnet's request: recent tweets matching a query (masa's synapse). The miner
/// fills `response`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentTweetsSynapse {
    /// The search query.
    pub query: String,
    /// How many tweets to return (the miner's default when absent).
    #[serde(default)]
    pub count: Option<u32>,
    /// The miner's answer: a list of `{"Tweet": {…}}`.
    #[serde(default)]
    pub response: Option<serde_json::Value>,
}

impl Synapse for RecentTweetsSynapse {
    const NAME: &'static str = "RecentTweetsSynapse";
    const REQUIRED: &'static [(&'static str, &'static str)] = &[("query", "\"\"")];
}
