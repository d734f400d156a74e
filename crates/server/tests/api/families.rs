//! Families end to end: guardians and their children's teachers over REST and the socket,
//! the socket actions of every role by ownership (own child, another child, no child),
//! live delivery with presence, typing and receipts, a family conversation closing when
//! its last child link ends, and oversight that follows the school's setting.

use crate::common::ws::{FRAME_WAIT, SILENCE, WsClient, connect, presence, send_frame};
use crate::common::{TestApp, spawn_app};
use crate::graphql_ws::{Gql, MESSAGE_ADDED};
use serde_json::{Value, json};

/// The seeded school with its families (g1 is s1's, g2 is s2's, g3 nobody's) and one
/// message in each of `s1+t1`, `g1+t1` and `g2+t2`; returns the timestamp of `s1+t1`'s.
async fn school() -> (TestApp, String) {
    let app = spawn_app().await;
    app.seed_families().await;
    let mut seeded = String::new();
    for (author, conversation) in [("s1", "s1+t1"), ("g1", "g1+t1"), ("g2", "g2+t2")] {
        let token = app.login(author).await;
        let sent = app.send(&token, conversation, author, "seed").await;
        assert_eq!(sent.status, 201, "{conversation}: {}", sent.body);
        if conversation == "s1+t1" {
            seeded = sent.body["timestamp"].as_str().unwrap().to_owned();
        }
    }
    (app, seeded)
}

