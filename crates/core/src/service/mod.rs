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
mod classes;
mod contacts;
mod export;
mod export_scoped;
mod family;
mod live;
mod moderation;
mod notify;
mod people;
mod replay;
mod roster;
mod roster_emails;
mod sign_in_codes;
#[cfg(test)]
mod tests;

pub use admin::{Actor, NewUser, UserChanges};
pub use chat::{ConversationPage, PageQuery, ReadMarker, SendRequest, Sent};
pub use classes::{AnnounceRequest, AnnouncementSent, Member, MyClass};
pub use export::{Export, ExportRecord};
pub use export_scoped::{
    EXPORT_PAGE, ExportFormat, ExportHeader, ExportSubject, ExportedConversation, ScopedExport,
    ScopedRecord,
};
pub use moderation::{
    EditRequest, HoldRequest, MAX_CONTEXT, MAX_HOLD_REASON_CHARS, MessageHistory, ReportQuery,
    ReportReceipt, ReportRequest, ReportView, RetentionReport,
};
pub use notify::{HOURS_TTL_MICROS, NotifyView, QuietHours};
pub use people::{ClassPage, MAX_SEARCH_LEN, PeoplePage, PeopleQuery, SEARCH_PATTERN};
pub use replay::{Buffered, Replay, ReplayBudget};
pub use roster::{ImportTicket, RosterOutcome};
pub use sign_in_codes::{
    DEFAULT_CODE_VALIDITY, FirstSignIn, MAX_CODE_VALIDITY, MAX_CODES_PER_CALL, MAX_TYPED_CODE_LEN,
    MIN_CODE_VALIDITY, SIGN_IN_CODE_PATTERN, SignInCode,
};

use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::hashing::{HashingConfig, HashingPool, Lane};
use crate::hub::{Hub, NullHub, Revocation};
use crate::ids::UserId;
use crate::login_guard::{LoginGuard, LoginLimits};
use crate::notify::{Notifier, NullNotifier};
use crate::rate::{Rate, RateLimiter};
use crate::store::{AuditAction, AuditEntry, Store, UserPatch};
use crate::time::Clock;
use crate::user::{Password, User};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

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
    /// Sign-in attempts per account and per client address.
    pub login: LoginLimits,
    /// `sync` replays per user (`rate_limited` beyond it). Each replay reads every
    /// conversation of the user, so a script reconnecting in a loop must not get to
    /// repeat that freely.
    pub sync: Rate,
    /// The memory one `sync` replay may hold, however many conversations it covers.
    pub replay: ReplayBudget,
    /// Roster imports (dry runs included) per admin: each reads every imported account
    /// and class.
    pub import: Rate,
    /// Class announcements per teacher (each also takes one token of `send`): one
    /// announcement writes a copy per student.
    pub announce: Rate,
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
            login: LoginLimits::default(),
            sync: Rate {
                per_second: 1.0,
                burst: 10.0,
            },
            replay: ReplayBudget::default(),
            import: roster::IMPORT_RATE,
            announce: classes::ANNOUNCE_RATE,
        }
    }
}

/// A sign-in attempt as it arrived. (No `Debug`: it holds a password.)
#[derive(Clone, Copy)]
pub struct LoginAttempt<'a> {
    /// The userId typed.
    pub user_id: &'a str,
    /// The password typed.
    pub password: &'a str,
    /// The client's address, when the transport knows it (per-address limit).
    pub client: Option<IpAddr>,
    /// The id of a device the transport has verified signed in to `user_id` before (its
    /// device token), if the client showed one.
    pub device: Option<&'a str>,
}

/// A successful sign-in: the user, and the generation their new token must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who signed in.
    pub user: User,
    /// The user's current token version (see [`crate::user::UserRecord::token_version`]).
    pub token_version: u64,
}

