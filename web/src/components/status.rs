//! The block indicator and the loading / error banner.

use leptos::prelude::*;

use crate::live::{Explorer, Status};
use crate::rules::{header_text, subnet_rules};

/// "block #N" of the data shown, updated on every new block; when a past block is shown,
/// the newest block the node announced next to it.
#[component]
pub fn BlockIndicator() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let block = move || explorer.metagraph.with(|m| m.as_ref().map(|m| m.block));
    view! {
        <span id="block" class:live=move || explorer.status.get() == Status::Live
            class:pinned=move || matches!(explorer.status.get(), Status::Pinned(_))>
            {move || match block() {
                Some(b) => format!("block #{b}"),
                None => "block —".to_string(),
            }}
        </span>
        <span id="head" class="count">
            {move || match (explorer.pinned.get(), explorer.head.get()) {
                (Some(_), Some(head)) => format!("(past block; the chain is at #{head})"),
                (Some(_), None) => "(past block)".to_string(),
                _ => String::new(),
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
                    view! { <p class="info"><progress></progress>{format!(" Connecting to {endpoint}…")}</p> }.into_any()
                }
                Status::ListingSubnets => {
                    view! { <p class="info"><progress></progress>" Reading the list of subnets…"</p> }.into_any()
                }
                Status::Loading(netuid, block) => {
                    let at = block.map(|b| format!(" at block #{b}")).unwrap_or_default();
                    view! { <p class="info"><progress></progress>{format!(" Reading subnet {netuid}{at}…")}</p> }.into_any()
                }
                Status::Live | Status::Pinned(_) => {
                    let pinned = matches!(explorer.status.get(), Status::Pinned(_));
                    let shown = explorer.metagraph.with(|m| m.as_ref().map(|m| (header_text(m, pinned), subnet_rules(m))));
                    match shown {
                        Some((what, rules)) => view! {
                            <p class="ok" id="subnet-header" data-rule=rules.rule>{what}</p>
                            <p id="subnet-rules" class="legend" class:null=rules.null>{rules.text}</p>
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
