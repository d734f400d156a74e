//! Limits on sign-in attempts, decided before anything is read or hashed.
//!
//! Two limits, because guessing comes in two shapes:
//!
//! - **Per account** (one password tried against many guesses): after a few consecutive
//!   failures the account's sign-ins pause for a time that doubles with every further
//!   failure, up to a ceiling. While paused, even the right password is refused, or the
//!   pause would not slow guessing at all. A success clears the count; so does a quiet
//!   period as long as the ceiling. Accounts are tracked by the userId *as typed*, known or
//!   not, so the answers never reveal whether an account exists. At most a couple of
//!   attempts per account are checked at once, so a parallel burst cannot slip a hundred
//!   guesses in before the first failure is counted.
//! - **Per client address** (many accounts from one place): a token bucket of attempts
//!   per IPv4 address or IPv6 /64. A successful sign-in gives its token back, so a school
//!   behind one NAT address is limited only by its pupils' typos.
//!
//! Both answer [`ChatError::TooManyAttempts`] with the seconds to wait (HTTP 429 with
//! `Retry-After`). Memory is bounded: idle accounts are forgotten, and a flood of made-up
//! userIds is pruned in amortised constant time.

use crate::error::ChatError;
use crate::rate::{Rate, RateLimiter};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

/// How sign-in attempts are limited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoginLimits {
    /// Consecutive failures an account may have before its sign-ins pause.
    pub free_failures: u32,
    /// The first pause; each further failure doubles it.
    pub first_pause: Duration,
    /// The longest pause, and how long an account's failures are remembered.
    pub longest_pause: Duration,
    /// Attempts per client address (failed ones; successes are given back).
    pub per_client: Rate,
}

impl Default for LoginLimits {
    /// Five free failures, then 1 s, 2 s, 4 s … up to 15 minutes; 50 attempts at once per
    /// address, then one a second.
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_pause: Duration::from_secs(1),
            longest_pause: Duration::from_secs(15 * 60),
            per_client: Rate {
                per_second: 1.0,
                burst: 50.0,
            },
        }
    }
}

/// Attempts of one account checked at the same time, at most.
const MAX_IN_FLIGHT: u32 = 2;
/// Accounts tracked before the first sweep of forgettable ones (see [`LoginGuard`]).
const SWEEP_THRESHOLD: usize = 4096;
/// Accounts tracked at most; past it (after a sweep) new ones are not tracked, and only
/// the per-address limit applies to them.
const MAX_ACCOUNTS: usize = 200_000;

/// What is known about one account's recent attempts.
#[derive(Debug, Clone, Copy)]
struct Account {
    /// Consecutive failures.
    failures: u32,
    /// No attempt before this instant.
    paused_until: Timestamp,
    /// The last failure, to forget the account after a quiet period.
    last_failure: Timestamp,
    /// Attempts being checked right now.
    in_flight: u32,
}

struct Accounts {
    by_id: HashMap<String, Account>,
    /// Size at which the next sweep runs.
    sweep_at: usize,
}

/// The per-account and per-address limits of sign-in attempts.
pub(crate) struct LoginGuard {
    limits: LoginLimits,
    accounts: Mutex<Accounts>,
    clients: RateLimiter<IpAddr>,
}

/// An attempt let through; say how it ended with [`Admission::succeeded`],
/// [`Admission::failed`] or [`Admission::refused`]. Dropped without any (the check itself
/// failed: the store was down), it does not count against anyone.
pub(crate) struct Admission<'a> {
    guard: &'a LoginGuard,
    account: Option<String>,
    client: Option<IpAddr>,
    settled: bool,
}

