//! `validator run`: the validation loop.
//!
//! Each round: sync the metagraph (every tempo, or when our weights are old), query a sample
//! of serving miners, judge and score them, checkpoint the state, and — when the chain's rate
//! limit allows — turn the scores into weights with the core, submit them (commit/reveal when
//! the subnet requires it), wait for inclusion and read them back. A chain error is logged,
//! counted and retried next round; nothing is lost, because the state is written every round.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use bt_chain::weights::{self as chain_weights, Verification, WeightsToSet};
use bt_chain::{metagraph, Chain, ChainError, TxError};
use bt_core::ema::ScoreBook;
use bt_core::metagraph::Metagraph;
use bt_core::weights::{process_weights, quantize_for_chain, WeightParams};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use subxt_signer::sr25519::Keypair;

use crate::state::{SentWeights, Source, StateFile, ValidatorState};
use crate::task::{Task, Verdict};
use bt_wire::dendrite::{AxonTarget, Dendrite, DendriteConfig};
use bt_wire::Protocol;

/// Everything `validator run` needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism whose weights this validator sets (0 for the first).
    pub mecid: u8,
    /// The node.
    pub endpoint: String,
    /// Where the state file lives.
    pub state_dir: PathBuf,
    /// Miners queried per round.
    pub sample_size: usize,
    /// Score moving-average factor.
    pub alpha: f64,
    /// Per-call deadline.
    pub timeout: Duration,
    /// Pause between rounds.
    pub round_interval: Duration,
    /// The version key sent with weights.
    pub version_key: u64,
    /// Where to serve Prometheus metrics (`/metrics`).
    pub metrics_addr: Option<SocketAddr>,
    /// Stop after this many rounds (tests, one-shot runs).
    pub max_rounds: Option<u64>,
    /// Deadline for chain requests.
    pub chain_timeout: Duration,
    /// The protocol the subnet's miners speak.
    pub wire: Protocol,
}

/// Labels for per-status response counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

/// Labels for per-uid scores.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UidLabel {
    uid: String,
}

/// Labels for outcomes and error kinds.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

/// The loop's metrics.
#[derive(Clone, Default)]
struct Metrics {
    responses: Family<StatusLabel, Counter>,
    scores: Family<UidLabel, Gauge<f64, AtomicU64>>,
    weights: Family<KindLabel, Counter>,
    chain_errors: Family<KindLabel, Counter>,
    rounds: Counter,
}

impl Metrics {
    fn register(&self, r: &mut Registry) {
        r.register(
            "validator_responses",
            "Miner responses by status code",
            self.responses.clone(),
        );
        r.register(
            "validator_score",
            "Moving-average score per uid",
            self.scores.clone(),
        );
        r.register("validator_weights", "Weight submissions by outcome (set, match, mismatch, not_yet_included, committed, revealed)", self.weights.clone());
        r.register(
            "validator_chain_errors",
            "Chain errors by kind",
            self.chain_errors.clone(),
        );
        r.register(
            "validator_rounds",
            "Scoring rounds completed",
            self.rounds.clone(),
        );
    }
}

fn error_kind(e: &ChainError) -> String {
    match e {
        ChainError::Tx(t) => format!("{t:?}")
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or("tx")
            .to_string(),
        ChainError::Connect { .. } => "connect".into(),
        ChainError::Timeout { .. } => "timeout".into(),
        ChainError::NoSuchSubnet { .. } => "no_such_subnet".into(),
        _ => "rpc".into(),
    }
}

/// A commit waiting for its reveal epoch.
struct PendingReveal {
    weights: WeightsToSet,
    salt: Vec<u16>,
    commit_block: u64,
}

/// The loop's memory between rounds.
struct Validator<T: Task> {
    config: RunConfig,
    hotkey: Keypair,
    hotkey_ss58: String,
    dendrite: Dendrite,
    task: T,
    scores: ScoreBook<String>,
    state_file: StateFile,
    step: u64,
    last_weights: Option<SentWeights>,
    last_verification: Option<serde_json::Value>,
    pending_reveal: Option<PendingReveal>,
    metagraph: Option<Metagraph>,
    cursor: usize,
    metrics: Metrics,
}

