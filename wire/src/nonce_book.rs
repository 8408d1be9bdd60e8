//! The Synapse axon's replay memory (SDK v9's `nonces` dict): the last nonce accepted from each
//! endpoint (`hotkey:uuid`), bounded overall and per hotkey like the btauth store, so that a
//! valid key that varies its uuid cannot grow it without end.
//!
//! Checking and recording are separate steps, each a short critical section: the axon checks
//! a request's nonce, verifies its signature and body hash with no lock held, and records the
//! nonce last, re-checking it then (two requests with one nonce race to the record; one wins).

use std::collections::HashMap;

use crate::btauth::nonce::StoreError;

/// An endpoint's entry is forgotten once its last nonce is older than this: the nonce window
/// (4 s) plus the widest timeout it counts (60 s). A request with an older nonce fails the
/// window check anyway (dendrites from v7.2.0).
pub const FORGET_AFTER_NS: i64 = 64_000_000_000;

/// The last nonce per endpoint, per hotkey.
#[derive(Debug)]
pub struct NonceBook {
    by_hotkey: HashMap<String, HashMap<String, i64>>,
    total: usize,
    capacity: usize,
    per_hotkey: usize,
}

impl NonceBook {
    /// At most `capacity` endpoints, `per_hotkey` of them for one hotkey.
    pub fn new(capacity: usize, per_hotkey: usize) -> Self {
        Self {
            by_hotkey: HashMap::new(),
            total: 0,
            capacity: capacity.max(1),
            per_hotkey: per_hotkey.max(1),
        }
    }

    /// The last nonce accepted from `hotkey`'s `uuid`.
    pub fn last(&self, hotkey: &str, uuid: &str) -> Option<i64> {
        self.by_hotkey.get(hotkey)?.get(uuid).copied()
    }

    /// How many endpoints are remembered.
    pub fn len(&self) -> usize {
        self.total
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Records `nonce` for `hotkey`'s `uuid` at `now_ns`: `Ok(false)` when it is not newer
    /// than the last one recorded (a replay, or the loser of a race), `Ok(true)` once
    /// recorded. A new endpoint over the hotkey's share, or over the capacity, first makes
    /// room by forgetting stale endpoints; without room it is refused (`HotkeyFull`, `Full`).
    pub fn record(
        &mut self,
        hotkey: &str,
        uuid: &str,
        nonce: i64,
        now_ns: i64,
    ) -> Result<bool, StoreError> {
        if let Some(last) = self.by_hotkey.get_mut(hotkey).and_then(|m| m.get_mut(uuid)) {
            if nonce <= *last {
                return Ok(false);
            }
            *last = nonce;
            return Ok(true);
        }
        let stale_before = now_ns.saturating_sub(FORGET_AFTER_NS);
        if self.by_hotkey.get(hotkey).map_or(0, HashMap::len) >= self.per_hotkey {
            self.forget_stale_of(hotkey, stale_before);
            if self.by_hotkey.get(hotkey).map_or(0, HashMap::len) >= self.per_hotkey {
                return Err(StoreError::HotkeyFull);
            }
        }
        if self.total >= self.capacity {
            self.forget_stale(stale_before);
            if self.total >= self.capacity {
                return Err(StoreError::Full);
            }
        }
        self.by_hotkey
            .entry(hotkey.to_string())
            .or_default()
            .insert(uuid.to_string(), nonce);
        self.total += 1;
        Ok(true)
    }

    fn forget_stale_of(&mut self, hotkey: &str, stale_before: i64) {
        if let Some(m) = self.by_hotkey.get_mut(hotkey) {
            let before = m.len();
            m.retain(|_, last| *last > stale_before);
            self.total -= before - m.len();
            if m.is_empty() {
                self.by_hotkey.remove(hotkey);
            }
        }
    }

    fn forget_stale(&mut self, stale_before: i64) {
        let mut total = 0;
        self.by_hotkey.retain(|_, m| {
            m.retain(|_, last| *last > stale_before);
            total += m.len();
            !m.is_empty()
        });
        self.total = total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn a_nonce_must_grow_per_endpoint() {
        let mut book = NonceBook::new(10, 10);
        assert_eq!(book.record("a", "u", 5 * S, 5 * S), Ok(true));
        assert_eq!(book.record("a", "u", 5 * S, 5 * S), Ok(false), "replay");
        assert_eq!(book.record("a", "u", 4 * S, 5 * S), Ok(false), "older");
        assert_eq!(
            book.record("a", "v", 4 * S, 5 * S),
            Ok(true),
            "another uuid"
        );
        assert_eq!(book.last("a", "u"), Some(5 * S));
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn one_hotkey_varying_its_uuid_is_bounded() {
        let mut book = NonceBook::new(100, 3);
        for i in 0..3 {
            assert_eq!(book.record("a", &i.to_string(), S, S), Ok(true));
        }
        assert_eq!(book.record("a", "x", S, S), Err(StoreError::HotkeyFull));
        assert_eq!(
            book.record("b", "x", S, S),
            Ok(true),
            "others are not held back"
        );
        // Once the hotkey's entries are stale, they make room.
        let later = S + FORGET_AFTER_NS + 1;
        assert_eq!(book.record("a", "x", later, later), Ok(true));
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn the_whole_book_is_bounded() {
        let mut book = NonceBook::new(2, 10);
        assert_eq!(book.record("a", "u", S, S), Ok(true));
        assert_eq!(book.record("b", "u", S, S), Ok(true));
        assert_eq!(book.record("c", "u", S, S), Err(StoreError::Full));
        assert_eq!(
            book.record("a", "u", 2 * S, S),
            Ok(true),
            "known endpoints go on"
        );
        let later = 2 * S + FORGET_AFTER_NS + 1;
        assert_eq!(book.record("c", "u", later, later), Ok(true));
        assert_eq!(book.len(), 1, "the stale ones were forgotten");
    }
}
