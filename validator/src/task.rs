//! What a subnet asks its miners and how answers are judged: the [`Task`] trait a subnet
//! implements (the reference subnet's is `bt_subnet_tweets::tweets::TweetsTask`). A task never
//! sees the wire: the loop's dendrite carries its request over the protocol the operator
//! chose, and hands back a [`Reply`] with the same status codes either way.

use bt_wire::dendrite::Reply;
use bt_wire::synapse::Synapse;

/// One miner's answer, judged.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A valid answer worth this much new volume.
    Valid {
        /// New items this round.
        volume: u64,
    },
    /// The call succeeded but the answer broke a rule.
    Invalid(String),
    /// No usable answer (the SDK status: 408, 503, 500, 422, …).
    Failed(u16),
}

/// A subnet's request and scoring. Implement this to run the validator for another subnet.
pub trait Task: Send {
    /// The synapse the miners serve.
    type Request: Synapse;
    /// This round's request.
    fn request(&mut self, round: u64) -> Self::Request;
    /// Judges one reply to `request` from `uid`; `now` is unix seconds.
    fn judge(
        &mut self,
        uid: u16,
        request: &Self::Request,
        reply: &Reply<Self::Request>,
        now: i64,
    ) -> Verdict;
    /// Rewards in [0, 1] for this round's `verdicts` (uid, verdict), given the chain `block` and
    /// the subnet size `n`; uids not returned keep their score.
    fn rewards(
        &mut self,
        verdicts: &[(u16, Verdict)],
        block: u64,
        n: usize,
    ) -> (Vec<u16>, Vec<f64>);
    /// Forgets what the task knows about `uid` (its hotkey changed).
    fn reset_uid(&mut self, uid: u16);
    /// The subnet's tempo (blocks per epoch), at every metagraph sync.
    fn set_tempo(&mut self, _tempo: u64) {}
    /// What the task needs to resume after a restart; saved in the state file every round.
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    /// Resumes from a [`Task::snapshot`]; an error is reported and the task starts fresh.
    fn restore(&mut self, _saved: serde_json::Value) -> Result<(), String> {
        Ok(())
    }
}
