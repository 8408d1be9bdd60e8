//! The explorer's operator views in headless chromium, against the real runtime (spec 425
//! under chopsticks, `validator localnet`: commit-reveal on, the test drand beacon):
//! 1. **My validator**: a `validator run --status.port` committing timelocked weights; the
//!    page, pointed at its `/status` before it starts, says it cannot reach it, then shows the
//!    reveal round the chain stores for its commit, then "revealed" once the chain revealed
//!    it; its "intends vs holds" table agrees with the status and with the chain's row. A
//!    malformed reply (an HTML page) gets a message.
//! 2. **Deregistration**: the subnet made full (`MaxAllowedUids` = its size); the page names
//!    the next uid to be pruned, and a registration then replaces exactly that uid.
//! 3. **Lookup**: a hotkey registered on two subnets is listed on both, with the values the
//!    chain stores at the block the page read; its coldkey finds the same uids.
//!
//! The three share the bootstrapped subnet of `commit_faults` (one snapshot per run).

use std::path::Path;
use std::time::{Duration, Instant};

use bt_chain::bootstrap::{bootstrap, dev_key, register_neurons, BootstrapConfig};
use bt_chain::localnet::{new_block, set_storage};
use bt_chain::{metagraph, Chain};
use bt_core::schedule::ScheduleState;
use serde_json::Value;

mod common;
use common::localnet::*;

#[path = "../../web/tests/browser/mod.rs"]
mod browser;
use browser::{block_number, browser, dist, js, page, scroll_to, serve, shot, wait_for};

const LOAD: Duration = Duration::from_secs(60);
const LONG: Duration = Duration::from_secs(240);

/// The recipe `commit_faults` bootstraps too (its snapshot is reused).
const LOCALNET: [&str; 6] = [
    "--miners",
    "2",
    "--validator-stakes",
    "1000,1000",
    "--reveal-period",
    "1",
];

/// Percent-encodes what a query value must not hold raw.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

async fn connect(endpoint: &str) -> Chain {
    Chain::connect(endpoint, Duration::from_secs(30))
        .await
        .expect("connect to the local chain")
}