impl LoginGuard {
    /// A guard applying `limits`.
    pub(crate) fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            accounts: Mutex::new(Accounts {
                by_id: HashMap::new(),
                sweep_at: SWEEP_THRESHOLD,
            }),
            clients: RateLimiter::new(limits.per_client),
        }
    }

    /// Lets an attempt on `account` from `client` through, or says how long to wait.
    pub(crate) fn admit(
        &self,
        account: &str,
        client: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<Admission<'_>, ChatError> {
        let mut accounts = self.lock();
        let tracked = match accounts.by_id.get(account) {
            Some(state) => Some(*state),
            None => {
                self.make_room(&mut accounts, now);
                (accounts.by_id.len() < MAX_ACCOUNTS).then_some(Account {
                    failures: 0,
                    paused_until: Timestamp::MIN,
                    last_failure: Timestamp::MIN,
                    in_flight: 0,
                })
            }
        };
        if let Some(state) = tracked {
            if now < state.paused_until {
                return Err(too_many(micros_between(now, state.paused_until)));
            }
            if state.in_flight >= MAX_IN_FLIGHT {
                return Err(too_many(1_000_000));
            }
        }
        let client = client.map(client_key);
        if let Some(address) = &client
            && let Err(wait) = self.clients.try_take(address, now)
        {
            return Err(too_many(
                i64::try_from(wait.as_micros()).unwrap_or(i64::MAX),
            ));
        }
        let account = tracked.map(|mut state| {
            if self.forgotten(&state, now) {
                state.failures = 0;
            }
            state.in_flight += 1;
            accounts.by_id.insert(account.to_owned(), state);
            account.to_owned()
        });
        Ok(Admission {
            guard: self,
            account,
            client,
            settled: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Accounts> {
        self.accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether an account's failures are old enough to forget.
    fn forgotten(&self, state: &Account, now: Timestamp) -> bool {
        state.failures > 0
            && micros_between(state.last_failure, now) > micros(self.limits.longest_pause)
    }

    /// Before tracking one more account: past the threshold, forget the accounts that
    /// are neither paused, nor being checked, nor recently failed.
    fn make_room(&self, accounts: &mut Accounts, now: Timestamp) {
        if accounts.by_id.len() < accounts.sweep_at {
            return;
        }
        accounts.by_id.retain(|_, state| {
            state.in_flight > 0
                || now < state.paused_until
                || (state.failures > 0 && !self.forgotten(state, now))
        });
        accounts.sweep_at = (accounts.by_id.len() * 2).max(SWEEP_THRESHOLD);
    }

    fn settle(&self, account: Option<&str>, client: Option<&IpAddr>, outcome: Outcome) {
        if let Some(address) = client
            && matches!(outcome, Outcome::Succeeded | Outcome::Uncounted)
        {
            self.clients.refund(address);
        }
        let Some(account) = account else { return };
        let mut accounts = self.lock();
        let Some(state) = accounts.by_id.get_mut(account) else {
            return;
        };
        state.in_flight = state.in_flight.saturating_sub(1);
        match outcome {
            Outcome::Succeeded => state.failures = 0,
            Outcome::Failed(now) => {
                state.failures += 1;
                state.last_failure = now;
                if let Some(over) = state.failures.checked_sub(self.limits.free_failures) {
                    state.paused_until = now.plus_micros(self.pause_micros(over));
                }
            }
            Outcome::Uncounted | Outcome::Refused => {}
        }
        if state.in_flight == 0 && state.failures == 0 {
            accounts.by_id.remove(account);
        }
    }

    /// The pause after `over` failures beyond the free ones: doubling, capped.
    fn pause_micros(&self, over: u32) -> i64 {
        let first = micros(self.limits.first_pause);
        let longest = micros(self.limits.longest_pause);
        first
            .checked_mul(1_i64.checked_shl(over).unwrap_or(i64::MAX))
            .unwrap_or(i64::MAX)
            .min(longest)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed(Timestamp),
    Refused,
    Uncounted,
}

impl Admission<'_> {
    /// The right password: the account's failures are cleared and the address's token
    /// given back.
    pub(crate) fn succeeded(mut self) {
        self.settle(Outcome::Succeeded);
    }

    /// A wrong password (or an unknown account): counted against both.
    pub(crate) fn failed(mut self, now: Timestamp) {
        self.settle(Outcome::Failed(now));
    }

    /// Refused unchecked (the hashing queue was full): the account counts nothing, but
    /// the address's token stays spent, so a client retrying at once, as a flood does,
    /// soon meets its address's pause instead of taking every freed place in the queue.
    pub(crate) fn refused(mut self) {
        self.settle(Outcome::Refused);
    }

    fn settle(&mut self, outcome: Outcome) {
        if !self.settled {
            self.settled = true;
            self.guard
                .settle(self.account.as_deref(), self.client.as_ref(), outcome);
        }
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.settle(Outcome::Uncounted);
    }
}

/// The part of an address one client is assumed to control: an IPv4 address, or an
/// IPv6 /64 (what one household or host is usually given).
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1_u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

fn too_many(wait_micros: i64) -> ChatError {
    let seconds = u64::try_from(wait_micros.max(0)).unwrap_or(u64::MAX);
    ChatError::TooManyAttempts {
        retry_after_secs: seconds.div_ceil(1_000_000).max(1),
    }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn micros_between(from: Timestamp, to: Timestamp) -> i64 {
    to.as_micros().saturating_sub(from.as_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64) -> Timestamp {
        Timestamp::from_micros((seconds * 1_000_000.0) as i64 + 1_700_000_000_000_000).unwrap()
    }

    fn guard() -> LoginGuard {
        LoginGuard::new(LoginLimits {
            per_client: Rate::UNLIMITED,
            ..LoginLimits::default()
        })
    }

    fn retry_after(error: ChatError) -> u64 {
        match error {
            ChatError::TooManyAttempts { retry_after_secs } => retry_after_secs,
            other => panic!("expected too_many_attempts, got {other:?}"),
        }
    }

    #[test]
    fn five_free_failures_then_pauses_that_double_and_refuse_even_the_right_password() {
        let guard = guard();
        for _ in 0..4 {
            guard.admit("alice", None, at(0.0)).unwrap().failed(at(0.0));
        }
        // The fifth failure pauses the account for 1 s.
        guard.admit("alice", None, at(0.0)).unwrap().failed(at(0.0));
        assert_eq!(
            retry_after(guard.admit("alice", None, at(0.5)).err().unwrap()),
            1
        );
        // After the pause one attempt goes through; failing doubles the pause.
        guard.admit("alice", None, at(1.0)).unwrap().failed(at(1.0));
        assert_eq!(
            retry_after(guard.admit("alice", None, at(1.0)).err().unwrap()),
            2
        );
        guard.admit("alice", None, at(3.0)).unwrap().failed(at(3.0));
        assert_eq!(
            retry_after(guard.admit("alice", None, at(3.0)).err().unwrap()),
            4
        );
        // Other accounts are not affected.
        assert!(guard.admit("bob", None, at(3.0)).is_ok());
        // A success after the pause clears everything.
        guard.admit("alice", None, at(7.0)).unwrap().succeeded();
        for _ in 0..4 {
            guard.admit("alice", None, at(7.0)).unwrap().failed(at(7.0));
        }
        assert!(guard.admit("alice", None, at(7.0)).is_ok());
    }

    #[test]
    fn pauses_stop_growing_at_the_ceiling_and_old_failures_are_forgotten() {
        let guard = guard();
        let ceiling = LoginLimits::default().longest_pause.as_secs();
        let mut now = 0.0;
        let mut longest = 0;
        for _ in 0..40 {
            // Each attempt comes as soon as the pause allows, and fails.
            while let Err(error) = guard.admit("alice", None, at(now)) {
                let wait = retry_after(error);
                longest = longest.max(wait);
                now += wait as f64;
            }
            guard.admit("alice", None, at(now)).unwrap().failed(at(now));
        }
        assert_eq!(longest, ceiling);
        // Quiet for longer than the ceiling: the count starts over.
        now += 2.0 * ceiling as f64;
        guard.admit("alice", None, at(now)).unwrap().failed(at(now));
        assert!(guard.admit("alice", None, at(now)).is_ok());
    }

    #[test]
    fn only_a_couple_of_attempts_per_account_are_checked_at_once() {
        let guard = guard();
        let first = guard.admit("alice", None, at(0.0)).unwrap();
        let second = guard.admit("alice", None, at(0.0)).unwrap();
        assert_eq!(
            retry_after(guard.admit("alice", None, at(0.0)).err().unwrap()),
            1
        );
        drop(first);
        second.failed(at(0.0));
        assert!(guard.admit("alice", None, at(0.0)).is_ok());
    }

    #[test]
    fn an_address_gets_a_burst_then_a_steady_rate_and_successes_are_given_back() {
        let guard = LoginGuard::new(LoginLimits {
            per_client: Rate {
                per_second: 1.0,
                burst: 3.0,
            },
            ..LoginLimits::default()
        });
        let here: IpAddr = "192.0.2.7".parse().unwrap();
        let there: IpAddr = "192.0.2.8".parse().unwrap();
        for user in ["a", "b", "c"] {
            guard
                .admit(user, Some(here), at(0.0))
                .unwrap()
                .failed(at(0.0));
        }
        assert_eq!(
            retry_after(guard.admit("d", Some(here), at(0.0)).err().unwrap()),
            1
        );
        assert!(guard.admit("d", Some(there), at(0.0)).is_ok());
        guard.admit("d", Some(here), at(1.0)).unwrap().succeeded();
        guard.admit("e", Some(here), at(1.0)).unwrap().succeeded();
        // An attempt that did not count (the check failed) gives its token back too.
        drop(guard.admit("f", Some(here), at(1.0)).unwrap());
        assert!(guard.admit("g", Some(here), at(1.0)).is_ok());
    }

    #[test]
    fn a_refusal_for_want_of_hashing_costs_the_address_but_not_the_account() {
        let guard = LoginGuard::new(LoginLimits {
            per_client: Rate {
                per_second: 1.0,
                burst: 2.0,
            },
            ..LoginLimits::default()
        });
        let here: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..2 {
            guard.admit("alice", Some(here), at(0.0)).unwrap().refused();
        }
        // Retrying at once meets the address's pause…
        assert_eq!(
            retry_after(guard.admit("alice", Some(here), at(0.0)).err().unwrap()),
            1
        );
        // …while the account counted nothing: five failures still come before its pause.
        let elsewhere = |n: u8| Some(IpAddr::from([192, 0, 2, 10 + n]));
        for n in 0..4 {
            guard
                .admit("alice", elsewhere(n), at(0.0))
                .unwrap()
                .failed(at(0.0));
        }
        assert!(guard.admit("alice", elsewhere(4), at(0.0)).is_ok());
    }

    #[test]
    fn ipv6_clients_are_limited_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_flood_of_made_up_accounts_stays_bounded() {
        let guard = guard();
        for n in 0..(SWEEP_THRESHOLD * 8) {
            guard
                .admit(&format!("nobody{n}"), None, at(0.0))
                .unwrap()
                .failed(at(0.0));
        }
        // One failure each is remembered for a while; much later they are all swept.
        let later = at(2.0 * LoginLimits::default().longest_pause.as_secs_f64());
        for n in 0..(SWEEP_THRESHOLD * 8) {
            drop(guard.admit(&format!("other{n}"), None, later).unwrap());
        }
        assert!(
            guard.lock().by_id.len() <= SWEEP_THRESHOLD,
            "{}",
            guard.lock().by_id.len()
        );
    }
}
