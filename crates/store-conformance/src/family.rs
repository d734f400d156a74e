//! Families in the store: guardian links ([`Store::add_guardian`] and its kin), the
//! [`FamilyLink`]s derived from them and the teachers' links, the family contact list,
//! sends in a guardian's conversation with a teacher ([`Store::append_if_linked`] with
//! [`NewMessage::via`]), and the school's settings.
//!
//! Guardian links are checked in `guardians`, family links in `links`, family contact
//! lists in `contacts`, appends through a child in `sends`, and the settings in
//! `settings`. A family link is derived: every check here changes the guardian link or the
//! teacher link underneath and expects the family links to follow at once, which is what a
//! store that keeps copies of them (DynamoDB) has to get right.

mod contacts;
mod guardians;
mod links;
mod sends;
mod settings;

pub use contacts::{
    family_contacts_follow_the_guardian_conversation,
    family_contacts_for_guardian_list_each_teacher_with_the_children,
    family_contacts_for_teacher_list_each_guardian,
};
pub use guardians::{
    add_guardian_twice_conflicts, list_guardian_links_by_user_and_all_sorted,
    remove_guardian_reports_whether_it_existed,
};
pub use links::{
    each_guardian_of_a_child_has_their_own_family_links, family_links_end_with_either_link,
    family_links_pair_guardians_with_their_childrens_teachers,
};
pub use sends::{
    append_via_a_child_needs_both_links, append_via_is_idempotent_by_client_message_id,
    append_via_needs_the_guardians_child_linked_to_the_teacher,
    guardian_conversations_are_active_for_guardian_and_teacher,
};
pub use settings::{put_settings_replaces_the_settings, settings_are_the_default_until_put};

use crate::fixtures::new_message;
use classchat_core::message::NewMessage;
use classchat_core::store::{Appended, FamilyLink, GuardianLink, Store};
use classchat_core::user::User;
use classchat_core::{ConversationId, Message, Timestamp, UserId};

/// The guardian link of `guardian` to `student`.
fn guardian_link(guardian: &User, student: &User) -> GuardianLink {
    GuardianLink {
        guardian: guardian.id.clone(),
        student: student.id.clone(),
    }
}

/// Makes `guardian` a guardian of `student`, which must succeed.
async fn add_guardian(store: &dyn Store, guardian: &User, student: &User) {
    let link = guardian_link(guardian, student);
    store
        .add_guardian(&link)
        .await
        .unwrap_or_else(|error| panic!("add_guardian({link:?}) failed: {error}"));
}

/// The family link of `guardian` and `teacher` through `student`.
fn family_link(guardian: &User, teacher: &User, student: &User) -> FamilyLink {
    FamilyLink {
        guardian: guardian.id.clone(),
        teacher: teacher.id.clone(),
        student: student.id.clone(),
    }
}

/// `links` sorted, as [`Store::family_links`] must answer them.
fn sorted(mut links: Vec<FamilyLink>) -> Vec<FamilyLink> {
    links.sort();
    links
}

/// [`Store::family_links`] of `user`, which must not fail.
async fn family_links(store: &dyn Store, user: &UserId) -> Vec<FamilyLink> {
    store
        .family_links(user)
        .await
        .unwrap_or_else(|error| panic!("family_links({user}) failed: {error}"))
}

/// The conversation of `guardian` with `teacher`: `<guardianId>+<teacherId>`.
fn family_conversation(guardian: &User, teacher: &User) -> ConversationId {
    ConversationId::new(guardian.id.clone(), teacher.id.clone())
}

/// A message in a guardian's conversation, sent through `child`.
fn via(
    conversation: &ConversationId,
    author: &UserId,
    proposed: Timestamp,
    body: &str,
    client_id: Option<&str>,
    child: &UserId,
) -> NewMessage {
    NewMessage {
        via: Some(child.clone()),
        ..new_message(conversation, author, proposed, body, client_id)
    }
}

/// [`Store::append_if_linked`], which must not fail: `None` when it refused the message.
async fn try_append(store: &dyn Store, new: &NewMessage) -> Option<Appended> {
    store
        .append_if_linked(new)
        .await
        .unwrap_or_else(|error| panic!("append_if_linked({:?}) failed: {error}", new.body))
}

/// Appends a message through `child` that must be new, and returns it as stored.
async fn send_via(
    store: &dyn Store,
    conversation: &ConversationId,
    author: &UserId,
    proposed: Timestamp,
    body: &str,
    child: &UserId,
) -> Message {
    let new = via(conversation, author, proposed, body, None, child);
    match try_append(store, &new).await {
        Some(Appended::Created(message)) => message,
        other => {
            panic!("append_if_linked({body:?}) via {child} must create a message, got {other:?}")
        }
    }
}
