//! Helpers shared by the interop tests.
#![allow(dead_code)]

pub mod cut;
pub mod flood;
pub mod localnet;

pub use bt_subnet_tweets::protocol::RecentTweetsSynapse;

#[path = "../../../wire/tests/common/shared.rs"]
mod shared;
pub use shared::*;

/// Creates wallet `m` with hotkey `h` under `wallets` (`validator wallet create`, no password)
/// and returns the hotkey's address: the miner's identity in the miner tests.
pub fn create_miner_wallet(wallets: &std::path::Path) -> String {
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_validator"))
        .args([
            "wallet",
            "create",
            "--wallet.name",
            "m",
            "--wallet.hotkey",
            "h",
        ])
        .arg("--wallet.path")
        .arg(wallets)
        .env_remove("BT_WALLET_PASSWORD")
        .output()
        .expect("wallet create");
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).expect("wallet JSON");
    created["hotkey"]
        .as_str()
        .expect("the hotkey's address")
        .to_string()
}
