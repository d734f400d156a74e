//! Notification settings and the notices a send hands the notifier: the other participant
//! only, held by the recipient's hours (a teacher's own, the school's for students), the
//! sender told until when; settings kept for oneself, rate-limited before any read.

use super::{School, now, status};
use crate::error::ErrorCode;
use crate::notify::{PrefsPatch, Schedule};
use crate::service::Actor;
use crate::service::{Limits, SendRequest};
use crate::settings::SettingsPatch;
use crate::store::Store;
use crate::user::{Role, User};

const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

fn schedule(text: &str) -> Schedule {
    Schedule::decode(text).unwrap()
}

async fn send(
    school: &School,
    caller: &User,
    conversation: &str,
    client_id: Option<&str>,
) -> crate::service::Sent {
    let request = SendRequest {
        conversation_id: conversation,
        author: caller.id.as_str(),
        message_body: "hello",
        client_message_id: client_id,
        origin: None,
        urgent: false,
    };
    school.service.send(caller, request).await.unwrap()
}

async fn pair(school: &School) -> (User, User) {
    let student = school.user("s1", Role::Student).await;
    let teacher = school.user("t1", Role::Teacher).await;
    school.link(&teacher, &student).await;
    (student, teacher)
}

#[tokio::test]
async fn a_send_notifies_the_other_participant_only_and_nothing_is_held_without_hours() {
    let school = School::new();
    let (student, teacher) = pair(&school).await;
    let sent = send(&school, &student, "s1+t1", None).await;
    assert_eq!(sent.quiet, None);
    let notices = school.notifier.taken.lock().unwrap().clone();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].recipient, teacher.id);
    assert_eq!(notices[0].message, sent.message);
    assert_eq!(notices[0].quiet_until, None);
}

#[tokio::test]
async fn a_teachers_office_hours_hold_the_notice_and_the_sender_is_told_until_when() {
    let school = School::new();
    let (student, teacher) = pair(&school).await;
    // The clock stands at Monday 2 March 2026, 09:00 UTC; the teacher's hours begin at
    // 10:00 in London (GMT then).
    let patch = PrefsPatch {
        hours: Some(Some(schedule(
            "Europe/London|mon,tue,wed,thu,fri 10:00-16:00",
        ))),
        ..PrefsPatch::default()
    };
    school
        .service
        .update_notify_settings(&teacher, patch)
        .await
        .unwrap();
    let sent = send(&school, &student, "s1+t1", Some("c1")).await;
    let quiet = sent.quiet.clone().expect("held");
    assert_eq!(quiet.until.to_string(), "2026-03-02T10:00:00.000000Z");
    assert_eq!(quiet.hours, "Mon–Fri 10:00–16:00 (Europe/London)");
    assert_eq!(
        school.notifier.taken.lock().unwrap()[0].quiet_until,
        Some(quiet.until)
    );
    // A retry is told the same, and hands the notifier nothing new.
    let retry = send(&school, &student, "s1+t1", Some("c1")).await;
    assert!(!retry.created);
    assert_eq!(retry.quiet, Some(quiet));
    assert_eq!(school.notifier.taken.lock().unwrap().len(), 1);
    // The teacher's answer to the student is not held by the teacher's own hours.
    assert_eq!(send(&school, &teacher, "s1+t1", None).await.quiet, None);
}

#[tokio::test]
async fn students_follow_the_schools_hours_which_take_effect_at_once() {
    let school = School::new();
    let (_student, teacher) = pair(&school).await;
    let patch = SettingsPatch {
        quiet_hours: Some(Some(schedule(
            "UTC|mon,tue,wed,thu,fri,sat,sun 10:00-21:00",
        ))),
        ..SettingsPatch::default()
    };
    // Read (and remembered) before the change, so the change must be seen at once.
    assert_eq!(send(&school, &teacher, "s1+t1", None).await.quiet, None);
    school
        .service
        .update_settings(Actor::Operator, patch)
        .await
        .unwrap();
    let sent = send(&school, &teacher, "s1+t1", None).await;
    assert_eq!(
        sent.quiet.map(|quiet| quiet.until.to_string()).as_deref(),
        Some("2026-03-02T10:00:00.000000Z")
    );
}

#[tokio::test]
async fn hours_are_read_once_per_while_not_once_per_send() {
    let school = School::new();
    let (student, _teacher) = pair(&school).await;
    send(&school, &student, "s1+t1", None).await;
    school.store.take_calls();
    send(&school, &student, "s1+t1", None).await;
    let calls = school.store.take_calls();
    assert_eq!(calls, ["append_if_linked"], "{calls:?}");
}

