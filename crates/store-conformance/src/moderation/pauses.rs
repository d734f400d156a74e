//! Pauses: [`Store::pause`], [`Store::set_pause`] (conditional on the pause the service
//! read), and [`Store::append_if_linked`] refusing a paused conversation's member (its
//! student or guardian) while the teacher still writes.

use crate::fixtures::{Scope, at, create_user, link, linked_pair, new_message, read, send};
use classchat_core::message::NewMessage;
use classchat_core::moderation::PauseReason;
use classchat_core::store::{Appended, GuardianLink, Pause, Store};
use classchat_core::user::{Role, User};
use classchat_core::{ConversationId, Timestamp};
use std::sync::Arc;

/// A pause by `by` (as `role`) at `at`, with a reason when given.
fn pause(by: &User, role: Role, at: Timestamp, reason: Option<&str>) -> Pause {
    Pause {
        by: by.id.clone(),
        by_role: role,
        at,
        reason: reason.map(|reason| PauseReason::parse(reason).expect("test reasons are valid")),
    }
}

/// [`Store::set_pause`], which must not fail.
async fn set_pause(
    store: &dyn Store,
    conversation: &ConversationId,
    expected: Option<Timestamp>,
    pause: Option<&Pause>,
) -> bool {
    store
        .set_pause(conversation, expected, pause)
        .await
        .unwrap_or_else(|error| panic!("set_pause({conversation}) failed: {error}"))
}

/// [`Store::pause`], which must not fail.
async fn current(store: &dyn Store, conversation: &ConversationId) -> Option<Pause> {
    store
        .pause(conversation)
        .await
        .unwrap_or_else(|error| panic!("pause({conversation}) failed: {error}"))
}

/// [`Store::append_if_linked`], which must not fail: `None` when it refused.
async fn try_append(store: &dyn Store, new: &NewMessage) -> Option<Appended> {
    store
        .append_if_linked(new)
        .await
        .unwrap_or_else(|error| panic!("append_if_linked({:?}) failed: {error}", new.body))
}

/// A conversation has no pause until one is set; then `pause` answers it, every field
/// (by, by_role, at, reason); a pause without a reason round-trips too.
pub async fn pause_is_none_until_set_then_round_trips(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let other = linked_pair(&*store, &scope, "b").await;
    assert_eq!(current(&*store, &pair.conversation).await, None);

    let by_teacher = pause(
        &pair.teacher,
        Role::Teacher,
        at(1_000),
        Some("Time to calm down."),
    );
    assert!(
        set_pause(&*store, &pair.conversation, None, Some(&by_teacher)).await,
        "pausing a conversation that is not paused must be written"
    );
    assert_eq!(
        current(&*store, &pair.conversation).await,
        Some(by_teacher),
        "pause must answer the pause as set, every field"
    );
    assert_eq!(
        current(&*store, &other.conversation).await,
        None,
        "a pause of one conversation leaves another unpaused"
    );

    let admin = create_user(&*store, &scope.id("admin"), "Ada Admin", Role::Admin).await;
    let by_admin = pause(&admin, Role::Admin, at(2_000), None);
    assert!(set_pause(&*store, &other.conversation, None, Some(&by_admin)).await);
    assert_eq!(
        current(&*store, &other.conversation).await,
        Some(by_admin),
        "a pause without a reason, by an admin, round-trips"
    );
}

/// `set_pause` writes only if the stored pause is the one expected: none for `None`,
/// otherwise the one made at `expected`. A wrong expectation changes nothing; the right
/// one replaces or lifts the pause.
pub async fn set_pause_needs_the_pause_that_was_read(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let conversation = &pair.conversation;
    let first = pause(&pair.teacher, Role::Teacher, at(1_000), Some("first"));
    let second = pause(&pair.teacher, Role::Teacher, at(2_000), Some("second"));

    assert!(
        !set_pause(&*store, conversation, Some(at(1_000)), None).await,
        "resuming a conversation that is not paused must not be written"
    );
    assert!(
        !set_pause(&*store, conversation, Some(at(1_000)), Some(&first)).await,
        "a pause expecting another pause must not be written when there is none"
    );
    assert_eq!(current(&*store, conversation).await, None);

    assert!(set_pause(&*store, conversation, None, Some(&first)).await);
    for (expected, change, what) in [
        (None, Some(&second), "a pause expecting none"),
        (
            Some(at(999)),
            Some(&second),
            "a pause expecting another pause",
        ),
        (None, None, "a resume expecting no pause"),
        (Some(at(1_001)), None, "a resume expecting another pause"),
    ] {
        assert!(
            !set_pause(&*store, conversation, expected, change).await,
            "{what} must not be written over the stored pause"
        );
        assert_eq!(
            current(&*store, conversation).await.as_ref(),
            Some(&first),
            "{what} changes nothing"
        );
    }

    assert!(
        set_pause(&*store, conversation, Some(at(1_000)), Some(&second)).await,
        "a pause expecting the stored one replaces it"
    );
    assert_eq!(current(&*store, conversation).await, Some(second));
    assert!(
        set_pause(&*store, conversation, Some(at(2_000)), None).await,
        "a resume expecting the stored pause lifts it"
    );
    assert_eq!(current(&*store, conversation).await, None);
}

