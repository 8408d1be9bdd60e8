//! A button that copies a text (a hotkey) whole to the clipboard, and says whether it did.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

/// What the button last did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copied {
    Not,
    Yes,
    Failed,
}

/// A copy icon that copies `text`; then shows "copied" (or that the browser refused: the text is
/// selectable next to it).
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
) -> impl IntoView {
    let state = RwSignal::new(Copied::Not);
    let copy = move |_| {
        let Some(window) = web_sys::window() else {
            state.set(Copied::Failed);
            return;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        spawn_local(async move {
            state.set(if JsFuture::from(promise).await.is_ok() {
                Copied::Yes
            } else {
                Copied::Failed
            });
        });
    };
    view! {
        <button type="button" class="copy" title="copy the whole hotkey"
            data-copied=move || match state.get() { Copied::Yes => "yes", Copied::Failed => "failed", Copied::Not => "" }
            on:click=move |ev| { ev.stop_propagation(); copy(ev) }>
            {move || match state.get() {
                Copied::Not => view! {
                    <svg class="icon" viewBox="0 0 12 12" width="11" height="11" aria-label="copy">
                        <rect x="3.5" y="0.5" width="8" height="8" rx="1"></rect>
                        <path d="M2 3.5H1.5a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h6a1 1 0 0 0 1-1V10"></path>
                    </svg>
                }.into_any(),
                Copied::Yes => "copied".into_any(),
                Copied::Failed => "select to copy".into_any(),
            }}
        </button>
    }
}
