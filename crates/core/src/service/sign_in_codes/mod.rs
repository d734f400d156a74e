//! First sign-in: one-time sign-in codes for accounts without a password of their own
//! (a roster import creates them so), and a user choosing their password with one.
//!
//! A code is kept where the password hash goes, marked as a code (`code::StoredCode`, the
//! format and the code's symbols), so no store needed a new method and every store keeps
//! codes as it keeps passwords. Hence:
//!
//! - issuing a code replaces whatever password the account had (it doubles as a password
//!   reset) and ends the account's sessions, like any password change;
//! - [`ChatService::login`] never accepts a code as a password ([`is_password_hash`]);
//! - a first sign-in replaces the code with the new password's hash, so a code works once.

mod code;

pub(super) use code::is_password_hash;
pub use code::{MAX_TYPED_CODE_LEN, SIGN_IN_CODE_PATTERN};

use super::admin::Actor;
use super::{ChatService, DUMMY_HASH, SignedIn, ensure_enabled};
use crate::error::{ChatError, ErrorCode};
use crate::hashing::Lane;
use crate::hub::Revocation;
use crate::ids::UserId;
use crate::policy;
use crate::store::{AuditAction, UserPatch};
use crate::time::Timestamp;
use crate::user::Password;
use code::{StoredCode, awaits_password, canonical, grouped, new_code};
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinError, JoinSet};

/// The most accounts one call issues codes for: each costs a hash (~25 ms of a hashing
/// thread) and two store writes, and the answer must come within a request's time limit.
/// A bigger school is done in several calls.
pub const MAX_CODES_PER_CALL: usize = 1_000;
/// How long a code works when the caller does not say: a week, time for the slips to be
/// handed out in class and used.
pub const DEFAULT_CODE_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The shortest validity a caller may ask for.
pub const MIN_CODE_VALIDITY: Duration = Duration::from_secs(3600);
/// The longest validity a caller may ask for: a code is a credential on paper, and the
/// longer it works, the longer a lost slip is a way into the account.
pub const MAX_CODE_VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);

/// Store writes of one batch in flight at once: enough for SQLite's writer to commit many
/// in one transaction and for DynamoDB's round trips to overlap, few enough to take
/// neither's every connection.
const WRITES_IN_FLIGHT: usize = 32;
/// Users read per page when looking for accounts that wait for a password.
const SCAN_PAGE: usize = 200;

/// A sign-in code as issued: whom it is for, the code itself (the only time it exists in
/// clear; it is stored only as a hash), and when it stops working. (`Debug` hides the
/// code.)
#[derive(Clone, PartialEq, Eq)]
pub struct SignInCode {
    /// The account it opens.
    pub user_id: UserId,
    /// `XXXX-XXXX-XXXX`: twelve capital letters and digits, without 0, O, 1 and I. Typed
    /// back, case, spaces and dashes do not matter.
    pub code: String,
    /// The first instant it no longer works.
    pub expires_at: Timestamp,
}

impl fmt::Debug for SignInCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInCode")
            .field("user_id", &self.user_id)
            .field("code", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A first sign-in as it arrived. (No `Debug`: it holds a code and a password.)
#[derive(Clone, Copy)]
pub struct FirstSignIn<'a> {
    /// The userId typed.
    pub user_id: &'a str,
    /// The code typed, as printed or not (case, spaces and dashes are ignored).
    pub code: &'a str,
    /// The password the user chooses; the rules of every new password apply.
    pub new_password: &'a str,
    /// The client's address, when the transport knows it (the per-address limit).
    pub client: Option<IpAddr>,
}

