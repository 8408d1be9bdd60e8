//! The core's epoch equals the chain's, value for value, on varied subnets of the real runtime
//! (spec 425, and spec 385): for every epoch after the validators' first weights, the core
//! recomputes it from the state of the block before and every stored value matches —
//! consensus, incentive per mechanism, dividends, validator trust, emission, stake weight,
//! permits, active, bonds per mechanism — with non-zero incentive and dividends.
//!
//! The subnets, all on one node (their epochs fall where they fall, some deferred by the
//! chain's two-epochs-per-block cap):
//! - Yuma2, one mechanism: four validators, one staked below `StakeThreshold`; the owner's uid
//!   weights itself (425: the owner passes the stake threshold from spec 397); a validator weights itself too (masked); a validator stops weighting (and,
//!   on 425, goes inactive: the activity cutoff is five tempos); a miner registers mid-way;
//! - Yuma3 with liquid alpha, two mechanisms split 20000:45535;
//! - Yuma3, hash commit-reveal on (the commit-block column mask), a miner registering mid-way;
//! - Yuma2 with liquid alpha (no effect under Yuma2), two mechanisms split evenly, eight
//!   validators.

use std::path::Path;
use std::time::Duration;

use bt_chain::bootstrap::{
    bootstrap, dev_key, dispatch_as_each, register_neurons, runtime_call, sudo, BootstrapConfig,
    Subnet, MINER_COLDKEY, OWNER_COLDKEY,
};
use bt_chain::localnet::{new_block, Localnet, LocalnetConfig, VendoredSpec};
use bt_chain::weights::{
    commit_weights_call, reveal_weights_call, set_weights_call, Target, WeightsToSet,
};
use bt_chain::{metagraph, Chain, RevealError, TxError};
use scale_value::Value;
use subxt_signer::sr25519::Keypair;

/// One subnet of the run.
struct Scenario {
    config: BootstrapConfig,
    /// The owner's uid sets a self-weight.
    owner_self_weight: bool,
    /// This validator puts itself in its weights.
    self_weighting: Option<usize>,
    /// This validator sets weights only in the first round.
    stops: Option<usize>,
    /// A miner registers after the first round and is weighted from then on.
    late_miner: bool,
    /// A five-tempo activity cutoff (spec 425's `set_activity_cutoff_factor(5000)`): the
    /// validator that stops weighting goes inactive within the run, the others stay active.
    short_activity: bool,
}

fn scenarios() -> Vec<Scenario> {
    let base = |prefix: &str, stakes: Vec<u64>, miners: u16| BootstrapConfig {
        key_prefix: prefix.into(),
        validator_stakes_tao: stakes,
        miners,
        ..BootstrapConfig::default()
    };
    vec![
        Scenario {
            // The last validator stakes 1 TAO: far below the 10 α threshold.
            config: base("fy2", vec![1000, 600, 300, 1], 4),
            owner_self_weight: true,
            self_weighting: Some(1),
            stops: Some(2),
            late_miner: true,
            short_activity: true,
        },
        Scenario {
            config: BootstrapConfig {
                yuma3: true,
                liquid_alpha: true,
                mechanisms: 2,
                emission_split: Some(vec![20000, 45535]),
                ..base("fy3la", vec![800, 400, 200], 4)
            },
            owner_self_weight: false,
            self_weighting: None,
            stops: None,
            late_miner: false,
            short_activity: false,
        },
        Scenario {
            config: BootstrapConfig {
                yuma3: true,
                commit_reveal: true,
                ..base("fy3cr", vec![900, 300, 100], 3)
            },
            owner_self_weight: false,
            self_weighting: None,
            stops: None,
            late_miner: true,
            short_activity: false,
        },
        Scenario {
            config: BootstrapConfig {
                liquid_alpha: true,
                mechanisms: 2,
                ..base("fy2m", vec![500, 400, 300, 250, 200, 100, 60, 40], 3)
            },
            owner_self_weight: false,
            self_weighting: None,
            stops: None,
            late_miner: false,
            short_activity: false,
        },
    ]
}

/// A hash commit waiting for its reveal epoch.
struct Pending {
    key: Keypair,
    target: Target,
    weights: WeightsToSet,
    salt: Vec<u16>,
}

/// A subnet while the run goes on.
struct Live {
    scenario: Scenario,
    subnet: Subnet,
    miners: Vec<u16>,
    first_weights_block: Option<u64>,
    pending: Vec<Pending>,
}

