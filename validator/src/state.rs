//! The validator's state on disk: what it must not lose across restarts and crashes.
//!
//! Format (version 1): one header line, then the payload as JSON:
//!
//! ```text
//! bt-validator-state 1 sha256:<hex of the payload's SHA-256> <payload length in bytes>
//! {"netuid":…,"step":…,"scores":[…],"hotkeys":[…],"task":{…},"last_weights":…,…}
//! ```
//!
//! Writes are atomic and durable: the new file is written to `state.json.tmp` and fsynced, the
//! current file becomes `state.prev.json`, the new one is renamed into place, and the folder is
//! fsynced. A crash at any point leaves either the new state or the previous one readable.
//! Loading checks the header, length, checksum and version; a file that fails is moved aside
//! (`state.json.corrupt-<unix ms>`), reported, and the previous state is tried. Nothing is
//! silently overwritten.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &str = "bt-validator-state";

/// Weights as last submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentWeights {
    /// The block the submission landed in (or the commit, under commit-reveal).
    pub block: u64,
    /// Destination uids.
    pub uids: Vec<u16>,
    /// u16 values as sent.
    pub values: Vec<u16>,
    /// The version key sent.
    pub version_key: u64,
}

/// Everything the validator persists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorState {
    /// The subnet.
    pub netuid: u16,
    /// Scoring rounds completed.
    pub step: u64,
    /// The chain block of the last completed round.
    pub block: u64,
    /// The moving-average factor the scores were made with.
    pub alpha: f64,
    /// Score per uid.
    pub scores: Vec<f64>,
    /// The hotkey (SS58) each score belongs to; a score is reset when its uid changes hands.
    pub hotkeys: Vec<Option<String>>,
    /// The task's own state (for the tweets task: its volume window), as the task saves it.
    #[serde(default)]
    pub task: serde_json::Value,
    /// The last weights submitted.
    pub last_weights: Option<SentWeights>,
    /// The read-back of the last submission (`match`, `mismatch`, `not_yet_included`,
    /// `dropped`).
    pub last_verification: Option<serde_json::Value>,
    /// A commit the chain has not answered for yet (saved before it is sent; see
    /// [`crate::commit`]).
    #[serde(default)]
    pub pending: Option<crate::commit::PendingCommit>,
}

/// Why the state could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The state could not be serialised.
    #[error("cannot serialise the state: {0}")]
    Serialise(String),
}

/// Where a loaded state came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `state.json`.
    Current,
    /// `state.prev.json`, because the current file was missing or bad.
    Previous,
}

/// The result of [`StateFile::load`].
#[derive(Debug)]
pub struct Loaded {
    /// The state, if any file was good.
    pub state: Option<(ValidatorState, Source)>,
    /// Files that failed their checks, each moved aside, with the reason.
    pub quarantined: Vec<(PathBuf, String)>,
}

/// The state files in one folder (`--state.dir`).
#[derive(Debug, Clone)]
pub struct StateFile {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The bytes of a state file for `state`.
pub fn encode(state: &ValidatorState) -> Result<Vec<u8>, StateError> {
    let payload = serde_json::to_vec(state).map_err(|e| StateError::Serialise(e.to_string()))?;
    let digest = hex::encode(Sha256::digest(&payload));
    let mut out = format!(
        "{MAGIC} {FORMAT_VERSION} sha256:{digest} {}\n",
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Parses and checks a state file's bytes; the error says what is wrong.
pub fn decode(bytes: &[u8]) -> Result<ValidatorState, String> {
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no header line (truncated or not a state file)")?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| "the header is not text")?;
    let parts: Vec<&str> = header.split(' ').collect();
    let [magic, version, checksum, length] = parts[..] else {
        return Err(format!("malformed header {header:?}"));
    };
    if magic != MAGIC {
        return Err("not a validator state file".into());
    }
    let version: u32 = version
        .parse()
        .map_err(|_| format!("malformed version {version:?}"))?;
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this validator reads version {FORMAT_VERSION} (written by another release?)"
        ));
    }
    let payload = &bytes[newline + 1..];
    let length: usize = length
        .parse()
        .map_err(|_| format!("malformed length {length:?}"))?;
    if payload.len() != length {
        return Err(format!(
            "the payload has {} bytes, the header says {length} (truncated write?)",
            payload.len()
        ));
    }
    let want = checksum
        .strip_prefix("sha256:")
        .ok_or("malformed checksum")?;
    if hex::encode(Sha256::digest(payload)) != want {
        return Err("checksum mismatch (the file was damaged)".into());
    }
    let state: ValidatorState =
        serde_json::from_slice(payload).map_err(|e| format!("the payload does not parse: {e}"))?;
    if state.scores.len() != state.hotkeys.len() {
        return Err("scores and hotkeys differ in length".into());
    }
    if let Some(bad) = state.scores.iter().find(|s| !s.is_finite() || **s < 0.0) {
        return Err(format!("a stored score is {bad}"));
    }
    Ok(state)
}

