//! Commit-reveal v4: weights timelock-encrypted to a future drand round, committed with
//! `commit_timelocked_(mechanism_)weights`, and revealed by the chain itself in the reveal
//! epoch; then [`verify_timelocked`], which finds the block the chain revealed them in and
//! reads them back (or says why the chain dropped them).
//!
//! The schedule (which epoch the commit is keyed by, where the reveal epoch opens, which round
//! to encrypt to) is `bt_core::schedule`'s; this module reads its inputs from the chain: the
//! subnet's epoch state, `RevealPeriodEpochs`, `CommitRevealWeightsVersion`, the beacon in
//! `Drand::BeaconConfig` and the head block's `Timestamp.Now`.
//!
//! The time of the head is the head block's own timestamp, not the local clock: it is what
//! block times are measured from, it is available in a browser, and it keeps a local chain
//! (whose blocks are stamped in simulated time) consistent with its beacon. On a live chain
//! it trails the wall clock by less than a block, so the round is due by the target block's
//! time instead of a few seconds after it; it stays inside the reveal epoch.

use bt_core::metagraph::{EpochSchedule, Hyperparams};
use bt_core::schedule::{self, RevealPrediction, ScheduleState};
use codec::{Decode, Encode};
use scale_value::Value;
use serde::{Deserialize, Serialize};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

use crate::client::Chain;
use crate::drand::{self, Beacon, DrandError};
use crate::error::{ChainError, TxError};
use crate::storage::{AtBlock, Batch, KeyPart, SUBTENSOR};
use crate::tx::{Included, SignedTx};
use crate::weights::{
    call_name, compare_rows, target_args, Target, Verification, WeightsCall, WeightsToSet,
};

/// What the chain decrypts and applies at reveal (subtensor `WeightsTlockPayload`): SCALE of
/// the committer's 32-byte public key, the uids, the u16 values and the version key.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct WeightsTlockPayload {
    /// The committer's hotkey (32 bytes); the chain skips a payload whose hotkey is not the
    /// committer's.
    pub hotkey: Vec<u8>,
    /// Destination uids.
    pub uids: Vec<u16>,
    /// u16 values (max-upscaled by the chain).
    pub values: Vec<u16>,
    /// The version key, checked against `WeightsVersionKey` at reveal.
    pub version_key: u64,
}

impl WeightsTlockPayload {
    /// The payload for `w` committed by `hotkey`.
    pub fn new(hotkey: &[u8; 32], w: &WeightsToSet) -> Self {
        Self {
            hotkey: hotkey.to_vec(),
            uids: w.uids.clone(),
            values: w.values.clone(),
            version_key: w.version_key,
        }
    }
}

/// Encrypts `w` (as committed by `hotkey`) to `round` of `beacon`: the bytes
/// `commit_timelocked_weights` carries.
pub fn encrypt_weights(
    beacon: &Beacon,
    hotkey: &[u8; 32],
    w: &WeightsToSet,
    round: u64,
) -> Result<Vec<u8>, DrandError> {
    drand::encrypt(
        &beacon.public_key,
        round,
        &WeightsTlockPayload::new(hotkey, w).encode(),
    )
}

/// Everything a timelocked commit at the best block needs, read in one go.
#[derive(Debug, Clone, Serialize)]
pub struct CommitPlan {
    /// The block read (the head).
    pub head_block: u64,
    /// Its `Timestamp.Now` (unix ms).
    pub head_time_ms: u64,
    /// The beacon the chain follows.
    pub beacon: Beacon,
    /// `CommitRevealWeightsVersion`: the version the chain accepts.
    pub version: u16,
    /// `RevealPeriodEpochs`.
    pub reveal_period: u64,
    /// `Drand::LastStoredRound`: a round below it is refused.
    pub last_stored_round: u64,
    /// When the chain will reveal a commit landing in the next block.
    pub prediction: RevealPrediction,
    /// The round to encrypt to: due by `prediction.target_block()`'s time.
    pub reveal_round: u64,
}