/// Weights for round `round` of validator `v`: every miner, a preference that rotates with
/// the round (so bonds move), and the validator itself when it self-weights.
fn weights_for(live: &Live, v: usize, round: usize, mecid: u8) -> WeightsToSet {
    let mut uids = live.miners.clone();
    let m = uids.len();
    let mut values: Vec<u16> = (0..m)
        .map(|j| {
            let rank = (j + round + v + usize::from(mecid) * 2) % m;
            65535 - (rank * 50_000 / m) as u16
        })
        .collect();
    if live.scenario.self_weighting == Some(v) {
        uids.push(live.subnet.validators[v].uid);
        values.push(30_000);
    }
    WeightsToSet {
        uids,
        values,
        version_key: 0,
    }
}

/// Round `round` of one subnet: registrations, then every active validator's weights in every
/// mechanism (set, or committed by hash under commit-reveal), each signed by the validator's
/// own origin, all in one block.
async fn play_round(chain: &Chain, live: &mut Live, round: usize, owner_rules: bool) {
    let netuid = live.subnet.netuid;
    if round == 1 && live.scenario.late_miner {
        let key = dev_key(&format!("//{}-late-miner", live.scenario.config.key_prefix)).unwrap();
        let uids = register_neurons(chain, netuid, &dev_key(MINER_COLDKEY).unwrap(), &[&key])
            .await
            .expect("a late miner registers");
        live.miners.extend(uids);
    }
    let threshold = live.scenario.config.stake_threshold;
    let mut calls: Vec<(Keypair, Value)> = Vec::new();
    for (v, member) in live.subnet.validators.iter().enumerate() {
        if member.alpha_stake < threshold || (round > 0 && live.scenario.stops == Some(v)) {
            continue;
        }
        let key = dev_key(&member.uri).unwrap();
        for mecid in 0..live.scenario.config.mechanisms {
            let target = Target { netuid, mecid };
            let w = weights_for(live, v, round, mecid);
            let call = if live.scenario.config.commit_reveal {
                let salt = vec![round as u16, v as u16, u16::from(mecid), 7];
                let call = commit_weights_call(chain, &key.public_key().0, target, &w, &salt)
                    .await
                    .expect("a commit call");
                live.pending.push(Pending {
                    key: key.clone(),
                    target,
                    weights: w,
                    salt,
                });
                call
            } else {
                set_weights_call(chain, target, &w)
                    .await
                    .expect("a weights call")
            };
            calls.push((key.clone(), call.runtime_call()));
        }
    }
    // The owner's uid may weight itself below the stake threshold from spec 397 on.
    if live.scenario.owner_self_weight && owner_rules {
        let w = WeightsToSet {
            uids: vec![live.subnet.owner.uid],
            values: vec![65535],
            version_key: 0,
        };
        let call = set_weights_call(chain, Target::subnet(netuid), &w)
            .await
            .unwrap();
        calls.push((
            dev_key(&live.subnet.owner.uri).unwrap(),
            call.runtime_call(),
        ));
    }
    let refs: Vec<(&Keypair, Value)> = calls.iter().map(|(k, c)| (k, c.clone())).collect();
    let results = dispatch_as_each(chain, &dev_key(OWNER_COLDKEY).unwrap(), &refs)
        .await
        .expect("the round's weights");
    for (i, r) in results.into_iter().enumerate() {
        r.unwrap_or_else(|e| panic!("subnet {netuid}, round {round}, call {i}: {e}"));
    }
    if !live.scenario.config.commit_reveal {
        let head = chain.best_number().await.unwrap();
        live.first_weights_block.get_or_insert(head);
    }
}

/// Reveals the commits whose reveal epoch has come, in one block; the others wait.
async fn reveal_due(chain: &Chain, live: &mut Live) {
    if live.pending.is_empty() {
        return;
    }
    let mut calls = Vec::new();
    for p in &live.pending {
        let call = reveal_weights_call(chain, p.target, &p.weights, &p.salt)
            .await
            .expect("a reveal call");
        calls.push((&p.key, call.runtime_call()));
    }
    let results = dispatch_as_each(chain, &dev_key(OWNER_COLDKEY).unwrap(), &calls)
        .await
        .expect("the reveals");
    let head = chain.best_number().await.unwrap();
    let mut waiting = Vec::new();
    for (p, r) in live.pending.drain(..).zip(results) {
        match r {
            Ok(()) => {
                live.first_weights_block.get_or_insert(head);
            }
            Err(TxError::Reveal(RevealError::TooEarly)) => waiting.push(p),
            Err(e) => panic!("reveal on subnet {}: {e}", live.subnet.netuid),
        }
    }
    live.pending = waiting;
}

