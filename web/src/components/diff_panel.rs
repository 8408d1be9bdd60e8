//! The diff between two epochs of the history: who gained and who lost emission (with the
//! change of incentive, dividends and stake), and which weights changed, from
//! `bt_core::diff` on the subnet read at both epoch blocks.

use bt_core::diff::{diff, UidChange};
use bt_core::units::{fraction_delta_text, tokens_delta_text};
use leptos::prelude::*;

use crate::components::time_bar::progress_view;
use crate::live::Explorer;

/// How many gainers, losers and weight changes are listed.
const SHOWN: usize = 12;

fn change_row(c: &UidChange) -> impl IntoView {
    let note = if c.new {
        " (new)"
    } else if c.hotkey_changed {
        " (new hotkey)"
    } else {
        ""
    };
    view! {
        <tr data-uid=c.uid data-emission-delta=c.emission.delta()>
            <td>{format!("{}{note}", c.uid)}</td>
            <td>{tokens_delta_text(c.emission.delta())}</td>
            <td>{fraction_delta_text(c.incentive.delta())}</td>
            <td>{fraction_delta_text(c.dividends.delta())}</td>
            <td>{tokens_delta_text(c.stake.delta())}</td>
        </tr>
    }
}

fn table(id: &'static str, rows: Vec<UidChange>) -> impl IntoView {
    view! {
        <table id=id>
            <thead><tr><th>"uid"</th><th>"E α"</th><th>"I"</th><th>"D"</th><th>"stake α"</th></tr></thead>
            <tbody>{rows.iter().map(change_row).collect_view()}</tbody>
        </table>
    }
}

/// The diff section.
#[component]
pub fn DiffPanel() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let blocks = move || {
        explorer
            .history
            .with(|h| h.as_ref().map(|h| h.blocks()).unwrap_or_default())
    };
    // The two reads compared in the mechanism shown.
    let compared = Memo::new(move |_| {
        let mecid = explorer.mecid.get();
        explorer.diff_reads.with(|r| {
            let (a, b) = r.as_deref()?;
            Some(match (a.for_mechanism(mecid), b.for_mechanism(mecid)) {
                (Some(a), Some(b)) => diff(&a, &b),
                _ => diff(a, b),
            })
        })
    });
    let from = RwSignal::new(None::<u64>);
    let to = RwSignal::new(None::<u64>);
    let picker = move |id: &'static str, side: RwSignal<Option<u64>>, index: usize| {
        view! {
            <select id=id on:change=move |ev| side.set(event_target_value(&ev).parse().ok())>
                {move || {
                    let chosen = explorer.diff_blocks.get().map(|d| if index == 0 { d.0 } else { d.1 });
                    blocks().into_iter().map(|b| view! {
                        <option value=b.to_string() selected=chosen == Some(b)>{format!("#{b}")}</option>
                    }).collect_view()
                }}
            </select>
        }
    };
    view! {
        <section id="diff">
            <h2>{move || format!("Between two epochs, mechanism {}", explorer.mecid.get())}</h2>
            <div class="controls">
                <label>"from "</label>{picker("diff-from", from, 0)}
                <label>" to "</label>{picker("diff-to", to, 1)}
                <button id="diff-go" on:click=move |_| {
                    let current = explorer.diff_blocks.get_untracked();
                    let a = from.get_untracked().or(current.map(|c| c.0));
                    let b = to.get_untracked().or(current.map(|c| c.1));
                    if let (Some(a), Some(b)) = (a, b) {
                        explorer.compare(a.min(b), a.max(b));
                    }
                }>"compare"</button>
                <span id="diff-progress">{move || progress_view(explorer.diff_progress.get(), "both epochs")}</span>
            </div>
            {move || compared.get().map(|d| {
                let pick = |uids: &[u16]| -> Vec<UidChange> {
                    uids.iter().take(SHOWN).filter_map(|u| d.changes.iter().find(|c| c.uid == *u).cloned()).collect()
                };
                let gained = pick(&d.gained);
                let lost = pick(&d.lost);
                let weights: Vec<String> = d.weights.iter().take(SHOWN * 4).map(|w| {
                    let show = |v: Option<u16>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".to_string());
                    format!("{} → {}: {} → {}", w.validator, w.target, show(w.before), show(w.after))
                }).collect();
                view! {
                    <p id="diff-summary" data-from=d.from_block data-to=d.to_block>{format!(
                        "#{} → #{}: {} uids changed, {} gained and {} lost emission; {} validators changed {} weights.",
                        d.from_block, d.to_block, d.changes.len(), d.gained.len(), d.lost.len(), d.rows_changed.len(), d.weights.len())}</p>
                    <div class="split even">
                        <div><h3>"Gained"</h3>{table("diff-gained", gained)}</div>
                        <div><h3>"Lost"</h3>{table("diff-lost", lost)}</div>
                    </div>
                    <h3>"Weights changed (validator → uid: before → after, u16)"</h3>
                    <ul id="diff-weights" class="columns">{weights.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                }
            })}
        </section>
    }
}
