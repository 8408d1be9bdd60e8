//! The reference task, recent tweets (masa's pattern without its bugs):
//! - a batch is valid when every tweet has a digits-only ID (no leading zero), IDs are unique,
//!   and sampled tweets match the query and are recent;
//! - a valid batch earns volume (IDs not seen from that miner before) in the tempo window;
//! - the reward is Φ(z) of the miner's window volume among the miners with volume (the core's
//!   [`bt_core::volume`]); an invalid batch or a failed call earns 0 this round.

use std::collections::{HashMap, HashSet};

use bt_core::volume::{Ties, VolumeWindow};
use bt_wire::dendrite::Reply;
use validator::task::{Task, Verdict};

use crate::corpus::{self, Rng};
use crate::protocol::RecentTweetsSynapse;

/// The reference task: recent tweets by keyword.
pub struct TweetsTask {
    rng: Rng,
    /// Oldest acceptable tweet age, seconds.
    pub max_age_s: i64,
    /// Tweets per request.
    pub count: u32,
    seen: HashMap<u16, HashSet<String>>,
    /// The volume window (persisted by the caller).
    pub window: VolumeWindow,
}

/// IDs remembered per miner (masa caps the set at 100k).
const SEEN_CAP: usize = 100_000;

impl TweetsTask {
    /// A task with `window` (blocks per tempo inside) and a query seed.
    pub fn new(window: VolumeWindow, seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            max_age_s: 2 * 24 * 3600,
            count: 20,
            seen: HashMap::new(),
            window,
        }
    }
}

/// masa's strict ID check: ASCII digits only, no leading zero.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0')
}

impl Task for TweetsTask {
    type Request = RecentTweetsSynapse;

    fn request(&mut self, _round: u64) -> RecentTweetsSynapse {
        let topic = corpus::TOPICS[self.rng.below(corpus::TOPICS.len())];
        RecentTweetsSynapse {
            query: format!("\"{topic}\""),
            count: Some(self.count),
            response: None,
        }
    }

    fn judge(
        &mut self,
        uid: u16,
        request: &RecentTweetsSynapse,
        reply: &Reply<RecentTweetsSynapse>,
        now: i64,
    ) -> Verdict {
        let Some(answer) = reply.synapse.as_ref().filter(|_| reply.status == 200) else {
            return Verdict::Failed(reply.status);
        };
        let Some(items) = answer.response.as_ref().and_then(|r| r.as_array()) else {
            return Verdict::Invalid("the response is not a list".into());
        };
        let mut tweets = Vec::with_capacity(items.len());
        for item in items {
            match serde_json::from_value::<corpus::Tweet>(
                item.get("Tweet").cloned().unwrap_or_default(),
            ) {
                Ok(t) => tweets.push(t),
                Err(_) => return Verdict::Invalid("an item is not a tweet".into()),
            }
        }
        let mut ids = HashSet::with_capacity(tweets.len());
        for t in &tweets {
            if !valid_id(&t.id) {
                return Verdict::Invalid(format!(
                    "malformed id {:?}",
                    t.id.chars().take(24).collect::<String>()
                ));
            }
            if !ids.insert(t.id.as_str()) {
                return Verdict::Invalid("duplicate ids".into());
            }
        }
        // Check up to 3 tweets, spread over the batch, for query match and recency.
        let step = (tweets.len() / 3).max(1);
        for t in tweets.iter().step_by(step).take(3) {
            if !corpus::matches(t, &request.query) {
                return Verdict::Invalid("a tweet does not match the query".into());
            }
            if t.timestamp < now - self.max_age_s {
                return Verdict::Invalid("a tweet is too old".into());
            }
        }
        let seen = self.seen.entry(uid).or_default();
        let volume = ids.iter().filter(|id| !seen.contains(**id)).count() as u64;
        if seen.len() + ids.len() > SEEN_CAP {
            seen.clear();
        }
        seen.extend(ids.into_iter().map(str::to_string));
        Verdict::Valid { volume }
    }

    fn rewards(
        &mut self,
        verdicts: &[(u16, Verdict)],
        block: u64,
        n: usize,
    ) -> (Vec<u16>, Vec<f64>) {
        for (uid, v) in verdicts {
            if let Verdict::Valid { volume } = v {
                self.window.add_volume(block, *uid, *volume);
            }
        }
        // masa's formula gives 0 to everyone when all window volumes are equal (σ = 0), which
        // would leave a subnet of equally good miners without weights: they get Φ(0) = 0.5.
        let window = self.window.rewards_with(n, Ties::Half);
        let by_uid: HashMap<u16, f64> = window
            .uids
            .iter()
            .copied()
            .zip(window.rewards.iter().copied())
            .collect();
        let uids: Vec<u16> = verdicts.iter().map(|(u, _)| *u).collect();
        let rewards = verdicts
            .iter()
            .map(|(u, v)| match v {
                Verdict::Valid { .. } => by_uid.get(u).copied().unwrap_or(0.0),
                _ => 0.0,
            })
            .collect();
        (uids, rewards)
    }

    fn reset_uid(&mut self, uid: u16) {
        self.seen.remove(&uid);
        self.window.reset_uid(uid);
    }

