//! Offline subcommands: the core's math on JSON, for operators and scripts.
//!
//! `process-weights` turns raw scores into exactly what `set_weights` would send (the SDK's
//! `process_weights` then `convert_weights_and_uids_for_emit`, or with `--chain-safe` the
//! core's quantizer that always passes the chain's MaxWeightsLimit check); `epoch` runs the
//! Yuma epoch on an input file. Nothing here touches the network.

use anyhow::{bail, Context, Result};
use bt_core::weights::{self, EmitWeights, WeightParams};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// One `process-weights` request, as read from stdin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsRequest {
    /// Uids the scores belong to (checked to be in 0..=65535 before use).
    pub uids: Vec<i64>,
    /// Raw scores; numbers, or the strings "NaN", "Infinity", "-Infinity".
    pub weights: Vec<JsonFloat>,
    /// Subnet size (`metagraph.n`).
    pub n: usize,
    /// `MinAllowedWeights` of the subnet.
    pub min_allowed_weights: usize,
    /// `MaxWeightsLimit / 65535`, a float in [0, 1].
    pub max_weight_limit: f64,
    /// Lowest quantile to exclude, in u16 units (like the SDK's `exclude_quantile`).
    #[serde(default)]
    pub exclude_quantile: u16,
}

/// A float in JSON: a number, or one of the strings JavaScript and Python use for the
/// values JSON numbers cannot hold.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum JsonFloat {
    /// A plain JSON number.
    Number(f64),
    /// "NaN", "Infinity" or "-Infinity".
    Special(SpecialFloat),
}

/// The non-finite floats JSON has no number syntax for.
#[derive(Debug, Clone, Copy, Deserialize)]
pub enum SpecialFloat {
    /// Not a number.
    NaN,
    /// +∞.
    Infinity,
    /// −∞.
    #[serde(rename = "-Infinity")]
    NegInfinity,
}

impl JsonFloat {
    fn value(self) -> f64 {
        match self {
            JsonFloat::Number(x) => x,
            JsonFloat::Special(SpecialFloat::NaN) => f64::NAN,
            JsonFloat::Special(SpecialFloat::Infinity) => f64::INFINITY,
            JsonFloat::Special(SpecialFloat::NegInfinity) => f64::NEG_INFINITY,
        }
    }
}

/// The answer: what `set_weights` would send.
#[derive(Debug, Serialize)]
pub struct WeightsAnswer {
    /// Destination uids.
    pub uids: Vec<u16>,
    /// u16 weights, the largest one 65535.
    pub weights_u16: Vec<u16>,
}

/// One entry of a `--batch` answer: a result or the reason there is none.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchEntry {
    /// The weights that would be sent.
    Ok(WeightsAnswer),
    /// Why this request was rejected.
    Err {
        /// A human-readable reason.
        error: String,
    },
}

/// Runs the weight pipeline on one request.
pub fn process_request(req: &WeightsRequest, chain_safe: bool) -> Result<WeightsAnswer> {
    let uids = req
        .uids
        .iter()
        .enumerate()
        .map(|(i, &uid)| {
            u16::try_from(uid)
                .with_context(|| format!("uids[{i}] = {uid} is not a valid uid (0..=65535)"))
        })
        .collect::<Result<Vec<u16>>>()?;
    // The SDK casts scores to float32 (`np.float32`), so does the chain-facing path here.
    let scores: Vec<f32> = req.weights.iter().map(|w| w.value() as f32).collect();
    let params = WeightParams {
        n: req.n,
        min_allowed_weights: req.min_allowed_weights,
        max_weight_limit: req.max_weight_limit,
        exclude_quantile: req.exclude_quantile,
    };
    let processed = weights::process_weights(&uids, &scores, &params)?;
    let EmitWeights { uids, values } = if chain_safe {
        let limit = (req.max_weight_limit * f64::from(u16::MAX)).round() as u16;
        weights::quantize_for_chain(&processed.uids, &processed.weights, limit)?
    } else {
        weights::convert_weights_and_uids_for_emit(&processed.uids, &processed.weights)?
    };
    Ok(WeightsAnswer {
        uids,
        weights_u16: values,
    })
}

/// `validator process-weights`: one request (or, with `batch`, an array of them) on stdin.
pub fn process_weights(input: &str, batch: bool, chain_safe: bool) -> Result<String> {
    if batch {
        let requests: Vec<serde_json::Value> =
            serde_json::from_str(input).context("stdin is not a JSON array of requests")?;
        let answers: Vec<BatchEntry> = requests
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                match serde_json::from_value::<WeightsRequest>(raw)
                    .with_context(|| format!("request {i} is malformed"))
                    .and_then(|req| process_request(&req, chain_safe))
                {
                    Ok(answer) => BatchEntry::Ok(answer),
                    Err(e) => BatchEntry::Err {
                        error: format!("{e:#}"),
                    },
                }
            })
            .collect();
        Ok(serde_json::to_string(&answers)?)
    } else {
        let req: WeightsRequest = serde_json::from_str(input).context(
            "stdin must be a JSON object {\"uids\":[..],\"weights\":[..],\"n\":N,\
             \"min_allowed_weights\":K,\"max_weight_limit\":F,\"exclude_quantile\":Q}",
        )?;
        Ok(serde_json::to_string(&process_request(&req, chain_safe)?)?)
    }
}

/// `validator epoch`: an epoch input (the core's `SubnetEpochInput`, every mechanism) on
/// stdin, its outputs as JSON.
pub fn epoch(input: &str, trace: bool) -> Result<String> {
    let input: bt_core::yuma::SubnetEpochInput = serde_json::from_str(input)
        .context("stdin is not a valid epoch input (see docs/epoch-input.md)")?;
    let output = if trace {
        bt_core::yuma::epoch_with_mechanisms_traced(&input)?
    } else {
        bt_core::yuma::epoch_with_mechanisms(&input)?
    };
    Ok(serde_json::to_string_pretty(&output)?)
}

/// Reads all of stdin, refusing an empty input with a hint.
pub fn read_stdin() -> Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("could not read stdin")?;
    if input.trim().is_empty() {
        bail!("stdin is empty: pipe a JSON document into this command");
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_floats_and_sdk_example() {
        let out = process_weights(
            r#"{"uids":[0,1,2],"weights":[1.0,"NaN",3],"n":3,"min_allowed_weights":1,
                "max_weight_limit":1.0,"exclude_quantile":0}"#,
            false,
            false,
        )
        .unwrap();
        assert_eq!(out, r#"{"uids":[0,2],"weights_u16":[21845,65535]}"#);
    }

    #[test]
    fn negative_uid_is_rejected_with_position() {
        let err = process_weights(
            r#"{"uids":[0,-1],"weights":[1,1],"n":3,"min_allowed_weights":1,"max_weight_limit":1}"#,
            false,
            false,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("uids[1] = -1"));
    }

    #[test]
    fn batch_reports_errors_per_entry() {
        let out = process_weights(
            r#"[{"uids":[0],"weights":[1],"n":1,"min_allowed_weights":1,"max_weight_limit":1},
                {"uids":[0],"weights":[],"n":1,"min_allowed_weights":1,"max_weight_limit":1},
                {"bogus":1}]"#,
            true,
            false,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["weights_u16"][0], 65535);
        assert!(v[1]["error"].as_str().unwrap().contains("same length"));
        assert!(v[2]["error"].as_str().unwrap().contains("request 2"));
    }
}
