//! The validator drop-down shared by the validator view and the what-if: both show, and set,
//! the one selected validator.

use leptos::prelude::*;

use crate::live::Explorer;
use crate::table::tokens;
use crate::validator_row::validator_uids;

/// A labelled `<select id=…>` of the subnet's validators (with their stake), bound to
/// `Explorer::selected`.
#[component]
pub fn ValidatorPicker(
    /// The select element's id.
    id: &'static str,
) -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    view! {
        <label>"Validator "
            <select id=id on:change=move |ev| explorer.selected.set(event_target_value(&ev).parse().ok())>
                {move || {
                    let selected = explorer.selected.get();
                    explorer
                        .metagraph
                        .with(|m| {
                            m.as_ref()
                                .map(|m| {
                                    validator_uids(m)
                                        .into_iter()
                                        .map(|uid| {
                                            let stake = m.neurons.get(usize::from(uid)).map(|n| n.total_stake).unwrap_or(0);
                                            (uid, format!("{uid} ({} α)", tokens(stake)))
                                        })
                                        .collect::<Vec<_>>()
                                })
                                .unwrap_or_default()
                        })
                        .into_iter()
                        .map(|(uid, label)| view! { <option value=uid.to_string() selected=selected == Some(uid)>{label}</option> })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