/// A commit the chain accepted, and when it will reveal it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelockedCommit {
    /// Where the weights go.
    pub target: Target,
    /// The committer.
    pub hotkey: [u8; 32],
    /// The block the commit landed in (its `LastUpdate`).
    pub included_at: u64,
    /// The epoch the chain keyed it by (`TimelockedWeightCommits[idx][epoch]`).
    pub commit_epoch: u64,
    /// `commit_epoch + RevealPeriodEpochs`: the only epoch it can be revealed in.
    pub reveal_epoch: u64,
    /// The drand round it is encrypted to.
    pub reveal_round: u64,
    /// The first block of the reveal epoch, as the schedule stood after the commit's block
    /// (a later `set_tempo` or owner-triggered epoch moves it).
    pub first_reveal_block: u64,
    /// Where the chain should reveal it: the first block of the reveal epoch whose parent is
    /// stamped at or after the round's time (a pulse landing one block after it is due).
    pub expected_reveal_block: u64,
    /// blake2-256 of the ciphertext, as the `TimelockedWeightsCommitted` event carries it.
    pub commit_hash: [u8; 32],
}

/// What the chain did with a timelocked commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TimelockOutcome {
    /// Not revealed yet: the reveal epoch has not begun, or it has and the round's pulse is
    /// not on chain yet (the chain retries every block of the reveal epoch).
    Pending {
        /// The block read.
        block: u64,
        /// The epoch the commit waits for.
        reveal_epoch: u64,
        /// The first block of the reveal epoch, when it has begun.
        reveal_epoch_began_at: Option<u64>,
        /// The round waited for.
        reveal_round: u64,
        /// `Drand::LastStoredRound` at the block read.
        last_stored_round: u64,
    },
    /// The chain revealed the commit (`TimelockedWeightsRevealed`) in `revealed_at`; the
    /// weights stored there compared with what was committed.
    Revealed {
        /// The block the chain revealed it in.
        revealed_at: u64,
        /// `Match`, or `Mismatch` with the differences.
        verification: Verification,
    },
    /// The chain dropped the commit: its weights never reached W.
    Dropped {
        /// The block the chain dropped it in (the end of the reveal epoch when the pulse
        /// never came, the reveal attempt otherwise).
        block: u64,
        /// Why, as far as the chain's state tells.
        reason: DropReason,
    },
}

impl TimelockOutcome {
    /// `pending`, `match`, `mismatch` or `dropped`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Revealed { verification, .. } if verification.is_match() => "match",
            Self::Revealed { .. } => "mismatch",
            Self::Dropped { .. } => "dropped",
        }
    }

    /// True when the chain revealed exactly what was committed.
    pub fn is_match(&self) -> bool {
        matches!(self, Self::Revealed { verification, .. } if verification.is_match())
    }
}

/// Why the chain dropped a timelocked commit (it logs the reason at trace level only; these
/// are read back from its state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DropReason {
    /// The round's pulse was not on chain before the reveal epoch ended.
    #[error("the pulse of drand round {round} never reached the chain during the reveal epoch (Drand::LastStoredRound was {last_stored_round} when it ended): the round was too late for the epoch, or the beacon stalled")]
    PulseMissing {
        /// The round.
        round: u64,
        /// `Drand::LastStoredRound` at the end of the reveal epoch.
        last_stored_round: u64,
    },
    /// The commit was gone before the chain could reveal it.
    #[error("the commit was no longer queued when the chain reached its reveal")]
    CommitMissing,
    /// The round's pulse does not open the ciphertext.
    #[error("the commit does not decrypt with round {round}'s pulse: it was encrypted to another beacon key than the chain's, or to another round")]
    Undecryptable {
        /// The round.
        round: u64,
    },
    /// The decrypted payload is not a weights payload of the committer.
    #[error("the decrypted payload is not this hotkey's weights payload")]
    BadPayload,
    /// The payload's version key is below the subnet's at reveal.
    #[error("version_key {sent} is below the subnet's weights_version {required} at reveal")]
    VersionKeyTooLow {
        /// The payload's.
        sent: u64,
        /// `WeightsVersionKey` at reveal.
        required: u64,
    },
    /// The chain's set_weights checks refused the revealed weights.
    #[error("the chain decrypted the weights but its set_weights checks refused them (stake below StakeThreshold, no validator permit, too few weights, unknown uids, or the hotkey deregistered); the runtime logs which only at trace level")]
    Refused,
}

