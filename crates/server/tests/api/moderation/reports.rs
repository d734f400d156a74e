//! Reports and the moderation queue: a participant's report, the school's flag words, and
//! an admin working through them, every read and step audited.

use super::{School, timestamp};
use reqwest::Method;
use serde_json::{Value, json};

impl School {
    /// `POST /chat/report` of the message at `timestamp` in `s1+t1`.
    async fn report(&self, token: &str, timestamp: &str, reason: &str) -> crate::common::Reply {
        self.app
            .post(
                "/chat/report",
                token,
                json!({"conversationId": "s1+t1", "timestamp": timestamp, "reason": reason,
                    "details": "they keep saying this"}),
            )
            .await
    }

    /// The queue as the admin lists it with `query`.
    async fn queue(&self, query: &str) -> Vec<Value> {
        let reply = self
            .app
            .get(&format!("/admin/reports{query}"), &self.admin)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["reports"].as_array().expect("reports").clone()
    }

    /// `PATCH /admin/reports/{id}` as the admin.
    async fn step(&self, id: &str, body: Value) -> crate::common::Reply {
        self.app
            .request(
                Method::PATCH,
                &format!("/admin/reports/{id}"),
                Some(&self.admin),
                Some(body),
            )
            .await
    }
}

#[tokio::test]
async fn a_report_reaches_the_queue_and_moves_forward_under_audit() {
    let school = School::open().await;
    let mut sent = Vec::new();
    for index in 0..7 {
        let author = if index % 2 == 0 { "s1" } else { "t1" };
        sent.push(school.send(author, &format!("message {index}")).await);
    }
    // Message 3 is t1's; s1 reports it.
    let reported = timestamp(&sent[3]);
    let receipt = school.report(&school.s1, &reported, "bullying").await;
    assert_eq!(receipt.status, 202, "{}", receipt.body);
    assert_eq!(receipt.body["status"], "received");
    let id = receipt.body["reportId"]
        .as_str()
        .expect("reportId")
        .to_owned();
    assert_eq!(id.len(), 26);
    assert!(receipt.body["receivedAt"].is_string());
    // Reporting it again answers the first report.
    let again = school.report(&school.s1, &reported, "other").await;
    assert_eq!(again.body["reportId"], id.as_str(), "{}", again.body);

    let queue = school.queue("").await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    let listed = &queue[0];
    for (field, value) in [
        ("reportId", json!(id)),
        ("conversationId", json!("s1+t1")),
        ("timestamp", json!(reported)),
        ("messageId", sent[3]["messageId"].clone()),
        ("author", json!("t1")),
        ("source", json!("person")),
        ("reporter", json!("s1")),
        ("reason", json!("bullying")),
        ("details", json!("they keep saying this")),
        ("state", json!("open")),
        ("steps", json!([])),
    ] {
        assert_eq!(listed[field], value, "{field} of {listed}");
    }
    assert!(
        listed.get("messageBody").is_none(),
        "the queue never quotes: {listed}"
    );

    // The admin opens it with two messages either side: a read of the conversation.
    let view = school
        .app
        .get(&format!("/admin/reports/{id}?context=2"), &school.admin)
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert_eq!(view.body["report"], *listed);
    let bodies: Vec<_> = view.body["context"]
        .as_array()
        .expect("context")
        .iter()
        .map(|message| message["messageBody"].clone())
        .collect();
    assert_eq!(
        bodies,
        [
            "message 1",
            "message 2",
            "message 3",
            "message 4",
            "message 5"
        ]
    );
    assert_eq!(view.body["versions"], json!([]));
    assert_eq!(view.body["pause"], json!(null));
    assert!(school.audited("admin", "conversation.read", "s1+t1").await);

    let reviewed = school
        .step(&id, json!({"state": "reviewed", "note": "talking to t1"}))
        .await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    assert_eq!(reviewed.body["state"], "reviewed");
    let steps = &reviewed.body["steps"];
    assert_eq!(
        (&steps[0]["state"], &steps[0]["by"], &steps[0]["note"]),
        (&json!("reviewed"), &json!("admin"), &json!("talking to t1"))
    );
    let actioned = school.step(&id, json!({"state": "actioned"})).await;
    assert_eq!(actioned.body["state"], "actioned", "{}", actioned.body);
    assert_eq!(actioned.body["steps"][1]["note"], json!(null));
    school
        .step(&id, json!({"state": "actioned"}))
        .await
        .assert_error(409, "report_closed");
    school
        .step(&id, json!({"state": "dismissed"}))
        .await
        .assert_error(409, "report_closed");
    assert!(school.audited("admin", "report.review", &id).await);
    assert!(school.audited("admin", "report.action", &id).await);
    assert_eq!(school.queue("?state=actioned").await.len(), 1);
    assert!(school.queue("?state=open").await.is_empty());
    assert_eq!(school.queue(&format!("?before={id}")).await.len(), 0);
}

