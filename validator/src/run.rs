//! `validator run`: the validation loop, a small state machine whose state survives restarts.
//!
//! Each round goes through these phases, each a function below:
//! 1. **Sync**: the metagraph of the subnet and mechanism (every round; the hotkeys' uids,
//!    the hyperparameters, the schedule).
//! 2. **Score**: query a rotating sample of serving miners, judge the answers, update the
//!    moving-average scores.
//! 3. **Checkpoint**: write the state (scores, the task's state, the pending commit).
//! 4. Then either **Submit**, when no commit is pending and the rate limit allows: the scores
//!    become weights through the core (the SDK's processing, quantized chain-safe), set
//!    directly when the subnet has commit-reveal off and read back; under commit-reveal,
//!    committed timelocked (the chain reveals them) or by hash (the validator reveals them),
//!    the commit saved before it is sent;
//! 5. or **AwaitReveal**, while a commit is pending: a hash commit is revealed once its reveal
//!    epoch has come and read back; a timelocked one is read back once the chain has revealed
//!    it (`match`, `mismatch`) or dropped it (`dropped`, with the reason).
//!
//! Errors are typed ([`Error`]): a retryable one is logged with its advice, counted in
//! `validator_chain_errors{kind}`, and the next round starts from a fresh read; any other one
//! stops the loop after a checkpoint. Nothing is lost: the state is written every round, and a
//! commit before it is sent.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bt_chain::timelock::{self, TimelockOutcome, TimelockedCommit};
use bt_chain::weights::{self as chain_weights, Target, Verification, WeightsToSet};
use bt_chain::{metagraph, Chain, ChainError, RevealError, TxError};
use bt_core::ema::ScoreBook;
use bt_core::metagraph::Metagraph;
use bt_core::weights::{process_weights, quantize_for_chain, WeightParams};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use subxt_signer::sr25519::Keypair;

use crate::commit::{random_salt, CommitMode, PendingCommit, Reveal, Stage};
use crate::error::Error;
use crate::state::{SentWeights, Source, StateFile, ValidatorState};
use crate::status::{StatusBoard, StatusCommit, StatusError, StatusWeights, ValidatorStatus};
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
    /// Where to serve the live status (`GET /status`, see [`crate::status`]).
    pub status_addr: Option<SocketAddr>,
    /// Stop after this many rounds (tests, one-shot runs).
    pub max_rounds: Option<u64>,
    /// Deadline for chain requests.
    pub chain_timeout: Duration,
    /// The protocol the subnet's miners speak.
    pub wire: Protocol,
    /// How to commit when the subnet has commit-reveal on.
    pub commit_mode: CommitMode,
    /// The chain's block time, for the drand round of a timelocked commit (12 s on finney).
    pub block_time: Duration,
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
        r.register("validator_weights", "Weight submissions by outcome (set, committed, revealed, match, mismatch, not_yet_included, dropped)", self.weights.clone());
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

/// What the round does after its checkpoint.
#[derive(Debug)]
enum Next {
    /// No commit pending: submit when the rate limit allows.
    Submit,
    /// A commit is pending: reveal it (hash) or read it back (timelocked).
    AwaitReveal(Box<PendingCommit>),
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
    pending: Option<PendingCommit>,
    metagraph: Option<Metagraph>,
    cursor: usize,
    metrics: Metrics,
    /// The epoch in which the "not the Null permit holder" notice was last given.
    null_notice_epoch: Option<u64>,
    /// What `GET /status` shows (kept even when it is not served).
    status: StatusBoard,
}

