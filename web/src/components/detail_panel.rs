//! The detail panel: one uid (a click on a table row or a heatmap column), its hotkey whole
//! (copyable), its history of incentive, dividends, emission and stake over the last epochs as
//! small line charts, and why it earns what it earns: each validator's weight on it, that
//! validator's active stake, consensus, what was clipped and the resulting rank share (a
//! miner); its bonds × incentive (a validator). The explanations come from the epoch the
//! what-if runs.

use bt_core::history::Metric;
use bt_core::metagraph::Metagraph;
use leptos::prelude::*;

use crate::components::copy::CopyButton;
use crate::components::sparkline::Sparkline;
use crate::components::time_bar::progress_view;
use crate::components::whatif_panel::WhatIf;
use crate::explain::{
    bond_lines, dividend_summary, miner_summary, null_dividend_summary, null_incentive_summary,
    support_lines,
};
use crate::live::{now_ms, Explorer};
use crate::table::{proportion, tokens};
use bt_core::ss58::bittensor as ss58;

/// What the panel explains: Yuma's terms, or a Null epoch's (spec 475).
#[derive(Clone, PartialEq)]
enum Explained {
    Yuma(
        bt_core::yuma::MinerExplanation,
        bt_core::yuma::DividendExplanation,
    ),
    Null(bt_core::yuma::NullExplanation),
}

/// The uid a fresh panel shows: the top earner of the mechanism, else the heaviest validator.
fn default_focus(m: &Metagraph) -> Option<u16> {
    m.top_earner().or_else(|| m.heaviest_weight_setter())
}

