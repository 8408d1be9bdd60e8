//! Against the real subtensor runtime (spec 425, and 385 for the reading side) executed by
//! chopsticks: bootstrap a subnet, sync its metagraph per mechanism, set weights and read them
//! back, run epochs that store non-zero consensus and incentive, and meet the chain's
//! refusals, each as its exact typed error.
//!
//! Each test runs its own node, started from the snapshot of its subnet's bootstrap
//! (`bt_chain::snapshot`: made once per test run, by the first test that needs it).

use std::path::Path;
use std::time::Duration;

use bt_chain::blocks::Heads;
use bt_chain::bootstrap::{bootstrap, dev_key, sudo_admin, BootstrapConfig, Subnet, RAO_PER_TAO};
use bt_chain::localnet::{
    new_block, run_epochs, set_storage, Localnet, LocalnetConfig, VendoredSpec,
};
use bt_chain::snapshot::start_bootstrapped;
use bt_chain::weights::{
    set_and_verify, set_weights, verify_weights, Target, Verification, WeightsToSet,
};
use bt_chain::{metagraph, Chain, ChainError, RevealError, TxError};
use scale_value::Value;

async fn start() -> (Localnet, Chain) {
    Localnet::start_in_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .await
        .expect("the local chain starts (run npm ci; scripts/setup.sh does)")
}