#[tokio::test]
async fn only_teachers_keep_hours_and_admins_have_no_notifications() {
    let school = School::new();
    let (student, _teacher) = pair(&school).await;
    let guardian = school.user("g1", Role::Guardian).await;
    let admin = school.user("a1", Role::Admin).await;
    let hours = PrefsPatch {
        hours: Some(Some(schedule("UTC|mon 08:00-09:00"))),
        ..PrefsPatch::default()
    };
    for caller in [&student, &guardian] {
        let refused = school
            .service
            .update_notify_settings(caller, hours.clone())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Forbidden);
    }
    school.store.take_calls();
    let refused = school
        .service
        .add_push_subscription(&admin, "https://push.example/a", P256DH, AUTH)
        .await
        .unwrap_err();
    assert_eq!(status(&refused), 403);
    assert!(school.store.take_calls().is_empty());
    // Everyone else switches push and digests for themselves.
    let off = PrefsPatch {
        push: Some(false),
        email_digest: Some(false),
        ..PrefsPatch::default()
    };
    let view = school
        .service
        .update_notify_settings(&guardian, off)
        .await
        .unwrap();
    assert!(!view.prefs.push && !view.prefs.email_digest);
    assert_eq!(view.vapid_public_key.as_deref(), Some("the-key"));
    assert!(school.store.notify_prefs(&student.id).await.unwrap().push);
}

#[tokio::test]
async fn subscriptions_are_checked_kept_and_removed_for_oneself() {
    let school = School::new();
    let (student, teacher) = pair(&school).await;
    let sub = school
        .service
        .add_push_subscription(&student, "https://push.example/s", P256DH, AUTH)
        .await
        .unwrap();
    assert_eq!(sub.created, now());
    // Refused by the notifier's endpoint check, or malformed: a clear 422, nothing kept.
    for (endpoint, p256dh) in [
        ("https://refused.example/x", P256DH),
        ("ftp://push.example/x", P256DH),
        ("https://push.example/x", AUTH),
    ] {
        let refused = school
            .service
            .add_push_subscription(&student, endpoint, p256dh, AUTH)
            .await
            .unwrap_err();
        assert_eq!(status(&refused), 422, "{endpoint}");
    }
    let view = school.service.notify_settings(&student).await.unwrap();
    assert_eq!(view.subscriptions, vec![sub.clone()]);
    // Someone else's removal leaves it; the owner's removes it.
    school
        .service
        .remove_push_subscription(&teacher, "https://push.example/s")
        .await
        .unwrap();
    assert_eq!(
        school
            .store
            .push_subscriptions(&student.id)
            .await
            .unwrap()
            .len(),
        1
    );
    school
        .service
        .remove_push_subscription(&student, "https://push.example/s")
        .await
        .unwrap();
    assert!(
        school
            .store
            .push_subscriptions(&student.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn settings_changes_are_limited_before_anything_is_read() {
    let school = School::with_limits(Limits::default());
    let (student, _teacher) = pair(&school).await;
    let mut limited = None;
    for _ in 0..40 {
        if let Err(error) = school
            .service
            .update_notify_settings(&student, PrefsPatch::default())
            .await
        {
            limited = Some(error);
            break;
        }
    }
    assert_eq!(
        limited.map(|error| error.code()),
        Some(ErrorCode::RateLimited)
    );
    school.store.take_calls();
    let again = school
        .service
        .add_push_subscription(&student, "https://push.example/s", P256DH, AUTH)
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::RateLimited);
    assert!(school.store.take_calls().is_empty());
}

#[tokio::test]
async fn urgent_sends_bypass_a_students_quiet_hours_for_allowed_teachers_only_and_are_audited() {
    let school = School::new();
    let (student, teacher) = pair(&school).await;
    let other = school.user("t2", Role::Teacher).await;
    school.link(&other, &student).await;
    let quiet = SettingsPatch {
        quiet_hours: Some(Some(schedule("UTC|mon,tue,wed,thu,fri 10:00-21:00"))),
        urgent_senders: Some(vec![teacher.id.clone()]),
        ..SettingsPatch::default()
    };
    school
        .service
        .update_settings(Actor::Operator, quiet)
        .await
        .unwrap();
    let urgent = |conversation: &'static str, author: &'static str| SendRequest {
        conversation_id: conversation,
        author,
        message_body: "the trip leaves at 7",
        client_message_id: None,
        origin: None,
        urgent: true,
    };
    // A student is refused before anything is read; a teacher without the grant after
    // the settings are read, with nothing stored or audited.
    school.store.take_calls();
    let refused = school
        .service
        .send(&student, urgent("s1+t1", "s1"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    assert!(school.store.take_calls().is_empty());
    let audit_before = school.store.audit_log().await.len();
    let refused = school
        .service
        .send(&other, urgent("s1+t2", "t2"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    assert!(!school.store.take_calls().contains(&"append_if_linked"));
    assert_eq!(school.store.audit_log().await.len(), audit_before);

    // The allowed teacher's urgent message is not held, and is audited.
    let sent = school
        .service
        .send(&teacher, urgent("s1+t1", "t1"))
        .await
        .unwrap();
    assert_eq!(sent.quiet, None);
    let notice = school
        .notifier
        .taken
        .lock()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert!(notice.urgent && notice.quiet_until.is_none());
    let audit = school.store.audit_log().await;
    let newest = audit.first().unwrap();
    assert_eq!(newest.action, crate::store::AuditAction::UrgentSend);
    assert_eq!(newest.actor, "t1");
    assert_eq!(newest.target, "s1+t1");
    // Without `urgent`, the same teacher's message waits like anyone's.
    let normal = send(&school, &teacher, "s1+t1", None).await;
    assert!(normal.quiet.is_some());
}
