//! Against the real subtensor runtime (spec 218) executed by chopsticks: bootstrap a subnet,
//! sync its metagraph, set weights and read them back, and meet the chain's refusals.

use std::path::Path;
use std::time::Duration;

use bt_chain::blocks::Heads;
use bt_chain::bootstrap::{bootstrap, dev_key, BootstrapConfig, Subnet};
use bt_chain::localnet::{new_block, Localnet};
use bt_chain::weights::{set_and_verify, set_weights, verify_weights, Verification, WeightsToSet};
use bt_chain::{metagraph, Chain, ChainError, TxError};

async fn start() -> (Localnet, Chain) {
    Localnet::start_in_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .await
        .expect("the local chain starts (run npm ci; scripts/setup.sh does)")
}

fn weights(uids: Vec<u16>, values: Vec<u16>) -> WeightsToSet {
    WeightsToSet {
        uids,
        values,
        version_key: 0,
    }
}

fn miner_uids(s: &Subnet) -> Vec<u16> {
    s.miners.iter().map(|m| m.uid).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_sync_set_and_verify() {
    let (node, chain) = start().await;
    let config = BootstrapConfig::default();
    let subnet = bootstrap(&chain, &config).await.expect("bootstrap");
    assert_eq!(subnet.validators.len(), 2);
    assert_eq!(subnet.miners.len(), 6);

    // Idempotent: a second run finds the same subnet and keys.
    let again = bootstrap(&chain, &config).await.expect("second bootstrap");
    assert_eq!(again.netuid, subnet.netuid);
    assert_eq!(miner_uids(&again), miner_uids(&subnet));

    // The metagraph has every neuron, its axon, and the validators' stake.
    let mg = metagraph::sync(&chain, subnet.netuid, None)
        .await
        .expect("sync");
    assert_eq!(mg.n(), 1 + 2 + 6);
    assert_eq!(mg.hyperparams.tempo, config.tempo);
    assert!(!mg.hyperparams.commit_reveal_enabled);
    for v in &subnet.validators {
        let n = &mg.neurons[usize::from(v.uid)];
        assert!(n.alpha_stake > 0, "validator {} has alpha", v.uid);
        assert_eq!(n.total_stake, n.alpha_stake);
    }
    assert!(
        mg.neurons[usize::from(subnet.validators[0].uid)].alpha_stake
            > mg.neurons[usize::from(subnet.validators[1].uid)].alpha_stake
    );
    for m in &subnet.miners {
        let n = &mg.neurons[usize::from(m.uid)];
        assert_eq!(format!("{}:{}", n.axon.ip_string(), n.axon.port), m.axon);
        assert_ne!(n.coldkey, [0; 32]);
    }

    // Set weights, read them back: a match, and W shows them.
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let sent = weights(
        miner_uids(&subnet),
        vec![65535, 50000, 40000, 30000, 20000, 10000],
    );
    let out = set_and_verify(&chain, &v0, subnet.netuid, &sent)
        .await
        .expect("set weights");
    assert!(out.verification.is_match(), "{:?}", out.verification);
    let mg = metagraph::sync(&chain, subnet.netuid, None)
        .await
        .expect("sync");
    let row = &mg.neurons[usize::from(subnet.validators[0].uid)];
    assert_eq!(row.weights, sent.expected_row());
    assert_eq!(row.last_update, out.included_at);

    // A different row than the one sent is reported as a mismatch with the differences.
    let other = weights(miner_uids(&subnet), vec![1, 2, 3, 4, 5, 6]);
    match verify_weights(
        &chain,
        subnet.netuid,
        &v0.public_key().0,
        &other,
        out.included_at,
    )
    .await
    .unwrap()
    {
        Verification::Mismatch { differences, .. } => assert_eq!(differences.len(), 6),
        v => panic!("expected a mismatch, got {v:?}"),
    }
    // A submission newer than the stored row is not yet included.
    let later = verify_weights(
        &chain,
        subnet.netuid,
        &v0.public_key().0,
        &sent,
        out.included_at + 1000,
    )
    .await
    .unwrap();
    assert!(
        matches!(later, Verification::NotYetIncluded { .. }),
        "{later:?}"
    );

    // The second validator weights the miners too; the next block's epoch is replayed. The
    // core's Yuma gives the weighted miners incentive; this runtime's mock epoch stores zeros,
    // and the replay says so rather than comparing zeros.
    let v1 = dev_key(&subnet.validators[1].uri).unwrap();
    let sent1 = weights(
        miner_uids(&subnet),
        vec![10000, 20000, 30000, 40000, 50000, 65535],
    );
    set_weights(&chain, &v1, subnet.netuid, &sent1)
        .await
        .expect("second validator sets weights");
    let replay = metagraph::replay_last_epoch(&chain, subnet.netuid)
        .await
        .expect("replay");
    let incentive = replay
        .columns
        .iter()
        .find(|c| c.name == "incentive")
        .unwrap();
    for m in &subnet.miners {
        assert!(
            incentive.ours[usize::from(m.uid)] > 0,
            "core incentive for miner {}",
            m.uid
        );
        assert_eq!(incentive.chain[usize::from(m.uid)], 0);
    }
    assert!(replay.chain_all_zero && !replay.matches());

    // Refusals, typed.
    let stranger = dev_key("//nobody").unwrap();
    let err = set_weights(&chain, &stranger, subnet.netuid, &sent)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Tx(TxError::NotRegistered) | ChainError::Tx(TxError::Other(_))
        ),
        "{err}"
    );

    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_endpoints_and_netuids_are_clear_errors() {
    // Nothing listens on port 1.
    let err = Chain::connect("ws://127.0.0.1:1", Duration::from_secs(5))
        .await
        .err()
        .expect("no node");
    assert!(matches!(err, ChainError::Connect { .. }), "{err}");
    assert!(err.to_string().contains("--subtensor.chain_endpoint"));

    let (node, chain) = start().await;
    let err = metagraph::sync(&chain, 999, None).await.unwrap_err();
    assert!(
        matches!(err, ChainError::NoSuchSubnet { netuid: 999, .. }),
        "{err}"
    );
    let subnets = metagraph::subnets(&chain).await.unwrap();
    assert!(subnets.contains(&0));

    // New heads: a block made after subscribing arrives.
    let mut heads = Heads::new(&node.endpoint(), Some(3));
    let first = tokio::time::timeout(Duration::from_secs(30), async {
        new_block(&chain).await.expect("new block");
        heads.next().await
    })
    .await
    .expect("a head within 30 s")
    .expect("a head");
    let best = chain.best_number().await.unwrap();
    assert!(first <= best && first > 0, "head {first}, best {best}");
    assert_eq!(heads.reconnects, 0);

    // The node dies in the middle: the next read fails with an error, not a hang.
    node.stop().await;
    let err = tokio::time::timeout(Duration::from_secs(60), metagraph::sync(&chain, 0, None))
        .await
        .expect("no hang");
    assert!(err.is_err());
    // The subscription ends and reconnecting fails: with a bounded number of attempts the
    // stream says so (after backing off) instead of hanging or spinning.
    let gone = tokio::time::timeout(Duration::from_secs(60), heads.next())
        .await
        .expect("no hang");
    assert!(gone.is_err(), "{gone:?}");
    assert!(heads.reconnects >= 1);
}

