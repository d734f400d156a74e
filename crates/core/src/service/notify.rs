//! Reaching people who are away: each user's preferences and push subscriptions, the
//! hours that hold notifications, and the notice handed to the [`Notifier`] after a
//! message is stored.
//!
//! Who is notified is decided here (the other participant of a stored message, never its
//! author); whether and how (online anywhere? push or email?) is the notifier's. The
//! recipient's hours are read through a small cache, so a send costs no store read for
//! them in the common case: a change made on this node is seen at once, one made on
//! another node within [`HOURS_TTL_MICROS`].

use super::{Actor, ChatService};
use crate::conversation::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::message::Message;
use crate::notify::{EmailAddress, Notice, NotifyPrefs, PrefsPatch, PushSubscription, Schedule};
use crate::policy;
use crate::rate::Rate;
use crate::store::AuditAction;
use crate::time::Timestamp;
use crate::user::User;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a node trusts the hours it read (a change made on another node takes at
/// most this long to hold notifications here).
pub const HOURS_TTL_MICROS: i64 = 30_000_000;
/// The most users whose hours one node keeps in memory; beyond it the cache starts over.
const HOURS_CACHE_CAP: usize = 50_000;

/// Changes to one's notification settings and subscriptions, per user: a person needs a
/// few; a script re-registering in a loop must not get to write freely.
pub(crate) const NOTIFY_SETTINGS_RATE: Rate = Rate {
    per_second: 0.5,
    burst: 20.0,
};

/// What a user sees of their notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyView {
    /// Their own choices.
    pub prefs: NotifyPrefs,
    /// The school's hours for students and guardians (what holds their notifications).
    pub school_hours: Option<Schedule>,
    /// The key their browser subscribes with, if push is configured.
    pub vapid_public_key: Option<String>,
    /// Their browsers' subscriptions, oldest first.
    pub subscriptions: Vec<PushSubscription>,
    /// Whether they may send urgent messages (a teacher the school allows).
    pub urgent_allowed: bool,
}

/// The sender's answer when the recipient is in quiet hours: the message is stored and
/// delivered to their open connections, but no notification goes out before `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    /// When the recipient's hours begin.
    pub until: Timestamp,
    /// Those hours, as people write them (`Mon–Fri 08:00–16:00 (Europe/London)`).
    pub hours: String,
}

/// Whose hours: a teacher's own, or the school's for students and guardians.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HoursOf {
    Teacher(UserId),
    School,
}

/// Hours recently read, by whose they are.
#[derive(Default)]
pub(crate) struct HoursCache {
    entries: Mutex<HashMap<HoursOf, (Option<Schedule>, Timestamp)>>,
}

impl HoursCache {
    fn get(&self, key: &HoursOf, now: Timestamp) -> Option<Option<Schedule>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (hours, read_at) = entries.get(key)?;
        (now.as_micros() - read_at.as_micros() < HOURS_TTL_MICROS).then(|| hours.clone())
    }

    fn put(&self, key: HoursOf, hours: Option<Schedule>, now: Timestamp) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= HOURS_CACHE_CAP {
            entries.clear();
        }
        entries.insert(key, (hours, now));
    }

    fn forget(&self, key: &HoursOf) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }
}

impl ChatService {
    /// The caller's notification settings, with what they need to subscribe a browser.
    pub async fn notify_settings(&self, caller: &User) -> Result<NotifyView, ChatError> {
        let prefs = self.store.notify_prefs(&caller.id).await?;
        let settings = self.store.settings().await?;
        let subscriptions = self.store.push_subscriptions(&caller.id).await?;
        Ok(NotifyView {
            prefs,
            urgent_allowed: caller.role == crate::user::Role::Teacher
                && settings.urgent_senders.contains(&caller.id),
            school_hours: settings.quiet_hours,
            vapid_public_key: self.notifier.vapid_public_key(),
            subscriptions,
        })
    }

    /// Changes the caller's own notification settings. Only a teacher keeps hours of
    /// their own; students and guardians follow the school's.
    pub async fn update_notify_settings(
        &self,
        caller: &User,
        patch: PrefsPatch,
    ) -> Result<NotifyView, ChatError> {
        policy::may_change_notify_prefs(caller, patch.hours.is_some())?;
        self.check_notify_rate(caller)?;
        let before = self.store.notify_prefs(&caller.id).await?;
        let after = before.patched(&patch);
        if after != before {
            self.store.put_notify_prefs(&caller.id, &after).await?;
            self.hours_cache
                .forget(&HoursOf::Teacher(caller.id.clone()));
        }
        self.notify_settings(caller).await
    }