/// Builds blocks until every subnet has run an epoch since now, revealing what is due.
async fn next_epochs(chain: &Chain, lives: &mut [Live]) {
    let mut marks = Vec::new();
    for live in lives.iter() {
        let mg = metagraph::sync(chain, live.subnet.netuid, None)
            .await
            .unwrap();
        marks.push(mg.schedule.last_epoch_block);
    }
    for _ in 0..40 {
        new_block(chain).await.unwrap();
        let mut all = true;
        for (live, mark) in lives.iter_mut().zip(&marks) {
            reveal_due(chain, live).await;
            let mg = metagraph::sync(chain, live.subnet.netuid, None)
                .await
                .unwrap();
            all &= mg.schedule.last_epoch_block > *mark;
        }
        if all {
            return;
        }
    }
    panic!("some subnet ran no epoch in 40 blocks");
}

/// Replays every epoch of `netuid` from the best block back to `since`, newest first.
async fn replay_epochs_since(
    chain: &Chain,
    netuid: u16,
    since: u64,
) -> Vec<bt_core::replay::Replay> {
    let mut out = Vec::new();
    let mut at = chain.best_number().await.unwrap();
    loop {
        let r = metagraph::replay_last_epoch(chain, netuid, Some(at))
            .await
            .expect("replay");
        if r.epoch_block <= since {
            return out;
        }
        at = r.epoch_block - 1;
        out.push(r);
    }
}

async fn fidelity(spec: &str) {
    let repo = LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut config = LocalnetConfig::for_repo(&repo);
    config.chain_spec = VendoredSpec::by_name(spec).unwrap().path(&repo);
    let node = Localnet::start(&config).await.expect("local chain");
    let chain = Chain::connect(&node.endpoint(), Duration::from_secs(60))
        .await
        .unwrap();
    let alice = dev_key(OWNER_COLDKEY).unwrap();
    let dynamic_tempo = spec == "425";

    let mut lives = Vec::new();
    for scenario in scenarios() {
        let subnet = bootstrap(&chain, &scenario.config)
            .await
            .expect("bootstrap");
        if scenario.short_activity && dynamic_tempo {
            let call = runtime_call(
                "SubtensorModule",
                "set_activity_cutoff_factor",
                vec![Value::u128(u128::from(subnet.netuid)), Value::u128(5000)],
            );
            sudo(&chain, &alice, call, "set_activity_cutoff_factor")
                .await
                .expect("a five-tempo activity cutoff");
        }
        lives.push(Live {
            miners: subnet.miners.iter().map(|m| m.uid).collect(),
            scenario,
            subnet,
            first_weights_block: None,
            pending: Vec::new(),
        });
    }
    for round in 0..3 {
        for live in lives.iter_mut() {
            play_round(&chain, live, round, dynamic_tempo).await;
        }
        next_epochs(&chain, &mut lives).await;
    }
    next_epochs(&chain, &mut lives).await;

    let mut report = Vec::new();
    for live in &lives {
        let netuid = live.subnet.netuid;
        let since = live.first_weights_block.expect("weights landed");
        let replays = replay_epochs_since(&chain, netuid, since).await;
        assert!(
            replays.len() >= 3,
            "{}: {} epochs after the first weights",
            live.scenario.config.key_prefix,
            replays.len()
        );
        for r in &replays {
            let nonzero = |name: &str| {
                r.columns
                    .iter()
                    .filter(|c| c.name.starts_with(name))
                    .any(|c| c.chain.iter().any(|&x| x > 0))
            };
            assert!(
                r.matches() && r.rao_emission_found,
                "spec {spec}, {} (netuid {netuid}), epoch at block {}: {r:#?}",
                live.scenario.config.key_prefix,
                r.epoch_block
            );
            assert!(nonzero("incentive") && nonzero("dividends"), "{r:#?}");
        }
        report.push(serde_json::json!({
            "subnet": live.scenario.config.key_prefix,
            "netuid": netuid,
            "epochs_equal": replays.iter().map(|r| r.epoch_block).collect::<Vec<_>>(),
        }));
    }
    println!("FIDELITY spec {spec}: {}", serde_json::Value::Array(report));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_equals_the_chain_on_spec_425() {
    fidelity("425").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_equals_the_chain_on_spec_385() {
    fidelity("385").await;
}
