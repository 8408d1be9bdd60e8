//! The neuron table: sortable by any column, filtered by uid, hotkey or axon, exportable;
//! a click on a row opens it in the detail panel, ⧉ copies a hotkey whole. The header says
//! which columns are the selected mechanism's and which the subnet's.

use leptos::prelude::*;

use crate::components::copy::CopyButton;
use crate::components::download::download;
use crate::export::{table_csv, table_json, Export};
use crate::live::Explorer;
use crate::table::{rows, sort, tokens, Column, Filter, Row, Scope};

/// The table of neurons.
#[component]
pub fn NeuronTable() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let order = RwSignal::new((Column::Uid, false));
    let filter = RwSignal::new(Filter::default());

    let all_rows = Memo::new(move |_| {
        explorer.metagraph.with(|m| {
            m.as_ref()
                .map(|m| rows(m, bt_core::ss58::bittensor))
                .unwrap_or_default()
        })
    });
    let shown = Memo::new(move |_| {
        let mut shown = filter.with(|f| all_rows.with(|r| f.apply(r)));
        let (column, descending) = order.get();
        sort(&mut shown, column, descending);
        shown
    });
    let export = move |make: fn(&bt_core::metagraph::Metagraph, &[Row]) -> Export| {
        explorer.metagraph.with_untracked(|m| {
            if let Some(m) = m {
                let _ = download(&make(m, &shown.get_untracked()));
            }
        })
    };
    // The header's first row: which columns are whose.
    let groups = move || {
        let mecid = explorer.mecid.get();
        let mut groups: Vec<(Scope, usize)> = Vec::new();
        for c in Column::SHOWN {
            match groups.last_mut() {
                Some((s, n)) if *s == c.scope() => *n += 1,
                _ => groups.push((c.scope(), 1)),
            }
        }
        groups
            .into_iter()
            .map(|(scope, span)| {
                let (text, class, title) = match scope {
                    Scope::Neuron => (String::new(), "scope", String::new()),
                    Scope::Mechanism => (
                        format!("mechanism {mecid}"),
                        "scope mech",
                        format!("stored per mechanism, at {mecid}·4096 + netuid"),
                    ),
                    Scope::Subnet => (
                        "all mechanisms".to_string(),
                        "scope subnet",
                        "the subnet's aggregate, stored at [netuid]: each mechanism weighted by its emission share".to_string(),
                    ),
                };
                view! { <th colspan=span class=class title=title>{text}</th> }
            })
            .collect_view()
    };

    view! {
        <section id="neurons">
            <h2>"Neurons"</h2>
            <div class="controls">
                <input id="filter" type="search" placeholder="filter: uid, hotkey or axon"
                    prop:value=move || filter.with(|f| f.text.clone())
                    on:input=move |ev| filter.update(|f| f.text = event_target_value(&ev))/>
                <label>
                    <input type="checkbox" on:change=move |ev| filter.update(|f| f.permit_only = event_target_checked(&ev))/>
                    " validators"
                </label>
                <label>
                    <input type="checkbox" on:change=move |ev| filter.update(|f| f.serving_only = event_target_checked(&ev))/>
                    " serving"
                </label>
                <span class="count">{move || format!("{} of {}", shown.with(Vec::len), all_rows.with(Vec::len))}</span>
                <button id="export-table-csv" on:click=move |_| export(table_csv)>"CSV"</button>
                <button id="export-table-json" on:click=move |_| export(table_json)>"JSON"</button>
            </div>
            <div class="scroll">
                <table id="neurons-table">
                    <thead>
                        <tr class="groups">{groups}</tr>
                        <tr>
                            {Column::SHOWN
                                .iter()
                                .map(|&column| {
                                    let arrow = move || match order.get() {
                                        (c, false) if c == column => " ▲",
                                        (c, true) if c == column => " ▼",
                                        _ => "",
                                    };
                                    view! {
                                        <th title=column.help() on:click=move |_| order.update(|(c, desc)| {
                                            if *c == column { *desc = !*desc } else { *c = column; *desc = !matches!(column, Column::Uid | Column::Prune) }
                                        })>
                                            {column.title()}{arrow}
                                        </th>
                                    }
                                })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let focus = explorer.focus.get();
                            shown
                                .get()
                                .into_iter()
                                .map(|row| {
                                    let uid = row.uid;
                                    view! {
                                        <tr data-uid=uid class:focus={focus == Some(uid)}
                                            on:click=move |_| explorer.focus.set(Some(uid))>
                                            {Column::SHOWN
                                                .iter()
                                                .map(|&column| {
                                                    let text = column.cell(&row);
                                                    match column {
                                                        Column::Hotkey => view! {
                                                            <td class="hotkey" title=row.hotkey.clone() data-hotkey=row.hotkey.clone()>
                                                                {text}" "<CopyButton text=row.hotkey.clone()/>
                                                            </td>
                                                        }.into_any(),
                                                        Column::Stake => view! {
                                                            <td title=format!("{} α + TaoWeight × {} τ (root)", tokens(row.alpha_stake), tokens(row.tao_stake))>{text}</td>
                                                        }.into_any(),
                                                        _ => view! { <td>{text}</td> }.into_any(),
                                                    }
                                                })
                                                .collect_view()}
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
