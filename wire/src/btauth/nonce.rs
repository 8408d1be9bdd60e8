//! Replay protection's memory: the (hotkey, nonce) pairs accepted inside the freshness window.
//!
//! A pair is written only after its request's signature verified, so unauthenticated traffic
//! cannot fill the store or poison it against a legitimate sender; a pair only needs to outlive
//! the window (`max_age + allowed_skew`), since anything older is refused as stale before the
//! store is asked. [`MemoryNonceStore`] is bounded in entries overall and per hotkey; a server
//! of several processes shares one [`NonceStore`] instead (e.g. Redis `SET NX EX`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::protocol::{DEFAULT_ALLOWED_SKEW, DEFAULT_MAX_AGE};

/// Why a store could not record a pair. The request is refused: accepting it without
/// remembering its nonce would open a replay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store holds as many pairs as it may.
    #[error("too many requests in the freshness window; try again shortly")]
    Full,
    /// This hotkey has as many pairs as one hotkey may.
    #[error("too many requests from this hotkey in the freshness window; slow down")]
    HotkeyFull,
    /// A shared store did not answer.
    #[error("the replay store is unavailable")]
    Unavailable,
}

/// Remembers accepted (hotkey, nonce) pairs.
pub trait NonceStore: Send + Sync + 'static {
    /// Records the pair and answers `Ok(true)` if it was never seen, `Ok(false)` if it was.
    fn check_and_store(
        &self,
        hotkey: &str,
        nonce_ns: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// How long a pair is kept; a verifier refuses a store that forgets sooner than its window.
    fn retention(&self) -> Duration;
}

/// A store shared by reference (e.g. one store behind several layers).
impl<S: NonceStore> NonceStore for Arc<S> {
    fn check_and_store(
        &self,
        hotkey: &str,
        nonce_ns: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).check_and_store(hotkey, nonce_ns)
    }

    fn retention(&self) -> Duration {
        (**self).retention()
    }
}

/// Limits of a [`MemoryNonceStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a pair is kept (at least the verifier's `max_age + allowed_skew`).
    pub retention: Duration,
    /// Pairs held at most; at about 64 bytes each.
    pub capacity: usize,
    /// Pairs one hotkey may hold: a rate limit of `per_hotkey / retention` requests a second.
    pub per_hotkey: usize,
}

impl Default for Limits {
    /// 12 s (the default window), 200,000 pairs (≈ 13 MB), 20,000 per hotkey (≈ 1,600/s).
    fn default() -> Self {
        Self {
            retention: DEFAULT_MAX_AGE + DEFAULT_ALLOWED_SKEW,
            capacity: 200_000,
            per_hotkey: 20_000,
        }
    }
}

/// The in-process store: pairs expire in the order they came (a FIFO of deadlines), so each
/// call does O(1) amortized work and memory never exceeds the capacity.
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    limits: Limits,
    inner: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    by_hotkey: HashMap<Arc<str>, HashSet<i64>>,
    expiry: VecDeque<(Instant, Arc<str>, i64)>,
}

impl Seen {
    fn expire(&mut self, now: Instant) {
        while let Some((deadline, _, _)) = self.expiry.front() {
            if *deadline > now {
                break;
            }
            let Some((_, hotkey, nonce)) = self.expiry.pop_front() else {
                break;
            };
            if let Some(set) = self.by_hotkey.get_mut(&*hotkey) {
                set.remove(&nonce);
                if set.is_empty() {
                    self.by_hotkey.remove(&*hotkey);
                }
            }
        }
    }
}

impl MemoryNonceStore {
    /// A store with these limits.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Seen::default()),
        }
    }

    /// Its limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Pairs held now (expired ones included until the next call drops them).
    pub fn len(&self) -> usize {
        self.inner.lock().map(|s| s.expiry.len()).unwrap_or(0)
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`NonceStore::check_and_store`], synchronously, with `now` given.
    pub fn check_and_store_at(
        &self,
        hotkey: &str,
        nonce_ns: i64,
        now: Instant,
    ) -> Result<bool, StoreError> {
        // A poisoned lock only means another thread panicked mid-update; the data is still a
        // valid set of pairs.
        let mut seen = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        seen.expire(now);
        if let Some(set) = seen.by_hotkey.get(hotkey) {
            if set.contains(&nonce_ns) {
                return Ok(false);
            }
            if set.len() >= self.limits.per_hotkey {
                return Err(StoreError::HotkeyFull);
            }
        }
        if seen.expiry.len() >= self.limits.capacity {
            return Err(StoreError::Full);
        }
        let key: Arc<str> = match seen.by_hotkey.get_key_value(hotkey) {
            Some((k, _)) => k.clone(),
            None => Arc::from(hotkey),
        };
        seen.by_hotkey
            .entry(key.clone())
            .or_default()
            .insert(nonce_ns);
        seen.expiry
            .push_back((now + self.limits.retention, key, nonce_ns));
        Ok(true)
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_store(
        &self,
        hotkey: &str,
        nonce_ns: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        std::future::ready(self.check_and_store_at(hotkey, nonce_ns, Instant::now()))
    }

    fn retention(&self) -> Duration {
        self.limits.retention
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_inside_the_window_and_forgets_after() {
        let store = MemoryNonceStore::new(Limits {
            retention: Duration::from_secs(12),
            capacity: 10,
            per_hotkey: 10,
        });
        let t0 = Instant::now();
        assert_eq!(store.check_and_store_at("a", 1, t0), Ok(true));
        assert_eq!(store.check_and_store_at("a", 1, t0), Ok(false));
        assert_eq!(store.check_and_store_at("b", 1, t0), Ok(true));
        let later = t0 + Duration::from_secs(11);
        assert_eq!(store.check_and_store_at("a", 1, later), Ok(false));
        let after = t0 + Duration::from_secs(12);
        assert_eq!(store.check_and_store_at("a", 1, after), Ok(true));
        // "b" expired with the first "a"; the second "a" is the only pair left.
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn bounded_overall_and_per_hotkey() {
        let store = MemoryNonceStore::new(Limits {
            retention: Duration::from_secs(12),
            capacity: 5,
            per_hotkey: 3,
        });
        let t0 = Instant::now();
        for n in 0..3 {
            assert_eq!(store.check_and_store_at("a", n, t0), Ok(true));
        }
        assert_eq!(
            store.check_and_store_at("a", 9, t0),
            Err(StoreError::HotkeyFull)
        );
        // A replay is still told apart from a new pair when the hotkey is at its limit.
        assert_eq!(store.check_and_store_at("a", 0, t0), Ok(false));
        assert_eq!(store.check_and_store_at("b", 0, t0), Ok(true));
        assert_eq!(store.check_and_store_at("c", 0, t0), Ok(true));
        assert_eq!(store.check_and_store_at("d", 0, t0), Err(StoreError::Full));
        assert_eq!(store.len(), 5);
        let after = t0 + Duration::from_secs(13);
        assert_eq!(store.check_and_store_at("d", 0, after), Ok(true));
        assert_eq!(store.len(), 1);
    }
}
