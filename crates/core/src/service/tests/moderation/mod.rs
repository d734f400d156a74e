//! Safeguarding: edits keep every version, removals are tombstones, pauses stop the
//! student and never the teacher, reports move forward audited, flags never block, and
//! every refusal comes before anything is written (role refusals before anything is read).
//! Reports and flags are in `reports`.

use super::{School, at, now, status};
use crate::error::ErrorCode;
use crate::hub::Event;
use crate::service::{Actor, EditRequest, PageQuery, SendRequest};
use crate::settings::SettingsPatch;
use crate::store::{AuditAction, Store};
use crate::user::{Role, User};

mod reports;

const MINUTE: i64 = 60_000_000;

struct Cast {
    school: School,
    s1: User,
    t1: User,
    s2: User,
    admin: User,
}

async fn cast() -> Cast {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let s2 = school.user("s2", Role::Student).await;
    let admin = school.user("office", Role::Admin).await;
    school.link(&t1, &s1).await;
    school.link(&t1, &s2).await;
    Cast {
        school,
        s1,
        t1,
        s2,
        admin,
    }
}

fn edit<'a>(conversation: &'a str, timestamp: &'a str, body: &'a str) -> EditRequest<'a> {
    EditRequest {
        conversation_id: conversation,
        timestamp,
        message_body: body,
        origin: None,
    }
}

async fn send(
    school: &School,
    caller: &User,
    body: &str,
) -> Result<crate::message::Message, crate::error::ChatError> {
    let request = SendRequest {
        conversation_id: "s1+t1",
        author: caller.id.as_str(),
        message_body: body,
        client_message_id: None,
        origin: None,
        urgent: false,
    };
    school
        .service
        .send(caller, request)
        .await
        .map(|sent| sent.message)
}

fn actions(log: &[crate::store::AuditEntry]) -> Vec<(String, &'static str, String)> {
    let mut entries: Vec<_> = log
        .iter()
        .map(|entry| {
            (
                entry.actor.clone(),
                entry.action.as_str(),
                entry.target.clone(),
            )
        })
        .collect();
    entries.reverse();
    entries
}

#[tokio::test]
async fn an_edit_keeps_every_version_is_audited_first_and_reaches_both_sides() {
    let c = cast().await;
    let sent = c
        .school
        .history("s1+t1", "s1", at(-5 * MINUTE), "helo")
        .await;
    let ts = sent.timestamp.to_string();
    c.school.store.take_calls();
    let edited = c
        .school
        .service
        .edit_message(&c.s1, edit("t1+s1", &ts, "hello"))
        .await
        .unwrap();
    assert_eq!(edited.body.as_str(), "hello");
    assert_eq!(edited.edited_at, Some(now()));
    assert_eq!(edited.timestamp, sent.timestamp, "the order is unaffected");
    let calls = c.school.store.take_calls();
    let audit = calls
        .iter()
        .position(|call| *call == "append_audit")
        .unwrap();
    let revise = calls
        .iter()
        .position(|call| *call == "revise_message")
        .unwrap();
    assert!(audit < revise, "audited before it happens: {calls:?}");
    let log = c.school.store.audit_log().await;
    assert_eq!(
        actions(&log),
        [("s1".to_owned(), "message.edit", format!("s1+t1@{ts}"))]
    );
    let published = c.school.hub.published.lock().unwrap().clone();
    let (delivery, event) = published.last().unwrap();
    assert_eq!(delivery.recipients.len(), 2);
    assert_eq!(event, &Event::Edited(edited.clone()));
    // The same text again changes nothing; the admin sees both versions, audited.
    c.school
        .service
        .edit_message(&c.s1, edit("s1+t1", &ts, "hello"))
        .await
        .unwrap();
    let history = c
        .school
        .service
        .message_history(&c.admin, "s1+t1", &ts)
        .await
        .unwrap();
    assert_eq!(history.message.body.as_str(), "hello");
    let versions: Vec<&str> = history.versions.iter().map(|v| v.body.as_str()).collect();
    assert_eq!(versions, ["helo"]);
    assert_eq!(history.versions[0].written_at, sent.timestamp);
    let log = c.school.store.audit_log().await;
    assert_eq!(log[0].action, AuditAction::ReadHistory);
    assert_eq!(log[0].actor, "office");
}

