//! "My validator": a field for a validator's status URL (`validator run --status.port P` →
//! `http://HOST:P/status`, kept in the page URL as `status=`), read with gloo-net every few
//! seconds and shown next to the chain: scores, weights computed and sent against its row of
//! W on chain, the commit-reveal timeline, when the rate limit lets it set weights, and what
//! on chain stops it. An unreachable endpoint or a malformed reply is a message in this
//! section only.

use std::cell::Cell;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::live::Explorer;
use crate::my_validator::{
    holds_sent, intends_vs_holds, obstacles, parse_status, rate_limit_text, timeline,
    ValidatorStatus,
};
use crate::table::proportion;

/// How often the status is read.
const POLL: Duration = Duration::from_secs(3);

thread_local! {
    /// Bumped when the URL changes; a stale poll's answer is dropped.
    static POLL_GENERATION: Cell<u64> = const { Cell::new(0) };
}

/// Reads `url` once: the status, or a message for the page.
async fn read_status(url: &str) -> Result<ValidatorStatus, String> {
    let reply = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| {
            format!("cannot reach {url} ({e}): check that `validator run --status.port P` is running, that the URL is http://HOST:P/status, and that --status.ip lets this browser in")
        })?;
    if !reply.ok() {
        return Err(format!(
            "{url} answered HTTP {} {}: the URL must end in /status",
            reply.status(),
            reply.status_text()
        ));
    }
    let body = reply
        .text()
        .await
        .map_err(|e| format!("{url}: the reply could not be read ({e})"))?;
    parse_status(&body)
}

/// The "My validator" section.
#[component]
pub fn MyValidatorPanel() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let reply: RwSignal<Option<Result<ValidatorStatus, String>>> = RwSignal::new(None);
    let draft = RwSignal::new(explorer.status_url.get_untracked().unwrap_or_default());

    let poll_once = move |generation: u64, url: String| {
        spawn_local(async move {
            let answer = read_status(&url).await;
            if POLL_GENERATION.with(|g| g.get() == generation) {
                reply.set(Some(answer));
            }
        });
    };
    // (Re)start polling whenever the URL changes.
    Effect::new(move |_| {
        let url = explorer.status_url.get();
        let generation = POLL_GENERATION.with(|g| {
            g.set(g.get() + 1);
            g.get()
        });
        reply.set(None);
        let Some(url) = url else { return };
        poll_once(generation, url.clone());
        let handle = set_interval_with_handle(
            move || {
                if POLL_GENERATION.with(|g| g.get() == generation) {
                    poll_once(generation, url.clone());
                }
            },
            POLL,
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });

    let apply = move || {
        let url = draft.get_untracked().trim().to_string();
        explorer.status_url.set((!url.is_empty()).then_some(url));
    };

    let body = move || {
        let answer = reply.get()?;
        let status = match answer {
            Ok(s) => s,
            Err(message) => {
                return Some(
                    view! { <p id="my-validator-error" class="error">{message}</p> }.into_any(),
                )
            }
        };
        let round = explorer.last_stored_round.get();
        explorer.metagraph.with(|m| {
            let Some(mg) = m.as_ref() else {
                return Some(view! { <p class="legend">"Waiting for the subnet to load…"</p> }.into_any());
            };
            if mg.netuid != status.netuid {
                return Some(view! { <p id="my-validator-error" class="error">{format!(
                    "this validator sets weights on subnet {}, and subnet {} is shown: open subnet {} to compare it with the chain",
                    status.netuid, mg.netuid, status.netuid)}</p> }.into_any());
            }
            let rows = intends_vs_holds(&status, mg);
            let holds = holds_sent(&rows, &status);
            let steps = timeline(&status, mg, round);
            let blockers = obstacles(&status, mg, round);
            let rate = rate_limit_text(&status, mg);
            let errors = status.errors.clone();
            let shown: Vec<_> = rows
                .into_iter()
                .filter(|r| r.score != 0.0 || r.computed != 0 || r.sent != 0 || r.on_chain != 0)
                .collect();
            Some(view! {
                <p id="my-validator-summary" data-uid=status.uid.map(|u| u.to_string()).unwrap_or_default()
                    data-holds=holds.map(|h| h.to_string()).unwrap_or_default()
                    data-sent-block=status.weights_sent.as_ref().map(|w| w.block.to_string()).unwrap_or_default()>
                    {format!("{} · uid {} · mechanism {} · step {} · its block #{} · ",
                        crate::table::short_address(&status.hotkey),
                        status.uid.map(|u| u.to_string()).unwrap_or_else(|| "—".into()),
                        status.mecid, status.step, status.block)}
                    {match holds {
                        Some(true) => "the chain holds the weights it sent",
                        Some(false) => "the chain's row differs from the weights it sent",
                        None => "no weights sent yet",
                    }}
                </p>
                <ol id="my-validator-timeline" class="timeline">
                    {steps.into_iter().map(|s| view! {
                        <li data-step=s.name class:done=s.done>{s.text}</li>
                    }).collect_view()}
                </ol>
                <p id="my-validator-rate">{rate}</p>
                <ul id="my-validator-obstacles">
                    {if blockers.is_empty() {
                        view! { <li class="ok">"nothing on chain stops it from setting weights"</li> }.into_any()
                    } else {
                        blockers.into_iter().map(|b| view! { <li class="warn">{b}</li> }).collect_view().into_any()
                    }}
                </ul>
                <div class="scroll">
                <table id="my-validator-table">
                    <thead><tr>
                        <th title="the uid">"uid"</th>
                        <th title="the validator's moving-average score">"score"</th>
                        <th title="the weight its scores give now (u16, of 65535)">"computed"</th>
                        <th title="the weight it last sent (u16, as sent)">"sent"</th>
                        <th title="Weights[idx][its uid]: what the chain holds (u16)">"on chain"</th>
                    </tr></thead>
                    <tbody>
                        {shown.into_iter().map(|r| view! {
                            <tr data-uid=r.uid data-sent=r.sent_stored data-chain=r.on_chain
                                class:differs=r.sent_stored != r.on_chain>
                                <td>{r.uid}</td>
                                <td>{format!("{:.4}", r.score)}</td>
                                <td title=proportion(r.computed)>{r.computed}</td>
                                <td title=proportion(r.sent)>{r.sent}</td>
                                <td title=proportion(r.on_chain)>{r.on_chain}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
                {(!errors.is_empty()).then(|| view! {
                    <h3>"Its last errors"</h3>
                    <ul id="my-validator-errors">
                        {errors.into_iter().rev().map(|e| view! {
                            <li data-kind=e.kind.clone()>{format!("{} at block {}: {}", e.kind, e.block, e.message)}</li>
                        }).collect_view()}
                    </ul>
                })}
            }.into_any())
        })
    };

    view! {
        <section id="my-validator">
            <h2>"My validator"</h2>
            <div class="controls">
                <input id="status-url" type="url" placeholder="http://127.0.0.1:PORT/status (validator run --status.port PORT)"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { apply() }/>
                <button id="status-open" on:click=move |_| apply()>"Read"</button>
            </div>
            {body}
        </section>
    }
}
