//! Sends in a guardian's conversation with a teacher: [`Store::append_if_linked`] with
//! [`NewMessage::via`](classchat_core::message::NewMessage::via) appends only while the
//! child is the guardian's and linked to the teacher.

use super::{add_guardian, family_conversation, guardian_link, send_via, try_append, via};
use crate::fixtures::{Scope, at, create_user, link, new_message, read, send, stored};
use classchat_core::store::{Appended, Contact, Link, Store};
use classchat_core::user::{Role, User};
use classchat_core::{ConversationId, Message, Timestamp};
use std::sync::Arc;

/// A guardian, their child and the child's teacher, linked both ways.
struct Family {
    guardian: User,
    child: User,
    teacher: User,
    /// `<guardian>+<teacher>`.
    conversation: ConversationId,
}

/// Creates a [`Family`] of a fresh scope: the set-up every check here starts from.
async fn family(store: &dyn Store, scope: &Scope) -> Family {
    let guardian = create_user(store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let child = create_user(store, &scope.id("s"), "Sam", Role::Student).await;
    let teacher = create_user(store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    link(store, &teacher, &child).await;
    add_guardian(store, &guardian, &child).await;
    let conversation = family_conversation(&guardian, &teacher);
    Family {
        guardian,
        child,
        teacher,
        conversation,
    }
}

/// The messages of `conversation`, which must be exactly `expected`.
async fn assert_messages(
    store: &dyn Store,
    conversation: &ConversationId,
    expected: &[Message],
    what: &str,
) {
    let page = read(store, conversation, None, None, 50).await;
    assert_eq!(page.messages, expected, "{what}");
}

/// A message by the guardian through their child is refused without `gone`, and nothing is
/// written: the conversation still holds only `kept`.
async fn assert_refused(
    store: &dyn Store,
    f: &Family,
    proposed: Timestamp,
    gone: &str,
    kept: &Message,
) {
    let refused = via(
        &f.conversation,
        &f.guardian.id,
        proposed,
        "refused",
        None,
        &f.child.id,
    );
    assert_eq!(
        try_append(store, &refused).await,
        None,
        "without {gone}, a message through the child must be refused"
    );
    assert_messages(
        store,
        &f.conversation,
        std::slice::from_ref(kept),
        &format!("nothing is written for a message refused without {gone}"),
    )
    .await;
}

/// A message through a child is appended while the child is the guardian's and linked to
/// the teacher, and refused, with nothing written, as soon as either link is gone.
pub async fn append_via_a_child_needs_both_links(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let f = family(&*store, &scope).await;
    let (g, s, t) = (&f.guardian.id, &f.child.id, &f.teacher.id);

    let first = via(&f.conversation, g, at(1_000), "hello", Some("c-1"), s);
    let message = match try_append(&*store, &first).await {
        Some(Appended::Created(message)) => message,
        other => panic!("append_if_linked via the child must create a message, got {other:?}"),
    };
    assert_eq!(
        message,
        stored(&first, at(1_000)),
        "a message through a child is stored as given; `via` is not part of it"
    );

    let link = Link {
        teacher: t.clone(),
        student: s.clone(),
    };
    assert!(
        store
            .remove_guardian(&guardian_link(&f.guardian, &f.child))
            .await
            .unwrap()
    );
    assert_refused(&*store, &f, at(2_000), "the guardian link", &message).await;

    add_guardian(&*store, &f.guardian, &f.child).await;
    assert!(store.remove_link(&link).await.unwrap());
    assert_refused(&*store, &f, at(2_001), "the teacher's link", &message).await;

    store.add_link(&link).await.unwrap();
    let reply = send_via(&*store, &f.conversation, t, at(3_000), "back again", s).await;
    assert_messages(
        &*store,
        &f.conversation,
        &[message, reply],
        "with both links back, the teacher's message through the child is appended",
    )
    .await;
}

/// `via` must name a child of the guardian who is linked to the teacher: another
/// guardian's child linked to the teacher, the guardian's child linked to another teacher,
/// or nobody at all is refused, and a guardian's conversation without `via` has no link
/// of its own to be appended by.
pub async fn append_via_needs_the_guardians_child_linked_to_the_teacher(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let f = family(&*store, &scope).await;
    let (g, t) = (&f.guardian.id, &f.teacher.id);
    // Another guardian's child, linked to the teacher.
    let theirs = create_user(&*store, &scope.id("s-theirs"), "Theirs", Role::Student).await;
    let other_guardian = create_user(&*store, &scope.id("h"), "Hal", Role::Guardian).await;
    link(&*store, &f.teacher, &theirs).await;
    add_guardian(&*store, &other_guardian, &theirs).await;
    // The guardian's child, linked to another teacher only.
    let sibling = create_user(&*store, &scope.id("s-sibling"), "Sibling", Role::Student).await;
    let other_teacher = create_user(&*store, &scope.id("u"), "Uma", Role::Teacher).await;
    link(&*store, &other_teacher, &sibling).await;
    add_guardian(&*store, &f.guardian, &sibling).await;

    let refusals = [
        (Some(&theirs.id), "a child who is not the guardian's"),
        (Some(&sibling.id), "a child not linked to the teacher"),
        (Some(&scope.id("nobody")), "a child who does not exist"),
        (None, "no child at all"),
    ];
    for (step, (child, what)) in (0_i64..).zip(refusals) {
        for author in [g, t] {
            let new = match child {
                Some(child) => via(&f.conversation, author, at(100 + step), what, None, child),
                None => new_message(&f.conversation, author, at(100 + step), what, None),
            };
            assert_eq!(
                try_append(&*store, &new).await,
                None,
                "a message by {author} through {what} must be refused"
            );
        }
    }
    assert!(
        !store.has_messages(&f.conversation).await.unwrap(),
        "nothing is written for refused messages"
    );
    assert!(
        store.active_conversations(g).await.unwrap().is_empty(),
        "refused messages leave no conversation summary"
    );

    let message = send_via(
        &*store,
        &f.conversation,
        t,
        at(500),
        "through the child",
        &f.child.id,
    )
    .await;
    assert_messages(
        &*store,
        &f.conversation,
        &[message],
        "only the message through the child",
    )
    .await;
}

/// A retry of a message through a child with the same clientMessageId stores nothing and
/// answers the first attempt's message.
pub async fn append_via_is_idempotent_by_client_message_id(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let f = family(&*store, &scope).await;
    let (g, s, t) = (&f.guardian.id, &f.child.id, &f.teacher.id);

    let first = via(&f.conversation, g, at(100), "hello", Some("c-1"), s);
    let message = match try_append(&*store, &first).await {
        Some(Appended::Created(message)) => message,
        other => panic!("the first attempt must create a message, got {other:?}"),
    };
    let retry = via(&f.conversation, g, at(200), "hello", Some("c-1"), s);
    assert_eq!(
        try_append(&*store, &retry).await,
        Some(Appended::Existing(message.clone())),
        "a retry with the same clientMessageId must answer the first attempt's message"
    );
    assert_messages(
        &*store,
        &f.conversation,
        std::slice::from_ref(&message),
        "the retry wrote nothing",
    )
    .await;
    assert_eq!(
        store.unread_count(t, &f.conversation).await.unwrap(),
        1,
        "the retry must not count twice"
    );
}

/// A guardian's conversation with a teacher is one of both their active conversations,
/// with the other as the peer, ordered by activity among the teacher's others, and one
/// they catch up on after reconnecting.
pub async fn guardian_conversations_are_active_for_guardian_and_teacher(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let f = family(&*store, &scope).await;
    let (g, s, t) = (&f.guardian.id, &f.child.id, &f.teacher.id);
    let plain = |peer: &User, conversation: &ConversationId, last: &Message, unread| Contact {
        peer: peer.clone(),
        conversation_id: conversation.clone(),
        last_message: Some(last.clone()),
        unread_count: unread,
        family: Vec::new(),
    };
    assert!(
        store.active_conversations(g).await.unwrap().is_empty(),
        "without messages a guardian has no active conversations"
    );

    send_via(&*store, &f.conversation, g, at(100), "hello", s).await;
    let reply = send_via(&*store, &f.conversation, t, at(200), "hi", s).await;
    assert_eq!(
        store.active_conversations(g).await.unwrap(),
        vec![plain(&f.teacher, &f.conversation, &reply, 1)],
        "the guardian sees the conversation with the teacher as the peer"
    );
    let own = ConversationId::new(s.clone(), t.clone());
    let newer = send(&*store, &own, s, at(300), "from the child").await;
    assert_eq!(
        store.active_conversations(t).await.unwrap(),
        vec![
            plain(&f.child, &own, &newer, 1),
            plain(&f.guardian, &f.conversation, &reply, 1),
        ],
        "the teacher sees the guardian as the peer, among their other conversations by \
         newest activity"
    );
    assert_eq!(
        store.conversations_since(g, at(150)).await.unwrap(),
        vec![f.conversation.clone()],
        "a reconnecting guardian catches up on their conversation with the teacher"
    );
}
