//! The authorization matrix of the AppSync data source: every field it resolves, for every
//! role and relation to the data (a participant, another student, a participant teacher,
//! another teacher, an admin, a student's guardian), answers exactly as `POST /graphql`
//! does (the server's matrix, `crates/server/tests/api/authorization.rs`), and nothing a
//! refusal touched has changed in the store.

use crate::common::{Harness, PASSWORD};
use classchat_core::service::{Actor, NewUser};
use classchat_lambda::appsync::Resolver;
use serde_json::{Value, json};

/// What a field answers one caller.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Ok,
    Refused(&'static str),
}

const OK: Expect = Expect::Ok;
const FORBIDDEN: Expect = Expect::Refused("forbidden");
const WRONG_ROLE: Expect = Expect::Refused("invalid_request");
const NOT_FOUND: Expect = Expect::Refused("not_found");

/// The callers, in the columns' order. Links: t1–s1 and t2–s2; `g1` is the guardian of
/// `s1` (so talks with `t1`), in a school without guardian oversight.
const CALLERS: [&str; 6] = ["s1", "s2", "t1", "t2", "admin", "g1"];

fn event(field: &str, user: &str, arguments: &Value) -> Value {
    json!({
        "field": field,
        "arguments": arguments,
        "identity": {"resolverContext": {"userId": user, "tokenVersion": "0"}},
    })
}

/// What the store holds that a refused field could have changed: both linked
/// conversations as their participants see them, their unread counts, and the links.
async fn snapshot(harness: &Harness, resolver: &Resolver) -> Value {
    let mut seen = Vec::new();
    for (reader, conversation) in [
        ("t1", "s1+t1"),
        ("s1", "s1+t1"),
        ("t2", "s2+t2"),
        ("g1", "g1+t1"),
    ] {
        let arguments = json!({"id": conversation, "first": 100});
        seen.push(
            resolver
                .resolve(event("Query.conversation", reader, &arguments))
                .await,
        );
    }
    let links = harness
        .deployment
        .service
        .list_links(Actor::Operator, None)
        .await
        .unwrap();
    seen.push(json!(format!("{links:?}")));
    Value::Array(seen)
}

#[tokio::test]
async fn every_field_answers_each_role_as_the_server_does_and_refusals_change_nothing() {
    let harness = Harness::start().await;
    let admin = NewUser {
        user_id: "admin",
        display_name: "The Office",
        role: "admin",
        password: PASSWORD,
    };
    harness
        .deployment
        .service
        .create_user(Actor::Operator, admin)
        .await
        .unwrap();
    let guardian = NewUser {
        user_id: "g1",
        display_name: "Guardian One",
        role: "guardian",
        password: PASSWORD,
    };
    let service = &harness.deployment.service;
    service
        .create_user(Actor::Operator, guardian)
        .await
        .unwrap();
    service
        .add_guardian(Actor::Operator, "g1", "s1")
        .await
        .unwrap();
    let resolver = Resolver::for_deployment(&harness.deployment);
    let seeded = resolver
        .resolve(event(
            "Mutation.sendMessage",
            "s1",
            &json!({"input": {"conversationId": "s1+t1", "messageBody": "seeded"}}),
        ))
        .await;
    let seeded_at = seeded["data"]["timestamp"].clone();
    assert!(seeded_at.is_string(), "{seeded}");

    let send = |conversation: &str| json!({"input": {"conversationId": conversation, "messageBody": "from the matrix"}});
    let rows: Vec<(&str, Value, [Expect; 6])> = vec![
        ("Query.me", json!({}), [OK, OK, OK, OK, OK, OK]),
        (
            "Query.teachers",
            json!({}),
            [OK, OK, WRONG_ROLE, WRONG_ROLE, WRONG_ROLE, OK],
        ),
        (
            "Query.teachers",
            json!({"userName": "s1"}),
            [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Query.students",
            json!({"userName": "t1"}),
            [FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Query.chats",
            json!({}),
            [WRONG_ROLE, WRONG_ROLE, OK, OK, WRONG_ROLE, WRONG_ROLE],
        ),
        (
            "Query.conversation",
            json!({"id": "t1+s1"}),
            [OK, FORBIDDEN, OK, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Query.conversation",
            json!({"id": "s1+t2"}),
            [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Query.conversation",
            json!({"id": "s1+nobody"}),
            [
                FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN,
            ],
        ),
        (
            "Mutation.sendMessage",
            send("s1+t2"),
            [
                FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
            ],
        ),
        (
            "Mutation.markRead",
            json!({"conversationId": "s1+t2", "timestamp": seeded_at}),
            [
                FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
            ],
        ),
        (
            "Query.users",
            json!({}),
            [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Query.links",
            json!({}),
            [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Query.audit",
            json!({}),
            [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN],
        ),
        (
            "Subscription.messageAdded",
            json!({"conversationId": "t1+s1"}),
            [OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        // The family conversation: its two participants, and the admin reading.
        (
            "Query.conversation",
            json!({"id": "t1+g1"}),
            [FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, OK],
        ),
        (
            "Subscription.messageAdded",
            json!({"conversationId": "t1+g1"}),
            [FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
        ),
    ];
    // The rows that write, for the callers allowed to: sends and read markers in their
    // own conversation (checked apart, as they change the snapshot).
    let writes: Vec<(&str, Value, [Expect; 6])> = vec![
        (
            "Mutation.sendMessage",
            send("s1+t1"),
            [OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            "Mutation.markRead",
            json!({"conversationId": "s1+t1", "timestamp": seeded_at}),
            [OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            "Mutation.sendMessage",
            send("g1+t1"),
            [FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
        ),
    ];

    let mut wrong = Vec::new();
    let mut baseline = snapshot(&harness, &resolver).await;
    for (row, (field, arguments, expected)) in rows.iter().chain(writes.iter()).enumerate() {
        let writes_when_allowed = row >= rows.len();
        for (caller, expect) in CALLERS.iter().zip(expected) {
            let answer = resolver.resolve(event(field, caller, arguments)).await;
            let got = match answer["error"]["code"].as_str() {
                Some(code) => Expect::Refused(match code {
                    "forbidden" => "forbidden",
                    "invalid_request" => "invalid_request",
                    "not_found" => "not_found",
                    _ => "another code",
                }),
                None => Expect::Ok,
            };
            if got != *expect {
                wrong.push(format!(
                    "{field} {arguments} as {caller}: {answer}, expected {expect:?}"
                ));
            }
            if got != Expect::Ok {
                if snapshot(&harness, &resolver).await != baseline {
                    wrong.push(format!(
                        "{field} {arguments} as {caller} was refused but changed the store"
                    ));
                }
            } else if writes_when_allowed {
                baseline = snapshot(&harness, &resolver).await;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
