//! What deleting a conversation for retention spares: messages after `up_to` (with
//! their clientMessageIds and the summaries on them), the conversation's participants'
//! other conversations, other pairs' conversations, reports and the audit log.

use super::{active, append, delete, everything, pause, send, versions};
use crate::fixtures::{Scope, at, create_user, link, linked_pair, new_message};
use crate::moderation::{edit, revise};
use classchat_core::ConversationId;
use classchat_core::moderation::ReportReason;
use classchat_core::store::{
    Appended, AuditAction, AuditEntry, Deletion, Pause, Report, ReportId, ReportSource,
    ReportState, Store,
};
use classchat_core::user::Role;
use std::sync::Arc;

/// Messages after `up_to` stay (a message at `up_to` goes): deleting up to the third of
/// five messages, two at a time, deletes two, then one and finishes; the two newer ones,
/// their clientMessageIds and both participants' summaries (on the newest message) stay.
pub async fn delete_conversation_keeps_what_came_after_up_to(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let conversation = &pair.conversation;
    let mut messages = Vec::new();
    for index in 0..5_i64 {
        let author = if index % 2 == 0 {
            &pair.student.id
        } else {
            &pair.teacher.id
        };
        let client_id = format!("up-{index}");
        messages.push(
            send(
                &*store,
                conversation,
                author,
                (index + 1) * 100,
                Some(&client_id),
            )
            .await,
        );
    }
    let up_to = messages[2].timestamp;

    assert_eq!(
        delete(&*store, conversation, up_to, 2).await,
        Deletion {
            messages: 2,
            finished: false
        }
    );
    assert_eq!(
        delete(&*store, conversation, up_to, 2).await,
        Deletion {
            messages: 1,
            finished: true
        },
        "the message at up_to is deleted too, and then none is left at or before it"
    );
    assert_eq!(
        everything(&*store, conversation).await,
        messages[3..],
        "messages after up_to stay as they were"
    );
    assert!(
        store
            .has_messages(conversation)
            .await
            .expect("has_messages")
    );
    for user in [&pair.student.id, &pair.teacher.id] {
        let line = active(&*store, user)
            .await
            .into_iter()
            .find(|contact| &contact.conversation_id == conversation)
            .unwrap_or_else(|| panic!("{user}'s summary must stay: it is on a newer message"));
        assert_eq!(
            line.last_message.as_ref(),
            Some(&messages[4]),
            "{user}'s summary still shows the newest message"
        );
    }
    assert_eq!(
        delete(&*store, conversation, up_to, 2).await,
        Deletion {
            messages: 0,
            finished: true
        }
    );
    assert_eq!(everything(&*store, conversation).await, messages[3..]);

    let newer = new_message(
        conversation,
        &pair.student.id,
        at(900),
        "again",
        Some("up-4"),
    );
    assert_eq!(
        append(&*store, &newer).await,
        Appended::Existing(messages[4].clone()),
        "a message that stays keeps its clientMessageId"
    );
    let older = new_message(
        conversation,
        &pair.student.id,
        at(901),
        "again",
        Some("up-0"),
    );
    assert!(
        matches!(append(&*store, &older).await, Appended::Created(_)),
        "a deleted message's clientMessageId is free again"
    );
}

