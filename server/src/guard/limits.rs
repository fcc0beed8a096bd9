//! Limits per client: token buckets for rates (creating boards, joining rooms) and counters
//! for what is open at once (connections per IP, WebSockets per person). Both keep their
//! state in a map guarded by a mutex held for a few instructions, never across an `.await`,
//! and both bound their memory: a bucket that has refilled is forgotten (it is the same as no
//! bucket), a counter at zero is removed.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Buckets kept before full ones are forgotten: far more clients than a team has, so the
/// pruning (a pass over the map) is rare.
const PRUNE_AT: usize = 4096;
/// Buckets kept at most: past this, after pruning, the limiter forgets everyone (fails open)
/// rather than grow without bound under a flood of addresses.
const MAX_BUCKETS: usize = 65_536;

/// A rate limit per key: `burst` tokens, refilled at `per_minute` a minute.
pub struct RateLimit<K> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Over the limit: how long until the next token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least 1, for the `Retry-After` header.
    pub fn secs(self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

impl<K: Eq + Hash + Clone> RateLimit<K> {
    /// `None` if `per_minute` is 0 (no limit).
    pub fn new(per_minute: u32, burst: u32) -> Option<RateLimit<K>> {
        (per_minute > 0).then(|| RateLimit {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `key` at `now`, or says how long until one is there.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(key) {
            buckets.retain(|_, b| self.level(b, now) < self.burst);
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let tokens = self.level(bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(RetryAfter(Duration::from_secs_f64(
                (1.0 - tokens) / self.per_second,
            )))
        }
    }

    /// The bucket's tokens at `now`.
    fn level(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

/// How many of something each key holds open, at most `max` (0: no limit).
pub struct OpenLimit<K: Eq + Hash> {
    max: usize,
    open: Arc<Mutex<HashMap<K, usize>>>,
}

/// One open thing, counted until it is dropped.
pub struct Slot<K: Eq + Hash> {
    key: K,
    open: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Eq + Hash + Clone> OpenLimit<K> {
    pub fn new(max: usize) -> OpenLimit<K> {
        OpenLimit {
            max,
            open: Arc::default(),
        }
    }

    /// A slot for `key`, or `None` if it holds `max` already.
    pub fn acquire(&self, key: &K) -> Option<Slot<K>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key.clone()).or_insert(0);
        if self.max > 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot {
            key: key.clone(),
            open: self.open.clone(),
        })
    }

    /// How many `key` holds open.
    pub fn count(&self, key: &K) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(key).copied().unwrap_or(0)
    }
}

impl<K: Eq + Hash> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let limit = RateLimit::new(60, 3).unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limit.take(&"a", t0), Ok(()));
        }
        let over = limit.take(&"a", t0).unwrap_err();
        assert_eq!(over.secs(), 1);
        assert_eq!(
            limit.take(&"b", t0),
            Ok(()),
            "another key has its own bucket"
        );
        // One token a second.
        assert_eq!(limit.take(&"a", t0 + Duration::from_millis(1000)), Ok(()));
        assert!(limit.take(&"a", t0 + Duration::from_millis(1500)).is_err());
        // Refills to the burst, no further.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limit.take(&"a", later), Ok(()));
        }
        assert!(limit.take(&"a", later).is_err());
        assert!(RateLimit::<u8>::new(0, 10).is_none(), "0 is no limit");
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let limit = RateLimit::new(60, 1).unwrap();
        let t0 = Instant::now();
        for key in 0..PRUNE_AT {
            limit.take(&key, t0).unwrap();
        }
        assert_eq!(limit.len(), PRUNE_AT);
        // A minute later every bucket is full again: the next new key prunes them all.
        limit
            .take(&usize::MAX, t0 + Duration::from_secs(60))
            .unwrap();
        assert_eq!(limit.len(), 1);
    }

    #[test]
    fn slots_count_until_dropped() {
        let limit = OpenLimit::new(2);
        let a1 = limit.acquire(&"a").unwrap();
        let _a2 = limit.acquire(&"a").unwrap();
        assert!(limit.acquire(&"a").is_none());
        assert!(limit.acquire(&"b").is_some());
        drop(a1);
        assert_eq!(limit.count(&"a"), 1);
        assert!(limit.acquire(&"a").is_some());
        let unlimited = OpenLimit::new(0);
        let held: Vec<_> = (0..1000).map(|_| unlimited.acquire(&1).unwrap()).collect();
        assert_eq!(unlimited.count(&1), 1000);
        drop(held);
        assert_eq!(unlimited.count(&1), 0);
        assert!(
            unlimited.open.lock().unwrap().is_empty(),
            "empty keys are removed"
        );
    }
}
