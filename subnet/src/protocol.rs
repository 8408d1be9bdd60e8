//! What the reference subnet's validators and miners say to each other: one request type,
//! [`RecentTweetsSynapse`]. Over the Synapse protocol it is the class a Python (SDK v9/v10)
//! miner of this subnet serves; over btauth it is a plain JSON API:
//! `POST /recent_tweets {"query": "\"bitcoin\"", "count": 20}` answered with the same object and
//! `"response": [{"Tweet": {…}}, …]`.

use bt_wire::synapse::Synapse;
use serde::{Deserialize, Serialize};

/// The reference subnet's request: recent tweets matching a query (masa's synapse). The miner
/// fills `response`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentTweetsSynapse {
    /// The search query.
    pub query: String,
    /// How many tweets to return (the miner's default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The miner's answer: a list of `{"Tweet": {…}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

impl Synapse for RecentTweetsSynapse {
    const NAME: &'static str = "RecentTweetsSynapse";
    const ROUTE: &'static str = "/recent_tweets";
    const REQUIRED: &'static [(&'static str, &'static str)] = &[("query", "\"\"")];
}
