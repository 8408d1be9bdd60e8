//! The endpoint box (with btcli's presets) and the subnet picker.

use leptos::prelude::*;

use crate::live::Explorer;
use crate::route::{resolve, PRESETS};

/// Endpoint input, preset buttons, connect button and netuid picker.
#[component]
pub fn EndpointBar() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let typed = RwSignal::new(explorer.endpoint.get_untracked());
    let input_error = RwSignal::new(None::<String>);

    let connect = move |input: String| match resolve(&input) {
        Ok(url) => {
            input_error.set(None);
            typed.set(url.clone());
            if url != explorer.endpoint.get_untracked() {
                explorer.netuid.set(None);
                explorer.subnets.set(Vec::new());
                explorer.read.set(None);
            }
            explorer.endpoint.set(url);
            explorer.selected.set(None);
            explorer.focus.set(None);
            explorer.pinned.set(None);
            explorer.load();
        }
        Err(e) => input_error.set(Some(e)),
    };

    view! {
        <form id="endpoint-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            connect(typed.get_untracked());
        }>
            <label for="endpoint">"Node "</label>
            <input id="endpoint" type="text" size="30" spellcheck="false"
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))/>
            <button type="submit">"Connect"</button>
            {PRESETS
                .iter()
                .map(|&name| {
                    view! {
                        <button type="button" class="preset" on:click=move |_| connect(name.to_string())>
                            {name}
                        </button>
                    }
                })
                .collect_view()}
            <label for="netuid">" Subnet "</label>
            <select id="netuid" on:change=move |ev| {
                if let Ok(netuid) = event_target_value(&ev).parse::<u16>() {
                    explorer.open_subnet(netuid);
                }
            }>
                {move || {
                    let current = explorer.netuid.get();
                    explorer
                        .subnets
                        .get()
                        .into_iter()
                        .map(|s| {
                            let n = s.netuid;
                            view! {
                                <option value=n.to_string() selected=current == Some(n)>
                                    {if n == 0 { "0 (root)".to_string() } else { n.to_string() }}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            <Show when=move || input_error.get().is_some()>
                <span class="input-error">{move || input_error.get().unwrap_or_default()}</span>
            </Show>
        </form>
    }
}
