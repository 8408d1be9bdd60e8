//! The subnet's epoch schedule as the chain keeps it: which commit-reveal epoch a block is
//! in, when the chain reveals a timelocked (commit-reveal v4) commit, which drand round that
//! commit should be encrypted to, and how many blocks of inactivity make a validator inactive.
//!
//! Two generations of rules: runtimes with dynamic tempo (spec ≥ 423) count epochs in
//! `SubnetEpochIndex` and fire them at `LastEpochBlock + tempo` (or at an owner-triggered or
//! deferred `PendingEpochAt`); before them (spec 385) an epoch was a window of `tempo + 1`
//! blocks shifted by the netuid. Within dynamic tempo the safety net changed at spec 475: an
//! epoch fires regardless once `BlocksSinceLastStep` exceeds `MAX_TEMPO` (425), or `tempo`
//! with the counter capped at `tempo + 1` (475, `drain_pending` at coldint/subtensor@02214123).
//!
//! How the chain reveals (subtensor `coinbase/reveal_commits.rs`): in every block, before the
//! coinbase, it takes the commits keyed `current_epoch − RevealPeriodEpochs` and decrypts each
//! with `Drand::Pulses[reveal_round]`; a commit whose pulse is missing stays queued until the
//! reveal epoch ends, then it is dropped. So a commit lands in the first block of its reveal
//! epoch whose state holds the pulse. [`predict_reveal`] finds that epoch's first block;
//! [`reveal_round`] picks the round whose pulse is due [`SECURITY_BLOCK_OFFSET`] blocks later
//! (the Python SDK's rule), so nobody can decrypt the weights before the reveal epoch.

use serde::{Deserialize, Serialize};

use crate::metagraph::{EpochSchedule, Hyperparams};

/// `MAX_TEMPO` (subtensor `lib.rs`): after this many blocks without a successful epoch a
/// subnet's epoch fires regardless of its tempo.
pub const MAX_TEMPO: u64 = 50_400;

/// Blocks between the first block of the reveal epoch and the block whose time the drand
/// round is chosen for (bittensor-drand's `SECURITY_BLOCK_OFFSET`): the pulse reaches the chain
/// inside the reveal epoch, never before it.
pub const SECURITY_BLOCK_OFFSET: u64 = 3;

/// Why a reveal cannot be predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The subnet's tempo is 0: it runs no epochs, so nothing is ever revealed.
    #[error("the subnet's tempo is 0: it runs no epochs and would never reveal a commit")]
    TempoIsZero,
    /// The epoch was not reached within the simulation's bound (`MAX_TEMPO` blocks per
    /// epoch to go, plus one `MAX_TEMPO`).
    #[error("the reveal epoch is not reached within {blocks} blocks of the commit")]
    BoundExceeded {
        /// The blocks simulated.
        blocks: u64,
    },
}

/// The part of a subnet's state that decides when its next epochs fire (dynamic tempo), after
/// some block's coinbase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScheduleState {
    /// `LastEpochBlock`.
    pub last_epoch_block: u64,
    /// `PendingEpochAt` (0 = none).
    pub pending_epoch_at: u64,
    /// `SubnetEpochIndex`.
    pub epoch_index: u64,
    /// `Tempo`.
    pub tempo: u16,
    /// `BlocksSinceLastStep`.
    pub blocks_since_last_step: u64,
    /// Spec 475's safety net: `BlocksSinceLastStep` is capped at `tempo + 1`, and an epoch
    /// fires regardless once it exceeds `tempo` (before: once it exceeds [`MAX_TEMPO`]).
    #[serde(default)]
    pub tempo_safety_net: bool,
}

impl ScheduleState {
    /// The state a metagraph sync read (its `schedule` and `hyperparams`).
    pub fn new(schedule: &EpochSchedule, hyperparams: &Hyperparams) -> Self {
        Self {
            last_epoch_block: schedule.last_epoch_block,
            pending_epoch_at: schedule.pending_epoch_at,
            epoch_index: schedule.epoch_index,
            tempo: hyperparams.tempo,
            blocks_since_last_step: schedule.blocks_since_last_step,
            tempo_safety_net: schedule.tempo_safety_net,
        }
    }

