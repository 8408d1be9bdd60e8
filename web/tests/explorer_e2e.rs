//! The explorer end to end, one view after the other, against the real subtensor runtime
//! (spec 425 under chopsticks): two subnets (A: two mechanisms with a 25/75 emission split,
//! Yuma3, three validators of which one stops setting weights; B: one mechanism, Yuma2,
//! commit-reveal), several epochs run, the built `dist/` served on loopback and Debian's
//! chromium (headless, through chromedriver) opening the page.
//!
//! Every value checked is the chain's stored value (read natively at the same block, by the
//! full metagraph sync) or what bt-core computes from it, natively, on the same data:
//! - overview: n, tempo, commit-reveal, Yuma version, mechanisms and last epoch of each
//!   subnet; a click opens the subnet;
//! - table and heatmap, per mechanism: every uid and hotkey, stake in α, the mechanism's
//!   incentive, the split on the mechanism buttons, a heatmap tooltip = the core's W;
//! - defaults: the validator view and the what-if open on the validator with the most stake
//!   that has weights (not the owner, uid 0);
//! - validator view: the core's row of the epoch (masks, W, consensus, clipped, removed),
//!   its validator trust and its dividends explanation;
//! - why: a miner's incentive by validator, a validator's dividends by bond (Yuma3);
//! - what-if: an edit moves the recomputed incentive; the recompute time is recorded;
//! - health: stale weights with their block counts at a chosen threshold, the other flags and
//!   the Gini / top-10 share, as `bt_core::health` computes them;
//! - history: the epoch blocks (each one's `LastEpochBlock` is itself) and the focused uid's
//!   incentive, dividends, emission and stake at each = the full sync at that block;
//! - time: the slider and the block box pin the page at a past block (table = the chain at
//!   that block, URL holds it), "newest" follows the chain again;
//! - diff: the last two epochs' gainers, losers and changed weights = `bt_core::diff`;
//! - the URL, live blocks, a hotkey copied whole, and both error states.
//!
//! A screenshot of each view lands in `target/explorer-<view>.png`.
//!
//! The performance budget on a 256-uid subnet is `tests/explorer_budget.rs`.
//! `explorer_dev_node` (ignored) sets up the same chain as the main test and keeps it up, for
//! working on the page by hand.
#![cfg(not(target_arch = "wasm32"))]

mod browser;

use std::path::Path;
use std::time::Duration;

use browser::{block_number, browser, dist, js, page, scroll_to, serve, shot, wait_for};
use bt_chain::bootstrap::{bootstrap, dev_key, BootstrapConfig, Subnet};
use bt_chain::localnet::{new_block, run_epochs, Localnet};
use bt_chain::weights::{set_weights, Target, WeightsToSet};
use bt_chain::{metagraph, AccountId32, Chain};
use bt_core::diff::diff;
use bt_core::health::health;
use bt_core::metagraph::Metagraph;
use bt_core::units::{fraction_text, percent_text, tokens_text};
use bt_core::whatif::now;
use bt_web::explain::{bond_lines, support_lines};
use bt_web::validator_row::lines;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use serde_json::Value;

const LOAD: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_secs(20);

async fn start_chain() -> (Localnet, Chain) {
    Localnet::start_in_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .await
        .expect("the local chain starts (run npm ci; scripts/setup.sh does)")
}

/// Every validator weights every miner in mechanism `mecid`, each with its own preference
/// (shifted by `shift`; mechanism 1 reverses the order). One after the other: the local
/// chain builds a block per transaction.
async fn set_all_weights(
    chain: &Chain,
    subnet: &Subnet,
    validators: &[usize],
    mecid: u8,
    shift: usize,
) {
    let miners: Vec<u16> = subnet.miners.iter().map(|m| m.uid).collect();
    let n = miners.len();
    for &k in validators {
        let v = &subnet.validators[k];
        let key = dev_key(&v.uri).expect("dev key");
        let values: Vec<u16> = (0..n)
            .map(|i| {
                let rank = if mecid == 0 { i } else { n - 1 - i };
                65535 - (((rank + k * n / 3 + shift) % n) * 54_000 / n) as u16
            })
            .collect();
        let sent = WeightsToSet {
            uids: miners.clone(),
            values,
            version_key: 0,
        };
        set_weights(
            chain,
            &key,
            Target {
                netuid: subnet.netuid,
                mecid,
            },
            &sent,
        )
        .await
        .expect("set weights");
    }
}