/// `TimelockedWeightCommits`' value: `(who, commit_block, ciphertext, reveal_round)`.
type StoredTimelockedCommit = (AccountId32, u64, Vec<u8>, u64);

/// The schedule inputs at `at`: the subnet's epoch state and the commit-reveal parameters.
async fn read_schedule(
    chain: &Chain,
    at: &AtBlock,
    netuid: u16,
) -> Result<(EpochSchedule, Hyperparams), ChainError> {
    let net = [KeyPart::U16(netuid)];
    let mut b = Batch::new(at);
    let added = b.add("NetworksAdded", &net)?;
    let schedule = crate::metagraph::ScheduleIndex::add(&mut b, netuid)?;
    let tempo = b.add("Tempo", &net)?;
    let period = b.add_optional("RevealPeriodEpochs", &net)?;
    let version = b.add_optional("CommitRevealWeightsVersion", &[])?;
    let enabled = b.add("CommitRevealWeightsEnabled", &net)?;
    let v = b.fetch(chain).await?;
    if !v.get::<bool>(added)? {
        return Err(ChainError::NoSuchSubnet {
            netuid,
            block: at.block_number(),
        });
    }
    let defaults = Hyperparams::default();
    let runtime = crate::metagraph::runtime_generation(at.spec_version());
    let schedule = schedule.read(&v, runtime)?;
    let hyperparams = Hyperparams {
        tempo: v.get(tempo)?,
        commit_reveal_enabled: v.get(enabled)?,
        commit_reveal_period: v.get_or(period, defaults.commit_reveal_period)?,
        commit_reveal_version: v.get_or(version, defaults.commit_reveal_version)?,
        ..defaults
    };
    Ok((schedule, hyperparams))
}

/// `Timestamp.Now` at `at` (unix ms).
async fn block_time_ms(chain: &Chain, at: &AtBlock) -> Result<u64, ChainError> {
    Ok(drand::read_value(chain, at, "Timestamp", "Now", vec![])
        .await?
        .unwrap_or(0))
}

/// Reads what a commit to `target` made now needs and plans it: the epoch it will be keyed
/// by, where its reveal epoch opens, and the drand round to encrypt to (due
/// [`schedule::SECURITY_BLOCK_OFFSET`] blocks into the reveal epoch, with blocks every
/// `block_time`).
pub async fn plan_commit(
    chain: &Chain,
    target: Target,
    block_time: std::time::Duration,
) -> Result<CommitPlan, ChainError> {
    let at = chain.at_best().await?;
    let head_block = at.block_number();
    let (schedule, hyperparams) = read_schedule(chain, &at, target.netuid).await?;
    let beacon = drand::read_beacon(chain, &at).await?;
    let head_time_ms = block_time_ms(chain, &at).await?;
    let last_stored_round = drand::last_stored_round(chain, &at).await?;
    let prediction =
        schedule::predict_reveal_for(target.netuid, &schedule, &hyperparams, head_block)?;
    let reveal_round = schedule::reveal_round(
        &beacon.clock,
        head_block,
        head_time_ms,
        prediction.target_block(),
        millis(block_time),
    )
    .max(last_stored_round);
    Ok(CommitPlan {
        head_block,
        head_time_ms,
        beacon,
        version: hyperparams.commit_reveal_version,
        reveal_period: hyperparams.commit_reveal_period,
        last_stored_round,
        prediction,
        reveal_round,
    })
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `commit_timelocked_mechanism_weights(netuid, mecid, commit, reveal_round, version)` (or
/// `commit_timelocked_weights` on a runtime without mechanisms).
pub async fn timelocked_commit_call(
    chain: &Chain,
    target: Target,
    commit: &[u8],
    reveal_round: u64,
    version: u16,
) -> Result<WeightsCall, ChainError> {
    let name = call_name(
        chain,
        target,
        "commit_timelocked_weights",
        "commit_timelocked_mechanism_weights",
    )
    .await?;
    let mut args = target_args(target, name);
    args.push(Value::from_bytes(commit));
    args.push(Value::u128(u128::from(reveal_round)));
    args.push(Value::u128(u128::from(version)));
    Ok(WeightsCall { name, args })
}

/// Submits [`timelocked_commit_call`] signed by `hotkey`, as it is: the building block of
/// [`commit_timelocked_weights`], and the way to send a chosen round or version.
pub async fn submit_timelocked_commit(
    chain: &Chain,
    hotkey: &Keypair,
    target: Target,
    commit: &[u8],
    reveal_round: u64,
    version: u16,
) -> Result<Included, ChainError> {
    timelocked_commit_call(chain, target, commit, reveal_round, version)
        .await?
        .submit(chain, hotkey)
        .await
}

/// A timelocked commit encrypted and ready to send: what a validator saves before it submits
/// (so that a crash between the two loses nothing: after a restart [`find_commit`] tells
/// whether it landed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedCommit {
    /// Where the weights go.
    pub target: Target,
    /// The committer.
    pub hotkey: [u8; 32],
    /// The ciphertext (`commit_timelocked_weights`' `commit`).
    #[serde(with = "hex_bytes")]
    pub ciphertext: Vec<u8>,
    /// blake2-256 of the ciphertext.
    pub commit_hash: [u8; 32],
    /// The drand round it is encrypted to.
    pub reveal_round: u64,
    /// The commit-reveal version it is sent with.
    pub version: u16,
    /// The head block when it was planned.
    pub planned_at: u64,
    /// The epoch it should be keyed by if it lands in the next block.
    pub predicted_commit_epoch: u64,
}

/// Hex for byte vectors in JSON.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text.trim_start_matches("0x")).map_err(serde::de::Error::custom)
    }
}

