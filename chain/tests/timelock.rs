//! Commit-reveal v4 against the real subtensor runtime (spec 425) under chopsticks, with the
//! local test beacon as the chain's drand: a timelocked commit is revealed by the chain itself
//! (its `TimelockedWeightsRevealed` event, its W row) where the schedule predicted; a
//! `set_tempo` between commit and reveal moves the reveal (later: still lands; earlier: the
//! round comes too late and the chain drops it); a commit whose pulse never comes is dropped;
//! mechanism 1 of a two-mechanism subnet gets the weights, mechanism 0 does not; and each
//! refusal at commit time is its exact typed error.

use std::path::Path;
use std::time::Duration;

use bt_chain::beacon::TestBeacon;
use bt_chain::bootstrap::{dev_key, sudo_admin, BootstrapConfig, Subnet};
use bt_chain::localnet::{new_blocks, Localnet, LocalnetConfig};
use bt_chain::snapshot::start_bootstrapped;
use bt_chain::timelock::{
    commit_timelocked_weights, plan_commit, submit_timelocked_commit, verify_timelocked,
    DropReason, TimelockOutcome, TimelockedCommit,
};
use bt_chain::weights::{Target, WeightsToSet};
use bt_chain::{drand, metagraph, Chain, ChainError, TxError};
use bt_core::schedule::{epoch_start, ScheduleState};
use scale_value::Value;

/// Chopsticks stamps each block 12 s after its parent (subtensor's slot duration).
const BLOCK_TIME: Duration = Duration::from_secs(12);

/// A node with the test beacon installed and a commit-reveal subnet bootstrapped on it (started
/// from the snapshot of that bootstrap, which `chain/tests/localnet.rs` shares).
async fn subnet_with_beacon(config: BootstrapConfig) -> (Localnet, Chain, TestBeacon, Subnet) {
    let repo = LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the checkout, after npm ci (scripts/setup.sh does it)");
    let beacon = TestBeacon::new();
    let (node, chain, subnet) = start_bootstrapped(
        &LocalnetConfig::for_repo(&repo),
        &BootstrapConfig {
            commit_reveal: true,
            miners: 3,
            ..config
        },
        Some(&beacon),
    )
    .await
    .expect("the local chain starts with the subnet bootstrapped");
    beacon.publish_due(&chain).await.expect("first pulses");
    (node, chain, beacon, subnet)
}

fn miner_weights(s: &Subnet, values: Vec<u16>) -> WeightsToSet {
    WeightsToSet {
        uids: s.miners.iter().map(|m| m.uid).collect(),
        values,
        version_key: 0,
    }
}

/// Builds blocks (publishing due pulses when `beacon` is given) until the best block is `block`.
async fn run_to(chain: &Chain, beacon: Option<&TestBeacon>, block: u64) {
    loop {
        let best = chain.best_number().await.expect("best block");
        if best >= block {
            return;
        }
        match beacon {
            Some(b) => b.new_blocks(chain, 1).await.expect("block and pulses"),
            None => new_blocks(chain, 1).await.expect("block"),
        }
    }
}

async fn set_tempo(chain: &Chain, netuid: u16, tempo: u16) -> u64 {
    sudo_admin(
        chain,
        &dev_key("//Alice").unwrap(),
        "sudo_set_tempo",
        vec![
            Value::u128(u128::from(netuid)),
            Value::u128(u128::from(tempo)),
        ],
    )
    .await
    .expect("sudo_set_tempo");
    chain.best_number().await.unwrap()
}

/// Where the reveal epoch of `commit` opens as the schedule stands at the head now.
async fn reveal_epoch_start_now(chain: &Chain, commit: &TimelockedCommit) -> u64 {
    let mg = metagraph::sync(chain, commit.target.netuid, None)
        .await
        .unwrap();
    epoch_start(
        &ScheduleState::new(&mg.schedule, &mg.hyperparams),
        mg.block,
        commit.reveal_epoch,
    )
    .expect("the reveal epoch is ahead")
}

fn assert_pending(outcome: &TimelockOutcome, began: bool) {
    match outcome {
        TimelockOutcome::Pending {
            reveal_epoch_began_at,
            ..
        } => assert_eq!(reveal_epoch_began_at.is_some(), began, "{outcome:?}"),
        other => panic!("expected pending, got {other:?}"),
    }
}

