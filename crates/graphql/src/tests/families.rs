//! Families through the schema: each contact list names the family the way REST does
//! (`children` on a guardian's teachers and a teacher's chats with a guardian, `guardians`
//! on a teacher's students), a guardian talks to their children's teachers, and reads a
//! child's conversation only where the school allows it, never writing to it.

use super::api_over;
use crate::{Api, Request};
use classchat_core::service::{Actor, SendRequest};
use classchat_core::settings::SettingsPatch;
use classchat_core::user::UserRecord;
use classchat_core::{ChatService, DisplayName, Link, MemoryStore, Role, Store, User, UserId};
use serde_json::{Value, json};
use std::sync::Arc;

/// `g1` is the guardian of `s1` and `s2`; `t1` teaches `s1` and `s2`, `t2` only `s2`.
struct Family {
    api: Api,
    service: Arc<ChatService>,
    s1: User,
    t1: User,
    g1: User,
}

async fn family() -> Family {
    let store = Arc::new(MemoryStore::new());
    let user = |id: &str, role: Role| User {
        id: UserId::parse(id).unwrap(),
        display_name: DisplayName::parse(&format!("Name of {id}")).unwrap(),
        role,
        disabled: false,
    };
    let [s1, s2, t1, t2, g1] = [
        user("s1", Role::Student),
        user("s2", Role::Student),
        user("t1", Role::Teacher),
        user("t2", Role::Teacher),
        user("g1", Role::Guardian),
    ];
    for person in [&s1, &s2, &t1, &t2, &g1] {
        let record = UserRecord {
            user: person.clone(),
            // Nobody signs in: operations run for a user directly.
            password_hash: "not a hash".into(),
            token_version: 0,
        };
        store.create_user(&record).await.unwrap();
    }
    for (teacher, student) in [(&t1, &s1), (&t1, &s2), (&t2, &s2)] {
        let link = Link {
            teacher: teacher.id.clone(),
            student: student.id.clone(),
        };
        store.add_link(&link).await.unwrap();
    }
    let (api, service) = api_over(store);
    for child in ["s1", "s2"] {
        service
            .add_guardian(Actor::Operator, "g1", child)
            .await
            .unwrap();
    }
    Family {
        api,
        service,
        s1,
        t1,
        g1,
    }
}

impl Family {
    /// Runs `query` for `user`: the response as JSON.
    async fn run(&self, user: &User, query: &str) -> Value {
        let response = self.api.execute(user.clone(), Request::new(query)).await;
        serde_json::to_value(response).unwrap()
    }

    /// Runs `query` for `user`, which must succeed: its data.
    async fn data(&self, user: &User, query: &str) -> Value {
        let response = self.run(user, query).await;
        assert!(response.get("errors").is_none(), "{query}: {response}");
        response["data"].clone()
    }

    /// Runs `query` for `user`, which must be refused: the first error's code.
    async fn refusal(&self, user: &User, query: &str) -> Value {
        let response = self.run(user, query).await;
        response["errors"][0]["extensions"]["code"].clone()
    }

    /// Turns guardian oversight on or off, as an admin would.
    async fn oversight(&self, on: bool) {
        let patch = SettingsPatch {
            guardian_oversight: Some(on),
            ..SettingsPatch::default()
        };
        self.service
            .update_settings(Actor::Operator, patch)
            .await
            .unwrap();
    }

    /// `s1` and `t1` exchange a message, so that their conversation has something to read.
    async fn talk(&self) {
        for author in [&self.s1, &self.t1] {
            let request = SendRequest {
                conversation_id: "s1+t1",
                author: author.id.as_str(),
                message_body: "About the homework",
                client_message_id: None,
                origin: None,
                urgent: false,
            };
            self.service.send(author, request).await.unwrap();
        }
    }
}

const TEACHERS: &str = "{ teachers { peer { userId role } conversationId \
                        children { userId displayName } guardians { conversationId } } }";

#[tokio::test]
async fn a_guardians_teachers_name_the_children_between_them() {
    let f = family().await;
    let data = f.data(&f.g1, TEACHERS).await;
    assert_eq!(
        data["teachers"],
        json!([
            {
                "peer": {"userId": "t1", "role": "TEACHER"},
                "conversationId": "g1+t1",
                "children": [
                    {"userId": "s1", "displayName": "Name of s1"},
                    {"userId": "s2", "displayName": "Name of s2"},
                ],
                "guardians": [],
            },
            {
                "peer": {"userId": "t2", "role": "TEACHER"},
                "conversationId": "g1+t2",
                "children": [{"userId": "s2", "displayName": "Name of s2"}],
                "guardians": [],
            },
        ])
    );
    // A student's own lines carry no family.
    let data = f.data(&f.s1, TEACHERS).await;
    assert_eq!(data["teachers"][0]["children"], json!([]));
    assert_eq!(data["teachers"][0]["guardians"], json!([]));
}