/// Each subnet rule a validator can break, on the real runtime, as its typed error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_refusals_are_typed() {
    use bt_chain::bootstrap::sudo_admin;
    use scale_value::Value;
    let (node, chain) = start().await;
    let subnet = bootstrap(
        &chain,
        &BootstrapConfig {
            miners: 3,
            ..BootstrapConfig::default()
        },
    )
    .await
    .expect("bootstrap");
    let netuid = subnet.netuid;
    let alice = dev_key("//Alice").unwrap();
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let sudo = |call: &'static str, value: u128| {
        let chain = chain.clone();
        let alice = alice.clone();
        async move {
            sudo_admin(
                &chain,
                &alice,
                call,
                vec![Value::u128(u128::from(netuid)), Value::u128(value)],
            )
            .await
            .expect(call)
        }
    };
    let three = weights(miner_uids(&subnet), vec![30000, 20000, 10000]);

    // Too few weights.
    sudo("sudo_set_min_allowed_weights", 3).await;
    let err = set_weights(
        &chain,
        &v0,
        netuid,
        &weights(vec![subnet.miners[0].uid], vec![65535]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::TooFewWeights)),
        "{err}"
    );

    // Max weight exceeded: the limit is a u16 proportion of the normalised row.
    sudo("sudo_set_max_weight_limit", 20000).await;
    let err = set_weights(&chain, &v0, netuid, &three).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::MaxWeightExceeded)),
        "{err}"
    );
    sudo("sudo_set_max_weight_limit", 65535).await;

    // Version key below the subnet's.
    sudo("sudo_set_weights_version_key", 7).await;
    let err = set_weights(&chain, &v0, netuid, &three).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::VersionKeyTooLow)),
        "{err}"
    );
    let ok = WeightsToSet {
        version_key: 7,
        ..three.clone()
    };
    set_weights(&chain, &v0, netuid, &ok)
        .await
        .expect("version key 7 accepted");

    // Rate limit: a second setting right after the first.
    sudo("sudo_set_weights_set_rate_limit", 100).await;
    let err = set_weights(&chain, &v0, netuid, &ok).await.unwrap_err();
    assert!(matches!(err, ChainError::Tx(TxError::RateLimited)), "{err}");
    assert!(TxError::RateLimited.is_retryable());

    // Commit-reveal on: set_weights is refused with its own error.
    let cr = Value::bool(true);
    sudo_admin(
        &chain,
        &alice,
        "sudo_set_commit_reveal_weights_enabled",
        vec![Value::u128(u128::from(netuid)), cr],
    )
    .await
    .unwrap();
    let err = set_weights(
        &chain,
        &dev_key(&subnet.validators[1].uri).unwrap(),
        netuid,
        &ok,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::CommitRevealEnabled)),
        "{err}"
    );
    node.stop().await;
}

