//! The URL round trip in WebAssembly (wasm-bindgen-test, under Node): `?endpoint=…&netuid=…`
//! parsed and written back, presets resolved by bt-chain, bad input refused with advice.
#![cfg(target_arch = "wasm32")]

use bt_web::route::{resolve, Route, DEFAULT_ENDPOINT};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn a_bare_page_points_at_the_local_node() {
    assert_eq!(Route::from_query(""), Route::default());
    assert_eq!(Route::from_query("?").endpoint, DEFAULT_ENDPOINT);
    assert_eq!(Route::default().netuid, None);
}

#[wasm_bindgen_test]
fn endpoint_and_netuid_round_trip() {
    let route = Route {
        endpoint: "ws://127.0.0.1:40123".into(),
        netuid: Some(2),
        ..Route::default()
    };
    let query = route.to_query();
    assert_eq!(query, "?endpoint=ws%3A%2F%2F127.0.0.1%3A40123&netuid=2");
    assert_eq!(Route::from_query(&query), route);
    // A mechanism and a pinned block.
    let past = Route {
        mechanism: 1,
        block: Some(1200),
        ..route.clone()
    };
    assert_eq!(
        past.to_query(),
        "?endpoint=ws%3A%2F%2F127.0.0.1%3A40123&netuid=2&mechanism=1&block=1200"
    );
    assert_eq!(Route::from_query(&past.to_query()), past);
    // An unencoded URL, as a person would type it, works too.
    assert_eq!(
        Route::from_query("endpoint=wss://node.example:443&netuid=7"),
        Route {
            endpoint: "wss://node.example:443".into(),
            netuid: Some(7),
            ..Route::default()
        }
    );
}

#[wasm_bindgen_test]
fn presets_resolve_and_junk_is_refused() {
    assert_eq!(
        Route::from_query("?endpoint=finney").endpoint,
        "wss://entrypoint-finney.opentensor.ai:443"
    );
    assert_eq!(resolve("local").unwrap(), "ws://127.0.0.1:9944");
    assert_eq!(
        resolve(" ws://10.0.0.1:9944 ").unwrap(),
        "ws://10.0.0.1:9944"
    );
    let err = resolve("http://node:9944").unwrap_err();
    assert!(err.contains("ws://"), "{err}");
    assert!(resolve("mainnet").is_err());
    // A netuid that is not a u16 is ignored rather than misread.
    assert_eq!(Route::from_query("?netuid=70000").netuid, None);
    assert_eq!(Route::from_query("?netuid=abc").netuid, None);
    assert_eq!(Route::from_query("?mechanism=300").mechanism, 0);
    assert_eq!(Route::from_query("?block=-1").block, None);
}

#[wasm_bindgen_test]
fn status_url_and_lookup_key_round_trip() {
    let route = Route {
        endpoint: "ws://127.0.0.1:9944".into(),
        netuid: Some(2),
        status: Some("http://127.0.0.1:9200/status".into()),
        lookup: Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into()),
        ..Route::default()
    };
    let query = route.to_query();
    assert!(
        query.ends_with("&status=http%3A%2F%2F127.0.0.1%3A9200%2Fstatus&lookup=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"),
        "{query}"
    );
    assert_eq!(Route::from_query(&query), route);
    // Blank values are no selection.
    assert_eq!(Route::from_query("?status=%20&lookup=").status, None);
}