/// Plans a commit of `w` by `hotkey` at the best block ([`plan_commit`], blocks every
/// `block_time`) and encrypts it to the chain's beacon.
pub async fn prepare_commit(
    chain: &Chain,
    hotkey: &[u8; 32],
    target: Target,
    w: &WeightsToSet,
    block_time: std::time::Duration,
) -> Result<PreparedCommit, ChainError> {
    let plan = plan_commit(chain, target, block_time).await?;
    let ciphertext = encrypt_weights(&plan.beacon, hotkey, w, plan.reveal_round)?;
    Ok(PreparedCommit {
        target,
        hotkey: *hotkey,
        commit_hash: sp_crypto_hashing::blake2_256(&ciphertext),
        ciphertext,
        reveal_round: plan.reveal_round,
        version: plan.version,
        planned_at: plan.head_block,
        predicted_commit_epoch: plan.prediction.commit_epoch,
    })
}

/// Signs a prepared commit with `hotkey`, not yet sent: what a validator saves before it
/// sends, so that after a crash the very same transaction can be looked up or sent again.
pub async fn sign_prepared(
    chain: &Chain,
    hotkey: &Keypair,
    prepared: &PreparedCommit,
) -> Result<SignedTx, ChainError> {
    timelocked_commit_call(
        chain,
        prepared.target,
        &prepared.ciphertext,
        prepared.reveal_round,
        prepared.version,
    )
    .await?
    .sign(chain, hotkey)
    .await
}

/// Sends a prepared commit signed with [`sign_prepared`] and reads where the chain keyed
/// it. See [`crate::tx::send`] for what each failure means.
pub async fn send_prepared(
    chain: &Chain,
    prepared: &PreparedCommit,
    signed: &SignedTx,
    block_time: std::time::Duration,
) -> Result<TimelockedCommit, ChainError> {
    let included = crate::tx::send(chain, signed).await?;
    find_commit_at(chain, prepared, included.block_number, block_time)
        .await?
        .ok_or_else(|| ChainError::Decode {
            item: format!("{SUBTENSOR}.TimelockedWeightCommits"),
            reason: format!(
                "the commit included in block {} is not queued under epochs {}..={}",
                included.block_number,
                prepared.predicted_commit_epoch,
                prepared.predicted_commit_epoch.saturating_add(2)
            ),
        })
}

