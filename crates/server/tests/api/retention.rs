//! Legal holds and the retention policy over the API: an admin holds a user or a
//! conversation (either id order) and lifts the hold, sets `retentionDays` within its
//! limits, and previews a pass, which counts what it would delete, keeps what a hold keeps,
//! deletes nothing and is audited. Everyone else is refused, and changes nothing.

use crate::common::{Reply, TestApp, spawn_app};
use classchat_core::message::NewMessage;
use classchat_core::store::Appended;
use classchat_core::{ConversationId, MessageBody, MessageId, Timestamp, UserId};
use reqwest::Method;
use serde_json::{Value, json};

/// Days before now of the old conversation's messages: older than any policy a test sets.
const OLD_DAYS: i64 = 1200;

/// The audit log, oldest first, as `(actor, action, target)`.
async fn audit(app: &TestApp, admin: &str) -> Vec<(String, String, String)> {
    let reply = app.get("/admin/audit?limit=200", admin).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut entries: Vec<_> = reply.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
            (field("actor"), field("action"), field("target"))
        })
        .collect();
    entries.reverse();
    entries
}

/// The audit entries of `action`, as `(actor, target)`.
async fn audited(app: &TestApp, admin: &str, action: &str) -> Vec<(String, String)> {
    audit(app, admin)
        .await
        .into_iter()
        .filter(|(_, done, _)| done == action)
        .map(|(actor, _, target)| (actor, target))
        .collect()
}

async fn delete(app: &TestApp, token: &str, query: &str) -> Reply {
    app.request(
        Method::DELETE,
        &format!("/admin/holds{query}"),
        Some(token),
        None,
    )
    .await
}

async fn patch_settings(app: &TestApp, token: &str, patch: Value) -> Reply {
    app.request(Method::PATCH, "/admin/settings", Some(token), Some(patch))
        .await
}

async fn preview(app: &TestApp, token: &str) -> Reply {
    app.request(Method::POST, "/admin/retention/preview", Some(token), None)
        .await
}

/// Appends `count` messages from `author` into `conversation`, `days` days ago, straight
/// into the store (the API stamps messages with the present).
async fn append_old(app: &TestApp, conversation: &str, author: &str, count: i64, days: i64) {
    let conversation = ConversationId::parse_canonical(conversation).expect("canonical");
    let now = Timestamp::parse(&app.send_time().await).expect("a timestamp");
    for n in 0..count {
        let message = NewMessage {
            conversation_id: conversation.clone(),
            proposed: now.plus_micros(-days * 86_400_000_000 + n),
            author: UserId::parse(author).expect("userId"),
            body: MessageBody::parse(&format!("old message {n}")).expect("body"),
            message_id: MessageId::generate(),
            client_message_id: None,
            announcement_id: None,
            via: None,
        };
        match app.store.append_if_linked(&message).await {
            Ok(Some(Appended::Created(_))) => {}
            other => panic!("appending: {other:?}"),
        }
    }
}

impl TestApp {
    /// The server's present, as the timestamp of a message s1 sends into `s1+t1`.
    async fn send_time(&self) -> String {
        let s1 = self.login("s1").await;
        let sent = self.send(&s1, "s1+t1", "s1", "what time is it?").await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        sent.body["timestamp"]
            .as_str()
            .expect("timestamp")
            .to_owned()
    }
}

#[tokio::test]
async fn an_admin_holds_a_user_and_a_conversation_in_either_id_order_and_lifts_each_once() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;

    let user = app
        .post(
            "/admin/holds",
            &admin,
            json!({"userId": "s1", "reason": "  case 2026-14\r\n"}),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    assert_eq!(user.body["userId"], "s1");
    assert_eq!(user.body["conversationId"], Value::Null);
    assert_eq!(user.body["by"], "admin");
    assert_eq!(user.body["reason"], "case 2026-14", "stored trimmed");
    assert!(user.body["at"].is_string(), "{}", user.body);

    let conversation = app
        .post("/admin/holds", &admin, json!({"conversationId": "t1+s1"}))
        .await;
    assert_eq!(conversation.status, 201, "{}", conversation.body);
    assert_eq!(conversation.body["conversationId"], "s1+t1", "canonical");
    assert_eq!(conversation.body["userId"], Value::Null);
    assert_eq!(conversation.body["reason"], Value::Null);

    // Holding what is held answers the hold in force, first reason and all.
    let again = app
        .post(
            "/admin/holds",
            &admin,
            json!({"userId": "s1", "reason": "another case"}),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body, user.body);

    let listed = app.get("/admin/holds", &admin).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body,
        json!({"holds": [user.body, conversation.body]}),
        "users first, then conversations"
    );

    assert_eq!(delete(&app, &admin, "?userId=s1").await.status, 204);
    delete(&app, &admin, "?userId=s1")
        .await
        .assert_error(404, "not_found");
    // Either id order, the `+` sent as `%2B`.
    assert_eq!(
        delete(&app, &admin, "?conversationId=t1%2Bs1").await.status,
        204
    );
    delete(&app, &admin, "?conversationId=s1%2Bt1")
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get("/admin/holds", &admin).await.body,
        json!({"holds": []})
    );

    let admin_entries = |entries: Vec<(String, String)>| -> Vec<String> {
        entries
            .into_iter()
            .map(|(actor, target)| {
                assert_eq!(actor, "admin");
                target
            })
            .collect()
    };
    assert_eq!(
        admin_entries(audited(&app, &admin, "hold.set").await),
        ["user:s1", "conversation:s1+t1"],
        "holding what is held is not audited again"
    );
    assert_eq!(
        admin_entries(audited(&app, &admin, "hold.release").await),
        ["user:s1", "conversation:s1+t1"],
        "lifting no hold is not audited"
    );
}

