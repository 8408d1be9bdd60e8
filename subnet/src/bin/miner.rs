//! `miner`: the reference subnet's miner — an axon answering `RecentTweetsSynapse` from the
//! synthetic corpus, over the Synapse protocol (`POST /RecentTweetsSynapse`), btauth
//! (`POST /recent_tweets`) or both (`--wire`). Flags make it misbehave, for tests of the
//! validator's scoring.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bt_subnet_tweets::corpus::{self, Tweet};
use bt_subnet_tweets::protocol::RecentTweetsSynapse;
use bt_wire::allowlist::Allowlist;
use bt_wire::axon::{Axon, AxonConfig, Handler};
use bt_wire::serve::{serve, ConnectionLimits};
use bt_wire::wallet::{self, Password, WalletArgs};
use bt_wire::Protocol;
use clap::{Parser, ValueEnum};

/// How the miner (mis)behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Behaviour {
    /// Correct, fresh, matching tweets.
    Good,
    /// Tweets that do not match the query and have malformed IDs.
    Wrong,
    /// The same tweet repeated (duplicate IDs).
    Duplicates,
    /// Every answer is a 500.
    Error500,
    /// A body that is not JSON.
    Garbage,
    /// A body far over any sane size.
    Huge,
}

/// A reference miner for the tweets subnet.
#[derive(Debug, Parser)]
#[command(name = "miner", version, about)]
struct Args {
    #[command(flatten)]
    wallet: WalletArgs,
    /// Address to listen on.
    #[arg(long = "axon.ip", default_value = "0.0.0.0")]
    ip: std::net::IpAddr,
    /// Port to listen on.
    #[arg(long = "axon.port", default_value_t = 8091)]
    port: u16,
    /// Serve this many axons (same hotkey, each with its own nonce book) on consecutive ports
    /// from --axon.port: one process standing in for many miners in benchmarks.
    #[arg(long = "axon.port_count", default_value_t = 1)]
    port_count: u16,
    /// The protocols served, comma-separated: synapse (SDK v9/v10), btauth (SDK 11), or both
    /// (`synapse,btauth`) on the same port.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "synapse")]
    wire: Vec<Protocol>,
    /// The replay memories' bound: btauth's (hotkey, nonce) pairs held in the freshness window
    /// (≈ 64 bytes each), and Synapse's endpoints (hotkey, uuid); when full, new requests get
    /// 503.
    #[arg(long = "btauth.nonce_capacity", default_value_t = 200_000)]
    nonce_capacity: usize,
    /// The same for one hotkey; over it, its requests get 429.
    #[arg(long = "btauth.nonce_per_hotkey", default_value_t = 20_000)]
    nonce_per_hotkey: usize,
    /// Connections open at once, at most; at the cap, the one that has waited longest
    /// without sending a request is closed (the open-file limit is raised to fit, or the
    /// cap lowered to it).
    #[arg(long = "axon.max_connections", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a connection may take to send a request's headers before it is closed.
    #[arg(long = "axon.header_timeout", default_value = "5", value_parser = seconds)]
    header_timeout: Duration,
    /// Seconds a request's body may take to arrive (408 after).
    #[arg(long = "axon.body_timeout", default_value = "10", value_parser = seconds)]
    body_timeout: Duration,
    /// Accept callers that are not registered on the subnet (otherwise the metagraph decides).
    #[arg(long = "blacklist.allow_non_registered")]
    allow_non_registered: bool,
    /// The chain, for the blacklist: --subtensor.chain_endpoint and --netuid.
    #[arg(long = "subtensor.chain_endpoint")]
    chain_endpoint: Option<String>,
    /// The subnet, for the blacklist.
    #[arg(long)]
    netuid: Option<u16>,
    /// Corpus seed and size.
    #[arg(long, default_value_t = 1)]
    corpus_seed: u64,
    #[arg(long, default_value_t = 20_000)]
    corpus_size: usize,
    /// Tweets per answer when the request gives no count.
    #[arg(long, default_value_t = 50)]
    max_tweets: usize,
    /// Misbehaviour, for tests.
    #[arg(long, value_enum, default_value_t = Behaviour::Good)]
    behaviour: Behaviour,
    /// Delay every answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

/// A positive number of seconds.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

fn answer(
    tweets: &[Tweet],
    req: &RecentTweetsSynapse,
    max: usize,
    behaviour: Behaviour,
) -> serde_json::Value {
    let count = req.count.map(|c| c as usize).unwrap_or(max).min(max);
    let wrap = |t: &Tweet| serde_json::json!({ "Tweet": t });
    match behaviour {
        Behaviour::Wrong => serde_json::Value::Array(
            tweets
                .iter()
                .filter(|t| !corpus::matches(t, &req.query))
                .take(count)
                .map(|t| {
                    let mut bad = t.clone();
                    bad.id = format!("0x{}", bad.id);
                    wrap(&bad)
                })
                .collect(),
        ),
        Behaviour::Duplicates => {
            let first = tweets
                .iter()
                .find(|t| corpus::matches(t, &req.query))
                .cloned();
            serde_json::Value::Array(first.iter().cycle().take(count.max(2)).map(wrap).collect())
        }
        _ => serde_json::Value::Array(
            tweets
                .iter()
                .filter(|t| corpus::matches(t, &req.query))
                .take(count)
                .map(wrap)
                .collect(),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    validator::cli::init_logging();
    let paths = args.wallet.paths();
    let hotkey =
        wallet::load_hotkey(&paths, &Password::default()).context("loading the miner's hotkey")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let tweets = Arc::new(corpus::generate(
        args.corpus_seed,
        args.corpus_size,
        now,
        6 * 3600,
    ));
    let (behaviour, delay, max) = (
        args.behaviour,
        Duration::from_millis(args.delay_ms),
        args.max_tweets,
    );
    let handler: Handler<RecentTweetsSynapse> = Arc::new(move |mut req: RecentTweetsSynapse| {
        let tweets = tweets.clone();
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            if behaviour == Behaviour::Error500 {
                return Err((500, "Internal Server Error #misbehaving".into()));
            }
            req.response = Some(answer(&tweets, &req, max, behaviour));
            Ok(req)
        })
    });
    let allowlist = Allowlist::everyone();
    if !args.allow_non_registered {
        let (endpoint, netuid) = match (&args.chain_endpoint, args.netuid) {
            (Some(e), Some(n)) => (e.clone(), n),
            _ => anyhow::bail!("the blacklist needs the metagraph: pass --subtensor.chain_endpoint and --netuid, or --blacklist.allow_non_registered"),
        };
        let chain = bt_chain::Chain::connect(&endpoint, Duration::from_secs(30)).await?;
        let read = move || {
            let chain = chain.clone();
            async move { bt_chain::metagraph::sync(&chain, netuid, None).await }
        };
        allowlist
            .follow_metagraph(read, Duration::from_secs(60))
            .await?;
    }
    let axons: Vec<Arc<Axon<RecentTweetsSynapse>>> = (0..args.port_count.max(1))
        .map(|_| {
            Axon::new(
                hotkey.public_key().0,
                handler.clone(),
                AxonConfig {
                    allowlist: allowlist.clone(),
                    nonce_capacity: args.nonce_capacity,
                    nonce_per_hotkey: args.nonce_per_hotkey,
                    body_timeout: args.body_timeout,
                    ..AxonConfig::default()
                },
            )
        })
        .collect();
    // One cap for the process: each port gets its share of the open-file limit.
    let ports = axons.len().max(1);
    let limits = ConnectionLimits {
        max_connections: args.max_connections.saturating_mul(ports),
        header_timeout: args.header_timeout,
    }
    .fit_to_descriptors();
    let per_port = ConnectionLimits {
        max_connections: (limits.max_connections / ports).max(1),
        ..limits
    };
    let mut servers = Vec::new();
    for (i, axon) in axons.iter().enumerate() {
        let app = match behaviour {
            Behaviour::Garbage => axum::Router::new().fallback(|| async { "this is not json {" }),
            Behaviour::Huge => axum::Router::new().fallback(|| async { vec![b'['; 64 << 20] }),
            _ => axon.router_for(&args.wire),
        };
        let addr = SocketAddr::new(args.ip, args.port.saturating_add(i as u16));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        servers.push(tokio::spawn(serve(
            listener,
            app,
            per_port,
            validator::network::shutdown_signal(),
        )));
    }
    eprintln!(
        "miner {} serving RecentTweetsSynapse over {} on {}:{}{} ({:?})",
        axons[0].hotkey(),
        args.wire
            .iter()
            .map(Protocol::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
        args.ip,
        args.port,
        if axons.len() > 1 {
            format!("..+{}", axons.len() - 1)
        } else {
            String::new()
        },
        behaviour
    );
    for s in servers {
        s.await?;
    }
    Ok(())
}
