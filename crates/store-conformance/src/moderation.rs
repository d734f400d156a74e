//! Safeguarding in the store: an author's edits and removals ([`Store::message`],
//! [`Store::revise_message`], [`Store::message_versions`]) in `revisions`, and what they
//! do to conversation summaries, idempotent retries and reads in `revised`; pauses
//! ([`Store::pause`], [`Store::set_pause`], and the refusal in
//! [`Store::append_if_linked`]) in `pauses`; the moderation queue ([`Store::put_report`],
//! [`Store::report`], [`Store::list_reports`], [`Store::step_report`]) in `reports`;
//! legal holds ([`Store::holds`], [`Store::put_hold`], [`Store::remove_hold`]) in
//! `holds`, and deleting a conversation for retention ([`Store::delete_conversation`])
//! in `retention`; a whole retention pass of the service over the store, with a clock the
//! check moves, in `retention_pass`.
//! The school's edit window and flag rules are checked with the other settings, in
//! `family::settings`.
//!
//! [`Store`]: classchat_core::store::Store

mod holds;
mod pauses;
mod reports;
mod retention;
mod retention_pass;
mod revised;
mod revisions;

pub use holds::{
    holds_are_listed_users_first_then_conversations,
    holds_are_none_until_put_then_listed_with_every_field,
    put_hold_of_a_held_target_changes_nothing, remove_hold_reports_whether_there_was_one,
};

pub use pauses::{
    a_paused_conversation_refuses_its_student_not_its_teacher,
    a_paused_family_conversation_refuses_its_guardian, pause_is_none_until_set_then_round_trips,
    set_pause_needs_the_pause_that_was_read,
};
pub use reports::{
    a_reporter_has_one_report_per_message, list_reports_is_newest_first_by_state_and_page,
    put_report_stores_it_and_report_round_trips_every_field,
    step_report_moves_on_only_from_the_expected_state,
};
pub use retention::{
    a_deleted_conversation_leaves_no_messages_summaries_pause_or_client_ids,
    delete_conversation_deletes_the_oldest_messages_in_batches_until_finished,
    delete_conversation_keeps_what_came_after_up_to,
    delete_conversation_leaves_other_conversations_reports_and_audit_alone,
};
pub use retention_pass::retention_passes_delete_what_expired_keep_what_is_held_and_resume;
pub use revised::{
    a_retry_after_an_edit_answers_the_edited_message,
    revising_an_older_message_leaves_the_summaries_on_the_newest,
    revising_the_newest_message_shows_in_both_summaries,
};
pub use revisions::{
    a_removal_keeps_the_text_and_ends_revisions, a_stale_revision_conflicts_and_changes_nothing,
    an_edit_keeps_the_earlier_text_as_a_version, message_answers_the_stored_message,
    revising_a_missing_message_answers_none,
};

use classchat_core::message::MessageBody;
use classchat_core::store::{Revision, RevisionKind, Store, StoreError};
use classchat_core::{Message, Timestamp};

/// An edit of `message` to `body` at `at`, expecting its `edited_at` as given.
fn edit(message: &Message, expected: Option<Timestamp>, body: &str, at: Timestamp) -> Revision {
    Revision {
        conversation_id: message.conversation_id.clone(),
        timestamp: message.timestamp,
        expected_edited_at: expected,
        kind: RevisionKind::Edit(MessageBody::parse(body).expect("test bodies are valid")),
        at,
    }
}

/// A removal of `message` at `at`, expecting its `edited_at` as given.
fn removal(message: &Message, expected: Option<Timestamp>, at: Timestamp) -> Revision {
    Revision {
        conversation_id: message.conversation_id.clone(),
        timestamp: message.timestamp,
        expected_edited_at: expected,
        kind: RevisionKind::Remove,
        at,
    }
}

/// [`Store::revise_message`] of a message that exists and may be revised: the message
/// as it now is.
async fn revise(store: &dyn Store, revision: &Revision) -> Message {
    match store.revise_message(revision).await {
        Ok(Some(message)) => message,
        other => panic!("revise_message({revision:?}) must revise the message, got {other:?}"),
    }
}

/// Asserts that `revision` is refused as a conflict.
async fn assert_conflict(store: &dyn Store, revision: &Revision, why: &str) {
    match store.revise_message(revision).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{why}: revise_message must answer Conflict, got {other:?}"),
    }
}

/// [`Store::message`], which must not fail.
async fn stored_message(store: &dyn Store, message: &Message) -> Option<Message> {
    store
        .message(&message.conversation_id, message.timestamp)
        .await
        .unwrap_or_else(|error| panic!("message({}) failed: {error}", message.timestamp))
}
