//! `POST /graphql` end to end: every query and mutation against the real server, the
//! paging both ways, each refusal with its REST code in `extensions.code`, the admin guard
//! and the audit of an admin's reads, and the limits (depth, complexity, operations per
//! user), which answer with GraphQL errors and never a 500.

use crate::common::{TestApp, spawn_app};
use serde_json::{Value, json};

impl TestApp {
    /// Runs a GraphQL operation; the status must be 200 and the body a GraphQL response.
    async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        let reply = self
            .post(
                "/graphql",
                token,
                json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            reply.body.get("data").is_some() || reply.body.get("errors").is_some(),
            "{}",
            reply.body
        );
        reply.body
    }
}

/// The codes of a response's errors.
fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[track_caller]
fn assert_refused(response: &Value, code: &str) {
    assert_eq!(codes(response), [code], "{response}");
    let message = response["errors"][0]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{response}");
}

const SEND: &str = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { messageId conversationId author messageBody timestamp clientMessageId } }";

#[tokio::test]
async fn queries_answer_what_rest_answers() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let teacher = app.login("t1").await;

    let me = app
        .graphql(&student, "{ me { userId displayName role } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"],
        json!({"userId": "s1", "displayName": "Student One", "role": "STUDENT"})
    );

    let teachers = app
        .graphql(
            &student,
            "{ teachers { peer { userId displayName role } conversationId lastMessage { messageBody } unreadCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        teachers["data"]["teachers"],
        json!([{
            "peer": {"userId": "t1", "displayName": "Teacher One", "role": "TEACHER"},
            "conversationId": "s1+t1", "lastMessage": null, "unreadCount": 0,
        }])
    );
    let students = app
        .graphql(&teacher, "{ students { peer { userId } } }", json!({}))
        .await;
    assert_eq!(
        students["data"]["students"],
        json!([{"peer": {"userId": "s1"}}, {"peer": {"userId": "s2"}}])
    );

    // A message sent over REST shows in the teacher's chats, unread.
    let sent = app.send(&student, "s1+t1", "s1", "over REST").await;
    assert_eq!(sent.status, 201);
    let chats = app
        .graphql(
            &teacher,
            "{ chats { peer { userId } conversationId lastMessage { messageId messageBody } unreadCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        chats["data"]["chats"],
        json!([{
            "peer": {"userId": "s1"}, "conversationId": "s1+t1",
            "lastMessage": {"messageId": sent.body["messageId"], "messageBody": "over REST"},
            "unreadCount": 1,
        }])
    );
    app.stop().await;
}