/// A node on a vendored runtime generation (`425`, `385`) with `config`'s subnet, started
/// from the snapshot of its bootstrap.
async fn bootstrapped(version: &str, config: &BootstrapConfig) -> (Localnet, Chain, Subnet) {
    let repo = LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the checkout, after npm ci");
    let mut localnet = LocalnetConfig::for_repo(&repo);
    localnet.chain_spec = VendoredSpec::by_name(version)
        .expect("a vendored spec")
        .path(&repo);
    start_bootstrapped(&localnet, config, None)
        .await
        .expect("the local chain starts with the subnet bootstrapped")
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

fn mech(netuid: u16, mecid: u8) -> Target {
    Target { netuid, mecid }
}

/// Both validators weight the miners, epochs run: the chain stores non-zero consensus,
/// incentive and dividends, and the metagraph reads them back.
async fn weight_and_run_epochs(chain: &Chain, subnet: &Subnet, target: Target) {
    for (i, v) in subnet.validators.iter().enumerate() {
        let mut values: Vec<u16> = vec![65535, 50000, 40000, 30000, 20000, 10000];
        values.truncate(subnet.miners.len());
        if i % 2 == 1 {
            values.reverse();
        }
        set_weights(
            chain,
            &dev_key(&v.uri).unwrap(),
            target,
            &weights(miner_uids(subnet), values),
        )
        .await
        .expect("validator sets weights");
    }
    run_epochs(chain, subnet.netuid, 2)
        .await
        .expect("two epochs");
}

fn assert_non_zero_epoch(mg: &bt_core::metagraph::Metagraph, subnet: &Subnet) {
    for m in &subnet.miners {
        let n = &mg.neurons[usize::from(m.uid)];
        assert!(n.consensus > 0, "consensus of miner {}: {n:?}", m.uid);
        assert!(n.incentive > 0, "incentive of miner {}: {n:?}", m.uid);
        assert!(n.emission > 0, "emission of miner {}", m.uid);
    }
    let v0 = &mg.neurons[usize::from(subnet.validators[0].uid)];
    assert!(v0.dividends > 0 && v0.validator_trust > 0, "{v0:?}");
    assert!(v0.bonds.iter().any(|&(_, b)| b > 0), "bonds {v0:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_sync_set_verify_and_epochs_on_spec_425() {
    let config = BootstrapConfig::default();
    let (node, chain, subnet) = bootstrapped("425", &config).await;
    assert_eq!(subnet.spec_version, 425);
    assert_eq!(subnet.validators.len(), 2);
    assert_eq!(subnet.miners.len(), 6);

    // Idempotent: a second run finds the same subnet and keys.
    let again = bootstrap(&chain, &config).await.expect("second bootstrap");
    assert_eq!(again.netuid, subnet.netuid);
    assert_eq!(miner_uids(&again), miner_uids(&subnet));

    // The metagraph: every neuron, its axon, the validators' stake above the threshold and
    // their permits, the owner's uid, today's hyperparameters, no Rank or Trust.
    let mg = metagraph::sync(&chain, subnet.netuid, None)
        .await
        .expect("sync");
    assert_eq!(mg.n(), 1 + 2 + 6);
    assert_eq!(mg.spec_version, 425);
    assert_eq!(mg.owner_uid, Some(subnet.owner.uid));
    let h = &mg.hyperparams;
    assert_eq!(h.tempo, config.tempo);
    assert!(!h.commit_reveal_enabled);
    assert_eq!(h.commit_reveal_version, 4);
    assert_eq!(h.stake_threshold, config.stake_threshold);
    assert!(
        h.tao_weight > 0,
        "TaoWeight is a global value on this runtime"
    );
    assert_eq!(h.mechanism_count, 1);
    assert!(h.activity_cutoff_factor_milli.is_some());
    assert!(mg.schedule.dynamic_tempo && mg.schedule.epoch_index > 0);
    assert_eq!(mg.mechanisms.len(), 1);
    for v in &subnet.validators {
        let n = &mg.neurons[usize::from(v.uid)];
        assert!(n.alpha_stake >= config.stake_threshold, "{n:?}");
        assert_eq!(n.total_stake, n.alpha_stake, "no root stake");
        assert!(n.validator_permit, "the bootstrap waits for permits");
        assert_eq!((n.rank, n.trust, n.pruning_score), (None, None, None));
    }
    assert!(
        mg.neurons[usize::from(subnet.validators[0].uid)].alpha_stake
            > mg.neurons[usize::from(subnet.validators[1].uid)].alpha_stake
    );
    for m in &subnet.miners {
        let n = &mg.neurons[usize::from(m.uid)];
        assert_eq!(format!("{}:{}", n.axon.ip_string(), n.axon.port), m.axon);
        assert_ne!(n.coldkey, [0; 32]);
        assert_ne!(
            n.coldkey, mg.neurons[0].coldkey,
            "miners are not the owner's"
        );
    }

    // set_mechanism_weights, read back: a match, and W shows it.
    let target = Target::subnet(subnet.netuid);
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let sent = weights(
        miner_uids(&subnet),
        vec![65535, 50000, 40000, 30000, 20000, 10000],
    );
    let out = set_and_verify(&chain, &v0, target, &sent)
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
    match verify_weights(&chain, target, &v0.public_key().0, &other, out.included_at)
        .await
        .unwrap()
    {
        Verification::Mismatch { differences, .. } => assert_eq!(differences.len(), 6),
        v => panic!("expected a mismatch, got {v:?}"),
    }
    // A submission newer than the stored row is not yet included.
    let later = verify_weights(
        &chain,
        target,
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

    // Both validators weight, two epochs run: non-zero values stored and read.
    weight_and_run_epochs(&chain, &subnet, target).await;
    let mg = metagraph::sync(&chain, subnet.netuid, None)
        .await
        .expect("sync");
    assert_non_zero_epoch(&mg, &subnet);

    // An unregistered hotkey has no stake: under a StakeThreshold the chain refuses it for
    // that first (the refusals test meets NotRegistered with the threshold at 0).
    let stranger = dev_key("//nobody").unwrap();
    let err = set_weights(&chain, &stranger, target, &sent)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::NotEnoughStake)),
        "{err}"
    );

    node.stop().await;
}

