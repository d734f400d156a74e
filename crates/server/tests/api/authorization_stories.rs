//! Who may do what, as stories: the audit trail of admin reads, unlinked pairs, and the
//! rules that change over time (unlinking, disabling). The full matrix of routes × callers
//! is in `authorization`; what strangers are told, in `enumeration`.

use crate::authorization::app_with_seeded_conversation;
use crate::common::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::json;

/// The `action`/`target` pairs of the audit log, newest first.
async fn audit_trail(app: &TestApp, admin: &str) -> Vec<(String, String, String)> {
    let audit = app.get("/admin/audit?limit=200", admin).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap().to_owned();
            (field("actor"), field("action"), field("target"))
        })
        .collect()
}

#[tokio::test]
async fn an_admin_reading_a_conversation_is_written_to_the_audit_log() {
    let (app, _) = app_with_seeded_conversation().await;
    let admin = app.login("admin").await;
    let before = audit_trail(&app, &admin).await;

    let read = app.read(&admin, "s1+t1", "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["messages"][0]["messageBody"], "seed");

    let after = audit_trail(&app, &admin).await;
    assert_eq!(
        after.len(),
        before.len() + 1,
        "exactly one new entry: {after:?}"
    );
    assert_eq!(
        after[0],
        ("admin".into(), "conversation.read".into(), "s1+t1".into())
    );
}

#[tokio::test]
async fn an_admin_listing_someone_elses_teachers_or_chats_is_audited_as_contacts_read() {
    let (app, _) = app_with_seeded_conversation().await;
    let admin = app.login("admin").await;
    let before = audit_trail(&app, &admin).await;

    let teachers = app.get("/chat/get_teachers?user_name=s1", &admin).await;
    assert_eq!(teachers.status, 200, "{}", teachers.body);
    assert_eq!(teachers.body["teachers"][0]["userId"], "t1");
    let after_teachers = audit_trail(&app, &admin).await;
    assert_eq!(after_teachers.len(), before.len() + 1, "{after_teachers:?}");
    assert_eq!(
        after_teachers[0],
        ("admin".into(), "contacts.read".into(), "s1".into())
    );

    let chats = app.get("/chat/get_chats?user_name=t1", &admin).await;
    assert_eq!(chats.status, 200, "{}", chats.body);
    assert_eq!(chats.body["chats"][0]["conversationId"], "s1+t1");
    let after_chats = audit_trail(&app, &admin).await;
    assert_eq!(after_chats.len(), before.len() + 2, "{after_chats:?}");
    assert_eq!(
        after_chats[0],
        ("admin".into(), "contacts.read".into(), "t1".into())
    );
}

#[tokio::test]
async fn participants_reading_their_own_conversation_and_lists_are_not_audited() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s1, t1) = (
        app.login("admin").await,
        app.login("s1").await,
        app.login("t1").await,
    );
    let before = audit_trail(&app, &admin).await;
    assert_eq!(app.read(&s1, "s1+t1", "").await.status, 200);
    assert_eq!(app.read(&t1, "s1+t1", "").await.status, 200);
    assert_eq!(
        app.get("/chat/get_teachers?user_name=s1", &s1).await.status,
        200
    );
    assert_eq!(app.get("/chat/get_chats", &t1).await.status, 200);
    assert_eq!(audit_trail(&app, &admin).await, before);
}

#[tokio::test]
async fn refused_reads_are_not_audited_and_reveal_nothing() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s2) = (app.login("admin").await, app.login("s2").await);
    let before = audit_trail(&app, &admin).await;
    let refused = app.read(&s2, "s1+t1", "").await;
    refused.assert_error(403, "forbidden");
    assert!(refused.body.get("messages").is_none(), "{}", refused.body);
    assert!(
        !refused.body.to_string().contains("seed"),
        "{}",
        refused.body
    );
    assert_eq!(audit_trail(&app, &admin).await, before);
}

#[tokio::test]
async fn a_student_cannot_reach_an_unlinked_teacher_in_either_id_order() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    // Never linked, no history: s1 is told nothing about t2, not even that t2 is a teacher.
    for conversation in ["s1+t2", "t2+s1"] {
        app.read(&s1, conversation, "")
            .await
            .assert_error(403, "forbidden");
        app.send(&s1, conversation, "s1", "let me in")
            .await
            .assert_error(403, "forbidden");
    }
    // And the teacher-first spelling of someone else's conversation is no back door.
    let s2 = app.login("s2").await;
    app.read(&s2, "t1+s1", "")
        .await
        .assert_error(403, "forbidden");
    app.send(&s2, "t1+s1", "s2", "let me in")
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn after_unlinking_the_conversation_stays_readable_but_nobody_can_send() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s1, t1) = (
        app.login("admin").await,
        app.login("s1").await,
        app.login("t1").await,
    );

    let removed = app
        .request(
            Method::DELETE,
            "/admin/links?teacherId=t1&studentId=s1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);

    for (who, token) in [("s1", &s1), ("t1", &t1)] {
        let read = app.read(token, "s1+t1", "").await;
        assert_eq!(
            read.status, 200,
            "{who} reads after unlinking: {}",
            read.body
        );
        assert_eq!(read.body["messages"][0]["messageBody"], "seed", "{who}");
        app.send(token, "s1+t1", who, "still there?")
            .await
            .assert_error(403, "not_linked");
    }
    assert_eq!(
        app.read_all(&s1, "s1+t1").await.len(),
        1,
        "no send got through"
    );
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_their_token_stops_working() {
    let (app, _) = app_with_seeded_conversation().await;
    let (admin, s1) = (app.login("admin").await, app.login("s1").await);

    let disabled = app
        .request(
            Method::PATCH,
            "/admin/users/s1",
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["disabled"], true);

    let login = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"userId": "s1", "password": crate::common::PASSWORD})),
        )
        .await;
    login.assert_error(403, "account_disabled");
    assert!(login.body.get("token").is_none());

    app.get("/chat/get_teachers", &s1)
        .await
        .assert_error(403, "account_disabled");
    app.read(&s1, "s1+t1", "")
        .await
        .assert_error(403, "account_disabled");
    app.send(&s1, "s1+t1", "s1", "am I still here?")
        .await
        .assert_error(403, "account_disabled");
    let messages = app.read_all(&app.login("t1").await, "s1+t1").await;
    assert_eq!(messages.len(), 1, "the disabled user's send was not stored");

    // Re-enabling lets them sign in again.
    let enabled = app
        .request(
            Method::PATCH,
            "/admin/users/s1",
            Some(&admin),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    app.login("s1").await;
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out_nor_change_a_linked_users_role() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let patch = async |user: &str, changes: serde_json::Value| {
        app.request(
            Method::PATCH,
            &format!("/admin/users/{user}"),
            Some(&admin),
            Some(changes),
        )
        .await
    };
    for changes in [json!({"disabled": true}), json!({"role": "teacher"})] {
        patch("admin", changes).await.assert_error(409, "conflict");
    }
    // s1 is linked to t1: a role would no longer fit the links.
    patch("s1", json!({"role": "teacher"}))
        .await
        .assert_error(409, "conflict");
    // Nothing changed: the admin's token still works, s1 is still a student.
    let users = app.get("/admin/users?role=student", &admin).await;
    assert_eq!(users.status, 200);
    assert!(
        users.body["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|user| user["userId"] == "s1"),
        "{}",
        users.body
    );
}
