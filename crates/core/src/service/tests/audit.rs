//! Audit before act: an admin's read of someone else's conversation or contacts, and
//! every change to users and links, is written to the audit log before it happens; when
//! the log cannot be written, it does not happen. A participant's own reads are not
//! audited.

use super::{School, at};
use crate::audit::AuditAction;
use crate::error::ErrorCode;
use crate::service::{Actor, PageQuery, UserChanges};
use crate::store::{Link, Store};
use crate::user::{Role, User};

/// `s1` linked with `t1`, a message between them, and the admin `a1`.
async fn school() -> (School, User, User, User) {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let a1 = school.user("a1", Role::Admin).await;
    school.link(&t1, &s1).await;
    school.history("s1+t1", "s1", at(-10), "question").await;
    school.store.take_calls();
    (school, s1, t1, a1)
}

/// Where `call` comes in `calls`; panics if it never does.
fn position(calls: &[&str], call: &str) -> usize {
    calls
        .iter()
        .position(|made| *made == call)
        .unwrap_or_else(|| panic!("{call} was never called: {calls:?}"))
}

#[tokio::test]
async fn an_admins_read_of_a_conversation_is_logged_before_the_messages_are_read() {
    let (school, _, _, a1) = school().await;
    let page = school
        .service
        .read_page(&a1, "t1+s1", PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.page.messages.len(), 1);
    assert_eq!(page.peer_read_at, None, "an admin reads no receipts");
    let calls = school.store.take_calls();
    assert!(position(&calls, "append_audit") < position(&calls, "read_messages"));
    let log = school.store.audit_log().await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].actor.as_str(), log[0].action, log[0].target.as_str()),
        ("a1", AuditAction::ReadConversation, "s1+t1")
    );
    assert_eq!(log[0].at, super::now());
}

#[tokio::test]
async fn an_admins_read_of_someones_contacts_is_logged_before_they_are_listed() {
    let (school, _, _, a1) = school().await;
    let teachers = school.service.list_teachers(&a1, Some("s1")).await.unwrap();
    assert_eq!(teachers.len(), 1);
    let calls = school.store.take_calls();
    assert!(position(&calls, "append_audit") < position(&calls, "linked_contacts"));
    school.service.list_chats(&a1, Some("t1")).await.unwrap();
    let calls = school.store.take_calls();
    assert!(position(&calls, "append_audit") < position(&calls, "active_conversations"));
    let actions: Vec<_> = school
        .store
        .audit_log()
        .await
        .iter()
        .map(|entry| (entry.action, entry.target.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            (AuditAction::ReadContacts, "t1".to_owned()),
            (AuditAction::ReadContacts, "s1".to_owned()),
        ]
    );
}

#[tokio::test]
async fn participants_reading_their_own_conversation_and_contacts_are_not_logged() {
    let (school, s1, t1, _) = school().await;
    school
        .service
        .read_page(&s1, "s1+t1", PageQuery::default())
        .await
        .unwrap();
    school.service.list_teachers(&s1, None).await.unwrap();
    school.service.list_students(&t1, None).await.unwrap();
    school.service.list_chats(&t1, None).await.unwrap();
    assert!(school.store.audit_log().await.is_empty());
}