#[tokio::test]
async fn messages_sent_and_marked_read_follow_the_rest_rules() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let teacher = app.login("t1").await;

    let input = json!({"input": {"conversationId": "t1+s1", "messageBody": "  hello  ", "clientMessageId": "g-1"}});
    let sent = app.graphql(&student, SEND, input.clone()).await;
    let message = &sent["data"]["sendMessage"];
    assert_eq!(message["conversationId"], "s1+t1", "{sent}");
    assert_eq!(message["author"], "s1");
    assert_eq!(message["messageBody"], "hello");
    assert_eq!(message["clientMessageId"], "g-1");
    // A retry with the same clientMessageId is the same message, stored once.
    let retried = app.graphql(&student, SEND, input).await;
    assert_eq!(retried["data"]["sendMessage"], *message);
    let read = app.read(&teacher, "s1+t1", "").await;
    assert_eq!(read.body["messages"].as_array().unwrap().len(), 1);

    let mark = "mutation($id: String!, $at: String!) { markRead(conversationId: $id, timestamp: $at) { conversationId userId timestamp } }";
    let at = message["timestamp"].as_str().unwrap();
    let marked = app
        .graphql(&teacher, mark, json!({"id": "s1+t1", "at": at}))
        .await;
    assert_eq!(
        marked["data"]["markRead"],
        json!({"conversationId": "s1+t1", "userId": "t1", "timestamp": at})
    );
    // Never backwards: an older timestamp leaves the marker where it is.
    let again = app
        .graphql(
            &teacher,
            mark,
            json!({"id": "s1+t1", "at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(again["data"]["markRead"], Value::Null, "{again}");
    let chats = app.get("/chat/get_chats", &teacher).await;
    assert_eq!(chats.body["chats"][0]["unreadCount"], 0);

    // Each refusal carries the REST code.
    let send = |conversation: &str, body: &str| json!({"input": {"conversationId": conversation, "messageBody": body}});
    assert_refused(
        &app.graphql(&student, SEND, send("s1+t1", "   ")).await,
        "invalid_message_body",
    );
    assert_refused(
        &app.graphql(&student, SEND, send("s1", "hi")).await,
        "invalid_conversation_id",
    );
    assert_refused(
        &app.graphql(&student, SEND, send("s2+t2", "hi")).await,
        "forbidden",
    );
    assert_refused(
        &app.graphql(&student, SEND, send("s1+t9", "hi")).await,
        "forbidden",
    );
    let admin = app.login("admin").await;
    assert_refused(
        &app.graphql(&admin, SEND, send("s1+t1", "hi")).await,
        "forbidden",
    );
    assert_refused(
        &app.graphql(&teacher, mark, json!({"id": "s1+t1", "at": "yesterday"}))
            .await,
        "invalid_cursor",
    );
    // Nothing refused was stored.
    let read = app.read(&teacher, "s1+t1", "").await;
    assert_eq!(read.body["messages"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_conversation_pages_backwards_and_forwards() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let sent = app.send(&student, "s1+t1", "s1", &format!("m{n}")).await;
        ids.push(sent.body["messageBody"].as_str().unwrap().to_owned());
    }
    let page = "query($id: String!, $first: Int, $after: String, $last: Int, $before: String) {
        conversation(id: $id, first: $first, after: $after, last: $last, before: $before) {
            id messages { messageBody } hasMore startCursor endCursor peerReadAt } }";
    let bodies = |response: &Value| -> Vec<String> {
        response["data"]["conversation"]["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .iter()
            .map(|message| message["messageBody"].as_str().unwrap().to_owned())
            .collect()
    };

    // Backwards from the newest.
    let newest = app
        .graphql(&student, page, json!({"id": "t1+s1", "last": 2}))
        .await;
    assert_eq!(newest["data"]["conversation"]["id"], "s1+t1");
    assert_eq!(bodies(&newest), ["m3", "m4"]);
    assert_eq!(newest["data"]["conversation"]["hasMore"], true);
    let before = newest["data"]["conversation"]["startCursor"].clone();
    let older = app
        .graphql(
            &student,
            page,
            json!({"id": "s1+t1", "last": 2, "before": before}),
        )
        .await;
    assert_eq!(bodies(&older), ["m1", "m2"]);
    assert_eq!(older["data"]["conversation"]["hasMore"], true);
    let before = older["data"]["conversation"]["startCursor"].clone();
    let oldest = app
        .graphql(
            &student,
            page,
            json!({"id": "s1+t1", "last": 2, "before": before}),
        )
        .await;
    assert_eq!(bodies(&oldest), ["m0"]);
    assert_eq!(oldest["data"]["conversation"]["hasMore"], false);

    // Forwards from the first message.
    let first = app
        .graphql(&student, page, json!({"id": "s1+t1", "first": 3}))
        .await;
    assert_eq!(bodies(&first), ["m0", "m1", "m2"]);
    assert_eq!(first["data"]["conversation"]["hasMore"], true);
    let after = first["data"]["conversation"]["endCursor"].clone();
    let rest = app
        .graphql(
            &student,
            page,
            json!({"id": "s1+t1", "first": 3, "after": after}),
        )
        .await;
    assert_eq!(bodies(&rest), ["m3", "m4"]);
    assert_eq!(rest["data"]["conversation"]["hasMore"], false);
    assert_eq!(ids.len(), 5);

    // Bad paging is refused with the REST codes.
    let both = app
        .graphql(
            &student,
            page,
            json!({"id": "s1+t1", "first": 2, "last": 2}),
        )
        .await;
    assert_refused(&both, "invalid_request");
    let zero = app
        .graphql(&student, page, json!({"id": "s1+t1", "last": 0}))
        .await;
    assert_refused(&zero, "invalid_limit");
    let huge = app
        .graphql(&student, page, json!({"id": "s1+t1", "first": 201}))
        .await;
    assert_refused(&huge, "invalid_limit");
    let cursor = app
        .graphql(&student, page, json!({"id": "s1+t1", "before": "soon"}))
        .await;
    assert_refused(&cursor, "invalid_cursor");
    // Somebody else's conversation is not readable.
    let other = app.login("s2").await;
    assert_refused(
        &app.graphql(&other, page, json!({"id": "s1+t1"})).await,
        "forbidden",
    );
    app.stop().await;
}

#[tokio::test]
async fn admin_fields_are_for_admins_and_admin_reads_are_audited() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let admin = app.login("admin").await;
    app.send(&student, "s1+t1", "s1", "private").await;

    for query in [
        "{ users { nodes { userId } hasMore } }",
        "{ links { teacher student } }",
        "{ audit { nodes { id } hasMore } }",
        "{ teachers(userName: \"s2\") { conversationId } }",
    ] {
        assert_refused(&app.graphql(&student, query, json!({})).await, "forbidden");
    }

    let users = app
        .graphql(
            &admin,
            "{ users(role: STUDENT, first: 2) { nodes { userId role disabled } hasMore } }",
            json!({}),
        )
        .await;
    assert_eq!(
        users["data"]["users"],
        json!({"nodes": [
            {"userId": "s1", "role": "STUDENT", "disabled": false},
            {"userId": "s2", "role": "STUDENT", "disabled": false},
        ], "hasMore": true})
    );
    let links = app
        .graphql(
            &admin,
            "{ links(userId: \"t2\") { teacher student } }",
            json!({}),
        )
        .await;
    assert_eq!(
        links["data"]["links"],
        json!([{"teacher": "t2", "student": "s2"}])
    );

    // An admin reads a conversation: audited before the messages are returned.
    let read = app
        .graphql(
            &admin,
            "{ conversation(id: \"s1+t1\") { messages { messageBody } peerReadAt unreadCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["data"]["conversation"],
        json!({"messages": [{"messageBody": "private"}], "peerReadAt": null, "unreadCount": null})
    );
    let contacts = app
        .graphql(
            &admin,
            "{ teachers(userName: \"s1\") { conversationId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        contacts["data"]["teachers"],
        json!([{"conversationId": "s1+t1"}])
    );
    let audit = app
        .graphql(
            &admin,
            "{ audit(last: 2) { nodes { actor action target } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit["data"]["audit"]["nodes"],
        json!([
            {"actor": "admin", "action": "contacts.read", "target": "s1"},
            {"actor": "admin", "action": "conversation.read", "target": "s1+t1"},
        ])
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_operations_get_coded_errors_never_a_500() {
    let app = spawn_app().await;
    let student = app.login("s1").await;

    // Not GraphQL, an unknown field, a wrong variable type.
    for query in [
        "{ me { userId }",
        "{ nobody }",
        "query($n: Int) { me(x: $n) { userId } }",
    ] {
        let response = app.graphql(&student, query, json!({})).await;
        assert!(!codes(&response).is_empty(), "{response}");
        assert!(
            codes(&response)
                .iter()
                .all(|code| code == "invalid_request"),
            "{response}"
        );
    }
    // Too deep (introspection is the only deep part of the schema).
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }";
    assert_refused(
        &app.graphql(&student, deep, json!({})).await,
        "invalid_request",
    );
    // Too many fields.
    let wide = format!(
        "{{ {} }}",
        (0..250)
            .map(|n| format!("a{n}: me {{ userId }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_refused(
        &app.graphql(&student, &wide, json!({})).await,
        "invalid_request",
    );

    // Not a GraphQL request at all, or no token: the REST answers.
    app.post_raw("/graphql", &student, "not json")
        .await
        .assert_error(400, "invalid_json");
    app.post("/graphql", "", json!({"query": "{ me { userId } }"}))
        .await
        .assert_error(401, "unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn operations_over_the_budget_are_refused_before_they_run() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let mut refused = 0;
    for _ in 0..80 {
        let response = app.graphql(&student, "{ me { userId } }", json!({})).await;
        if codes(&response) == ["rate_limited"] {
            assert_eq!(response["data"], Value::Null, "{response}");
            refused += 1;
        }
    }
    assert!(refused >= 10, "{refused} of 80 refused");
    // Another user has a budget of their own.
    let teacher = app.login("t1").await;
    let response = app.graphql(&teacher, "{ me { userId } }", json!({})).await;
    assert_eq!(response["data"]["me"]["userId"], "t1");
    app.stop().await;
}

#[tokio::test]
async fn a_conversations_unread_count_is_the_callers_whole_conversations() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let teacher = app.login("t1").await;
    for n in 0..3 {
        let sent = app.send(&student, "s1+t1", "s1", &format!("m{n}")).await;
        assert_eq!(sent.status, 201, "{}", sent.body);
    }
    let query = "query($id: String!) { conversation(id: $id, last: 1) { messages { timestamp } unreadCount } }";
    let unread = |response: &Value| response["data"]["conversation"]["unreadCount"].clone();

    let page = app.graphql(&teacher, query, json!({"id": "s1+t1"})).await;
    assert_eq!(unread(&page), 3, "{page}");
    assert_eq!(
        unread(&app.graphql(&student, query, json!({"id": "t1+s1"})).await),
        0,
        "your own messages are never unread"
    );

    let newest = page["data"]["conversation"]["messages"][0]["timestamp"].clone();
    let marked = app
        .graphql(
            &teacher,
            "mutation($t: String!) { markRead(conversationId: \"s1+t1\", timestamp: $t) { timestamp } }",
            json!({"t": newest}),
        )
        .await;
    assert!(marked.get("errors").is_none(), "{marked}");
    assert_eq!(
        unread(&app.graphql(&teacher, query, json!({"id": "s1+t1"})).await),
        0
    );

    // Someone else's conversation: refused like the page, not a count.
    let other = app.graphql(&student, query, json!({"id": "s2+t1"})).await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "forbidden",
        "{other}"
    );
    app.stop().await;
}
