//! The Yuma what-if: edit the selected validator's weights or stake and see consensus,
//! incentive and dividends recomputed by `bt-core`, next to the chain's values and the
//! core's values for the state as it is.

use leptos::prelude::*;

use crate::components::validator_picker::ValidatorPicker;
use crate::live::Explorer;
use crate::table::{proportion, tokens};
use crate::whatif::{run, Outcome, Scenario};

/// The edit and its outcome, shared with the validator view (which shows the core's
/// consensus of the unedited state).
#[derive(Debug, Clone, Copy)]
pub struct WhatIf {
    /// The edited weight row (`None`: the row on chain).
    pub weights: RwSignal<Option<Vec<(u16, u16)>>>,
    /// The edited stake in rao (`None`: the stake on chain).
    pub stake: RwSignal<Option<u64>>,
    /// The epoch as it is and as edited (an error message if the epoch refused the state).
    pub outcome: Memo<Option<Result<Outcome, String>>>,
}

impl WhatIf {
    /// Creates the state for `explorer` and puts it in context.
    pub fn provide(explorer: Explorer) -> Self {
        let weights = RwSignal::new(None);
        let stake = RwSignal::new(None);
        let outcome = Memo::new(move |_| {
            let scenario = Scenario {
                validator: explorer.selected.get().unwrap_or(u16::MAX),
                weights: weights.get(),
                stake: stake.get(),
            };
            explorer.metagraph.with(|m| {
                m.as_ref()
                    .map(|m| run(m, &scenario).map_err(|e| e.to_string()))
            })
        });
        // A different validator or subnet starts from the chain's values.
        Effect::new(move |_| {
            explorer.selected.track();
            explorer.netuid.track();
            weights.set(None);
            stake.set(None);
        });
        let this = Self {
            weights,
            stake,
            outcome,
        };
        provide_context(this);
        this
    }
}

/// Marks a what-if value against the core's current one.
fn change_class(edited: u16, now: u16) -> &'static str {
    match edited.cmp(&now) {
        std::cmp::Ordering::Greater => "up",
        std::cmp::Ordering::Less => "down",
        std::cmp::Ordering::Equal => "",
    }
}

/// The what-if section.
#[component]
pub fn WhatIfPanel() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let whatif = expect_context::<WhatIf>();

    // The row being edited: the edit, or the selected validator's row on chain.
    let row = move || {
        whatif.weights.get().unwrap_or_else(|| {
            explorer
                .with_selected(|n| n.weights.clone())
                .unwrap_or_default()
        })
    };
    let set_weight = move |uid: u16, value: u16| {
        let mut edited = row();
        edited.retain(|&(u, _)| u != uid);
        edited.push((uid, value));
        edited.sort_unstable();
        whatif.weights.set(Some(edited));
    };
    let chain_stake = move || explorer.with_selected(|n| n.total_stake).unwrap_or(0);

    view! {
        <section id="whatif">
            <h2>"Yuma what-if"</h2>
            <p class="legend">
                "Edit the selected validator's weights (u16, as set_weights stores them) or its stake. "
                "The epoch reruns here, in bt-core; each column shows the chain's stored value, the core's value for the state as it is, and the core's value with your edit."
            </p>
            <div class="controls">
                <ValidatorPicker id="whatif-validator"/>
                <label>" stake (τ) "
                    <input id="whatif-stake" type="number" min="0" step="any"
                        prop:value=move || tokens(whatif.stake.get().unwrap_or_else(chain_stake))
                        on:change=move |ev| {
                            if let Ok(t) = event_target_value(&ev).parse::<f64>() {
                                if t.is_finite() && t >= 0.0 {
                                    whatif.stake.set(Some((t * 1e9).round() as u64));
                                }
                            }
                        }/>
                </label>
                <button id="whatif-reset" on:click=move |_| { whatif.weights.set(None); whatif.stake.set(None); }>"reset"</button>
            </div>
            {move || match whatif.outcome.get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="error">{format!("The epoch refused this state: {e}")}</p> }.into_any(),
                Some(Ok(out)) => {
                    let weights = row();
                    let selected = explorer.selected.get();
                    let warning = out.chain_all_zero.then(|| view! {
                        <p class="warn">"The chain stores zero consensus, incentive and dividends while the core computes values: no epoch has run since these weights were set. The core columns show what the next epoch gives."</p>
                    });
                    view! {
                        {warning}
                        <div class="scroll">
                        <table id="whatif-table">
                            <thead>
                                <tr><th rowspan="2">"uid"</th><th rowspan="2">"weight (u16)"</th>
                                    <th colspan="3">"consensus"</th><th colspan="3">"incentive"</th><th colspan="3">"dividends"</th></tr>
                                <tr>
                                    {(0..3).map(|_| view! { <th>"chain"</th><th>"core now"</th><th>"what-if"</th> }).collect_view()}
                                </tr>
                            </thead>
                            <tbody>
                                {(0..out.now.consensus.len()).map(|i| {
                                    let uid = i as u16;
                                    let weight = weights.iter().find(|&&(u, _)| u == uid).map(|&(_, w)| w).unwrap_or(0);
                                    let trio = |chain: &[u16], now: &[u16], edited: &[u16]| {
                                        let (c, n, e) = (chain[i], now[i], edited[i]);
                                        view! {
                                            <td>{proportion(c)}</td>
                                            <td>{proportion(n)}</td>
                                            <td class=change_class(e, n)>{proportion(e)}</td>
                                        }
                                    };
                                    view! {
                                        <tr data-uid=uid>
                                            <td>{uid}</td>
                                            <td>
                                                <input class="weight" type="number" min="0" max="65535"
                                                    disabled=selected.is_none() || selected == Some(uid)
                                                    prop:value=weight.to_string()
                                                    on:change=move |ev| {
                                                        if let Ok(v) = event_target_value(&ev).parse::<u16>() {
                                                            set_weight(uid, v);
                                                        }
                                                    }/>
                                            </td>
                                            {trio(&out.chain.consensus, &out.now.consensus, &out.edited.consensus)}
                                            {trio(&out.chain.incentive, &out.now.incentive, &out.edited.incentive)}
                                            {trio(&out.chain.dividends, &out.now.dividends, &out.edited.dividends)}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
