//! A send: who may, and exactly what a refused sender is told. A stranger learns nothing
//! (one 403 whoever the other id is); a pair with a relation hears the precise reason
//! (404 no such user, 400 not a student–teacher pair, 403 `not_linked`).

use super::{School, at, status};
use crate::ConversationId;
use crate::error::{ChatError, ErrorCode};
use crate::hub::Event;
use crate::policy::NOT_YOUR_CONVERSATION;
use crate::service::SendRequest;
use crate::store::{PageRequest, Store};
use crate::user::{Role, User};

fn request<'a>(conversation: &'a str, author: &'a str, body: &'a str) -> SendRequest<'a> {
    SendRequest {
        conversation_id: conversation,
        author,
        message_body: body,
        client_message_id: None,
        origin: None,
        urgent: false,
    }
}

/// Sends `body` as `caller` into `conversation`.
async fn send(
    school: &School,
    caller: &User,
    conversation: &str,
    body: &str,
) -> Result<(), ChatError> {
    let request = request(conversation, caller.id.as_str(), body);
    school.service.send(caller, request).await.map(|_| ())
}

/// Messages stored in `conversation`.
async fn stored(school: &School, conversation: &str) -> usize {
    let conversation = ConversationId::parse_canonical(conversation).unwrap();
    let page = PageRequest {
        before: None,
        after: None,
        limit: 200,
    };
    school
        .store
        .read_messages(&conversation, &page)
        .await
        .unwrap()
        .messages
        .len()
}

/// `s1` linked with `t1`; `t2` taught `s1` once (history, no link any more); `s2`, `t3` and
/// the admin `a1` have nothing to do with `s1`.
struct Cast {
    school: School,
    s1: User,
    s2: User,
    t1: User,
    a1: User,
}

async fn cast() -> Cast {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    let s2 = school.user("s2", Role::Student).await;
    let t1 = school.user("t1", Role::Teacher).await;
    school.user("t2", Role::Teacher).await;
    school.user("t3", Role::Teacher).await;
    let a1 = school.user("a1", Role::Admin).await;
    school.link(&t1, &s1).await;
    school.history("s1+t2", "t2", at(-1_000), "last term").await;
    school.store.take_calls();
    Cast {
        school,
        s1,
        s2,
        t1,
        a1,
    }
}

#[tokio::test]
async fn a_linked_pair_may_send_whichever_order_the_ids_are_written_in() {
    let c = cast().await;
    for (caller, spelling) in [(&c.s1, "s1+t1"), (&c.s1, "t1+s1"), (&c.t1, "s1 t1")] {
        send(&c.school, caller, spelling, "hello").await.unwrap();
    }
    assert_eq!(stored(&c.school, "s1+t1").await, 3);
    let published = c.school.hub.published.lock().unwrap().clone();
    assert_eq!(published.len(), 3, "each new message is delivered once");
    for (delivery, event) in published {
        let recipients: Vec<&str> = delivery.recipients.iter().map(|id| id.as_str()).collect();
        assert_eq!(recipients, ["s1", "t1"]);
        assert!(
            matches!(event, Event::Message(message) if message.conversation_id.to_string() == "s1+t1")
        );
    }
}

#[tokio::test]
async fn a_send_of_a_linked_pair_is_one_store_call() {
    let c = cast().await;
    // The first send to a teacher also reads their hours, and the school's flag rules,
    // each remembered for a while (`notify::hours_are_read_once_per_while_not_once_per_send`).
    send(&c.school, &c.s1, "t1+s1", "hello").await.unwrap();
    assert_eq!(
        c.school.store.take_calls(),
        ["append_if_linked", "notify_prefs", "settings"]
    );
    send(&c.school, &c.s1, "t1+s1", "hello again")
        .await
        .unwrap();
    assert_eq!(c.school.store.take_calls(), ["append_if_linked"]);
}

