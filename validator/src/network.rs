//! Networked subcommands: a local chain for development (`localnet`), the metagraph of any
//! subnet on any node (`metagraph`), and the epoch recomputed locally against the chain's
//! own values (`yuma`). Flags follow btcli: `--subtensor.network`, `--subtensor.chain_endpoint`.

use std::time::Duration;

use anyhow::{Context, Result};
use bt_chain::bootstrap::{bootstrap, BootstrapConfig};
use bt_chain::localnet::{Localnet, LocalnetConfig};
use bt_chain::snapshot::SnapshotStore;
use bt_chain::{metagraph, resolve_endpoint, Chain};
use bt_core::metagraph::Metagraph;
use clap::Args;

/// Where the chain is, as btcli names it.
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// finney, test, local, or a ws:// URL.
    #[arg(
        long = "subtensor.network",
        env = "BT_SUBTENSOR_NETWORK",
        default_value = "finney"
    )]
    pub network: String,
    /// A websocket URL; overrides --subtensor.network.
    #[arg(long = "subtensor.chain_endpoint", env = "BT_SUBTENSOR_CHAIN_ENDPOINT")]
    pub chain_endpoint: Option<String>,
    /// Seconds before a request to the node is abandoned.
    #[arg(long = "subtensor.timeout", default_value_t = 30)]
    pub timeout: u64,
}

impl ChainArgs {
    /// Connects to the endpoint these flags name.
    pub async fn connect(&self) -> Result<Chain> {
        let endpoint = resolve_endpoint(Some(&self.network), self.chain_endpoint.as_deref())?;
        Ok(Chain::connect(&endpoint, Duration::from_secs(self.timeout)).await?)
    }
}

/// `validator localnet` options.
#[derive(Debug, Clone, Args)]
pub struct LocalnetArgs {
    /// Port to serve RPC on (0: any free port).
    #[arg(long, default_value_t = 9944)]
    pub port: u16,
    /// The chain spec: `425` (the default) or `385` for the specs this repository carries in
    /// chain/specs/, or a path to a raw chain spec (JSON or .json.gz).
    #[arg(long, env = "BT_CHAIN_SPEC")]
    pub chain_spec: Option<String>,
    /// Blocks per epoch.
    #[arg(long, default_value_t = 10)]
    pub tempo: u16,
    /// Commit-reveal on the subnet: `on` (the chain's default: validators commit, timelocked
    /// or by hash) or `off` (weights are set directly).
    #[arg(long, value_parser = on_off, default_value = "on", action = clap::ArgAction::Set)]
    pub commit_reveal: bool,
    /// Epochs between a commit and its reveal.
    #[arg(long, default_value_t = 1)]
    pub reveal_period: u64,
    /// Mechanisms on the subnet (1 or 2), each with its own weights, bonds and incentive.
    #[arg(long, default_value_t = 1)]
    pub mechanisms: u8,
    /// The emission split between mechanisms as u16 shares summing to 65535, comma-separated
    /// (default: even).
    #[arg(long, value_delimiter = ',')]
    pub emission_split: Option<Vec<u16>>,
    /// Yuma3 bonds and dividends: `on` or `off`.
    #[arg(long, value_parser = on_off, default_value = "off", action = clap::ArgAction::Set)]
    pub yuma3: bool,
    /// Liquid alpha (acts under Yuma3): `on` or `off`.
    #[arg(long, value_parser = on_off, default_value = "off", action = clap::ArgAction::Set)]
    pub liquid_alpha: bool,
    /// The chain's stake threshold in α (stake weight): below it a hotkey cannot set weights.
    #[arg(long, default_value_t = 10.0)]
    pub stake_threshold: f64,
    /// Blocks between two weight settings of one hotkey.
    #[arg(long, default_value_t = 0)]
    pub weights_rate_limit: u64,
    /// Stake of each validator in TAO, comma-separated (one validator per value).
    #[arg(long, value_delimiter = ',', default_value = "1000,400")]
    pub validator_stakes: Vec<u64>,
    /// Number of miners (their axons are served on 127.0.0.2, 127.0.0.3, …).
    #[arg(long, default_value_t = 6)]
    pub miners: u16,
    /// Port of the first miner's axon; miner i uses this + i.
    #[arg(long, default_value_t = 8091)]
    pub miner_port_base: u16,
    /// Start the node and bootstrap, print the subnet, then stop (instead of serving until Ctrl-C).
    #[arg(long)]
    pub exit: bool,
    /// Keep the chain in this SQLite file; started again with the same file (and port), the
    /// node resumes where it stopped.
    #[arg(long)]
    pub db: Option<std::path::PathBuf>,
    /// While serving, build a block every this many seconds (0: only when a transaction
    /// arrives, chopsticks' default). Mainnet builds one every 12 s.
    #[arg(long, default_value_t = 0.0)]
    pub block_time: f64,
    /// The drand beacon timelocked commits are encrypted to: `test` installs a local test
    /// beacon (a public test key) whose pulses the node publishes as blocks are built, so the
    /// chain reveals timelocked commits itself; `quicknet` keeps the chain's quicknet key and
    /// publishes nothing (no pulse arrives offline).
    #[arg(long, value_parser = ["test", "quicknet"], default_value = "test")]
    pub drand: String,
    /// Use wallets in this folder for the validators and miners (`validator-<i>` and
    /// `miner-<i>`, hotkey `default`), creating those that are missing, instead of dev keys:
    /// then `validator run` and `miner` can use them with --wallet.path.
    #[arg(long)]
    pub wallets: Option<std::path::PathBuf>,
    /// Keep bootstrapped chains in this folder, and start from one when the same bootstrap
    /// (the same flags and chain spec; any ports) was made before: a few seconds instead of
    /// most of a minute. Not used when --db already holds a chain or --wallets already holds
    /// wallets. The test command sets it for its tests.
    #[arg(long, env = bt_chain::snapshot::STORE_ENV)]
    pub snapshot_dir: Option<std::path::PathBuf>,
}

