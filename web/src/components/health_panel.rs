//! Health flags of the subnet shown (the selected mechanism): validators whose weights are
//! older than the activity cutoff or a threshold of one's choosing (with the number of
//! blocks), uids without a permit that still set weights, permit holders without weights,
//! miners nobody weights, and how concentrated incentive and emission are (Gini, top-10
//! share), all from `bt_core::health`; the uid the chain prunes next (`bt_core::pruning`) and
//! the commits that expired unrevealed (`crate::commits`).

use bt_core::health::health;
use leptos::prelude::*;

use crate::commits::pending_commits;
use crate::live::Explorer;
use crate::table::tokens;

fn uid_list(uids: &[u16]) -> String {
    if uids.is_empty() {
        "none".to_string()
    } else {
        uids.iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The health section.
#[component]
pub fn HealthPanel() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    // Blocks; None: the subnet's activity cutoff.
    let threshold = RwSignal::new(None::<u64>);
    let flags = Memo::new(move |_| {
        let t = threshold.get();
        explorer
            .metagraph
            .with(|m| m.as_ref().map(|m| health(m, t)))
    });
    let next_pruned = Memo::new(move |_| {
        explorer.read.with(|m| {
            let m = m.as_ref()?;
            let rules = m.registration.as_ref()?;
            Some(bt_core::pruning::get_neuron_to_prune(m, rules))
        })
    });
    let expired = Memo::new(move |_| {
        let round = explorer.last_stored_round.get();
        explorer.read.with(|m| {
            m.as_ref()
                .map(|m| {
                    pending_commits(m, round)
                        .into_iter()
                        .filter(|c| c.expired)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let prune_text = move || {
        match next_pruned.get() {
        Some(Some(uid)) => format!("next to be pruned: uid {uid}"),
        Some(None) => "next to be pruned: none (every uid is owner-immortal, or the free uids are at MinNonImmuneUids with no immune uid to take)".to_string(),
        None => String::new(),
    }
    };
    let prune_detail = move || {
        explorer.read.with(|m| {
            m.as_ref().map(|m| {
                let full = m.n() >= usize::from(m.hyperparams.max_allowed_uids);
                format!(
                    " — {} of {} uids{}; immunity {} blocks",
                    m.n(),
                    m.hyperparams.max_allowed_uids,
                    if full {
                        ", full: the next registration replaces it"
                    } else {
                        ", not full: a registration takes a new uid"
                    },
                    m.hyperparams.immunity_period
                )
            })
        })
    };

    view! {
        <section id="health">
            <h2>{move || format!("Health, mechanism {}", explorer.mecid.get())}</h2>
            <div class="controls">
                <label for="stale-threshold">"Stale after "</label>
                <input id="stale-threshold" type="number" min="0" class="short"
                    placeholder=move || flags.with(|f| f.as_ref().map(|f| f.threshold.to_string())).unwrap_or_default()
                    prop:value=move || threshold.get().map(|t| t.to_string()).unwrap_or_default()
                    on:change=move |ev| threshold.set(event_target_value(&ev).trim().parse().ok())/>
                <span class="count">{move || flags.with(|f| f.as_ref().map(|f| if f.threshold_is_cutoff {
                    format!("blocks (the activity cutoff, {} blocks: older weights no longer count)", f.threshold)
                } else {
                    format!("blocks (chosen; the activity cutoff is {})", explorer.metagraph.with(|m| m.as_ref().map(|m| m.hyperparams.activity_cutoff).unwrap_or(0)))
                })).unwrap_or_default()}</span>
            </div>
            {move || flags.get().map(|f| {
                let stale_count = f.stale.len();
                view! {
                    <dl class="flags">
                        <dt class:warn={stale_count > 0}>{format!("Stale weights: {stale_count}")}</dt>
                        <dd id="health-stale">
                            {if f.stale.is_empty() { view! { <span>"none"</span> }.into_any() } else {
                                view! { <ul>{f.stale.iter().map(|s| view! {
                                    <li data-uid=s.uid data-blocks=s.blocks_ago>{format!(
                                        "uid {}: last weights at #{}, {} blocks ago{} · {} α",
                                        s.uid, s.last_update, s.blocks_ago,
                                        if s.permit { "" } else { " (no permit)" },
                                        tokens(s.stake))}</li>
                                }).collect_view()}</ul> }.into_any()
                            }}
                        </dd>
                        <dt class:warn={!f.weights_without_permit.is_empty()}>{format!("Weights without a validator permit: {}", f.weights_without_permit.len())}</dt>
                        <dd id="health-no-permit">{if f.weights_without_permit.is_empty() { "none".to_string() } else {
                            f.weights_without_permit.iter().map(|(uid, at)| format!("uid {uid} (#{at})")).collect::<Vec<_>>().join(", ")
                        }}" — the epoch ignores these rows."</dd>
                        <dt>{format!("Permit, no weights: {}", f.permit_without_weights.len())}</dt>
                        <dd id="health-permit-idle">{uid_list(&f.permit_without_weights)}</dd>
                        <dt class:warn={!f.unweighted_miners.is_empty()}>{format!("Miners nobody weights: {}", f.unweighted_miners.len())}</dt>
                        <dd id="health-unweighted">{uid_list(&f.unweighted_miners)}</dd>
                        <dt>"Deregistration"</dt>
                        <dd><span id="health-prune" data-uid=move || next_pruned.get().flatten().map(|u| u.to_string()).unwrap_or_default()>{prune_text}</span>{prune_detail}</dd>
                        <dt class:warn=move || expired.with(|e| !e.is_empty())>{move || format!("Commits expired unrevealed: {}", expired.with(Vec::len))}</dt>
                        <dd id="health-expired-commits">{move || expired.with(|e| if e.is_empty() { "none".to_string() } else {
                            e.iter().map(|c| format!("uid {} (mechanism {}, committed at #{}, reveal epoch {})", c.uid, c.mecid, c.commit_block, c.reveal_epoch)).collect::<Vec<_>>().join(", ")
                        })}</dd>
                        <dt>"Concentration"</dt>
                        <dd id="health-concentration" data-gini=f.incentive.gini data-top10=f.incentive.top10_share>
                            {format!(
                                "incentive over the {} miners (no weights, no permit; {} earn): Gini {:.4}, top-10 share {:.4}; emission over all {} uids: Gini {:.4}, top-10 share {:.4}",
                                f.incentive.count, f.incentive.nonzero, f.incentive.gini, f.incentive.top10_share,
                                f.emission.count, f.emission.gini, f.emission.top10_share)}
                        </dd>
                    </dl>
                }
            })}
        </section>
    }
}
