//! The conformance suite every classchat [`Store`] implementation must pass.
//!
//! Each check is a public `async fn(Arc<dyn Store>)` that panics, with a message saying
//! which part of the [`Store`] contract broke, when the store misbehaves. Every check
//! works on ids of its own (a fresh ULID prefix), so the checks are independent even if
//! they were run against one shared store; the harness still gives each its own.
//!
//! # Wiring a store
//!
//! In an integration test of the store's crate, write an `async fn` (or anything callable
//! with no arguments that returns a future) producing a fresh store and a guard that keeps
//! whatever backs it alive — a temporary directory, a container, a table name to drop —
//! then invoke [`conformance_suite!`] with it (a sketch; the real wiring is in
//! `crates/store-sqlite/tests/sqlite/conformance.rs`):
//!
//! ```text
//! use classchat_core::store::Store;
//! use std::sync::Arc;
//!
//! async fn make_store() -> (Arc<dyn Store>, tempfile::TempDir) {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = MyStore::open(dir.path().join("db")).unwrap();
//!     (Arc::new(store), dir)
//! }
//!
//! classchat_store_conformance::conformance_suite!(make_store);
//! ```
//!
//! That expands to one `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per
//! check, named after it, which builds a fresh store, runs the check, and drops the guard
//! last. The calling crate needs `tokio` (features `macros` and `rt-multi-thread`) among
//! its dev-dependencies.
//!
//! # Layout
//! - `users`, `links`: accounts and enrollments.
//! - `messages`: appending — timestamps, idempotency, concurrency.
//! - `paging`: reading pages backwards and forwards.
//! - `contacts`: contact lists, summaries, unread counts, read markers.
//! - `audit`: the audit log.
//! - `roster`: roster imports — `roster_state` and `apply_roster`, roster links and
//!   guardian links alongside those by hand, and re-planning an applied import (nothing
//!   left to change).
//! - `classes`: classes as members read them (`class`, `classes_of`) after imports.
//! - `announcements`: class announcements — a copy per linked conversation, idempotent
//!   per (author, clientMessageId), completed by a retry.
//! - `family`: guardian links, the family links derived from them and teachers' links,
//!   family contact lists, sends through a child (`append_if_linked` with `via`), and the
//!   school's settings (guardian oversight, and the notification settings: quiet hours,
//!   push previews, digest text).
//! - `notify`: each user's notification preferences and their browsers' push
//!   subscriptions (one owner per endpoint, at most ten per user); pending notifications
//!   (merged per user and kind, listed by due time, taken at most once) and the leases of
//!   background jobs (one holder until it lapses).
//! - `moderation`: safeguarding — an author's edits (every earlier text kept as a
//!   version) and removals (tombstones keeping their text), refused on a stale read, and
//!   how summaries, retries and pages show them; pauses, set and lifted only over the
//!   pause that was read, refusing the paused conversation's student or guardian; the
//!   moderation queue's reports (one per reporter and message), listed newest first by
//!   state, and moved on only from the state that was read; legal holds (one per target,
//!   listed users first); deleting a conversation for retention, in batches oldest first,
//!   up to an instant, leaving no message, version, pause, summary or clientMessageId
//!   record behind and everything else alone.
//! - `replay`: the `sync` replay (`ChatService::replay`) over the store: within its memory
//!   budget for a thousand conversations, complete and in order.
//! - `fixtures`: small shared builders.
//!
//! [`Store`]: classchat_core::store::Store

mod announcements;
mod audit;
mod classes;
mod contacts;
mod family;
mod fixtures;
mod links;
mod messages;
mod moderation;
mod notify;
mod paging;
mod replay;
mod roster;
mod users;