/// Deleting one conversation leaves everything else as it was: the same student's
/// conversation with another teacher (its messages, versions, pause and summaries),
/// another pair's conversation, reports (on the deleted messages too) and the audit log.
pub async fn delete_conversation_leaves_other_conversations_reports_and_audit_alone(
    store: Arc<dyn Store>,
) {
    let scope = Scope::new();
    let doomed = linked_pair(&*store, &scope, "a").await;
    let other_teacher = create_user(
        &*store,
        &scope.id("t-other"),
        "Teacher other",
        Role::Teacher,
    )
    .await;
    link(&*store, &other_teacher, &doomed.student).await;
    let sibling = ConversationId::new(doomed.student.id.clone(), other_teacher.id.clone());
    let stranger = linked_pair(&*store, &scope, "b").await;

    let first = send(
        &*store,
        &doomed.conversation,
        &doomed.student.id,
        100,
        Some("x-1"),
    )
    .await;
    send(&*store, &doomed.conversation, &doomed.teacher.id, 200, None).await;
    send(&*store, &sibling, &doomed.student.id, 150, Some("x-2")).await;
    let edited = send(&*store, &sibling, &other_teacher.id, 250, Some("x-3")).await;
    revise(&*store, &edit(&edited, None, "said again", at(260))).await;
    send(
        &*store,
        &stranger.conversation,
        &stranger.student.id,
        120,
        None,
    )
    .await;
    send(
        &*store,
        &stranger.conversation,
        &stranger.teacher.id,
        220,
        None,
    )
    .await;
    let paused = Pause {
        by: other_teacher.id.clone(),
        by_role: Role::Teacher,
        at: at(300),
        reason: None,
    };
    assert!(
        store
            .set_pause(&sibling, None, Some(&paused))
            .await
            .expect("set_pause")
    );
    let report = Report {
        id: ReportId::parse(&ulid::Ulid::new().to_string()).expect("a ULID is a reportId"),
        conversation_id: doomed.conversation.clone(),
        timestamp: first.timestamp,
        message_id: first.message_id,
        author: first.author.clone(),
        source: ReportSource::Person(doomed.teacher.id.clone()),
        reason: ReportReason::Bullying,
        details: None,
        created_at: at(400),
        state: ReportState::Open,
        steps: Vec::new(),
    };
    let report = store.put_report(&report).await.expect("put_report");
    let entry = AuditEntry {
        id: ulid::Ulid::new().to_string(),
        at: at(500),
        actor: "cli".to_owned(),
        action: AuditAction::ReadConversation,
        target: doomed.conversation.to_string(),
    };
    store.append_audit(&entry).await.expect("append_audit");

    let others = [&sibling, &stranger.conversation];
    let mut before = Vec::new();
    for conversation in others {
        before.push(everything(&*store, conversation).await);
    }
    let people = [
        &doomed.student.id,
        &other_teacher.id,
        &stranger.student.id,
        &stranger.teacher.id,
    ];
    let mut lists = Vec::new();
    for user in people {
        let mut list = active(&*store, user).await;
        list.retain(|contact| contact.conversation_id != doomed.conversation);
        lists.push(list);
    }

    // An instant after every message of every conversation: only the one named goes.
    assert_eq!(
        delete(&*store, &doomed.conversation, at(1_000_000), 100).await,
        Deletion {
            messages: 2,
            finished: true
        }
    );
    for (conversation, before) in others.into_iter().zip(&before) {
        assert_eq!(
            &everything(&*store, conversation).await,
            before,
            "{conversation} keeps every message"
        );
    }
    assert_eq!(
        versions(&*store, &edited).await.len(),
        1,
        "another conversation's message keeps its versions"
    );
    assert_eq!(
        pause(&*store, &sibling).await,
        Some(paused),
        "another conversation keeps its pause"
    );
    for (user, list) in people.into_iter().zip(&lists) {
        assert_eq!(
            &active(&*store, user).await,
            list,
            "{user}'s other conversations stay as they were"
        );
    }
    // The sibling is paused, so its teacher retries: the student would be refused.
    let retry = new_message(&sibling, &other_teacher.id, at(600), "again", Some("x-3"));
    assert!(
        matches!(append(&*store, &retry).await, Appended::Existing(_)),
        "another conversation's clientMessageIds stay"
    );
    assert_eq!(
        store.report(report.id).await.expect("report"),
        Some(report),
        "reports are kept, those on deleted messages too"
    );
    let audit = store.list_audit(None, 100).await.expect("list_audit");
    assert!(
        audit.contains(&entry),
        "the audit log is kept, entries about the deleted conversation too"
    );
}