impl ChatService {
    /// Issues a one-time sign-in code for each of `user_ids`, valid for `valid_for`
    /// ([`DEFAULT_CODE_VALIDITY`] if `None`; 1 hour to 30 days). Each code replaces the
    /// account's password, ends its sessions, and is audited as `user.sign_in_code`.
    ///
    /// Admins issue codes for students and teachers, the operator for anyone
    /// ([`policy::may_issue_sign_in_code`]). Every id is checked (1 to
    /// [`MAX_CODES_PER_CALL`] of them, well-formed, existing, allowed) before anything is
    /// hashed or written, so a bad one refuses the whole call with nothing changed; an id
    /// listed twice gets one code. If the store fails part-way, the accounts done so far
    /// hold codes nobody was told: issuing again replaces them.
    pub async fn issue_sign_in_codes(
        &self,
        actor: Actor<'_>,
        user_ids: &[&str],
        valid_for: Option<Duration>,
    ) -> Result<Vec<SignInCode>, ChatError> {
        let actor_name = actor.authorise()?;
        let valid_for = validity(valid_for)?;
        let ids = parse_user_ids(user_ids)?;
        for id in &ids {
            let record = self
                .store
                .get_user(id)
                .await?
                .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
            policy::may_issue_sign_in_code(actor.user(), record.user.role)?;
        }
        let codes = ids
            .iter()
            .map(|_| new_code())
            .collect::<Result<Vec<_>, _>>()?;
        let secrets = codes
            .iter()
            .map(|code| Password::new(code))
            .collect::<Result<Vec<_>, _>>()?;
        let hashes = self.hashing.hash_all(secrets).await?;
        let micros = i64::try_from(valid_for.as_micros()).unwrap_or(i64::MAX);
        let expires_at = self.clock.now().plus_micros(micros);
        // Every audit entry before any code is stored (audit before act), then the codes;
        // a few writes at a time rather than one after another, so that SQLite's writer
        // commits them in groups and DynamoDB's round trips overlap: a thousand codes one
        // by one would wait for two thousand commits in a row.
        // (Each batch of jobs is collected before it runs: the service's futures must be
        // `Send` for every transport, which a lazy iterator of closures held across an
        // await is not.)
        let audits: Vec<_> = ids
            .iter()
            .map(|id| {
                let entry =
                    self.audit_entry(actor_name, AuditAction::IssueSignInCode, id.to_string());
                let store = Arc::clone(&self.store);
                async move { Ok(store.append_audit(&entry).await?) }
            })
            .collect();
        in_flight(audits).await?;
        let writes: Vec<_> = ids
            .iter()
            .zip(&hashes)
            .map(|(id, hash)| {
                let patch = UserPatch {
                    password_hash: Some(StoredCode { expires_at, hash }.format()),
                    revoke_tokens: true,
                    ..UserPatch::default()
                };
                let (store, hub, id) = (Arc::clone(&self.store), Arc::clone(&self.hub), id.clone());
                async move {
                    store
                        .update_user(&id, &patch)
                        .await?
                        .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
                    hub.revoke(&id, Revocation::PasswordChanged).await;
                    Ok(())
                }
            })
            .collect();
        in_flight(writes).await?;
        let issued = ids
            .into_iter()
            .zip(codes)
            .map(|(user_id, code)| SignInCode {
                user_id,
                code: grouped(&code),
                expires_at,
            })
            .collect();
        Ok(issued)
    }

