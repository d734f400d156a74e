//! Token-bucket rate limits per key, on the service's clock.

use crate::time::Timestamp;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

/// How fast something may happen: `per_second` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained events per second.
    pub per_second: f64,
    /// Events allowed at once after a quiet period.
    pub burst: f64,
}

impl Rate {
    /// No limit at all (benchmarks).
    pub const UNLIMITED: Rate = Rate {
        per_second: f64::INFINITY,
        burst: f64::INFINITY,
    };
}

/// Keys tracked before the first pruning of idle, full buckets. After each pruning the
/// next one waits until the map has doubled, so a flood of distinct keys costs amortised
/// constant time per call rather than a scan per call.
const PRUNE_THRESHOLD: usize = 10_000;
/// A token bucket per key.
pub struct RateLimiter<K> {
    rate: Rate,
    state: Mutex<Buckets<K>>,
}

struct Buckets<K> {
    buckets: HashMap<K, Bucket>,
    /// Size at which the next pruning runs.
    prune_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Timestamp,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// A limiter allowing `rate` per key.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            state: Mutex::new(Buckets {
                buckets: HashMap::new(),
                prune_at: PRUNE_THRESHOLD,
            }),
        }
    }

    /// Takes one token for `key` at `now`; `false` when the key is over its rate.
    pub fn allow(&self, key: &K, now: Timestamp) -> bool {
        self.try_take(key, now).is_ok()
    }

    /// Takes one token for `key` at `now`, or says how long until one is available.
    pub fn try_take(&self, key: &K, now: Timestamp) -> Result<(), Duration> {
        if self.rate.per_second.is_infinite() {
            return Ok(());
        }
        let rate = self.rate;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.buckets.len() >= state.prune_at {
            state
                .buckets
                .retain(|_, bucket| refill(rate, *bucket, now).tokens < rate.burst);
            state.prune_at = (state.buckets.len() * 2).max(PRUNE_THRESHOLD);
        }
        let bucket = state.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: rate.burst,
            updated: now,
        });
        *bucket = refill(rate, *bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate.per_second;
            Err(Duration::from_secs_f64(wait.clamp(0.0, 86_400.0)))
        }
    }

    /// Gives back a token taken for `key` (an attempt that turned out not to count).
    pub fn refund(&self, key: &K) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(bucket) = state.buckets.get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(self.rate.burst);
        }
    }
}

fn refill(rate: Rate, bucket: Bucket, now: Timestamp) -> Bucket {
    let elapsed_micros = (now.as_micros() - bucket.updated.as_micros()).max(0);
    let elapsed = elapsed_micros as f64 / 1_000_000.0;
    Bucket {
        tokens: (bucket.tokens + elapsed * rate.per_second).min(rate.burst),
        updated: now.max(bucket.updated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64) -> Timestamp {
        Timestamp::from_micros((seconds * 1_000_000.0) as i64).unwrap()
    }

    #[test]
    fn allows_a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(Rate {
            per_second: 2.0,
            burst: 3.0,
        });
        let key = "alice";
        assert!((0..3).all(|_| limiter.allow(&key, at(0.0))));
        assert!(!limiter.allow(&key, at(0.0)));
        assert!(limiter.allow(&key, at(0.5)));
        assert!(!limiter.allow(&key, at(0.5)));
        assert!(limiter.allow(&key, at(10.0)));
    }

    #[test]
    fn an_empty_bucket_says_when_the_next_token_comes_and_refunds_return_one() {
        let limiter = RateLimiter::new(Rate {
            per_second: 0.5,
            burst: 1.0,
        });
        assert_eq!(limiter.try_take(&"a", at(0.0)), Ok(()));
        assert_eq!(limiter.try_take(&"a", at(0.0)), Err(Duration::from_secs(2)));
        assert_eq!(limiter.try_take(&"a", at(1.0)), Err(Duration::from_secs(1)));
        limiter.refund(&"a");
        assert_eq!(limiter.try_take(&"a", at(1.0)), Ok(()));
    }

    #[test]
    fn a_flood_of_distinct_keys_is_pruned_now_and_then_not_on_every_call() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 1.0,
        });
        for key in 0..(PRUNE_THRESHOLD * 3) {
            assert!(limiter.allow(&key, at(0.0)));
        }
        // Much later the first buckets are full again: the next pruning drops them.
        for key in (PRUNE_THRESHOLD * 3)..(PRUNE_THRESHOLD * 6) {
            assert!(limiter.allow(&key, at(100.0)));
        }
        let state = limiter.state.lock().unwrap();
        assert!(!state.buckets.contains_key(&0));
        assert!(
            state.buckets.len() <= PRUNE_THRESHOLD * 3,
            "{}",
            state.buckets.len()
        );
    }

    #[test]
    fn keys_are_independent() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 1.0,
        });
        assert!(limiter.allow(&"a", at(0.0)));
        assert!(!limiter.allow(&"a", at(0.0)));
        assert!(limiter.allow(&"b", at(0.0)));
    }

    #[test]
    fn unlimited_always_allows() {
        let limiter = RateLimiter::new(Rate::UNLIMITED);
        assert!((0..10_000).all(|_| limiter.allow(&"a", at(0.0))));
    }

    #[test]
    fn clock_going_backwards_does_not_mint_tokens() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 1.0,
        });
        assert!(limiter.allow(&"a", at(5.0)));
        assert!(!limiter.allow(&"a", at(1.0)));
    }
}
