//! The block indicator and the loading / error banner.

use leptos::prelude::*;

use crate::live::{Explorer, Status};

/// "block #N" of the data shown, updated on every new block.
#[component]
pub fn BlockIndicator() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let block = move || explorer.metagraph.with(|m| m.as_ref().map(|m| m.block));
    view! {
        <span id="block" class:live=move || explorer.status.get() == Status::Live>
            {move || match block() {
                Some(b) => format!("block #{b}"),
                None => "block —".to_string(),
            }}
        </span>
    }
}

/// What the page is doing, or what went wrong and what to do.
#[component]
pub fn StatusBanner() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    view! {
        <div id="status">
            {move || match explorer.status.get() {
                Status::Connecting(endpoint) => {
                    view! { <p class="info">{format!("Connecting to {endpoint}…")}</p> }.into_any()
                }
                Status::Loading(netuid) => {
                    view! { <p class="info">{format!("Reading subnet {netuid}…")}</p> }.into_any()
                }
                Status::Live => {
                    let spec = explorer.metagraph.with(|m| m.as_ref().map(|m| (m.netuid, m.n(), m.spec_version)));
                    match spec {
                        Some((netuid, n, spec)) => view! {
                            <p class="ok">{format!("Subnet {netuid}: {n} uids, runtime spec {spec}; following new blocks.")}</p>
                        }.into_any(),
                        None => ().into_any(),
                    }
                }
                Status::Retrying(reason) => {
                    view! { <p class="warn">{format!("Showing the last block read; retrying on the next block: {reason}")}</p> }.into_any()
                }
                Status::Failed { message, hint } => {
                    view! {
                        <div class="error" role="alert">
                            <p><strong>{message}</strong></p>
                            <p>{hint}</p>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}
