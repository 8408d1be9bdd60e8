//! "My validator": a validator's own status (`validator run --status.port`, `GET /status`,
//! the document `bt_core::status` defines) next to what the chain holds. Pure data, tested
//! natively and in wasm:
//! - [`parse_status`]: the reply, or a message saying why it is not a validator's status;
//! - [`intends_vs_holds`]: per uid, its score, the weights computed and sent, and its row of W
//!   on chain; [`holds_sent`] says whether the chain holds what was sent (max-upscaled, as
//!   the chain stores it: `bt_core::weights::chain_max_upscale`);
//! - [`timeline`]: commit block → reveal round (the chain's) → its pulse on chain → revealed
//!   → read back;
//! - [`obstacles`]: what stops it from setting weights, each a plain sentence.

use bt_core::metagraph::Metagraph;
use bt_core::weights::chain_max_upscale;

pub use bt_core::status::ValidatorStatus;

/// The last read-back's outcome (`match`, `mismatch`, `dropped`, …) and its block.
fn verification(status: &ValidatorStatus) -> Option<(String, Option<u64>)> {
    let v = status.last_verification.as_ref()?;
    Some((v.outcome.clone(), v.block))
}

/// The reply parsed, or what is wrong with it.
pub fn parse_status(body: &str) -> Result<ValidatorStatus, String> {
    serde_json::from_str(body).map_err(|e| {
        format!("the reply is not a validator status ({e}): point the field at `validator run --status.port P`'s http://HOST:P/status")
    })
}

/// One uid: what the validator intends and what the chain holds.
#[derive(Debug, Clone, PartialEq)]
pub struct IntendRow {
    /// The uid.
    pub uid: u16,
    /// The validator's moving-average score.
    pub score: f64,
    /// The weight the scores give now (u16).
    pub computed: u16,
    /// The weight last sent (u16, as sent).
    pub sent: u16,
    /// What the sent row becomes on chain (max-upscaled, as the chain stores it).
    pub sent_stored: u16,
    /// Its row of W on chain.
    pub on_chain: u16,
}

fn at(uids: &[u16], values: &[u16], uid: u16) -> u16 {
    uids.iter()
        .position(|&u| u == uid)
        .and_then(|i| values.get(i).copied())
        .unwrap_or(0)
}

/// Per uid of the subnet: score, computed, sent and on-chain weights (the validator's uid
/// from the status, or its hotkey's uid in `mg`).
pub fn intends_vs_holds(status: &ValidatorStatus, mg: &Metagraph) -> Vec<IntendRow> {
    let me = my_uid(status, mg);
    let row: Vec<(u16, u16)> = me
        .and_then(|uid| mg.neurons.get(usize::from(uid)))
        .map(|n| n.weights.clone())
        .unwrap_or_default();
    let (computed_uids, computed_values) = status
        .weights_computed
        .as_ref()
        .map(|w| (w.uids.clone(), w.values.clone()))
        .unwrap_or_default();
    let (sent_uids, sent_values) = status
        .weights_sent
        .as_ref()
        .map(|w| (w.uids.clone(), w.values.clone()))
        .unwrap_or_default();
    let stored = chain_max_upscale(&sent_values);
    (0..mg.n() as u16)
        .map(|uid| IntendRow {
            uid,
            score: status.scores.get(usize::from(uid)).copied().unwrap_or(0.0),
            computed: at(&computed_uids, &computed_values, uid),
            sent: at(&sent_uids, &sent_values, uid),
            sent_stored: at(&sent_uids, &stored, uid),
            on_chain: row.iter().find(|&&(u, _)| u == uid).map_or(0, |&(_, v)| v),
        })
        .collect()
}

/// The validator's uid: the status's, else its hotkey's in `mg`.
pub fn my_uid(status: &ValidatorStatus, mg: &Metagraph) -> Option<u16> {
    status.uid.or_else(|| {
        let (key, _) = bt_core::ss58::decode(&status.hotkey).ok()?;
        mg.uid_of(&key)
    })
}

/// Whether the chain's row equals what was sent (`None` when nothing was sent).
pub fn holds_sent(rows: &[IntendRow], status: &ValidatorStatus) -> Option<bool> {
    status.weights_sent.as_ref()?;
    Some(rows.iter().all(|r| r.sent_stored == r.on_chain))
}

