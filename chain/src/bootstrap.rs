//! Bootstrapping a subnet on a local chain with dev keys, as the 2026 runtime (spec 425, and
//! 385 before it) wants it:
//! 1. the subnet, registered with `register_network` by //Alice (the owner coldkey) and
//!    started with `start_call` (without it the subnet emits nothing);
//! 2. its hyperparameters in one sudo batch: tempo, commit-reveal and its period, the weights
//!    rate limit, registration limits, the fewest weights, Yuma3, liquid alpha, the number of
//!    mechanisms and their emission split; and the chain-wide `StakeThreshold`;
//! 3. validators registered and staked by //Bob, miners registered by //Charlie, each
//!    miner's axon served on 127.0.0.x (a sudo batch of `dispatch_as`, one block for all);
//! 4. blocks built until an epoch has given the staked validators their permits, so that
//!    they can set weights at once.
//!
//! Idempotent: a second run finds the subnet by its owner hotkey and only does what is missing.

use std::str::FromStr;

use scale_value::Value;
use serde::Serialize;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;
use subxt_signer::SecretUri;

use crate::client::Chain;
use crate::error::ChainError;
use crate::storage::{Batch, KeyPart, SUBTENSOR};
use crate::tx::submit;

/// TAO sent to each hotkey so it can pay for its own transactions.
const HOTKEY_FUNDING: u128 = 1_000 * RAO_PER_TAO as u128;
/// Rao per TAO (and per alpha).
pub const RAO_PER_TAO: u64 = 1_000_000_000;
/// The subnet owner's coldkey: the chain's sudo key.
pub const OWNER_COLDKEY: &str = "//Alice";
/// The coldkey that registers and stakes the validators.
pub const VALIDATOR_COLDKEY: &str = "//Bob";
/// The coldkey that registers the miners (not the owner's: the chain burns miner incentive
/// that goes to the owner coldkey's hotkeys).
pub const MINER_COLDKEY: &str = "//Charlie";

/// What to create.
#[derive(Debug, Clone)]
pub struct BootstrapConfig {
    /// Blocks per epoch.
    pub tempo: u16,
    /// Commit-reveal on the subnet.
    pub commit_reveal: bool,
    /// Epochs between a commit and its reveal (`RevealPeriodEpochs`).
    pub reveal_period: u64,
    /// Blocks between two weight settings of one hotkey.
    pub weights_rate_limit: u64,
    /// The fewest weights per set_weights.
    pub min_allowed_weights: u16,
    /// Stake of each validator, in TAO (one validator per entry).
    pub validator_stakes_tao: Vec<u64>,
    /// Number of miners.
    pub miners: u16,
    /// Port of miner i is `miner_port_base + i` on 127.0.0.(2 + i).
    pub miner_port_base: u16,
    /// A name that tells this subnet's keys apart from another bootstrap's on the same chain.
    pub key_prefix: String,
    /// Hotkey URIs for the validators (`0x<seed>` from a wallet, or `//dev`), instead of
    /// `//{prefix}-validator-{i}`; one per stake.
    pub validator_uris: Option<Vec<String>>,
    /// Hotkey URIs for the miners, instead of `//{prefix}-miner-{i}`; one per miner.
    pub miner_uris: Option<Vec<String>>,
    /// Number of mechanisms (1 or 2 on these runtimes), each with its own W, B and incentive.
    pub mechanisms: u8,
    /// The emission split between mechanisms, u16 proportions summing to 65535 (`None`:
    /// even).
    pub emission_split: Option<Vec<u16>>,
    /// Yuma3 bonds and dividends (`Yuma3On`).
    pub yuma3: bool,
    /// Liquid alpha (`LiquidAlphaOn`; it acts under Yuma3 only).
    pub liquid_alpha: bool,
    /// The chain-wide `StakeThreshold` in rao of stake weight (alpha + TaoWeight × root
    /// TAO): below it a hotkey may not set weights, and the epoch gives it no stake.
    pub stake_threshold: u64,
    /// Build blocks until an epoch has given the staked validators their permits.
    pub wait_for_permits: bool,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            tempo: 10,
            commit_reveal: false,
            reveal_period: 1,
            weights_rate_limit: 0,
            min_allowed_weights: 1,
            validator_stakes_tao: vec![1_000, 400],
            miners: 6,
            miner_port_base: 8091,
            key_prefix: "bt".into(),
            validator_uris: None,
            miner_uris: None,
            mechanisms: 1,
            emission_split: None,
            yuma3: false,
            liquid_alpha: false,
            stake_threshold: 10 * RAO_PER_TAO,
            wait_for_permits: true,
        }
    }
}