/// The validator's status JSON once `done` accepts it.
async fn wait_status(port: u16, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let reply = http_get(port, "/status").unwrap_or_default();
        let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if done(&v) {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "no such status within {limit:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn start(tmp: &Path) -> (Proc, Value, u16) {
    let wallets = tmp.join("wallets");
    let port_base = common::free_port().saturating_sub(10).max(20000);
    let (node, subnet) =
        tokio::task::block_in_place(|| start_localnet(&wallets, port_base, &LOCALNET));
    (node, subnet, port_base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_validator_shows_the_chains_reveal_round_then_the_reveal() {
    let tmp = tempfile::tempdir().unwrap();
    let (_node, subnet, port_base) = start(tmp.path()).await;
    let wallets = tmp.path().join("wallets");
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid_text = subnet["netuid"].to_string();
    let netuid = subnet["netuid"].as_u64().unwrap() as u16;
    let uid = subnet["validators"][0]["uid"].as_u64().unwrap() as u16;
    let _miners = tokio::task::block_in_place(|| {
        [
            spawn_miner(&wallets, 0, port_base, &endpoint, &netuid_text, &[]),
            spawn_miner(&wallets, 1, port_base, &endpoint, &netuid_text, &[]),
        ]
    });
    let (stop_blocks, producer) = block_producer(&endpoint, Duration::from_millis(700));
    let status_port = common::free_port();
    let status_url = format!("http://127.0.0.1:{status_port}/status");

    // The page first: nothing serves the status yet.
    let site = serve(dist()).await;
    let (_driver, client) = browser().await;
    let url = format!(
        "{}&status={}",
        page(&site, &endpoint, Some(netuid)),
        encode(&status_url)
    );
    client.goto(&url).await.expect("open the page");
    let message = wait_for(
        &client,
        "the unreachable message",
        LOAD,
        "const e = document.getElementById('my-validator-error'); return e ? e.textContent : null;",
        Value::is_string,
    )
    .await;
    assert!(
        message.as_str().unwrap_or("").contains("cannot reach"),
        "{message}"
    );

    // The validator, committing timelocked weights, serving its status.
    let dir = tmp.path().join("v0");
    let mut c = validator_run(&endpoint, &netuid_text, &wallets, 0, &dir, 1000);
    c.args(["--neuron.commit_reveal", "timelocked"])
        .args(["--status.port", &status_port.to_string()]);
    let _validator = Proc(c.spawn().unwrap());
    let status = wait_status(status_port, LONG, |s| {
        s["pending_commit"]["commit_block"].is_u64() && s["pending_commit"]["reveal_round"].is_u64()
    })
    .await;
    let commit_block = status["pending_commit"]["commit_block"].as_u64().unwrap();
    // The round the chain stores for that commit, read at its block.
    let chain = connect(&endpoint).await;
    let at_commit = metagraph::sync(&chain, netuid, Some(commit_block))
        .await
        .expect("sync at the commit block");
    let stored = at_commit.mechanisms[0]
        .commits
        .iter()
        .find(|c| c.uid == uid && c.commit_block == commit_block)
        .and_then(|c| c.reveal_round)
        .expect("the chain queues the timelocked commit at its block");
    assert_eq!(
        status["pending_commit"]["reveal_round"].as_u64(),
        Some(stored),
        "the status reports the chain's round"
    );

    // The page shows the chain's round for the commit, then the reveal.
    wait_for(
        &client,
        "the reveal round in the timeline",
        LOAD,
        "const e = document.querySelector('#my-validator-timeline li[data-step=round]'); return e ? e.textContent : null;",
        |v| v.as_str().is_some_and(|t| t.contains(&format!("reveal round {stored}"))),
    )
    .await;
    wait_for(
        &client,
        "\"revealed\" in the timeline",
        LONG,
        "const e = document.querySelector('#my-validator-timeline li[data-step=revealed]'); return e && e.classList.contains('done') ? e.textContent : null;",
        Value::is_string,
    )
    .await;
    // The chain did reveal it: the commit is no longer queued and the row is written.
    let now = metagraph::sync(&chain, netuid, None).await.expect("sync");
    assert!(
        !now.mechanisms[0]
            .commits
            .iter()
            .any(|c| c.uid == uid && c.commit_block == commit_block),
        "revealed on chain"
    );
    assert!(
        !now.neurons[usize::from(uid)].weights.is_empty(),
        "the revealed row"
    );
    scroll_to(&client, "#my-validator").await;
    shot(&client, "my-validator").await;

    // Intends vs holds: the page's "sent" column is the status's, max-upscaled as the chain
    // stores it, and its "on chain" column the chain's row at the block the page shows.
    let deadline = Instant::now() + LOAD;
    loop {
        let shown = js(
            &client,
            "const s = document.getElementById('my-validator-summary');
             const rows = [...document.querySelectorAll('#my-validator-table tbody tr')].map(r =>
               [Number(r.dataset.uid), Number(r.dataset.sent), Number(r.dataset.chain)]);
             return s ? {sent_block: s.dataset.sentBlock, block: document.getElementById('block').textContent, rows} : null;",
        )
        .await;
        let status = wait_status(status_port, LOAD, |s| s["weights_sent"].is_object()).await;
        let same = shown["sent_block"]
            .as_str()
            .and_then(|b| b.parse::<u64>().ok())
            == status["weights_sent"]["block"].as_u64();
        if !same {
            assert!(
                Instant::now() < deadline,
                "the page follows the status: {shown} vs {status}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        }
        let block = block_number(&shown["block"]).expect("the page's block");
        let mg = metagraph::sync(&chain, netuid, Some(block))
            .await
            .expect("sync at the page's block");
        let row = &mg.neurons[usize::from(uid)].weights;
        let sent_uids: Vec<u16> =
            serde_json::from_value(status["weights_sent"]["uids"].clone()).unwrap();
        let sent_values: Vec<u16> =
            serde_json::from_value(status["weights_sent"]["values"].clone()).unwrap();
        let stored = bt_core::weights::chain_max_upscale(&sent_values);
        let rows = shown["rows"].as_array().cloned().unwrap_or_default();
        assert!(!rows.is_empty(), "{shown}");
        for r in &rows {
            let u = r[0].as_u64().unwrap() as u16;
            let expected_sent = sent_uids
                .iter()
                .position(|&x| x == u)
                .map_or(0, |i| stored[i]);
            let expected_chain = row.iter().find(|e| e.0 == u).map_or(0, |e| e.1);
            assert_eq!(
                r[1].as_u64(),
                Some(u64::from(expected_sent)),
                "sent, uid {u}"
            );
            assert_eq!(
                r[2].as_u64(),
                Some(u64::from(expected_chain)),
                "on chain, uid {u}"
            );
        }
        for (u, v) in row {
            assert!(
                *v == 0 || rows.iter().any(|r| r[0].as_u64() == Some(u64::from(*u))),
                "every uid of the chain's row is shown: {u}"
            );
        }
        break;
    }

    // A malformed reply (the explorer's own HTML) gets a message.
    let url = format!(
        "{}&status={}",
        page(&site, &endpoint, Some(netuid)),
        encode(&format!("{site}/index.html"))
    );
    client.goto(&url).await.expect("open the page");
    let message = wait_for(
        &client,
        "the malformed-reply message",
        LOAD,
        "const e = document.getElementById('my-validator-error'); return e ? e.textContent : null;",
        Value::is_string,
    )
    .await;
    assert!(
        message
            .as_str()
            .unwrap_or("")
            .contains("not a validator status"),
        "{message}"
    );
    // The rest of the page is whole.
    wait_for(
        &client,
        "the table beside the message",
        LOAD,
        "return document.querySelectorAll('#neurons tbody tr').length;",
        |v| v.as_u64().unwrap_or(0) > 0,
    )
    .await;
    stop_blocks.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = producer.join();
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_uid_to_be_pruned_is_the_one_a_registration_replaces() {
    let tmp = tempfile::tempdir().unwrap();
    let (_node, subnet, _) = start(tmp.path()).await;
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let netuid = subnet["netuid"].as_u64().unwrap() as u16;
    let chain = connect(&endpoint).await;

    // A full subnet: MaxAllowedUids = its size (the admin call's floor, MinAllowedUids, is
    // above this small subnet; a local chain writes the item directly).
    let n = metagraph::sync(&chain, netuid, None)
        .await
        .expect("sync")
        .n();
    set_storage(
        &chain,
        serde_json::json!({"SubtensorModule": {"MaxAllowedUids": [[[netuid], n]]}}),
    )
    .await
    .expect("set MaxAllowedUids");
    new_block(&chain).await.expect("a block");
    // The registration must not land in an epoch block (its epoch runs first and rewrites
    // the emissions the rule reads).
    let mg = loop {
        let mg = metagraph::sync(&chain, netuid, None).await.expect("sync");
        let state = ScheduleState::new(&mg.schedule, &mg.hyperparams);
        if !state.should_run_epoch(mg.block + 1) && !state.should_run_epoch(mg.block + 2) {
            break mg;
        }
        new_block(&chain).await.expect("a block");
    };
    assert_eq!(mg.n(), usize::from(mg.hyperparams.max_allowed_uids), "full");

    let site = serve(dist()).await;
    let (_driver, client) = browser().await;
    client
        .goto(&page(&site, &endpoint, Some(netuid)))
        .await
        .expect("open the page");
    let shown = wait_for(
        &client,
        "the next uid to be pruned",
        LOAD,
        &format!(
            "const e = document.getElementById('health-prune'); const b = document.getElementById('block').textContent;
             return e && e.dataset.uid !== '' && b === 'block #{}' ? e.textContent : null;",
            mg.block
        ),
        Value::is_string,
    )
    .await;
    let text = shown.as_str().unwrap_or("");
    let named: u16 = text
        .strip_prefix("next to be pruned: uid ")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("the health panel names a uid: {text}"));
    // The table sorted by the pruning order puts it first.
    js(
        &client,
        "[...document.querySelectorAll('#neurons-table thead th')].find(t => t.textContent.startsWith('prune')).click(); return true;",
    )
    .await;
    let first = wait_for(
        &client,
        "the table sorted by the pruning order",
        Duration::from_secs(20),
        "const r = document.querySelector('#neurons tbody tr'); return r ? Number(r.dataset.uid) : null;",
        Value::is_number,
    )
    .await;
    assert_eq!(first.as_u64(), Some(u64::from(named)));
    scroll_to(&client, "#neurons").await;
    shot(&client, "pruning").await;

    // A registration on the full subnet: the chain replaces the uid the page named.
    let before = mg.neurons[usize::from(named)].hotkey;
    let alice = dev_key("//Alice").expect("//Alice");
    let newcomer = dev_key("//explorer-newcomer").expect("a dev key");
    let uids = register_neurons(&chain, netuid, &alice, &[&newcomer])
        .await
        .expect("register on the full subnet");
    assert_eq!(uids, [named], "the chain replaced the uid the page named");
    let after = metagraph::sync(&chain, netuid, None).await.expect("sync");
    assert_eq!(after.n(), mg.n(), "still full: a uid was replaced");
    assert_eq!(
        after.neurons[usize::from(named)].hotkey,
        newcomer.public_key().0
    );
    assert_ne!(before, newcomer.public_key().0);
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hotkey_on_two_subnets_is_found_on_both() {
    let tmp = tempfile::tempdir().unwrap();
    let (_node, subnet, port_base) = start(tmp.path()).await;
    let endpoint = subnet["endpoint"].as_str().unwrap().to_string();
    let first_netuid = subnet["netuid"].as_u64().unwrap() as u16;
    let chain = connect(&endpoint).await;
    // A second subnet; its validator's hotkey registers on the first one too.
    let second = bootstrap(
        &chain,
        &BootstrapConfig {
            key_prefix: "bt-lookup".into(),
            validator_stakes_tao: vec![100],
            miners: 1,
            miner_port_base: port_base + 40,
            wait_for_permits: false,
            ..BootstrapConfig::default()
        },
    )
    .await
    .expect("bootstrap a second subnet");
    let v = &second.validators[0];
    let hotkey = dev_key(&v.uri).expect("its hotkey");
    let coldkey = dev_key(&second.validator_coldkey_uri).expect("its coldkey");
    let on_first = register_neurons(&chain, first_netuid, &coldkey, &[&hotkey])
        .await
        .expect("register on the first subnet");
    assert_eq!(on_first.len(), 1);

    let site = serve(dist()).await;
    let (_driver, client) = browser().await;
    let coldkey_ss58 = bt_core::ss58::bittensor(&coldkey.public_key().0);
    for (key, as_coldkey) in [(v.hotkey.clone(), false), (coldkey_ss58, true)] {
        let url = format!(
            "{}&lookup={}",
            page(&site, &endpoint, Some(first_netuid)),
            encode(&key)
        );
        client.goto(&url).await.expect("open the page");
        let found = wait_for(
            &client,
            "the lookup's rows",
            LOAD,
            "const s = document.getElementById('lookup-summary'); if (!s) return null;
             const rows = [...document.querySelectorAll('#lookup-table tbody tr')].map(r => ({...r.dataset}));
             return {block: s.textContent, rows};",
            |v| v["rows"].as_array().is_some_and(|r| !r.is_empty()),
        )
        .await;
        let block: u64 = found["block"]
            .as_str()
            .and_then(|t| t.strip_prefix("at block #"))
            .and_then(|t| t.split(':').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("the lookup's block: {found}"));
        let rows = found["rows"].as_array().cloned().unwrap_or_default();
        let places: Vec<(u16, u16)> = rows
            .iter()
            .map(|r| {
                let n = |k: &str| r[k].as_str().and_then(|s| s.parse::<u16>().ok()).unwrap();
                (n("netuid"), n("uid"))
            })
            .collect();
        // What the chain holds at that block: every subnet's uids of the hotkey, or of the
        // coldkey's hotkeys (the coldkey of the first subnet's validators too).
        let mut want = Vec::new();
        let at = chain.at_number(block).await.expect("the lookup's block");
        for netuid in metagraph::subnets_at(&chain, &at).await.expect("subnets") {
            let mg = metagraph::sync(&chain, netuid, Some(block))
                .await
                .expect("sync");
            for n in &mg.neurons {
                let mine = if as_coldkey {
                    n.coldkey == coldkey.public_key().0
                } else {
                    n.hotkey == hotkey.public_key().0
                };
                if mine {
                    want.push((netuid, n.uid));
                }
            }
        }
        assert!(
            want.contains(&(first_netuid, on_first[0])) && want.contains(&(second.netuid, v.uid))
        );
        assert_eq!(places, want, "{key}: every uid, nothing else");
        for r in &rows {
            let get = |k: &str| r[k].as_str().unwrap_or("").to_string();
            let netuid: u16 = get("netuid").parse().unwrap();
            let uid: usize = get("uid").parse().unwrap();
            let mg = metagraph::sync(&chain, netuid, Some(block))
                .await
                .expect("sync at the lookup's block");
            let neuron = &mg.neurons[uid];
            assert_eq!(
                get("hotkey"),
                bt_core::ss58::bittensor(&neuron.hotkey),
                "{key}: its hotkey"
            );
            // No child keys here: the stake the metagraph counts is the hotkey's own α.
            assert_eq!(
                get("stake"),
                neuron.alpha_stake.to_string(),
                "stake, {netuid}/{uid}"
            );
            assert_eq!(
                get("incentive"),
                neuron.incentive.to_string(),
                "I, {netuid}/{uid}"
            );
            assert_eq!(
                get("dividends"),
                neuron.dividends.to_string(),
                "D, {netuid}/{uid}"
            );
            assert_eq!(
                get("emission"),
                neuron.emission.to_string(),
                "E, {netuid}/{uid}"
            );
            assert_eq!(get("permit"), neuron.validator_permit.to_string(), "permit");
            assert_eq!(
                get("lastUpdate"),
                neuron.last_update.to_string(),
                "last update"
            );
        }
        // The key is in the page's URL.
        let href = js(&client, "return location.search;").await;
        assert!(
            href.as_str()
                .unwrap_or("")
                .contains(&format!("lookup={key}")),
            "{href}"
        );
    }
    wait_for(
        &client,
        "the subnet beside the lookup",
        LOAD,
        "return document.querySelectorAll('#neurons tbody tr').length;",
        |v| v.as_u64().unwrap_or(0) > 0,
    )
    .await;
    scroll_to(&client, "#lookup").await;
    shot(&client, "lookup").await;
    client.close().await.expect("close");
}