/// One step of the commit-reveal timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// A stable name: `commit`, `round`, `pulse`, `revealed`, `read-back`.
    pub name: &'static str,
    /// Reached.
    pub done: bool,
    /// What the step shows.
    pub text: String,
}

/// The commit-reveal timeline of the validator's commit: its commit block, the reveal round
/// the chain stores for it (`TimelockedWeightCommits`; the status's while the chain's is not
/// read), whether that round's pulse is on chain (`LastStoredRound`), revealed (the commit
/// is no longer queued on chain and the read-back — or the row — shows it), read back.
/// Empty when there is no commit to follow.
pub fn timeline(
    status: &ValidatorStatus,
    mg: &Metagraph,
    last_stored_round: Option<u64>,
) -> Vec<Step> {
    let me = my_uid(status, mg);
    let verification = verification(status);
    // The commit followed: the pending one, else the last one the chain answered for.
    let pending = status
        .pending_commit
        .as_ref()
        .or(status.last_commit.as_ref());
    let Some(commit_block) = pending.and_then(|p| p.commit_block) else {
        return Vec::new();
    };
    let on_chain = me.and_then(|uid| {
        mg.mechanisms
            .get(usize::from(status.mecid))?
            .commits
            .iter()
            .find(|c| c.uid == uid && c.commit_block == commit_block)
            .copied()
    });
    let round = on_chain
        .and_then(|c| c.reveal_round)
        .or_else(|| pending.and_then(|p| p.reveal_round));
    let timelocked = pending.is_some_and(|p| p.kind == "timelocked");
    let pulse_on_chain = match (round, last_stored_round) {
        (Some(r), Some(last)) => Some(last >= r),
        _ => None,
    };
    let read_back = verification
        .as_ref()
        .filter(|(_, block)| block.is_some_and(|b| b >= commit_block));
    // Revealed: no longer queued on chain after it landed, and either read back as written
    // or (timelocked) its pulse is on chain, so the chain decrypted it.
    let revealed = on_chain.is_none()
        && mg.block > commit_block
        && pending.is_some_and(|p| p.stage != "sent")
        && (read_back.is_some_and(|(o, _)| o == "match" || o == "mismatch")
            || (timelocked && pulse_on_chain == Some(true))
            || pending.is_some_and(|p| p.stage == "revealed"));
    let mut steps = vec![Step {
        name: "commit",
        done: true,
        text: format!(
            "committed at block {commit_block}{}",
            if on_chain.is_some() {
                " (queued on chain)"
            } else {
                ""
            }
        ),
    }];
    if timelocked {
        steps.push(Step {
            name: "round",
            done: round.is_some(),
            text: match (round, on_chain.is_some()) {
                (Some(r), true) => format!("reveal round {r} (stored on chain)"),
                (Some(r), false) => format!("reveal round {r}"),
                (None, _) => "reveal round not known yet".to_string(),
            },
        });
        steps.push(Step {
            name: "pulse",
            done: pulse_on_chain == Some(true),
            text: match (round, last_stored_round) {
                (Some(r), Some(last)) if last >= r => {
                    format!("drand pulse {r} on chain (last stored {last})")
                }
                (Some(r), Some(last)) => {
                    format!("drand pulse {r} not on chain yet (last stored {last})")
                }
                _ => "drand pulse: not read".to_string(),
            },
        });
    } else {
        let epoch = pending.and_then(|p| p.reveal_epoch);
        steps.push(Step {
            name: "round",
            done: epoch.is_some(),
            text: match epoch {
                Some(e) => format!("hash commit: the validator reveals it in epoch {e}"),
                None => "hash commit: the validator reveals it in its reveal epoch".to_string(),
            },
        });
    }
    let expected = pending.and_then(|p| p.expected_reveal_block);
    steps.push(Step {
        name: "revealed",
        done: revealed,
        text: if revealed {
            "revealed".to_string()
        } else {
            match expected {
                Some(b) => format!("not revealed yet (expected at block {b})"),
                None => "not revealed yet".to_string(),
            }
        },
    });
    steps.push(Step {
        name: "read-back",
        done: read_back.is_some_and(|(o, _)| o == "match"),
        text: match read_back {
            Some((o, Some(b))) => format!("read back at block {b}: {o}"),
            Some((o, None)) => format!("read back: {o}"),
            None => "not read back yet".to_string(),
        },
    });
    steps
}

