//! Bootstrapping a subnet on a local chain with dev keys, as the 2026 runtime (spec 425, and
//! 385 before it) wants it:
//! 1. the subnet, registered with `register_network` by //Alice (the owner coldkey) and
//!    started with `start_call` (without it the subnet emits nothing);
//! 2. its hyperparameters in one sudo batch: tempo, commit-reveal and its period, the weights
//!    rate limit, no serving rate limit, registration limits, the fewest weights, Yuma3,
//!    liquid alpha, the number of mechanisms and their emission split; and the chain-wide
//!    `StakeThreshold`;
//! 3. validators registered and staked by //Bob, miners registered by //Charlie, each
//!    miner's axon served on 127.0.0.x (a sudo batch of `dispatch_as`, one block for all);
//! 4. blocks built until an epoch has given the staked validators their permits, so that
//!    they can set weights at once.
//!
//! Idempotent: a second run finds the subnet by its owner hotkey and only does what is missing
//! (a miner whose axon is at another address than the config gives it serves it again).

use std::str::FromStr;

use scale_value::Value;
use serde::{Deserialize, Serialize};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;
use subxt_signer::SecretUri;

use crate::client::Chain;
use crate::error::{ChainError, TxError};
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

/// What to create. Its `Debug` leaves out the key URIs (wallet seeds).
#[derive(Clone)]
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

impl BootstrapConfig {
    /// Everything this bootstrap makes on chain but the miners' ports (a bootstrap run again
    /// with other ports serves the axons again): the recipe of its [`crate::snapshot`]. Key
    /// URIs (wallet seeds) enter as a hash only.
    pub fn recipe(&self) -> String {
        use sha2::Digest;
        let keys = |uris: &Option<Vec<String>>| match uris {
            Some(uris) => hex::encode(sha2::Sha256::digest(uris.join("\n").as_bytes())),
            None => "dev".into(),
        };
        format!(
            "bootstrap v1: tempo {} commit-reveal {} reveal-period {} weights-rate-limit {} min-weights {} validator-stakes {:?} miners {} keys {} validators {} miners {} mechanisms {} split {:?} yuma3 {} liquid-alpha {} stake-threshold {} permits {}",
            self.tempo,
            self.commit_reveal,
            self.reveal_period,
            self.weights_rate_limit,
            self.min_allowed_weights,
            self.validator_stakes_tao,
            self.miners,
            self.key_prefix,
            keys(&self.validator_uris),
            keys(&self.miner_uris),
            self.mechanisms,
            self.emission_split,
            self.yuma3,
            self.liquid_alpha,
            self.stake_threshold,
            self.wait_for_permits,
        )
    }
}

/// One bootstrapped key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// The dev secret URI (`//bt-validator-0`, test keys only), or `(wallet key)`.
    pub uri: String,
    /// Its SS58 address.
    pub hotkey: String,
    /// Its uid on the subnet.
    pub uid: u16,
    /// The axon address miners serve (`127.0.0.x:port`), empty for validators.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub axon: String,
    /// Alpha staked (rao), for validators.
    pub alpha_stake: u64,
}

/// The bootstrapped subnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

impl std::fmt::Debug for BootstrapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Everything the bootstrap makes (its recipe), never the keys' URIs.
        f.debug_struct("BootstrapConfig")
            .field("recipe", &self.recipe())
            .field("miner_port_base", &self.miner_port_base)
            .finish()
    }
}

/// An sr25519 key from a dev URI such as `//Alice` (or a wallet's `0x` seed). An error never
/// echoes the URI, which may be a secret seed.
pub fn dev_key(uri: &str) -> Result<Keypair, ChainError> {
    let what = if uri.starts_with("//") {
        "a dev key URI"
    } else {
        "a key URI (not shown: it may be a seed)"
    };
    let secret = SecretUri::from_str(uri)
        .map_err(|_| ChainError::Localnet(format!("{what} does not parse")))?;
    Keypair::from_uri(&secret)
        .map_err(|_| ChainError::Localnet(format!("{what} does not give a key")))
}

fn ss58(key: &Keypair) -> String {
    bt_core::ss58::bittensor(&key.public_key().0)
}

fn u(v: impl Into<u128>) -> Value {
    Value::u128(v.into())
}

fn account(key: &Keypair) -> Value {
    Value::from_bytes(key.public_key().0)
}

/// A `RuntimeCall` value: `pallet.call(args)`.
pub fn runtime_call(pallet: &str, call: &str, args: Vec<Value>) -> Value {
    crate::items::check_listed(crate::items::Kind::Call, pallet, call);
    Value::unnamed_variant(pallet, vec![Value::unnamed_variant(call, args)])
}