/// Runs the loop for `task` until `shutdown` resolves (then checkpoints) or `max_rounds` is
/// reached.
pub async fn run<T: Task>(
    config: RunConfig,
    hotkey: Keypair,
    mut task: T,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let hotkey_ss58 = bt_chain::AccountId32(hotkey.public_key().0).to_string();
    let state_file = StateFile::new(&config.state_dir);
    let loaded = state_file
        .load()
        .with_context(|| format!("reading the state in {}", config.state_dir.display()))?;
    for (path, reason) in &loaded.quarantined {
        tracing::error!(file = %path.display(), %reason, "a state file was bad and has been moved aside");
    }
    let (scores, step, last_weights, last_verification) = match loaded.state {
        Some((s, source)) if s.netuid == config.netuid => {
            tracing::info!(step = s.step, uids = s.scores.len(), from = ?source, "resuming from the saved state");
            if source == Source::Previous {
                tracing::warn!(
                    "the current state file was missing or bad; resumed from the previous one"
                );
            }
            let book = ScoreBook::from_parts(config.alpha, s.scores, s.hotkeys)
                .context("the saved scores are inconsistent")?;
            if let Err(reason) = task.restore(s.task) {
                tracing::warn!(%reason, "the task's saved state does not load; the task starts fresh");
            }
            (book, s.step, s.last_weights, s.last_verification)
        }
        Some((s, _)) => anyhow::bail!(
            "the state in {} is for netuid {}, not {}: use another --state.dir",
            config.state_dir.display(),
            s.netuid,
            config.netuid
        ),
        None => {
            tracing::info!("no saved state: starting fresh");
            (ScoreBook::new(config.alpha)?, 0, None, None)
        }
    };
    let dendrite = Dendrite::new(
        hotkey.clone(),
        DendriteConfig {
            timeout: config.timeout,
            protocol: config.wire,
            ..DendriteConfig::default()
        },
    )?;
    let metrics = Metrics::default();
    if let Some(addr) = config.metrics_addr {
        serve_metrics(addr, &metrics).await?;
    }
    let mut v = Validator {
        state_file,
        hotkey_ss58,
        hotkey,
        dendrite,
        task,
        scores,
        step,
        last_weights,
        last_verification,
        pending_reveal: None,
        metagraph: None,
        cursor: 0,
        metrics,
        config,
    };
    tokio::pin!(shutdown);
    let mut chain: Option<Chain> = None;
    let mut backoff = Duration::from_millis(500);
    loop {
        if v.config.max_rounds.is_some_and(|m| v.step >= m) {
            break;
        }
        // (Re)connect with backoff when the node is away.
        if chain.is_none() {
            match Chain::connect(&v.config.endpoint, v.config.chain_timeout).await {
                Ok(c) => {
                    chain = Some(c);
                    backoff = Duration::from_millis(500);
                }
                Err(e) => {
                    v.metrics
                        .chain_errors
                        .get_or_create(&KindLabel {
                            kind: error_kind(&e),
                        })
                        .inc();
                    tracing::warn!(error = %e, wait_ms = backoff.as_millis() as u64, "chain unreachable; retrying");
                    tokio::select! {
                        _ = &mut shutdown => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
        }
        let Some(c) = chain.clone() else { continue };
        let round = tokio::select! {
            _ = &mut shutdown => break,
            r = v.round(&c) => r,
        };
        if let Err(e) = round {
            let fatal = e.downcast_ref::<Fatal>().is_some();
            tracing::error!(error = %format!("{e:#}"), "round failed");
            if fatal {
                v.checkpoint()?;
                return Err(e);
            }
            if let Some(ce) = e.downcast_ref::<ChainError>() {
                v.metrics
                    .chain_errors
                    .get_or_create(&KindLabel {
                        kind: error_kind(ce),
                    })
                    .inc();
                if matches!(
                    ce,
                    ChainError::Connect { .. }
                        | ChainError::Timeout { .. }
                        | ChainError::Rpc { .. }
                ) {
                    chain = None;
                }
            }
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(v.config.round_interval) => {}
        }
    }
    v.checkpoint()?;
    tracing::info!(step = v.step, "stopped; state saved");
    Ok(())
}

/// An error the loop must not retry (the operator has to act).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(String);

impl<T: Task> Validator<T> {
    fn checkpoint(&self) -> Result<()> {
        let state = ValidatorState {
            netuid: self.config.netuid,
            step: self.step,
            block: self.metagraph.as_ref().map_or(0, |m| m.block),
            alpha: self.scores.alpha(),
            scores: self.scores.scores().to_vec(),
            hotkeys: self.scores.hotkeys().to_vec(),
            task: self.task.snapshot(),
            last_weights: self.last_weights.clone(),
            last_verification: self.last_verification.clone(),
        };
        self.state_file.save(&state).context("writing the state")?;
        Ok(())
    }

    async fn round(&mut self, chain: &Chain) -> Result<()> {
        let netuid = self.config.netuid;
        let mg = metagraph::sync_mechanism(chain, netuid, self.config.mecid, None).await?;
        let Some(my_uid) = mg.uid_of(&self.hotkey.public_key().0) else {
            return Err(Fatal(format!(
                "hotkey {} is not registered on netuid {netuid}: register it (btcli subnets register) or check --wallet.hotkey/--netuid",
                self.hotkey_ss58
            ))
            .into());
        };
        self.task.set_tempo(u64::from(mg.hyperparams.tempo));
        let hotkeys: Vec<String> = mg
            .neurons
            .iter()
            .map(|n| bt_chain::AccountId32(n.hotkey).to_string())
            .collect();
        for uid in self.scores.sync_hotkeys(&hotkeys) {
            self.task.reset_uid(uid);
        }

        // Query a rotating sample of serving miners (not ourselves).
        let serving: Vec<AxonTarget> = mg
            .neurons
            .iter()
            .filter(|n| n.uid != my_uid && n.axon.is_serving() && n.axon.port != 0)
            .map(|n| AxonTarget {
                uid: n.uid,
                ip: n.axon.ip_string(),
                port: n.axon.port,
                hotkey: bt_chain::AccountId32(n.hotkey).to_string(),
            })
            .collect();
        let k = self.config.sample_size.min(serving.len());
        let targets: Vec<AxonTarget> = (0..k)
            .map(|i| serving[(self.cursor + i) % serving.len().max(1)].clone())
            .collect();
        self.cursor = self.cursor.wrapping_add(k);
        let request = self.task.request(self.step);
        let replies = self.dendrite.forward(&targets, &request).await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64;
        let mut verdicts = Vec::with_capacity(replies.len());
        for reply in &replies {
            self.metrics
                .responses
                .get_or_create(&StatusLabel {
                    status: reply.status.to_string(),
                })
                .inc();
            let verdict = self.task.judge(reply.uid, &request, reply, now);
            tracing::debug!(uid = reply.uid, status = reply.status, ?verdict, "judged");
            verdicts.push((reply.uid, verdict));
        }
        let (uids, rewards) = self.task.rewards(&verdicts, mg.block, mg.n());
        self.scores.update(&uids, &rewards)?;
        for (uid, score) in self.scores.scores().iter().enumerate() {
            self.metrics
                .scores
                .get_or_create(&UidLabel {
                    uid: uid.to_string(),
                })
                .set(*score);
        }
        self.step += 1;
        self.metrics.rounds.inc();
        let valid = verdicts
            .iter()
            .filter(|(_, v)| matches!(v, Verdict::Valid { .. }))
            .count();
        tracing::info!(
            step = self.step,
            block = mg.block,
            queried = targets.len(),
            valid,
            "round scored"
        );
        self.metagraph = Some(mg.clone());
        self.checkpoint()?;

        self.weights(chain, &mg, my_uid).await
    }

    /// Sets (or commits/reveals) weights when the rate limit allows, then verifies them.
    async fn weights(&mut self, chain: &Chain, mg: &Metagraph, my_uid: u16) -> Result<()> {
        let h = &mg.hyperparams;
        let last_update = mg.neurons[usize::from(my_uid)].last_update;
        if let Some(p) = self.pending_reveal.take() {
            match chain_weights::reveal_weights(
                chain,
                &self.hotkey,
                self.target(),
                &p.weights,
                &p.salt,
            )
            .await
            {
                Ok(_) => {
                    self.metrics
                        .weights
                        .get_or_create(&KindLabel {
                            kind: "revealed".into(),
                        })
                        .inc();
                    let v = chain_weights::verify_weights(
                        chain,
                        self.target(),
                        &self.hotkey.public_key().0,
                        &p.weights,
                        p.commit_block,
                    )
                    .await?;
                    self.record_verification(&v);
                }
                Err(ChainError::Tx(TxError::Reveal(reason))) => {
                    tracing::debug!(%reason, "reveal not yet possible; retrying next round");
                    self.pending_reveal = Some(p);
                }
                Err(e) => {
                    self.pending_reveal = Some(p);
                    return Err(e.into());
                }
            }
            return Ok(());
        }
        let rate_ok =
            last_update == 0 || mg.block.saturating_sub(last_update) >= h.weights_rate_limit;
        let already = self.last_weights.as_ref().is_some_and(|w| {
            w.block >= last_update && mg.block.saturating_sub(w.block) < h.weights_rate_limit.max(1)
        });
        if !rate_ok || already || self.scores.scores().iter().all(|s| *s == 0.0) {
            return Ok(());
        }
        let n = mg.n();
        let mut raw = self.scores.weights_f32();
        raw.resize(n, 0.0);
        let uids: Vec<u16> = (0..n as u16).collect();
        let params = WeightParams::from_chain(n, h.min_allowed_weights, h.max_weights_limit);
        let processed = process_weights(&uids, &raw, &params)?;
        let emit = quantize_for_chain(&processed.uids, &processed.weights, h.max_weights_limit)?;
        let w = WeightsToSet {
            uids: emit.uids,
            values: emit.values,
            version_key: self.config.version_key.max(h.weights_version),
        };
        if h.commit_reveal_enabled {
            let salt: Vec<u16> = (0..8)
                .map(|i| (self.step as u16).wrapping_mul(31).wrapping_add(i * 7919))
                .collect();
            let included =
                chain_weights::commit_weights(chain, &self.hotkey, self.target(), &w, &salt)
                    .await?;
            self.metrics
                .weights
                .get_or_create(&KindLabel {
                    kind: "committed".into(),
                })
                .inc();
            tracing::info!(
                block = included.block_number,
                uids = w.uids.len(),
                "weights committed; revealing in the reveal epoch"
            );
            self.last_weights = Some(SentWeights {
                block: included.block_number,
                uids: w.uids.clone(),
                values: w.values.clone(),
                version_key: w.version_key,
            });
            self.pending_reveal = Some(PendingReveal {
                weights: w,
                salt,
                commit_block: included.block_number,
            });
            self.checkpoint()?;
            return Ok(());
        }
        let out = chain_weights::set_and_verify(chain, &self.hotkey, self.target(), &w).await?;
        self.metrics
            .weights
            .get_or_create(&KindLabel { kind: "set".into() })
            .inc();
        self.last_weights = Some(SentWeights {
            block: out.included_at,
            uids: w.uids.clone(),
            values: w.values.clone(),
            version_key: w.version_key,
        });
        self.record_verification(&out.verification);
        self.checkpoint()
    }

    /// Where this validator's weights go.
    fn target(&self) -> chain_weights::Target {
        chain_weights::Target {
            netuid: self.config.netuid,
            mecid: self.config.mecid,
        }
    }

    fn record_verification(&mut self, v: &Verification) {
        let kind = match v {
            Verification::Match { .. } => "match",
            Verification::Mismatch { .. } => "mismatch",
            Verification::NotYetIncluded { .. } => "not_yet_included",
        };
        self.metrics
            .weights
            .get_or_create(&KindLabel { kind: kind.into() })
            .inc();
        match v {
            Verification::Match { block, .. } => {
                tracing::info!(block, "weights verified on chain: match")
            }
            other => tracing::warn!(outcome = ?other, "weights read back do not match"),
        }
        self.last_verification = serde_json::to_value(v).ok();
    }
}

/// Serves `/metrics` (OpenMetrics text) on `addr` in the background.
async fn serve_metrics(addr: SocketAddr, metrics: &Metrics) -> Result<()> {
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let registry = Arc::new(Mutex::new(registry));
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let registry = registry.clone();
            async move {
                let mut body = String::new();
                if let Ok(r) = registry.lock() {
                    let _ = prometheus_client::encoding::text::encode(&mut body, &r);
                }
                (
                    [(
                        "content-type",
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics: cannot listen on {addr}"))?;
    tracing::info!(%addr, "metrics at /metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(())
}