/// Runs the loop for `task` until `shutdown` resolves (then checkpoints) or `max_rounds` is
/// reached. Returns the error that stopped it, if one did (see [`Error::is_retryable`]).
pub async fn run<T: Task>(
    config: RunConfig,
    hotkey: Keypair,
    mut task: T,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), Error> {
    let hotkey_ss58 = bt_core::ss58::bittensor(&hotkey.public_key().0);
    let state_file = StateFile::new(&config.state_dir);
    let loaded = state_file.load()?;
    for (path, reason) in &loaded.quarantined {
        tracing::error!(file = %path.display(), %reason, "a state file was bad and has been moved aside");
    }
    let (scores, step, last_weights, last_verification, pending) = match loaded.state {
        Some((s, source)) if s.netuid == config.netuid => {
            tracing::info!(step = s.step, uids = s.scores.len(), from = ?source, pending = s.pending.as_ref().map(PendingCommit::kind), "resuming from the saved state");
            if source == Source::Previous {
                tracing::warn!(
                    "the current state file was missing or bad; resumed from the previous one"
                );
            }
            let book = ScoreBook::from_parts(config.alpha, s.scores, s.hotkeys)
                .map_err(|e| Error::Scores(e.to_string()))?;
            if let Err(reason) = task.restore(s.task) {
                tracing::warn!(%reason, "the task's saved state does not load; the task starts fresh");
            }
            (book, s.step, s.last_weights, s.last_verification, s.pending)
        }
        Some((s, _)) => {
            return Err(Error::OtherSubnet {
                dir: config.state_dir.clone(),
                saved: s.netuid,
                wanted: config.netuid,
            })
        }
        None => {
            tracing::info!("no saved state: starting fresh");
            let book = ScoreBook::new(config.alpha).map_err(|e| Error::Scores(e.to_string()))?;
            (book, 0, None, None, None)
        }
    };
    let dendrite = Dendrite::new(
        hotkey.clone(),
        DendriteConfig {
            timeout: config.timeout,
            protocol: config.wire,
            ..DendriteConfig::default()
        },
    )
    .map_err(|e| Error::Dendrite(e.to_string()))?;
    let metrics = Metrics::default();
    if let Some(addr) = config.metrics_addr {
        serve_metrics(addr, &metrics).await?;
    }
    let status = StatusBoard::new(ValidatorStatus::new(
        hotkey_ss58.clone(),
        config.netuid,
        config.mecid,
        crate::status::now_ms(),
    ));
    if let Some(addr) = config.status_addr {
        crate::status::serve(addr, status.clone()).await?;
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
        pending,
        null_notice_epoch: None,
        status,
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
                    v.count_error(e.kind());
                    tracing::warn!(error = %e, wait_ms = backoff.as_millis() as u64, "chain unreachable; retrying");
                    v.status_error(&Error::Chain(e));
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
        v.publish_status();
        if let Err(e) = round {
            tracing::error!(error = %e, kind = e.kind(), "round failed");
            v.count_error(e.kind());
            v.status_error(&e);
            if !e.is_retryable() {
                v.checkpoint()?;
                return Err(e);
            }
            if e.is_connection() {
                chain = None;
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

impl<T: Task> Validator<T> {
    /// One round: Sync → Score → Checkpoint → Submit | AwaitReveal.
    async fn round(&mut self, chain: &Chain) -> Result<(), Error> {
        let (mg, my_uid) = self.sync(chain).await?;
        self.score(&mg, my_uid).await?;
        self.checkpoint()?;
        match self.next() {
            Next::Submit => self.submit(chain, &mg, my_uid).await,
            Next::AwaitReveal(pending) => self.await_reveal(chain, *pending).await,
        }
    }

    fn next(&mut self) -> Next {
        match self.pending.clone() {
            Some(p) => Next::AwaitReveal(Box::new(p)),
            None => Next::Submit,
        }
    }

    /// **Sync**: the metagraph, our uid, the hotkeys the scores belong to.
    async fn sync(&mut self, chain: &Chain) -> Result<(Metagraph, u16), Error> {
        let netuid = self.config.netuid;
        let mg = metagraph::sync_mechanism(chain, netuid, self.config.mecid, None).await?;
        let my_uid =
            mg.uid_of(&self.hotkey.public_key().0)
                .ok_or_else(|| Error::NotRegistered {
                    hotkey: self.hotkey_ss58.clone(),
                    netuid,
                })?;
        self.task.set_tempo(u64::from(mg.hyperparams.tempo));
        let hotkeys: Vec<String> = mg
            .neurons
            .iter()
            .map(|n| bt_core::ss58::bittensor(&n.hotkey))
            .collect();
        for uid in self.scores.sync_hotkeys(&hotkeys) {
            self.task.reset_uid(uid);
        }
        Ok((mg, my_uid))
    }

    /// **Score**: a rotating sample of serving miners (not ourselves), judged and scored.
    async fn score(&mut self, mg: &Metagraph, my_uid: u16) -> Result<(), Error> {
        let serving: Vec<AxonTarget> = mg
            .neurons
            .iter()
            .filter(|n| n.uid != my_uid && n.axon.is_serving() && n.axon.port != 0)
            .map(|n| AxonTarget {
                uid: n.uid,
                ip: n.axon.ip_string(),
                port: n.axon.port,
                hotkey: bt_core::ss58::bittensor(&n.hotkey),
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
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
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
        self.scores
            .update(&uids, &rewards)
            .map_err(|e| Error::Scores(e.to_string()))?;
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
        Ok(())
    }

    /// **Checkpoint**: the state, atomically (see [`crate::state`]).
    fn checkpoint(&self) -> Result<(), Error> {
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
            pending: self.pending.clone(),
        };
        self.state_file.save(&state)?;
        Ok(())
    }

    /// The weights the scores give, for the chain's current rules; `None` while nothing is
    /// scored or the rate limit has not passed since our last weights.
    fn weights_due(&self, mg: &Metagraph, my_uid: u16) -> Result<Option<WeightsToSet>, Error> {
        let h = &mg.hyperparams;
        let last_update = mg.neurons[usize::from(my_uid)].last_update;
        let rate_ok =
            last_update == 0 || mg.block.saturating_sub(last_update) >= h.weights_rate_limit;
        let already = self.last_weights.as_ref().is_some_and(|w| {
            w.block >= last_update && mg.block.saturating_sub(w.block) < h.weights_rate_limit.max(1)
        });
        if !rate_ok || already {
            return Ok(None);
        }
        self.compute_weights(mg)
    }

    /// The weights the scores give now, for the chain's current rules (`None` while nothing
    /// is scored).
    fn compute_weights(&self, mg: &Metagraph) -> Result<Option<WeightsToSet>, Error> {
        if self.scores.scores().iter().all(|s| *s == 0.0) {
            return Ok(None);
        }
        let h = &mg.hyperparams;
        let n = mg.n();
        let mut raw = self.scores.weights_f32();
        raw.resize(n, 0.0);
        let uids: Vec<u16> = (0..n as u16).collect();
        let params = WeightParams::from_chain(n, h.min_allowed_weights, h.max_weights_limit);
        let processed =
            process_weights(&uids, &raw, &params).map_err(|e| Error::Weights(e.to_string()))?;
        let emit = quantize_for_chain(&processed.uids, &processed.weights, h.max_weights_limit)
            .map_err(|e| Error::Weights(e.to_string()))?;
        Ok(Some(WeightsToSet {
            uids: emit.uids,
            values: emit.values,
            version_key: self.config.version_key.max(h.weights_version),
        }))
    }

    /// **Submit**: set the weights directly, or commit them under commit-reveal.
    async fn submit(&mut self, chain: &Chain, mg: &Metagraph, my_uid: u16) -> Result<(), Error> {
        if !mg.may_set_weights(my_uid) {
            // Spec 475 Null consensus: only the largest stake's uid holds a permit, and the
            // chain refuses everyone else's weights. Say so once per epoch; keep scoring.
            if self.null_notice_epoch != Some(mg.schedule.epoch_index) {
                self.null_notice_epoch = Some(mg.schedule.epoch_index);
                let holder = mg
                    .neurons
                    .iter()
                    .find(|n| n.validator_permit)
                    .map(|n| n.uid);
                tracing::warn!(
                    netuid = mg.netuid,
                    uid = my_uid,
                    holder = ?holder,
                    "this subnet runs Null consensus: only the sole validator permit holder (the largest stake) may set weights and the chain refuses anyone else's (NeuronNoValidatorPermit); not sending weights, scores are kept"
                );
            }
            self.count_weights("not_permit_holder");
            return Ok(());
        }
        let Some(w) = self.weights_due(mg, my_uid)? else {
            return Ok(());
        };
        let h = &mg.hyperparams;
        if !h.commit_reveal_enabled {
            crate::test_hooks::commit_pause("read, not sent").await;
            let out = chain_weights::set_and_verify(chain, &self.hotkey, self.target(), &w).await?;
            self.count_weights("set");
            self.remember_sent(&w, out.included_at);
            self.record_verification(&out.verification);
            return self.checkpoint();
        }
        let timelocked = match self.config.commit_mode {
            CommitMode::Hash => false,
            CommitMode::Timelocked | CommitMode::Auto => {
                let can = h.commit_reveal_version >= 4 && timelock_calls(chain).await?;
                if !can && self.config.commit_mode == CommitMode::Timelocked {
                    return Err(Error::CommitReveal(format!(
                        "the chain takes commit-reveal version {} and no timelocked commits; use --neuron.commit_reveal hash",
                        h.commit_reveal_version
                    )));
                }
                can
            }
        };
        if timelocked {
            self.commit_timelocked(chain, w).await
        } else {
            self.commit_hash(chain, w).await
        }
    }

    /// A timelocked commit: prepared, signed, saved, sent, and saved again with where the
    /// chain keyed it.
    async fn commit_timelocked(&mut self, chain: &Chain, w: WeightsToSet) -> Result<(), Error> {
        let prepared = timelock::prepare_commit(
            chain,
            &self.hotkey.public_key().0,
            self.target(),
            &w,
            self.config.block_time,
        )
        .await?;
        let tx = timelock::sign_prepared(chain, &self.hotkey, &prepared).await?;
        self.pending = Some(PendingCommit::Timelocked {
            weights: w.clone(),
            prepared: prepared.clone(),
            commit: None,
            commit_tx: Some(tx.clone()),
        });
        self.checkpoint()?;
        crate::test_hooks::commit_pause("saved, not sent").await;
        match timelock::send_prepared(chain, &prepared, &tx, self.config.block_time).await {
            Ok(commit) => self.timelocked_landed(commit).await,
            Err(e) => self.commit_not_seen(e),
        }
    }

    /// A timelocked commit seen on chain: saved with where the chain keyed it.
    async fn timelocked_landed(&mut self, commit: TimelockedCommit) -> Result<(), Error> {
        crate::test_hooks::commit_pause("landed, not saved").await;
        let Some(PendingCommit::Timelocked {
            weights,
            commit: at,
            ..
        }) = &mut self.pending
        else {
            return Ok(());
        };
        let w = weights.clone();
        *at = Some(commit.clone());
        self.count_weights("committed");
        tracing::info!(
            block = commit.included_at,
            reveal_round = commit.reveal_round,
            reveal_epoch = commit.reveal_epoch,
            expected_reveal_block = commit.expected_reveal_block,
            uids = w.uids.len(),
            "weights committed timelocked; the chain reveals them in the reveal epoch"
        );
        self.remember_sent(&w, commit.included_at);
        self.checkpoint()
    }

    /// A hash commit: salt from the OS, signed, saved, sent, and saved again with its block.
    async fn commit_hash(&mut self, chain: &Chain, w: WeightsToSet) -> Result<(), Error> {
        let salt = random_salt()
            .map_err(|e| Error::CommitReveal(format!("the OS random generator failed: {e}")))?;
        let target = self.target();
        let me = self.hotkey.public_key().0;
        let hash = chain_weights::commit_hash(&me, target, &w, &salt);
        let tx = chain_weights::commit_weights_call(chain, &me, target, &w, &salt)
            .await?
            .sign(chain, &self.hotkey)
            .await?;
        self.pending = Some(PendingCommit::Hash {
            target,
            weights: w,
            salt,
            hash,
            commit_block: None,
            commit_tx: Some(tx.clone()),
            reveal: None,
        });
        self.checkpoint()?;
        crate::test_hooks::commit_pause("saved, not sent").await;
        match bt_chain::tx::send(chain, &tx).await {
            Ok(included) => self.hash_commit_landed(included.block_number).await,
            Err(e) => self.commit_not_seen(e),
        }
    }

    /// A hash commit seen on chain in `block`: saved with it.
    async fn hash_commit_landed(&mut self, block: u64) -> Result<(), Error> {
        crate::test_hooks::commit_pause("landed, not saved").await;
        let Some(PendingCommit::Hash {
            weights,
            commit_block,
            ..
        }) = &mut self.pending
        else {
            return Ok(());
        };
        *commit_block = Some(block);
        let w = weights.clone();
        self.count_weights("committed");
        tracing::info!(
            block,
            uids = w.uids.len(),
            "weights committed by hash; revealing in the reveal epoch"
        );
        self.remember_sent(&w, block);
        self.checkpoint()
    }

    /// A commit send that did not end in a seen inclusion. A refusal (the pool's or the
    /// block's) means it never landed: nothing is pending. Anything else (the node went away,
    /// timed out) leaves its fate unknown: it stays pending, and the next round looks for it
    /// on chain or sends the same transaction again ([`Self::confirm_commit`]).
    fn commit_not_seen(&mut self, e: ChainError) -> Result<(), Error> {
        if matches!(e, ChainError::Tx(_)) {
            self.pending = None;
            self.checkpoint()?;
            return Err(e.into());
        }
        self.count_weights("outcome_unknown");
        tracing::warn!(error = %e, "the commit was sent but its inclusion was not seen: it stays pending and is looked up on chain next round");
        Err(e.into())
    }

    /// **AwaitReveal**: settle a commit whose inclusion was not seen, then reveal a hash
    /// commit when its epoch has come (and read it back), or read a timelocked one back once
    /// the chain has revealed or dropped it.
    async fn await_reveal(&mut self, chain: &Chain, pending: PendingCommit) -> Result<(), Error> {
        let commit_block = match pending.stage() {
            Stage::Sent => match self.confirm_commit(chain, &pending).await? {
                Some(block) => block,
                None => return Ok(()),
            },
            Stage::Committed(block) | Stage::Revealing(block) => block,
            Stage::Revealed {
                commit_block,
                revealed_at,
            } => {
                return self
                    .read_back_reveal(chain, commit_block, revealed_at)
                    .await
            }
        };
        let Some(pending) = self.pending.clone() else {
            return Ok(());
        };
        match pending {
            PendingCommit::Hash {
                target,
                weights,
                salt,
                hash,
                reveal,
                ..
            } => {
                let sent = match reveal {
                    Some(Reveal { tx, .. }) => {
                        // A reveal was sent and not seen: if the commit left the queue, it
                        // landed (or the commit expired); otherwise the same bytes go again,
                        // while they can still land.
                        let me = self.hotkey.public_key().0;
                        if chain_weights::find_hash_commit(chain, target, &me, &hash)
                            .await?
                            .is_none()
                        {
                            return self.reveal_not_queued(chain, commit_block).await;
                        }
                        let best = chain.best_number().await?;
                        (best <= tx.valid_until).then_some(tx)
                    }
                    None => None,
                };
                let tx = match sent {
                    Some(tx) => tx,
                    None => {
                        let tx = chain_weights::reveal_weights_call(chain, target, &weights, &salt)
                            .await?
                            .sign(chain, &self.hotkey)
                            .await?;
                        self.set_reveal(Some(Reveal {
                            tx: tx.clone(),
                            included_at: None,
                        }));
                        self.checkpoint()?;
                        tx
                    }
                };
                crate::test_hooks::commit_pause("reveal saved, not sent").await;
                self.send_reveal(chain, &tx, commit_block).await
            }
            PendingCommit::Timelocked {
                weights, commit, ..
            } => {
                let Some(commit) = commit else {
                    return Ok(());
                };
                match timelock::verify_timelocked(chain, &commit, &weights).await? {
                    TimelockOutcome::Pending { .. } => Ok(()),
                    TimelockOutcome::Revealed { verification, .. } => {
                        self.count_weights("revealed");
                        self.pending = None;
                        self.record_verification(&verification);
                        self.checkpoint()
                    }
                    TimelockOutcome::Dropped { reason, block } => {
                        self.pending = None;
                        self.record_dropped(&format!("{reason:?} (block {block})"));
                        self.checkpoint()
                    }
                }
            }
        }
    }

    /// Sends a hash commit's reveal (signed and saved) and settles what the chain says.
    async fn send_reveal(
        &mut self,
        chain: &Chain,
        tx: &bt_chain::tx::SignedTx,
        commit_block: u64,
    ) -> Result<(), Error> {
        match bt_chain::tx::send(chain, tx).await {
            Ok(included) => {
                self.count_weights("revealed");
                if let Some(PendingCommit::Hash {
                    reveal: Some(r), ..
                }) = &mut self.pending
                {
                    r.included_at = Some(included.block_number);
                }
                self.checkpoint()?;
                self.read_back_reveal(chain, commit_block, included.block_number)
                    .await
            }
            Err(ChainError::Tx(TxError::Reveal(RevealError::TooEarly))) => {
                tracing::debug!("the reveal epoch has not come; revealing next round");
                self.set_reveal(None);
                self.checkpoint()
            }
            Err(ChainError::Tx(TxError::Reveal(why))) => {
                // Expired, gone, or not ours to reveal: these weights never landed.
                self.pending = None;
                self.record_dropped(&why.to_string());
                self.checkpoint()
            }
            Err(e @ ChainError::Tx(_)) => {
                // Refused for another reason (its nonce was used, a rate limit): a fresh
                // reveal is signed next round.
                self.set_reveal(None);
                self.checkpoint()?;
                Err(e.into())
            }
            Err(e) => {
                self.count_weights("outcome_unknown");
                tracing::warn!(error = %e, "the reveal was sent but its inclusion was not seen: it is looked up on chain next round");
                Err(e.into())
            }
        }
    }

    /// The reveal landed in `revealed_at`: read the weights back and clear the commit. A
    /// failed read leaves it to the next round; it never turns into `dropped`.
    async fn read_back_reveal(
        &mut self,
        chain: &Chain,
        commit_block: u64,
        revealed_at: u64,
    ) -> Result<(), Error> {
        let Some(v) = self.read_back(chain, commit_block).await? else {
            return Ok(());
        };
        tracing::debug!(revealed_at, "reveal read back");
        self.pending = None;
        self.record_verification(&v);
        self.checkpoint()
    }

    /// A reveal whose inclusion was not seen, and the commit is no longer queued: the reveal
    /// landed, or the commit expired first. The weights row tells which.
    async fn reveal_not_queued(&mut self, chain: &Chain, commit_block: u64) -> Result<(), Error> {
        let Some(v) = self.read_back(chain, commit_block).await? else {
            return Ok(());
        };
        self.pending = None;
        if matches!(v, Verification::NotYetIncluded { .. }) {
            self.record_dropped(
                "the commit left the queue without the reveal landing (ExpiredWeightCommit)",
            );
        } else {
            tracing::info!("the reveal sent before the interruption landed");
            self.count_weights("revealed");
            self.record_verification(&v);
        }
        self.checkpoint()
    }

    /// The pending commit's weights read back from the chain (`None` with nothing pending).
    async fn read_back(
        &self,
        chain: &Chain,
        commit_block: u64,
    ) -> Result<Option<Verification>, Error> {
        let Some(pending) = &self.pending else {
            return Ok(None);
        };
        let v = chain_weights::verify_weights(
            chain,
            self.target(),
            &self.hotkey.public_key().0,
            pending.weights(),
            commit_block,
        )
        .await?;
        Ok(Some(v))
    }

    fn set_reveal(&mut self, to: Option<Reveal>) {
        if let Some(PendingCommit::Hash { reveal, .. }) = &mut self.pending {
            *reveal = to;
        }
    }

    /// The block of a commit whose inclusion was not seen (sent before a crash or an
    /// interruption): found on chain, or its saved transaction sent again and landing now.
    /// `None` when it is settled that it never landed (the chain refuses the same bytes: their
    /// nonce is used or their era has passed; or, for a state saved before transactions were
    /// kept, it is not queued): the next round commits afresh. An interruption of the resend
    /// leaves it pending.
    async fn confirm_commit(
        &mut self,
        chain: &Chain,
        pending: &PendingCommit,
    ) -> Result<Option<u64>, Error> {
        if let Some(block) = self.find_landed(chain, pending).await? {
            tracing::info!(block, "the commit saved before the interruption landed");
            return Ok(Some(block));
        }
        let Some(tx) = pending.commit_tx().cloned() else {
            return self.never_landed("it is not queued on chain");
        };
        let best = chain.best_number().await?;
        if best > tx.valid_until {
            return self.never_landed(&format!(
                "it is not queued on chain and its transaction could land only up to block {} (now {best})",
                tx.valid_until
            ));
        }
        tracing::info!(
            valid_until = tx.valid_until,
            "the commit saved before the interruption is not on chain; sending the same transaction again"
        );
        let sent = match pending {
            PendingCommit::Hash { .. } => bt_chain::tx::send(chain, &tx)
                .await
                .map(|i| Landed::Hash(i.block_number)),
            PendingCommit::Timelocked { prepared, .. } => {
                timelock::send_prepared(chain, prepared, &tx, self.config.block_time)
                    .await
                    .map(Landed::Timelocked)
            }
        };
        let block = match sent {
            Ok(Landed::Hash(block)) => {
                self.hash_commit_landed(block).await?;
                block
            }
            Ok(Landed::Timelocked(c)) => {
                let block = c.included_at;
                self.timelocked_landed(c).await?;
                block
            }
            Err(ChainError::Tx(refused)) => {
                // The same bytes refused (a stale nonce): they may have landed meanwhile.
                return match self.find_landed(chain, pending).await? {
                    Some(block) => {
                        tracing::info!(
                            block,
                            "the commit saved before the interruption landed while it was looked up"
                        );
                        Ok(Some(block))
                    }
                    None => self.never_landed(&refused.to_string()),
                };
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(
            block,
            "the commit saved before the interruption landed on sending it again"
        );
        Ok(Some(block))
    }

    /// Where a saved commit landed, if it did, recorded as landed: queued on chain now, or
    /// its transaction in a block of its era (a timelocked commit the chain has revealed
    /// since is queued no more).
    async fn find_landed(
        &mut self,
        chain: &Chain,
        pending: &PendingCommit,
    ) -> Result<Option<u64>, Error> {
        match pending {
            PendingCommit::Hash { target, hash, .. } => {
                let me = self.hotkey.public_key().0;
                let queued = chain_weights::find_hash_commit(chain, *target, &me, hash)
                    .await?
                    .map(|(block, _)| block);
                let block = match queued {
                    Some(block) => Some(block),
                    None => included_in(chain, pending).await?,
                };
                if let Some(block) = block {
                    self.hash_commit_landed(block).await?;
                }
                Ok(block)
            }
            PendingCommit::Timelocked { prepared, .. } => {
                let bt = self.config.block_time;
                let mut found = timelock::find_commit(chain, prepared, bt).await?;
                if found.is_none() {
                    if let Some(block) = included_in(chain, pending).await? {
                        found = timelock::find_commit_at(chain, prepared, block, bt).await?;
                    }
                }
                let Some(c) = found else { return Ok(None) };
                let block = c.included_at;
                self.timelocked_landed(c).await?;
                Ok(Some(block))
            }
        }
    }

    /// A saved commit that never landed: forgotten; the next round commits afresh.
    fn never_landed(&mut self, why: &str) -> Result<Option<u64>, Error> {
        tracing::warn!(%why, "the commit saved before the interruption never landed; committing afresh");
        self.pending = None;
        self.checkpoint()?;
        Ok(None)
    }

    /// Where this validator's weights go.
    fn target(&self) -> Target {
        Target {
            netuid: self.config.netuid,
            mecid: self.config.mecid,
        }
    }

    fn remember_sent(&mut self, w: &WeightsToSet, block: u64) {
        self.last_weights = Some(SentWeights {
            block,
            uids: w.uids.clone(),
            values: w.values.clone(),
            version_key: w.version_key,
        });
    }

    fn count_weights(&self, kind: &str) {
        self.metrics
            .weights
            .get_or_create(&KindLabel { kind: kind.into() })
            .inc();
    }

    fn count_error(&self, kind: &str) {
        self.metrics
            .chain_errors
            .get_or_create(&KindLabel { kind: kind.into() })
            .inc();
    }

    fn record_verification(&mut self, v: &Verification) {
        let kind = match v {
            Verification::Match { .. } => "match",
            Verification::Mismatch { .. } => "mismatch",
            Verification::NotYetIncluded { .. } => "not_yet_included",
        };
        self.count_weights(kind);
        match v {
            Verification::Match { block, .. } => {
                tracing::info!(block, "weights verified on chain: match")
            }
            other => tracing::warn!(outcome = ?other, "weights read back do not match"),
        }
        self.last_verification = serde_json::to_value(v).ok();
    }

    /// Records an error for `GET /status`.
    fn status_error(&self, e: &Error) {
        self.status.push_error(StatusError {
            kind: e.kind().into(),
            message: crate::status::public_message(e, &self.config.endpoint),
            retryable: e.is_retryable(),
            block: self.metagraph.as_ref().map_or(0, |m| m.block),
            at_ms: crate::status::now_ms(),
        });
    }

    /// Publishes what the loop knows now to `GET /status`.
    fn publish_status(&self) {
        let mg = self.metagraph.as_ref();
        let my_uid = mg.and_then(|m| m.uid_of(&self.hotkey.public_key().0));
        let computed = mg.and_then(|m| {
            self.compute_weights(m)
                .ok()
                .flatten()
                .map(|w| StatusWeights {
                    block: m.block,
                    uids: w.uids,
                    values: w.values,
                    version_key: None,
                })
        });
        let next_weights_block = mg.zip(my_uid).map(|(m, uid)| {
            let last = m.neurons.get(usize::from(uid)).map_or(0, |n| n.last_update);
            if last == 0 {
                m.block
            } else {
                last.saturating_add(m.hyperparams.weights_rate_limit)
            }
        });
        let pending = self
            .pending
            .as_ref()
            .map(|p| pending_view(p, mg, my_uid, self.config.mecid));
        let scores = self.scores.scores().to_vec();
        self.status.update(|s| {
            s.uid = my_uid;
            s.step = self.step;
            s.block = mg.map_or(0, |m| m.block);
            s.scores = scores;
            s.weights_computed = computed;
            s.weights_sent = self.last_weights.as_ref().map(StatusWeights::from);
            if pending.is_some() {
                s.last_commit.clone_from(&pending);
            }
            s.pending_commit = pending;
            s.last_verification = self
                .last_verification
                .as_ref()
                .and_then(crate::status::read_back);
            s.next_weights_block = next_weights_block;
        });
    }

    fn record_dropped(&mut self, reason: &str) {
        self.count_weights("dropped");
        tracing::warn!(%reason, "the chain dropped the commit: these weights never landed; the next round commits afresh");
        self.last_verification = Some(serde_json::json!({"outcome": "dropped", "reason": reason}));
    }
}

/// The pending commit as `GET /status` shows it. A timelocked commit carries its reveal
/// round, epoch and expected block; a hash commit's reveal epoch is the chain's: the commit
/// epoch `WeightCommits` stores for this uid plus `RevealPeriodEpochs`, and its first block
/// from the subnet's schedule.
fn pending_view(
    p: &PendingCommit,
    mg: Option<&Metagraph>,
    my_uid: Option<u16>,
    mecid: u8,
) -> StatusCommit {
    let stage = match p.stage() {
        Stage::Sent => "sent",
        Stage::Committed(_) => "committed",
        Stage::Revealing(_) => "revealing",
        Stage::Revealed { .. } => "revealed",
    };
    match p {
        PendingCommit::Timelocked { commit, .. } => StatusCommit {
            kind: "timelocked".into(),
            stage: stage.into(),
            commit_block: commit.as_ref().map(|c| c.included_at),
            reveal_round: commit.as_ref().map(|c| c.reveal_round),
            reveal_epoch: commit.as_ref().map(|c| c.reveal_epoch),
            expected_reveal_block: commit.as_ref().map(|c| c.expected_reveal_block),
        },
        PendingCommit::Hash { .. } => {
            let commit_block = p.commit_block();
            let on_chain = mg.zip(my_uid).and_then(|(m, uid)| {
                m.mechanisms
                    .get(usize::from(mecid))?
                    .commits
                    .iter()
                    .find(|c| c.uid == uid && Some(c.commit_block) == commit_block)
                    .map(|c| (m, c.commit_epoch))
            });
            let reveal_epoch =
                on_chain.map(|(m, epoch)| epoch.saturating_add(m.hyperparams.commit_reveal_period));
            let expected_reveal_block = on_chain.zip(reveal_epoch).and_then(|((m, _), epoch)| {
                let state = bt_core::schedule::ScheduleState::new(&m.schedule, &m.hyperparams);
                bt_core::schedule::epoch_start(&state, m.block, epoch).ok()
            });
            StatusCommit {
                kind: "hash".into(),
                stage: stage.into(),
                commit_block,
                reveal_round: None,
                reveal_epoch,
                expected_reveal_block,
            }
        }
    }
}

/// A commit sent again that landed.
enum Landed {
    Hash(u64),
    Timelocked(TimelockedCommit),
}

/// True when the runtime has the timelocked commit calls.
/// The block a saved commit's transaction landed in, if it did (and was saved signed).
async fn included_in(chain: &Chain, pending: &PendingCommit) -> Result<Option<u64>, ChainError> {
    match pending.commit_tx() {
        Some(tx) => bt_chain::tx::find_included(chain, tx).await,
        None => Ok(None),
    }
}

async fn timelock_calls(chain: &Chain) -> Result<bool, Error> {
    let at = chain.at_best().await?;
    Ok(at
        .metadata_ref()
        .pallet_by_name("SubtensorModule")
        .is_some_and(|p| {
            p.call_variant_by_name("commit_timelocked_mechanism_weights")
                .is_some()
                || p.call_variant_by_name("commit_timelocked_weights")
                    .is_some()
        }))
}

/// Serves `/metrics` (OpenMetrics text) on `addr` in the background.
async fn serve_metrics(addr: SocketAddr, metrics: &Metrics) -> Result<(), Error> {
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
        .map_err(|source| Error::Listen {
            what: "metrics",
            addr,
            source,
        })?;
    tracing::info!(%addr, "metrics at /metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(())
}
