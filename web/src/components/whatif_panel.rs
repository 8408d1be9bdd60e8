//! The Yuma what-if: edit the selected validator's weights or stake and see consensus,
//! incentive and dividends recomputed by `bt-core`, next to the chain's values and the
//! core's values for the state as it is. The epoch of the state as it is ([`WhatIf::now`])
//! is the one the validator view and the detail panel explain.

use std::sync::Arc;

use bt_core::units::parse_tokens;
use bt_core::whatif::{compare, now, Outcome, Scenario};
use bt_core::yuma::EpochDetail;
use leptos::prelude::*;

use crate::components::validator_picker::ValidatorPicker;
use crate::live::{now_ms, Explorer};
use crate::table::{proportion, tokens};

/// The epoch of the subnet as shown (every step kept), and how long it took to compute.
#[derive(Debug, Clone)]
pub struct Epoch {
    /// The epoch, or why the core refused the state.
    pub detail: Result<Arc<EpochDetail>, String>,
    /// Milliseconds it took.
    pub ms: f64,
}

/// A what-if's outcome and how long its recompute took.
#[derive(Debug, Clone)]
pub struct Recomputed {
    /// The outcome, or why the core refused the edited state.
    pub outcome: Result<Outcome, String>,
    /// Milliseconds the recompute took (the edited epoch and the comparison).
    pub ms: f64,
    /// How many recomputes ran so far (1 for the first): tells two recomputes of equal
    /// duration apart.
    pub seq: u64,
}

/// The edit and its outcome, shared with the validator view and the detail panel.
#[derive(Debug, Clone, Copy)]
pub struct WhatIf {
    /// The edited weight row (`None`: the row on chain).
    pub weights: RwSignal<Option<Vec<(u16, u16)>>>,
    /// The edited stake in rao of α (`None`: the stake on chain).
    pub stake: RwSignal<Option<u64>>,
    /// The epoch of the state as it is.
    pub now: Memo<Option<Epoch>>,
    /// The epoch as it is and as edited.
    pub outcome: Memo<Option<Recomputed>>,
}

impl WhatIf {
    /// Creates the state for `explorer` and puts it in context.
    pub fn provide(explorer: Explorer) -> Self {
        let weights = RwSignal::new(None);
        let stake = RwSignal::new(None);
        let now = Memo::new_with_compare(
            move |_| {
                explorer.metagraph.with(|m| {
                    m.as_ref().map(|m| {
                        let start = now_ms();
                        let detail = now(m).map(Arc::new).map_err(|e| e.to_string());
                        Epoch {
                            detail,
                            ms: now_ms() - start,
                        }
                    })
                })
            },
            |_, _| true,
        );
        let outcome = Memo::new_with_compare(
            move |previous: Option<&Option<Recomputed>>| {
                let seq = previous.and_then(Option::as_ref).map_or(0, |r| r.seq) + 1;
                let scenario = Scenario {
                    validator: explorer.selected.get().unwrap_or(u16::MAX),
                    weights: weights.get(),
                    stake: stake.get(),
                };
                let epoch = now.get()?;
                explorer.metagraph.with(|m| {
                    let m = m.as_ref()?;
                    let start = now_ms();
                    let outcome = match &epoch.detail {
                        Ok(detail) => compare(m, detail, &scenario).map_err(|e| e.to_string()),
                        Err(e) => Err(e.clone()),
                    };
                    Some(Recomputed {
                        outcome,
                        ms: now_ms() - start,
                        seq,
                    })
                })
            },
            |_, _| true,
        );
        // A different validator, subnet or mechanism starts from the chain's values.
        Effect::new(move |_| {
            explorer.selected.track();
            explorer.netuid.track();
            explorer.mecid.track();
            weights.set(None);
            stake.set(None);
        });
        // Open on the validator with the most stake that has weights.
        Effect::new(move |_| {
            let pick = explorer.metagraph.with(|m| {
                let m = m.as_ref()?;
                let current = explorer.selected.get_untracked();
                let valid = current.is_some_and(|uid| usize::from(uid) < m.n());
                (!valid).then(|| m.heaviest_weight_setter()).flatten()
            });
            if pick.is_some() {
                explorer.selected.set(pick);
            }
        });
        let this = Self {
            weights,
            stake,
            now,
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
    let recompute_ms = move || {
        whatif
            .outcome
            .with(|o| o.as_ref().map(|o| format!("{:.2}", o.ms)))
            .unwrap_or_default()
    };

    let recomputes = move || whatif.outcome.with(|o| o.as_ref().map_or(0, |o| o.seq));

    view! {
        <section id="whatif" data-recompute-ms=recompute_ms data-recomputes=recomputes>
            <h2>{move || format!("Yuma what-if, mechanism {}", explorer.mecid.get())}</h2>
            <p class="legend">
                "Edit the selected validator's weights (u16, as set_weights stores them) or its stake. "
                "The epoch reruns here, in bt-core; each column shows the chain's stored value, the core's value for the state as it is, and the core's value with your edit."
            </p>
            <div class="controls">
                <ValidatorPicker id="whatif-validator"/>
                <label>" stake (α) "
                    <input id="whatif-stake" type="text" inputmode="decimal" size="14"
                        prop:value=move || tokens(whatif.stake.get().unwrap_or_else(chain_stake))
                        on:change=move |ev| {
                            if let Some(rao) = parse_tokens(&event_target_value(&ev)) {
                                whatif.stake.set(Some(rao));
                            }
                        }/>
                </label>
                <button id="whatif-reset" on:click=move |_| { whatif.weights.set(None); whatif.stake.set(None); }>"reset"</button>
                <span id="whatif-ms" class="count">{move || whatif.outcome.with(|o| o.as_ref().map(|o| format!("recomputed in {:.1} ms", o.ms))).unwrap_or_default()}</span>
            </div>
            {move || match whatif.outcome.get().map(|o| o.outcome) {
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
                                    <th colspan="3">"consensus [netuid]"</th><th colspan="3">{format!("incentive, mechanism {}", explorer.mecid.get_untracked())}</th><th colspan="3">"dividends [netuid]"</th></tr>
                                <tr>
                                    {(0..3).map(|_| view! { <th>"chain"</th><th>"core now"</th><th>"what-if"</th> }).collect_view()}
                                </tr>
                            </thead>
                            <tbody>
                                {(0..out.now.consensus.len()).map(|i| {
                                    let uid = u16::try_from(i).unwrap_or(u16::MAX);
                                    let weight = weights.iter().find(|&&(u, _)| u == uid).map(|&(_, w)| w).unwrap_or(0);
                                    let trio = |chain: &[u16], now: &[u16], edited: &[u16]| {
                                        let at = |v: &[u16]| v.get(i).copied().unwrap_or(0);
                                        let (c, n, e) = (at(chain), at(now), at(edited));
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