/// Commit → the chain reveals it at the predicted block → read back: a match. Then the
/// commit-to-reveal schedule moved by set_tempo both ways, and a pulse that never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_reveals_timelocked_commits_where_the_schedule_says() {
    let (node, chain, beacon, subnet) = subnet_with_beacon(BootstrapConfig::default()).await;
    let netuid = subnet.netuid;
    let target = Target::subnet(netuid);
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let uid0 = usize::from(subnet.validators[0].uid);

    // The chain's beacon key is the test beacon's: clients that read it encrypt to it.
    let at = chain.at_best().await.unwrap();
    let on_chain = drand::read_beacon(&chain, &at).await.unwrap();
    assert_eq!(on_chain.public_key, beacon.public_key());
    assert_eq!(on_chain.clock, beacon.clock());

    // 1. Commit; the chain reveals it by itself where predicted.
    let w = miner_weights(&subnet, vec![65535, 30000, 1000]);
    let commit = commit_timelocked_weights(&chain, &v0, target, &w, BLOCK_TIME)
        .await
        .expect("commit");
    assert_eq!(commit.reveal_epoch, commit.commit_epoch + 1);
    assert!(commit.first_reveal_block > commit.included_at);
    assert_eq!(
        commit.expected_reveal_block,
        commit.first_reveal_block + 4,
        "round due at first + 3, on chain a block later: {commit:?}"
    );
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert_eq!(mg.neurons[uid0].last_update, commit.included_at);
    assert!(mg.mechanisms[0]
        .commits
        .iter()
        .any(|c| c.reveal_round == Some(commit.reveal_round)));
    assert_pending(
        &verify_timelocked(&chain, &commit, &w).await.unwrap(),
        false,
    );
    // Inside the reveal epoch, before the pulse: still pending, the epoch has begun.
    run_to(&chain, Some(&beacon), commit.expected_reveal_block - 1).await;
    assert_pending(&verify_timelocked(&chain, &commit, &w).await.unwrap(), true);
    run_to(&chain, Some(&beacon), commit.expected_reveal_block).await;
    let outcome = verify_timelocked(&chain, &commit, &w).await.unwrap();
    match &outcome {
        TimelockOutcome::Revealed {
            revealed_at,
            verification,
        } => {
            assert_eq!(*revealed_at, commit.expected_reveal_block);
            assert!(verification.is_match(), "{verification:?}");
        }
        other => panic!("expected the chain's reveal, got {other:?}"),
    }
    assert_eq!(outcome.label(), "match");
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert_eq!(mg.neurons[uid0].weights, w.expected_row());
    assert_eq!(
        mg.neurons[uid0].last_update, commit.included_at,
        "a reveal does not stamp LastUpdate"
    );

    // 2. A pulse that never comes: the beacon stalls; the commit waits through the reveal
    //    epoch, then the chain drops it.
    let w2 = miner_weights(&subnet, vec![1000, 65535, 30000]);
    let stalled = commit_timelocked_weights(&chain, &v0, target, &w2, BLOCK_TIME)
        .await
        .expect("commit");
    run_to(&chain, None, stalled.expected_reveal_block).await;
    assert_pending(
        &verify_timelocked(&chain, &stalled, &w2).await.unwrap(),
        true,
    );
    let next_epoch = reveal_epoch_start_now(
        &chain,
        &TimelockedCommit {
            reveal_epoch: stalled.reveal_epoch + 1,
            ..stalled.clone()
        },
    )
    .await;
    run_to(&chain, None, next_epoch).await;
    match verify_timelocked(&chain, &stalled, &w2).await.unwrap() {
        TimelockOutcome::Dropped {
            block,
            reason:
                DropReason::PulseMissing {
                    round,
                    last_stored_round,
                },
        } => {
            assert_eq!(block, next_epoch);
            assert_eq!(round, stalled.reveal_round);
            assert!(last_stored_round < round);
        }
        other => panic!("expected a drop for the missing pulse, got {other:?}"),
    }
    // W still holds the first commit's row.
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert_eq!(mg.neurons[uid0].weights, w.expected_row());
    beacon.publish_due(&chain).await.unwrap();

    // 3. set_tempo to a longer tempo right after a commit: the cycle restarts at the
    //    set_tempo block, the reveal epoch opens tempo blocks later, and the pulse, due
    //    earlier, is already there: the chain reveals at the new epoch's first block.
    let w3 = miner_weights(&subnet, vec![30000, 1000, 65535]);
    let longer = commit_timelocked_weights(&chain, &v0, target, &w3, BLOCK_TIME)
        .await
        .expect("commit");
    let set_at = set_tempo(&chain, netuid, 30).await;
    let moved = reveal_epoch_start_now(&chain, &longer).await;
    assert_eq!(moved, set_at + 30);
    assert!(moved > longer.expected_reveal_block, "{longer:?}");
    run_to(&chain, Some(&beacon), moved).await;
    match verify_timelocked(&chain, &longer, &w3).await.unwrap() {
        TimelockOutcome::Revealed {
            revealed_at,
            verification,
        } => {
            assert_eq!(revealed_at, moved);
            assert!(verification.is_match(), "{verification:?}");
        }
        other => panic!("expected the reveal at the moved epoch, got {other:?}"),
    }

    // 4. set_tempo to a shorter tempo right after a commit: the reveal epoch opens and ends
    //    before the round is due, so the chain drops the commit although the beacon runs.
    let w4 = miner_weights(&subnet, vec![5, 6, 7]);
    let shorter = commit_timelocked_weights(&chain, &v0, target, &w4, BLOCK_TIME)
        .await
        .expect("commit");
    let set_at = set_tempo(&chain, netuid, 3).await;
    assert_eq!(reveal_epoch_start_now(&chain, &shorter).await, set_at + 3);
    run_to(&chain, Some(&beacon), set_at + 7).await;
    match verify_timelocked(&chain, &shorter, &w4).await.unwrap() {
        TimelockOutcome::Dropped {
            block,
            reason: DropReason::PulseMissing { round, .. },
        } => {
            assert_eq!(block, set_at + 6, "the epoch after the reveal epoch");
            assert_eq!(round, shorter.reveal_round);
        }
        other => panic!("expected a drop (round too late for the epoch), got {other:?}"),
    }
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert_eq!(mg.neurons[uid0].weights, w3.expected_row());
    node.stop().await;
}

