//! Time: read the subnet at any past block (a block number, or an epoch picked on the slider
//! over the last N epochs), back to the newest block, and how many epochs the history reads,
//! with the read's progress.

use leptos::prelude::*;

use crate::live::{Explorer, Progress};

/// The progress of a longer read, as a `<progress>` bar and a sentence.
pub fn progress_view(progress: Progress, what: &'static str) -> AnyView {
    match progress {
        Progress::Idle => ().into_any(),
        Progress::Finding => view! {
            <span class="info"><progress></progress>{format!(" finding the {what}…")}</span>
        }
        .into_any(),
        Progress::Reading { done, total } => view! {
            <span class="info"><progress value=done max=total></progress>
                {format!(" reading {what}: {done} of {total} blocks…")}</span>
        }
        .into_any(),
        Progress::Done(ms) => {
            view! { <span class="count" data-ms=ms>{format!("{what} read in {ms} ms")}</span> }
                .into_any()
        }
        Progress::Failed(e) => {
            view! { <span class="error">{format!("{what}: {e}")}</span> }.into_any()
        }
    }
}

/// Block picker, epoch slider, history length.
#[component]
pub fn TimeBar() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let typed = RwSignal::new(String::new());
    let blocks = move || {
        explorer
            .history
            .with(|h| h.as_ref().map(|h| h.blocks()).unwrap_or_default())
    };
    let blocks_attr = move || {
        let blocks: Vec<String> = blocks().iter().map(u64::to_string).collect();
        blocks.join(",")
    };
    // The slider's position: the epoch shown, or the newest.
    let position = move || {
        let blocks = blocks();
        let shown = explorer.metagraph.with(|m| m.as_ref().map(|m| m.block));
        shown
            .and_then(|b| blocks.iter().position(|&e| e == b))
            .unwrap_or(blocks.len().saturating_sub(1))
    };
    view! {
        <div id="time" class="controls">
            <form id="block-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if let Ok(b) = typed.get_untracked().trim().parse::<u64>() {
                    explorer.pin(Some(b));
                }
            }>
                <label for="block-input">"Block "</label>
                <input id="block-input" type="number" min="0" placeholder="newest"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))/>
                <button type="submit" id="block-go">"read"</button>
                <button type="button" id="block-newest" class:active=move || explorer.pinned.get().is_none()
                    on:click=move |_| { typed.set(String::new()); explorer.pin(None) }>"newest"</button>
            </form>
            <label for="epoch-slider">" Epoch "</label>
            <input id="epoch-slider" type="range" min="0" step="1"
                data-blocks=blocks_attr
                prop:max=move || blocks().len().saturating_sub(1).to_string()
                prop:value=move || position().to_string()
                disabled=move || blocks().is_empty()
                on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                        if let Some(&b) = blocks().get(i) {
                            typed.set(b.to_string());
                            explorer.pin(Some(b));
                        }
                    }
                }/>
            <span id="epoch-label" class="count">
                {move || {
                    let blocks = blocks();
                    match blocks.get(position()) {
                        Some(b) if explorer.pinned.get() == Some(*b) => format!("epoch #{b} ({} of {})", position() + 1, blocks.len()),
                        _ if blocks.is_empty() => "no epochs read".to_string(),
                        _ => format!("{} epochs, #{}–#{}", blocks.len(), blocks[0], blocks[blocks.len() - 1]),
                    }
                }}
            </span>
            <label for="epochs">" History "</label>
            <input id="epochs" type="number" min="1" max="200" class="short"
                prop:value=move || explorer.epochs.get().to_string()
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                        explorer.epochs.set(n.clamp(1, 200));
                        explorer.load_history();
                    }
                }/>
            <span class="count">"epochs"</span>
            <span id="history-progress">{move || progress_view(explorer.history_progress.get(), "history")}</span>
        </div>
    }
}