/// The chain both the main test and the dev node use.
struct Setup {
    a: Subnet,
    b: Subnet,
}

async fn setup(chain: &Chain) -> Setup {
    let a = bootstrap(
        chain,
        &BootstrapConfig {
            mechanisms: 2,
            emission_split: Some(vec![16384, 49151]),
            yuma3: true,
            validator_stakes_tao: vec![1_000, 400, 150],
            miners: 6,
            ..BootstrapConfig::default()
        },
    )
    .await
    .expect("bootstrap subnet A");
    let b = bootstrap(
        chain,
        &BootstrapConfig {
            key_prefix: "bt2".into(),
            tempo: 20,
            commit_reveal: true,
            validator_stakes_tao: vec![500],
            miners: 3,
            miner_port_base: 9091,
            wait_for_permits: false,
            ..BootstrapConfig::default()
        },
    )
    .await
    .expect("bootstrap subnet B");
    let all: Vec<usize> = (0..a.validators.len()).collect();
    set_all_weights(chain, &a, &all, 0, 0).await;
    set_all_weights(chain, &a, &all, 1, 0).await;
    run_epochs(chain, a.netuid, 3).await.expect("three epochs");
    // The last validator stops; the others change their minds.
    let active: Vec<usize> = (0..a.validators.len() - 1).collect();
    set_all_weights(chain, &a, &active, 0, 2).await;
    set_all_weights(chain, &a, &active, 1, 1).await;
    run_epochs(chain, a.netuid, 2)
        .await
        .expect("two more epochs");
    Setup { a, b }
}

/// The text of every cell of every body row of table `selector`.
async fn table_cells(client: &Client, selector: &str) -> Vec<Vec<String>> {
    let v = js(
        client,
        &format!("return Array.from(document.querySelectorAll('{selector} tbody tr')).map(tr => Array.from(tr.cells).map(td => td.textContent.trim()));"),
    )
    .await;
    serde_json::from_value(v).unwrap_or_default()
}

/// Opens `url` and returns the text of the error banner the page shows.
async fn page_error(client: &Client, url: &str) -> String {
    client.goto(url).await.expect("open the page");
    let error = wait_for(
        client,
        "an error banner",
        LOAD,
        "const e = document.querySelector('#status .error'); return e ? e.textContent : null;",
        |v| v.is_string(),
    )
    .await;
    error.as_str().unwrap_or_default().to_string()
}

/// The block the page shows.
async fn shown_block(client: &Client) -> u64 {
    let text = js(
        client,
        "return document.getElementById('block').textContent;",
    )
    .await;
    block_number(&text).expect("block #N")
}

/// Waits until the page shows block `block`, its table filled.
async fn wait_block(client: &Client, block: u64) {
    wait_for(
        client,
        &format!("the page at block #{block}"),
        LOAD,
        "const b = document.getElementById('block').textContent; return document.querySelector('#neurons tbody tr') ? b : null;",
        |v| block_number(v) == Some(block),
    )
    .await;
}

/// Moves the pointer over the heatmap cell (row index, column uid) and returns the tooltip.
async fn hover_cell(client: &Client, row: usize, col: u16) -> String {
    let geometry = wait_for(
        client,
        "the heatmap",
        LOAD,
        "const c = document.getElementById('heatmap-canvas'); return c && c.dataset.rows ? [c.dataset.rows, Number(c.dataset.cell), c.width, c.height] : null;",
        |v| v.is_array(),
    )
    .await;
    let cell = geometry[1].as_f64().unwrap_or(1.0);
    let (width, height) = (
        geometry[2].as_f64().unwrap_or(0.0),
        geometry[3].as_f64().unwrap_or(0.0),
    );
    scroll_to(client, "#heatmap").await;
    let canvas = client
        .find(Locator::Id("heatmap-canvas"))
        .await
        .expect("canvas");
    let (cx, cy) = (
        f64::from(col) * cell + cell / 2.0,
        row as f64 * cell + cell / 2.0,
    );
    client
        .perform_actions(
            MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                element: canvas.clone(),
                duration: None,
                x: (cx - width / 2.0).round(),
                y: (cy - height / 2.0).round(),
            }),
        )
        .await
        .expect("move the pointer");
    let tooltip = wait_for(
        client,
        "the heatmap tooltip",
        SHORT,
        "const t = document.getElementById('heatmap-tooltip'); return t ? t.textContent : null;",
        |v| v.is_string(),
    )
    .await;
    tooltip.as_str().unwrap_or_default().to_string()
}