/// Commit-reveal v2: commit the hash, reveal in the reveal epoch, then read W back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_then_reveal_lands_and_verifies() {
    use bt_chain::weights::{commit_weights, reveal_weights};
    let (node, chain) = start().await;
    let config = BootstrapConfig {
        commit_reveal: true,
        miners: 3,
        ..BootstrapConfig::default()
    };
    let subnet = bootstrap(&chain, &config).await.expect("bootstrap");
    let netuid = subnet.netuid;
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let w = weights(miner_uids(&subnet), vec![65535, 30000, 1000]);
    let salt = [7u16, 8, 9, 10];

    // Direct setting is refused; a commit is accepted.
    let err = set_weights(&chain, &v0, netuid, &w).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::CommitRevealEnabled)),
        "{err}"
    );
    let committed = commit_weights(&chain, &v0, netuid, &w, &salt)
        .await
        .expect("commit");

    // Reveal as soon as the chain allows: too early is a typed, retryable-by-waiting error.
    let mut early = 0;
    let included = loop {
        match reveal_weights(&chain, &v0, netuid, &w, &salt).await {
            Ok(included) => break included,
            Err(ChainError::Tx(TxError::Reveal(_)))
                if early < 4 * (usize::from(config.tempo) + 1) =>
            {
                early += 1;
                new_block(&chain).await.expect("new block");
            }
            Err(e) => panic!("reveal failed after {early} blocks: {e}"),
        }
    };
    assert!(
        early > 0,
        "the reveal should have to wait for the reveal epoch"
    );
    assert!(included.block_number > committed.block_number);
    let v = verify_weights(
        &chain,
        netuid,
        &v0.public_key().0,
        &w,
        committed.block_number,
    )
    .await
    .unwrap();
    assert!(v.is_match(), "{v:?}");

    // A reveal with the wrong salt matches no commit.
    commit_weights(&chain, &v0, netuid, &w, &salt)
        .await
        .expect("second commit");
    let err = reveal_weights(&chain, &v0, netuid, &w, &[1, 2])
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::Tx(TxError::Reveal(_))), "{err}");
    node.stop().await;
}