impl StateFile {
    /// The state files in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `state.json`.
    pub fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// `state.prev.json`, the state before the last save.
    pub fn prev_path(&self) -> PathBuf {
        self.dir.join("state.prev.json")
    }

    fn tmp_path(&self) -> PathBuf {
        self.dir.join("state.json.tmp")
    }

    /// Writes `state` atomically and durably (see the module documentation).
    pub fn save(&self, state: &ValidatorState) -> Result<(), StateError> {
        let bytes = encode(state)?;
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let tmp = self.tmp_path();
        {
            let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        crate::test_hooks::checkpoint_pause();
        let current = self.path();
        // Keep the last good state as the fallback, unless the current file is one we could not
        // read (then it was moved aside on load, and there is nothing to keep).
        if current.exists() {
            let prev = self.prev_path();
            fs::rename(&current, &prev).map_err(io(&prev))?;
        }
        crate::test_hooks::checkpoint_pause();
        fs::rename(&tmp, &current).map_err(io(&current))?;
        sync_dir(&self.dir)?;
        tracing::debug!(step = state.step, "state saved");
        Ok(())
    }

    /// Reads the newest good state: `state.json`, else `state.prev.json`. Bad files are moved
    /// aside and listed in [`Loaded::quarantined`]; none found is a fresh start.
    pub fn load(&self) -> Result<Loaded, StateError> {
        let mut quarantined = Vec::new();
        for (path, source) in [
            (self.path(), Source::Current),
            (self.prev_path(), Source::Previous),
        ] {
            let bytes = match fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StateError::Io { path, source: e }),
            };
            match decode(&bytes) {
                Ok(state) => {
                    return Ok(Loaded {
                        state: Some((state, source)),
                        quarantined,
                    })
                }
                Err(reason) => {
                    let aside = self.quarantine(&path)?;
                    quarantined.push((aside, reason));
                }
            }
        }
        Ok(Loaded {
            state: None,
            quarantined,
        })
    }

    /// Reads both files without changing anything (for inspection): each path with its state or
    /// the reason it is bad; missing files are left out.
    pub fn peek(&self) -> Vec<(PathBuf, Result<ValidatorState, String>)> {
        [self.path(), self.prev_path()]
            .into_iter()
            .filter_map(|path| match fs::read(&path) {
                Ok(bytes) => Some((path, decode(&bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => Some((path, Err(e.to_string()))),
            })
            .collect()
    }

    /// Moves a bad file to `<name>.corrupt-<unix ms>` and returns the new path.
    fn quarantine(&self, path: &Path) -> Result<PathBuf, StateError> {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let aside = self.dir.join(format!("{name}.corrupt-{ms}"));
        fs::rename(path, &aside).map_err(io(&aside))?;
        sync_dir(&self.dir)?;
        Ok(aside)
    }
}

/// fsync of a folder, so that renames in it survive a power loss.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A human summary of a state (for `validator state inspect`).
pub fn summary(state: &ValidatorState, source: Source) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "netuid {} · step {} · block {} · alpha {} · {} uids scored ({} non-zero) · from {}",
        state.netuid,
        state.step,
        state.block,
        state.alpha,
        state.scores.len(),
        state.scores.iter().filter(|s| **s > 0.0).count(),
        match source {
            Source::Current => "state.json",
            Source::Previous => "state.prev.json (the current file was missing or bad)",
        }
    );
    let mut ranked: Vec<(usize, f64)> = state.scores.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let _ = writeln!(out, "top scores:");
    for (uid, score) in ranked.iter().take(10) {
        let hotkey = state.hotkeys[*uid].as_deref().unwrap_or("-");
        let _ = writeln!(out, "  uid {uid:>4}  {score:.6}  {hotkey}");
    }
    if let Some(buckets) = state.task.get("buckets").and_then(|b| b.as_array()) {
        let _ = writeln!(
            out,
            "volume window: {} tempos of {} blocks",
            buckets.len(),
            state.task["tempo"]
        );
    }
    if let Some(p) = &state.pending {
        let _ = writeln!(
            out,
            "pending {} commit: {} uids, {}",
            p.kind(),
            p.weights().uids.len(),
            match p.stage() {
                crate::commit::Stage::Sent =>
                    "sent, inclusion not seen (looked up on chain, or sent again, at the next start)".into(),
                crate::commit::Stage::Committed(b) => format!("committed in block {b}"),
                crate::commit::Stage::Revealing(b) => format!(
                    "committed in block {b}, reveal sent, inclusion not seen (looked up at the next start)"
                ),
                crate::commit::Stage::Revealed { commit_block, revealed_at } => format!(
                    "committed in block {commit_block}, revealed in block {revealed_at}, read-back pending"
                ),
            }
        );
    }
    match &state.last_weights {
        Some(w) => {
            let _ = writeln!(
                out,
                "last weights: block {}, {} uids, version_key {}",
                w.block,
                w.uids.len(),
                w.version_key
            );
        }
        None => {
            let _ = writeln!(out, "last weights: none yet");
        }
    }
    match &state.last_verification {
        Some(v) => {
            let outcome = v.get("outcome").and_then(|o| o.as_str()).unwrap_or("?");
            let _ = writeln!(out, "last verification: {outcome}");
        }
        None => {
            let _ = writeln!(out, "last verification: none yet");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(step: u64) -> ValidatorState {
        ValidatorState {
            netuid: 2,
            step,
            block: 100 + step,
            alpha: 0.1,
            scores: vec![0.0, 0.1 + step as f64 / 3.0, 1e-300],
            hotkeys: vec![None, Some("5Grw".into()), Some("5FHn".into())],
            task: serde_json::json!({"tempo": 10, "buckets": [{"tempo": 9, "miners": {"1": 5, "2": 7}}]}),
            last_weights: Some(SentWeights {
                block: 99,
                uids: vec![1, 2],
                values: vec![65535, 100],
                version_key: 7,
            }),
            last_verification: Some(
                serde_json::json!({"outcome": "match", "uid": 0, "block": 100}),
            ),
            pending: Some(crate::commit::PendingCommit::Hash {
                target: bt_chain::weights::Target::subnet(2),
                weights: bt_chain::weights::WeightsToSet {
                    uids: vec![1],
                    values: vec![65535],
                    version_key: 7,
                },
                salt: vec![1, 2, 3, 4, 5, 6, 7, 8],
                hash: [3; 32],
                commit_block: Some(98),
                commit_tx: None,
                reveal: None,
            }),
        }
    }

    #[test]
    fn round_trip_is_exact_and_keeps_the_previous_state() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path());
        assert!(f.load().unwrap().state.is_none(), "a fresh start");
        f.save(&state(1)).unwrap();
        f.save(&state(2)).unwrap();
        let loaded = f.load().unwrap();
        assert_eq!(loaded.state, Some((state(2), Source::Current)));
        assert!(loaded.quarantined.is_empty());
        assert_eq!(decode(&fs::read(f.prev_path()).unwrap()).unwrap(), state(1));
        assert!(!f.tmp_path().exists());
    }

    #[test]
    fn a_damaged_file_is_moved_aside_and_the_previous_one_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path());
        f.save(&state(1)).unwrap();
        f.save(&state(2)).unwrap();
        let mut bytes = fs::read(f.path()).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x01;
        fs::write(f.path(), &bytes).unwrap();
        let loaded = f.load().unwrap();
        assert_eq!(loaded.state, Some((state(1), Source::Previous)));
        assert_eq!(loaded.quarantined.len(), 1);
        let (aside, reason) = &loaded.quarantined[0];
        assert!(
            reason.contains("checksum") || reason.contains("parse"),
            "{reason}"
        );
        assert_eq!(
            fs::read(aside).unwrap(),
            bytes,
            "the bad file is kept, not overwritten"
        );
        // The next save does not touch the quarantined file and makes a new current.
        f.save(&state(3)).unwrap();
        assert_eq!(f.load().unwrap().state, Some((state(3), Source::Current)));
        assert!(aside.exists());
    }

    #[test]
    fn every_kind_of_bad_file_is_reported() {
        let good = encode(&state(1)).unwrap();
        let text = String::from_utf8(good.clone()).unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..good.len() - 10].to_vec(), "truncated"),
            (b"".to_vec(), "no header"),
            (
                text.replacen("bt-validator-state 1", "bt-validator-state 2", 1)
                    .into_bytes(),
                "version 2",
            ),
            (
                text.replacen("bt-validator-state", "something-else", 1)
                    .into_bytes(),
                "not a validator state",
            ),
            (b"bt-validator-state 1 sha256:00 2\n{}".to_vec(), "checksum"),
        ];
        for (bytes, want) in cases {
            let err = decode(&bytes).unwrap_err();
            assert!(err.contains(want), "{want}: {err}");
        }
        // Unparseable payloads with a right checksum (a bug elsewhere) are caught too.
        let payload = b"{\"netuid\": 1}";
        let forged = [
            format!(
                "bt-validator-state 1 sha256:{} {}\n",
                hex::encode(Sha256::digest(payload)),
                payload.len()
            )
            .as_bytes(),
            payload,
        ]
        .concat();
        assert!(decode(&forged).unwrap_err().contains("does not parse"));
    }

    #[test]
    fn a_crash_between_the_renames_leaves_the_previous_state() {
        // The moment after `state.json` became `state.prev.json` and before the new file was
        // renamed in: only prev and tmp exist.
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path());
        f.save(&state(1)).unwrap();
        fs::rename(f.path(), f.prev_path()).unwrap();
        fs::write(f.tmp_path(), b"half written").unwrap();
        assert_eq!(f.load().unwrap().state, Some((state(1), Source::Previous)));
        f.save(&state(2)).unwrap();
        assert_eq!(f.load().unwrap().state, Some((state(2), Source::Current)));
    }
}