/// Two mechanisms with a 1:3 emission split: weights set in mechanism 1 land there only, and
/// its epoch pays incentive in mechanism 1 only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_land_in_their_mechanism() {
    let config = BootstrapConfig {
        mechanisms: 2,
        emission_split: Some(vec![16384, 49151]),
        miners: 3,
        ..BootstrapConfig::default()
    };
    let (node, chain, subnet) = bootstrapped("425", &config).await;
    let mg = metagraph::sync(&chain, subnet.netuid, None).await.unwrap();
    assert_eq!(mg.hyperparams.mechanism_count, 2);
    assert_eq!(mg.hyperparams.mechanism_emission_split, vec![16384, 49151]);
    assert_eq!(mg.emission_shares(), vec![16384, 49151]);
    assert_eq!(mg.mechanisms.len(), 2);

    weight_and_run_epochs(&chain, &subnet, mech(subnet.netuid, 1)).await;
    let m1 = metagraph::sync_mechanism(&chain, subnet.netuid, 1, None)
        .await
        .unwrap();
    assert_eq!(m1.mecid, 1);
    let v0 = usize::from(subnet.validators[0].uid);
    assert!(!m1.neurons[v0].weights.is_empty());
    assert!(
        m1.mechanisms[0].weights[v0].is_empty(),
        "nothing in mechanism 0"
    );
    assert!(m1.mechanisms[0].incentive.iter().all(|&i| i == 0));
    for m in &subnet.miners {
        assert!(
            m1.neurons[usize::from(m.uid)].incentive > 0,
            "miner {}",
            m.uid
        );
    }
    // Mechanism 0 shows its own (empty) view.
    let m0 = metagraph::sync(&chain, subnet.netuid, None).await.unwrap();
    assert!(m0.neurons[v0].weights.is_empty());
    // A mechanism the subnet lacks is a clear error.
    let err = metagraph::sync_mechanism(&chain, subnet.netuid, 2, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::NoSuchMechanism { count: 2, .. }),
        "{err}"
    );
    node.stop().await;
}

/// The reading side on the generation before (spec 385: no dynamic tempo, Rank and Trust
/// still stored): bootstrap, weights, epochs, sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reads_spec_385_too() {
    // The default subnet, as sdk_interop's spec-385 test has it (one snapshot for both).
    let (node, chain, subnet) = bootstrapped("385", &BootstrapConfig::default()).await;
    assert_eq!(subnet.spec_version, 385);
    let target = Target::subnet(subnet.netuid);
    let out = set_and_verify(
        &chain,
        &dev_key(&subnet.validators[0].uri).unwrap(),
        target,
        &weights(miner_uids(&subnet), vec![65535, 30000, 1000, 900, 800, 700]),
    )
    .await
    .expect("set weights on 385");
    assert!(out.verification.is_match(), "{:?}", out.verification);
    weight_and_run_epochs(&chain, &subnet, target).await;
    let mg = metagraph::sync(&chain, subnet.netuid, None).await.unwrap();
    assert_eq!(mg.spec_version, 385);
    assert!(!mg.schedule.dynamic_tempo);
    assert!(mg.schedule.last_epoch_block > 0);
    assert!(mg.hyperparams.activity_cutoff_factor_milli.is_none());
    assert!(mg
        .neurons
        .iter()
        .all(|n| n.rank.is_some() && n.trust.is_some()));
    assert_non_zero_epoch(&mg, &subnet);
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
    let endpoint = node.endpoint();
    node.stop().await;
    let err = tokio::time::timeout(Duration::from_secs(60), metagraph::sync(&chain, 0, None))
        .await
        .expect("no hang");
    match err {
        Err(e) => assert!(
            e.is_connection() && e.is_retryable(),
            "a dead node is a connection error the validator retries: {e:?}"
        ),
        Ok(mg) => panic!("a read from a stopped node returned block {}", mg.block),
    }
    // The subscription ends and reconnecting fails: with a bounded number of attempts the
    // stream says so (after backing off) instead of hanging or spinning.
    let gone = tokio::time::timeout(Duration::from_secs(60), heads.next())
        .await
        .expect("no hang");
    match gone {
        Err(ChainError::Connect {
            endpoint: ref tried,
            ..
        }) => {
            assert_eq!(tried, &endpoint, "it names the endpoint it tried")
        }
        other => panic!("the head stream ends with a connection error: {other:?}"),
    }
    assert!(heads.reconnects >= 1);
}

