//! Token-bucket rate limits per key, on the service's clock.

use crate::time::Timestamp;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

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

/// Keys tracked before idle, full buckets are pruned.
const PRUNE_THRESHOLD: usize = 10_000;

/// A token bucket per key.
pub struct RateLimiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
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
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`; `false` when the key is over its rate.
    pub fn allow(&self, key: &K, now: Timestamp) -> bool {
        if self.rate.per_second.is_infinite() {
            return true;
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > PRUNE_THRESHOLD {
            let rate = self.rate;
            buckets.retain(|_, bucket| refill(rate, *bucket, now).tokens < rate.burst);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.rate.burst,
            updated: now,
        });
        *bucket = refill(self.rate, *bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
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