/// What stops the validator from setting weights now, each a plain sentence (empty: nothing
/// the chain shows).
pub fn obstacles(
    status: &ValidatorStatus,
    mg: &Metagraph,
    last_stored_round: Option<u64>,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(uid) = my_uid(status, mg) else {
        out.push(format!(
            "hotkey {} has no uid on subnet {}: register it, or check the status URL and the subnet shown",
            status.hotkey, mg.netuid
        ));
        return out;
    };
    let Some(neuron) = mg.neurons.get(usize::from(uid)) else {
        return out;
    };
    let h = &mg.hyperparams;
    if !neuron.validator_permit {
        out.push(format!(
            "uid {uid} holds no validator permit: the chain refuses weights on other uids (NeuronNoValidatorPermit) until an epoch gives it one (top {} by stake)",
            h.max_allowed_validators
        ));
    }
    if neuron.total_stake < h.stake_threshold {
        out.push(format!(
            "its stake, {} α, is below StakeThreshold ({} α): the chain refuses its weights (NotEnoughStakeToSetWeights)",
            crate::table::tokens(neuron.total_stake),
            crate::table::tokens(h.stake_threshold)
        ));
    }
    if let Some(sent) = &status.weights_sent {
        if sent.version_key.is_some_and(|v| v < h.weights_version) {
            out.push(format!(
                "it sends version key {}, below the subnet's WeightsVersionKey {}: the chain refuses its weights (IncorrectWeightVersionKey); raise --neuron.version_key",
                sent.version_key.unwrap_or(0),
                h.weights_version
            ));
        }
    }
    if let Some(p) = &status.pending_commit {
        if let (Some(round), Some(last), Some(expected)) =
            (p.reveal_round, last_stored_round, p.expected_reveal_block)
        {
            if last < round && mg.block >= expected {
                out.push(format!(
                    "drand gap: the reveal was due at block {expected} but the pulse of round {round} is not on chain (last stored {last}); the chain reveals it when the pulse lands within the reveal epoch, else drops the commit"
                ));
            }
        }
    }
    if let Some((outcome, block)) = verification(status) {
        match outcome.as_str() {
            "mismatch" => out.push(format!(
                "commit-reveal mismatch: the row read back{} differs from what was committed",
                block.map(|b| format!(" at block {b}")).unwrap_or_default()
            )),
            "dropped" => out.push(format!(
                "the chain dropped the last commit ({}): those weights never landed",
                status
                    .last_verification
                    .as_ref()
                    .and_then(|v| v.reason.as_deref())
                    .unwrap_or("no reason given")
            )),
            _ => {}
        }
    }
    out
}