/// `on`/`off` (also `true`/`false`) as a flag value.
fn on_off(value: &str) -> Result<bool, String> {
    match value {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        other => Err(format!("expected on or off, not {other:?}")),
    }
}

/// The hotkey URIs of `count` wallets `{prefix}-<i>` under `dir`, created if missing.
fn wallet_uris(dir: &std::path::Path, prefix: &str, count: usize) -> Result<Vec<String>> {
    (0..count)
        .map(|i| {
            let paths = crate::wallet::WalletPaths {
                path: dir.to_path_buf(),
                name: format!("{prefix}-{i}"),
                hotkey: "default".into(),
            };
            if !paths.hotkey_file().exists() {
                crate::wallet::create(&paths, None, false)?;
            }
            Ok(crate::wallet::hotkey_seed_uri(&paths)?.to_string())
        })
        .collect()
}

/// Starts chopsticks, bootstraps a subnet, prints it as JSON and serves until interrupted.
pub async fn localnet(args: LocalnetArgs) -> Result<()> {
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().context("no current directory")?;
    let repo = LocalnetConfig::find_repo(&cwd)
        .or_else(|| exe.as_deref().and_then(LocalnetConfig::find_repo))
        .context("cannot find the repository (a folder with package.json and node_modules): run this from the checkout after `npm ci`")?;
    let mut config = LocalnetConfig::for_repo(&repo);
    config.port = args.port;
    if let Some(spec) = &args.chain_spec {
        config.chain_spec = LocalnetConfig::spec_path(&repo, spec);
    }
    anyhow::ensure!(
        (1..=2).contains(&args.mechanisms),
        "--mechanisms must be 1 or 2 (the runtime's MaxMechanismCount)"
    );
    anyhow::ensure!(
        args.stake_threshold >= 0.0 && args.stake_threshold.is_finite(),
        "--stake-threshold must be a non-negative number of α"
    );
    config.db = args.db.clone();
    eprintln!(
        "starting the local chain from {} …",
        config.chain_spec.display()
    );
    let beacon = (args.drand == "test").then(bt_chain::beacon::TestBeacon::new);
    let snapshot = snapshot_store(&args);
    // A signal during the bootstrap must stop the node too: each path owns its node until it
    // returns it, and drops (kills) it when interrupted.
    let started = tokio::select! {
        result = start_and_bootstrap(&args, &config, beacon.as_ref(), snapshot) => result,
        _ = shutdown_signal() => {
            anyhow::bail!("interrupted during the bootstrap; the local chain was stopped");
        }
    };
    let (node, chain, subnet) = started?;
    let stake_threshold = (args.stake_threshold * 1e9) as u64;
    println!("{}", serde_json::to_string_pretty(&subnet)?);
    // Registrations raise the pool's price: with many miners, a validator's TAO may buy
    // less alpha than the threshold, and the chain then refuses its weights.
    for v in subnet
        .validators
        .iter()
        .filter(|v| v.alpha_stake < stake_threshold)
    {
        eprintln!(
            "warning: validator uid {} holds {:.3} α, below the stake threshold of {:.3} α: the chain will refuse its weights (StakeAmountTooLow). Raise --validator-stakes or lower --stake-threshold.",
            v.uid,
            v.alpha_stake as f64 / 1e9,
            stake_threshold as f64 / 1e9
        );
    }
    if args.exit {
        node.stop().await;
        return Ok(());
    }
    eprintln!(
        "local chain at {} (netuid {}); log: {}. Ctrl-C stops it.",
        node.endpoint(),
        subnet.netuid,
        node.log_path().display()
    );
    let block_time =
        (args.block_time > 0.0).then(|| Duration::from_secs_f64(args.block_time.max(0.1)));
    tokio::select! {
        _ = produce_blocks(&chain, block_time, beacon.as_ref()) => {}
        _ = shutdown_signal() => {}
    }
    node.stop().await;
    eprintln!("local chain stopped");
    Ok(())
}

