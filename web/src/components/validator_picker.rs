//! The validator drop-down shared by the validator view and the what-if: both show, and set,
//! the one selected validator.

use leptos::prelude::*;

use crate::live::Explorer;
use crate::validator_row::validator_uids;

/// A labelled `<select id=…>` of the subnet's validators, bound to `Explorer::selected`.
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
                        .with(|m| m.as_ref().map(|m| validator_uids(m)).unwrap_or_default())
                        .into_iter()
                        .map(|uid| view! { <option value=uid.to_string() selected=selected == Some(uid)>{uid.to_string()}</option> })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
