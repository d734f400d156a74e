//! A small school for the safeguarding tests, on `MemoryStore` with the live side of one
//! node (`LocalHub`), so mutations run through [`Api::execute`] and subscriptions through
//! [`Api::serve_socket`] exactly as the server runs them: `s1` and `s2` are students of
//! `t1`; `admin` administers.

use crate::{Api, Authenticate, Authenticated, GraphqlLimits, Incoming, Outgoing, Request};
use async_trait::async_trait;
use classchat_core::user::UserRecord;
use classchat_core::{
    ChatError, ChatService, Clock, DisplayName, Link, MemoryStore, Role, Store, SystemClock,
    Timestamp, User, UserId,
};
use classchat_live::{Live, LiveConfig};
use futures::channel::mpsc as client_mpsc;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a test waits for a frame it expects.
const WAIT: Duration = Duration::from_secs(5);

/// The school, its service and its API.
pub(super) struct School {
    pub(super) api: Api,
    pub(super) service: Arc<ChatService>,
    pub(super) live: Live,
    pub(super) s1: User,
    pub(super) s2: User,
    pub(super) t1: User,
    pub(super) admin: User,
}

/// Tokens are user ids: the service looks the user up as stored now (a disabled account
/// is refused), and a token never expires within a test.
struct ByUserId(Arc<ChatService>);

#[async_trait]
impl Authenticate for ByUserId {
    async fn authenticate(&self, token: &str) -> Result<Authenticated, ChatError> {
        let user = self.0.authenticate(token, 0).await?;
        let in_an_hour = SystemClock.now().as_micros() + 3_600_000_000;
        Ok(Authenticated {
            user,
            expires_at: Timestamp::from_micros(in_an_hour).expect("an hour from now"),
            token_version: 0,
        })
    }
}

pub(super) async fn school() -> School {
    let store = Arc::new(MemoryStore::new());
    let user = |id: &str, role: Role| User {
        id: UserId::parse(id).unwrap(),
        display_name: DisplayName::parse(&format!("Name of {id}")).unwrap(),
        role,
        disabled: false,
    };
    let [s1, s2, t1, admin] = [
        user("s1", Role::Student),
        user("s2", Role::Student),
        user("t1", Role::Teacher),
        user("admin", Role::Admin),
    ];
    for person in [&s1, &s2, &t1, &admin] {
        let record = UserRecord {
            user: person.clone(),
            // Nobody signs in with a password: tokens are user ids.
            password_hash: "not a hash".into(),
            token_version: 0,
        };
        store.create_user(&record).await.unwrap();
    }
    for student in [&s1, &s2] {
        let link = Link {
            teacher: t1.id.clone(),
            student: student.id.clone(),
        };
        store.add_link(&link).await.unwrap();
    }
    let live = Live::new(LiveConfig::default());
    let service = Arc::new(ChatService::new(store, Arc::new(SystemClock)).with_hub(live.hub()));
    let api = Api::new(
        Arc::clone(&service),
        Arc::new(SystemClock),
        GraphqlLimits::default(),
    );
    School {
        api,
        service,
        live,
        s1,
        s2,
        t1,
        admin,
    }
}

impl School {
    /// Runs `query` with `variables` for `user`: the response as JSON.
    pub(super) async fn run(&self, user: &User, query: &str, variables: Value) -> Value {
        let request = Request::new(query).variables(crate::Variables::from_json(variables));
        let response = self.api.execute(user.clone(), request).await;
        serde_json::to_value(response).unwrap()
    }

    /// Runs `query` for `user`, which must succeed: its data.
    pub(super) async fn data(&self, user: &User, query: &str, variables: Value) -> Value {
        let response = self.run(user, query, variables).await;
        assert!(response.get("errors").is_none(), "{query}: {response}");
        response["data"].clone()
    }

    /// Runs `query` for `user`, which must be refused: the first error's code.
    pub(super) async fn refusal(&self, user: &User, query: &str, variables: Value) -> Value {
        let response = self.run(user, query, variables).await;
        assert!(response["data"].is_null(), "{query}: {response}");
        response["errors"][0]["extensions"]["code"].clone()
    }

    /// `author` sends `body` to `s1+t1` or `s2+t1`: the stored message's timestamp.
    pub(super) async fn send(&self, author: &User, conversation: &str, body: &str) -> String {
        let data = self
            .data(
                author,
                "mutation($c: String!, $b: String!) {
                   sendMessage(input: {conversationId: $c, messageBody: $b}) { timestamp } }",
                json!({"c": conversation, "b": body}),
            )
            .await;
        data["sendMessage"]["timestamp"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A `graphql-transport-ws` socket of `user`, acknowledged.
    pub(super) async fn socket(&self, user: &User) -> Socket {
        let (to_session, incoming) = client_mpsc::unbounded();
        let (outgoing, from_session) = mpsc::channel(64);
        let api = self.api.clone();
        let live = self.live.clone();
        let authenticate = ByUserId(Arc::clone(&self.service));
        tokio::spawn(async move {
            api.serve_socket(&live, &authenticate, None, incoming, outgoing)
                .await;
        });
        let mut socket = Socket {
            to_session,
            from_session,
        };
        socket
            .send(json!({"type": "connection_init", "payload": {"token": user.id.as_str()}}))
            .await;
        assert_eq!(socket.next().await, json!({"type": "connection_ack"}));
        socket
    }
}

/// The client's end of a socket.
pub(super) struct Socket {
    to_session: client_mpsc::UnboundedSender<Incoming>,
    from_session: mpsc::Receiver<Outgoing>,
}

impl Socket {
    /// Sends one protocol message.
    pub(super) async fn send(&mut self, message: Value) {
        self.to_session
            .unbounded_send(Incoming::Text(message.to_string()))
            .unwrap();
    }

    /// Starts operation `id`.
    pub(super) async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": {"query": query, "variables": variables},
        }))
        .await;
    }

    /// The next text frame (pings skipped), as JSON; a close frame as
    /// `{"close": code, "reason": …}`.
    pub(super) async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.from_session.recv())
                .await
                .expect("a frame in time")
                .expect("the session is still there");
            match frame {
                Outgoing::Text(text) => return serde_json::from_str(&text).unwrap(),
                Outgoing::Close(code, reason) => return json!({"close": code, "reason": reason}),
                Outgoing::Ping => {}
            }
        }
    }

    /// Waits until the subscriptions started so far are running: a query on the same
    /// socket is answered after them.
    pub(super) async fn settle(&mut self) {
        self.subscribe("settle", "{ me { userId } }", json!({}))
            .await;
        let answer = self.next().await;
        assert_eq!(answer["id"], "settle", "{answer}");
        assert_eq!(
            self.next().await,
            json!({"id": "settle", "type": "complete"})
        );
    }
}
