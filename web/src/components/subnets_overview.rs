//! The chain's subnets: n, tempo, commit-reveal, epoch rule (Null consensus on spec 475, else
//! the Yuma version), mechanisms and the block of their last epoch; clicking one opens it.

use leptos::prelude::*;

use crate::live::Explorer;

/// The subnets overview (a collapsible section).
#[component]
pub fn SubnetsOverview() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    view! {
        <section id="subnets">
            <details open>
                <summary><h2>{move || format!("Subnets ({})", explorer.subnets.with(Vec::len))}</h2></summary>
                <div class="scroll short">
                    <table id="subnets-table">
                        <thead><tr>
                            <th title="the subnet's id">"netuid"</th>
                            <th title="SubnetworkN: uids registered">"n"</th>
                            <th title="Tempo: blocks between epochs">"tempo"</th>
                            <th title="CommitRevealWeightsEnabled">"commit-reveal"</th>
                            <th title="SubnetEpochConsensus (spec 475): Null, no Yuma; else Yuma3On: Yuma3 bonds and dividends, or Yuma2">"consensus"</th>
                            <th title="MechanismCountCurrent">"mechanisms"</th>
                            <th title="LastEpochBlock: the block of its last epoch">"last epoch"</th>
                        </tr></thead>
                        <tbody>
                            {move || {
                                let current = explorer.netuid.get();
                                explorer.subnets.get().into_iter().map(|s| {
                                    let netuid = s.netuid;
                                    view! {
                                        <tr data-netuid=netuid class="clickable" class:focus={current == Some(netuid)} class:null={s.null}
                                            title="open this subnet"
                                            on:click=move |_| explorer.open_subnet(netuid)>
                                            <td>{if netuid == 0 { "0 (root)".to_string() } else { netuid.to_string() }}</td>
                                            <td>{s.n}</td>
                                            <td>{s.tempo}</td>
                                            <td>{if s.commit_reveal { "on" } else { "off" }}</td>
                                            <td>{s.yuma()}</td>
                                            <td>{s.mechanisms}</td>
                                            <td>{if s.last_epoch_block == 0 { "none yet".to_string() } else { format!("#{}", s.last_epoch_block) }}</td>
                                        </tr>
                                    }
                                }).collect_view()
                            }}
                        </tbody>
                    </table>
                </div>
            </details>
        </section>
    }
}
