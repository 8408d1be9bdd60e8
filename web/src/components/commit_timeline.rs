//! The commit-reveal timeline of every validator of the subnet, from the chain alone, at the
//! block shown (any past block too): its unrevealed commits in every mechanism with their
//! reveal epoch, drand round and whether that pulse is on chain, expiry, and its commits over
//! the history window.

use leptos::prelude::*;

use crate::commits::{commits_in_window, pending_commits};
use crate::live::Explorer;
use crate::table::short_address;

/// The commit-reveal section.
#[component]
pub fn CommitTimeline() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let rows = Memo::new(move |_| {
        let round = explorer.last_stored_round.get();
        explorer.read.with(|m| {
            m.as_ref()
                .map(|m| pending_commits(m, round))
                .unwrap_or_default()
        })
    });
    let validators = Memo::new(move |_| {
        let mecid = explorer.mecid.get();
        explorer.metagraph.with(|m| {
            let Some(m) = m.as_ref() else {
                return Vec::new();
            };
            explorer.history.with(|h| {
                m.neurons
                    .iter()
                    .filter(|n| n.validator_permit || !n.weights.is_empty())
                    .map(|n| {
                        let window = h
                            .as_ref()
                            .map(|h| commits_in_window(h, mecid, n.uid, &n.hotkey))
                            .unwrap_or_default();
                        (
                            n.uid,
                            bt_core::ss58::bittensor(&n.hotkey),
                            n.last_update,
                            window,
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let header = move || {
        explorer.read.with(|m| {
            m.as_ref().map(|m| {
                let on = m.hyperparams.commit_reveal_enabled;
                format!(
                    "commit-reveal {} · reveal period {} epoch(s) · epoch {} · newest drand pulse on chain: {}",
                    if on { "on" } else { "off" },
                    m.hyperparams.commit_reveal_period,
                    m.schedule.epoch_index,
                    explorer
                        .last_stored_round
                        .get()
                        .map(|r| format!("round {r}"))
                        .unwrap_or_else(|| "not read".into())
                )
            })
        })
    };
    let epoch_index = move || {
        explorer
            .read
            .with(|m| m.as_ref().map_or(0, |m| m.schedule.epoch_index))
    };

    view! {
        <section id="commits">
            <h2>"Commit-reveal"</h2>
            <p class="legend" id="commits-header">{header}</p>
            <div class="scroll">
            <table id="commits-table">
                <thead><tr>
                    <th>"uid"</th><th>"mechanism"</th><th>"commit block"</th><th>"commit epoch"</th>
                    <th>"reveal epoch"</th><th>"drand pulse"</th><th>"state"</th>
                </tr></thead>
                <tbody>
                    {move || {
                        let now = epoch_index();
                        rows.get().into_iter().map(|r| view! {
                            <tr data-uid=r.uid data-mecid=r.mecid data-commit-block=r.commit_block
                                data-reveal-round=r.reveal_round.map(|x| x.to_string()).unwrap_or_default()
                                class:warn=r.expired>
                                <td>{r.uid}</td><td>{r.mecid}</td><td>{r.commit_block}</td><td>{r.commit_epoch}</td>
                                <td>{r.reveal_epoch}</td><td>{r.pulse_text()}</td><td>{r.state_text(now)}</td>
                            </tr>
                        }).collect_view()
                    }}
                </tbody>
            </table>
            </div>
            {move || rows.with(Vec::is_empty).then(|| view! { <p class="legend" id="commits-none">"No unrevealed commits at this block."</p> })}
            <h3>"Validators' weights over the history window"</h3>
            <ul id="commit-history">
                {move || validators.get().into_iter().map(|(uid, hotkey, last, window)| view! {
                    <li data-uid=uid>{format!(
                        "uid {uid} ({}): last weights at #{last}; {} in the window{}",
                        short_address(&hotkey),
                        window.len(),
                        if window.is_empty() { String::new() } else {
                            format!(" at #{}", window.iter().map(u64::to_string).collect::<Vec<_>>().join(", #"))
                        })}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
