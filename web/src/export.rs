//! CSV and JSON exports of the neuron table and of W, in the chain's units (u16, rao), named
//! after the subnet and block they were read at.

use bt_core::metagraph::Metagraph;
use serde::Serialize;

use crate::heatmap::{Grid, Layer};
use crate::table::Row;

/// A file to hand to the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Suggested file name.
    pub name: String,
    /// MIME type.
    pub mime: &'static str,
    /// The content.
    pub body: String,
}

const CSV: &str = "text/csv";
const JSON: &str = "application/json";

fn name(metagraph: &Metagraph, what: &str, ext: &str) -> String {
    format!(
        "subnet{}-block{}-{what}.{ext}",
        metagraph.netuid, metagraph.block
    )
}

/// Quotes a CSV field when it needs it.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The table rows (as shown: filtered and sorted) as CSV, every value exact.
pub fn table_csv(metagraph: &Metagraph, rows: &[Row]) -> Export {
    let mut body = String::from(
        "uid,hotkey,stake_rao,consensus_u16,incentive_u16,dividends_u16,emission_rao,validator_trust_u16,validator_permit,active,last_update,axon\n",
    );
    for r in rows {
        body.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.uid,
            field(&r.hotkey),
            r.stake,
            r.consensus,
            r.incentive,
            r.dividends,
            r.emission,
            r.validator_trust,
            r.validator_permit,
            r.active,
            r.last_update,
            field(&r.axon)
        ));
    }
    Export {
        name: name(metagraph, "neurons", "csv"),
        mime: CSV,
        body,
    }
}

#[derive(Serialize)]
struct TableJson<'a> {
    netuid: u16,
    block: u64,
    neurons: &'a [Row],
}

/// The table rows as JSON, with the subnet and block.
pub fn table_json(metagraph: &Metagraph, rows: &[Row]) -> Export {
    let doc = TableJson {
        netuid: metagraph.netuid,
        block: metagraph.block,
        neurons: rows,
    };
    Export {
        name: name(metagraph, "neurons", "json"),
        mime: JSON,
        body: serde_json::to_string_pretty(&doc).unwrap_or_default(),
    }
}

/// W as a dense CSV: one line per uid that set weights (`uid` first), one column per uid,
/// the stored u16 values.
pub fn weights_csv(metagraph: &Metagraph) -> Export {
    let mut body = String::from("uid");
    for j in 0..metagraph.n() {
        body.push_str(&format!(",{j}"));
    }
    body.push('\n');
    let grid = Grid::new(metagraph, Layer::Weights);
    for (r, uid) in grid.rows.iter().enumerate() {
        body.push_str(&uid.to_string());
        for c in 0..grid.cols {
            body.push_str(&format!(",{}", grid.value(r, c).unwrap_or(0)));
        }
        body.push('\n');
    }
    Export {
        name: name(metagraph, "weights", "csv"),
        mime: CSV,
        body,
    }
}

#[derive(Serialize)]
struct WeightRow<'a> {
    uid: u16,
    last_update: u64,
    weights: &'a [(u16, u16)],
}

#[derive(Serialize)]
struct WeightsJson<'a> {
    netuid: u16,
    block: u64,
    n: usize,
    rows: Vec<WeightRow<'a>>,
}

/// W as JSON: each row as stored, `[uid, u16]` pairs in storage order.
pub fn weights_json(metagraph: &Metagraph) -> Export {
    let doc = WeightsJson {
        netuid: metagraph.netuid,
        block: metagraph.block,
        n: metagraph.n(),
        rows: metagraph
            .neurons
            .iter()
            .filter(|n| !n.weights.is_empty())
            .map(|n| WeightRow {
                uid: n.uid,
                last_update: n.last_update,
                weights: &n.weights,
            })
            .collect(),
    };
    Export {
        name: name(metagraph, "weights", "json"),
        mime: JSON,
        body: serde_json::to_string_pretty(&doc).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::rows;
    use bt_core::metagraph::Neuron;

    fn metagraph() -> Metagraph {
        let mut neurons: Vec<Neuron> = (0..3)
            .map(|uid| Neuron {
                uid,
                total_stake: 1_000_000_000 * u64::from(uid),
                ..Neuron::default()
            })
            .collect();
        neurons[0].weights = vec![(2, 65535), (1, 100)];
        neurons[0].last_update = 42;
        Metagraph {
            netuid: 7,
            block: 99,
            neurons,
            ..Metagraph::default()
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn table_exports_are_exact_and_named() {
        let mg = metagraph();
        let rows = rows(&mg, |k| format!("key,{}", k[0]));
        let csv = table_csv(&mg, &rows);
        assert_eq!(csv.name, "subnet7-block99-neurons.csv");
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[2], "1,\"key,0\",1000000000,0,0,0,0,0,false,false,0,");
        let json: serde_json::Value = serde_json::from_str(&table_json(&mg, &rows).body).unwrap();
        assert_eq!(json["netuid"], 7);
        assert_eq!(json["neurons"][2]["stake"], 2_000_000_000u64);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn weight_exports_hold_the_stored_u16() {
        let mg = metagraph();
        let csv = weights_csv(&mg);
        assert_eq!(csv.body, "uid,0,1,2\n0,0,100,65535\n");
        let json: serde_json::Value = serde_json::from_str(&weights_json(&mg).body).unwrap();
        assert_eq!(json["rows"][0]["weights"][0], serde_json::json!([2, 65535]));
        assert_eq!(json["rows"][0]["last_update"], 42);
        assert_eq!(json["n"], 3);
    }
}
