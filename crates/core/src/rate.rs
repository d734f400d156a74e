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
/// Pruning scans every bucket, so it runs at most this often (in microseconds): a caller
/// able to invent keys (typing notices are keyed by a conversation the client names,
/// checked before the store says whether it exists) cannot make every call a scan.
const PRUNE_EVERY_MICROS: i64 = 1_000_000;

/// A token bucket per key.
pub struct RateLimiter<K> {
    rate: Rate,
    state: Mutex<State<K>>,
}

struct State<K> {
    buckets: HashMap<K, Bucket>,
    /// When idle buckets were last pruned.
    pruned_at: Timestamp,
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
            state: Mutex::new(State {
                buckets: HashMap::new(),
                pruned_at: Timestamp::MIN,
            }),
        }
    }

    /// Takes one token for `key` at `now`; `false` when the key is over its rate.
    pub fn allow(&self, key: &K, now: Timestamp) -> bool {
        if self.rate.per_second.is_infinite() {
            return true;
        }
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = now.as_micros() - state.pruned_at.as_micros() >= PRUNE_EVERY_MICROS;
        if state.buckets.len() > PRUNE_THRESHOLD && due {
            let rate = self.rate;
            state.pruned_at = now;
            state
                .buckets
                .retain(|_, bucket| refill(rate, *bucket, now).tokens < rate.burst);
        }
        let bucket = state.buckets.entry(key.clone()).or_insert(Bucket {
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
    fn idle_keys_are_pruned_at_most_once_a_second() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 2.0,
        });
        let tracked = |limiter: &RateLimiter<usize>| limiter.state.lock().unwrap().buckets.len();
        for key in 0..=PRUNE_THRESHOLD {
            assert!(limiter.allow(&key, at(0.0)));
        }
        // Over the threshold: the first call prunes, but nothing is idle yet.
        assert!(limiter.allow(&0, at(0.5)));
        assert_eq!(tracked(&limiter), PRUNE_THRESHOLD + 1);
        // Half a second later everything is refilled, but the last scan was too recent.
        assert!(limiter.allow(&1, at(1.4)));
        assert_eq!(tracked(&limiter), PRUNE_THRESHOLD + 1);
        // A second after it, the idle buckets go; the keys used since (0 and 1), and the
        // one asked for now, stay.
        assert!(limiter.allow(&2, at(1.6)));
        assert_eq!(tracked(&limiter), 3);
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