/// Each subnet rule a validator can break, on the real runtime, as its exact typed error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_refusals_are_typed() {
    let config = BootstrapConfig {
        miners: 3,
        // The second validator stakes 1 TAO: below the threshold, so no permit either.
        validator_stakes_tao: vec![1_000, 1],
        ..BootstrapConfig::default()
    };
    let (node, chain, subnet) = bootstrapped("425", &config).await;
    let netuid = subnet.netuid;
    let target = Target::subnet(netuid);
    let alice = dev_key("//Alice").unwrap();
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let poor = dev_key(&subnet.validators[1].uri).unwrap();
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

    // Stake below StakeThreshold.
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert!(mg.neurons[usize::from(subnet.validators[1].uid)].total_stake < config.stake_threshold);
    let err = set_weights(&chain, &poor, target, &three)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::NotEnoughStake)),
        "{err}"
    );

    // Without a permit: with the threshold lowered it has the stake but not the permit.
    sudo_admin(
        &chain,
        &alice,
        "sudo_set_stake_threshold",
        vec![Value::u128(0)],
    )
    .await
    .unwrap();
    sudo("sudo_set_max_allowed_validators", 2).await;
    run_epochs(&chain, netuid, 1).await.unwrap();
    let err = set_weights(&chain, &poor, target, &three)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::NoValidatorPermit)),
        "{err}"
    );
    // An unregistered hotkey, with no threshold in the way.
    let err = set_weights(&chain, &dev_key("//nobody").unwrap(), target, &three)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::NotRegistered)),
        "{err}"
    );
    sudo_admin(
        &chain,
        &alice,
        "sudo_set_stake_threshold",
        vec![Value::u128(u128::from(10 * RAO_PER_TAO))],
    )
    .await
    .unwrap();

    // A mechanism the subnet lacks.
    let err = set_weights(&chain, &v0, mech(netuid, 1), &three)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::NoSuchMechanism)),
        "{err}"
    );

    // Too few weights.
    sudo("sudo_set_min_allowed_weights", 3).await;
    let err = set_weights(
        &chain,
        &v0,
        target,
        &weights(vec![subnet.miners[0].uid], vec![65535]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::TooFewWeights)),
        "{err}"
    );

    // No max-weight refusal: on spec 385 and 425 the limit is the constant 65535
    // (`get_max_weight_limit`), whatever `MaxWeightsLimit` stores, and the sync reports it.
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert_eq!(mg.hyperparams.max_weights_limit, u16::MAX);
    set_storage(
        &chain,
        serde_json::json!({ "SubtensorModule": { "MaxWeightsLimit": [[[netuid], 20000]] } }),
    )
    .await
    .unwrap();
    let mg = metagraph::sync(&chain, netuid, None).await.unwrap();
    assert_eq!(
        mg.hyperparams.max_weights_limit,
        u16::MAX,
        "as the runtime enforces it"
    );

    // Version key below the subnet's.
    sudo("sudo_set_weights_version_key", 7).await;
    let err = set_weights(&chain, &v0, target, &three).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::VersionKeyTooLow)),
        "{err}"
    );
    let ok = WeightsToSet {
        version_key: 7,
        ..three.clone()
    };
    set_weights(&chain, &v0, target, &ok)
        .await
        .expect("version key 7 accepted");

    // Rate limit: a second setting right after the first.
    sudo("sudo_set_weights_set_rate_limit", 100).await;
    let err = set_weights(&chain, &v0, target, &ok).await.unwrap_err();
    assert!(matches!(err, ChainError::Tx(TxError::RateLimited)), "{err}");

    // Commit-reveal off: a hash commit is refused with its own error.
    sudo("sudo_set_weights_set_rate_limit", 0).await;
    let err = bt_chain::weights::commit_weights(&chain, &v0, target, &ok, &[1, 2])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::CommitRevealDisabled)),
        "{err}"
    );

    // The same signed bytes twice: the first lands, the second is refused as stale (its
    // nonce is used), which is how a validator learns that a saved transaction can no
    // longer land; its bytes are then found in the block that holds them.
    let tx = bt_chain::weights::set_weights_call(&chain, target, &ok)
        .await
        .unwrap()
        .sign(&chain, &v0)
        .await
        .unwrap();
    assert_eq!(
        bt_chain::tx::find_included(&chain, &tx).await.unwrap(),
        None
    );
    let landed = bt_chain::tx::send(&chain, &tx)
        .await
        .expect("the first send lands");
    let err = bt_chain::tx::send(&chain, &tx).await.unwrap_err();
    assert!(matches!(err, ChainError::Tx(TxError::StaleNonce)), "{err}");
    assert_eq!(
        bt_chain::tx::find_included(&chain, &tx).await.unwrap(),
        Some(landed.block_number),
        "the landed bytes are in the block the submission reported"
    );

    // Commit-reveal on: set_weights is refused with its own error.
    sudo_admin(
        &chain,
        &alice,
        "sudo_set_commit_reveal_weights_enabled",
        vec![Value::u128(u128::from(netuid)), Value::bool(true)],
    )
    .await
    .unwrap();
    sudo("sudo_set_weights_set_rate_limit", 0).await;
    let err = set_weights(&chain, &v0, target, &ok).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Tx(TxError::CommitRevealEnabled)),
        "{err}"
    );
    node.stop().await;
}