/// While a conversation is paused its student's messages are refused with nothing
/// written, the teacher's are appended, and other conversations are untouched; after a
/// resume the student writes again.
pub async fn a_paused_conversation_refuses_its_student_not_its_teacher(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let other = linked_pair(&*store, &scope, "b").await;
    let (conversation, student) = (&pair.conversation, &pair.student.id);
    let before = send(&*store, conversation, student, at(100), "before").await;
    let paused = pause(&pair.teacher, Role::Teacher, at(1_000), Some("a break"));
    assert!(set_pause(&*store, conversation, None, Some(&paused)).await);

    let refused = new_message(conversation, student, at(200), "refused", Some("c-1"));
    assert_eq!(
        try_append(&*store, &refused).await,
        None,
        "a paused conversation refuses its student's message"
    );
    let teacher = send(&*store, conversation, &pair.teacher.id, at(300), "teacher").await;
    let elsewhere = send(
        &*store,
        &other.conversation,
        &other.student.id,
        at(300),
        "x",
    )
    .await;
    assert_eq!(
        read(&*store, conversation, None, None, 10).await.messages,
        vec![before.clone(), teacher.clone()],
        "nothing is written for the refused message; the teacher's is appended"
    );
    assert_eq!(
        read(&*store, &other.conversation, None, None, 10)
            .await
            .messages,
        vec![elsewhere],
        "another conversation's student still writes"
    );
    assert_eq!(
        store
            .unread_count(&pair.teacher.id, conversation)
            .await
            .unwrap(),
        1,
        "the refused message is not counted"
    );

    assert!(set_pause(&*store, conversation, Some(at(1_000)), None).await);
    let Some(Appended::Created(after)) = try_append(&*store, &refused).await else {
        panic!("after a resume the student's message (same clientMessageId) must be created");
    };
    assert!(after.timestamp > teacher.timestamp);
    assert_eq!(
        read(&*store, conversation, None, None, 10).await.messages,
        vec![before, teacher, after]
    );
}

/// A paused family conversation refuses its guardian's messages (sent through their
/// child) and appends the teacher's; the child's own conversation with the teacher is not
/// paused by it.
pub async fn a_paused_family_conversation_refuses_its_guardian(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let guardian = create_user(&*store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let child = create_user(&*store, &scope.id("s"), "Sam", Role::Student).await;
    let teacher = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    link(&*store, &teacher, &child).await;
    store
        .add_guardian(&GuardianLink {
            guardian: guardian.id.clone(),
            student: child.id.clone(),
        })
        .await
        .expect("add_guardian failed");
    let family = ConversationId::new(guardian.id.clone(), teacher.id.clone());
    let through = |author: &User, proposed, body| NewMessage {
        via: Some(child.id.clone()),
        ..new_message(&family, &author.id, proposed, body, None)
    };
    let paused = pause(&teacher, Role::Teacher, at(1_000), None);
    assert!(set_pause(&*store, &family, None, Some(&paused)).await);

    assert_eq!(
        try_append(&*store, &through(&guardian, at(100), "refused")).await,
        None,
        "a paused family conversation refuses its guardian's message"
    );
    let Some(Appended::Created(reply)) =
        try_append(&*store, &through(&teacher, at(200), "teacher")).await
    else {
        panic!("the teacher's message in a paused family conversation must be appended");
    };
    assert_eq!(
        read(&*store, &family, None, None, 10).await.messages,
        vec![reply],
        "nothing is written for the guardian's refused message"
    );
    let own = ConversationId::new(child.id.clone(), teacher.id.clone());
    send(&*store, &own, &child.id, at(300), "mine").await;

    assert!(set_pause(&*store, &family, Some(at(1_000)), None).await);
    assert!(
        matches!(
            try_append(&*store, &through(&guardian, at(400), "back")).await,
            Some(Appended::Created(_))
        ),
        "after a resume the guardian writes again"
    );
}
