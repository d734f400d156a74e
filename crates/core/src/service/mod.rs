//! `ChatService`: the use-cases of classchat, each a method that reads like its name.
//!
//! Transports hand in raw strings from the wire and an authenticated [`User`]; the service
//! validates, applies the [`policy`](crate::policy), talks to the [`Store`], writes the audit
//! log, and returns domain values. No transport ever reaches into the store directly.

mod addressing;
mod admin;
mod chat;
#[cfg(test)]
mod cheap_limits;
mod export;
mod live;
mod replay;

pub use admin::{Actor, NewUser, UserChanges};
pub use chat::{ConversationPage, PageQuery, ReadMarker, SendRequest, Sent};
pub use export::{Export, ExportRecord};
pub use replay::{Buffered, Replay, ReplayBudget};

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::hub::{Hub, NullHub};
use crate::ids::UserId;
use crate::rate::{Rate, RateLimiter};
use crate::store::{AuditAction, AuditEntry, Store};
use crate::time::Clock;
use crate::user::{Password, User, UserRecord};
use std::sync::{Arc, Mutex, OnceLock};

/// Default page size of `read`.
pub const DEFAULT_PAGE_LIMIT: usize = 50;
/// Largest page size of any listing.
pub const MAX_PAGE_LIMIT: usize = 200;

/// How fast one user may act, and how much of the store one of their catch-ups may hold
/// in memory. Every limit here is checked before the store is read for the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Messages per user, over every transport.
    pub send: Rate,
    /// Typing notices per user and conversation; excess notices are dropped silently.
    pub typing: Rate,
    /// `sync` replays per user (`rate_limited` beyond it). Each replay reads every
    /// conversation of the user, so a script reconnecting in a loop must not get to
    /// repeat that freely.
    pub sync: Rate,
    /// The memory one `sync` replay may hold, however many conversations it covers.
    pub replay: ReplayBudget,
}

impl Default for Limits {
    /// Generous for a person typing, tight for a script flooding a classmate; a `sync`
    /// burst is enough for all of a user's devices reconnecting at once (after a network
    /// change or a server restart).
    fn default() -> Self {
        Self {
            send: Rate {
                per_second: 5.0,
                burst: 30.0,
            },
            typing: Rate {
                per_second: 1.0,
                burst: 3.0,
            },
            sync: Rate {
                per_second: 1.0,
                burst: 10.0,
            },
            replay: ReplayBudget::default(),
        }
    }
}

/// The application: one instance per process, shared by every transport.
pub struct ChatService {
    store: Arc<dyn Store>,
    hub: Arc<dyn Hub>,
    clock: Arc<dyn Clock>,
    send_limiter: RateLimiter<UserId>,
    typing_limiter: RateLimiter<(UserId, ConversationId)>,
    sync_limiter: RateLimiter<UserId>,
    /// What one replay may hold in memory.
    replay_budget: ReplayBudget,
    /// Monotonic within the process, so audit entries written in the same millisecond still
    /// sort in the order they happened.
    audit_ids: Mutex<ulid::Generator>,
}