/// Submits `calls` from `signer` in `Utility.batch_all`s of at most 32 calls (a block's weight
/// limit is the bound), in order.
async fn batch_all(chain: &Chain, signer: &Keypair, calls: Vec<Value>) -> Result<(), ChainError> {
    for chunk in calls.chunks(32) {
        let call = crate::tx::dynamic_call(
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
    sudo_included(chain, sudo_key, call, what).await.map(|_| ())
}

/// [`sudo`], returning the included extrinsic (its events).
async fn sudo_included(
    chain: &Chain,
    sudo_key: &Keypair,
    call: Value,
    what: &str,
) -> Result<crate::tx::Included, ChainError> {
    let included = submit(
        chain,
        &crate::tx::dynamic_call("Sudo", "sudo", vec![call]),
        sudo_key,
    )
    .await?;
    let metadata = chain.at_best().await?.metadata();
    match included.event_fields("Sudo", "Sudid") {
        Some(fields) if fields.first() == Some(&0) => {}
        Some(fields) => {
            return Err(ChainError::Localnet(format!(
                "sudo {what} failed inside the sudo call: {}",
                crate::tx::dispatch_error(metadata.clone(), fields.get(1..).unwrap_or(&[]))
            )))
        }
        None => return Err(ChainError::Localnet(format!("sudo {what}: no Sudid event"))),
    }
    // A batch reports a failed item as BatchInterrupted while the sudo call itself succeeds.
    if let Some(fields) = included.event_fields("Utility", "BatchInterrupted") {
        // (index: u32, error: DispatchError)
        return Err(ChainError::Localnet(format!(
            "sudo {what}: an item of the batch failed: {}",
            crate::tx::dispatch_error(metadata, fields.get(4..).unwrap_or(&[]))
        )));
    }
    Ok(included)
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
        // No wait between two serve_axons: a bootstrap resumed with another port base serves
        // its miners again at once.
        admin("sudo_set_serving_rate_limit", vec![net(), u(0u64)]),
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

    // 1. The subnet, found by its owner hotkey or registered. No rate limit on new subnets,
    //    and no admin freeze window (it would block root's setters for the 10 blocks before
    //    each epoch, almost a whole tempo here).
    let mut started = true;
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
            let call = crate::tx::dynamic_call(
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
            // Started in the batch below.
            started = false;
            netuid
        }
    };

    // 2. Everything else in sudo batches of a block each, every call as the origin it needs
    //    (root for the hyperparameters, each key's own signed origin for the rest, which
    //    runs every check a signed call runs): the subnet started; its hyperparameters and
    //    the chain-wide stake threshold; the hotkeys funded (they sign their own
    //    transactions); validators registered (first, so they get the low uids) and staked,
    //    miners registered and serving. One by one this was a block per call kind, and a
    //    256-uid subnet needed 253 blocks for its axons.
    let state = current_state(chain, netuid, config, validators, miners).await?;
    let mut planned: Vec<(Option<&Keypair>, Value, u32)> = Vec::new();
    let mut add = |origin, call, cost| planned.push((origin, call, cost));
    if !started {
        add(
            Some(&alice),
            runtime_call(SUBTENSOR, "start_call", vec![u(netuid)]),
            0,
        );
    }
    for call in hyperparameter_calls(netuid, config) {
        add(None, call, 0);
    }
    let threshold = vec![u(config.stake_threshold)];
    add(
        None,
        runtime_call("AdminUtils", "sudo_set_stake_threshold", threshold),
        0,
    );
    let mut to_fund: Vec<&Keypair> = validators.iter().chain(miners).collect();
    to_fund.push(&owner);
    for transfer in unfunded_transfers(chain, &to_fund).await? {
        add(Some(&alice), transfer, 0);
    }
    let nv = validators.len();
    let register =
        |key: &Keypair| runtime_call(SUBTENSOR, "burned_register", vec![u(netuid), account(key)]);
    for (key, _) in validators
        .iter()
        .zip(&state.registered[..nv])
        .filter(|(_, r)| !**r)
    {
        add(Some(&bob), register(key), HEAVY);
    }
    for (key, _) in miners
        .iter()
        .zip(&state.registered[nv..])
        .filter(|(_, r)| !**r)
    {
        add(Some(&charlie), register(key), HEAVY);
    }
    for ((key, tao), _) in validators
        .iter()
        .zip(&config.validator_stakes_tao)
        .zip(&state.staked)
        .filter(|(_, staked)| !**staked)
    {
        let args = vec![account(key), u(netuid), u(tao.saturating_mul(RAO_PER_TAO))];
        add(
            Some(&bob),
            runtime_call(SUBTENSOR, "add_stake", args),
            HEAVY,
        );
    }
    for (i, (key, _)) in miners
        .iter()
        .zip(&state.served)
        .enumerate()
        .filter(|(_, (_, served))| !**served)
    {
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
        add(
            Some(key),
            runtime_call(SUBTENSOR, "serve_axon", args),
            LIGHT,
        );
    }
    let costs: Vec<u32> = planned.iter().map(|(_, _, cost)| *cost).collect();
    let calls: Vec<(Option<&Keypair>, Value)> = planned
        .into_iter()
        .map(|(origin, call, _)| (origin, call))
        .collect();
    for range in block_sized(&costs) {
        let first = range.start;
        for (i, result) in sudo_dispatch(chain, &alice, &calls[range], "the bootstrap")
            .await?
            .into_iter()
            .enumerate()
        {
            result.map_err(|e| {
                ChainError::Localnet(format!("the bootstrap's call {} failed: {e}", first + i))
            })?;
        }
    }

    // 3. Permits: an epoch gives them to the staked validators above the threshold.
    if config.wait_for_permits {
        wait_for_permits(chain, netuid, config).await?;
    }

    // 4. Report what is on chain now.
    let state = current_state(chain, netuid, config, validators, miners).await?;
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

/// The transfers of 1000 TAO to each of `keys` that has no account yet.
async fn unfunded_transfers(chain: &Chain, keys: &[&Keypair]) -> Result<Vec<Value>, ChainError> {
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
    Ok(transfers)
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

/// Dispatches each `(signer, call)` with the signer's own signed origin, all in one block
/// (see [`sudo_dispatch`]). Returns each call's result in order: `Err` is the typed refusal.
pub async fn dispatch_as_each(
    chain: &Chain,
    sudo_key: &Keypair,
    calls: &[(&Keypair, Value)],
) -> Result<Vec<Result<(), TxError>>, ChainError> {
    let calls: Vec<(Option<&Keypair>, Value)> =
        calls.iter().map(|(k, c)| (Some(*k), c.clone())).collect();
    sudo_dispatch(chain, sudo_key, &calls, "dispatch_as").await
}

/// Dispatches `calls` in one block: `sudo(Utility.batch([...]))` signed by the sudo key (a
/// local chain's shortcut), each call as root (`None`) or with a key's own signed origin
/// (`Utility.dispatch_as(Signed(key), call)`: it runs every check a signed call runs).
/// Returns each call's result in order (`Err` is the typed refusal of a signed call); a
/// root call that fails stops the batch, and is an error.
pub async fn sudo_dispatch(
    chain: &Chain,
    sudo_key: &Keypair,
    calls: &[(Option<&Keypair>, Value)],
    what: &str,
) -> Result<Vec<Result<(), TxError>>, ChainError> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let wrapped: Vec<Value> = calls
        .iter()
        .map(|(signer, call)| match signer {
            None => call.clone(),
            Some(signer) => {
                let origin = Value::unnamed_variant(
                    "system",
                    vec![Value::unnamed_variant("Signed", vec![account(signer)])],
                );
                runtime_call("Utility", "dispatch_as", vec![origin, call.clone()])
            }
        })
        .collect();
    let batch = runtime_call("Utility", "batch", vec![Value::unnamed_composite(wrapped)]);
    let included = sudo_included(chain, sudo_key, batch, what).await?;
    let metadata = chain.at_best().await?.metadata();
    let mut signed = included
        .all_event_fields("Utility", "DispatchedAs")
        .into_iter()
        .map(|fields| match fields.first() {
            Some(0) => Ok(()),
            _ => Err(crate::tx::dispatch_error(
                metadata.clone(),
                fields.get(1..).unwrap_or(&[]),
            )),
        });
    let results: Vec<Result<(), TxError>> = calls
        .iter()
        .map(|(signer, _)| match signer {
            None => Some(Ok(())),
            Some(_) => signed.next(),
        })
        .collect::<Option<_>>()
        .ok_or_else(|| {
            ChainError::Localnet(format!(
                "sudo {what}: fewer DispatchedAs events than signed calls"
            ))
        })?;
    Ok(results)
}

/// How much of a block a call of the bootstrap takes: registrations and stakes are the heavy
/// calls (32 of them fill a block), axons half that, the rest next to nothing.
const HEAVY: u32 = 2;
const LIGHT: u32 = 1;
const BLOCK: u32 = 64;

/// The index ranges of `costs` that fit a block each, in order.
fn block_sized(costs: &[u32]) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, &c) in costs.iter().enumerate() {
        if used + c > BLOCK {
            chunks.push(start..i);
            (start, used) = (i, 0);
        }
        used += c;
    }
    if start < costs.len() {
        chunks.push(start..costs.len());
    }
    chunks
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
    /// The miner serves its axon at the address the config gives it (a bootstrap resumed with
    /// another port base serves again).
    served: Vec<bool>,
}

async fn current_state(
    chain: &Chain,
    netuid: u16,
    config: &BootstrapConfig,
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
            let (ip, port) = miner_address(config, i - validators.len());
            let stored = v.get_opt::<crate::metagraph::StoredAxon>(axon)?;
            state
                .served
                .push(stored.is_some_and(|a| a.ip == u128::from(u32::from(ip)) && a.port == port));
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seed URI given for a key never appears in an error or in the config's `Debug`.
    #[test]
    fn key_uris_are_never_printed() {
        let seed = "0x1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2bZZ";
        let Err(err) = dev_key(seed).map(|_| ()) else {
            panic!("not a seed")
        };
        let err = err.to_string();
        assert!(!err.contains("1a2b3c4d5e6f"), "{err}");
        let valid = "0x1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b";
        let config = BootstrapConfig {
            validator_uris: Some(vec![valid.into(), valid.into()]),
            ..BootstrapConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("1a2b3c4d5e6f"), "{shown}");
        assert!(shown.contains("tempo 10"), "{shown}");
    }
}
