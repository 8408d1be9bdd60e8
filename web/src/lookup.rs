//! The key lookup's input: an SS58 hotkey or coldkey as a person pastes it, or what is wrong
//! with it (the lookup itself is `bt_chain::lookup`).

/// The account of `text` (trimmed), or a message that says what to paste instead.
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    bt_core::ss58::decode(text).map(|(key, _)| key).map_err(|e| {
        format!("“{text}” is not an SS58 address ({e}): paste a hotkey or coldkey as btcli shows it")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn keys_parse_and_junk_says_what_to_paste() {
        // //Alice's public key, as the SDK writes it.
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        let key = parse_key(&format!("  {alice}\n")).unwrap();
        assert_eq!(bt_core::ss58::bittensor(&key), alice);
        for junk in [
            "",
            "5Grwva",
            "0x1234",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ",
        ] {
            let e = parse_key(junk).unwrap_err();
            assert!(e.contains("not an SS58 address"), "{junk}: {e}");
        }
    }
}