/// Sends a prepared commit, signed by `hotkey`, and reads where the chain keyed it.
pub async fn submit_prepared(
    chain: &Chain,
    hotkey: &Keypair,
    prepared: &PreparedCommit,
    block_time: std::time::Duration,
) -> Result<TimelockedCommit, ChainError> {
    let signed = sign_prepared(chain, hotkey, prepared).await?;
    send_prepared(chain, prepared, &signed, block_time).await
}

/// Whether a prepared commit is queued on chain now (after a restart: it was saved before it
/// was sent), and where; `None` when it never landed or has been revealed or dropped since
/// (its reveal epoch has passed).
pub async fn find_commit(
    chain: &Chain,
    prepared: &PreparedCommit,
    block_time: std::time::Duration,
) -> Result<Option<TimelockedCommit>, ChainError> {
    let at = chain.at_best().await?;
    locate(chain, &at, prepared, block_time).await
}

/// The commit `prepared` as the chain queued it at block `number` (the block it landed in,
/// found by [`crate::tx::find_included`]): for a commit the chain may have revealed since.
pub async fn find_commit_at(
    chain: &Chain,
    prepared: &PreparedCommit,
    number: u64,
    block_time: std::time::Duration,
) -> Result<Option<TimelockedCommit>, ChainError> {
    let at = chain.at_number(number).await?;
    locate(chain, &at, prepared, block_time).await
}

/// The queued commit `prepared` at block `at`: found by its ciphertext under the epochs it
/// can be keyed by, with its reveal epoch and where that opens.
async fn locate(
    chain: &Chain,
    at: &AtBlock,
    prepared: &PreparedCommit,
    block_time: std::time::Duration,
) -> Result<Option<TimelockedCommit>, ChainError> {
    let target = prepared.target;
    let idx = KeyPart::U16(target.storage_index());
    let candidates: Vec<u64> = (0..3)
        .map(|k| prepared.predicted_commit_epoch.saturating_add(k))
        .collect();
    let mut b = Batch::new(at);
    let slots = candidates
        .iter()
        .map(|&e| b.add("TimelockedWeightCommits", &[idx.clone(), KeyPart::U64(e)]))
        .collect::<Result<Vec<_>, _>>()?;
    let v = b.fetch(chain).await?;
    let mut found = None;
    for (&epoch, &slot) in candidates.iter().zip(&slots) {
        let queue: Vec<StoredTimelockedCommit> = v.get(slot)?;
        if let Some((_, block, _, _)) = queue
            .iter()
            .find(|(a, _, ct, _)| a.0 == prepared.hotkey && ct == &prepared.ciphertext)
        {
            found = Some((epoch, *block));
            break;
        }
    }
    let Some((commit_epoch, included_at)) = found else {
        return Ok(None);
    };
    let included = chain.at_number(included_at).await?;
    let (schedule, hyperparams) = read_schedule(chain, &included, target.netuid).await?;
    let reveal_epoch = commit_epoch.saturating_add(hyperparams.commit_reveal_period);
    let first_reveal_block = reveal_epoch_start(
        target.netuid,
        &schedule,
        &hyperparams,
        included_at,
        reveal_epoch,
    )?;
    let beacon = drand::read_beacon(chain, &included).await?;
    let included_time_ms = block_time_ms(chain, &included).await?;
    let expected_reveal_block = schedule::pulse_block(
        &beacon.clock,
        included_at,
        included_time_ms,
        prepared.reveal_round,
        millis(block_time),
    )
    .max(first_reveal_block);
    Ok(Some(TimelockedCommit {
        target,
        hotkey: prepared.hotkey,
        included_at,
        commit_epoch,
        reveal_epoch,
        reveal_round: prepared.reveal_round,
        first_reveal_block,
        expected_reveal_block,
        commit_hash: prepared.commit_hash,
    }))
}

/// Commits `w` timelocked (commit-reveal v4): plans the commit at the best block, encrypts
/// the payload to the chain's beacon ([`prepare_commit`]), submits it with the chain's
/// `CommitRevealWeightsVersion`, and reads where the chain keyed it. The chain reveals it by
/// itself; check with [`verify_timelocked`] once the reveal epoch has passed.
pub async fn commit_timelocked_weights(
    chain: &Chain,
    hotkey: &Keypair,
    target: Target,
    w: &WeightsToSet,
    block_time: std::time::Duration,
) -> Result<TimelockedCommit, ChainError> {
    let prepared = prepare_commit(chain, &hotkey.public_key().0, target, w, block_time).await?;
    submit_prepared(chain, hotkey, &prepared, block_time).await
}