#[tokio::test]
async fn reports_come_from_participants_about_the_other_ones_messages() {
    let school = School::open().await;
    let own = timestamp(&school.send("s1", "mine").await);
    let theirs = timestamp(&school.send("t1", "theirs").await);
    school
        .report(&school.s1, &own, "spam")
        .await
        .assert_error(400, "invalid_request");
    school
        .report(&school.admin, &theirs, "spam")
        .await
        .assert_error(403, "forbidden");
    let s2 = school.app.login("s2").await;
    school
        .report(&s2, &theirs, "spam")
        .await
        .assert_error(403, "forbidden");
    for reason in ["flagged", "rude"] {
        school
            .report(&school.s1, &theirs, reason)
            .await
            .assert_error(400, "invalid_request");
    }
    let long = school
        .app
        .post(
            "/chat/report",
            &school.s1,
            json!({"conversationId": "s1+t1", "timestamp": theirs, "reason": "other",
                "details": "x".repeat(1001)}),
        )
        .await;
    long.assert_error(422, "invalid_request");
    // The teacher reports too; nothing was filed by the refusals.
    let filed = school.report(&school.t1, &own, "safety").await;
    assert_eq!(filed.status, 202, "{}", filed.body);
    let queue = school.queue("").await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["reporter"], "t1");

    // The queue refuses everyone else, and bad input precisely.
    for token in [&school.s1, &school.t1] {
        school
            .app
            .get("/admin/reports", token)
            .await
            .assert_error(403, "forbidden");
    }
    let id = queue[0]["reportId"].as_str().unwrap();
    for (path, status, code) in [
        (
            "/admin/reports?state=closed".to_owned(),
            400,
            "invalid_request",
        ),
        (
            "/admin/reports?before=nope".to_owned(),
            400,
            "invalid_request",
        ),
        ("/admin/reports?limit=201".to_owned(), 400, "invalid_limit"),
        (
            format!("/admin/reports/{id}?context=51"),
            400,
            "invalid_limit",
        ),
        (
            format!("/admin/reports/{id}?context=-1"),
            400,
            "invalid_limit",
        ),
        ("/admin/reports/nope".to_owned(), 400, "invalid_request"),
        (
            "/admin/reports/01J0000000000000000000000A".to_owned(),
            404,
            "not_found",
        ),
    ] {
        school
            .app
            .get(&path, &school.admin)
            .await
            .assert_error(status, code);
    }
    let widest = school
        .app
        .get(&format!("/admin/reports/{id}?context=50"), &school.admin)
        .await;
    assert_eq!(widest.body["context"].as_array().map(Vec::len), Some(2));
    let none = school
        .app
        .get(&format!("/admin/reports/{id}?context=0"), &school.admin)
        .await;
    assert_eq!(
        none.body["context"][0]["messageBody"], "mine",
        "{}",
        none.body
    );
    assert_eq!(none.body["context"].as_array().map(Vec::len), Some(1));
    school
        .step(id, json!({"state": "open"}))
        .await
        .assert_error(409, "report_closed");
    school
        .step(id, json!({"state": "gone"}))
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn flag_words_put_a_message_in_the_queue_and_deliver_it_as_usual() {
    let school = School::open().await;
    let set = school
        .settings(
            json!({"flagWords": ["idiot", "kill myself"], "flagPatterns": [r"\b\d{3}-\d{4}\b"]}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["flagWords"], json!(["idiot", "kill myself"]));
    assert_eq!(set.body["flagPatterns"], json!([r"\b\d{3}-\d{4}\b"]));

    school.send("s1", "an idiotic idea, never mind").await;
    let flagged = school.send("t1", "you IDIOT, call 555-1234").await;
    let page = school.app.read(&school.s1, "s1+t1", "").await;
    assert_eq!(page.body["messages"][1], flagged, "delivered as usual");

    let queue = school.queue("").await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    let report = &queue[0];
    assert_eq!(report["source"], "flags");
    assert_eq!(report["reason"], "flagged");
    assert_eq!(report["reporter"], json!(null));
    assert_eq!(report["author"], "t1");
    assert_eq!(report["timestamp"], flagged["timestamp"]);
    assert_eq!(
        report["details"], "matched word \"idiot\"; pattern 1",
        "{report}"
    );

    // An edit that matches is flagged too.
    let clean = timestamp(&school.send("s1", "fine").await);
    let edited = school.edit(&school.s1, &clean, "kill myself").await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(school.queue("").await.len(), 2);
}

#[tokio::test]
async fn a_flag_pattern_that_does_not_compile_is_refused_naming_it() {
    let school = School::open().await;
    let before = school.app.get("/admin/settings", &school.admin).await.body;
    let refused = school
        .settings(json!({"flagPatterns": ["ok", "(unclosed"]}))
        .await;
    refused.assert_error(422, "invalid_request");
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("flagPatterns[1]"), "{message}");
    school
        .settings(json!({"flagWords": ["fine", "\t"]}))
        .await
        .assert_error(422, "invalid_request");
    school
        .settings(json!({"flagWords": vec!["w"; 501]}))
        .await
        .assert_error(422, "invalid_request");
    assert_eq!(
        school.app.get("/admin/settings", &school.admin).await.body,
        before
    );
    assert_eq!(before["flagWords"], json!([]));
    assert_eq!(before["editWindowMinutes"], 15);
}