/// The detail section.
#[component]
pub fn DetailPanel() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let whatif = expect_context::<WhatIf>();

    Effect::new(move |_| {
        let pick = explorer.metagraph.with(|m| {
            let m = m.as_ref()?;
            let valid = explorer
                .focus
                .get_untracked()
                .is_some_and(|uid| usize::from(uid) < m.n());
            (!valid).then(|| default_focus(m)).flatten()
        });
        if pick.is_some() {
            explorer.focus.set(pick);
        }
    });

    // The explanations of the focused uid, and how long the epoch and they took.
    let explained = Memo::new_with_compare(
        move |_| {
            let uid = explorer.focus.get()?;
            let mecid = explorer.mecid.get();
            let epoch = whatif.now.get()?;
            let start = now_ms();
            let detail = match &epoch.detail {
                Ok(d) => d,
                Err(e) => return Some((Err(e.clone()), epoch.ms)),
            };
            let explained = if detail.is_null() {
                detail.null(mecid, uid).map(Explained::Null)
            } else {
                detail
                    .miner(mecid, uid)
                    .and_then(|m| detail.dividends(mecid, uid).map(|d| Explained::Yuma(m, d)))
            };
            let ms = epoch.ms + (now_ms() - start);
            Some((explained.map_err(|e| e.to_string()), ms))
        },
        |_, _| true,
    );

    let neuron = move || {
        let uid = explorer.focus.get()?;
        explorer
            .metagraph
            .with(|m| m.as_ref()?.neurons.get(usize::from(uid)).cloned())
    };

    view! {
        <section id="detail" data-explain-ms=move || explained.with(|e| e.as_ref().map(|e| format!("{:.2}", e.1))).unwrap_or_default()>
            {move || match neuron() {
                None => view! { <h2>"Detail"</h2><p class="legend">"Click a row of the table (or a heatmap column) to see a uid's history and why it earns what it earns."</p> }.into_any(),
                Some(n) => {
                    let hotkey = ss58(&n.hotkey);
                    let uid = n.uid;
                    view! {
                        <h2>{format!("uid {uid}")}</h2>
                        <p class="keys">
                            <span class="label">"hotkey "</span><code id="detail-hotkey" class="select">{hotkey.clone()}</code>" "<CopyButton text=hotkey/>
                            <br/><span class="label">"coldkey "</span><code class="select">{ss58(&n.coldkey)}</code>
                        </p>
                        <p class="count">{format!(
                            "stake {} α ({} α + root {} τ) · I {} · D {} · E {} α · {} · axon {}",
                            tokens(n.total_stake), tokens(n.alpha_stake), tokens(n.tao_stake),
                            proportion(n.incentive), proportion(n.dividends), tokens(n.emission),
                            if n.validator_permit { "validator permit" } else { "no permit" },
                            if n.axon.is_serving() { format!("{}:{}", n.axon.ip_string(), n.axon.port) } else { "none".to_string() })}</p>
                    }.into_any()
                }
            }}
            <h3>"History"</h3>
            <div id="detail-history" class="charts">
                {move || {
                    let uid = explorer.focus.get()?;
                    let mecid = explorer.mecid.get();
                    let shown = explorer.pinned.get();
                    explorer.history.with(|h| {
                        let h = h.as_ref()?;
                        Some(Metric::ALL.iter().map(|&metric| view! { <Sparkline series=h.series(uid, mecid, metric) shown=shown/> }).collect_view())
                    })
                }}
                {move || explorer.history.with(Option::is_none).then(|| progress_view(explorer.history_progress.get(), "history"))}
            </div>
            {move || match explained.get() {
                None => ().into_any(),
                Some((Err(e), _)) => view! { <p class="error">{format!("The epoch refused this state: {e}")}</p> }.into_any(),
                Some((Ok(Explained::Null(e)), _)) => view! {
                    <h3>{format!("Why this incentive and dividend (mechanism {}, Null consensus)", e.mechanism)}</h3>
                    <p id="explain-incentive" data-incentive-u16=e.incentive_u16 data-null="true">{null_incentive_summary(&e)}</p>
                    <p id="explain-dividends" data-dividend-u16=e.dividend_u16 data-null="true">{null_dividend_summary(&e)}</p>
                }.into_any(),
                Some((Ok(Explained::Yuma(miner, dividends)), _)) => {
                    let supports = support_lines(&miner);
                    let bonds = bond_lines(&dividends);
                    let earns_incentive = !supports.is_empty() || miner.incentive_u16 > 0;
                    let earns_dividends = !bonds.is_empty() || dividends.dividend_u16 > 0;
                    view! {
                        {earns_incentive.then(|| view! {
                            <h3>{format!("Why this incentive (mechanism {})", miner.mechanism)}</h3>
                            <p id="explain-incentive" data-incentive-u16=miner.incentive_u16>{miner_summary(&miner)}</p>
                            <div class="scroll short">
                            <table id="explain-miner">
                                <thead><tr>
                                    <th title="the validator">"validator"</th>
                                    <th title="the u16 it stored for this uid">"stored"</th>
                                    <th title="why the epoch dropped it">"masked"</th>
                                    <th title="its weight after the masks, row-normalised">"W"</th>
                                    <th title="its share of the active stake">"active stake S"</th>
                                    <th title="min(W, C)">"clipped W̄"</th>
                                    <th title="W − W̄">"removed"</th>
                                    <th title="W̄ × S">"W̄·S"</th>
                                    <th title="its share of this uid's rank">"rank share"</th>
                                </tr></thead>
                                <tbody>
                                    {supports.into_iter().map(|s| {
                                        let [w, stake, clipped, removed, contribution, share] = s.cells;
                                        view! {
                                            <tr data-uid=s.validator class:masked={!s.masked.is_empty()}>
                                                <td>{s.validator}</td><td>{s.stored}</td><td>{s.masked}</td>
                                                <td>{w}</td><td>{stake}</td><td>{clipped}</td>
                                                <td>{removed}</td><td>{contribution}</td><td>{share}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        })}
                        {earns_dividends.then(|| view! {
                            <h3>{format!("Why these dividends (mechanism {})", dividends.mechanism)}</h3>
                            <p id="explain-dividends" data-dividend-u16=dividends.dividend_u16>{dividend_summary(&dividends)}</p>
                            <div class="scroll short">
                            <table id="explain-bonds">
                                <thead><tr><th>"uid"</th><th>"bond B"</th><th>"incentive I"</th><th>"B × I"</th></tr></thead>
                                <tbody>
                                    {bonds.into_iter().map(|b| {
                                        let [bond, incentive, product] = b.cells;
                                        view! { <tr data-uid=b.uid><td>{b.uid}</td><td>{bond}</td><td>{incentive}</td><td>{product}</td></tr> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        })}
                        {(!earns_incentive && !earns_dividends).then(|| view! {
                            <p class="legend">"This uid earns neither incentive nor dividends in this mechanism: no validator's counted weight names it, and it holds no bonds."</p>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}
