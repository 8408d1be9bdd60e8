//! Fuzz target: the SDK weight pipeline and the chain-safe quantizer never panic, and
//! whatever they accept satisfies the basic invariants.
#![no_main]

use arbitrary::Arbitrary;
use bt_core::weights::{
    chain_max_weight_ok, convert_weights_and_uids_for_emit, process_weights, quantize_for_chain,
    WeightParams,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    uids: Vec<u16>,
    weights: Vec<f32>,
    n: u16,
    min_allowed_weights: u16,
    max_weights_limit: u16,
    exclude_quantile: u16,
    raw_limit: Option<f64>,
}

fuzz_target!(|case: Case| {
    let mut params = WeightParams::from_chain(
        usize::from(case.n),
        case.min_allowed_weights,
        case.max_weights_limit,
    );
    params.exclude_quantile = case.exclude_quantile;
    if let Some(limit) = case.raw_limit {
        params.max_weight_limit = limit;
    }
    let Ok(processed) = process_weights(&case.uids, &case.weights, &params) else {
        return;
    };
    assert_eq!(processed.uids.len(), processed.weights.len());
    if let Ok(emit) = convert_weights_and_uids_for_emit(&processed.uids, &processed.weights) {
        assert_eq!(emit.uids.len(), emit.values.len());
        assert!(emit.values.is_empty() || emit.values.contains(&u16::MAX));
    }
    if let Ok(safe) = quantize_for_chain(&processed.uids, &processed.weights, case.max_weights_limit)
    {
        assert!(chain_max_weight_ok(&safe.values, case.max_weights_limit));
    }
});