pub use announcements::{
    announcements_with_other_client_ids_are_separate,
    append_announcement_stores_a_copy_per_linked_conversation,
    retrying_an_announcement_stores_nothing_twice,
};
pub use audit::{audit_entries_round_trip, audit_lists_newest_first_with_paging};
pub use classes::classes_of_lists_the_classes_each_member_is_in;
pub use contacts::{
    active_conversations_lists_newest_activity_first, concurrent_mark_reads_move_the_marker_once,
    conversations_since_lists_conversations_with_newer_messages,
    linked_contacts_for_student_lists_every_teacher,
    linked_contacts_for_teacher_lists_every_student, mark_read_moves_forward_only,
    mark_read_never_passes_newest_message, mark_read_without_messages_returns_none,
    own_messages_are_never_unread, read_marker_reports_each_users_marker,
    unread_count_follows_messages_and_the_read_marker,
};
pub use family::{
    add_guardian_twice_conflicts, append_via_a_child_needs_both_links,
    append_via_is_idempotent_by_client_message_id,
    append_via_needs_the_guardians_child_linked_to_the_teacher,
    each_guardian_of_a_child_has_their_own_family_links,
    family_contacts_follow_the_guardian_conversation,
    family_contacts_for_guardian_list_each_teacher_with_the_children,
    family_contacts_for_teacher_list_each_guardian, family_links_end_with_either_link,
    family_links_pair_guardians_with_their_childrens_teachers,
    guardian_conversations_are_active_for_guardian_and_teacher,
    list_guardian_links_by_user_and_all_sorted, put_settings_replaces_the_settings,
    remove_guardian_reports_whether_it_existed, settings_are_the_default_until_put,
};
pub use links::{
    add_link_then_is_linked, add_link_twice_conflicts, list_links_by_user_and_all_sorted,
    remove_link_reports_whether_it_existed,
};
pub use messages::{
    append_bumps_colliding_timestamps, append_if_linked_needs_the_link,
    append_uses_proposed_timestamp_when_free, client_message_id_is_scoped_per_author,
    client_message_id_makes_append_idempotent,
    concurrent_appends_get_distinct_increasing_timestamps,
    has_messages_and_conversations_are_isolated,
};
pub use moderation::{
    a_deleted_conversation_leaves_no_messages_summaries_pause_or_client_ids,
    a_paused_conversation_refuses_its_student_not_its_teacher,
    a_paused_family_conversation_refuses_its_guardian, a_removal_keeps_the_text_and_ends_revisions,
    a_reporter_has_one_report_per_message, a_retry_after_an_edit_answers_the_edited_message,
    a_stale_revision_conflicts_and_changes_nothing, an_edit_keeps_the_earlier_text_as_a_version,
    delete_conversation_deletes_the_oldest_messages_in_batches_until_finished,
    delete_conversation_keeps_what_came_after_up_to,
    delete_conversation_leaves_other_conversations_reports_and_audit_alone,
    holds_are_listed_users_first_then_conversations,
    holds_are_none_until_put_then_listed_with_every_field,
    list_reports_is_newest_first_by_state_and_page, message_answers_the_stored_message,
    pause_is_none_until_set_then_round_trips, put_hold_of_a_held_target_changes_nothing,
    put_report_stores_it_and_report_round_trips_every_field,
    remove_hold_reports_whether_there_was_one,
    retention_passes_delete_what_expired_keep_what_is_held_and_resume,
    revising_a_missing_message_answers_none,
    revising_an_older_message_leaves_the_summaries_on_the_newest,
    revising_the_newest_message_shows_in_both_summaries, set_pause_needs_the_pause_that_was_read,
    step_report_moves_on_only_from_the_expected_state,
};
pub use notify::{
    a_lease_has_one_holder_until_it_lapses,
    an_eleventh_subscription_older_than_the_rest_is_dropped,
    an_endpoint_registered_by_another_user_moves_to_them,
    due_pending_lists_those_due_earliest_first_then_by_user,
    notify_prefs_are_the_default_until_put, push_subscriptions_are_oldest_first_then_by_endpoint,
    put_notify_prefs_replaces_them_whole, put_pending_merges_keeping_the_earlier_due_and_since,
    putting_the_same_endpoint_replaces_its_keys,
    remove_push_subscription_removes_only_the_callers_own,
    take_pending_takes_only_what_is_stored_once, the_eleventh_subscription_removes_the_oldest,
};
pub use paging::{
    read_cursors_are_exclusive, read_without_cursor_returns_newest_page,
    walk_backwards_through_120_messages, walk_forwards_through_120_messages,
};
pub use replay::replay_of_a_thousand_conversations_stays_within_its_budget;
pub use roster::{
    add_link_of_a_roster_link_conflicts, apply_roster_adds_guardian_links_that_family_links_follow,
    apply_roster_creating_a_taken_user_id_conflicts, apply_roster_replaces_and_deletes_classes,
    apply_roster_updates_accounts_as_their_patch_says,
    remove_guardian_removes_roster_guardian_links_entirely,
    remove_link_removes_roster_links_entirely, replanning_an_applied_import_changes_nothing,
    roster_guardian_links_merge_with_guardian_links_by_hand,
    roster_links_merge_with_links_added_by_hand, roster_state_lists_what_apply_roster_created,
};
pub use users::{
    create_user_then_get_returns_it, create_user_twice_conflicts, list_users_filters_by_role,
    list_users_pages_in_id_order, ping_succeeds, update_user_applies_patch_fields,
};