#[tokio::test]
async fn without_an_audit_log_an_admin_reads_nothing() {
    let (school, _, _, a1) = school().await;
    school.store.break_audit();
    let refused = school
        .service
        .read_page(&a1, "s1+t1", PageQuery::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unavailable);
    let refused = school
        .service
        .list_teachers(&a1, Some("s1"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unavailable);
    let calls = school.store.take_calls();
    for never in ["read_messages", "read_marker", "linked_contacts"] {
        assert!(!calls.contains(&never), "{never} in {calls:?}");
    }
}

#[tokio::test]
async fn links_and_user_changes_are_logged_before_they_are_made() {
    let (school, s1, _, a1) = school().await;
    let t2 = school.user("t2", Role::Teacher).await;
    school.store.take_calls();
    let admin = Actor::User(&a1);
    school.service.add_link(admin, "t2", "s1").await.unwrap();
    let calls = school.store.take_calls();
    assert!(position(&calls, "append_audit") < position(&calls, "add_link"));
    school.service.remove_link(admin, "t2", "s1").await.unwrap();
    let calls = school.store.take_calls();
    assert!(position(&calls, "append_audit") < position(&calls, "remove_link"));
    let rename = UserChanges {
        display_name: Some("Sam"),
        ..UserChanges::default()
    };
    school
        .service
        .update_user(admin, "s1", rename)
        .await
        .unwrap();
    let calls = school.store.take_calls();
    assert!(position(&calls, "append_audit") < position(&calls, "update_user"));
    let log: Vec<_> = school
        .store
        .audit_log()
        .await
        .into_iter()
        .map(|entry| (entry.action, entry.target))
        .collect();
    assert_eq!(
        log,
        [
            (AuditAction::UpdateUser, s1.id.to_string()),
            (AuditAction::RemoveLink, format!("s1+{}", t2.id)),
            (AuditAction::AddLink, format!("s1+{}", t2.id)),
        ],
        "newest first, each with its target"
    );
}

#[tokio::test]
async fn without_an_audit_log_no_link_or_user_changes() {
    let (school, s1, t1, a1) = school().await;
    let t2 = school.user("t2", Role::Teacher).await;
    school.store.break_audit();
    let admin = Actor::User(&a1);
    let refused = school
        .service
        .add_link(admin, "t2", "s1")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unavailable);
    let link = Link {
        teacher: t2.id.clone(),
        student: s1.id.clone(),
    };
    assert!(!school.store.is_linked(&link).await.unwrap());
    let refused = school
        .service
        .remove_link(admin, "t1", "s1")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unavailable);
    let kept = Link {
        teacher: t1.id.clone(),
        student: s1.id.clone(),
    };
    assert!(school.store.is_linked(&kept).await.unwrap());
    let disable = UserChanges {
        disabled: Some(true),
        ..UserChanges::default()
    };
    let refused = school
        .service
        .update_user(admin, "s1", disable)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unavailable);
    let record = school.store.get_user(&s1.id).await.unwrap().unwrap();
    assert!(!record.user.disabled);
    assert_eq!(record.token_version, 0, "no session ended either");
    assert!(school.hub.revoked.lock().unwrap().is_empty());
    let refused = school
        .service
        .export(admin)
        .await
        .err()
        .map(|error| error.code());
    assert_eq!(
        refused,
        Some(ErrorCode::Unavailable),
        "no export without its entry"
    );
}

#[tokio::test]
async fn a_refused_change_is_not_logged() {
    let (school, s1, _, a1) = school().await;
    let admin = Actor::User(&a1);
    // Already linked, unknown user, a student managing: refused before the log.
    assert!(school.service.add_link(admin, "t1", "s1").await.is_err());
    let rename = UserChanges {
        display_name: Some("Nobody"),
        ..UserChanges::default()
    };
    assert!(
        school
            .service
            .update_user(admin, "ghost", rename)
            .await
            .is_err()
    );
    assert!(
        school
            .service
            .add_link(Actor::User(&s1), "t1", "s1")
            .await
            .is_err()
    );
    assert!(school.store.audit_log().await.is_empty());
}

#[tokio::test]
async fn an_unread_count_is_a_participants_own_and_an_admin_gets_none_unaudited() {
    let (school, s1, t1, a1) = school().await;
    assert_eq!(
        school.service.unread_count(&t1, "s1+t1").await.unwrap(),
        Some(1)
    );
    assert_eq!(
        school.service.unread_count(&s1, "t1+s1").await.unwrap(),
        Some(0)
    );
    school.store.take_calls();

    assert_eq!(
        school.service.unread_count(&a1, "s1+t1").await.unwrap(),
        None
    );
    let calls = school.store.take_calls();
    for never in ["unread_count", "append_audit"] {
        assert!(!calls.contains(&never), "{never} in {calls:?}");
    }

    let s2 = school.user("s2", Role::Student).await;
    let refused = school.service.unread_count(&s2, "s1+t1").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    assert!(!school.store.take_calls().contains(&"unread_count"));
}
