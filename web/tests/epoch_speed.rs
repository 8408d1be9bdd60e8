//! The epoch timed in WebAssembly in the browser: the same synthetic subnets as the native
//! criterion benchmark (`core/benches/common/subnet.rs`), 256, 1024 and 4096 uids, Yuma2,
//! Yuma3 with liquid alpha, and Yuma3 with two mechanisms, each the median and best of a
//! few runs timed with `performance.now()`.
//!
//! A benchmark, not a test: `cargo test` skips it (`test = false` in Cargo.toml);
//! `scripts/bench-epoch.sh` runs it in headless chromium next to the native figures.
#![cfg(target_arch = "wasm32")]

#[path = "../../core/benches/common/subnet.rs"]
mod subnet;

use bt_core::yuma::epoch_with_mechanisms;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Milliseconds since the page started.
fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[wasm_bindgen_test]
fn epoch_in_the_browser() {
    for (name, yuma3, mechanisms) in [
        ("epoch_yuma2", false, 1),
        ("epoch_yuma3_liquid_alpha", true, 1),
        ("epoch_yuma3_two_mechanisms", true, 2),
    ] {
        for n in [256usize, 1024, 4096] {
            let input = subnet::subnet(n, 64, yuma3, mechanisms);
            let runs = if n >= 4096 { 5 } else { 15 };
            let mut ms: Vec<f64> = (0..runs)
                .map(|_| {
                    let start = now();
                    let out = epoch_with_mechanisms(&input);
                    let took = now() - start;
                    assert!(out.is_ok(), "{name}/{n}: {out:?}");
                    took
                })
                .collect();
            ms.sort_by(f64::total_cmp);
            console_log!(
                "EPOCH_WASM {name}/{n} median {:.2} ms best {:.2} ms ({runs} runs)",
                ms[ms.len() / 2],
                ms[0]
            );
        }
    }
}