/// One bootstrapped key.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// The dev secret URI (`//bt-validator-0`, test keys only), or `(wallet key)`.
    pub uri: String,
    /// Its SS58 address.
    pub hotkey: String,
    /// Its uid on the subnet.
    pub uid: u16,
    /// The axon address miners serve (`127.0.0.x:port`), empty for validators.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub axon: String,
    /// Alpha staked (rao), for validators.
    pub alpha_stake: u64,
}

/// The bootstrapped subnet.
#[derive(Debug, Clone, Serialize)]
pub struct Subnet {
    /// Its netuid.
    pub netuid: u16,
    /// The node it lives on.
    pub endpoint: String,
    /// The runtime's spec_version.
    pub spec_version: u32,
    /// The subnet owner's coldkey (//Alice, the local sudo key).
    pub coldkey_uri: String,
    /// The coldkey of the validators.
    pub validator_coldkey_uri: String,
    /// The coldkey of the miners.
    pub miner_coldkey_uri: String,
    /// The subnet owner's hotkey.
    pub owner: Member,
    /// Validators, in uid order.
    pub validators: Vec<Member>,
    /// Miners, in uid order.
    pub miners: Vec<Member>,
}

/// An sr25519 key from a dev URI such as `//Alice`.
pub fn dev_key(uri: &str) -> Result<Keypair, ChainError> {
    let secret = SecretUri::from_str(uri)
        .map_err(|e| ChainError::Localnet(format!("bad key URI {uri}: {e}")))?;
    Keypair::from_uri(&secret).map_err(|e| ChainError::Localnet(format!("bad key URI {uri}: {e}")))
}

fn ss58(key: &Keypair) -> String {
    AccountId32(key.public_key().0).to_string()
}

fn u(v: impl Into<u128>) -> Value {
    Value::u128(v.into())
}

fn account(key: &Keypair) -> Value {
    Value::from_bytes(key.public_key().0)
}

/// A `RuntimeCall` value: `pallet.call(args)`.
pub fn runtime_call(pallet: &str, call: &str, args: Vec<Value>) -> Value {
    Value::unnamed_variant(pallet, vec![Value::unnamed_variant(call, args)])
}

/// Submits `calls` from `signer` in `Utility.batch_all`s of at most 32 calls (a block's weight
/// limit is the bound), in order.
async fn batch_all(chain: &Chain, signer: &Keypair, calls: Vec<Value>) -> Result<(), ChainError> {
    for chunk in calls.chunks(32) {
        let call = subxt::dynamic::tx(
            "Utility",
            "batch_all",
            vec![Value::unnamed_composite(chunk.to_vec())],
        );
        submit(chain, &call, signer).await?;
    }
    Ok(())
}

/// Runs `AdminUtils.call(args)` as sudo; a failure inside the sudo call is an error too.
pub async fn sudo_admin(
    chain: &Chain,
    sudo_key: &Keypair,
    call: &str,
    args: Vec<Value>,
) -> Result<(), ChainError> {
    sudo(
        chain,
        sudo_key,
        runtime_call("AdminUtils", call, args),
        &format!("AdminUtils.{call}"),
    )
    .await
}

