//! The mechanism selector: one button per mechanism with its share of the subnet's emission
//! (`MechanismEmissionSplit`, or even), and what the table's columns then show.

use bt_core::units::percent_text;
use leptos::prelude::*;

use crate::live::Explorer;

/// Mechanism buttons and the emission split.
#[component]
pub fn MechanismBar() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let shares = move || {
        explorer
            .read
            .with(|m| m.as_ref().map(|m| m.emission_shares()).unwrap_or_default())
    };
    view! {
        <div id="mechanisms" class="controls">
            <span class="count">"Mechanism"</span>
            {move || {
                let shown = explorer.mecid.get();
                shares().into_iter().enumerate().map(|(m, share)| {
                    let mecid = u8::try_from(m).unwrap_or(u8::MAX);
                    view! {
                        <button type="button" id=format!("mechanism-{mecid}") class="mechanism" class:active={shown == mecid}
                            data-share=share
                            title=format!("mechanism {mecid}: W, B and incentive of its own; {} of the subnet's emission", percent_text(share))
                            on:click=move |_| explorer.mecid.set(mecid)>
                            {format!("{mecid} · {}", percent_text(share))}
                        </button>
                    }
                }).collect_view()
            }}
            <span class="legend">
                {move || format!(
                    "I, last_update, W and B: mechanism {}'s (Incentive[{}·4096+netuid]); C, D, vtrust, E: the subnet's, each mechanism weighted by its share ([netuid]).",
                    explorer.mecid.get(), explorer.mecid.get())}
            </span>
        </div>
    }
}