/// The bootstrap the flags describe, with the keys' URIs when they come from wallets.
fn bootstrap_config(
    args: &LocalnetArgs,
    validator_uris: Option<Vec<String>>,
    miner_uris: Option<Vec<String>>,
) -> BootstrapConfig {
    BootstrapConfig {
        tempo: args.tempo,
        commit_reveal: args.commit_reveal,
        reveal_period: args.reveal_period,
        mechanisms: args.mechanisms,
        emission_split: args.emission_split.clone(),
        yuma3: args.yuma3,
        liquid_alpha: args.liquid_alpha,
        stake_threshold: (args.stake_threshold * 1e9) as u64,
        weights_rate_limit: args.weights_rate_limit,
        validator_stakes_tao: args.validator_stakes.clone(),
        miners: args.miners,
        miner_port_base: args.miner_port_base,
        validator_uris,
        miner_uris,
        ..BootstrapConfig::default()
    }
}

/// Everything a snapshot of this bootstrap depends on (not the ports: a node started from it
/// serves the miners' axons again at the ports asked for).
fn snapshot_recipe(args: &LocalnetArgs) -> String {
    format!(
        "validator localnet v1: tempo {} commit-reveal {} reveal-period {} mechanisms {} split {:?} yuma3 {} liquid-alpha {} stake-threshold {} weights-rate-limit {} validator-stakes {:?} miners {} drand {} wallets {}",
        args.tempo,
        args.commit_reveal,
        args.reveal_period,
        args.mechanisms,
        args.emission_split,
        args.yuma3,
        args.liquid_alpha,
        args.stake_threshold,
        args.weights_rate_limit,
        args.validator_stakes,
        args.miners,
        args.drand,
        args.wallets.is_some(),
    )
}

/// The snapshot store to start from, when the flags allow one: not when `--db` already holds
/// a chain (it is resumed) nor when `--wallets` already holds wallets (other keys than a
/// snapshot's).
fn snapshot_store(args: &LocalnetArgs) -> Option<SnapshotStore> {
    let dir = args.snapshot_dir.as_ref()?;
    if args
        .db
        .as_ref()
        .is_some_and(|db| std::fs::metadata(db).is_ok_and(|m| m.len() > 0))
    {
        return None;
    }
    if let Some(wallets) = &args.wallets {
        if std::fs::read_dir(wallets).is_ok_and(|mut d| d.next().is_some()) {
            return None;
        }
    }
    Some(SnapshotStore::at(dir.clone()))
}

