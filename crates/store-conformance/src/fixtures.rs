//! Small builders shared by the conformance tests.
//!
//! Every test works inside its own [`Scope`]: a fresh ULID prefix for every id it creates,
//! so tests stay independent even if several of them shared one store.

use classchat_core::message::{MessageBody, NewMessage};
use classchat_core::roster::SourcedId;
use classchat_core::store::{Appended, Link, MessagePage, PageRequest, Store, StoreError};
use classchat_core::user::{DisplayName, Role, User, UserRecord};
use classchat_core::{ClientMessageId, ConversationId, Message, MessageId, Timestamp, UserId};

/// The ids of one test: all start with a prefix no other test uses.
pub(crate) struct Scope {
    prefix: String,
}

impl Scope {
    /// A scope with a fresh prefix.
    pub(crate) fn new() -> Self {
        Self {
            prefix: ulid::Ulid::new().to_string().to_lowercase(),
        }
    }

    /// The userId `<prefix>-<name>`.
    pub(crate) fn id(&self, name: &str) -> UserId {
        UserId::parse(&format!("{}-{name}", self.prefix)).expect("scoped ids are valid userIds")
    }

    /// A userId that sorts before every id of this scope, and after none of them.
    pub(crate) fn floor(&self) -> UserId {
        UserId::parse(&self.prefix).expect("a ULID is a valid userId")
    }

    /// The roster key (sourcedId) `<prefix>-<name>`.
    pub(crate) fn sourced_id(&self, name: &str) -> SourcedId {
        SourcedId::parse(&format!("{}-{name}", self.prefix)).expect("scoped keys are valid")
    }

    /// Whether `id` belongs to this scope.
    pub(crate) fn owns(&self, id: &UserId) -> bool {
        self.owns_key(id.as_str())
    }

    /// Whether a key (a userId or a sourcedId, as text) belongs to this scope.
    pub(crate) fn owns_key(&self, key: &str) -> bool {
        key.strip_prefix(&self.prefix)
            .is_some_and(|rest| rest.starts_with('-'))
    }
}

/// A user record with a dummy password hash.
pub(crate) fn record(id: &UserId, name: &str, role: Role) -> UserRecord {
    UserRecord {
        user: User {
            id: id.clone(),
            display_name: DisplayName::parse(name).expect("test display names are valid"),
            role,
            disabled: false,
        },
        password_hash: format!("$argon2id$dummy-hash-of-{id}"),
        token_version: 0,
    }
}

/// Creates a user and returns its public profile.
pub(crate) async fn create_user(store: &dyn Store, id: &UserId, name: &str, role: Role) -> User {
    let record = record(id, name, role);
    store
        .create_user(&record)
        .await
        .unwrap_or_else(|error| panic!("create_user({id}) failed: {error}"));
    record.user
}

/// Links a teacher and a student.
pub(crate) async fn link(store: &dyn Store, teacher: &User, student: &User) {
    let link = Link {
        teacher: teacher.id.clone(),
        student: student.id.clone(),
    };
    store
        .add_link(&link)
        .await
        .unwrap_or_else(|error| panic!("add_link({link:?}) failed: {error}"));
}

/// A linked student and teacher and the conversation between them.
pub(crate) struct Pair {
    /// The student.
    pub(crate) student: User,
    /// The teacher.
    pub(crate) teacher: User,
    /// `student+teacher`.
    pub(crate) conversation: ConversationId,
}

/// Creates a student `s-<tag>` and a teacher `t-<tag>` and links them.
pub(crate) async fn linked_pair(store: &dyn Store, scope: &Scope, tag: &str) -> Pair {
    let student = create_user(
        store,
        &scope.id(&format!("s-{tag}")),
        &format!("Student {tag}"),
        Role::Student,
    )
    .await;
    let teacher = create_user(
        store,
        &scope.id(&format!("t-{tag}")),
        &format!("Teacher {tag}"),
        Role::Teacher,
    )
    .await;
    link(store, &teacher, &student).await;
    let conversation = ConversationId::new(student.id.clone(), teacher.id.clone());
    Pair {
        student,
        teacher,
        conversation,
    }
}

/// The instant every test's clock starts from: 2026-01-01T00:00:00Z.
pub(crate) fn base_time() -> Timestamp {
    Timestamp::parse("2026-01-01T00:00:00Z").expect("a valid timestamp")
}

/// `micros` microseconds after [`base_time`].
pub(crate) fn at(micros: i64) -> Timestamp {
    Timestamp::from_micros(base_time().as_micros() + micros).expect("in range")
}

/// A message on its way into the store.
pub(crate) fn new_message(
    conversation: &ConversationId,
    author: &UserId,
    proposed: Timestamp,
    body: &str,
    client_id: Option<&str>,
) -> NewMessage {
    NewMessage {
        conversation_id: conversation.clone(),
        proposed,
        author: author.clone(),
        body: MessageBody::parse(body).expect("test bodies are valid"),
        message_id: MessageId::generate(),
        client_message_id: client_id
            .map(|raw| ClientMessageId::parse(raw).expect("test client ids are valid")),
        announcement_id: None,
        via: None,
    }
}

/// The message `new` must become when stored at `timestamp`.
pub(crate) fn stored(new: &NewMessage, timestamp: Timestamp) -> Message {
    new.stored_at(timestamp)
}

/// Appends a message that must be new, and returns it as stored.
pub(crate) async fn send(
    store: &dyn Store,
    conversation: &ConversationId,
    author: &UserId,
    proposed: Timestamp,
    body: &str,
) -> Message {
    let new = new_message(conversation, author, proposed, body, None);
    match append(store, &new).await {
        Ok(Appended::Created(message)) => message,
        other => panic!("append({body:?}) must create a message, got {other:?}"),
    }
}

/// Appends a message to a linked conversation. The port has one append,
/// [`Store::append_if_linked`]; every check links its pairs first, so being refused for
/// want of a link is a mistake in the check and panics.
pub(crate) async fn append(store: &dyn Store, new: &NewMessage) -> Result<Appended, StoreError> {
    let appended = store.append_if_linked(new).await?;
    Ok(appended.unwrap_or_else(|| panic!("{} must be linked to append", new.conversation_id)))
}

/// Reads one page of a conversation.
pub(crate) async fn read(
    store: &dyn Store,
    conversation: &ConversationId,
    before: Option<Timestamp>,
    after: Option<Timestamp>,
    limit: usize,
) -> MessagePage {
    let page = PageRequest {
        before,
        after,
        limit,
    };
    store
        .read_messages(conversation, &page)
        .await
        .unwrap_or_else(|error| panic!("read_messages({conversation}, {page:?}) failed: {error}"))
}

/// Asserts that timestamps strictly increase along `messages`.
pub(crate) fn assert_ascending(messages: &[Message], context: &str) {
    for pair in messages.windows(2) {
        assert!(
            pair[0].timestamp < pair[1].timestamp,
            "{context}: messages must be in strictly ascending timestamp order, got {} then {}",
            pair[0].timestamp,
            pair[1].timestamp
        );
    }
}

/// The timestamps of `messages`, for compact assertion messages.
pub(crate) fn stamps(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.timestamp.to_string()).collect()
}