/// The first block of `epoch` as the schedule stands after block `block`.
fn reveal_epoch_start(
    netuid: u16,
    schedule: &EpochSchedule,
    hyperparams: &Hyperparams,
    block: u64,
    epoch: u64,
) -> Result<u64, ChainError> {
    if schedule.dynamic_tempo {
        Ok(schedule::epoch_start(
            &ScheduleState::new(schedule, hyperparams),
            block,
            epoch,
        )?)
    } else {
        Ok(schedule::legacy_first_block_of_epoch(
            netuid,
            hyperparams.tempo,
            epoch,
        ))
    }
}

/// The first block in `lo..=hi` for which `test` holds (it must hold for every block after
/// the first one that does), or `None`; about log2(hi − lo) calls.
async fn first_block_where<F, Fut>(lo: u64, hi: u64, mut test: F) -> Result<Option<u64>, ChainError>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Result<bool, ChainError>>,
{
    if lo > hi || !test(hi).await? {
        return Ok(None);
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if test(mid).await? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(Some(lo))
}

/// `SubnetEpochIndex` after block `block` (dynamic-tempo runtimes).
async fn epoch_index_at(chain: &Chain, netuid: u16, block: u64) -> Result<u64, ChainError> {
    let at = chain.at_number(block).await?;
    let mut b = Batch::new(&at);
    let i = b.add("SubnetEpochIndex", &[KeyPart::U16(netuid)])?;
    b.fetch(chain).await?.get(i)
}

/// True when round `round`'s pulse is stored after block `block`.
async fn has_pulse(chain: &Chain, block: u64, round: u64) -> Result<bool, ChainError> {
    let at = chain.at_number(block).await?;
    Ok(drand::pulse_signature(chain, &at, round).await?.is_some())
}

/// Where a reveal epoch lies: its first block, and its last when it has ended by the head.
struct RevealWindow {
    first: u64,
    last: Option<u64>,
}

/// The reveal epoch of `commit` on the chain up to block `head`, `None` while it has not
/// begun.
async fn reveal_window(
    chain: &Chain,
    commit: &TimelockedCommit,
    dynamic_tempo: bool,
    tempo: u16,
    head: u64,
) -> Result<Option<RevealWindow>, ChainError> {
    let netuid = commit.target.netuid;
    let epoch = commit.reveal_epoch;
    if !dynamic_tempo {
        let first = schedule::legacy_first_block_of_epoch(netuid, tempo, epoch);
        if head < first {
            return Ok(None);
        }
        let end = first.saturating_add(u64::from(tempo));
        return Ok(Some(RevealWindow {
            first,
            last: (head >= end).then_some(end),
        }));
    }
    // The epoch's first block is where SubnetEpochIndex reaches it (the reveal runs in that
    // block, before the coinbase increments the counter). The prediction is checked first.
    let lo = commit.included_at;
    let predicted = commit.first_reveal_block;
    let first = if predicted > lo
        && predicted <= head
        && epoch_index_at(chain, netuid, predicted).await? >= epoch
        && epoch_index_at(chain, netuid, predicted - 1).await? < epoch
    {
        Some(predicted)
    } else {
        first_block_where(lo, head, |b| async move {
            Ok::<_, ChainError>(epoch_index_at(chain, netuid, b).await? >= epoch)
        })
        .await?
    };
    let Some(first) = first else {
        return Ok(None);
    };
    let next = first_block_where(first + 1, head, |b| async move {
        Ok::<_, ChainError>(epoch_index_at(chain, netuid, b).await? > epoch)
    })
    .await?;
    Ok(Some(RevealWindow {
        first,
        last: next.map(|n| n - 1),
    }))
}

/// What happened to `commit` (made with the weights `sent`), read at the best block: still
/// pending; revealed by the chain, with the weights it stored in that block compared to
/// `sent` (`Match` or `Mismatch` with the differences); or dropped, with the reason.
///
/// The reveal block is found from the chain's state, not by scanning blocks: the reveal
/// epoch's first block (where `SubnetEpochIndex` reaches it), then the first block of the
/// epoch whose parent holds the round's pulse; its events must include
/// `TimelockedWeightsRevealed(idx, hotkey)`. This reads past blocks' state: a node that
/// prunes state (256 blocks by default) can only verify recent commits.
pub async fn verify_timelocked(
    chain: &Chain,
    commit: &TimelockedCommit,
    sent: &WeightsToSet,
) -> Result<TimelockOutcome, ChainError> {
    let at = chain.at_best().await?;
    let head = at.block_number();
    let (schedule, hyperparams) = read_schedule(chain, &at, commit.target.netuid).await?;
    let last_stored_round = drand::last_stored_round(chain, &at).await?;
    let round = commit.reveal_round;
    let pending = |began: Option<u64>| TimelockOutcome::Pending {
        block: head,
        reveal_epoch: commit.reveal_epoch,
        reveal_epoch_began_at: began,
        reveal_round: round,
        last_stored_round,
    };
    let Some(window) = reveal_window(
        chain,
        commit,
        schedule.dynamic_tempo,
        hyperparams.tempo,
        head,
    )
    .await?
    else {
        return Ok(pending(None));
    };
    let searched_to = window.last.unwrap_or(head);
    // The first block of the window whose parent holds the pulse.
    let reveal_block = if has_pulse(chain, window.first.saturating_sub(1), round).await? {
        Some(window.first)
    } else {
        first_block_where(window.first, searched_to, |b| async move {
            has_pulse(chain, b, round).await
        })
        .await?
        .map(|b| b + 1)
    };
    let reveal_block = match reveal_block {
        Some(b) if window.last.is_none_or(|last| b <= last) => b,
        _ => {
            let Some(last) = window.last else {
                return Ok(pending(Some(window.first)));
            };
            let at_end = chain.at_number(last).await?;
            return Ok(TimelockOutcome::Dropped {
                block: last + 1,
                reason: DropReason::PulseMissing {
                    round,
                    last_stored_round: drand::last_stored_round(chain, &at_end).await?,
                },
            });
        }
    };
    if reveal_block > head {
        return Ok(pending(Some(window.first)));
    }

    let idx = commit.target.storage_index();
    let revealed = chain.at_number(reveal_block).await?;
    let events = crate::client::with_timeout(
        "reading the reveal block's events",
        chain.timeout(),
        revealed.events().fetch(),
    )
    .await?;
    let mut expected_fields = idx.to_le_bytes().to_vec();
    expected_fields.extend_from_slice(&commit.hotkey);
    let was_revealed = events.iter().filter_map(Result::ok).any(|e| {
        e.pallet_name() == SUBTENSOR
            && e.event_name() == "TimelockedWeightsRevealed"
            && e.field_bytes() == expected_fields.as_slice()
    });
    if !was_revealed {
        let reason = diagnose(chain, commit, reveal_block.saturating_sub(1)).await?;
        return Ok(TimelockOutcome::Dropped {
            block: reveal_block,
            reason,
        });
    }
    let mut b = Batch::new(&revealed);
    let uid_i = b.add(
        "Uids",
        &[
            KeyPart::U16(commit.target.netuid),
            KeyPart::Account(commit.hotkey),
        ],
    )?;
    let v = b.fetch(chain).await?;
    let uid: u16 = v.get_opt(uid_i)?.ok_or(TxError::NotRegistered)?;
    let mut b = Batch::new(&revealed);
    let row_i = b.add("Weights", &[KeyPart::U16(idx), KeyPart::U16(uid)])?;
    let found: Vec<(u16, u16)> = b.fetch(chain).await?.get(row_i)?;
    Ok(TimelockOutcome::Revealed {
        revealed_at: reveal_block,
        verification: compare_rows(uid, reveal_block, sent.expected_row(), found),
    })
}

/// Why the chain did not apply `commit` in the block after `before` (whose state it read).
async fn diagnose(
    chain: &Chain,
    commit: &TimelockedCommit,
    before: u64,
) -> Result<DropReason, ChainError> {
    let at = chain.at_number(before).await?;
    let mut b = Batch::new(&at);
    let queue_i = b.add(
        "TimelockedWeightCommits",
        &[
            KeyPart::U16(commit.target.storage_index()),
            KeyPart::U64(commit.commit_epoch),
        ],
    )?;
    let version_i = b.add("WeightsVersionKey", &[KeyPart::U16(commit.target.netuid)])?;
    let v = b.fetch(chain).await?;
    let queue: Vec<StoredTimelockedCommit> = v.get(queue_i)?;
    let required: u64 = v.get(version_i)?;
    let Some((_, _, ciphertext, _)) = queue
        .into_iter()
        .find(|(who, block, _, _)| who.0 == commit.hotkey && *block == commit.included_at)
    else {
        return Ok(DropReason::CommitMissing);
    };
    let Some(signature) = drand::pulse_signature(chain, &at, commit.reveal_round).await? else {
        return Ok(DropReason::PulseMissing {
            round: commit.reveal_round,
            last_stored_round: drand::last_stored_round(chain, &at).await?,
        });
    };
    let Ok(plain) = drand::decrypt(&ciphertext, &signature) else {
        return Ok(DropReason::Undecryptable {
            round: commit.reveal_round,
        });
    };
    let payload = match WeightsTlockPayload::decode(&mut plain.as_slice()) {
        Ok(p) if p.hotkey == commit.hotkey => p,
        _ => return Ok(DropReason::BadPayload),
    };
    if required != 0 && payload.version_key < required {
        return Ok(DropReason::VersionKeyTooLow {
            sent: payload.version_key,
            required,
        });
    }
    Ok(DropReason::Refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::schedule::BeaconClock;

    #[test]
    fn the_payload_encodes_like_the_chains() {
        // SCALE: Vec<u8> hotkey, Vec<u16> uids, Vec<u16> values, u64 version key.
        let w = WeightsToSet {
            uids: vec![1, 2],
            values: vec![65535, 7],
            version_key: 9,
        };
        let encoded = WeightsTlockPayload::new(&[3; 32], &w).encode();
        let mut manual = vec![128u8];
        manual.extend_from_slice(&[3; 32]);
        manual.extend_from_slice(&[8, 1, 0, 2, 0]);
        manual.extend_from_slice(&[8, 255, 255, 7, 0]);
        manual.extend_from_slice(&9u64.to_le_bytes());
        assert_eq!(encoded, manual);
        assert_eq!(
            WeightsTlockPayload::decode(&mut manual.as_slice()).unwrap(),
            WeightsTlockPayload::new(&[3; 32], &w)
        );
    }

    #[test]
    fn weights_encrypted_to_a_beacon_open_with_its_round_signature() {
        let secret = drand::BeaconSecret::from_seed(b"unit");
        let beacon = Beacon {
            public_key: secret.public_key(),
            clock: BeaconClock {
                genesis_time: 1,
                period: 3,
            },
        };
        let w = WeightsToSet {
            uids: vec![0],
            values: vec![1],
            version_key: 0,
        };
        let ct = encrypt_weights(&beacon, &[5; 32], &w, 77).unwrap();
        let plain = drand::decrypt(&ct, &secret.sign_round(77)).unwrap();
        assert_eq!(
            WeightsTlockPayload::decode(&mut plain.as_slice()).unwrap(),
            WeightsTlockPayload::new(&[5; 32], &w)
        );
    }

    #[test]
    fn outcomes_have_labels() {
        let m = TimelockOutcome::Revealed {
            revealed_at: 5,
            verification: Verification::Match { uid: 1, block: 5 },
        };
        assert_eq!((m.label(), m.is_match()), ("match", true));
        let d = TimelockOutcome::Dropped {
            block: 3,
            reason: DropReason::Refused,
        };
        assert_eq!(d.label(), "dropped");
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["outcome"], "dropped");
        assert_eq!(json["reason"]["kind"], "refused");
        assert!(DropReason::PulseMissing {
            round: 9,
            last_stored_round: 8
        }
        .to_string()
        .contains("round 9"));
    }
}