/// Runs `call` (a `RuntimeCall` value) through `Sudo.sudo`; `what` names it in errors. A
/// failure inside the sudo call is reported by the module error's name.
pub async fn sudo(
    chain: &Chain,
    sudo_key: &Keypair,
    call: Value,
    what: &str,
) -> Result<(), ChainError> {
    let included = submit(
        chain,
        &subxt::dynamic::tx("Sudo", "sudo", vec![call]),
        sudo_key,
    )
    .await?;
    let metadata = chain.at_best().await?.metadata();
    match included.event_fields("Sudo", "Sudid") {
        Some(fields) if fields.first() == Some(&0) => {}
        Some(fields) => {
            return Err(ChainError::Localnet(format!(
                "sudo {what} failed inside the sudo call: {}",
                crate::tx::dispatch_error_name(metadata.clone(), fields.get(1..).unwrap_or(&[]))
            )))
        }
        None => return Err(ChainError::Localnet(format!("sudo {what}: no Sudid event"))),
    }
    // A batch reports a failed item as BatchInterrupted while the sudo call itself succeeds.
    if let Some(fields) = included.event_fields("Utility", "BatchInterrupted") {
        // (index: u32, error: DispatchError)
        return Err(ChainError::Localnet(format!(
            "sudo {what}: an item of the batch failed: {}",
            crate::tx::dispatch_error_name(metadata, fields.get(4..).unwrap_or(&[]))
        )));
    }
    Ok(())
}

/// The keys of one bootstrap.
struct Keys {
    validator_uris: Vec<String>,
    miner_uris: Vec<String>,
    validators: Vec<Keypair>,
    miners: Vec<Keypair>,
}

impl Keys {
    fn new(config: &BootstrapConfig) -> Result<Self, ChainError> {
        let prefix = &config.key_prefix;
        let pick = |given: &Option<Vec<String>>, count: usize, role: &str| match given {
            Some(uris) if uris.len() == count => Ok(uris.clone()),
            Some(uris) => Err(ChainError::Localnet(format!(
                "{} {role} keys for {count} {role}s",
                uris.len()
            ))),
            None => Ok((0..count)
                .map(|i| format!("//{prefix}-{role}-{i}"))
                .collect()),
        };
        let validator_uris = pick(
            &config.validator_uris,
            config.validator_stakes_tao.len(),
            "validator",
        )?;
        let miner_uris = pick(&config.miner_uris, usize::from(config.miners), "miner")?;
        let keys = |uris: &[String]| {
            uris.iter()
                .map(|u| dev_key(u))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            validators: keys(&validator_uris)?,
            miners: keys(&miner_uris)?,
            validator_uris,
            miner_uris,
        })
    }
}

/// The hyperparameter calls for `netuid` (re-applied on every run: the values are the
/// config's), for one sudo batch.
fn hyperparameter_calls(netuid: u16, config: &BootstrapConfig) -> Vec<Value> {
    let admin = |call: &str, args: Vec<Value>| runtime_call("AdminUtils", call, args);
    let net = || u(netuid);
    let split = match &config.emission_split {
        Some(split) => Value::unnamed_variant(
            "Some",
            vec![Value::unnamed_composite(split.iter().map(|&s| u(s)))],
        ),
        None => Value::unnamed_variant("None", vec![]),
    };
    vec![
        admin("sudo_set_tempo", vec![net(), u(config.tempo)]),
        admin(
            "sudo_set_commit_reveal_weights_enabled",
            vec![net(), Value::bool(config.commit_reveal)],
        ),
        admin(
            "sudo_set_commit_reveal_weights_interval",
            vec![net(), u(config.reveal_period)],
        ),
        admin(
            "sudo_set_weights_set_rate_limit",
            vec![net(), u(config.weights_rate_limit)],
        ),
        admin(
            "sudo_set_max_registrations_per_block",
            vec![net(), u(256u16)],
        ),
        admin(
            "sudo_set_target_registrations_per_interval",
            vec![net(), u(256u16)],
        ),
        admin(
            "sudo_set_min_allowed_weights",
            vec![net(), u(config.min_allowed_weights)],
        ),
        admin(
            "sudo_set_yuma3_enabled",
            vec![net(), Value::bool(config.yuma3)],
        ),
        admin(
            "sudo_set_liquid_alpha_enabled",
            vec![net(), Value::bool(config.liquid_alpha)],
        ),
        // The uids of all mechanisms together may not exceed the chain's default of 256.
        admin(
            "sudo_set_max_allowed_uids",
            vec![net(), u(256 / u16::from(config.mechanisms.max(1)))],
        ),
        admin(
            "sudo_set_mechanism_count",
            vec![net(), u(config.mechanisms.max(1))],
        ),
        admin("sudo_set_mechanism_emission_split", vec![net(), split]),
    ]
}

