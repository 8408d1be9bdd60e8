//! The validator view: the selected validator's row in the selected mechanism as the core's
//! epoch saw it (what it stored and when, each mask, the normalised weights, consensus, what
//! clipping removed, its validator trust) and why it earns its dividends (bonds × incentive,
//! Yuma2 or Yuma3 as the subnet runs), all from the epoch the what-if runs.

use leptos::prelude::*;

use crate::components::validator_picker::ValidatorPicker;
use crate::components::whatif_panel::WhatIf;
use crate::explain::{bond_lines, dividend_summary};
use crate::live::Explorer;
use crate::validator_row::{lines, summary};

/// The validator section.
#[component]
pub fn ValidatorView() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let whatif = expect_context::<WhatIf>();

    let view_of = move || {
        let uid = explorer.selected.get()?;
        let mecid = explorer.mecid.get();
        let epoch = whatif.now.get()?;
        let detail = match epoch.detail {
            Ok(d) => d,
            Err(e) => return Some(Err(e)),
        };
        let (stored_vtrust, last_update, block) = explorer.metagraph.with(|m| {
            let m = m.as_ref()?;
            let n = m.neurons.get(usize::from(uid))?;
            Some((n.validator_trust, n.last_update, m.block))
        })?;
        let row = detail.validator_row(mecid, uid).map_err(|e| e.to_string());
        let dividends = detail.dividends(mecid, uid).map_err(|e| e.to_string());
        Some(row.and_then(|r| dividends.map(|d| (r, d, stored_vtrust, last_update, block))))
    };

    view! {
        <section id="validator">
            <h2>{move || format!("Validator view, mechanism {}", explorer.mecid.get())}</h2>
            <div class="controls">
                <ValidatorPicker id="validator-pick"/>
            </div>
            {move || match view_of() {
                None if explorer.metagraph.with(Option::is_none) => ().into_any(),
                None => view! { <p class="legend">"No validator on this subnet yet."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{format!("The epoch refused this state: {e}")}</p> }.into_any(),
                Some(Ok((row, dividends, stored_vtrust, last_update, block))) => {
                    let text = summary(&row, stored_vtrust, last_update, block);
                    let bonds = bond_lines(&dividends);
                    view! {
                        <p id="validator-summary" data-vtrust-u16=row.validator_trust_u16>{text}</p>
                        <div class="scroll">
                        <table id="validator-table">
                            <thead><tr>
                                <th title="the uid weighted">"uid"</th>
                                <th title="Weights[idx][uid]: the stored u16">"stored (u16)"</th>
                                <th title="why the epoch dropped this entry">"masked"</th>
                                <th title="after the masks, row-normalised (I32F32)">"W in the epoch"</th>
                                <th title="the uid's consensus C">"consensus"</th>
                                <th title="min(W, C): what counts for incentive">"clipped W̄"</th>
                                <th title="W − W̄: what clipping removed">"removed"</th>
                                <th></th>
                            </tr></thead>
                            <tbody>
                                {lines(&row).into_iter().map(|line| {
                                    let bar = format!("--w:{}", line.weight);
                                    let mark = format!("--c:{}", line.consensus);
                                    let [w, c, clipped, removed] = line.cells;
                                    view! {
                                        <tr data-uid=line.uid class:masked={!line.masked.is_empty()}>
                                            <td>{line.uid}</td>
                                            <td>{line.stored}</td>
                                            <td>{line.masked}</td>
                                            <td>{w}</td>
                                            <td>{c}</td>
                                            <td>{clipped}</td>
                                            <td>{removed}</td>
                                            <td class="bar"><div class="sent" style=bar></div><div class="consensus" style=mark></div></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        <h3>"Why these dividends"</h3>
                        <p id="validator-dividends" data-dividend-u16=dividends.dividend_u16>{dividend_summary(&dividends)}</p>
                        {(!bonds.is_empty()).then(|| view! {
                            <div class="scroll short">
                            <table id="validator-bonds">
                                <thead><tr>
                                    <th>"uid"</th>
                                    <th title="the EMA bond as the dividends read it (column-normalised)">"bond B"</th>
                                    <th title="the uid's incentive in this mechanism">"incentive I"</th>
                                    <th>"B × I"</th>
                                </tr></thead>
                                <tbody>
                                    {bonds.into_iter().map(|b| {
                                        let [bond, incentive, product] = b.cells;
                                        view! { <tr data-uid=b.uid><td>{b.uid}</td><td>{bond}</td><td>{incentive}</td><td>{product}</td></tr> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}
