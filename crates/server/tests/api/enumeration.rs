//! No enumeration: a student or teacher who names a conversation with someone they are
//! neither linked to nor have history with learns nothing about that someone. Every route
//! and WebSocket action that takes a conversationId answers one and the same refusal —
//! status and body, or error frame — whether the other id is a teacher, a student, an
//! admin or nobody at all; nothing is stored and nobody hears of it. Precise errors for
//! pairs with a relation and for admins are in `authorization` and `bad_input`.

use crate::common::ws::{FRAME_WAIT, SILENCE, WsClient, connect, presence, send_frame};
use crate::common::{Reply, TestApp, spawn_app};
use serde_json::{Value, json};

/// The refusal every probe gets.
fn refusal() -> Value {
    json!({"error": {"code": "forbidden", "message": "this is not your conversation"}})
}

/// Who probes, and the ids they probe: someone of the other role they are not linked to,
/// someone of their own role, an admin, and an id nobody has. Each is written in both
/// orders.
const PROBES: [(&str, [&str; 4]); 2] = [
    ("s1", ["t2", "s3", "admin", "nobody"]),
    ("t2", ["s1", "t1", "admin", "nobody"]),
];

/// The conversationIds `caller` writes to probe `other`.
fn spellings(caller: &str, other: &str) -> [String; 2] {
    [format!("{caller}+{other}"), format!("{other}+{caller}")]
}

/// What a REST route answers, reduced to what a prober sees.
fn seen(reply: &Reply) -> (u16, Value) {
    (reply.status.as_u16(), reply.body.clone())
}

/// The REST requests that take a conversationId, as `caller` naming `conversation`.
async fn rest_probes(
    app: &TestApp,
    token: &str,
    caller: &str,
    conversation: &str,
) -> Vec<(String, Reply)> {
    let read = app.read(token, conversation, "").await;
    let send = app
        .post(
            "/chat/send",
            token,
            json!({"conversationId": conversation, "author": caller, "messageBody": "hello?", "clientMessageId": "probe"}),
        )
        .await;
    let mark_read = app
        .post(
            "/chat/mark_read",
            token,
            json!({"conversationId": conversation, "timestamp": "9999-12-31T23:59:59.999999Z"}),
        )
        .await;
    vec![
        ("GET /chat/read".to_owned(), read),
        ("POST /chat/send".to_owned(), send),
        ("POST /chat/mark_read".to_owned(), mark_read),
    ]
}

/// The WebSocket actions that take a conversationId, as the owner of `socket` naming
/// `conversation`: the frame each one answers.
async fn socket_probes(socket: &mut WsClient, conversation: &str) -> Vec<(String, Value)> {
    let frames = [
        ("sendMessage", send_frame(conversation, "hello?", "probe")),
        (
            "markRead",
            json!({"action": "markRead", "conversationId": conversation, "timestamp": "9999-12-31T23:59:59.999999Z"}),
        ),
        (
            "typing",
            json!({"action": "typing", "conversationId": conversation}),
        ),
    ];
    let mut answers = Vec::new();
    for (action, frame) in frames {
        socket.send_json(frame).await;
        answers.push((action.to_owned(), socket.next_frame(FRAME_WAIT).await));
    }
    answers
}

/// What a prober could compare between probes, and what must not change: the contact
/// lists of everyone involved and the audit log.
async fn school_state(app: &TestApp) -> Value {
    let admin = app.login("admin").await;
    let mut state = json!({
        "audit": app.get("/admin/audit?limit=200", &admin).await.body,
        "links": app.get("/admin/links", &admin).await.body,
    });
    for (user, path) in [
        ("s1", "/chat/get_teachers"),
        ("s3", "/chat/get_teachers"),
        ("t1", "/chat/get_chats"),
        ("t2", "/chat/get_chats"),
    ] {
        let token = app.login(user).await;
        state[format!("{path} of {user}")] = app.get(path, &token).await.body;
    }
    state
}

#[tokio::test]
async fn every_rest_route_answers_a_stranger_the_same_whoever_the_other_id_is() {
    let app = spawn_app().await;
    let before = school_state(&app).await;
    let mut failures = Vec::new();
    for (caller, others) in PROBES {
        let token = app.login(caller).await;
        for other in others {
            for conversation in spellings(caller, other) {
                for (route, reply) in rest_probes(&app, &token, caller, &conversation).await {
                    if seen(&reply) != (403, refusal()) {
                        failures.push(format!(
                            "{route} {conversation} as {caller}: {} {}",
                            reply.status, reply.body
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        school_state(&app).await,
        before,
        "a refused probe changed the school"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socket_action_answers_a_stranger_the_same_and_nobody_hears_of_it() {
    let app = spawn_app().await;
    // The probed people who exist are listening: none of them may hear anything.
    let mut s3 = connect(&app, "s3").await;
    let mut t1 = connect(&app, "t1").await;
    let mut s1 = connect(&app, "s1").await;
    assert_eq!(t1.next_frame(FRAME_WAIT).await, presence("s1", true));
    let mut t2 = connect(&app, "t2").await;
    let before = school_state(&app).await;

    let expected =
        json!({"type": "error", "code": "forbidden", "message": "this is not your conversation"});
    let mut failures = Vec::new();
    for (caller, others) in PROBES {
        let socket = if caller == "s1" { &mut s1 } else { &mut t2 };
        for other in others {
            for conversation in spellings(caller, other) {
                for (action, frame) in socket_probes(socket, &conversation).await {
                    let mut wanted = expected.clone();
                    if action == "sendMessage" {
                        wanted["clientMessageId"] = json!("probe");
                    }
                    if frame != wanted {
                        failures.push(format!("{action} {conversation} as {caller}: {frame}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for socket in [&mut s3, &mut t1, &mut s1, &mut t2] {
        socket.expect_silence(SILENCE).await;
    }
    // The sockets are still open and working: a refusal is an answer, not a fault.
    for socket in [&mut s1, &mut t2] {
        socket.send_json(json!({"action": "ping"})).await;
        assert_eq!(socket.next_frame(FRAME_WAIT).await, json!({"type": "pong"}));
    }
    assert_eq!(
        school_state(&app).await,
        before,
        "a refused probe changed the school"
    );
}