/// Mechanism 1 of a two-mechanism subnet: the revealed weights land there, not in 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timelocked_commit_lands_in_its_mechanism_only() {
    let (node, chain, beacon, subnet) = subnet_with_beacon(BootstrapConfig {
        mechanisms: 2,
        ..BootstrapConfig::default()
    })
    .await;
    let target = Target {
        netuid: subnet.netuid,
        mecid: 1,
    };
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let uid0 = usize::from(subnet.validators[0].uid);
    let w = miner_weights(&subnet, vec![65535, 2000, 40000]);
    let commit = commit_timelocked_weights(&chain, &v0, target, &w, BLOCK_TIME)
        .await
        .expect("commit to mechanism 1");
    run_to(&chain, Some(&beacon), commit.expected_reveal_block).await;
    let outcome = verify_timelocked(&chain, &commit, &w).await.unwrap();
    assert!(outcome.is_match(), "{outcome:?}");
    let m1 = metagraph::sync_mechanism(&chain, subnet.netuid, 1, None)
        .await
        .unwrap();
    assert_eq!(m1.neurons[uid0].weights, w.expected_row());
    assert_eq!(m1.neurons[uid0].last_update, commit.included_at);
    assert!(
        m1.mechanisms[0].weights[uid0].is_empty(),
        "nothing in mechanism 0"
    );
    assert!(
        m1.mechanisms[0].last_update.get(uid0).copied().unwrap_or(0) < commit.included_at,
        "the commit stamps mechanism 1's LastUpdate only"
    );
    node.stop().await;
}

/// Each refusal of a timelocked commit, as its exact typed error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timelocked_commit_refusals_are_typed() {
    let (node, chain, beacon, subnet) = subnet_with_beacon(BootstrapConfig::default()).await;
    let netuid = subnet.netuid;
    let target = Target::subnet(netuid);
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let alice = dev_key("//Alice").unwrap();
    let plan = plan_commit(&chain, target, BLOCK_TIME).await.unwrap();
    assert_eq!(plan.version, 4);
    assert_eq!(plan.beacon.public_key, beacon.public_key());
    let commit_bytes = vec![7u8; 64];

    // A commit-reveal version other than CommitRevealWeightsVersion.
    let err = submit_timelocked_commit(&chain, &v0, target, &commit_bytes, plan.reveal_round, 3)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::CommitRevealVersion)),
        "{err}"
    );

    // Ten unrevealed commits per hotkey and epoch: a long epoch holds eleven attempts.
    set_tempo(&chain, netuid, 100).await;
    for i in 0..10 {
        submit_timelocked_commit(&chain, &v0, target, &commit_bytes, plan.reveal_round, 4)
            .await
            .unwrap_or_else(|e| panic!("commit {i}: {e}"));
    }
    let err = submit_timelocked_commit(&chain, &v0, target, &commit_bytes, plan.reveal_round, 4)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::TooManyUnrevealedCommits)),
        "{err}"
    );

    // A weights rate limit: the next commit comes too fast after the last.
    let v1 = dev_key(&subnet.validators[1].uri).unwrap();
    submit_timelocked_commit(&chain, &v1, target, &commit_bytes, plan.reveal_round, 4)
        .await
        .expect("a first commit");
    sudo_admin(
        &chain,
        &alice,
        "sudo_set_weights_set_rate_limit",
        vec![Value::u128(u128::from(netuid)), Value::u128(100)],
    )
    .await
    .unwrap();
    let err = submit_timelocked_commit(&chain, &v1, target, &commit_bytes, plan.reveal_round, 4)
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::Tx(TxError::RateLimited)), "{err}");
    assert!(TxError::RateLimited.is_retryable());
    sudo_admin(
        &chain,
        &alice,
        "sudo_set_weights_set_rate_limit",
        vec![Value::u128(u128::from(netuid)), Value::u128(0)],
    )
    .await
    .unwrap();

    // A round below Drand::LastStoredRound (the pool's InvalidRevealRound, code 15).
    let stored = plan.reveal_round + 50;
    beacon.publish(&chain, &[stored]).await.unwrap();
    let err = submit_timelocked_commit(&chain, &v1, target, &commit_bytes, stored - 1, 4)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::InvalidRevealRound)),
        "{err}"
    );
    // The plan never picks such a round.
    let replanned = plan_commit(&chain, target, BLOCK_TIME).await.unwrap();
    assert!(replanned.reveal_round >= stored);
    node.stop().await;
}
