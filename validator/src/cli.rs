//! `validator`: the Bittensor subnet validator's command line. A subnet's binary calls
//! [`main`] with its task (the reference subnet's is `bt-subnet-tweets`' `bin/validator.rs`).
//!
//! The offline subcommands expose the shared core's math on JSON (stdin → stdout); the
//! networked ones (chain, miners, the validation loop) build on the `chain` crate.

use crate::task::Task;
use crate::wallet::WalletArgs;
use crate::{btauth, config, network, offline, run as run_loop, state, wallet};

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A Bittensor subnet validator.
#[derive(Debug, Parser)]
#[command(name = "validator", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Turn raw scores into the u16 weights set_weights sends, exactly as the Python SDK does.
    ///
    /// Reads {"uids":[..],"weights":[..],"n":N,"min_allowed_weights":K,
    /// "max_weight_limit":F,"exclude_quantile":Q} on stdin and prints
    /// {"uids":[..],"weights_u16":[..]}. Weights may be numbers or "NaN", "Infinity", "-Infinity".
    ProcessWeights {
        /// stdin is a JSON array of requests; prints an array of answers, each either
        /// {"uids","weights_u16"} or {"error"}; exits 0 unless the array itself is unreadable.
        #[arg(long)]
        batch: bool,
        /// Quantize so that the chain's MaxWeightsLimit check always passes (the SDK's own
        /// rounding can fail it); the output may then differ from the SDK's by a few units.
        #[arg(long)]
        chain_safe: bool,
    },
    /// Run the Yuma epoch on an epoch input (JSON on stdin) and print the outputs as JSON.
    Epoch {
        /// Include a per-step trace of intermediate values in the output.
        #[arg(long)]
        trace: bool,
    },
    /// Start a local subtensor chain (chopsticks, the real runtime) with a bootstrapped
    /// subnet; prints the subnet (netuid, endpoint, dev keys) as JSON and serves until Ctrl-C.
    Localnet(network::LocalnetArgs),
    /// Print a subnet's neurons and W (or, without --netuid, the list of subnets).
    Metagraph {
        #[command(flatten)]
        chain: network::ChainArgs,
        /// The subnet.
        #[arg(long)]
        netuid: Option<u16>,
        /// The mechanism whose incentive, weights and bonds the table shows (JSON: every
        /// mechanism's, this one's on the neurons).
        #[arg(long, default_value_t = 0)]
        mechid: u8,
        /// Read at this block instead of the best one.
        #[arg(long)]
        block: Option<u64>,
        /// Print the metagraph as JSON: SS58 keys, stake and emission in α/τ with rao
        /// alongside, fractions with the stored u16 alongside, W and B per mechanism.
        #[arg(long)]
        json: bool,
    },
    /// Run the validator: query and score miners, checkpoint, set and verify weights.
    /// `--config FILE` reads flags from TOML (the command line wins).
    #[command(args_override_self = true)]
    Run(Box<RunArgs>),
    /// The validator's state file.
    #[command(subcommand)]
    State(StateCommand),
    /// Wallets in btcli's layout.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Sign or verify btauth/1 requests (SDK 11's hotkey-signed HTTP), for scripts and
    /// debugging.
    #[command(subcommand)]
    Btauth(btauth::BtauthCommand),
    /// Recompute the subnet's last epoch locally (from the block before it) and print it next
    /// to the values the chain stored, marking every difference; exits non-zero on one.
    Yuma {
        #[command(flatten)]
        chain: network::ChainArgs,
        /// The subnet.
        #[arg(long)]
        netuid: u16,
        /// Replay the last epoch at or before this block (default: the best block).
        #[arg(long)]
        block: Option<u64>,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `validator run` flags, named like bittensor's.
#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    chain: network::ChainArgs,
    #[command(flatten)]
    wallet: WalletArgs,
    /// The subnet.
    #[arg(long, env = "BT_NETUID")]
    netuid: u16,
    /// The mechanism to set weights in (0 for the first; see `validator metagraph`).
    #[arg(long, default_value_t = 0)]
    mechid: u8,
    /// Miners queried per round.
    #[arg(long = "neuron.sample_size", default_value_t = 16)]
    sample_size: usize,
    /// Score moving-average factor.
    #[arg(long = "neuron.moving_average_alpha", default_value_t = 0.1)]
    alpha: f64,
    /// Seconds a miner has to answer.
    #[arg(long = "neuron.timeout", default_value_t = 12.0)]
    neuron_timeout: f64,
    /// Seconds between rounds.
    #[arg(long = "neuron.round_interval", default_value_t = 12.0)]
    round_interval: f64,
    /// The version key sent with weights (at least the subnet's weights_version).
    #[arg(long = "neuron.version_key", default_value_t = 0)]
    version_key: u64,
    /// The state folder (default ~/.bittensor/validators/<wallet>/<hotkey>/netuid<N>).
    #[arg(long = "state.dir", env = "BT_STATE_DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// Serve Prometheus metrics on this port (0 = off).
    #[arg(long = "metrics.port", default_value_t = 0)]
    metrics_port: u16,
    /// Serve the live status as JSON at `GET /status` on this port (0 = off): scores,
    /// weights computed and sent, the pending commit, the last verification, the rate limit's
    /// next block and the last errors; the explorer's "My validator" reads it.
    #[arg(long = "status.port", default_value_t = 0)]
    status_port: u16,
    /// The address the status endpoint binds (loopback by default: put a proxy in front or
    /// choose 0.0.0.0 knowingly).
    #[arg(long = "status.ip", default_value = "127.0.0.1")]
    status_ip: std::net::IpAddr,
    /// Stop after this many rounds (default: run until SIGINT/SIGTERM).
    #[arg(long = "neuron.max_rounds")]
    max_rounds: Option<u64>,
    /// The protocol the subnet's miners speak: synapse (SDK v9/v10 axons, most subnets today)
    /// or btauth (SDK 11's hotkey-signed HTTP at the task's route).
    #[arg(long, value_enum, env = "BT_WIRE", default_value_t = bt_wire::Protocol::Synapse)]
    wire: bt_wire::Protocol,
    /// Under commit-reveal: `timelocked` (commit-reveal v4: encrypted to a drand round, revealed
    /// by the chain), `hash` (v2: revealed by the validator), or `auto` (timelocked where the
    /// runtime takes it).
    #[arg(long = "neuron.commit_reveal", value_enum, default_value_t = crate::commit::CommitMode::Auto)]
    commit_reveal: crate::commit::CommitMode,
    /// The chain's block time in seconds, for the drand round a timelocked commit targets.
    #[arg(long = "subtensor.block_time", default_value_t = 12.0)]
    block_time: f64,
}

