//! Bootstrapping a subnet on a local chain with dev keys: create it (owned by //Alice), set
//! its tempo, commit-reveal and rate limit, seed its pool so that stake yields alpha, register
//! and stake N validators, register M miners and serve their axons on 127.0.0.x.
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

/// The pool reserves (rao) that make staked TAO yield alpha on spec 218 (1e15 saturates).
const POOL_RESERVE: u64 = 10_000_000_000_000;
/// TAO sent to each hotkey so it can pay for serve_axon.
const HOTKEY_FUNDING: u128 = 1_000 * RAO_PER_TAO as u128;
/// Rao per TAO.
pub const RAO_PER_TAO: u64 = 1_000_000_000;

/// What to create.
#[derive(Debug, Clone)]
pub struct BootstrapConfig {
    /// Blocks per epoch.
    pub tempo: u16,
    /// Commit-reveal on the subnet.
    pub commit_reveal: bool,
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
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            tempo: 10,
            commit_reveal: false,
            weights_rate_limit: 0,
            min_allowed_weights: 1,
            validator_stakes_tao: vec![1_000, 400],
            miners: 6,
            miner_port_base: 8091,
            key_prefix: "bt".into(),
            validator_uris: None,
            miner_uris: None,
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
    /// The coldkey that owns everything (//Alice, the local sudo key).
    pub coldkey_uri: String,
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
fn runtime_call(pallet: &str, call: &str, args: Vec<Value>) -> Value {
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

/// Runs `call` (a `RuntimeCall` value) through `Sudo.sudo`; `what` names it in errors.
async fn sudo(
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
    match included.event_fields("Sudo", "Sudid") {
        Some(fields) if fields.first() == Some(&0) => {}
        Some(fields) => {
            return Err(ChainError::Localnet(format!(
                "sudo {what} failed inside the sudo call (Sudid Err, bytes 0x{})",
                hex::encode(fields)
            )))
        }
        None => return Err(ChainError::Localnet(format!("sudo {what}: no Sudid event"))),
    }
    // A batch reports a failed item as BatchInterrupted while the sudo call itself succeeds.
    if included
        .event_fields("Utility", "BatchInterrupted")
        .is_some()
    {
        return Err(ChainError::Localnet(format!(
            "sudo {what}: an item of the batch failed (BatchInterrupted)"
        )));
    }
    Ok(())
}

/// Creates (or completes) the subnet described by `config` on the chain at `chain`.
pub async fn bootstrap(chain: &Chain, config: &BootstrapConfig) -> Result<Subnet, ChainError> {
    let coldkey_uri = "//Alice".to_string();
    let alice = dev_key(&coldkey_uri)?;
    let prefix = &config.key_prefix;
    let owner_uri = format!("//{prefix}-owner");
    let owner = dev_key(&owner_uri)?;
    let validator_uris: Vec<String> = match &config.validator_uris {
        Some(uris) if uris.len() == config.validator_stakes_tao.len() => uris.clone(),
        Some(uris) => {
            return Err(ChainError::Localnet(format!(
                "{} validator keys for {} stakes",
                uris.len(),
                config.validator_stakes_tao.len()
            )))
        }
        None => (0..config.validator_stakes_tao.len())
            .map(|i| format!("//{prefix}-validator-{i}"))
            .collect(),
    };
    let miner_uris: Vec<String> = match &config.miner_uris {
        Some(uris) if uris.len() == usize::from(config.miners) => uris.clone(),
        Some(uris) => {
            return Err(ChainError::Localnet(format!(
                "{} miner keys for {} miners",
                uris.len(),
                config.miners
            )))
        }
        None => (0..config.miners)
            .map(|i| format!("//{prefix}-miner-{i}"))
            .collect(),
    };
    let validators = validator_uris
        .iter()
        .map(|u| dev_key(u))
        .collect::<Result<Vec<_>, _>>()?;
    let miners = miner_uris
        .iter()
        .map(|u| dev_key(u))
        .collect::<Result<Vec<_>, _>>()?;

    // 1. The subnet, found by its owner hotkey or created.
    let netuid = match find_subnet(chain, &owner.public_key().0).await? {
        Some(netuid) => netuid,
        None => {
            sudo_admin(chain, &alice, "sudo_set_network_rate_limit", vec![u(0u64)]).await?;
            let call = subxt::dynamic::tx(
                SUBTENSOR,
                "register_network",
                vec![account(&owner), u(1u16)],
            );
            let included = submit(chain, &call, &alice).await?;
            let fields = included
                .event_fields(SUBTENSOR, "NetworkAdded")
                .ok_or_else(|| {
                    ChainError::Localnet("register_network emitted no NetworkAdded event".into())
                })?;
            u16::from_le_bytes([fields[0], *fields.get(1).unwrap_or(&0)])
        }
    };

    // 2. Hyperparameters (cheap to re-apply; the values are the config's).
    for (call, args) in [
        ("sudo_set_tempo", vec![u(netuid), u(config.tempo)]),
        (
            "sudo_set_commit_reveal_weights_enabled",
            vec![u(netuid), Value::bool(config.commit_reveal)],
        ),
        (
            "sudo_set_weights_set_rate_limit",
            vec![u(netuid), u(config.weights_rate_limit)],
        ),
        (
            "sudo_set_max_registrations_per_block",
            vec![u(netuid), u(256u16)],
        ),
        (
            "sudo_set_target_registrations_per_interval",
            vec![u(netuid), u(256u16)],
        ),
        (
            "sudo_set_min_allowed_weights",
            vec![u(netuid), u(config.min_allowed_weights)],
        ),
    ] {
        sudo_admin(chain, &alice, call, args).await?;
    }

    // 3. Pool reserves, so that staked TAO buys alpha at a sane price.
    let reserves = serde_json::json!({ SUBTENSOR: {
        "SubnetAlphaIn": [[[netuid], POOL_RESERVE]],
        "SubnetTAO": [[[netuid], POOL_RESERVE]],
    }});
    let state = current_state(chain, netuid, &validators, &miners).await?;
    if !state.pool_seeded {
        chain
            .request::<serde_json::Value>("dev_setStorage", subxt_rpcs::rpc_params![reserves])
            .await?;
    }

    // 4. Fund hotkeys that have no balance yet, in one batch.
    let unfunded: Vec<&Keypair> = validators
        .iter()
        .chain(&miners)
        .zip(&state.funded)
        .filter(|(_, f)| !**f)
        .map(|(k, _)| k)
        .collect();
    let transfers: Vec<Value> = unfunded
        .iter()
        .map(|k| {
            let dest = Value::unnamed_variant("Id", vec![account(k)]);
            runtime_call(
                "Balances",
                "transfer_keep_alive",
                vec![dest, u(HOTKEY_FUNDING)],
            )
        })
        .collect();
    batch_all(chain, &alice, transfers).await?;

    // 5. Register (validators first, so they get the low uids), stake, serve.
    let registrations: Vec<Value> = validators
        .iter()
        .chain(&miners)
        .zip(&state.registered)
        .filter(|(_, registered)| !**registered)
        .map(|(key, _)| runtime_call(SUBTENSOR, "burned_register", vec![u(netuid), account(key)]))
        .collect();
    batch_all(chain, &alice, registrations).await?;
    for ((key, tao), staked) in validators
        .iter()
        .zip(&config.validator_stakes_tao)
        .zip(&state.staked)
    {
        if !staked {
            let call = subxt::dynamic::tx(
                SUBTENSOR,
                "add_stake",
                vec![account(key), u(netuid), u(tao.saturating_mul(RAO_PER_TAO))],
            );
            submit(chain, &call, &alice).await?;
        }
    }
    // Each miner's serve_axon is dispatched with that miner's own signed origin, all in one
    // block: sudo(Utility.batch_all([dispatch_as(Signed(miner), serve_axon(..)), ..])). One by
    // one, a 256-uid subnet would need 253 blocks of several seconds each under chopsticks.
    let serves: Vec<Value> = miners
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
            let origin = Value::unnamed_variant(
                "system",
                vec![Value::unnamed_variant("Signed", vec![account(key)])],
            );
            runtime_call(
                "Utility",
                "dispatch_as",
                vec![origin, runtime_call(SUBTENSOR, "serve_axon", args)],
            )
        })
        .collect();
    for chunk in serves.chunks(64) {
        let batch = runtime_call(
            "Utility",
            "batch_all",
            vec![Value::unnamed_composite(chunk.to_vec())],
        );
        sudo(
            chain,
            &alice,
            batch,
            "Utility.batch_all(dispatch_as(serve_axon))",
        )
        .await?;
    }