/// The heatmap's row uids.
async fn heatmap_rows(client: &Client) -> Vec<u16> {
    let rows = wait_for(
        client,
        "the heatmap rows",
        LOAD,
        "const c = document.getElementById('heatmap-canvas'); return c && c.dataset.rows !== undefined ? c.dataset.rows : null;",
        |v| v.is_string(),
    )
    .await;
    rows.as_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|u| u.parse().ok())
        .collect()
}

/// Checks the table's stake, C, I, D, E, prune and last_update columns against `mg` (the
/// mechanism shown; the pruning order as `bt_core::pruning` computes it from the same read).
async fn check_table(client: &Client, mg: &Metagraph) {
    let cells = table_cells(client, "#neurons-table").await;
    assert_eq!(cells.len(), mg.n(), "a row per uid");
    let rules = mg
        .registration
        .as_ref()
        .expect("the registration rules are read");
    let order = bt_core::pruning::pruning_order(mg, rules);
    for (row, n) in cells.iter().zip(&mg.neurons) {
        assert_eq!(row[0], n.uid.to_string(), "table order is by uid");
        assert_eq!(
            row[2],
            tokens_text(n.total_stake),
            "stake α of uid {}",
            n.uid
        );
        assert_eq!(row[3], fraction_text(n.consensus), "C of uid {}", n.uid);
        assert_eq!(row[4], fraction_text(n.incentive), "I of uid {}", n.uid);
        assert_eq!(row[5], fraction_text(n.dividends), "D of uid {}", n.uid);
        assert_eq!(row[6], tokens_text(n.emission), "E of uid {}", n.uid);
        assert_eq!(
            row[10],
            bt_web::table::prune_text(order.get(usize::from(n.uid)).copied()),
            "the pruning order of uid {}",
            n.uid
        );
        assert_eq!(
            row[11],
            n.last_update.to_string(),
            "last_update of uid {}",
            n.uid
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_views_on_the_localnet() {
    let dist = dist();
    let (_node, chain) = start_chain().await;
    let Setup { a, b } = setup(&chain).await;
    let netuid = a.netuid;
    let mg = metagraph::sync(&chain, netuid, None).await.expect("sync");
    let mg1 = mg.for_mechanism(1).expect("mechanism 1");
    assert!(
        mg.neurons.iter().any(|n| n.incentive > 0),
        "non-zero incentive in mechanism 0"
    );
    assert!(
        mg1.neurons.iter().any(|n| n.incentive > 0),
        "non-zero incentive in mechanism 1"
    );

    let site = serve(dist).await;
    let (_driver, client) = browser().await;
    client
        .goto(&page(&site, chain.endpoint(), Some(netuid)))
        .await
        .expect("open the page");
    wait_block(&client, mg.block).await;

    // ── Overview ─────────────────────────────────────────────────────────────────────────
    let summaries = metagraph::subnet_summaries(&chain)
        .await
        .expect("summaries");
    let rows = table_cells(&client, "#subnets-table").await;
    assert_eq!(rows.len(), summaries.len());
    for (row, s) in rows.iter().zip(&summaries) {
        assert_eq!(row[1], s.n.to_string(), "n of subnet {}", s.netuid);
        assert_eq!(row[2], s.tempo.to_string());
        assert_eq!(row[3], if s.commit_reveal { "on" } else { "off" });
        assert_eq!(row[4], s.yuma());
        assert_eq!(row[5], s.mechanisms.to_string());
        let last = if s.last_epoch_block == 0 {
            "none yet".to_string()
        } else {
            format!("#{}", s.last_epoch_block)
        };
        assert_eq!(row[6], last);
    }
    let sa = summaries
        .iter()
        .find(|s| s.netuid == netuid)
        .expect("A listed");
    let sb = summaries
        .iter()
        .find(|s| s.netuid == b.netuid)
        .expect("B listed");
    assert_eq!(
        (sa.mechanisms, sa.yuma(), sa.commit_reveal),
        (2, "Yuma3", false)
    );
    assert_eq!(
        (sb.mechanisms, sb.yuma(), sb.commit_reveal, sb.tempo),
        (1, "Yuma2", true, 20)
    );
    shot(&client, "overview").await;
    // A click opens subnet B, another brings A back.
    js(
        &client,
        &format!(
            "document.querySelector('#subnets-table tr[data-netuid=\"{}\"]').click(); return true;",
            b.netuid
        ),
    )
    .await;
    wait_for(
        &client,
        "subnet B's table",
        LOAD,
        "return document.querySelectorAll('#neurons tbody tr').length;",
        |v| v.as_u64() == Some(u64::from(sb.n)),
    )
    .await;
    let url = client.current_url().await.expect("url");
    assert!(
        url.query_pairs()
            .any(|(k, v)| k == "netuid" && v == b.netuid.to_string()),
        "{url}"
    );
    js(&client, &format!("document.querySelector('#subnets-table tr[data-netuid=\"{netuid}\"]').click(); return true;")).await;
    wait_for(
        &client,
        "subnet A's table",
        LOAD,
        "return document.querySelectorAll('#neurons tbody tr').length;",
        |v| v.as_u64() == Some(mg.n() as u64),
    )
    .await;

    // ── Table and heatmap, mechanism 0 ───────────────────────────────────────────────────
    let hotkeys = js(
        &client,
        "return Array.from(document.querySelectorAll('#neurons tbody tr')).map(tr => tr.querySelector('td.hotkey').dataset.hotkey);",
    )
    .await;
    for (key, n) in hotkeys.as_array().expect("hotkeys").iter().zip(&mg.neurons) {
        assert_eq!(
            key.as_str(),
            Some(AccountId32::from(n.hotkey).to_string().as_str())
        );
    }
    check_table(&client, &mg).await;
    let setters: Vec<u16> = mg
        .neurons
        .iter()
        .filter(|n| !n.weights.is_empty())
        .map(|n| n.uid)
        .collect();
    assert_eq!(
        heatmap_rows(&client).await,
        setters,
        "the rows are the uids with a W row"
    );
    let v0 = a.validators[0].uid;
    let target = a.miners[1].uid;
    let tooltip = hover_cell(&client, 0, target).await;
    let w = mg.weight_row(v0).expect("row")[usize::from(target)];
    let stored = mg.neurons[usize::from(v0)]
        .weights
        .iter()
        .find(|e| e.0 == target)
        .map(|e| e.1)
        .expect("stored");
    let expected = format!("W[{v0} → {target}] = {stored} (u16) · {:.6}", f64::from(w));
    assert!(
        tooltip.starts_with(&expected),
        "tooltip {tooltip:?} should start with {expected:?}"
    );
    let shares = mg.emission_shares();
    for (m, share) in shares.iter().enumerate() {
        let label = js(
            &client,
            &format!("return document.getElementById('mechanism-{m}').textContent;"),
        )
        .await;
        assert_eq!(
            label.as_str(),
            Some(format!("{m} · {}", percent_text(*share)).as_str())
        );
    }
    scroll_to(&client, "#neurons").await;
    shot(&client, "table-heatmap").await;

    // ── Mechanism 1 ──────────────────────────────────────────────────────────────────────
    js(
        &client,
        "document.getElementById('mechanism-1').click(); return true;",
    )
    .await;
    wait_for(
        &client,
        "mechanism 1's table",
        SHORT,
        "return document.querySelector('#neurons tr.groups').textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("mechanism 1")),
    )
    .await;
    check_table(&client, &mg1).await;
    let setters1: Vec<u16> = mg1
        .neurons
        .iter()
        .filter(|n| !n.weights.is_empty())
        .map(|n| n.uid)
        .collect();
    assert_eq!(heatmap_rows(&client).await, setters1);
    let tooltip = hover_cell(&client, 0, target).await;
    let w1 = mg1.weight_row(v0).expect("row")[usize::from(target)];
    let stored1 = mg1.neurons[usize::from(v0)]
        .weights
        .iter()
        .find(|e| e.0 == target)
        .map(|e| e.1)
        .expect("stored");
    assert_ne!(stored1, stored, "mechanism 1 holds its own weights");
    let expected = format!(
        "W[{v0} → {target}] = {stored1} (u16) · {:.6}",
        f64::from(w1)
    );
    assert!(
        tooltip.starts_with(&expected),
        "tooltip {tooltip:?} should start with {expected:?}"
    );
    let url = client.current_url().await.expect("url");
    assert!(
        url.query_pairs().any(|(k, v)| k == "mechanism" && v == "1"),
        "{url}"
    );
    scroll_to(&client, "#neurons").await;
    shot(&client, "mechanism-1").await;

    // ── Validator view and what-if defaults (mechanism 1 still shown) ────────────────────
    let heaviest = mg1.heaviest_weight_setter().expect("a weight setter");
    assert_ne!(heaviest, 0, "not the owner");
    for id in ["validator-pick", "whatif-validator"] {
        let picked = wait_for(
            &client,
            "the default validator",
            SHORT,
            &format!("return document.getElementById('{id}').value;"),
            |v| v.as_str().is_some_and(|s| !s.is_empty()),
        )
        .await;
        assert_eq!(picked.as_str(), Some(heaviest.to_string().as_str()), "{id}");
    }
    let detail1 = now(&mg1).expect("the core's epoch");
    let row = detail1.validator_row(1, heaviest).expect("row view");
    let expected_rows: Vec<Vec<String>> = lines(&row)
        .into_iter()
        .map(|l| {
            let mut cells = vec![
                l.uid.to_string(),
                l.stored.to_string(),
                l.masked.to_string(),
            ];
            cells.extend(l.cells);
            cells.push(String::new());
            cells
        })
        .collect();
    assert!(!expected_rows.is_empty());
    assert_eq!(
        table_cells(&client, "#validator-table").await,
        expected_rows,
        "the validator view is the core's row"
    );
    let vtrust = js(
        &client,
        "return document.getElementById('validator-summary').dataset.vtrustU16;",
    )
    .await;
    assert_eq!(
        vtrust.as_str(),
        Some(row.validator_trust_u16.to_string().as_str())
    );
    let dividends = detail1.dividends(1, heaviest).expect("dividends");
    let shown = js(
        &client,
        "return document.getElementById('validator-dividends').textContent;",
    )
    .await;
    assert!(
        shown.as_str().is_some_and(|t| t.starts_with("Yuma3")),
        "{shown}"
    );
    let expected_bonds: Vec<Vec<String>> = bond_lines(&dividends)
        .into_iter()
        .map(|b| {
            let mut cells = vec![b.uid.to_string()];
            cells.extend(b.cells);
            cells
        })
        .collect();
    assert_eq!(
        table_cells(&client, "#validator-bonds").await,
        expected_bonds
    );
    scroll_to(&client, "#validator").await;
    shot(&client, "validator").await;

    // Back to mechanism 0 for the rest.
    js(
        &client,
        "document.getElementById('mechanism-0').click(); return true;",
    )
    .await;
    wait_for(
        &client,
        "mechanism 0's table",
        SHORT,
        "return document.querySelector('#neurons tr.groups').textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("mechanism 0")),
    )
    .await;
    let detail0 = now(&mg).expect("the core's epoch");

    // ── Why: a miner ─────────────────────────────────────────────────────────────────────
    let miner = mg.top_earner().expect("a miner earns");
    js(
        &client,
        &format!(
            "document.querySelector('#neurons tr[data-uid=\"{miner}\"]').click(); return true;"
        ),
    )
    .await;
    let explained = detail0.miner(0, miner).expect("miner explanation");
    let incentive = wait_for(
        &client,
        "the miner explanation",
        SHORT,
        "const e = document.getElementById('explain-incentive'); return e ? e.dataset.incentiveU16 : null;",
        |v| v.is_string(),
    )
    .await;
    assert_eq!(
        incentive.as_str(),
        Some(explained.incentive_u16.to_string().as_str())
    );
    let expected: Vec<Vec<String>> = support_lines(&explained)
        .into_iter()
        .map(|s| {
            let mut cells = vec![
                s.validator.to_string(),
                s.stored.to_string(),
                s.masked.to_string(),
            ];
            cells.extend(s.cells);
            cells
        })
        .collect();
    assert_eq!(
        expected.len(),
        a.validators.len(),
        "every validator weights the miner"
    );
    assert_eq!(table_cells(&client, "#explain-miner").await, expected);
    let hotkey = js(
        &client,
        "return document.getElementById('detail-hotkey').textContent;",
    )
    .await;
    assert_eq!(
        hotkey.as_str(),
        Some(
            AccountId32::from(mg.neurons[usize::from(miner)].hotkey)
                .to_string()
                .as_str()
        ),
        "the whole hotkey"
    );
    scroll_to(&client, "#detail").await;
    client
        .find(Locator::Css("#detail .keys button.copy"))
        .await
        .expect("copy button")
        .click()
        .await
        .expect("click copy");
    wait_for(
        &client,
        "the hotkey copied",
        SHORT,
        "return document.querySelector('#detail .keys button.copy').dataset.copied;",
        |v| v.as_str().is_some_and(|s| !s.is_empty()),
    )
    .await;
    scroll_to(&client, "#detail").await;
    shot(&client, "explain-miner").await;

    // ── Why: a validator ─────────────────────────────────────────────────────────────────
    js(
        &client,
        &format!("document.querySelector('#neurons tr[data-uid=\"{v0}\"]').click(); return true;"),
    )
    .await;
    let div = detail0.dividends(0, v0).expect("dividend explanation");
    let shown = wait_for(
        &client,
        "the dividends explanation",
        SHORT,
        "const e = document.getElementById('explain-dividends'); return e ? [e.dataset.dividendU16, e.textContent] : null;",
        |v| v.is_array(),
    )
    .await;
    assert_eq!(
        shown[0].as_str(),
        Some(div.dividend_u16.to_string().as_str())
    );
    assert!(
        shown[1].as_str().is_some_and(|t| t.starts_with("Yuma3")),
        "{shown}"
    );
    let expected: Vec<Vec<String>> = bond_lines(&div)
        .into_iter()
        .map(|b| {
            let mut cells = vec![b.uid.to_string()];
            cells.extend(b.cells);
            cells
        })
        .collect();
    assert!(!expected.is_empty(), "validator 0 holds bonds");
    assert_eq!(table_cells(&client, "#explain-bonds").await, expected);
    scroll_to(&client, "#detail").await;
    shot(&client, "explain-validator").await;

    // ── History ──────────────────────────────────────────────────────────────────────────
    let history_ms = wait_for(
        &client,
        "the history",
        LOAD,
        "const e = document.querySelector('#history-progress [data-ms]'); return e ? Number(e.dataset.ms) : null;",
        |v| v.is_number(),
    )
    .await;
    eprintln!("history read in {history_ms} ms");
    let charts = js(
        &client,
        "return Array.from(document.querySelectorAll('#detail-history figure.spark')).map(f => [f.dataset.metric, f.dataset.blocks, f.dataset.stored]);",
    )
    .await;
    let charts = charts.as_array().expect("charts");
    assert_eq!(charts.len(), 4, "incentive, dividends, emission, stake");
    let blocks: Vec<u64> = charts[0][1]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|b| b.parse().ok())
        .collect();
    assert!(
        blocks.len() >= 5,
        "at least the five epochs run: {blocks:?}"
    );
    assert_eq!(blocks.last(), Some(&mg.schedule.last_epoch_block));
    let mut at_epochs = Vec::new();
    for &block in &blocks {
        let at = metagraph::sync(&chain, netuid, Some(block))
            .await
            .expect("sync at an epoch");
        assert_eq!(
            at.schedule.last_epoch_block, block,
            "#{block} is an epoch block"
        );
        at_epochs.push(at);
    }
    for chart in charts {
        let stored: Vec<u64> = chart[2]
            .as_str()
            .unwrap_or_default()
            .split(',')
            .filter_map(|v| v.parse().ok())
            .collect();
        let n = &|m: &Metagraph| m.neurons[usize::from(v0)].clone();
        let expected: Vec<u64> = match chart[0].as_str() {
            Some("incentive") => at_epochs
                .iter()
                .map(|m| u64::from(n(m).incentive))
                .collect(),
            Some("dividends") => at_epochs
                .iter()
                .map(|m| u64::from(n(m).dividends))
                .collect(),
            Some("emission") => at_epochs.iter().map(|m| n(m).emission).collect(),
            Some("stake") => at_epochs.iter().map(|m| n(m).alpha_stake).collect(),
            other => panic!("unknown chart {other:?}"),
        };
        assert_eq!(stored, expected, "{} of uid {v0} at each epoch", chart[0]);
    }
    assert!(
        at_epochs
            .iter()
            .any(|m| m.neurons[usize::from(v0)].dividends > 0),
        "non-zero dividends in the history"
    );
    scroll_to(&client, "#detail").await;
    shot(&client, "history").await;

    // ── Diff of the last two epochs ──────────────────────────────────────────────────────
    let (from, to) = (blocks[blocks.len() - 2], blocks[blocks.len() - 1]);
    let summary = wait_for(
        &client,
        "the diff",
        LOAD,
        "const e = document.getElementById('diff-summary'); return e ? [Number(e.dataset.from), Number(e.dataset.to), e.textContent] : null;",
        |v| v.is_array(),
    )
    .await;
    assert_eq!(
        (summary[0].as_u64(), summary[1].as_u64()),
        (Some(from), Some(to))
    );
    let d = diff(&at_epochs[blocks.len() - 2], &at_epochs[blocks.len() - 1]);
    let listed = |id: &str| {
        let script = format!("return Array.from(document.querySelectorAll('#{id} tbody tr')).map(tr => Number(tr.dataset.uid));");
        let client = client.clone();
        async move { js(&client, &script).await }
    };
    let gained: Vec<u16> = serde_json::from_value(listed("diff-gained").await).unwrap_or_default();
    let lost: Vec<u16> = serde_json::from_value(listed("diff-lost").await).unwrap_or_default();
    assert_eq!(
        gained,
        d.gained.iter().take(12).copied().collect::<Vec<_>>()
    );
    assert_eq!(lost, d.lost.iter().take(12).copied().collect::<Vec<_>>());
    assert!(
        !d.gained.is_empty() || !d.lost.is_empty(),
        "emission moved between the epochs"
    );
    let summary_text = summary[2].as_str().unwrap_or_default();
    assert!(
        summary_text.contains(&format!(
            "{} validators changed {} weights",
            d.rows_changed.len(),
            d.weights.len()
        )),
        "{summary_text}"
    );
    scroll_to(&client, "#diff").await;
    shot(&client, "diff").await;

    // ── Health ───────────────────────────────────────────────────────────────────────────
    // Validator 2 stopped before the last two epochs: stale at a threshold below its age.
    let stopped = a.validators[2].uid;
    let age = mg.block - mg.neurons[usize::from(stopped)].last_update;
    let threshold = age - 1;
    js(
        &client,
        &format!("const i = document.getElementById('stale-threshold'); i.value = '{threshold}'; i.dispatchEvent(new Event('change')); return true;"),
    )
    .await;
    let flags = health(&mg, Some(threshold));
    assert!(flags
        .stale
        .iter()
        .any(|s| s.uid == stopped && s.blocks_ago == age));
    let stale = wait_for(
        &client,
        "the stale flags",
        SHORT,
        "return Array.from(document.querySelectorAll('#health-stale li')).map(li => [Number(li.dataset.uid), Number(li.dataset.blocks)]);",
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
    )
    .await;
    let expected: Vec<(u16, u64)> = flags.stale.iter().map(|s| (s.uid, s.blocks_ago)).collect();
    assert_eq!(
        serde_json::from_value::<Vec<(u16, u64)>>(stale).unwrap_or_default(),
        expected
    );
    let text = |id: &str| {
        let script = format!("return document.getElementById('{id}').textContent;");
        let client = client.clone();
        async move {
            js(&client, &script)
                .await
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    let uids = |v: &[u16]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
        }
    };
    assert_eq!(
        text("health-unweighted").await,
        uids(&flags.unweighted_miners)
    );
    assert_eq!(
        text("health-permit-idle").await,
        uids(&flags.permit_without_weights)
    );
    let concentration = text("health-concentration").await;
    assert!(
        concentration.contains(&format!(
            "Gini {:.4}, top-10 share {:.4}",
            flags.incentive.gini, flags.incentive.top10_share
        )),
        "{concentration}"
    );
    scroll_to(&client, "#health").await;
    shot(&client, "health").await;

    // ── What-if ──────────────────────────────────────────────────────────────────────────
    // Validator 0 (the largest stake) puts all its weight on the last miner; the core's
    // recomputed incentive for that miner goes up.
    let last = a.miners.last().expect("miners").uid;
    client
        .execute(
            "const sel = document.getElementById('whatif-validator'); sel.value = String(arguments[0]); sel.dispatchEvent(new Event('change')); return true;",
            vec![Value::from(v0)],
        )
        .await
        .expect("pick validator 0");
    for uid in a.miners.iter().map(|m| m.uid) {
        let value = if uid == last { 65535 } else { 0 };
        client
            .execute(
                "const input = document.querySelector(`#whatif-table tr[data-uid='${arguments[0]}'] input.weight`);
                 input.value = String(arguments[1]); input.dispatchEvent(new Event('change'));",
                vec![Value::from(uid), Value::from(value)],
            )
            .await
            .expect("edit a weight");
    }
    wait_for(
        &client,
        "the what-if incentive of the last miner to rise",
        SHORT,
        &format!(
            "return document.querySelectorAll(`#whatif-table tr[data-uid='{last}'] td.up`).length;"
        ),
        |v| v.as_u64().is_some_and(|n| n > 0),
    )
    .await;
    let ms = js(
        &client,
        "return Number(document.getElementById('whatif').dataset.recomputeMs);",
    )
    .await;
    assert!(ms.as_f64().is_some_and(|ms| ms >= 0.0), "{ms}");
    scroll_to(&client, "#whatif").await;
    shot(&client, "whatif").await;

    // ── Time: a past epoch from the slider, a block typed, then the newest again ─────────
    let epochs = js(
        &client,
        "return document.getElementById('epoch-slider').dataset.blocks;",
    )
    .await;
    let epochs: Vec<u64> = epochs
        .as_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|b| b.parse().ok())
        .collect();
    assert!(
        blocks.iter().all(|b| epochs.contains(b)),
        "the slider spans the charts' epochs: {epochs:?}"
    );
    let index = epochs
        .iter()
        .position(|&b| b == blocks[0])
        .expect("in the slider");
    js(
        &client,
        &format!("const s = document.getElementById('epoch-slider'); s.value = '{index}'; s.dispatchEvent(new Event('change')); return true;"),
    )
    .await;
    wait_block(&client, blocks[0]).await;
    check_table(&client, &at_epochs[0]).await;
    let url = client.current_url().await.expect("url");
    assert!(
        url.query_pairs()
            .any(|(k, v)| k == "block" && v == blocks[0].to_string()),
        "{url}"
    );
    let label = js(
        &client,
        "return document.getElementById('epoch-label').textContent;",
    )
    .await;
    assert!(
        label
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("epoch #{}", blocks[0]))),
        "{label}"
    );
    js(&client, "window.scrollTo(0, 0); return true;").await;
    shot(&client, "past-epoch").await;
    let typed = blocks[1] + 1;
    js(
        &client,
        &format!("const i = document.getElementById('block-input'); i.value = '{typed}'; i.dispatchEvent(new Event('input')); document.getElementById('block-go').click(); return true;"),
    )
    .await;
    wait_block(&client, typed).await;
    let at_typed = metagraph::sync(&chain, netuid, Some(typed))
        .await
        .expect("sync at the typed block");
    check_table(&client, &at_typed).await;
    js(
        &client,
        "document.getElementById('block-newest').click(); return true;",
    )
    .await;
    wait_block(&client, mg.block).await;

    // ── Live: a new block shows up ───────────────────────────────────────────────────────
    let before = shown_block(&client).await;
    new_block(&chain).await.expect("new block");
    wait_for(
        &client,
        "the next block in the indicator",
        Duration::from_secs(30),
        "return document.getElementById('block').textContent;",
        |v| block_number(v).is_some_and(|b| b > before),
    )
    .await;
    let url = client.current_url().await.expect("url");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(
        query.contains(&("endpoint".into(), chain.endpoint().to_string())),
        "{url}"
    );
    assert!(
        query.contains(&("netuid".into(), netuid.to_string())),
        "{url}"
    );
    assert!(
        !query.iter().any(|(k, _)| k == "block"),
        "newest: no block in the URL: {url}"
    );
    js(&client, "window.scrollTo(0, 0); return true;").await;
    shot(&client, "e2e").await;

    // ── Errors ───────────────────────────────────────────────────────────────────────────
    let error = page_error(&client, &page(&site, chain.endpoint(), Some(999))).await;
    assert!(error.contains("subnet 999 does not exist"), "{error}");
    assert!(error.contains(&netuid.to_string()), "{error}");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        l.local_addr().expect("addr").port()
    };
    let error = page_error(
        &client,
        &page(&site, &format!("ws://127.0.0.1:{closed}"), None),
    )
    .await;
    assert!(error.contains("cannot reach"), "{error}");
    assert!(error.contains("validator localnet"), "{error}");

    client.close().await.expect("close the browser");
}

/// The main test's chain, kept up for working on the page by hand: prints the page's query
/// and waits until `target/explorer-dev-node.stop` exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a development aid, not a test"]
async fn explorer_dev_node() {
    let (_node, chain) = start_chain().await;
    let Setup { a, .. } = setup(&chain).await;
    let stop = browser::repo().join("target/explorer-dev-node.stop");
    let _ = std::fs::remove_file(&stop);
    let info = browser::repo().join("target/explorer-dev-node.txt");
    std::fs::write(&info, format!("{} {}\n", chain.endpoint(), a.netuid)).expect("write");
    eprintln!("dev node: {} netuid {}", chain.endpoint(), a.netuid);
    while !stop.exists() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
