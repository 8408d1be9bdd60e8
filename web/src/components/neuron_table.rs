//! The neuron table: sortable by any column, filtered by uid, hotkey or axon, exportable.

use bt_chain::AccountId32;
use leptos::prelude::*;

use crate::components::download::download;
use crate::export::{table_csv, table_json, Export};
use crate::live::Explorer;
use crate::table::{rows, sort, Column, Filter, Row};

/// An SS58 address of a public key.
pub fn ss58(key: &[u8; 32]) -> String {
    AccountId32::from(*key).to_string()
}

/// The table of neurons.
#[component]
pub fn NeuronTable() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let order = RwSignal::new((Column::Uid, false));
    let filter = RwSignal::new(Filter::default());

    let all_rows = Memo::new(move |_| {
        explorer
            .metagraph
            .with(|m| m.as_ref().map(|m| rows(m, ss58)).unwrap_or_default())
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
                <table>
                    <thead>
                        <tr>
                            {Column::ALL
                                .iter()
                                .map(|&column| {
                                    let arrow = move || match order.get() {
                                        (c, false) if c == column => " ▲",
                                        (c, true) if c == column => " ▼",
                                        _ => "",
                                    };
                                    view! {
                                        <th title=column.help() on:click=move |_| order.update(|(c, desc)| {
                                            if *c == column { *desc = !*desc } else { *c = column; *desc = column != Column::Uid }
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
                            shown
                                .get()
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <tr data-uid=row.uid>
                                            {Column::ALL
                                                .iter()
                                                .map(|&column| {
                                                    let text = column.cell(&row);
                                                    if column == Column::Hotkey {
                                                        view! { <td class="hotkey" title=row.hotkey.clone() data-hotkey=row.hotkey.clone()>{text}</td> }.into_any()
                                                    } else {
                                                        view! { <td>{text}</td> }.into_any()
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