/// Expands to one tokio test per conformance check, each run against a fresh store.
///
/// `$make_store` is anything callable with no arguments that returns a future of
/// `(Arc<dyn Store>, Guard)`, typically the path of an `async fn`. The guard (any type) is
/// kept alive until the check has finished and the store has been dropped. See the crate
/// documentation for an example.
#[macro_export]
macro_rules! conformance_suite {
    ($make_store:expr $(,)?) => {
        $crate::__conformance_tests! {
            $make_store;
            ping_succeeds,
            create_user_then_get_returns_it,
            conversations_since_lists_conversations_with_newer_messages,
            create_user_twice_conflicts,
            update_user_applies_patch_fields,
            list_users_pages_in_id_order,
            list_users_filters_by_role,
            add_link_then_is_linked,
            add_link_twice_conflicts,
            remove_link_reports_whether_it_existed,
            list_links_by_user_and_all_sorted,
            append_uses_proposed_timestamp_when_free,
            append_bumps_colliding_timestamps,
            append_if_linked_needs_the_link,
            concurrent_appends_get_distinct_increasing_timestamps,
            client_message_id_makes_append_idempotent,
            client_message_id_is_scoped_per_author,
            has_messages_and_conversations_are_isolated,
            read_without_cursor_returns_newest_page,
            read_cursors_are_exclusive,
            walk_backwards_through_120_messages,
            walk_forwards_through_120_messages,
            linked_contacts_for_student_lists_every_teacher,
            linked_contacts_for_teacher_lists_every_student,
            active_conversations_lists_newest_activity_first,
            own_messages_are_never_unread,
            mark_read_moves_forward_only,
            concurrent_mark_reads_move_the_marker_once,
            mark_read_never_passes_newest_message,
            mark_read_without_messages_returns_none,
            read_marker_reports_each_users_marker,
            unread_count_follows_messages_and_the_read_marker,
            audit_entries_round_trip,
            audit_lists_newest_first_with_paging,
            replay_of_a_thousand_conversations_stays_within_its_budget,
            roster_state_lists_what_apply_roster_created,
            apply_roster_updates_accounts_as_their_patch_says,
            apply_roster_replaces_and_deletes_classes,
            apply_roster_creating_a_taken_user_id_conflicts,
            roster_links_merge_with_links_added_by_hand,
            remove_link_removes_roster_links_entirely,
            add_link_of_a_roster_link_conflicts,
            apply_roster_adds_guardian_links_that_family_links_follow,
            roster_guardian_links_merge_with_guardian_links_by_hand,
            remove_guardian_removes_roster_guardian_links_entirely,
            replanning_an_applied_import_changes_nothing,
            classes_of_lists_the_classes_each_member_is_in,
            append_announcement_stores_a_copy_per_linked_conversation,
            retrying_an_announcement_stores_nothing_twice,
            announcements_with_other_client_ids_are_separate,
            list_guardian_links_by_user_and_all_sorted,
            add_guardian_twice_conflicts,
            remove_guardian_reports_whether_it_existed,
            family_links_pair_guardians_with_their_childrens_teachers,
            each_guardian_of_a_child_has_their_own_family_links,
            family_links_end_with_either_link,
            family_contacts_for_guardian_list_each_teacher_with_the_children,
            family_contacts_for_teacher_list_each_guardian,
            family_contacts_follow_the_guardian_conversation,
            append_via_a_child_needs_both_links,
            append_via_needs_the_guardians_child_linked_to_the_teacher,
            append_via_is_idempotent_by_client_message_id,
            guardian_conversations_are_active_for_guardian_and_teacher,
            settings_are_the_default_until_put,
            put_settings_replaces_the_settings,
            notify_prefs_are_the_default_until_put,
            put_notify_prefs_replaces_them_whole,
            push_subscriptions_are_oldest_first_then_by_endpoint,
            putting_the_same_endpoint_replaces_its_keys,
            an_endpoint_registered_by_another_user_moves_to_them,
            the_eleventh_subscription_removes_the_oldest,
            an_eleventh_subscription_older_than_the_rest_is_dropped,
            remove_push_subscription_removes_only_the_callers_own,
            due_pending_lists_those_due_earliest_first_then_by_user,
            put_pending_merges_keeping_the_earlier_due_and_since,
            take_pending_takes_only_what_is_stored_once,
            a_lease_has_one_holder_until_it_lapses,
            message_answers_the_stored_message,
            an_edit_keeps_the_earlier_text_as_a_version,
            a_stale_revision_conflicts_and_changes_nothing,
            a_removal_keeps_the_text_and_ends_revisions,
            revising_a_missing_message_answers_none,
            revising_the_newest_message_shows_in_both_summaries,
            revising_an_older_message_leaves_the_summaries_on_the_newest,
            a_retry_after_an_edit_answers_the_edited_message,
            pause_is_none_until_set_then_round_trips,
            set_pause_needs_the_pause_that_was_read,
            a_paused_conversation_refuses_its_student_not_its_teacher,
            a_paused_family_conversation_refuses_its_guardian,
            put_report_stores_it_and_report_round_trips_every_field,
            a_reporter_has_one_report_per_message,
            list_reports_is_newest_first_by_state_and_page,
            step_report_moves_on_only_from_the_expected_state,
            holds_are_none_until_put_then_listed_with_every_field,
            put_hold_of_a_held_target_changes_nothing,
            holds_are_listed_users_first_then_conversations,
            remove_hold_reports_whether_there_was_one,
            delete_conversation_deletes_the_oldest_messages_in_batches_until_finished,
            a_deleted_conversation_leaves_no_messages_summaries_pause_or_client_ids,
            delete_conversation_keeps_what_came_after_up_to,
            delete_conversation_leaves_other_conversations_reports_and_audit_alone,
            retention_passes_delete_what_expired_keep_what_is_held_and_resume,
        }
    };
}

/// Implementation detail of [`conformance_suite!`]: one test per listed check.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($make_store:expr; $($check:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (store, guard) = ($make_store)().await;
                $crate::$check(store).await;
                ::std::mem::drop(guard);
            }
        )*
    };
}