#[tokio::test]
async fn edits_outside_the_window_or_of_someone_elses_message_change_nothing() {
    let c = cast().await;
    let old = c
        .school
        .history("s1+t1", "s1", at(-16 * MINUTE), "old")
        .await;
    let teachers = c.school.history("s1+t1", "t1", at(-MINUTE), "mine").await;
    let before = c.school.store.read_messages_of("s1+t1").await;
    let refusals = [
        (&c.s1, old.timestamp.to_string(), ErrorCode::NotEditable),
        (&c.s1, teachers.timestamp.to_string(), ErrorCode::Forbidden),
        (&c.s2, teachers.timestamp.to_string(), ErrorCode::Forbidden),
        (
            &c.admin,
            teachers.timestamp.to_string(),
            ErrorCode::Forbidden,
        ),
    ];
    for (caller, ts, code) in refusals {
        let error = c
            .school
            .service
            .edit_message(caller, edit("s1+t1", &ts, "changed"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{} {error}", caller.id);
    }
    assert_eq!(c.school.store.read_messages_of("s1+t1").await, before);
    assert!(c.school.store.audit_log().await.is_empty());
    // A school that turns edits off: refused even at once.
    c.school
        .service
        .update_settings(
            Actor::Operator,
            SettingsPatch {
                edit_window_minutes: Some(0),
                ..SettingsPatch::default()
            },
        )
        .await
        .unwrap();
    let error = c
        .school
        .service
        .edit_message(&c.t1, edit("s1+t1", &teachers.timestamp.to_string(), "x"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("does not allow"), "{error}");
    // An admin is refused before anything is read.
    c.school.store.take_calls();
    let _ = c
        .school
        .service
        .edit_message(
            &c.admin,
            edit("s1+t1", &teachers.timestamp.to_string(), "x"),
        )
        .await;
    assert!(c.school.store.take_calls().is_empty());
}

#[tokio::test]
async fn a_removal_is_a_tombstone_participants_see_no_text_and_admins_do() {
    let c = cast().await;
    let sent = c.school.history("s1+t1", "s1", at(-1), "regret").await;
    let ts = sent.timestamp.to_string();
    let removed = c
        .school
        .service
        .remove_message(&c.s1, "s1+t1", &ts, None)
        .await
        .unwrap();
    assert_eq!(removed.body.as_str(), "");
    assert_eq!(removed.removed_at, Some(now()));
    let published = c.school.hub.published.lock().unwrap().clone();
    assert_eq!(published.last().unwrap().1, Event::Removed(removed.clone()));
    for reader in [&c.s1, &c.t1] {
        let page = c
            .school
            .service
            .read_page(reader, "s1+t1", PageQuery::default())
            .await
            .unwrap();
        assert_eq!(page.page.messages[0].body.as_str(), "", "{}", reader.id);
        let contacts = match reader.role {
            Role::Student => c.school.service.list_teachers(reader, None).await.unwrap(),
            _ => c.school.service.list_chats(reader, None).await.unwrap(),
        };
        let last = contacts[0].last_message.as_ref().unwrap();
        assert_eq!(last.body.as_str(), "", "{}'s contact list", reader.id);
    }
    let page = c
        .school
        .service
        .read_page(&c.admin, "s1+t1", PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.page.messages[0].body.as_str(), "regret");
    assert!(page.page.messages[0].removed_at.is_some());
    let error = c
        .school
        .service
        .edit_message(&c.s1, edit("s1+t1", &ts, "again"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotEditable);
    let log = c.school.store.audit_log().await;
    assert!(
        log.iter()
            .any(|entry| entry.action == AuditAction::RemoveMessage)
    );
}

#[tokio::test]
async fn a_pause_stops_the_student_and_never_the_teacher_and_both_are_told() {
    let c = cast().await;
    let (conversation, pause) = c
        .school
        .service
        .pause_conversation(&c.t1, "t1+s1", Some("Let's talk in class"))
        .await
        .unwrap();
    assert_eq!(conversation.to_string(), "s1+t1");
    let published = c.school.hub.published.lock().unwrap().clone();
    let (delivery, event) = published.last().unwrap();
    assert_eq!(delivery.recipients.len(), 2);
    assert!(matches!(event, Event::Paused { pause: Some(p), .. } if p == &pause));
    let error = send(&c.school, &c.s1, "hello?").await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::ConversationPaused);
    assert_eq!(status(&error), 403);
    assert!(error.to_string().contains("Let's talk in class"), "{error}");
    send(&c.school, &c.t1, "see you tomorrow").await.unwrap();
    let page = c
        .school
        .service
        .read_page(&c.s1, "s1+t1", PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.pause, Some(pause));
    // Another conversation of the same teacher is untouched.
    let request = SendRequest {
        conversation_id: "s2+t1",
        author: "s2",
        message_body: "hi",
        client_message_id: None,
        origin: None,
        urgent: false,
    };
    c.school.service.send(&c.s2, request).await.unwrap();
    c.school
        .service
        .resume_conversation(&c.t1, "s1+t1")
        .await
        .unwrap();
    send(&c.school, &c.s1, "thanks").await.unwrap();
    let log = c.school.store.audit_log().await;
    let steps: Vec<&str> = actions(&log).iter().map(|entry| entry.1).collect();
    assert_eq!(steps, ["conversation.pause", "conversation.resume"]);
}

#[tokio::test]
async fn only_the_school_lifts_its_own_pause_and_members_are_refused_before_any_read() {
    let c = cast().await;
    c.school
        .service
        .pause_conversation(&c.admin, "s1+t1", None)
        .await
        .unwrap();
    let error = c
        .school
        .service
        .resume_conversation(&c.t1, "s1+t1")
        .await
        .unwrap_err();
    assert_eq!(status(&error), 403);
    assert!(
        c.school
            .store
            .pause(&"s1+t1".parse_conversation())
            .await
            .unwrap()
            .is_some()
    );
    c.school.store.take_calls();
    for member in [&c.s1] {
        let error = c
            .school
            .service
            .pause_conversation(member, "s1+t1", None)
            .await
            .unwrap_err();
        assert_eq!(status(&error), 403);
        let error = c
            .school
            .service
            .resume_conversation(member, "s1+t1")
            .await
            .unwrap_err();
        assert_eq!(status(&error), 403);
    }
    assert!(c.school.store.take_calls().is_empty());
    c.school
        .service
        .resume_conversation(&c.admin, "s1+t1")
        .await
        .unwrap();
}

trait ParseConversation {
    fn parse_conversation(&self) -> crate::conversation::ConversationId;
}

impl ParseConversation for str {
    fn parse_conversation(&self) -> crate::conversation::ConversationId {
        crate::conversation::ConversationId::parse_canonical(self).unwrap()
    }
}