/// Starts the node and bootstraps the subnet the flags describe: from a snapshot when `store`
/// is given (made first if no run has made it), else from genesis.
async fn start_and_bootstrap(
    args: &LocalnetArgs,
    config: &LocalnetConfig,
    beacon: Option<&bt_chain::beacon::TestBeacon>,
    store: Option<SnapshotStore>,
) -> Result<(Localnet, Chain, bt_chain::bootstrap::Subnet)> {
    let uris = |dir: &std::path::Path| -> Result<_> {
        Ok((
            Some(wallet_uris(dir, "validator", args.validator_stakes.len())?),
            Some(wallet_uris(dir, "miner", usize::from(args.miners))?),
        ))
    };
    let (node, chain) = match store {
        Some(store) => {
            let make = |chain: Chain, files: std::path::PathBuf| async move {
                if let Some(beacon) = beacon {
                    beacon.install(&chain).await?;
                }
                let (validators, miners) = match &args.wallets {
                    Some(_) => uris(&files.join("wallets"))
                        .map_err(|e| bt_chain::ChainError::Localnet(format!("{e:#}")))?,
                    None => (None, None),
                };
                bootstrap(&chain, &bootstrap_config(args, validators, miners)).await
            };
            let started = store
                .start(config, "localnet", &snapshot_recipe(args), make)
                .await?;
            if let Some(wallets) = &args.wallets {
                copy_folder(&started.files.join("wallets"), wallets)?;
            }
            (started.node, started.chain)
        }
        None => {
            let node = Localnet::start(config).await?;
            let chain = Chain::connect(&node.endpoint(), Duration::from_secs(30)).await?;
            (node, chain)
        }
    };
    // The beacon's key lives outside the saved blocks: install it on every start.
    if let Some(beacon) = beacon {
        beacon.install(&chain).await?;
    }
    let (validators, miners) = match &args.wallets {
        Some(dir) => uris(dir)?,
        None => (None, None),
    };
    // From a snapshot this finds everything done but the miners' axons at these ports.
    let subnet = bootstrap(&chain, &bootstrap_config(args, validators, miners)).await?;
    Ok((node, chain, subnet))
}