/// The next frame that is not a `pong`, if one comes before the `pong` that answers a
/// `ping` sent after the action: the socket answers a connection's frames in order, so an
/// action refused is answered before the ping is.
async fn answer_before_pong(socket: &mut WsClient) -> Option<Value> {
    socket.send_json(json!({"action": "ping"})).await;
    let mut answer = None;
    loop {
        let frame = socket.next_frame(FRAME_WAIT).await;
        if frame["type"] == "pong" {
            return answer;
        }
        answer.get_or_insert(frame);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_gets_exactly_its_socket_actions_in_each_kind_of_conversation() {
    let (app, seeded) = school().await;
    // Who takes part in each conversation (everyone else is refused, admins included).
    let conversations: [(&str, [&str; 2]); 3] = [
        ("s1+t1", ["s1", "t1"]),
        ("g1+t1", ["g1", "t1"]),
        ("g2+t2", ["g2", "t2"]),
    ];
    let mut failures = Vec::new();
    for caller in ["s1", "s2", "t1", "t2", "g1", "g2", "g3", "admin"] {
        let mut socket = connect(&app, caller).await;
        for (conversation, people) in conversations {
            let allowed = people.contains(&caller);
            // A send: an ack, or an error naming the clientMessageId.
            let id = format!("{caller}-{}", conversation.replace('+', "-"));
            socket
                .send_json(send_frame(conversation, &format!("ws from {caller}"), &id))
                .await;
            let reply = socket.next_frame(FRAME_WAIT).await;
            let expected = if allowed { "ack" } else { "error" };
            if reply["type"] != expected || (!allowed && reply["code"] != "forbidden") {
                failures.push(format!("{caller} sendMessage {conversation}: {reply}"));
            }
            for action in [
                json!({"action": "typing", "conversationId": conversation}),
                json!({"action": "markRead", "conversationId": conversation, "timestamp": seeded}),
            ] {
                socket.send_json(action.clone()).await;
                let answer = answer_before_pong(&mut socket).await;
                let refused = answer
                    .as_ref()
                    .is_some_and(|frame| frame["type"] == "error" && frame["code"] == "forbidden");
                // Allowed actions answer nothing to their own connection.
                let right = if allowed { answer.is_none() } else { refused };
                if !right {
                    failures.push(format!("{caller} {action}: {answer:?}"));
                }
            }
        }
        socket.close().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Each conversation holds its seed and its two people's sends, nobody else's.
    let admin = app.login("admin").await;
    for (conversation, people) in conversations {
        let authors: Vec<String> = app
            .read_all(&admin, conversation)
            .await
            .iter()
            .map(|message| message["author"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(authors.len(), 3, "{conversation}: {authors:?}");
        assert!(
            authors
                .iter()
                .all(|author| people.contains(&author.as_str())),
            "{conversation}: {authors:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardian_and_a_teacher_talk_live_with_presence_typing_and_receipts() {
    let (app, _) = school().await;
    let mut teacher = connect(&app, "t1").await;
    let mut guardian = connect(&app, "g1").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("g1", true));
    // The other family's guardian (g2 also talks to t1) and the student are online too.
    let mut other_family = connect(&app, "g2").await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("g2", true));

    guardian
        .send_json(json!({"action": "typing", "conversationId": "t1+g1"}))
        .await;
    assert_eq!(
        teacher.next_frame(FRAME_WAIT).await,
        json!({"type": "typing", "conversationId": "g1+t1", "userId": "g1"})
    );
    guardian
        .send_json(send_frame("t1+g1", "Sam was ill today", "g-1"))
        .await;
    let ack = guardian.expect_type("ack").await;
    let stored = ack["message"].clone();
    assert_eq!(stored["conversationId"], "g1+t1");
    assert_eq!(
        teacher.next_frame(FRAME_WAIT).await,
        json!({"type": "message", "message": stored})
    );
    teacher
        .send_json(json!({"action": "markRead", "conversationId": "g1+t1", "timestamp": stored["timestamp"]}))
        .await;
    assert_eq!(
        guardian.next_frame(FRAME_WAIT).await,
        json!({"type": "read", "conversationId": "g1+t1", "userId": "t1", "timestamp": stored["timestamp"]})
    );
    // The teacher's list names the child behind the guardian.
    let t1 = app.login("t1").await;
    let chats = app.get("/chat/get_chats", &t1).await;
    let chat = chats.body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|chat| chat["conversationId"] == "g1+t1")
        .cloned()
        .unwrap();
    assert_eq!(chat["peerRole"], "guardian");
    assert_eq!(chat["student"]["userId"], "g1");
    assert_eq!(
        chat["children"],
        json!([{"userId": "s1", "displayName": "Student One"}])
    );
    other_family.expect_silence(SILENCE).await;
    guardian.close().await;
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, presence("g1", false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardian_follows_their_conversation_over_graphql_but_never_their_childs() {
    let (app, _) = school().await;
    let (g1, t1, admin) = (
        app.login("g1").await,
        app.login("t1").await,
        app.login("admin").await,
    );
    let oversight = app
        .request(
            reqwest::Method::PATCH,
            "/admin/settings",
            Some(&admin),
            Some(json!({"guardianOversight": true})),
        )
        .await;
    assert_eq!(oversight.status, 200, "{}", oversight.body);
    let mut socket = Gql::connect(&app, &g1).await;
    // Reading a child's conversation is allowed now; following it live never is.
    socket
        .subscribe("child", MESSAGE_ADDED, json!({"id": "s1+t1"}))
        .await;
    let refused = socket.next().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "forbidden",
        "{refused}"
    );
    assert_eq!(
        socket.next().await,
        json!({"type": "complete", "id": "child"})
    );
    socket
        .subscribe("own", MESSAGE_ADDED, json!({"id": "t1+g1"}))
        .await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.next().await, json!({"type": "pong"}));
    assert_eq!(
        app.send(&t1, "g1+t1", "t1", "Thanks for letting me know")
            .await
            .status,
        201
    );
    let s1 = app.login("s1").await;
    assert_eq!(
        app.send(&s1, "s1+t1", "s1", "not for the family's socket")
            .await
            .status,
        201
    );
    let got = socket.next().await;
    assert_eq!(got["id"], "own");
    assert_eq!(
        got["payload"]["data"]["messageAdded"],
        json!({"messageBody": "Thanks for letting me know", "author": "t1"})
    );
    socket.silent().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_the_child_leaves_the_family_conversation_readable_and_unsendable() {
    let (app, _) = school().await;
    let mut guardian = connect(&app, "g1").await;
    let admin = app.login("admin").await;
    let removed = app
        .request(
            reqwest::Method::DELETE,
            "/admin/links?teacherId=t1&studentId=s1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    assert_eq!(
        guardian.expect_type("link").await,
        json!({"type": "link", "conversationId": "g1+t1", "linked": false})
    );
    let g1 = app.login("g1").await;
    app.send(&g1, "g1+t1", "g1", "are you there?")
        .await
        .assert_error(403, "not_linked");
    let t1 = app.login("t1").await;
    app.send(&t1, "g1+t1", "t1", "yes")
        .await
        .assert_error(403, "not_linked");
    for token in [&g1, &t1] {
        let page = app.read(token, "g1+t1", "").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["messages"].as_array().unwrap().len(), 1);
    }
    // t1 is no longer among g1's teachers; linking again reopens the conversation.
    let teachers = app.get("/chat/get_teachers", &g1).await;
    assert_eq!(teachers.body["teachers"], json!([]));
    let linked = app
        .post(
            "/admin/links",
            &admin,
            json!({"teacherId": "t1", "studentId": "s1"}),
        )
        .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    assert_eq!(
        guardian.expect_type("link").await,
        json!({"type": "link", "conversationId": "g1+t1", "linked": true})
    );
    assert_eq!(app.send(&g1, "g1+t1", "g1", "thanks").await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversight_is_off_until_an_admin_turns_it_on_and_every_read_is_audited() {
    let (app, _) = school().await;
    let (g1, s1, t1, admin) = (
        app.login("g1").await,
        app.login("s1").await,
        app.login("t1").await,
        app.login("admin").await,
    );
    app.read(&g1, "s1+t1", "")
        .await
        .assert_error(403, "forbidden");
    let notice = app.get("/chat/get_teachers", &s1).await;
    assert_eq!(notice.body["familyCanRead"], false);

    let settings = app
        .request(
            reqwest::Method::PATCH,
            "/admin/settings",
            Some(&admin),
            Some(json!({"guardianOversight": true})),
        )
        .await;
    assert_eq!(settings.status, 200, "{}", settings.body);
    assert_eq!(
        settings.body,
        json!({
            "guardianOversight": true,
            "quietHours": null,
            "pushPreview": false,
            "digestText": false,
            "urgentSenders": [],
            "editWindowMinutes": 15,
            "flagWords": [],
            "flagPatterns": [],
            "retentionDays": null,
        }),
        "the other settings stay at their defaults"
    );
    let notice = app.get("/chat/get_teachers", &s1).await;
    assert_eq!(notice.body["familyCanRead"], true);
    // s3 has no guardian: nothing to tell.
    let s3 = app.login("s3").await;
    assert_eq!(
        app.get("/chat/get_teachers", &s3).await.body["familyCanRead"],
        false
    );

    let page = app.read(&g1, "t1+s1", "").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["conversationId"], "s1+t1");
    assert_eq!(page.body["messages"][0]["messageBody"], "seed");
    let child = app.get("/chat/get_teachers?user_name=s1", &g1).await;
    assert_eq!(child.status, 200, "{}", child.body);
    assert_eq!(child.body["teachers"][0]["conversationId"], "s1+t1");
    assert_eq!(child.body["familyCanRead"], false);
    // Reading is all: no send, no marker, and not another family's child.
    app.send(&g1, "s1+t1", "g1", "hi")
        .await
        .assert_error(403, "forbidden");
    let marked = app
        .post(
            "/chat/mark_read",
            &g1,
            json!({"conversationId": "s1+t1", "timestamp": "9999-12-31T23:59:59.999999Z"}),
        )
        .await;
    marked.assert_error(403, "forbidden");
    app.read(&g1, "s2+t2", "")
        .await
        .assert_error(403, "forbidden");
    // The teacher's unread count did not move.
    let chats = app.get("/chat/get_chats", &t1).await;
    let s1_chat = chats.body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|chat| chat["conversationId"] == "s1+t1")
        .cloned()
        .unwrap();
    assert_eq!(s1_chat["unreadCount"], 1);

    let audit = app.get("/admin/audit", &admin).await;
    let entries: Vec<(Value, Value, Value)> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["actor"].clone(),
                entry["action"].clone(),
                entry["target"].clone(),
            )
        })
        .filter(|(_, action, _)| action == "guardian.read" || action == "settings.update")
        .collect();
    assert_eq!(
        entries,
        [
            (json!("g1"), json!("guardian.read"), json!("s1")),
            (json!("g1"), json!("guardian.read"), json!("s1+t1")),
            (
                json!("admin"),
                json!("settings.update"),
                json!("guardianOversight=on")
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_lists_carry_the_family() {
    let (app, _) = school().await;
    let g2 = app.login("g2").await;
    let teachers = app.get("/chat/get_teachers", &g2).await;
    let lines: Vec<(Value, Value, Value)> = teachers.body["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["userId"].clone(),
                line["conversationId"].clone(),
                line["children"].clone(),
            )
        })
        .collect();
    let s2 = json!([{"userId": "s2", "displayName": "Student Two"}]);
    assert_eq!(
        lines,
        [
            (json!("t1"), json!("g2+t1"), s2.clone()),
            (json!("t2"), json!("g2+t2"), s2),
        ]
    );
    let t1 = app.login("t1").await;
    let students = app.get("/chat/get_students", &t1).await;
    let guardians: Vec<(Value, Value)> = students.body["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| (line["userId"].clone(), line["guardians"].clone()))
        .collect();
    assert_eq!(
        guardians,
        [
            (
                json!("s1"),
                json!([{"userId": "g1", "displayName": "Guardian One", "conversationId": "g1+t1"}])
            ),
            (
                json!("s2"),
                json!([{"userId": "g2", "displayName": "Guardian Two", "conversationId": "g2+t1"}])
            ),
        ]
    );
    // A student's list has no family fields.
    let s1 = app.login("s1").await;
    let own = app.get("/chat/get_teachers", &s1).await;
    assert!(
        own.body["teachers"][0].get("children").is_none(),
        "{}",
        own.body
    );
}