    /// Signs a user in with their sign-in code and sets the password they chose; the user
    /// and their token version on success, exactly as [`Self::login`] answers. The code is
    /// then gone: the account's hash is the new password's.
    ///
    /// Counted by the same sign-in limits as a login, under the same key (the userId as
    /// typed), and answered alike: `invalid_credentials` for an unknown user, a wrong or
    /// expired code, or an account holding no code, at the cost of one hash in every
    /// case, so nothing tells these apart. The new password's rules are checked first:
    /// they say nothing about any account, and a refused password costs neither a hash
    /// nor an attempt. A disabled account gets `account_disabled` after a right code,
    /// and keeps its code.
    pub async fn first_sign_in(&self, attempt: FirstSignIn<'_>) -> Result<SignedIn, ChatError> {
        let FirstSignIn {
            user_id,
            code,
            new_password,
            client,
        } = attempt;
        let new_password = Password::new(new_password)?;
        let typed = canonical(code);
        let secret = Password::attempt(typed.as_deref().unwrap_or_default())?;
        let id = UserId::parse(user_id).ok();
        // The key of `login`: attempts at an account count together whichever way in.
        let key = id
            .as_ref()
            .map_or_else(|| "#invalid".to_owned(), ToString::to_string);
        let admission = self.logins.admit(&key, client, self.clock.now())?;
        let record = match &id {
            Some(id) => self.store.get_user(id).await?,
            None => None,
        };
        let stored = record
            .as_ref()
            .and_then(|record| StoredCode::parse(&record.password_hash));
        let expires_at = stored.map(|code| code.expires_at);
        let hash = stored.map_or(DUMMY_HASH, |code| code.hash).to_owned();
        let matches = match self.hashing.verify(secret, hash, Lane::Open).await {
            Ok(matches) => matches,
            Err(ChatError::Busy) => {
                admission.refused();
                return Err(ChatError::Busy);
            }
            Err(error) => return Err(error),
        };
        let now = self.clock.now();
        let valid = typed.is_some() && matches && expires_at.is_some_and(|at| now < at);
        let Some(record) = record.filter(|_| valid) else {
            admission.failed(now);
            return Err(wrong_code());
        };
        admission.succeeded();
        let user = ensure_enabled(record.user)?;
        let password_hash = self.hashing.hash(new_password).await?;
        // Two uses of one code at the same moment: the second finds the code gone (the
        // store has no compare-and-set, so this narrows the race to the instant between
        // this read and the write).
        let current = self.store.get_user(&user.id).await?;
        if current.is_none_or(|current| current.password_hash != record.password_hash) {
            return Err(wrong_code());
        }
        let patch = UserPatch {
            password_hash: Some(password_hash),
            revoke_tokens: true,
            ..UserPatch::default()
        };
        self.store
            .update_user(&user.id, &patch)
            .await?
            .ok_or_else(wrong_code)?;
        self.hub.revoke(&user.id, Revocation::PasswordChanged).await;
        let updated = self
            .store
            .get_user(&user.id)
            .await?
            .ok_or_else(wrong_code)?;
        Ok(SignedIn {
            user: ensure_enabled(updated.user)?,
            token_version: updated.token_version,
        })
    }

    /// The enabled accounts that wait for a password and hold no code still working (no
    /// password at all, or only an expired code), that `actor` may issue codes for, in
    /// userId order: whom `classchat user codes --without-password` issues codes for.
    /// Accounts holding a code that still works are left out, so running it again does
    /// not void slips already handed out. Reads every account, one store read each
    /// (the `Store` port lists users without their hashes): an operator's batch job.
    pub async fn accounts_awaiting_password(
        &self,
        actor: Actor<'_>,
    ) -> Result<Vec<UserId>, ChatError> {
        actor.authorise()?;
        let now = self.clock.now();
        let mut waiting = Vec::new();
        let mut after: Option<UserId> = None;
        loop {
            let users = self
                .store
                .list_users(None, after.as_ref(), SCAN_PAGE)
                .await?;
            for user in users.iter().filter(|user| !user.disabled) {
                let Some(record) = self.store.get_user(&user.id).await? else {
                    continue;
                };
                if awaits_password(&record.password_hash, now)
                    && policy::may_issue_sign_in_code(actor.user(), record.user.role).is_ok()
                {
                    waiting.push(record.user.id);
                }
            }
            match users.last() {
                Some(last) if users.len() == SCAN_PAGE => after = Some(last.id.clone()),
                _ => return Ok(waiting),
            }
        }
    }
}

/// Runs `jobs` as tasks, at most [`WRITES_IN_FLIGHT`] at a time. After a failure no
/// further job starts; the ones running finish, and the first error is returned.
async fn in_flight<F>(jobs: impl IntoIterator<Item = F>) -> Result<(), ChatError>
where
    F: Future<Output = Result<(), ChatError>> + Send + 'static,
{
    let mut running = JoinSet::new();
    let mut first_error = None;
    for job in jobs {
        if running.len() >= WRITES_IN_FLIGHT
            && let Some(done) = running.join_next().await
        {
            keep_first_error(&mut first_error, done);
        }
        if first_error.is_some() {
            break;
        }
        running.spawn(job);
    }
    while let Some(done) = running.join_next().await {
        keep_first_error(&mut first_error, done);
    }
    first_error.map_or(Ok(()), Err)
}