impl ChatService {
    /// A service over `store`, telling time by `clock`, delivering nothing live and with
    /// the default [`Limits`]. Add a hub with [`Self::with_hub`].
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            hub: Arc::new(NullHub),
            clock,
            send_limiter: RateLimiter::new(Limits::default().send),
            typing_limiter: RateLimiter::new(Limits::default().typing),
            sync_limiter: RateLimiter::new(Limits::default().sync),
            replay_budget: Limits::default().replay,
            audit_ids: Mutex::new(ulid::Generator::new()),
        }
    }

    /// The same service, delivering events through `hub`.
    pub fn with_hub(self, hub: Arc<dyn Hub>) -> Self {
        Self { hub, ..self }
    }

    /// The same service with other limits.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self {
            send_limiter: RateLimiter::new(limits.send),
            typing_limiter: RateLimiter::new(limits.typing),
            sync_limiter: RateLimiter::new(limits.sync),
            replay_budget: limits.replay,
            ..self
        }
    }

    /// Succeeds when the store answers (for readiness probes).
    pub async fn ready(&self) -> Result<(), ChatError> {
        Ok(self.store.ping().await?)
    }

    /// Checks a userId and password; the user on success. Unknown users cost the same
    /// hashing work as known ones, so response time does not reveal which ids exist.
    pub async fn login(&self, user_id: &str, password: &str) -> Result<User, ChatError> {
        let bad_credentials = || ChatError::Unauthorized {
            code: ErrorCode::InvalidCredentials,
            message: "wrong userId or password".into(),
        };
        let attempt = Password::attempt(password)?;
        let record = match UserId::parse(user_id) {
            Ok(id) => self.store.get_user(&id).await?,
            Err(_) => None,
        };
        let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
        let matches = run_blocking(move || {
            let hash = stored_hash.as_deref().unwrap_or_else(|| dummy_hash());
            attempt.verify(hash)
        })
        .await?;
        let Some(UserRecord { user, .. }) = record.filter(|_| matches) else {
            return Err(bad_credentials());
        };
        ensure_enabled(user)
    }

    /// The user behind an already-verified token subject. Looked up on every request so
    /// that disabling an account or changing a role takes effect at once.
    pub async fn authenticate(&self, user_id: &str) -> Result<User, ChatError> {
        let id = UserId::parse(user_id).map_err(|_| ChatError::unauthorized("invalid token"))?;
        match self.store.get_user(&id).await? {
            Some(record) => ensure_enabled(record.user),
            None => Err(ChatError::unauthorized("the account no longer exists")),
        }
    }

    /// The user `id`, reusing `caller` when it is them; 404 if unknown.
    async fn known_user(&self, caller: &User, id: &UserId) -> Result<User, ChatError> {
        if &caller.id == id {
            return Ok(caller.clone());
        }
        self.store
            .get_user(id)
            .await?
            .map(|record| record.user)
            .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))
    }

    /// Writes one audit entry. Callers write it *before* doing what it records, so nothing
    /// audited can happen unrecorded.
    async fn audit(
        &self,
        actor: &str,
        action: AuditAction,
        target: String,
    ) -> Result<(), ChatError> {
        let at = self.clock.now();
        let id = {
            let mut generator = self
                .audit_ids
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            generator.generate().unwrap_or_else(|_| ulid::Ulid::new())
        };
        let entry = AuditEntry {
            id: id.to_string(),
            at,
            actor: actor.to_owned(),
            action,
            target,
        };
        Ok(self.store.append_audit(&entry).await?)
    }
}

/// Parses an optional page size, defaulting to `default`, allowing 1–[`MAX_PAGE_LIMIT`].
fn parse_limit(raw: Option<&str>, default: usize) -> Result<usize, ChatError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<usize>() {
        Ok(limit) if (1..=MAX_PAGE_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(ChatError::invalid(
            ErrorCode::InvalidLimit,
            format!("limit is a whole number from 1 to {MAX_PAGE_LIMIT}"),
        )),
    }
}

fn ensure_enabled(user: User) -> Result<User, ChatError> {
    if user.disabled {
        Err(ChatError::Forbidden {
            code: ErrorCode::AccountDisabled,
            message: "this account is disabled".into(),
        })
    } else {
        Ok(user)
    }
}

/// A hash of a password nobody has, verified against when the user is unknown.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        Password::attempt("classchat-timing-equaliser")
            .and_then(|password| password.hash())
            .unwrap_or_default()
    })
}

/// Runs CPU-heavy work (password hashing) off the async executor.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ChatError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ChatError::Internal(format!("blocking task failed: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_stay_in_range() {
        assert_eq!(parse_limit(None, 50), Ok(50));
        assert_eq!(parse_limit(Some("1"), 50), Ok(1));
        assert_eq!(parse_limit(Some("200"), 50), Ok(200));
        for bad in [
            "0",
            "201",
            "abc",
            "-1",
            "",
            "1.5",
            "99999999999999999999999",
        ] {
            assert_eq!(
                parse_limit(Some(bad), 50).unwrap_err().code(),
                ErrorCode::InvalidLimit,
                "{bad}"
            );
        }
    }
}