    /// `BlocksSinceLastStep` above which an epoch fires regardless: `tempo` (spec 475) or
    /// [`MAX_TEMPO`].
    fn safety_net(&self) -> u64 {
        if self.tempo_safety_net {
            u64::from(self.tempo)
        } else {
            MAX_TEMPO
        }
    }

    /// True when the subnet's epoch fires in `block` (subtensor `should_run_epoch`): never at
    /// tempo 0; at or after a pending (owner-triggered or deferred) epoch; when
    /// `BlocksSinceLastStep` (as counted in this block) is above the safety net; else once
    /// `tempo` blocks have passed since the last.
    pub fn should_run_epoch(&self, block: u64) -> bool {
        if self.tempo == 0 {
            return false;
        }
        if self.pending_epoch_at > 0 && block >= self.pending_epoch_at {
            return true;
        }
        if self.blocks_since_last_step > self.safety_net() {
            return true;
        }
        block.saturating_sub(self.last_epoch_block) >= u64::from(self.tempo)
    }

    /// The epoch a commit or reveal in `block` belongs to, given this state after the block
    /// before (subtensor `current_epoch_with_lookahead`): `SubnetEpochIndex`, plus one when
    /// the epoch fires in `block` (the reveal runs before the coinbase increments it).
    pub fn epoch_with_lookahead(&self, block: u64) -> u64 {
        self.epoch_index
            .saturating_add(u64::from(self.should_run_epoch(block)))
    }

    /// This state after `block`'s coinbase (subtensor `drain_pending`, one subnet): the
    /// blocks-since counter moves, and a due epoch fires. (Deferral by `MaxEpochsPerBlock`,
    /// when other subnets fire in the same block, delays an epoch by a block: see
    /// [`ScheduleState::after_block_where`].)
    pub fn after_block(&self, block: u64) -> Self {
        self.after_block_where(block, DueEpoch::Runs)
    }

    /// [`ScheduleState::after_block`], where an epoch due in `block` meets `due`.
    pub fn after_block_where(&self, block: u64, due: DueEpoch) -> Self {
        let mut next = *self;
        next.blocks_since_last_step = next.blocks_since_last_step.saturating_add(1);
        if next.tempo_safety_net {
            // Spec 475: the counter stops at tempo + 1.
            next.blocks_since_last_step = next
                .blocks_since_last_step
                .min(u64::from(next.tempo).saturating_add(1));
        }
        if next.should_run_epoch(block) {
            if due == DueEpoch::Deferred {
                next.pending_epoch_at = block.saturating_add(1);
                return next;
            }
            if due == DueEpoch::Runs {
                next.blocks_since_last_step = 0;
            }
            // The slot is consumed, run or skipped.
            next.last_epoch_block = block;
            next.pending_epoch_at = 0;
            next.epoch_index = next.epoch_index.saturating_add(1);
        }
        next
    }
}

/// What becomes of an epoch due in a block (subtensor `drain_pending`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueEpoch {
    /// It runs: the counter is reset and the slot consumed.
    Runs,
    /// `MaxEpochsPerBlock` epochs already ran in the block (spec 475: one, when a Null subnet is
    /// due): `PendingEpochAt` moves to the next block, nothing else.
    Deferred,
    /// The subnet's epoch input is inconsistent (`EpochSkipped`): the slot is consumed
    /// (`LastEpochBlock`, `PendingEpochAt`, `SubnetEpochIndex`) but the counter is not reset.
    Skipped,
}

/// When the chain will reveal a commit made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealPrediction {
    /// The block the commit is assumed to land in (the head + 1).
    pub inclusion_block: u64,
    /// The epoch the chain keys the commit by.
    pub commit_epoch: u64,
    /// `commit_epoch + RevealPeriodEpochs`: the only epoch in which it is revealed.
    pub reveal_epoch: u64,
    /// The first block of the reveal epoch: the chain reveals here if the pulse is on chain.
    pub first_reveal_block: u64,
}

impl RevealPrediction {
    /// The block whose time the drand round is chosen for:
    /// `first_reveal_block + SECURITY_BLOCK_OFFSET`.
    pub fn target_block(&self) -> u64 {
        self.first_reveal_block
            .saturating_add(SECURITY_BLOCK_OFFSET)
    }
}