    fn set_tempo(&mut self, tempo: u64) {
        if tempo.max(1) != self.window.tempo() {
            let buckets: Vec<_> = self.window.buckets().cloned().collect();
            if let Ok(w) = VolumeWindow::from_buckets(tempo.max(1), buckets) {
                self.window = w;
            }
        }
    }

    /// The volume window (the ids seen per miner are not kept: after a restart a miner's
    /// first batch counts as new volume again).
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "tempo": self.window.tempo(),
            "buckets": self.window.buckets().collect::<Vec<_>>(),
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), String> {
        if saved.is_null() {
            return Ok(());
        }
        let tempo = saved
            .get("tempo")
            .and_then(|t| t.as_u64())
            .ok_or("no tempo")?;
        let buckets = serde_json::from_value(saved.get("buckets").cloned().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        self.window =
            VolumeWindow::from_buckets(tempo.max(1), buckets).map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Tweet;

    fn reply(tweets: Vec<Tweet>, status: u16) -> Reply<RecentTweetsSynapse> {
        Reply {
            uid: 1,
            status,
            message: String::new(),
            process_time: 0.1,
            synapse: Some(RecentTweetsSynapse {
                query: "\"bitcoin\"".into(),
                count: None,
                response: Some(serde_json::json!(tweets
                    .iter()
                    .map(|t| serde_json::json!({ "Tweet": t }))
                    .collect::<Vec<_>>())),
            }),
        }
    }

    #[test]
    fn rules_and_rewards() {
        let now = 1_700_000_000;
        let corpus = corpus::generate(3, 2000, now, 3600);
        let btc: Vec<Tweet> = corpus
            .iter()
            .filter(|t| corpus::matches(t, "bitcoin"))
            .cloned()
            .collect();
        let mut task = TweetsTask::new(VolumeWindow::new(10).unwrap(), 1);
        let req = RecentTweetsSynapse {
            query: "\"bitcoin\"".into(),
            count: Some(20),
            response: None,
        };

        assert_eq!(
            task.judge(1, &req, &reply(btc[..20].to_vec(), 200), now),
            Verdict::Valid { volume: 20 }
        );
        // The same tweets again are valid but worth nothing new.
        assert_eq!(
            task.judge(1, &req, &reply(btc[..20].to_vec(), 200), now),
            Verdict::Valid { volume: 0 }
        );
        let mut dup = btc[..5].to_vec();
        dup.push(btc[0].clone());
        assert!(matches!(
            task.judge(2, &req, &reply(dup, 200), now),
            Verdict::Invalid(_)
        ));
        let mut bad_id = btc[..5].to_vec();
        bad_id[0].id = "0123".into();
        assert!(matches!(
            task.judge(2, &req, &reply(bad_id, 200), now),
            Verdict::Invalid(_)
        ));
        let off_topic: Vec<Tweet> = corpus
            .iter()
            .filter(|t| !corpus::matches(t, "bitcoin"))
            .take(5)
            .cloned()
            .collect();
        assert!(matches!(
            task.judge(2, &req, &reply(off_topic, 200), now),
            Verdict::Invalid(_)
        ));
        let mut old = btc[..3].to_vec();
        for t in &mut old {
            t.timestamp = now - 30 * 24 * 3600;
        }
        assert!(matches!(
            task.judge(2, &req, &reply(old, 200), now),
            Verdict::Invalid(_)
        ));
        assert_eq!(
            task.judge(3, &req, &reply(vec![], 408), now),
            Verdict::Failed(408)
        );

        // Rewards: more volume ranks higher; failures and invalid answers get 0.
        let verdicts = vec![
            (1, Verdict::Valid { volume: 20 }),
            (2, Verdict::Valid { volume: 5 }),
            (3, Verdict::Failed(503)),
            (4, Verdict::Invalid("x".into())),
        ];
        let (uids, rewards) = task.rewards(&verdicts, 100, 8);
        assert_eq!(uids, vec![1, 2, 3, 4]);
        assert!(rewards[0] > rewards[1], "{rewards:?}");
        assert_eq!(&rewards[2..], &[0.0, 0.0]);
    }

    #[test]
    fn the_window_survives_a_restart_and_a_tempo_change() {
        let mut task = TweetsTask::new(VolumeWindow::new(10).unwrap(), 1);
        task.rewards(
            &[
                (1, Verdict::Valid { volume: 7 }),
                (2, Verdict::Valid { volume: 3 }),
            ],
            55,
            4,
        );
        let saved = task.snapshot();
        let mut again = TweetsTask::new(VolumeWindow::new(360).unwrap(), 2);
        again.restore(saved.clone()).unwrap();
        assert_eq!(again.snapshot(), saved);
        assert_eq!(again.window.totals(), task.window.totals());
        again.set_tempo(20);
        assert_eq!(again.window.tempo(), 20);
        assert!(again.restore(serde_json::json!({"buckets": []})).is_err());
    }

    #[test]
    fn equally_good_miners_share_a_half_not_zero() {
        let mut task = TweetsTask::new(VolumeWindow::new(10).unwrap(), 1);
        let verdicts = vec![
            (1, Verdict::Valid { volume: 20 }),
            (2, Verdict::Valid { volume: 20 }),
            (3, Verdict::Failed(408)),
        ];
        let (_, rewards) = task.rewards(&verdicts, 100, 4);
        assert_eq!(rewards, vec![0.5, 0.5, 0.0]);
    }
}