/// Copies the files of `from` into `to` (created), keeping their permissions (keyfiles stay
/// 0600).
fn copy_folder(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Builds a block every `every` (chopsticks' `dev_newBlock`; `None`: blocks come only with
/// transactions), and publishes the test beacon's due pulses after each block (or, without
/// a block time, every 250 ms), forever; a failed call is reported and retried at the next
/// tick.
async fn produce_blocks(
    chain: &Chain,
    every: Option<Duration>,
    beacon: Option<&bt_chain::beacon::TestBeacon>,
) {
    if every.is_none() && beacon.is_none() {
        return std::future::pending().await;
    }
    let mut tick = tokio::time::interval(every.unwrap_or(Duration::from_millis(250)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if every.is_some() {
            if let Err(e) = bt_chain::localnet::new_block(chain).await {
                tracing::warn!(error = %e, "could not build a block");
            }
        }
        if let Some(beacon) = beacon {
            if let Err(e) = beacon.publish_due(chain).await {
                tracing::warn!(error = %e, "could not publish the drand pulses due");
            }
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints the subnets, or one subnet's neurons and W.
pub async fn show_metagraph(
    chain: &ChainArgs,
    netuid: Option<u16>,
    mecid: u8,
    block: Option<u64>,
    json: bool,
) -> Result<()> {
    let chain = chain.connect().await?;
    let Some(netuid) = netuid else {
        let subnets = metagraph::subnets(&chain).await?;
        if json {
            println!("{}", serde_json::to_string(&subnets)?);
        } else {
            println!(
                "subnets: {}",
                subnets
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        return Ok(());
    };
    let mg = metagraph::sync_mechanism(&chain, netuid, mecid, block).await?;
    if json {
        let mut view = serde_json::to_value(bt_chain::view::MetagraphView::new(&mg))?;
        // The chain's emission per block, where the runtime reports it (spec 475).
        let at = chain.at_number(mg.block).await?;
        if let (Some(rao), Some(obj)) =
            (metagraph::block_emission(&at).await?, view.as_object_mut())
        {
            obj.insert("block_emission_rao".into(), rao.into());
        }
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print!("{}", render_table(&mg));
    }
    Ok(())
}

fn short(key: &[u8; 32]) -> String {
    let s = bt_core::ss58::bittensor(key);
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// The neuron table and W, as text.
pub fn render_table(mg: &Metagraph) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let h = &mg.hyperparams;
    let _ = writeln!(
        out,
        "netuid {} mechanism {} of {} at block {} (spec {}): n={} tempo={} yuma{} liquid_alpha={} min_allowed_weights={} max_weights_limit={} weights_version={} rate_limit={} commit_reveal={} (v{}, {} epoch(s)) stake_threshold={:.3}α",
        mg.netuid, mg.mecid, h.mechanism_count, mg.block, mg.spec_version, mg.n(), h.tempo,
        if h.yuma3 { 3 } else { 2 }, h.liquid_alpha_enabled, h.min_allowed_weights,
        h.max_weights_limit, h.weights_version, h.weights_rate_limit, h.commit_reveal_enabled,
        h.commit_reveal_version, h.commit_reveal_period, h.stake_threshold as f64 / 1e9
    );
    let _ = writeln!(
        out,
        "last epoch at block {}{}; C, D, Tv and emission are the subnet's, I, updated and W this mechanism's",
        mg.schedule.last_epoch_block,
        if mg.schedule.dynamic_tempo {
            format!(" (epoch #{})", mg.schedule.epoch_index)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "{:>4} {:<13} {:<13} {:>14} {:>6} {:>6} {:>6} {:>6} {:>14} {:>7} {:>3} {:>3}  axon",
        "uid",
        "hotkey",
        "coldkey",
        "stake(α)",
        "C",
        "I",
        "D",
        "Tv",
        "emission(α)",
        "updated",
        "vp",
        "act"
    );
    for n in &mg.neurons {
        let axon = if n.axon.is_serving() {
            format!("{}:{}", n.axon.ip_string(), n.axon.port)
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "{:>4} {:<13} {:<13} {:>14.3} {:>6} {:>6} {:>6} {:>6} {:>14.6} {:>7} {:>3} {:>3}  {}",
            n.uid,
            short(&n.hotkey),
            short(&n.coldkey),
            n.total_stake as f64 / 1e9,
            n.consensus,
            n.incentive,
            n.dividends,
            n.validator_trust,
            n.emission as f64 / 1e9,
            n.last_update,
            if n.validator_permit { "y" } else { "-" },
            if n.active { "y" } else { "-" },
            axon
        );
    }
    let rows: Vec<_> = mg
        .neurons
        .iter()
        .filter(|n| !n.weights.is_empty())
        .collect();
    if rows.is_empty() {
        let _ = writeln!(out, "W: no weights set");
    } else {
        let _ = writeln!(
            out,
            "W (rows normalised as the SDK shows them; uid: [dest=weight …]):"
        );
        let w = mg.weight_matrix();
        for n in rows {
            let cells: Vec<String> = w[usize::from(n.uid)]
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(j, v)| format!("{j}={v:.4}"))
                .collect();
            let _ = writeln!(out, "{:>4}: {}", n.uid, cells.join(" "));
        }
    }
    out
}

/// Recomputes the subnet's last epoch with the core and prints it next to the chain's values.
/// Exits non-zero (with the count) when the chain's values differ from the core's.
pub async fn yuma(chain: &ChainArgs, netuid: u16, block: Option<u64>, json: bool) -> Result<()> {
    let chain = chain.connect().await?;
    let replay = metagraph::replay_last_epoch(&chain, netuid, block).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&replay)?);
    } else {
        print!("{}", render_replay(&replay));
    }
    let differing = differing_values(&replay);
    anyhow::ensure!(
        differing == 0,
        "{differing} stored values differ from the core's epoch (see the marked cells)"
    );
    Ok(())
}

/// How many compared values differ.
fn differing_values(r: &bt_core::replay::Replay) -> usize {
    r.columns
        .iter()
        .map(|c| c.differing_uids.len())
        .sum::<usize>()
        + r.permit_differing_uids.len()
        + r.bonds
            .iter()
            .map(|b| b.differing_uids.len())
            .sum::<usize>()
}

/// The replay as a table: per uid, each stored u16 as chain / ours, `*` where they differ.
pub fn render_replay(r: &bt_core::replay::Replay) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "epoch at block {}: chain / core (recomputed from block {})",
        r.epoch_block,
        r.epoch_block.saturating_sub(1)
    );
    if r.epoch_consensus == bt_core::yuma::EpochConsensus::Null {
        let _ = writeln!(
            out,
            "Null consensus (spec 475): replayed with the Null rules, not Yuma: the largest stake holds the only permit, its weight row is the incentive, dividends follow stake; consensus and validator trust are zero and bonds are left as they were"
        );
    }
    let _ = write!(out, "{:>4}", "uid");
    for c in &r.columns {
        let _ = write!(out, " {:>17}", c.name);
    }
    let _ = writeln!(out, " {:>7} {:>6}", "permit", "bonds");
    let n = r
        .columns
        .first()
        .map_or(0, |c| c.chain.len().max(c.ours.len()));
    for uid in 0..n {
        let _ = write!(out, "{uid:>4}");
        for c in &r.columns {
            let mark = if c.differing_uids.contains(&(uid as u16)) {
                "*"
            } else {
                " "
            };
            let cell = format!(
                "{}/{}{}",
                c.chain.get(uid).copied().unwrap_or(0),
                c.ours.get(uid).copied().unwrap_or(0),
                mark
            );
            let _ = write!(out, " {cell:>17}");
        }
        let flag = |v: &[u16]| {
            if v.contains(&(uid as u16)) {
                "differ"
            } else {
                "same"
            }
        };
        let _ = writeln!(
            out,
            " {:>7} {:>6}",
            flag(&r.permit_differing_uids),
            flag(&r.bonds_differing_uids)
        );
    }
    let differing = differing_values(r);
    match (&r.null_budgets, r.epoch_consensus) {
        (Some(b), _) => {
            let _ = writeln!(
                out,
                "emission distributed: {} rao to miners and {} rao to validators (no storage item keeps them: the one split that gives every stored emission)",
                b.server,
                b.validator.saturating_add(b.root)
            );
        }
        (None, bt_core::yuma::EpochConsensus::Null) => {
            let _ = writeln!(
                out,
                "emission distributed: {} rao in all (the miners' and validators' budgets were not found: several mechanisms, or no split gives every stored emission)",
                r.rao_emission
            );
        }
        (None, bt_core::yuma::EpochConsensus::Yuma) => {
            let _ = writeln!(
                out,
                "emission distributed: {} rao{}",
                r.rao_emission,
                if r.rao_emission_found {
                    " (no storage item keeps it: the one amount that gives every stored emission)"
                } else {
                    " (no amount gives every stored emission: the shares differ)"
                }
            );
        }
    }
    if r.nothing_to_compare {
        let _ = writeln!(
            out,
            "nothing to compare: no validator weights counted in this epoch, so consensus, incentive and dividends are zero by any rules; set weights and wait an epoch"
        );
    } else if r.matches() {
        let _ = writeln!(out, "the chain's epoch equals the core's, value for value");
    } else {
        let _ = writeln!(out, "{differing} values differ (marked *)");
    }
    if r.chain_all_zero {
        let _ = writeln!(
            out,
            "warning: the chain stored zero consensus, incentive and dividends where Yuma gives non-zero values: this runtime does not run Yuma consensus as the core does"
        );
    }
    out
}