fn run_validator<T: Task>(args: RunArgs, make_task: impl FnOnce() -> Result<T>) -> Result<()> {
    let paths = args.wallet.paths();
    let hotkey = wallet::load_hotkey(&paths, &wallet::Password::default())?;
    let endpoint = bt_chain::resolve_endpoint(
        Some(&args.chain.network),
        args.chain.chain_endpoint.as_deref(),
    )?;
    anyhow::ensure!(
        args.neuron_timeout > 0.0 && args.neuron_timeout.is_finite(),
        "--neuron.timeout must be a positive number of seconds"
    );
    anyhow::ensure!(
        args.round_interval >= 0.0 && args.round_interval.is_finite(),
        "--neuron.round_interval must be ≥ 0"
    );
    let state_dir = args.state_dir.unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| ".".into());
        home.join(".bittensor")
            .join("validators")
            .join(&args.wallet.name)
            .join(&args.wallet.hotkey)
            .join(format!("netuid{}", args.netuid))
    });
    let config = run_loop::RunConfig {
        netuid: args.netuid,
        mecid: args.mechid,
        endpoint,
        state_dir,
        sample_size: args.sample_size,
        alpha: args.alpha,
        timeout: std::time::Duration::from_secs_f64(args.neuron_timeout),
        round_interval: std::time::Duration::from_secs_f64(args.round_interval),
        version_key: args.version_key,
        metrics_addr: (args.metrics_port != 0)
            .then(|| std::net::SocketAddr::from(([0, 0, 0, 0], args.metrics_port))),
        status_addr: (args.status_port != 0)
            .then(|| std::net::SocketAddr::new(args.status_ip, args.status_port)),
        max_rounds: args.max_rounds,
        chain_timeout: std::time::Duration::from_secs(args.chain.timeout),
        wire: args.wire,
        commit_mode: args.commit_reveal,
        block_time: std::time::Duration::from_secs_f64(args.block_time.clamp(0.1, 3600.0)),
    };
    let task = make_task()?;
    tracing::info!(wire = %config.wire, "querying miners over {}", config.wire);
    runtime()?.block_on(run_loop::run(
        config,
        hotkey,
        task,
        network::shutdown_signal(),
    ))?;
    Ok(())
}