/// Notes how a job of [`in_flight`] ended, keeping the first failure.
fn keep_first_error(
    first_error: &mut Option<ChatError>,
    done: Result<Result<(), ChatError>, JoinError>,
) {
    let error = match done {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error,
        Err(failed) => ChatError::Internal(format!("a store write stopped: {failed}")),
    };
    first_error.get_or_insert(error);
}

/// The refusal of every failed first sign-in, whatever failed.
fn wrong_code() -> ChatError {
    ChatError::Unauthorized {
        code: ErrorCode::InvalidCredentials,
        message: "wrong userId or sign-in code, or the code has expired".into(),
    }
}

/// The requested validity, or the default; 1 hour to 30 days.
fn validity(requested: Option<Duration>) -> Result<Duration, ChatError> {
    let valid_for = requested.unwrap_or(DEFAULT_CODE_VALIDITY);
    if (MIN_CODE_VALIDITY..=MAX_CODE_VALIDITY).contains(&valid_for) {
        Ok(valid_for)
    } else {
        Err(ChatError::invalid(
            ErrorCode::InvalidRequest,
            "a sign-in code is valid for 1 hour to 30 days (720 hours)",
        ))
    }
}

/// The ids of a call, parsed, in order, each once.
fn parse_user_ids(raw: &[&str]) -> Result<Vec<UserId>, ChatError> {
    if raw.is_empty() || raw.len() > MAX_CODES_PER_CALL {
        return Err(ChatError::invalid(
            ErrorCode::InvalidRequest,
            format!("userIds lists 1 to {MAX_CODES_PER_CALL} users"),
        ));
    }
    let mut seen = HashSet::with_capacity(raw.len());
    let mut ids = Vec::with_capacity(raw.len());
    for (index, raw) in raw.iter().enumerate() {
        let id = UserId::parse(raw).map_err(|error| {
            ChatError::invalid(
                ErrorCode::InvalidUserId,
                format!("userIds[{index}]: {error}"),
            )
        })?;
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_is_one_hour_to_thirty_days_a_week_by_default() {
        assert_eq!(validity(None), Ok(DEFAULT_CODE_VALIDITY));
        for fine in [
            MIN_CODE_VALIDITY,
            MAX_CODE_VALIDITY,
            Duration::from_secs(90 * 60),
        ] {
            assert_eq!(validity(Some(fine)), Ok(fine));
        }
        for wrong in [
            Duration::ZERO,
            Duration::from_secs(3599),
            MAX_CODE_VALIDITY + Duration::from_secs(1),
        ] {
            assert_eq!(
                validity(Some(wrong)).unwrap_err().code(),
                ErrorCode::InvalidRequest
            );
        }
    }

    #[test]
    fn a_call_names_one_to_a_thousand_well_formed_ids_each_once() {
        let ids = parse_user_ids(&["s1", "t1", "s1"]).unwrap();
        assert_eq!(
            ids.iter().map(UserId::as_str).collect::<Vec<_>>(),
            ["s1", "t1"]
        );
        assert_eq!(
            parse_user_ids(&[]).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
        let many: Vec<String> = (0..=MAX_CODES_PER_CALL).map(|n| format!("u{n}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            parse_user_ids(&many).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
        assert!(parse_user_ids(&many[..MAX_CODES_PER_CALL]).is_ok());
        let bad = parse_user_ids(&["s1", "not valid"]).unwrap_err();
        assert_eq!(bad.code(), ErrorCode::InvalidUserId);
        assert!(bad.to_string().starts_with("userIds[1]: "), "{bad}");
    }
}