/// When the rate limit lets it set weights next, in words.
pub fn rate_limit_text(status: &ValidatorStatus, mg: &Metagraph) -> String {
    match status.next_weights_block {
        Some(b) if b > mg.block => format!(
            "the rate limit lets it set weights again at block {b} (in {} blocks)",
            b - mg.block
        ),
        Some(_) => "the rate limit lets it set weights now".to_string(),
        None => "the rate limit is not known yet (no round completed)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::{Mechanism, Neuron, PendingCommit};

    const STATUS: &str = r#"{"hotkey":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY","netuid":2,"mecid":0,"uid":1,
        "step":4,"block":120,"scores":[0.0,0.0,0.5,0.25],
        "weights_computed":{"block":120,"uids":[2,3],"values":[65535,32767]},
        "weights_sent":{"block":100,"uids":[2,3],"values":[40000,20000],"version_key":0},
        "pending_commit":{"kind":"timelocked","stage":"committed","commit_block":100,"reveal_round":77,"reveal_epoch":9,"expected_reveal_block":140},
        "last_verification":null,"next_weights_block":200,"errors":[{"kind":"timeout","message":"x","retryable":true,"block":90,"at_ms":1}],"updated_ms":5}"#;

    fn subnet(queued: bool) -> Metagraph {
        let mut mg = Metagraph {
            netuid: 2,
            block: 130,
            neurons: (0..4u16)
                .map(|uid| Neuron {
                    uid,
                    validator_permit: uid == 1,
                    total_stake: 5_000_000_000,
                    weights: if uid == 1 {
                        vec![(2, 65535), (3, 32767)]
                    } else {
                        vec![]
                    },
                    ..Neuron::default()
                })
                .collect(),
            mechanisms: vec![Mechanism {
                commits: if queued {
                    vec![PendingCommit {
                        uid: 1,
                        commit_epoch: 8,
                        commit_block: 100,
                        reveal_round: Some(78),
                    }]
                } else {
                    vec![]
                },
                ..Mechanism::default()
            }],
            ..Metagraph::default()
        };
        mg.hyperparams.weights_version = 0;
        mg
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_status_parses_and_a_bad_one_says_why() {
        let s = parse_status(STATUS).unwrap();
        assert_eq!(s.uid, Some(1));
        assert_eq!(s.errors[0].kind, "timeout");
        let e = parse_status("<html>").unwrap_err();
        assert!(e.contains("not a validator status"), "{e}");
        let e = parse_status(r#"{"hotkey": 5}"#).unwrap_err();
        assert!(e.contains("--status.port"), "{e}");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn intends_against_holds() {
        let s = parse_status(STATUS).unwrap();
        let rows = intends_vs_holds(&s, &subnet(true));
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[2].score, 0.5);
        assert_eq!(
            (rows[2].computed, rows[2].sent, rows[2].on_chain),
            (65535, 40000, 65535)
        );
        // 40000, 20000 max-upscaled by the chain's rule (I32F32, truncated): 65535, 32767.
        assert_eq!(rows[3].sent_stored, 32767);
        assert_eq!(holds_sent(&rows, &s), Some(true));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_timeline_takes_the_chains_round_then_shows_the_reveal() {
        let s = parse_status(STATUS).unwrap();
        let steps = timeline(&s, &subnet(true), Some(70));
        let names: Vec<&str> = steps.iter().map(|s| s.name).collect();
        assert_eq!(names, ["commit", "round", "pulse", "revealed", "read-back"]);
        // The chain stores round 78 (the status says 77): the chain's is shown.
        assert_eq!(steps[1].text, "reveal round 78 (stored on chain)");
        assert!(!steps[2].done && !steps[3].done);
        assert_eq!(steps[3].text, "not revealed yet (expected at block 140)");
        // The chain revealed it: no longer queued, the pulse landed.
        let mut s2 = s.clone();
        s2.last_commit = s2.pending_commit.take();
        s2.last_verification = Some(bt_core::status::ReadBack {
            outcome: "match".into(),
            block: Some(142),
            reason: None,
        });
        let steps = timeline(&s2, &subnet(false), Some(80));
        assert!(steps[3].done, "{steps:?}");
        assert_eq!(steps[4].text, "read back at block 142: match");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn obstacles_are_sentences() {
        let mut s = parse_status(STATUS).unwrap();
        let mut mg = subnet(true);
        assert!(obstacles(&s, &mg, Some(80)).is_empty());
        mg.neurons[1].validator_permit = false;
        mg.hyperparams.stake_threshold = 10_000_000_000;
        mg.hyperparams.weights_version = 3;
        mg.block = 150;
        s.last_verification = Some(bt_core::status::ReadBack {
            outcome: "dropped".into(),
            block: None,
            reason: Some("no pulse".into()),
        });
        let o = obstacles(&s, &mg, Some(70));
        assert_eq!(o.len(), 5, "{o:?}");
        assert!(o[0].contains("NeuronNoValidatorPermit"));
        assert!(o[1].contains("StakeThreshold"));
        assert!(o[2].contains("WeightsVersionKey 3"));
        assert!(o[3].starts_with("drand gap"));
        assert!(o[4].contains("no pulse"));
        assert_eq!(
            rate_limit_text(&s, &mg),
            "the rate limit lets it set weights again at block 200 (in 50 blocks)"
        );
    }
}