/// `validator state …`.
#[derive(Debug, Subcommand)]
enum StateCommand {
    /// Show the saved state (read-only: a bad file is reported, not moved).
    Inspect {
        /// The folder of state.json.
        #[arg(long = "state.dir", env = "BT_STATE_DIR")]
        dir: std::path::PathBuf,
        /// Print the whole state as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn run_state(command: StateCommand) -> Result<()> {
    let StateCommand::Inspect { dir, json } = command;
    let files = state::StateFile::new(&dir).peek();
    anyhow::ensure!(
        !files.is_empty(),
        "no state in {}: the validator has not completed a round there yet (check --state.dir)",
        dir.display()
    );
    let mut good = None;
    for (path, result) in &files {
        match result {
            Ok(s) if good.is_none() => good = Some((path.clone(), s.clone())),
            Ok(_) => {}
            Err(reason) => eprintln!("warning: {} is bad: {reason}; the validator will move it aside and use the previous state", path.display()),
        }
    }
    let (path, s) =
        good.ok_or_else(|| anyhow::anyhow!("no readable state in {}", dir.display()))?;
    let source = if path == state::StateFile::new(&dir).path() {
        state::Source::Current
    } else {
        state::Source::Previous
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "file": path, "source": source, "state": s })
            )?
        );
    } else {
        print!("{}", state::summary(&s, source));
    }
    Ok(())
}

/// `validator wallet …`.
#[derive(Debug, Subcommand)]
enum WalletCommand {
    /// Create a coldkey (if the wallet has none) and a hotkey, with files of mode 0600. The
    /// coldkey is encrypted (btwallet's $NACL format) with BT_WALLET_PASSWORD when it is set.
    Create {
        #[command(flatten)]
        wallet: WalletArgs,
        /// Replace existing keyfiles (their keys are lost).
        #[arg(long)]
        overwrite: bool,
    },
    /// Print the wallet's hotkey and coldkey addresses (loading the hotkey proves it is usable).
    Show {
        #[command(flatten)]
        wallet: WalletArgs,
        /// Also open the coldkey itself (decrypting it: BT_WALLET_PASSWORD, btwallet's
        /// BT_PW_… variable, or a prompt) to check that its password works.
        #[arg(long)]
        coldkey: bool,
    },
}

fn run_wallet(command: WalletCommand) -> Result<()> {
    match command {
        WalletCommand::Create { wallet, overwrite } => {
            let password = std::env::var("BT_WALLET_PASSWORD").ok();
            let created = wallet::create(&wallet.paths(), password.as_deref(), overwrite)?;
            println!("{}", serde_json::to_string_pretty(&created)?);
        }
        WalletCommand::Show { wallet, coldkey } => {
            let paths = wallet.paths();
            let hotkey = wallet::load_hotkey(&paths, &wallet::Password::default())?;
            let public = wallet::load_coldkeypub(&paths)?;
            if coldkey {
                let full =
                    wallet::load_keypair(&paths.coldkey_file(), &wallet::Password::default())?;
                anyhow::ensure!(
                    full.public_key().0 == public,
                    "{} and {} hold different keys",
                    paths.coldkey_file().display(),
                    paths.coldkeypub_file().display()
                );
            }
            let coldkey = public;
            println!(
                "{}",
                serde_json::json!({
                    "hotkey": bt_core::ss58::bittensor(&hotkey.public_key().0),
                    "coldkey": bt_core::ss58::bittensor(&coldkey),
                })
            );
        }
    }
    Ok(())
}

fn run<T: Task>(cli: Cli, make_task: impl FnOnce() -> Result<T>) -> Result<()> {
    match cli.command {
        Command::ProcessWeights { batch, chain_safe } => {
            let input = offline::read_stdin()?;
            println!("{}", offline::process_weights(&input, batch, chain_safe)?);
        }
        Command::Epoch { trace } => {
            let input = offline::read_stdin()?;
            println!("{}", offline::epoch(&input, trace)?);
        }
        Command::Wallet(command) => run_wallet(command)?,
        Command::Btauth(command) => btauth::run(command)?,
        Command::Run(args) => run_validator(*args, make_task)?,
        Command::State(command) => run_state(command)?,
        Command::Localnet(args) => runtime()?.block_on(network::localnet(args))?,
        Command::Metagraph {
            chain,
            netuid,
            mechid,
            block,
            json,
        } => runtime()?.block_on(network::show_metagraph(&chain, netuid, mechid, block, json))?,
        Command::Yuma {
            chain,
            netuid,
            block,
            json,
        } => runtime()?.block_on(network::yuma(&chain, netuid, block, json))?,
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Logs to stderr at `info` (or as `RUST_LOG` says), coloured on a terminal: the validator's
/// and the miner's one set-up.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Runs the command line on this process's arguments; `validator run` scores miners with the
/// task `make_task` builds.
pub fn main<T: Task>(make_task: impl FnOnce() -> Result<T>) -> ExitCode {
    init_logging();
    let cli = match config::expand(std::env::args_os().collect()) {
        Ok(args) => Cli::parse_from(args),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match run(cli, make_task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            e.downcast_ref::<btauth::Refused>()
                .map_or(ExitCode::FAILURE, |r| ExitCode::from(r.exit_code()))
        }
    }
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks (unique names, valid defaults) for every subcommand.
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