#[tokio::test]
async fn a_retry_with_the_same_client_message_id_returns_the_first_message_and_tells_nobody() {
    let c = cast().await;
    let retry = SendRequest {
        client_message_id: Some("c-1"),
        ..request("s1+t1", "s1", "hello")
    };
    let first = c.school.service.send(&c.s1, retry).await.unwrap();
    let second = c.school.service.send(&c.s1, retry).await.unwrap();
    assert!(first.created);
    assert!(!second.created);
    assert_eq!(first.message, second.message);
    assert_eq!(stored(&c.school, "s1+t1").await, 1);
    assert_eq!(c.school.hub.published.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_client_message_id_reused_in_another_conversation_is_a_409() {
    let c = cast().await;
    let t4 = c.school.user("t4", Role::Teacher).await;
    c.school.link(&t4, &c.s1).await;
    let first = SendRequest {
        client_message_id: Some("c-1"),
        ..request("s1+t1", "s1", "hello")
    };
    c.school.service.send(&c.s1, first).await.unwrap();
    let elsewhere = SendRequest {
        conversation_id: "s1+t4",
        ..first
    };
    let refused = c.school.service.send(&c.s1, elsewhere).await.unwrap_err();
    assert_eq!(status(&refused), 409);
    assert_eq!(refused.code(), ErrorCode::ClientMessageIdReused);
    assert_eq!(stored(&c.school, "s1+t4").await, 0);
}

#[tokio::test]
async fn admins_never_send_and_are_told_so_before_anything_is_read() {
    let c = cast().await;
    for (conversation, author) in [("s1+t1", "a1"), ("s1+t1", "s1"), ("nonsense", "not an id!")] {
        let refused = c
            .school
            .service
            .send(&c.a1, request(conversation, author, "hi"))
            .await
            .unwrap_err();
        assert_eq!(refused, ChatError::forbidden("admins do not send messages"));
    }
    assert!(c.school.store.take_calls().is_empty());
}

#[tokio::test]
async fn sending_as_someone_else_is_a_403_before_anything_is_read() {
    let c = cast().await;
    for author in ["t1", "s2", "", "S1"] {
        let refused = c
            .school
            .service
            .send(&c.s1, request("s1+t1", author, "hi"))
            .await
            .unwrap_err();
        assert_eq!(status(&refused), 403, "{author:?}");
        assert_eq!(refused.to_string(), "author must be the signed-in user");
    }
    assert!(c.school.store.take_calls().is_empty());
    assert_eq!(stored(&c.school, "s1+t1").await, 0);
}

#[tokio::test]
async fn a_malformed_conversation_is_a_400_and_a_bad_body_a_422_before_anything_is_read() {
    let c = cast().await;
    let refused = send(&c.school, &c.s1, "s1", "hi").await.unwrap_err();
    assert_eq!(
        (status(&refused), refused.code()),
        (400, ErrorCode::InvalidConversationId)
    );
    let refused = send(&c.school, &c.s1, "s1+t1", "   ").await.unwrap_err();
    assert_eq!(
        (status(&refused), refused.code()),
        (422, ErrorCode::InvalidMessageBody)
    );
    assert!(c.school.store.take_calls().is_empty());
}

#[tokio::test]
async fn naming_someone_elses_conversation_is_a_403_without_a_store_read() {
    let c = cast().await;
    let refused = send(&c.school, &c.s2, "s1+t1", "hi").await.unwrap_err();
    assert_eq!(refused, ChatError::forbidden(NOT_YOUR_CONVERSATION));
    assert!(c.school.store.take_calls().is_empty());
}

#[tokio::test]
async fn a_stranger_gets_the_same_403_whoever_the_other_id_is_and_nobody_is_looked_up() {
    let c = cast().await;
    // An unrelated teacher, nobody at all, another student, an admin.
    for other in ["t3", "ghost", "s2", "a1"] {
        for spelling in [format!("s1+{other}"), format!("{other}+s1")] {
            let refused = send(&c.school, &c.s1, &spelling, "hi").await.unwrap_err();
            assert_eq!(
                refused,
                ChatError::forbidden(NOT_YOUR_CONVERSATION),
                "{spelling}"
            );
        }
    }
    let calls = c.school.store.take_calls();
    assert!(!calls.contains(&"get_user"), "{calls:?}");
    // And from the teacher's side the same.
    let refused = send(&c.school, &c.t1, "t1+s2", "hi").await.unwrap_err();
    assert_eq!(refused, ChatError::forbidden(NOT_YOUR_CONVERSATION));
}

#[tokio::test]
async fn a_pair_with_history_but_no_link_is_told_403_not_linked() {
    let c = cast().await;
    for spelling in ["s1+t2", "t2+s1"] {
        let refused = send(&c.school, &c.s1, spelling, "hi").await.unwrap_err();
        assert_eq!(
            (status(&refused), refused.code()),
            (403, ErrorCode::NotLinked),
            "{spelling}"
        );
    }
    assert_eq!(stored(&c.school, "s1+t2").await, 1, "only the old message");
}

#[tokio::test]
async fn history_with_a_user_who_does_not_exist_is_a_404() {
    let c = cast().await;
    c.school.history("s1+gone", "gone", at(-500), "bye").await;
    let refused = send(&c.school, &c.s1, "s1+gone", "hi").await.unwrap_err();
    assert_eq!(status(&refused), 404);
    assert_eq!(stored(&c.school, "s1+gone").await, 1);
}

#[tokio::test]
async fn history_with_someone_who_is_no_longer_a_teacher_is_a_400() {
    let c = cast().await;
    let former = c.school.user("t5", Role::Teacher).await;
    c.school.history("s1+t5", "t5", at(-500), "old").await;
    let patch = crate::store::UserPatch {
        role: Some(Role::Student),
        ..Default::default()
    };
    c.school
        .store
        .update_user(&former.id, &patch)
        .await
        .unwrap();
    let refused = send(&c.school, &c.s1, "s1+t5", "hi").await.unwrap_err();
    assert_eq!(
        (status(&refused), refused.code()),
        (400, ErrorCode::InvalidConversationId)
    );
}

#[tokio::test]
async fn a_send_after_the_link_is_removed_is_refused_and_writes_nothing() {
    let c = cast().await;
    send(&c.school, &c.s1, "s1+t1", "while linked")
        .await
        .unwrap();
    c.school.unlink(&c.t1, &c.s1).await;
    let refused = send(&c.school, &c.t1, "s1+t1", "too late")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotLinked);
    assert_eq!(stored(&c.school, "s1+t1").await, 1);
    assert_eq!(c.school.hub.published.lock().unwrap().len(), 1);
}