/// Creates (or completes) the subnet described by `config` on the chain at `chain`.
pub async fn bootstrap(chain: &Chain, config: &BootstrapConfig) -> Result<Subnet, ChainError> {
    let alice = dev_key(OWNER_COLDKEY)?;
    let bob = dev_key(VALIDATOR_COLDKEY)?;
    let charlie = dev_key(MINER_COLDKEY)?;
    let owner_uri = format!("//{}-owner", config.key_prefix);
    let owner = dev_key(&owner_uri)?;
    let keys = Keys::new(config)?;
    let (validators, miners) = (&keys.validators, &keys.miners);

    // 1. The subnet, found by its owner hotkey or created and started. No rate limit on new
    //    subnets, and no admin freeze window (it would block root's setters for the 10 blocks
    //    before each epoch, almost a whole tempo here).
    let netuid = match find_subnet(chain, &owner.public_key().0).await? {
        Some(netuid) => netuid,
        None => {
            let global = vec![
                runtime_call("AdminUtils", "sudo_set_network_rate_limit", vec![u(0u64)]),
                runtime_call("AdminUtils", "sudo_set_admin_freeze_window", vec![u(0u16)]),
            ];
            sudo_batch(
                chain,
                &alice,
                global,
                "network rate limit and freeze window",
            )
            .await?;
            let call = subxt::dynamic::tx(
                SUBTENSOR,
                "register_network",
                call_args(chain, "register_network", vec![account(&owner)]).await?,
            );
            let included = submit(chain, &call, &alice).await?;
            let fields = included
                .event_fields(SUBTENSOR, "NetworkAdded")
                .ok_or_else(|| {
                    ChainError::Localnet("register_network emitted no NetworkAdded event".into())
                })?;
            let netuid = match fields.as_slice() {
                [a, b, ..] => u16::from_le_bytes([*a, *b]),
                _ => {
                    return Err(ChainError::Localnet(
                        "NetworkAdded carries no netuid".into(),
                    ))
                }
            };
            let start = subxt::dynamic::tx(SUBTENSOR, "start_call", vec![u(netuid)]);
            submit(chain, &start, &alice).await?;
            netuid
        }
    };

    // 2. Hyperparameters, and the chain-wide stake threshold.
    let mut calls = hyperparameter_calls(netuid, config);
    calls.push(runtime_call(
        "AdminUtils",
        "sudo_set_stake_threshold",
        vec![u(config.stake_threshold)],
    ));
    sudo_batch(chain, &alice, calls, "the subnet's hyperparameters").await?;

    // 3. Fund the hotkeys that have no balance yet (they sign their own transactions).
    let state = current_state(chain, netuid, validators, miners).await?;
    let mut to_fund: Vec<&Keypair> = validators.iter().chain(miners).collect();
    to_fund.push(&owner);
    fund(chain, &alice, &to_fund).await?;

    // 4. Register (validators first, so they get the low uids), stake, serve.
    let register = |keys: &[Keypair], done: &[bool]| -> Vec<Value> {
        keys.iter()
            .zip(done)
            .filter(|(_, registered)| !**registered)
            .map(|(key, _)| {
                runtime_call(SUBTENSOR, "burned_register", vec![u(netuid), account(key)])
            })
            .collect()
    };
    let nv = validators.len();
    batch_all(chain, &bob, register(validators, &state.registered[..nv])).await?;
    batch_all(chain, &charlie, register(miners, &state.registered[nv..])).await?;
    let stakes: Vec<Value> = validators
        .iter()
        .zip(&config.validator_stakes_tao)
        .zip(&state.staked)
        .filter(|(_, staked)| !**staked)
        .map(|((key, tao), _)| {
            runtime_call(
                SUBTENSOR,
                "add_stake",
                vec![account(key), u(netuid), u(tao.saturating_mul(RAO_PER_TAO))],
            )
        })
        .collect();
    batch_all(chain, &bob, stakes).await?;
    // Each miner's serve_axon is dispatched with that miner's own signed origin, all in one
    // block (see [`dispatch_as_each`]): one by one, a 256-uid subnet would need 253 blocks.
    let serves: Vec<(&Keypair, Value)> = miners
        .iter()
        .zip(&state.served)
        .enumerate()
        .filter(|(_, (_, served))| !**served)
        .map(|(i, (key, _))| {
            let (ip, port) = miner_address(config, i);
            let args = vec![
                u(netuid),
                u(1u32),
                u(u32::from(ip)),
                u(port),
                u(4u8),
                u(4u8),
                u(0u8),
                u(0u8),
            ];
            (key, runtime_call(SUBTENSOR, "serve_axon", args))
        })
        .collect();
    for chunk in serves.chunks(64) {
        for (i, result) in dispatch_as_each(chain, &alice, chunk)
            .await?
            .into_iter()
            .enumerate()
        {
            result
                .map_err(|e| ChainError::Localnet(format!("serve_axon of a miner ({i}): {e}")))?;
        }
    }

    // 5. Permits: an epoch gives them to the staked validators above the threshold.
    if config.wait_for_permits {
        wait_for_permits(chain, netuid, config).await?;
    }

    // 6. Report what is on chain now.
    let state = current_state(chain, netuid, validators, miners).await?;
    let missing = |what: &str, flags: &[bool]| -> Result<(), ChainError> {
        match flags.iter().filter(|f| !**f).count() {
            0 => Ok(()),
            k => Err(ChainError::Localnet(format!(
                "after the bootstrap {k} keys are still not {what}"
            ))),
        }
    };
    missing("registered", &state.registered)?;
    missing("staked", &state.staked)?;
    missing("serving an axon", &state.served)?;
    let owner_uid = state.owner_uid.unwrap_or(0);
    let member = |uri: &String, key: &Keypair, i: usize, axon: String| Member {
        // A seed URI is a secret: print where the key lives, never the seed.
        uri: if uri.starts_with("//") {
            uri.clone()
        } else {
            "(wallet key)".into()
        },
        hotkey: ss58(key),
        uid: state.uids[i].unwrap_or(u16::MAX),
        axon,
        alpha_stake: state.alpha[i],
    };
    Ok(Subnet {
        netuid,
        endpoint: chain.endpoint().to_string(),
        spec_version: chain.at_best().await?.spec_version(),
        coldkey_uri: OWNER_COLDKEY.into(),
        validator_coldkey_uri: VALIDATOR_COLDKEY.into(),
        miner_coldkey_uri: MINER_COLDKEY.into(),
        owner: Member {
            uri: owner_uri,
            hotkey: ss58(&owner),
            uid: owner_uid,
            axon: String::new(),
            alpha_stake: 0,
        },
        validators: keys
            .validator_uris
            .iter()
            .zip(validators)
            .enumerate()
            .map(|(i, (u, k))| member(u, k, i, String::new()))
            .collect(),
        miners: keys
            .miner_uris
            .iter()
            .zip(miners)
            .enumerate()
            .map(|(i, (u, k))| {
                let (ip, port) = miner_address(config, i);
                member(u, k, nv + i, format!("{ip}:{port}"))
            })
            .collect(),
    })
}