/// Predicts the reveal of a commit submitted at head block `head_block` on a dynamic-tempo
/// runtime, from the state after the head (bittensor-drand 2.0 `predict_first_reveal_block`):
/// the commit lands at `head_block + 1` and is keyed by the epoch with look-ahead there; the
/// chain reveals from the first block whose epoch with look-ahead is `commit_epoch +
/// reveal_period` ([`epoch_start`]).
///
/// What it cannot see: a `set_tempo` after the head (it restarts the cycle at its block),
/// an owner's `trigger_epoch` after the head, and deferral. [`epoch_start`] from the new state
/// tells where the reveal epoch moved.
pub fn predict_reveal(
    head: &ScheduleState,
    head_block: u64,
    reveal_period: u64,
) -> Result<RevealPrediction, ScheduleError> {
    if head.tempo == 0 {
        return Err(ScheduleError::TempoIsZero);
    }
    let inclusion_block = head_block.saturating_add(1);
    let commit_epoch = head.epoch_with_lookahead(inclusion_block);
    let reveal_epoch = commit_epoch.saturating_add(reveal_period);
    Ok(RevealPrediction {
        inclusion_block,
        commit_epoch,
        reveal_epoch,
        first_reveal_block: epoch_start(head, head_block, reveal_epoch)?,
    })
}

/// The first block after `head_block` whose epoch with look-ahead is at least `epoch` (where
/// the chain reveals commits keyed `epoch − RevealPeriodEpochs`), found by stepping the
/// schedule block by block from the state after the head; `head_block + 1` if that epoch has
/// begun. At most `(epoch − SubnetEpochIndex) × MAX_TEMPO + MAX_TEMPO` blocks are stepped.
pub fn epoch_start(
    head: &ScheduleState,
    head_block: u64,
    epoch: u64,
) -> Result<u64, ScheduleError> {
    if head.tempo == 0 {
        return Err(ScheduleError::TempoIsZero);
    }
    let bound = epoch
        .saturating_sub(head.epoch_index)
        .saturating_mul(MAX_TEMPO)
        .saturating_add(MAX_TEMPO);
    let first = head_block.saturating_add(1);
    let last = first.saturating_add(bound);
    let mut state = *head;
    let mut block = first;
    while block < last {
        if state.epoch_with_lookahead(block) >= epoch {
            return Ok(block);
        }
        state = state.after_block(block);
        block += 1;
    }
    Err(ScheduleError::BoundExceeded { blocks: bound })
}

/// The commit-reveal epoch of `block` on a runtime without dynamic tempo (spec < 423):
/// `(block + netuid + 1) / (tempo + 1)` (subtensor `get_epoch_index`). Never use it on a
/// dynamic-tempo runtime: `set_tempo`, owner-triggered and deferred epochs move the epochs.
pub fn legacy_epoch_index(netuid: u16, tempo: u16, block: u64) -> u64 {
    let tempo_plus_one = u64::from(tempo).saturating_add(1);
    block
        .saturating_add(u64::from(netuid).saturating_add(1))
        .checked_div(tempo_plus_one)
        .unwrap_or(0)
}

/// True when the epoch fires in `block` on a runtime without dynamic tempo (spec 385
/// `blocks_until_next_epoch == 0`): `(block + netuid + 1) mod (tempo + 1) == tempo`, the
/// last block of an epoch window; never at tempo 0.
pub fn legacy_should_run_epoch(netuid: u16, tempo: u16, block: u64) -> bool {
    if tempo == 0 {
        return false;
    }
    let tempo_plus_one = u64::from(tempo).saturating_add(1);
    let adjusted = block.wrapping_add(u64::from(netuid).saturating_add(1));
    adjusted % tempo_plus_one == u64::from(tempo)
}

/// The first block of epoch `epoch` on a runtime without dynamic tempo:
/// `epoch × (tempo + 1) − (netuid + 1)` (spec 385 `get_reveal_blocks`).
pub fn legacy_first_block_of_epoch(netuid: u16, tempo: u16, epoch: u64) -> u64 {
    epoch
        .saturating_mul(u64::from(tempo).saturating_add(1))
        .saturating_sub(u64::from(netuid).saturating_add(1))
}