#[tokio::test]
async fn a_hold_names_exactly_one_user_or_conversation_that_exists_with_a_reason_in_bounds() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    for (body, status, code) in [
        (
            json!({"userId": "s1", "conversationId": "s1+t1"}),
            400,
            "invalid_request",
        ),
        (json!({}), 400, "invalid_request"),
        (json!({"reason": "case 1"}), 400, "invalid_request"),
        (json!({"userId": "nobody"}), 404, "not_found"),
        (json!({"userId": "not an id"}), 400, "invalid_user_id"),
        (json!({"conversationId": "s1+nobody"}), 404, "not_found"),
        (
            json!({"conversationId": "s1+s2"}),
            400,
            "invalid_conversation_id",
        ),
        (json!({"userId": 7}), 400, "invalid_json"),
        (
            json!({"userId": "s1", "reason": "x".repeat(501)}),
            422,
            "invalid_request",
        ),
        (
            json!({"userId": "s1", "reason": " \n "}),
            422,
            "invalid_request",
        ),
        (
            json!({"userId": "s1", "reason": "case\u{7}1"}),
            422,
            "invalid_request",
        ),
    ] {
        let reply = app.post("/admin/holds", &admin, body.clone()).await;
        assert_eq!(
            (reply.status.as_u16(), reply.code()),
            (status, code),
            "{body}: {}",
            reply.body
        );
    }
    for query in [
        "",
        "?userId=s1&conversationId=s1%2Bt1",
        "?conversationId=s1%2Bs2",
    ] {
        let reply = delete(&app, &admin, query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
    }
    delete(&app, &admin, "?userId=nobody")
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get("/admin/holds", &admin).await.body,
        json!({"holds": []}),
        "nothing refused was held"
    );
    assert!(audited(&app, &admin, "hold.set").await.is_empty());

    // 500 characters is the limit, not over it.
    let longest = "x".repeat(500);
    let held = app
        .post(
            "/admin/holds",
            &admin,
            json!({"userId": "s2", "reason": longest, "conversationId": null}),
        )
        .await;
    assert_eq!(held.status, 201, "{}", held.body);
    assert_eq!(held.body["reason"], longest);
}

#[tokio::test]
async fn retention_days_is_30_to_36500_or_null_and_absent_leaves_it_as_it_is() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let settings = app.get("/admin/settings", &admin).await;
    assert_eq!(settings.body["retentionDays"], Value::Null, "keep forever");

    for days in [
        json!(7),
        json!(0),
        json!(29),
        json!(36_501),
        json!(-1),
        json!(1095.5),
        json!(1e12),
    ] {
        patch_settings(&app, &admin, json!({"retentionDays": days}))
            .await
            .assert_error(422, "invalid_request");
    }
    patch_settings(&app, &admin, json!({"retentionDays": "1095"}))
        .await
        .assert_error(400, "invalid_json");
    assert_eq!(
        app.get("/admin/settings", &admin).await.body,
        settings.body,
        "refused changes changed nothing"
    );

    // A whole number written with a fraction is that number, as JSON Schema counts.
    for (days, saved) in [
        (json!(30), 30),
        (json!(36_500), 36_500),
        (json!(1095.0), 1095),
    ] {
        let set = patch_settings(&app, &admin, json!({"retentionDays": days})).await;
        assert_eq!(set.status, 200, "{}", set.body);
        assert_eq!(set.body["retentionDays"], saved);
    }
    let kept = patch_settings(&app, &admin, json!({"editWindowMinutes": 5})).await;
    assert_eq!(kept.body["retentionDays"], 1095, "absent: unchanged");
    assert_eq!(
        app.get("/admin/settings", &admin).await.body["retentionDays"],
        1095
    );

    let forever = patch_settings(&app, &admin, json!({"retentionDays": null})).await;
    assert_eq!(forever.status, 200, "{}", forever.body);
    assert_eq!(forever.body["retentionDays"], Value::Null);
    assert_eq!(
        app.get("/admin/settings", &admin).await.body["retentionDays"],
        Value::Null
    );

    let changes: Vec<_> = audited(&app, &admin, "settings.update")
        .await
        .into_iter()
        .map(|(_, target)| target)
        .collect();
    assert!(
        changes
            .iter()
            .any(|change| change.contains("retentionDays=1095"))
            && changes
                .iter()
                .any(|change| change.contains("retentionDays=forever")),
        "{changes:?}"
    );
}