/// Commit-reveal v2 (hash commit, reveal by the validator) in mechanism 0: commit, reveal in
/// the reveal epoch, read W back; a wrong salt matches no commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_then_reveal_lands_and_verifies() {
    use bt_chain::weights::{commit_weights, reveal_weights};
    // The commit-reveal subnet of the timelock tests (one snapshot for all).
    let config = BootstrapConfig {
        commit_reveal: true,
        miners: 3,
        ..BootstrapConfig::default()
    };
    let (node, chain, subnet) = bootstrapped("425", &config).await;
    let target = Target::subnet(subnet.netuid);
    let v0 = dev_key(&subnet.validators[0].uri).unwrap();
    let w = weights(miner_uids(&subnet), vec![65535, 30000, 1000]);
    let salt = [7u16, 8, 9, 10];

    let committed = commit_weights(&chain, &v0, target, &w, &salt)
        .await
        .expect("commit");

    // Reveal as soon as the chain allows: too early is a typed error, cured by waiting.
    let mut early = 0;
    let included = loop {
        match reveal_weights(&chain, &v0, target, &w, &salt).await {
            Ok(included) => break included,
            Err(ChainError::Tx(TxError::Reveal(RevealError::TooEarly)))
                if early < 4 * (usize::from(config.tempo) + 1) =>
            {
                early += 1;
                new_block(&chain).await.expect("new block");
            }
            Err(e) => panic!("reveal failed after {early} blocks: {e}"),
        }
    };
    assert!(early > 0, "the reveal has to wait for the reveal epoch");
    assert!(included.block_number > committed.block_number);
    let v = verify_weights(
        &chain,
        target,
        &v0.public_key().0,
        &w,
        committed.block_number,
    )
    .await
    .unwrap();
    assert!(v.is_match(), "{v:?}");

    // A reveal with the wrong salt while a commit is queued hashes to none of the queued
    // commits: the runtime's transaction extension refuses it before it reaches a block (pool
    // code 16, CommitNotFound: no queued commit of this hotkey has that hash), and the commit
    // stays queued.
    let second = commit_weights(&chain, &v0, target, &w, &salt)
        .await
        .expect("second commit");
    let err = reveal_weights(&chain, &v0, target, &w, &[1, 2])
        .await
        .expect_err("a wrong salt is refused");
    assert!(
        matches!(
            &err,
            ChainError::Tx(TxError::Reveal(RevealError::NoCommitFound))
        ),
        "{err} (commit at {})",
        second.block_number
    );
    let hash = bt_chain::weights::commit_hash(&v0.public_key().0, target, &w, &salt);
    let queued = bt_chain::weights::find_hash_commit(&chain, target, &v0.public_key().0, &hash)
        .await
        .unwrap();
    assert_eq!(
        queued.map(|(block, _)| block),
        Some(second.block_number),
        "the refused reveal leaves the commit queued"
    );
    node.stop().await;
}

