//! `/me/notifications` and `/me/push-subscriptions` through the real server, and the
//! `quietUntil` a sender is told over HTTP and in the WebSocket `ack`.

use crate::common::ws::{WsClient, send_frame};
use crate::common::{now_secs, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Hours in UTC on one day only, three days from now: whatever the time, now is quiet,
/// and the hours begin at 10:00 UTC that day.
fn hours_three_days_on() -> (Value, String) {
    let days_since_epoch = now_secs() / 86_400;
    // 1 January 1970 was a Thursday (index 3 from Monday).
    let day = DAYS[((days_since_epoch + 3 + 3) % 7) as usize];
    let schedule =
        json!({"timeZone": "UTC", "hours": [{"days": [day], "from": "10:00", "to": "11:00"}]});
    let date = time_of_day(days_since_epoch + 3);
    (schedule, format!("{date}T10:00:00.000000Z"))
}

/// `YYYY-MM-DD` of a day counted from the epoch.
fn time_of_day(days_since_epoch: u64) -> String {
    let micros = i64::try_from(days_since_epoch * 86_400_000_000).expect("a date");
    let instant = classchat_core::Timestamp::from_micros(micros).expect("a date");
    instant.to_string()[..10].to_owned()
}

fn subscription(endpoint: &str) -> Value {
    json!({"endpoint": endpoint, "expirationTime": null, "keys": {"p256dh": P256DH, "auth": AUTH}})
}

#[tokio::test]
async fn each_user_keeps_their_own_settings_and_only_teachers_keep_hours() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let t1 = app.login("t1").await;

    let defaults = app.get("/me/notifications", &s1).await;
    assert_eq!(defaults.status, 200, "{}", defaults.body);
    assert_eq!(defaults.body["push"], true);
    assert_eq!(defaults.body["emailDigest"], true);
    assert_eq!(defaults.body["hours"], Value::Null);
    assert_eq!(defaults.body["subscriptions"], json!([]));

    let off = app
        .request(
            Method::PATCH,
            "/me/notifications",
            Some(&s1),
            Some(json!({"emailDigest": false})),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.body["emailDigest"], false);
    assert_eq!(off.body["push"], true);
    assert_eq!(
        app.get("/me/notifications", &t1).await.body["emailDigest"],
        true
    );

    let office = json!({"timeZone": "Europe/London", "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "16:00"}]});
    let set = app
        .request(
            Method::PATCH,
            "/me/notifications",
            Some(&t1),
            Some(json!({"hours": office})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        app.get("/me/notifications", &t1).await.body["hours"],
        office
    );
    app.request(
        Method::PATCH,
        "/me/notifications",
        Some(&s1),
        Some(json!({"hours": office})),
    )
    .await
    .assert_error(403, "forbidden");

    // A bad schedule is a clear 422 and changes nothing.
    for bad in [
        json!({"timeZone": "Mars/Olympus_Mons", "hours": [{"days": ["mon"], "from": "08:00", "to": "16:00"}]}),
        json!({"timeZone": "UTC", "hours": [{"days": ["mon"], "from": "16:00", "to": "08:00"}]}),
        json!({"timeZone": "UTC", "hours": [{"days": ["mon", "mon"], "from": "08:00", "to": "16:00"}]}),
        json!({"timeZone": "UTC", "hours": []}),
    ] {
        let refused = app
            .request(
                Method::PATCH,
                "/me/notifications",
                Some(&t1),
                Some(json!({"hours": bad})),
            )
            .await;
        assert_eq!(refused.status, 422, "{bad}: {}", refused.body);
        assert!(
            refused.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    assert_eq!(
        app.get("/me/notifications", &t1).await.body["hours"],
        office
    );

    // `null` clears; an absent field keeps.
    let kept = app
        .request(
            Method::PATCH,
            "/me/notifications",
            Some(&t1),
            Some(json!({"push": false})),
        )
        .await;
    assert_eq!(kept.body["hours"], office);
    let cleared = app
        .request(
            Method::PATCH,
            "/me/notifications",
            Some(&t1),
            Some(json!({"hours": null})),
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(cleared.body["hours"], Value::Null);
    assert_eq!(cleared.body["push"], false);
}

#[tokio::test]
async fn a_browser_subscribes_moves_to_whoever_registers_it_last_and_unsubscribes() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let t1 = app.login("t1").await;
    let endpoint = "https://push.example/send/one";

    let created = app
        .post("/me/push-subscriptions", &s1, subscription(endpoint))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["endpoint"], endpoint);
    let listed = app.get("/me/notifications", &s1).await.body["subscriptions"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    // The same browser, now signed in as t1.
    let moved = app
        .post("/me/push-subscriptions", &t1, subscription(endpoint))
        .await;
    assert_eq!(moved.status, 201, "{}", moved.body);
    assert_eq!(
        app.get("/me/notifications", &s1).await.body["subscriptions"],
        json!([])
    );
    assert_eq!(
        app.get("/me/notifications", &t1).await.body["subscriptions"][0]["endpoint"],
        endpoint
    );

    // Keys of the wrong size, or not a URL: 422, nothing kept.
    for bad in [
        json!({"endpoint": "https://push.example/x", "keys": {"p256dh": AUTH, "auth": AUTH}}),
        json!({"endpoint": "https://push.example/x", "keys": {"p256dh": P256DH, "auth": P256DH}}),
        json!({"endpoint": "push.example/x", "keys": {"p256dh": P256DH, "auth": AUTH}}),
    ] {
        let refused = app.post("/me/push-subscriptions", &s1, bad.clone()).await;
        assert_eq!(refused.status, 422, "{bad}: {}", refused.body);
    }
    assert_eq!(
        app.get("/me/notifications", &s1).await.body["subscriptions"],
        json!([])
    );

    // s1 cannot remove t1's; t1 can.
    let query = format!(
        "/me/push-subscriptions?endpoint={}",
        "https%3A%2F%2Fpush.example%2Fsend%2Fone"
    );
    let theirs = app.request(Method::DELETE, &query, Some(&s1), None).await;
    assert_eq!(theirs.status, 204);
    assert_eq!(
        app.get("/me/notifications", &t1).await.body["subscriptions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let removed = app.request(Method::DELETE, &query, Some(&t1), None).await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        app.get("/me/notifications", &t1).await.body["subscriptions"],
        json!([])
    );
    app.request(Method::DELETE, "/me/push-subscriptions", Some(&t1), None)
        .await
        .assert_error(422, "invalid_request");
}

#[tokio::test]
async fn the_sender_learns_when_someone_in_quiet_hours_will_be_notified() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let t1 = app.login("t1").await;
    let admin = app.login("admin").await;
    let (hours, begins) = hours_three_days_on();
    let set = app
        .request(
            Method::PATCH,
            "/me/notifications",
            Some(&t1),
            Some(json!({"hours": hours})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);

    // Over HTTP.
    let sent = app.send(&s1, "s1+t1", "s1", "are you there?").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["quietUntil"], begins.as_str());
    assert!(
        sent.body["quietHours"]
            .as_str()
            .is_some_and(|text| text.ends_with("10:00–11:00 (UTC)")),
        "{}",
        sent.body
    );
    assert_eq!(sent.body["messageBody"], "are you there?");

    // In the WebSocket `ack`.
    let mut socket = WsClient::connect(app.addr, &s1).await;
    socket
        .send_json(send_frame("s1+t1", "and now?", "c-quiet"))
        .await;
    let ack = socket.expect_type("ack").await;
    assert_eq!(ack["quietUntil"], begins.as_str(), "{ack}");
    assert_eq!(ack["clientMessageId"], "c-quiet");

    // The teacher's answer to a student: no school hours yet, so nothing is held…
    let answer = app.send(&t1, "s1+t1", "t1", "yes").await;
    assert_eq!(answer.body.get("quietUntil"), None, "{}", answer.body);
    // …until the school sets hours for students, which applies at once.
    let (school_hours, school_begins) = hours_three_days_on();
    let patched = app
        .request(
            Method::PATCH,
            "/admin/settings",
            Some(&admin),
            Some(json!({"quietHours": school_hours})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["quietHours"], school_hours);
    let held = app.send(&t1, "s1+t1", "t1", "tomorrow, then").await;
    assert_eq!(
        held.body["quietUntil"],
        school_begins.as_str(),
        "{}",
        held.body
    );
    assert_eq!(
        app.get("/me/notifications", &s1).await.body["schoolHours"],
        school_hours
    );
    socket.close().await;
}

#[tokio::test]
async fn an_admin_allows_a_teacher_urgent_messages_which_are_never_held_and_always_audited() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let t1 = app.login("t1").await;
    let admin = app.login("admin").await;
    let (school_hours, _) = hours_three_days_on();
    let urgent = |author: &str| json!({"conversationId": "s1+t1", "author": author, "messageBody": "the bus leaves at 7", "urgent": true});

    // Not allowed yet: refused, nothing stored.
    let before = app.read_all(&t1, "s1+t1").await.len();
    app.post("/chat/send", &t1, urgent("t1"))
        .await
        .assert_error(403, "forbidden");
    app.post("/chat/send", &s1, urgent("s1"))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(app.read_all(&t1, "s1+t1").await.len(), before);

    // Only teachers can be allowed.
    app.request(
        Method::PATCH,
        "/admin/settings",
        Some(&admin),
        Some(json!({"urgentSenders": ["s1"]})),
    )
    .await
    .assert_error(422, "invalid_role");
    app.request(
        Method::PATCH,
        "/admin/settings",
        Some(&admin),
        Some(json!({"urgentSenders": ["nobody"]})),
    )
    .await
    .assert_error(404, "not_found");
    let allowed = app
        .request(
            Method::PATCH,
            "/admin/settings",
            Some(&admin),
            Some(json!({"urgentSenders": ["t1"], "quietHours": school_hours})),
        )
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(allowed.body["urgentSenders"], json!(["t1"]));

    let sent = app.post("/chat/send", &t1, urgent("t1")).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body.get("quietUntil"), None, "{}", sent.body);
    let normal = app.send(&t1, "s1+t1", "t1", "and bring lunch").await;
    assert!(normal.body["quietUntil"].is_string(), "{}", normal.body);
    let audit = app.get("/admin/audit", &admin).await.body;
    let urgent_entries: Vec<&Value> = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["action"] == "message.urgent")
        .collect();
    assert_eq!(urgent_entries.len(), 1, "{audit}");
    assert_eq!(urgent_entries[0]["actor"], "t1");
    assert_eq!(urgent_entries[0]["target"], "s1+t1");
}

#[tokio::test]
async fn an_unsubscribe_link_works_without_signing_in_only_when_posted_and_only_if_genuine() {
    let app = spawn_app().await;
    let t1 = app.login("t1").await;
    let user = classchat_core::UserId::parse("t1").unwrap();
    let token = classchat_core::notify::email::unsubscribe_token(crate::common::SECRET, &user);
    let link = format!("/unsubscribe?token={token}");
    let digests_on = async || app.get("/me/notifications", &t1).await.body["emailDigest"].clone();

    // Opening the link (as a mail scanner would) only asks.
    let page = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'none'") && policy.contains("form-action 'self'"));
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\">"), "{html}");
    assert_eq!(digests_on().await, true);

    // A forged or mangled token: a 400 page, nothing changed.
    let forged = classchat_core::notify::email::unsubscribe_token(b"another secret", &user);
    for bad in [
        format!("/unsubscribe?token={forged}"),
        "/unsubscribe?token=garbage".into(),
        "/unsubscribe".into(),
    ] {
        let refused = app.client.post(app.url(&bad)).send().await.unwrap();
        assert_eq!(refused.status(), 400, "{bad}");
    }
    assert_eq!(digests_on().await, true);

    // Posting it (the page's button, or a mail client's one-click) turns digests off.
    let done = app.client.post(app.url(&link)).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Email digests are off"));
    assert_eq!(digests_on().await, false);
    let again = app.client.post(app.url(&link)).send().await.unwrap();
    assert_eq!(again.status(), 200, "the same link works twice");
}

#[tokio::test]
async fn an_admin_sets_where_someones_digests_go_and_it_is_audited() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let admin = app.login("admin").await;
    let set = app
        .request(
            Method::PUT,
            "/admin/users/s1/email",
            Some(&admin),
            Some(json!({"email": "sam@school.example"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["email"], "sam@school.example");
    assert_eq!(
        app.get("/me/notifications", &s1).await.body["email"],
        "sam@school.example"
    );
    let audit = app.get("/admin/audit", &admin).await.body;
    assert_eq!(audit["entries"][0]["action"], "user.update", "{audit}");
    assert_eq!(audit["entries"][0]["target"], "s1 email");

    for (path, body, status, code) in [
        (
            "/admin/users/s1/email",
            json!({"email": "not an address"}),
            422,
            "invalid_request",
        ),
        (
            "/admin/users/admin/email",
            json!({"email": "office@school.example"}),
            422,
            "invalid_role",
        ),
        (
            "/admin/users/nobody/email",
            json!({"email": "x@school.example"}),
            404,
            "not_found",
        ),
    ] {
        app.request(Method::PUT, path, Some(&admin), Some(body))
            .await
            .assert_error(status, code);
    }
    app.request(
        Method::PUT,
        "/admin/users/s1/email",
        Some(&s1),
        Some(json!({"email": null})),
    )
    .await
    .assert_error(403, "forbidden");
    let removed = app
        .request(
            Method::PUT,
            "/admin/users/s1/email",
            Some(&admin),
            Some(json!({"email": null})),
        )
        .await;
    assert_eq!(removed.body["email"], Value::Null);
    assert_eq!(
        app.get("/me/notifications", &s1).await.body["email"],
        Value::Null
    );
}