/// Predicts the reveal of a commit submitted at head block `head_block` on a runtime without
/// dynamic tempo (spec 385): the commit lands at `c = head_block + 1` and is keyed
/// `epoch(c)`, plus one when the epoch fires in `c` (`internal_commit_timelocked_weights`);
/// the chain reveals commits keyed `epoch(b) − reveal_period` in block `b` (no look-ahead
/// there), so the window opens at the first block of epoch `commit_epoch + reveal_period`.
/// `netuid` is the subnet's, never a mechanism's storage index (the chain's epoch is per
/// subnet).
pub fn legacy_predict_reveal(
    netuid: u16,
    tempo: u16,
    head_block: u64,
    reveal_period: u64,
) -> Result<RevealPrediction, ScheduleError> {
    if tempo == 0 {
        return Err(ScheduleError::TempoIsZero);
    }
    let inclusion_block = head_block.saturating_add(1);
    let commit_epoch = legacy_epoch_index(netuid, tempo, inclusion_block).saturating_add(
        u64::from(legacy_should_run_epoch(netuid, tempo, inclusion_block)),
    );
    let reveal_epoch = commit_epoch.saturating_add(reveal_period);
    Ok(RevealPrediction {
        inclusion_block,
        commit_epoch,
        reveal_epoch,
        first_reveal_block: legacy_first_block_of_epoch(netuid, tempo, reveal_epoch),
    })
}

/// Predicts the reveal of a commit to subnet `netuid` submitted at `head_block`, with the
/// rule of the runtime the schedule was read from (dynamic tempo or not).
pub fn predict_reveal_for(
    netuid: u16,
    schedule: &EpochSchedule,
    hyperparams: &Hyperparams,
    head_block: u64,
) -> Result<RevealPrediction, ScheduleError> {
    if schedule.dynamic_tempo {
        predict_reveal(
            &ScheduleState::new(schedule, hyperparams),
            head_block,
            hyperparams.commit_reveal_period,
        )
    } else {
        legacy_predict_reveal(
            netuid,
            hyperparams.tempo,
            head_block,
            hyperparams.commit_reveal_period,
        )
    }
}

/// A drand beacon's clock: round `r` is due at `genesis_time + (r − 1) × period`, round 1 at
/// genesis (`Drand::BeaconConfig.genesis_time` and `.period`; quicknet: 1692803367, 3 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconClock {
    /// Unix seconds of round 1.
    pub genesis_time: u64,
    /// Seconds between rounds (at least 1 is assumed).
    pub period: u64,
}

impl BeaconClock {
    /// The round the SDK assigns to unix time `unix_ms`:
    /// `floor((t − genesis) / period)`, at least 1 (bittensor-drand `generate_commit`). It
    /// rounds down: that round's pulse is due at least one period before `t`.
    pub fn round_at(&self, unix_ms: u64) -> u64 {
        let since_genesis = unix_ms.saturating_sub(self.genesis_time.saturating_mul(1000));
        (since_genesis / self.period.max(1).saturating_mul(1000)).max(1)
    }

    /// Unix seconds at which round `round` is due: `genesis + (round − 1) × period`.
    pub fn round_time(&self, round: u64) -> u64 {
        self.genesis_time
            .saturating_add(round.saturating_sub(1).saturating_mul(self.period.max(1)))
    }

    /// The newest round due at unix time `unix_ms` (0 before genesis):
    /// `floor((t − genesis) / period) + 1`.
    pub fn latest_round(&self, unix_ms: u64) -> u64 {
        let genesis_ms = self.genesis_time.saturating_mul(1000);
        if unix_ms < genesis_ms {
            return 0;
        }
        ((unix_ms - genesis_ms) / self.period.max(1).saturating_mul(1000)).saturating_add(1)
    }
}

/// The first block whose parent is stamped at or after round `round`'s time, with block
/// `ref_block` stamped `ref_ms` (unix ms) and blocks every `block_time_ms`: where a commit to
/// that round is revealed when its pulse lands on chain one block after it is due (the local
/// test beacon does exactly that; on a live chain the offchain worker adds a block or so). Never
/// before `ref_block + 1`.
pub fn pulse_block(
    beacon: &BeaconClock,
    ref_block: u64,
    ref_ms: u64,
    round: u64,
    block_time_ms: u64,
) -> u64 {
    let due_ms = beacon.round_time(round).saturating_mul(1000);
    let wait = due_ms.saturating_sub(ref_ms);
    let blocks = wait.div_ceil(block_time_ms.max(1));
    ref_block.saturating_add(blocks).saturating_add(1)
}