#[tokio::test]
async fn a_preview_counts_what_a_pass_would_delete_keeps_what_a_hold_keeps_and_deletes_nothing() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;

    // No policy: nothing is looked at, and the preview is audited all the same.
    let none = preview(&app, &admin).await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(
        none.body,
        json!({"retentionDays": null, "cutoff": null, "conversations": 0, "messages": 0, "held": 0, "sample": []})
    );

    // Fresh messages are never expired.
    append_old(&app, "s2+t2", "s2", 2, OLD_DAYS).await;
    let set = patch_settings(&app, &admin, json!({"retentionDays": 1095})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let old = app.read(&admin, "s2+t2", "").await;
    let last = old.body["messages"][1]["timestamp"].clone();
    assert!(last.is_string(), "{}", old.body);

    let expired = preview(&app, &admin).await;
    assert_eq!(expired.status, 200, "{}", expired.body);
    assert_eq!(expired.body["retentionDays"], 1095);
    assert!(expired.body["cutoff"].is_string(), "{}", expired.body);
    assert_eq!(
        [
            &expired.body["conversations"],
            &expired.body["messages"],
            &expired.body["held"]
        ],
        [&json!(1), &json!(2), &json!(0)],
        "s2+t2 only, not the fresh s1+t1: {}",
        expired.body
    );
    assert_eq!(
        expired.body["sample"],
        json!([{"conversationId": "s2+t2", "lastMessageAt": last}])
    );

    // A hold on either participant keeps it.
    let held = app
        .post("/admin/holds", &admin, json!({"userId": "t2"}))
        .await;
    assert_eq!(held.status, 201, "{}", held.body);
    let kept = preview(&app, &admin).await;
    assert_eq!(
        [
            &kept.body["conversations"],
            &kept.body["messages"],
            &kept.body["held"]
        ],
        [&json!(0), &json!(0), &json!(1)],
        "{}",
        kept.body
    );
    assert_eq!(kept.body["sample"], json!([]));

    // Nothing was deleted, and each preview is in the audit log with its counts.
    assert_eq!(app.read_all(&admin, "s2+t2").await.len(), 2);
    let previews = audited(&app, &admin, "retention.preview").await;
    assert_eq!(previews.len(), 3, "{previews:?}");
    assert!(previews.iter().all(|(actor, _)| actor == "admin"));
    assert!(
        previews[0]
            .1
            .starts_with("conversations=0 messages=0 held=0 cutoff=none"),
        "{previews:?}"
    );
    assert!(
        previews[1]
            .1
            .starts_with("conversations=1 messages=2 held=0 cutoff="),
        "{previews:?}"
    );
    assert!(
        previews[2]
            .1
            .starts_with("conversations=0 messages=0 held=1 cutoff="),
        "{previews:?}"
    );
    assert!(audited(&app, &admin, "retention.run").await.is_empty());
}

#[tokio::test]
async fn students_teachers_and_guardians_get_403_on_every_retention_route_and_change_nothing() {
    let app = spawn_app().await;
    app.seed_families().await;
    let admin = app.login("admin").await;
    let held = app
        .post("/admin/holds", &admin, json!({"userId": "s2"}))
        .await;
    assert_eq!(held.status, 201, "{}", held.body);
    let holds = app.get("/admin/holds", &admin).await.body;
    let settings = app.get("/admin/settings", &admin).await.body;
    let entries = audit(&app, &admin).await.len();

    for caller in ["s1", "t1", "g1"] {
        let token = app.login(caller).await;
        let replies = [
            app.get("/admin/holds", &token).await,
            app.post(
                "/admin/holds",
                &token,
                json!({"userId": "s1", "reason": "mine"}),
            )
            .await,
            app.post("/admin/holds", &token, json!({"conversationId": "s1+t1"}))
                .await,
            delete(&app, &token, "?userId=s2").await,
            preview(&app, &token).await,
            patch_settings(&app, &token, json!({"retentionDays": 30})).await,
            app.get("/admin/settings", &token).await,
        ];
        for reply in replies {
            reply.assert_error(403, "forbidden");
        }
    }
    assert_eq!(app.get("/admin/holds", &admin).await.body, holds);
    assert_eq!(app.get("/admin/settings", &admin).await.body, settings);
    assert_eq!(
        audit(&app, &admin).await.len(),
        entries,
        "no refusal was audited as an act"
    );
}
