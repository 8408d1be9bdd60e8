//! What a miner or a dendrite parses from the other side: request and response bodies and the
//! terminal headers, on arbitrary input. No panic; a parsed body re-serialises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use bt_subnet_tweets::protocol::RecentTweetsSynapse;
use bt_wire::synapse::{terminal_from_headers, Envelope};

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = serde_json::from_slice::<Envelope<RecentTweetsSynapse>>(data) {
        serde_json::to_vec(&envelope).expect("a parsed body serialises");
    }
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let values: Vec<String> = parts.by_ref().take(10).map(str::to_string).collect();
    let header = |k: &str| {
        let i = k.len() % values.len().max(1);
        values.get(i).cloned()
    };
    let _ = terminal_from_headers("dendrite", header);
});