    // 6. Report what is on chain now.
    let state = current_state(chain, netuid, &validators, &miners).await?;
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
    let nv = validators.len();
    Ok(Subnet {
        netuid,
        endpoint: chain.endpoint().to_string(),
        coldkey_uri,
        owner: Member {
            uri: owner_uri,
            hotkey: ss58(&owner),
            uid: owner_uid,
            axon: String::new(),
            alpha_stake: 0,
        },
        validators: validator_uris
            .iter()
            .zip(&validators)
            .enumerate()
            .map(|(i, (u, k))| member(u, k, i, String::new()))
            .collect(),
        miners: miner_uris
            .iter()
            .zip(&miners)
            .enumerate()
            .map(|(i, (u, k))| {
                let (ip, port) = miner_address(config, i);
                member(u, k, nv + i, format!("{ip}:{port}"))
            })
            .collect(),
    })
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
    pool_seeded: bool,
    owner_uid: Option<u16>,
    funded: Vec<bool>,
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
    let pool = b.add("SubnetAlphaIn", &[KeyPart::U16(netuid)])?;
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
    // Balances live in System.Account, outside SubtensorModule: read them one by one.
    let mut funded = Vec::new();
    for key in validators.iter().chain(miners) {
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
        funded.push(found.is_some());
    }
    let mut owner_uid = None;
    let mut b2 = Batch::new(&at);
    let ou = b2.add("Uids", &[KeyPart::U16(netuid), KeyPart::Account(owner_key)])?;
    let v2 = b2.fetch(chain).await?;
    if let Some(uid) = v2.get_opt::<u16>(ou)? {
        owner_uid = Some(uid);
    }
    let mut state = State {
        pool_seeded: v.get::<u64>(pool)? >= POOL_RESERVE / 2,
        owner_uid,
        funded,
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