/// The application: one instance per process, shared by every transport.
pub struct ChatService {
    store: Arc<dyn Store>,
    hub: Arc<dyn Hub>,
    clock: Arc<dyn Clock>,
    send_limiter: RateLimiter<UserId>,
    typing_limiter: RateLimiter<(UserId, ConversationId)>,
    logins: LoginGuard,
    hashing: HashingPool,
    sync_limiter: RateLimiter<UserId>,
    /// Roster imports per actor: each reads every imported account and class.
    import_limiter: RateLimiter<String>,
    /// Class announcements per teacher.
    announce_limiter: RateLimiter<UserId>,
    /// One roster import at a time in this process, so a plan is applied to the state it
    /// was made from.
    import_lock: tokio::sync::Mutex<()>,
    /// What one replay may hold in memory.
    replay_budget: ReplayBudget,
    /// Reaches people who are away.
    notifier: Arc<dyn Notifier>,
    /// Hours recently read, so a send reads none in the common case.
    hours_cache: notify::HoursCache,
    /// Changes to one's notification settings and subscriptions, per user.
    notify_limiter: RateLimiter<UserId>,
    /// The school's edit window and flag rules, read at most every 30 s.
    rules_cache: moderation::RulesCache,
    /// Reports, pauses and moderation-queue actions, per user.
    moderation_limiter: RateLimiter<UserId>,
    /// Scoped exports (one person, one conversation) per admin: each reads a whole history.
    export_limiter: RateLimiter<UserId>,
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
            logins: LoginGuard::new(Limits::default().login),
            hashing: HashingPool::new(HashingConfig::default()),
            sync_limiter: RateLimiter::new(Limits::default().sync),
            import_limiter: RateLimiter::new(Limits::default().import),
            announce_limiter: RateLimiter::new(Limits::default().announce),
            import_lock: tokio::sync::Mutex::new(()),
            replay_budget: Limits::default().replay,
            notifier: Arc::new(NullNotifier),
            hours_cache: notify::HoursCache::default(),
            notify_limiter: RateLimiter::new(notify::NOTIFY_SETTINGS_RATE),
            rules_cache: moderation::RulesCache::default(),
            moderation_limiter: RateLimiter::new(moderation::MODERATION_RATE),
            export_limiter: RateLimiter::new(export_scoped::EXPORT_RATE),
            audit_ids: Mutex::new(ulid::Generator::new()),
        }
    }

    /// The same service hashing passwords with `config` (how many threads, how long a
    /// queue).
    pub fn with_hashing(self, config: HashingConfig) -> Self {
        Self {
            hashing: HashingPool::new(config),
            ..self
        }
    }

    /// The same service, delivering events through `hub`.
    pub fn with_hub(self, hub: Arc<dyn Hub>) -> Self {
        Self { hub, ..self }
    }

    /// The same service, telling people who are away through `notifier`.
    pub fn with_notifier(self, notifier: Arc<dyn Notifier>) -> Self {
        Self { notifier, ..self }
    }

    /// The same service with other limits.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self {
            send_limiter: RateLimiter::new(limits.send),
            typing_limiter: RateLimiter::new(limits.typing),
            logins: LoginGuard::new(limits.login),
            sync_limiter: RateLimiter::new(limits.sync),
            import_limiter: RateLimiter::new(limits.import),
            announce_limiter: RateLimiter::new(limits.announce),
            replay_budget: limits.replay,
            ..self
        }
    }

    /// Succeeds when the store answers (for readiness probes).
    pub async fn ready(&self) -> Result<(), ChatError> {
        Ok(self.store.ping().await?)
    }

    /// Checks a sign-in attempt; the user and their token version on success.
    ///
    /// The sign-in limits are checked before anything is read or hashed, and answer the
    /// same whether the account exists or not. Unknown users cost the same hashing work as
    /// known ones, so response time does not reveal which ids exist either. An attempt
    /// from a device that signed in to this account before ([`LoginAttempt::device`]) has
    /// a pause count of its own (others' failures do not lock its owner out) and a
    /// priority lane to the hashing threads (a flood of guesses does not keep them out).
    pub async fn login(&self, attempt: LoginAttempt<'_>) -> Result<SignedIn, ChatError> {
        let LoginAttempt {
            user_id,
            password,
            client,
            device,
        } = attempt;
        let bad_credentials = || ChatError::Unauthorized {
            code: ErrorCode::InvalidCredentials,
            message: "wrong userId or password".into(),
        };
        let attempt = Password::attempt(password)?;
        let id = UserId::parse(user_id).ok();
        // Attempts on malformed ids share one key: they can never succeed, and their
        // text (up to the body limit) is not worth remembering. A known device counts
        // apart from the account (`#` never occurs in a userId).
        let (key, lane) = match (&id, device) {
            (Some(id), Some(device)) => (format!("{id}#{device}"), Lane::Trusted),
            (Some(id), None) => (id.to_string(), Lane::Open),
            (None, _) => ("#invalid".to_owned(), Lane::Open),
        };
        let admission = self.logins.admit(&key, client, self.clock.now())?;
        let record = match &id {
            Some(id) => self.store.get_user(id).await?,
            None => None,
        };
        // An account without a password yet (imported from the roster), or holding a
        // sign-in code instead, costs the same work as an unknown one, and never matches:
        // a code is for `first_sign_in` only.
        let has_password = record
            .as_ref()
            .is_some_and(|record| sign_in_codes::is_password_hash(&record.password_hash));
        let stored_hash = record
            .as_ref()
            .filter(|_| has_password)
            .map_or(DUMMY_HASH, |record| record.password_hash.as_str());
        let matches = match self
            .hashing
            .verify(attempt, stored_hash.to_owned(), lane)
            .await
        {
            Ok(matches) => matches,
            Err(ChatError::Busy) => {
                admission.refused();
                return Err(ChatError::Busy);
            }
            Err(error) => return Err(error),
        };
        match record.filter(|_| matches && has_password) {
            Some(record) => {
                admission.succeeded();
                Ok(SignedIn {
                    user: ensure_enabled(record.user)?,
                    token_version: record.token_version,
                })
            }
            None => {
                admission.failed(self.clock.now());
                Err(bad_credentials())
            }
        }
    }

    /// The user behind an already-verified token of `user_id` issued at `token_version`.
    /// Looked up on every request so that disabling an account, changing a role or a
    /// password, or signing out takes effect at once.
    pub async fn authenticate(&self, user_id: &str, token_version: u64) -> Result<User, ChatError> {
        let id = UserId::parse(user_id).map_err(|_| ChatError::unauthorized("invalid token"))?;
        match self.store.get_user(&id).await? {
            Some(record) => {
                let user = ensure_enabled(record.user)?;
                if record.token_version == token_version {
                    Ok(user)
                } else {
                    Err(ChatError::unauthorized(
                        "this session has ended (signed out, or the account changed); sign in again",
                    ))
                }
            }
            None => Err(ChatError::unauthorized("the account no longer exists")),
        }
    }

    /// Signs `caller` out everywhere: every token issued to them so far stops working, and
    /// their open live connections close, on every node.
    pub async fn logout(&self, caller: &User) -> Result<(), ChatError> {
        self.revoke_tokens(&caller.id, Revocation::SignedOut).await
    }

    /// Voids every token of `user` and ends their live connections.
    async fn revoke_tokens(&self, user: &UserId, why: Revocation) -> Result<(), ChatError> {
        let patch = UserPatch {
            revoke_tokens: true,
            ..UserPatch::default()
        };
        self.store
            .update_user(user, &patch)
            .await?
            .ok_or_else(|| ChatError::NotFound(format!("no user {user}")))?;
        self.hub.revoke(user, why).await;
        Ok(())
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
        let entry = self.audit_entry(actor, action, target);
        Ok(self.store.append_audit(&entry).await?)
    }

    /// The audit entry of `actor` doing `action` to `target` now, with the next id.
    fn audit_entry(&self, actor: &str, action: AuditAction, target: String) -> AuditEntry {
        let at = self.clock.now();
        let id = {
            let mut generator = self
                .audit_ids
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            generator.generate().unwrap_or_else(|_| ulid::Ulid::new())
        };
        AuditEntry {
            id: id.to_string(),
            at,
            actor: actor.to_owned(),
            action,
            target,
        }
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

/// A hash of a password nobody has (made with today's parameters), verified against when
/// the user is unknown so that the answer takes as long as for a known user.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Y2xhc3NjaGF0LXRpbWluZw$\
    5hzj1WKs2xAKjAhJCSgcPRQSYBAnOb8uFGgdEzF9UKQ";