#[tokio::test]
async fn a_teachers_students_name_their_guardians_with_the_conversation_to_open() {
    let f = family().await;
    let query = "{ students { peer { userId } children { userId } \
                 guardians { peer { userId displayName role } conversationId } } }";
    let data = f.data(&f.t1, query).await;
    let guardian = json!({
        "peer": {"userId": "g1", "displayName": "Name of g1", "role": "GUARDIAN"},
        "conversationId": "g1+t1",
    });
    assert_eq!(
        data["students"],
        json!([
            {"peer": {"userId": "s1"}, "children": [], "guardians": [guardian]},
            {"peer": {"userId": "s2"}, "children": [], "guardians": [guardian]},
        ])
    );
}

#[tokio::test]
async fn a_guardian_messages_a_teacher_who_sees_the_family_in_their_chats() {
    let f = family().await;
    let send = r#"mutation { sendMessage(input: {conversationId: "t1+g1",
                  messageBody: "Is the homework due Friday?"}) { conversationId author } }"#;
    let data = f.data(&f.g1, send).await;
    assert_eq!(
        data["sendMessage"],
        json!({"conversationId": "g1+t1", "author": "g1"})
    );
    let chats = "{ chats { peer { userId role } conversationId unreadCount \
                 children { userId } guardians { conversationId } } }";
    let data = f.data(&f.t1, chats).await;
    assert_eq!(
        data["chats"],
        json!([{
            "peer": {"userId": "g1", "role": "GUARDIAN"},
            "conversationId": "g1+t1",
            "unreadCount": 1,
            "children": [{"userId": "s1"}, {"userId": "s2"}],
            "guardians": [],
        }])
    );
}

#[tokio::test]
async fn a_guardian_reads_a_childs_conversation_only_with_oversight_and_never_writes() {
    let f = family().await;
    f.talk().await;
    let read = r#"{ conversation(id: "s1+t1") { id messages { author } unreadCount } }"#;
    let send = r#"mutation { sendMessage(input: {conversationId: "s1+t1",
                  messageBody: "Hello from home"}) { messageId } }"#;
    let child_teachers = r#"{ teachers(userName: "s1") { peer { userId } } }"#;

    assert_eq!(f.refusal(&f.g1, read).await, "forbidden");
    assert_eq!(f.refusal(&f.g1, child_teachers).await, "forbidden");
    assert_eq!(f.refusal(&f.g1, send).await, "forbidden");

    f.oversight(true).await;
    let data = f.data(&f.g1, read).await;
    assert_eq!(
        data["conversation"],
        json!({
            "id": "s1+t1",
            "messages": [{"author": "s1"}, {"author": "t1"}],
            // An overseeing guardian has no read marker of their own.
            "unreadCount": null,
        })
    );
    let data = f.data(&f.g1, child_teachers).await;
    assert_eq!(data["teachers"], json!([{"peer": {"userId": "t1"}}]));
    assert_eq!(f.refusal(&f.g1, send).await, "forbidden");
    let mark = r#"mutation { markRead(conversationId: "s1+t1",
                  timestamp: "2030-01-01T00:00:00.000000Z") { timestamp } }"#;
    assert_eq!(f.refusal(&f.g1, mark).await, "forbidden");
}

#[tokio::test]
async fn a_student_learns_when_their_family_can_read_their_conversations() {
    let f = family().await;
    let me = "{ me { userId role familyCanRead } }";
    assert_eq!(
        f.data(&f.s1, me).await["me"],
        json!({"userId": "s1", "role": "STUDENT", "familyCanRead": false})
    );
    f.oversight(true).await;
    assert_eq!(
        f.data(&f.s1, me).await["me"],
        json!({"userId": "s1", "role": "STUDENT", "familyCanRead": true})
    );
    // Only a student is told: the guardian and the teacher read nothing of theirs.
    for user in [&f.g1, &f.t1] {
        assert_eq!(f.data(user, me).await["me"]["familyCanRead"], false);
    }
}
