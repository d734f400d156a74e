//! Builders shared by the DynamoDB store's tests.

use classchat_core::message::{MessageBody, NewMessage};
use classchat_core::store::{Appended, Link, Store, StoreError};
use classchat_core::user::{DisplayName, Role, User, UserRecord};
use classchat_core::{ClientMessageId, ConversationId, MessageId, Timestamp, UserId};

/// Creates the user `id` (named after its id, dummy hash) and returns its id.
pub async fn create_user(store: &dyn Store, id: &str, role: Role) -> UserId {
    let id = UserId::parse(id).unwrap();
    let record = UserRecord {
        user: User {
            id: id.clone(),
            display_name: DisplayName::parse(id.as_str()).unwrap(),
            role,
            disabled: false,
        },
        password_hash: "hash".into(),
        token_version: 0,
    };
    store.create_user(&record).await.unwrap();
    id
}

/// Creates a student and a teacher, links them, and returns their conversation.
pub async fn linked_conversation(
    store: &dyn Store,
    student: &str,
    teacher: &str,
) -> ConversationId {
    let student = create_user(store, student, Role::Student).await;
    let teacher = create_user(store, teacher, Role::Teacher).await;
    let conversation = ConversationId::new(student, teacher);
    store.add_link(&Link::of(&conversation)).await.unwrap();
    conversation
}

/// A message to append.
pub fn message(
    conversation: &ConversationId,
    author: &UserId,
    proposed: Timestamp,
    body: &str,
    client: Option<&str>,
) -> NewMessage {
    NewMessage {
        conversation_id: conversation.clone(),
        proposed,
        author: author.clone(),
        body: MessageBody::parse(body).unwrap(),
        message_id: MessageId::generate(),
        client_message_id: client.map(|raw| ClientMessageId::parse(raw).unwrap()),
        announcement_id: None,
        via: None,
    }
}

/// Appends `new` to its conversation, which the test has linked: the `Store` port appends
/// only through `append_if_linked`, so a conversation without a link is a mistake in the
/// test, not an answer.
pub async fn append(store: &dyn Store, new: &NewMessage) -> Result<Appended, StoreError> {
    let appended = store.append_if_linked(new).await?;
    Ok(appended.unwrap_or_else(|| panic!("{} is not linked", new.conversation_id)))
}
