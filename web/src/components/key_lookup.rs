//! Any hotkey or coldkey across subnets: a box for an SS58 key (kept in the page URL as
//! `lookup=`); the page reads only what it needs (`OwnedHotkeys`, `IsNetworkMember` by prefix,
//! `Uids`, and the vectors of the subnets found; `bt_chain::lookup`) and lists every uid with
//! its stake, incentive, dividends, emission, permit and last update. A click on a row opens
//! that subnet.

use leptos::prelude::*;
use leptos::task::spawn_local;

use bt_chain::lookup::{lookup, KeyLookup};

use crate::live::{explain, open, Explorer};
use crate::lookup::parse_key;
use crate::table::{proportion, short_address, tokens};

/// The lookup section.
#[component]
pub fn KeyLookupPanel() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let draft = RwSignal::new(explorer.lookup_key.get_untracked().unwrap_or_default());
    let found: RwSignal<Option<Result<KeyLookup, String>>> = RwSignal::new(None);

    Effect::new(move |_| {
        let key = explorer.lookup_key.get();
        let endpoint = explorer.endpoint.get();
        found.set(None);
        let Some(key) = key else { return };
        let account = match parse_key(&key) {
            Ok(account) => account,
            Err(message) => {
                found.set(Some(Err(message)));
                return;
            }
        };
        spawn_local(async move {
            let result = match open(&endpoint).await {
                Ok(chain) => lookup(&chain, &account).await,
                Err(e) => Err(e),
            };
            if explorer.lookup_key.get_untracked().as_deref() != Some(key.as_str()) {
                return;
            }
            found.set(Some(result.map_err(|e| {
                let (message, hint) = explain(&e, &endpoint);
                format!("{message}. {hint}")
            })));
        });
    });
    let apply = move || {
        let key = draft.get_untracked().trim().to_string();
        explorer.lookup_key.set((!key.is_empty()).then_some(key));
    };

    view! {
        <section id="lookup">
            <h2>"Find a key"</h2>
            <div class="controls">
                <input id="lookup-key" type="search" placeholder="hotkey or coldkey (SS58): every subnet where it is registered"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { apply() }/>
                <button id="lookup-go" on:click=move |_| apply()>"Find"</button>
            </div>
            {move || match found.get() {
                None => ().into_any(),
                Some(Err(message)) => view! { <p id="lookup-error" class="error">{message}</p> }.into_any(),
                Some(Ok(k)) => {
                    let owned = k.owned_hotkeys.len();
                    view! {
                        <p id="lookup-summary" data-count=k.placements.len()>{format!(
                            "at block #{}: {} uid(s){}",
                            k.block,
                            k.placements.len(),
                            if owned > 0 { format!(" (a coldkey with {owned} hotkey(s))") } else { String::new() }
                        )}</p>
                        <div class="scroll">
                        <table id="lookup-table">
                            <thead><tr>
                                <th>"netuid"</th><th>"uid"</th><th>"hotkey"</th><th title="TotalHotkeyAlpha: its own α on the subnet">"stake α"</th>
                                <th title="Incentive, mechanism 0">"I"</th><th title="Dividends">"D"</th><th title="Emission (α)">"E α"</th>
                                <th>"permit"</th><th title="LastUpdate, mechanism 0">"last_update"</th>
                            </tr></thead>
                            <tbody>
                                {k.placements.into_iter().map(|p| {
                                    let netuid = p.netuid;
                                    let hotkey = bt_core::ss58::bittensor(&p.hotkey);
                                    view! {
                                        <tr data-netuid=netuid data-uid=p.uid data-hotkey=hotkey.clone() data-stake=p.alpha_stake
                                            data-incentive=p.incentive data-dividends=p.dividends data-emission=p.emission
                                            data-permit=p.validator_permit.to_string() data-last-update=p.last_update
                                            on:click=move |_| explorer.open_subnet(netuid)>
                                            <td>{netuid}</td><td>{p.uid}</td>
                                            <td title=hotkey.clone()>{short_address(&hotkey)}</td>
                                            <td>{tokens(p.alpha_stake)}</td><td>{proportion(p.incentive)}</td>
                                            <td>{proportion(p.dividends)}</td><td>{tokens(p.emission)}</td>
                                            <td>{if p.validator_permit { "yes" } else { "no" }}</td><td>{p.last_update}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
