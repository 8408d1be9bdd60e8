//! The validator view: the selected validator's row of W (what it sent, and when) against
//! consensus as the chain stored it and as the core computes it.

use leptos::prelude::*;

use crate::components::validator_picker::ValidatorPicker;
use crate::components::whatif_panel::WhatIf;
use crate::live::Explorer;
use crate::validator_row::{validator_row, validator_uids};

/// The validator section.
#[component]
pub fn ValidatorView() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let whatif = expect_context::<WhatIf>();

    // Pick the first validator once a subnet is shown.
    Effect::new(move |_| {
        if explorer.selected.get().is_none() {
            let first = explorer
                .metagraph
                .with(|m| m.as_ref().and_then(|m| validator_uids(m).first().copied()));
            if first.is_some() {
                explorer.selected.set(first);
            }
        }
    });

    let row = move || {
        let uid = explorer.selected.get()?;
        let core = whatif
            .outcome
            .with(|o| {
                o.as_ref()
                    .and_then(|o| o.as_ref().ok())
                    .map(|o| o.now.consensus.clone())
            })
            .unwrap_or_default();
        explorer
            .metagraph
            .with(|m| m.as_ref().and_then(|m| validator_row(m, uid, &core)))
    };

    view! {
        <section id="validator">
            <h2>"Validator view"</h2>
            <div class="controls">
                <ValidatorPicker id="validator-pick"/>
            </div>
            {move || match row() {
                None if explorer.metagraph.with(Option::is_none) => ().into_any(),
                None => view! { <p class="legend">"No validator on this subnet yet."</p> }.into_any(),
                Some(row) => {
                    let when = if row.last_update == 0 {
                        format!("uid {} has not set weights.", row.uid)
                    } else {
                        format!(
                            "uid {} set these weights at block {} ({} blocks ago). {:.1}% of its weight is at or below the core's consensus; the rest is clipped by the epoch.",
                            row.uid, row.last_update, row.blocks_ago, row.kept() * 100.0
                        )
                    };
                    view! {
                        <p id="validator-summary">{when}</p>
                        <div class="scroll">
                        <table id="validator-table">
                            <thead><tr>
                                <th>"uid"</th><th>"sent (u16)"</th><th>"W (normalized)"</th>
                                <th>"consensus (chain)"</th><th>"consensus (core)"</th><th>"clipped"</th><th></th>
                            </tr></thead>
                            <tbody>
                                {row.entries.iter().map(|e| {
                                    let bar = format!("width:{:.1}%", e.normalized * 100.0);
                                    let mark = format!("left:{:.1}%", e.consensus_core * 100.0);
                                    view! {
                                        <tr data-uid=e.uid>
                                            <td>{e.uid}</td>
                                            <td>{e.sent}</td>
                                            <td>{format!("{:.4}", e.normalized)}</td>
                                            <td>{format!("{:.4}", e.consensus_chain)}</td>
                                            <td>{format!("{:.4}", e.consensus_core)}</td>
                                            <td>{format!("{:.4}", e.clipped())}</td>
                                            <td class="bar"><div class="sent" style=bar></div><div class="consensus" style=mark></div></td>
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