/// Stake lent and borrowed through child keys: the sync computes it from storage and equals
/// what the runtime itself reports (`get_subnet_state`, the stake its epoch counts), for a
/// parent inside the subnet, a parent outside it, and root TAO with a non-zero TaoWeight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stake_inherited_through_child_keys_equals_the_runtimes() {
    #[derive(Debug, scale_decode::DecodeAsType)]
    struct RuntimeStake {
        alpha_stake: Vec<u64>,
        tao_stake: Vec<u64>,
        total_stake: Vec<u64>,
    }
    // The default subnet (one snapshot with the first test and sdk_interop's).
    let (_node, chain, subnet) = bootstrapped("425", &BootstrapConfig::default()).await;
    let netuid = subnet.netuid;
    let (v0, v1) = (&subnet.validators[0], &subnet.validators[1]);
    let m0 = &subnet.miners[0];
    let outsider = bt_chain::AccountId32(dev_key("//Ferdie").unwrap().public_key().0).to_string();
    let (half, third) = ((u64::MAX / 2).to_string(), (u64::MAX / 3).to_string());
    set_storage(
        &chain,
        serde_json::json!({ "SubtensorModule": {
            "ChildKeys": [
                [[v0.hotkey, netuid], [[half, v1.hotkey]]],
                [[outsider, netuid], [[third, m0.hotkey]]],
            ],
            "ParentKeys": [
                [[v1.hotkey, netuid], [[half, v0.hotkey]]],
                [[m0.hotkey, netuid], [[third, outsider]]],
            ],
            "TotalHotkeyAlpha": [
                [[outsider, netuid], 300 * RAO_PER_TAO],
                [[outsider, 0], 700 * RAO_PER_TAO],
                [[v0.hotkey, 0], 500 * RAO_PER_TAO],
            ],
        } }),
    )
    .await
    .expect("child keys written");
    new_block(&chain).await.unwrap();

    let at = chain.at_best().await.unwrap();
    let mg = metagraph::sync_at(&chain, &at, netuid, 0).await.unwrap();
    let call = subxt::dynamic::runtime_api_call::<_, Option<RuntimeStake>>(
        "SubnetInfoRuntimeApi",
        "get_subnet_state",
        (netuid,),
    );
    let runtime = at
        .runtime_apis()
        .call(call)
        .await
        .expect("get_subnet_state")
        .expect("the subnet");
    let ours = |f: fn(&bt_core::metagraph::Neuron) -> u64| -> Vec<u64> {
        mg.neurons.iter().map(f).collect()
    };
    assert_eq!(ours(|n| n.alpha_stake), runtime.alpha_stake);
    assert_eq!(ours(|n| n.tao_stake), runtime.tao_stake);
    assert_eq!(ours(|n| n.total_stake), runtime.total_stake);
    // The links mattered: v1 holds half of v0's root TAO, m0 a third of the outsider's α.
    let n = |uid: u16| &mg.neurons[usize::from(uid)];
    // (Proportions are truncated to 32 fractional bits: a few hundred rao under the share.)
    let near = |x: u64, share: u64| x <= share && x > share - 1_000;
    assert!(
        near(n(v1.uid).tao_stake, 250 * RAO_PER_TAO),
        "{:?}",
        n(v1.uid)
    );
    assert!(
        n(m0.uid).alpha_stake > 100 * RAO_PER_TAO - 1_000,
        "{:?}",
        n(m0.uid)
    );
    assert!(mg.hyperparams.tao_weight > 0);
}