/// The drand round a commit made at `head_block` (whose time is `now_ms`, unix ms) should be
/// encrypted to, so that its pulse is due at block `target_block` with blocks every
/// `block_time_ms`: `round_at(now + (target − head) × block_time)` (bittensor-drand's rule).
pub fn reveal_round(
    beacon: &BeaconClock,
    head_block: u64,
    now_ms: u64,
    target_block: u64,
    block_time_ms: u64,
) -> u64 {
    let ahead = target_block
        .saturating_sub(head_block)
        .saturating_mul(block_time_ms);
    beacon.round_at(now_ms.saturating_add(ahead))
}

/// The epoch's activity cutoff in blocks on a dynamic-tempo runtime:
/// `ActivityCutoffFactorMilli × tempo / 1000`, at least 1 (subtensor
/// `get_activity_cutoff_blocks`).
pub fn activity_cutoff_blocks(factor_milli: u64, tempo: u16) -> u64 {
    factor_milli
        .saturating_mul(u64::from(tempo))
        .checked_div(1000)
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn state(last: u64, pending: u64, idx: u64, tempo: u16, since: u64) -> ScheduleState {
        ScheduleState {
            last_epoch_block: last,
            pending_epoch_at: pending,
            epoch_index: idx,
            tempo,
            blocks_since_last_step: since,
            tempo_safety_net: false,
        }
    }

    fn state_475(last: u64, pending: u64, tempo: u16, since: u64) -> ScheduleState {
        ScheduleState {
            tempo_safety_net: true,
            ..state(last, pending, 0, tempo, since)
        }
    }

    // The schedule tests of spec 475 (coldint/subtensor@1822efea
    // pallets/subtensor/src/tests/coinbase.rs, identical to RaoFoundation/subtensor@4118ecc3
    // pallets/subtensor/src/tests/coinbase/drain_pending_epoch.rs), ported: `drain_pending(&[netuid],
    // block)` is `after_block_where(block, …)` of the subnet's state, `should_run_epoch` the same.

    /// `test_coinbase_drain_pending_increments_blockssincelaststep`: a dynamic network (tempo
    /// 360 in the mock, registered at block 1), drained at block 1: the counter goes up by one.
    #[test]
    fn runtime_475_drain_pending_increments_blockssincelaststep() {
        let before = state_475(1, 0, 360, 0);
        let after = before.after_block(1);
        assert!(after.blocks_since_last_step > before.blocks_since_last_step);
        assert_eq!(
            after.blocks_since_last_step,
            before.blocks_since_last_step + 1
        );
    }

    /// `test_coinbase_drain_pending_caps_blockssincelaststep_when_epoch_is_deferred`: tempo 1,
    /// `PendingEpochAt = 1`, `MaxEpochsPerBlock = 0` (every due epoch deferred), blocks 1..=10:
    /// the counter stops at tempo + 1 and the epoch is still due at block 11.
    #[test]
    fn runtime_475_caps_blockssincelaststep_when_epoch_is_deferred() {
        let mut s = state_475(0, 1, 1, 0);
        for block in 1..=10 {
            s = s.after_block_where(block, DueEpoch::Deferred);
        }
        assert_eq!(s.blocks_since_last_step, 1 + 1);
        assert!(s.should_run_epoch(11));
    }

    /// `test_coinbase_drain_pending_caps_blockssincelaststep_for_inconsistent_epoch`: tempo 1,
    /// `PendingEpochAt = 1`, an inconsistent subnet (every due epoch skipped), blocks 1..=10:
    /// the counter stops at tempo + 1 and the epoch is still due at block 11.
    #[test]
    fn runtime_475_caps_blockssincelaststep_for_inconsistent_epoch() {
        let mut s = state_475(0, 1, 1, 0);
        for block in 1..=10 {
            s = s.after_block_where(block, DueEpoch::Skipped);
        }
        assert_eq!(s.blocks_since_last_step, 1 + 1);
        assert!(s.should_run_epoch(11));
    }

    /// `test_should_run_epoch_uses_subnet_tempo_for_step_age_safety_net`: tempo 1,
    /// `LastEpochBlock = 100`, `BlocksSinceLastStep = tempo + 1`: due at block 2 (block − last
    /// saturates to 0, but the counter is above tempo). Spec 425's net (`> MAX_TEMPO`) is not.
    #[test]
    fn runtime_475_safety_net_uses_the_subnet_tempo() {
        assert!(state_475(100, 0, 1, 1 + 1).should_run_epoch(2));
        assert!(!state(100, 0, 0, 1, 1 + 1).should_run_epoch(2));
    }

    /// `test_coinbase_drain_pending_resets_blockssincelaststep`: tempo 100, `LastEpochBlock =
    /// 0`, block 102, `BlocksSinceLastStep = 12345678`: the epoch runs and the counter is 0.
    #[test]
    fn runtime_475_drain_pending_resets_blockssincelaststep() {
        let s = state_475(0, 0, 100, 12_345_678);
        assert!(s.should_run_epoch(102));
        assert_eq!(s.after_block(102).blocks_since_last_step, 0);
    }

    fn first_reveal(s: ScheduleState, head: u64, rp: u64) -> u64 {
        predict_reveal(&s, head, rp).unwrap().first_reveal_block
    }

    #[test]
    fn bittensor_drand_vectors() {
        // Auto fire: last 10, tempo 50 → epochs at 60, 110; committed at 11 in epoch 0,
        // revealed in epoch 1, which starts at 60.
        let p = predict_reveal(&state(10, 0, 0, 50, 0), 10, 1).unwrap();
        assert_eq!(
            p,
            RevealPrediction {
                inclusion_block: 11,
                commit_epoch: 0,
                reveal_epoch: 1,
                first_reveal_block: 60
            }
        );
        assert_eq!(p.target_block(), 63);
        // A pending epoch at 95 fires before the automatic one at 100.
        assert_eq!(first_reveal(state(80, 95, 0, 20, 0), 91, 1), 95);
    }

    #[test]
    fn a_commit_in_a_fire_block_belongs_to_the_next_epoch() {
        // Epoch fires at 60 (= last 10 + 50); a commit landing in 60 is keyed epoch 1,
        // revealed in epoch 2 at 110.
        let p = predict_reveal(&state(10, 0, 0, 50, 0), 59, 1).unwrap();
        assert_eq!((p.inclusion_block, p.commit_epoch), (60, 1));
        assert_eq!(p.first_reveal_block, 110);
        // One block earlier it is epoch 0, revealed at 60.
        assert_eq!(first_reveal(state(10, 0, 0, 50, 0), 58, 1), 60);
    }

    #[test]
    fn longer_reveal_periods_count_epochs() {
        // Epochs at 60, 110, 160.
        assert_eq!(first_reveal(state(10, 0, 0, 50, 0), 20, 3), 160);
        let p = predict_reveal(&state(10, 0, 7, 50, 0), 20, 3).unwrap();
        assert_eq!((p.commit_epoch, p.reveal_epoch), (7, 10));
    }

    #[test]
    fn an_owner_triggered_epoch_pulls_the_reveal_forward() {
        // Without a trigger the reveal epoch opens at 110; PendingEpochAt = 30 fires at 30,
        // and the next automatic epoch is 30 + 100.
        assert_eq!(first_reveal(state(10, 0, 4, 100, 0), 20, 1), 110);
        let p = predict_reveal(&state(10, 30, 4, 100, 0), 20, 1).unwrap();
        assert_eq!((p.commit_epoch, p.first_reveal_block), (4, 30));
        assert_eq!(first_reveal(state(10, 30, 4, 100, 0), 20, 2), 130);
        // A pending epoch in the inclusion block itself keys the commit by the next epoch.
        let p = predict_reveal(&state(10, 21, 4, 100, 0), 20, 1).unwrap();
        assert_eq!((p.commit_epoch, p.first_reveal_block), (5, 121));
    }

    #[test]
    fn a_set_tempo_between_commit_and_reveal_moves_the_reveal_epoch() {
        // Committed at 21 under tempo 50 (last epoch 10): predicted reveal at 60.
        let before = state(10, 0, 0, 50, 10);
        assert_eq!(first_reveal(before, 20, 1), 60);
        // At block 30 the owner sets tempo 100: the chain stores Tempo = 100 and restarts
        // the cycle (LastEpochBlock = 30). Re-predicting from the state after block 30 (the
        // commit is already keyed epoch 0, so reveal_period 1 still means epoch 1): 130.
        let after = ScheduleState {
            tempo: 100,
            last_epoch_block: 30,
            ..before
        };
        assert_eq!(epoch_start(&after, 30, 1), Ok(130));
        // Down to tempo 5 at 30: epoch 1 opens at 35.
        let shorter = ScheduleState {
            tempo: 5,
            last_epoch_block: 30,
            ..before
        };
        assert_eq!(epoch_start(&shorter, 30, 1), Ok(35));
        // An epoch that has begun starts at the next block.
        assert_eq!(epoch_start(&shorter, 40, 1), Ok(41));
    }

    #[test]
    fn the_safety_net_fires_after_max_tempo_blocks_without_an_epoch() {
        // Tempo 60000 would wait, but 50 401 blocks since the last step fire at once.
        let s = state(0, 0, 2, 60_000, MAX_TEMPO);
        assert!(!s.should_run_epoch(10));
        let p = predict_reveal(&s, 10, 1).unwrap();
        // Block 11's look-ahead still reads 50 400 (not above MAX_TEMPO), so the commit is
        // keyed 2; the coinbase of 11 counts 50 401 and fires epoch 3 there, so 12 is the
        // first block whose look-ahead says 3.
        assert_eq!((p.commit_epoch, p.first_reveal_block), (2, 12));
    }

    #[test]
    fn tempo_zero_and_the_bound_are_errors() {
        assert_eq!(
            predict_reveal(&state(0, 0, 0, 0, 0), 5, 1),
            Err(ScheduleError::TempoIsZero)
        );
        assert_eq!(
            legacy_predict_reveal(1, 0, 5, 1),
            Err(ScheduleError::TempoIsZero)
        );
        // Tempo 65535 > MAX_TEMPO: the safety net fires after MAX_TEMPO blocks, so even
        // 100 epochs are reached inside the bound.
        let p = predict_reveal(&state(0, 0, 0, u16::MAX, 0), 0, 100).unwrap();
        assert_eq!(p.reveal_epoch, 100);
        assert!(p.first_reveal_block <= 1 + 101 * MAX_TEMPO);
        assert!(ScheduleError::BoundExceeded { blocks: 7 }
            .to_string()
            .contains("7 blocks"));
    }

    #[test]
    fn legacy_epochs_are_windows_of_tempo_plus_one_shifted_by_the_netuid() {
        // netuid 2, tempo 10: blocks 8..=18 are epoch 1 (8 + 3 = 11).
        assert_eq!(legacy_epoch_index(2, 10, 7), 0);
        assert_eq!(legacy_epoch_index(2, 10, 8), 1);
        assert_eq!(legacy_epoch_index(2, 10, 18), 1);
        assert_eq!(legacy_epoch_index(2, 10, 19), 2);
        assert_eq!(legacy_epoch_index(0, u16::MAX, u64::MAX), u64::MAX / 65536);
        // The epoch fires in the window's last block (spec 385 blocks_until_next_epoch = 0).
        assert!(legacy_should_run_epoch(2, 10, 18));
        assert!(!legacy_should_run_epoch(2, 10, 17));
        assert!(!legacy_should_run_epoch(2, 10, 19));
        assert!(!legacy_should_run_epoch(2, 0, 18));
        assert_eq!(legacy_first_block_of_epoch(2, 10, 1), 8);
        assert_eq!(legacy_first_block_of_epoch(2, 10, 2), 19);
    }

    #[test]
    fn legacy_reveal_opens_at_the_first_block_of_the_reveal_epoch() {
        // netuid 2, tempo 10: epoch 1 = 8..=18, epoch 2 = 19..=29, epoch 3 = 30..=40.
        // Head 9: the commit lands at 10 in epoch 1, revealed from 19 on.
        let p = legacy_predict_reveal(2, 10, 9, 1).unwrap();
        assert_eq!(
            (p.inclusion_block, p.commit_epoch, p.first_reveal_block),
            (10, 1, 19)
        );
        // Head 17: it lands in the fire block 18, keyed epoch 2, revealed from 30 on.
        let p = legacy_predict_reveal(2, 10, 17, 1).unwrap();
        assert_eq!((p.commit_epoch, p.first_reveal_block), (2, 30));
        // Reveal period 2 from head 9: epoch 3 opens at 30.
        assert_eq!(
            legacy_predict_reveal(2, 10, 9, 2)
                .unwrap()
                .first_reveal_block,
            30
        );
    }

    #[test]
    fn the_rule_follows_the_runtime() {
        let hyper = Hyperparams {
            tempo: 10,
            commit_reveal_period: 1,
            ..Hyperparams::default()
        };
        let legacy = EpochSchedule::default();
        assert_eq!(
            predict_reveal_for(2, &legacy, &hyper, 9)
                .unwrap()
                .first_reveal_block,
            19
        );
        let dynamic = EpochSchedule {
            dynamic_tempo: true,
            last_epoch_block: 5,
            epoch_index: 3,
            ..EpochSchedule::default()
        };
        let p = predict_reveal_for(2, &dynamic, &hyper, 9).unwrap();
        assert_eq!((p.commit_epoch, p.first_reveal_block), (3, 15));
    }

    #[test]
    fn rounds_follow_the_beacon_clock() {
        let quicknet = BeaconClock {
            genesis_time: 1_692_803_367,
            period: 3,
        };
        // Before or at genesis: round 1.
        assert_eq!(quicknet.round_at(0), 1);
        assert_eq!(quicknet.round_at(1_692_803_367_000), 1);
        // 3000 s after genesis: round 1000 (floor), and its time is 2997 s after genesis.
        assert_eq!(quicknet.round_at(1_692_806_367_000), 1000);
        assert_eq!(quicknet.round_at(1_692_806_369_999), 1000);
        assert_eq!(quicknet.round_time(1000), 1_692_803_367 + 2997);
        assert_eq!(quicknet.round_time(1), 1_692_803_367);
        // Head 100 at t, target 163 with 12 s blocks: t + 756 s.
        let t = 1_692_806_367_000;
        assert_eq!(reveal_round(&quicknet, 100, t, 163, 12_000), 1000 + 252);
        // A target before the head adds nothing.
        assert_eq!(reveal_round(&quicknet, 100, t, 90, 12_000), 1000);
        // A period of 0 is read as 1 s, not a division by zero.
        let odd = BeaconClock {
            genesis_time: 10,
            period: 0,
        };
        assert_eq!(odd.round_at(15_000), 5);
        // The newest round due: round 1 at genesis, 1000 from 2997 s on, none before.
        assert_eq!(quicknet.latest_round(1_692_803_366_999), 0);
        assert_eq!(quicknet.latest_round(1_692_803_367_000), 1);
        assert_eq!(quicknet.latest_round(1_692_806_364_000), 1000);
        assert_eq!(quicknet.latest_round(1_692_806_363_999), 999);
    }

    #[test]
    fn a_round_chosen_for_a_target_block_lands_the_block_after_it() {
        let quicknet = BeaconClock {
            genesis_time: 1_692_803_367,
            period: 3,
        };
        // Head 100 stamped t; target 163 (12 s blocks): the round is due in (t + 750, t + 753]
        // s, after block 162 and at or before 163, so a pulse landing a block after it is due
        // opens the commit at 164.
        for t in [1_735_689_600_000u64, 1_735_689_601_000, 1_735_689_602_999] {
            let round = reveal_round(&quicknet, 100, t, 163, 12_000);
            assert_eq!(
                pulse_block(&quicknet, 100, t, round, 12_000),
                164,
                "t = {t}"
            );
            assert!(quicknet.latest_round(t + 63 * 12_000) >= round);
            assert!(quicknet.latest_round(t + 62 * 12_000) < round);
        }
        // A round already due: the next block.
        assert_eq!(
            pulse_block(&quicknet, 100, 1_735_689_600_000, 5, 12_000),
            101
        );
    }

    #[test]
    fn activity_cutoff_scales_with_tempo_and_is_at_least_one() {
        // The migration's 5000 blocks at tempo 360 became 13 889 ‰.
        assert_eq!(activity_cutoff_blocks(13_889, 360), 5000);
        assert_eq!(activity_cutoff_blocks(13_889, 10), 138);
        assert_eq!(activity_cutoff_blocks(0, 360), 1);
        assert_eq!(activity_cutoff_blocks(u64::MAX, u16::MAX), u64::MAX / 1000);
    }
}