/// Sends 1000 TAO from `funder` to each of `keys` that has no account yet, in one batch.
pub async fn fund(chain: &Chain, funder: &Keypair, keys: &[&Keypair]) -> Result<(), ChainError> {
    let at = chain.at_best().await?;
    let mut transfers = Vec::new();
    // Balances live in System.Account, outside SubtensorModule: read them one by one.
    for key in keys {
        let addr =
            subxt::dynamic::storage::<(AccountId32,), scale_value::Value>("System", "Account");
        let found = at
            .storage()
            .try_fetch(addr, (AccountId32(key.public_key().0),))
            .await
            .map_err(|e| ChainError::Rpc {
                what: "reading System.Account".into(),
                reason: e.to_string(),
            })?;
        if found.is_none() {
            let dest = Value::unnamed_variant("Id", vec![account(key)]);
            transfers.push(runtime_call(
                "Balances",
                "transfer_keep_alive",
                vec![dest, u(HOTKEY_FUNDING)],
            ));
        }
    }
    batch_all(chain, funder, transfers).await
}

/// Registers `hotkeys` on `netuid` with `burned_register`, paid by `coldkey`, in one batch;
/// returns their uids.
pub async fn register_neurons(
    chain: &Chain,
    netuid: u16,
    coldkey: &Keypair,
    hotkeys: &[&Keypair],
) -> Result<Vec<u16>, ChainError> {
    let calls = hotkeys
        .iter()
        .map(|key| runtime_call(SUBTENSOR, "burned_register", vec![u(netuid), account(key)]))
        .collect();
    batch_all(chain, coldkey, calls).await?;
    let at = chain.at_best().await?;
    let mut b = Batch::new(&at);
    let idx = hotkeys
        .iter()
        .map(|key| {
            b.add(
                "Uids",
                &[KeyPart::U16(netuid), KeyPart::Account(key.public_key().0)],
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let v = b.fetch(chain).await?;
    idx.into_iter()
        .map(|i| {
            v.get_opt::<u16>(i)?.ok_or_else(|| {
                ChainError::Localnet(format!("a hotkey is not registered on subnet {netuid}"))
            })
        })
        .collect()
}

/// Dispatches each `(signer, call)` with the signer's own signed origin, all in one block:
/// `sudo(Utility.batch([dispatch_as(Signed(signer), call), …]))` signed by the sudo key (a
/// local chain's shortcut; the calls run every check a signed call runs). Returns each call's
/// result in order: `Err` names the module error.
pub async fn dispatch_as_each(
    chain: &Chain,
    sudo_key: &Keypair,
    calls: &[(&Keypair, Value)],
) -> Result<Vec<Result<(), String>>, ChainError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let wrapped: Vec<Value> = calls
        .iter()
        .map(|(signer, call)| {
            let origin = Value::unnamed_variant(
                "system",
                vec![Value::unnamed_variant("Signed", vec![account(signer)])],
            );
            runtime_call("Utility", "dispatch_as", vec![origin, call.clone()])
        })
        .collect();
    let batch = runtime_call("Utility", "batch", vec![Value::unnamed_composite(wrapped)]);
    let included = submit(
        chain,
        &subxt::dynamic::tx("Sudo", "sudo", vec![batch]),
        sudo_key,
    )
    .await?;
    let metadata = chain.at_best().await?.metadata();
    let results: Vec<Result<(), String>> = included
        .all_event_fields("Utility", "DispatchedAs")
        .iter()
        .map(|fields| match fields.first() {
            Some(0) => Ok(()),
            _ => Err(crate::tx::dispatch_error_name(
                metadata.clone(),
                fields.get(1..).unwrap_or(&[]),
            )),
        })
        .collect();
    if results.len() != calls.len() {
        return Err(ChainError::Localnet(format!(
            "dispatch_as: {} results for {} calls",
            results.len(),
            calls.len()
        )));
    }
    Ok(results)
}

/// `calls` in one `sudo(Utility.batch_all(calls))`.
pub async fn sudo_batch(
    chain: &Chain,
    alice: &Keypair,
    calls: Vec<Value>,
    what: &str,
) -> Result<(), ChainError> {
    if calls.is_empty() {
        return Ok(());
    }
    let batch = runtime_call(
        "Utility",
        "batch_all",
        vec![Value::unnamed_composite(calls)],
    );
    sudo(chain, alice, batch, what).await
}

/// `base` completed with the defaults of arguments a runtime added after them (e.g. an older
/// `register_network(hotkey, mechid)`), from the call's metadata.
async fn call_args(
    chain: &Chain,
    call: &str,
    mut base: Vec<Value>,
) -> Result<Vec<Value>, ChainError> {
    let metadata = chain.at_best().await?.metadata();
    let fields = metadata
        .pallet_by_name(SUBTENSOR)
        .and_then(|p| p.call_variant_by_name(call))
        .map(|v| v.fields.len())
        .ok_or_else(|| ChainError::Unsupported {
            item: format!("{SUBTENSOR}.{call}"),
        })?;
    while base.len() < fields {
        base.push(u(1u8));
    }
    base.truncate(fields);
    Ok(base)
}

/// Builds blocks until every validator staked above the threshold holds a permit (an epoch
/// has run since the stake was added), at most three tempos.
async fn wait_for_permits(
    chain: &Chain,
    netuid: u16,
    config: &BootstrapConfig,
) -> Result<(), ChainError> {
    let limit = 3 * (u64::from(config.tempo) + 2);
    for _ in 0..=limit {
        let mg = crate::metagraph::sync(chain, netuid, None).await?;
        let waiting = mg.neurons.iter().any(|n| {
            n.uid != mg.owner_uid.unwrap_or(u16::MAX)
                && n.total_stake >= config.stake_threshold.max(1)
                && !n.validator_permit
        });
        if !waiting {
            return Ok(());
        }
        crate::localnet::new_block(chain).await?;
    }
    Err(ChainError::Localnet(format!(
        "no epoch gave the staked validators a permit within {limit} blocks (tempo {})",
        config.tempo
    )))
}

/// Miner i's axon: 127.0.0.(2 + i) (the runtime refuses 127.0.0.1) and its port.
pub fn miner_address(config: &BootstrapConfig, i: usize) -> (std::net::Ipv4Addr, u16) {
    let i16 = u16::try_from(i).unwrap_or(u16::MAX);
    let host = 2 + (i % 250) as u8;
    (
        std::net::Ipv4Addr::new(127, 0, (i / 250) as u8, host),
        config.miner_port_base.saturating_add(i16),
    )
}

/// The subnet owned by `owner_hotkey`, if one exists.
async fn find_subnet(chain: &Chain, owner_hotkey: &[u8; 32]) -> Result<Option<u16>, ChainError> {
    let netuids = crate::metagraph::subnets(chain).await?;
    let at = chain.at_best().await?;
    let mut b = Batch::new(&at);
    let idx: Vec<(u16, usize)> = netuids
        .iter()
        .map(|&n| {
            b.add("SubnetOwnerHotkey", &[KeyPart::U16(n)])
                .map(|i| (n, i))
        })
        .collect::<Result<_, _>>()?;
    let v = b.fetch(chain).await?;
    for (netuid, i) in idx {
        if v.exists(i) && &v.account(i)? == owner_hotkey {
            return Ok(Some(netuid));
        }
    }
    Ok(None)
}

/// What already exists, per key (validators then miners).
struct State {
    owner_uid: Option<u16>,
    registered: Vec<bool>,
    uids: Vec<Option<u16>>,
    alpha: Vec<u64>,
    staked: Vec<bool>,
    served: Vec<bool>,
}

async fn current_state(
    chain: &Chain,
    netuid: u16,
    validators: &[Keypair],
    miners: &[Keypair],
) -> Result<State, ChainError> {
    let at = chain.at_best().await?;
    let mut b = Batch::new(&at);
    let owner_hk = b.add("SubnetOwnerHotkey", &[KeyPart::U16(netuid)])?;
    let mut idx = Vec::new();
    for key in validators.iter().chain(miners) {
        let hk = KeyPart::Account(key.public_key().0);
        idx.push((
            b.add("Uids", &[KeyPart::U16(netuid), hk.clone()])?,
            b.add("TotalHotkeyAlpha", &[hk.clone(), KeyPart::U16(netuid)])?,
            b.add("Axons", &[KeyPart::U16(netuid), hk])?,
        ));
    }
    let v = b.fetch(chain).await?;
    let owner_key = v.account(owner_hk)?;
    let mut owner_uid = None;
    let mut b2 = Batch::new(&at);
    let ou = b2.add("Uids", &[KeyPart::U16(netuid), KeyPart::Account(owner_key)])?;
    let v2 = b2.fetch(chain).await?;
    if let Some(uid) = v2.get_opt::<u16>(ou)? {
        owner_uid = Some(uid);
    }
    let mut state = State {
        owner_uid,
        registered: Vec::new(),
        uids: Vec::new(),
        alpha: Vec::new(),
        staked: Vec::new(),
        served: Vec::new(),
    };
    for (i, &(uid, alpha, axon)) in idx.iter().enumerate() {
        let uid = v.get_opt::<u16>(uid)?;
        let alpha: u64 = v.get(alpha)?;
        state.registered.push(uid.is_some());
        state.uids.push(uid);
        state.alpha.push(alpha);
        if i < validators.len() {
            state.staked.push(alpha > 0);
        } else {
            state.served.push(v.exists(axon));
        }
    }
    Ok(state)
}