    /// Keeps a browser's push subscription for the caller (the browser's
    /// `PushSubscription.toJSON()`), after the notifier has checked the endpoint may be
    /// reached. An endpoint registered by someone else before moves to the caller.
    pub async fn add_push_subscription(
        &self,
        caller: &User,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<PushSubscription, ChatError> {
        policy::may_subscribe_push(caller)?;
        self.check_notify_rate(caller)?;
        let subscription = PushSubscription::parse(endpoint, p256dh, auth, self.clock.now())?;
        self.notifier
            .check_endpoint(&subscription.endpoint)
            .await
            .map_err(|refused| {
                ChatError::validation(
                    ErrorCode::InvalidRequest,
                    format!("this push endpoint cannot be used: {refused}"),
                )
            })?;
        self.store
            .put_push_subscription(&caller.id, &subscription)
            .await?;
        Ok(subscription)
    }

    /// Removes one of the caller's push subscriptions (this browser stops being
    /// notified). Removing one that is not there changes nothing.
    pub async fn remove_push_subscription(
        &self,
        caller: &User,
        endpoint: &str,
    ) -> Result<(), ChatError> {
        policy::may_subscribe_push(caller)?;
        self.check_notify_rate(caller)?;
        let endpoint = crate::notify::subscription::parse_endpoint(endpoint)?;
        self.store
            .remove_push_subscription(&caller.id, &endpoint)
            .await?;
        Ok(())
    }

    /// Turns email digests off for the user an unsubscribe link was made for (the
    /// transport has checked its signature: the link works without signing in). Limited
    /// like one's own settings changes, before anything is read.
    pub async fn unsubscribe_digests(&self, user: &UserId) -> Result<(), ChatError> {
        if !self.notify_limiter.allow(user, self.clock.now()) {
            return Err(ChatError::RateLimited);
        }
        let before = self.store.notify_prefs(user).await?;
        if before.email_digest {
            let after = NotifyPrefs {
                email_digest: false,
                ..before
            };
            self.store.put_notify_prefs(user, &after).await?;
        }
        Ok(())
    }

    /// Sets (or, with `None`, removes) the address `user`'s email digests go to, for an
    /// admin or the operator; audited as `user.update` (`<userId> email`). Admins have no
    /// notifications, so no address.
    pub async fn set_email(
        &self,
        actor: Actor<'_>,
        user: &str,
        email: Option<&str>,
    ) -> Result<Option<EmailAddress>, ChatError> {
        let actor_name = actor.authorise()?;
        let user = UserId::parse(user)?;
        let email = email.map(EmailAddress::parse).transpose()?;
        let Some(record) = self.store.get_user(&user).await? else {
            return Err(ChatError::NotFound(format!("no user {user}")));
        };
        if record.user.role == crate::user::Role::Admin {
            return Err(ChatError::validation(
                ErrorCode::InvalidRole,
                "admins receive no messages, so no email digests",
            ));
        }
        let before = self.store.notify_prefs(&user).await?;
        if before.email == email {
            return Ok(email);
        }
        self.audit(actor_name, AuditAction::UpdateUser, format!("{user} email"))
            .await?;
        let after = NotifyPrefs {
            email: email.clone(),
            ..before
        };
        self.store.put_notify_prefs(&user, &after).await?;
        Ok(email)
    }

    fn check_notify_rate(&self, caller: &User) -> Result<(), ChatError> {
        if self.notify_limiter.allow(&caller.id, self.clock.now()) {
            Ok(())
        } else {
            Err(ChatError::RateLimited)
        }
    }

    /// Hands the notifier a notice for the other participant of a message just stored,
    /// and says whether that person is in quiet hours (the sender is told when they will
    /// be notified). Never fails the send: hours that cannot be read hold nothing.
    /// An `urgent` message is never held.
    pub(crate) async fn notice_stored(
        &self,
        message: &Message,
        urgent: bool,
    ) -> Option<QuietHours> {
        let quiet = match urgent {
            true => None,
            false => self.quiet_hours_of(message).await,
        };
        self.notifier.message_stored(Notice {
            recipient: message.conversation_id.peer_of(&message.author).clone(),
            message: message.clone(),
            quiet_until: quiet.as_ref().map(|quiet| quiet.until),
            urgent,
        });
        quiet
    }

    /// Whether the other participant of `message` is in quiet hours now, and until when
    /// (a retried send is told the same as the first attempt was, if it is still so).
    pub(crate) async fn quiet_hours_of(&self, message: &Message) -> Option<QuietHours> {
        let recipient = message.conversation_id.peer_of(&message.author);
        let now = self.clock.now();
        let schedule = self
            .hours_for(&message.conversation_id, recipient, now)
            .await?;
        let until = schedule.quiet_until(now)?;
        Some(QuietHours {
            until,
            hours: schedule.to_string(),
        })
    }

    /// The hours that hold `recipient`'s notifications in `conversation`: the teacher's
    /// own, or the school's for a student or guardian.
    async fn hours_for(
        &self,
        conversation: &ConversationId,
        recipient: &UserId,
        now: Timestamp,
    ) -> Option<Schedule> {
        let key = if conversation.teacher() == recipient {
            HoursOf::Teacher(recipient.clone())
        } else {
            HoursOf::School
        };
        if let Some(hours) = self.hours_cache.get(&key, now) {
            return hours;
        }
        let read = match &key {
            HoursOf::Teacher(teacher) => self
                .store
                .notify_prefs(teacher)
                .await
                .map(|prefs| prefs.hours),
            HoursOf::School => self.store.settings().await.map(|s| s.quiet_hours),
        };
        // Hours that cannot be read hold nothing (and are not remembered): the store
        // failing here fails the caller's next request visibly anyway.
        let hours = read.ok()?;
        self.hours_cache.put(key, hours.clone(), now);
        hours
    }

    /// Forgets the school's hours read before (after an admin changed them here).
    pub(crate) fn forget_school_hours(&self) {
        self.hours_cache.forget(&HoursOf::School);
    }
}
