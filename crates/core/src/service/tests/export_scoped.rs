//! Exports of one person or one conversation: for admins and the operator only, refused
//! before anything is read, audited before any message is read, every message as stored
//! (originals of removed ones, earlier texts of edited ones) with the pause, and paged so
//! a long conversation is never held whole.

use super::{School, at, now, status};
use crate::error::ErrorCode;
use crate::service::{
    Actor, EXPORT_PAGE, EditRequest, ExportFormat, ScopedExport, ScopedRecord, SendRequest,
};
use crate::store::AuditAction;
use crate::user::{Role, User};

struct Cast {
    school: School,
    s1: User,
    t1: User,
    g1: User,
    admin: User,
}

/// s1 and s2 are t1's students, s1 is also t2's; g1 is s1's guardian.
async fn cast() -> Cast {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    let s2 = school.user("s2", Role::Student).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let t2 = school.user("t2", Role::Teacher).await;
    let g1 = school.user("g1", Role::Guardian).await;
    let admin = school.user("office", Role::Admin).await;
    school.link(&t1, &s1).await;
    school.link(&t1, &s2).await;
    school.link(&t2, &s1).await;
    school
        .service
        .add_guardian(Actor::Operator, "g1", "s1")
        .await
        .unwrap();
    Cast {
        school,
        s1,
        t1,
        g1,
        admin,
    }
}

async fn send(school: &School, caller: &User, conversation: &str, body: &str) -> String {
    let request = SendRequest {
        conversation_id: conversation,
        author: caller.id.as_str(),
        message_body: body,
        client_message_id: None,
        origin: None,
        urgent: false,
    };
    let sent = school.service.send(caller, request).await.unwrap();
    sent.message.timestamp.to_string()
}

/// Every record of `export`, in order, checking that no batch is empty or holds more
/// than one page of messages.
async fn drain(mut export: ScopedExport) -> Vec<ScopedRecord> {
    let mut records = Vec::new();
    while let Some(batch) = export.next_batch().await.unwrap() {
        assert!(!batch.is_empty(), "no empty batches");
        let messages = batch
            .iter()
            .filter(|record| matches!(record, ScopedRecord::Message(_)))
            .count();
        assert!(messages <= EXPORT_PAGE, "{messages} messages in one batch");
        records.extend(batch);
    }
    records
}

/// A record in short: `export …`, `user …`, `conversation …`, `message <author>: <text>`.
fn outline(records: &[ScopedRecord]) -> Vec<String> {
    records
        .iter()
        .map(|record| match record {
            ScopedRecord::Header(header) => format!(
                "export {} {} by {}",
                header.subject, header.format, header.exported_by
            ),
            ScopedRecord::User(user) => format!("user {}", user.id),
            ScopedRecord::Conversation(conversation) => format!(
                "conversation {} ({}, {})",
                conversation.conversation_id,
                conversation.member.display_name,
                conversation.teacher.display_name
            ),
            ScopedRecord::Message(history) => format!(
                "message {}: {}",
                history.message.author,
                history.message.body.as_str()
            ),
        })
        .collect()
}

#[tokio::test]
async fn a_conversation_export_is_audited_before_any_message_is_read() {
    let c = cast().await;
    send(&c.school, &c.s1, "s1+t1", "hello").await;
    c.school.store.take_calls();
    let export = c
        .school
        .service
        .export_conversation(Actor::User(&c.admin), "t1+s1", "csv")
        .await
        .unwrap();
    assert_eq!(export.format(), ExportFormat::Csv);
    assert_eq!(
        c.school.store.take_calls(),
        ["get_user", "get_user", "append_audit"],
        "the pair resolved, then the audit entry, then nothing more"
    );
    let entry = c.school.store.audit_log().await.remove(0);
    assert_eq!(
        (entry.actor.as_str(), entry.action, entry.target.as_str()),
        ("office", AuditAction::ExportConversation, "s1+t1 csv")
    );
    let records = drain(export).await;
    assert_eq!(
        outline(&records),
        [
            "export s1+t1 csv by office",
            "conversation s1+t1 (Name of s1, Name of t1)",
            "message s1: hello",
        ]
    );
    let ScopedRecord::Header(header) = &records[0] else {
        panic!("the header comes first");
    };
    assert_eq!(header.exported_at, now());
}

#[tokio::test]
async fn only_admins_and_the_operator_export_and_others_are_refused_before_any_read() {
    let c = cast().await;
    send(&c.school, &c.s1, "s1+t1", "hello").await;
    let service = &c.school.service;
    for caller in [&c.s1, &c.t1, &c.g1] {
        c.school.store.take_calls();
        let refused = service
            .export_conversation(Actor::User(caller), "s1+t1", "jsonl")
            .await
            .err()
            .map(|error| error.code());
        assert_eq!(refused, Some(ErrorCode::Forbidden), "{}", caller.id);
        let refused = service
            .export_user(Actor::User(caller), caller.id.as_str(), "jsonl")
            .await
            .err()
            .map(|error| error.code());
        assert_eq!(refused, Some(ErrorCode::Forbidden), "{}", caller.id);
        assert!(c.school.store.take_calls().is_empty(), "{}", caller.id);
    }
    assert!(c.school.store.audit_log().await.iter().all(|entry| {
        entry.action != AuditAction::ExportConversation && entry.action != AuditAction::ExportUser
    }));

    let export = service
        .export_user(Actor::Operator, "s1", "html")
        .await
        .unwrap();
    let entry = c.school.store.audit_log().await.remove(0);
    assert_eq!(
        (entry.actor.as_str(), entry.action, entry.target.as_str()),
        ("cli", AuditAction::ExportUser, "s1 html")
    );
    assert_eq!(outline(&drain(export).await)[0], "export s1 html by cli");
}

#[tokio::test]
async fn an_admin_gets_precise_answers_for_bad_ids_and_formats() {
    let c = cast().await;
    let admin = Actor::User(&c.admin);
    let service = &c.school.service;
    let conversation = |raw: &'static str, format: &'static str| async move {
        service
            .export_conversation(admin, raw, format)
            .await
            .err()
            .map(|error| (status(&error), error.code()))
    };
    assert_eq!(
        conversation("s1+t1", "pdf").await,
        Some((400, ErrorCode::InvalidRequest))
    );
    assert_eq!(
        conversation("s1+t1", "").await,
        Some((400, ErrorCode::InvalidRequest))
    );
    assert_eq!(
        conversation("s1", "jsonl").await,
        Some((400, ErrorCode::InvalidConversationId))
    );
    assert_eq!(
        conversation("s1+s2", "jsonl").await,
        Some((400, ErrorCode::InvalidConversationId))
    );
    assert_eq!(
        conversation("s1+nobody", "jsonl").await,
        Some((404, ErrorCode::NotFound))
    );
    // Either order, or the `+` decoded to a space, is the same conversation.
    for raw in ["t1+s1", "s1 t1", "g1+t1", "t1 g1", "s2+t2"] {
        assert_eq!(conversation(raw, "jsonl").await, None, "{raw}");
    }
    // Every attempt counts against the admin's export rate: another admin asks the rest.
    let deputy = c.school.user("deputy", Role::Admin).await;
    let deputy = Actor::User(&deputy);
    let user = |raw: &'static str| async move {
        service
            .export_user(deputy, raw, "jsonl")
            .await
            .err()
            .map(|error| (status(&error), error.code()))
    };
    assert_eq!(user("no body").await, Some((400, ErrorCode::InvalidUserId)));
    assert_eq!(user("nobody").await, Some((404, ErrorCode::NotFound)));
    assert_eq!(
        user("office").await,
        None,
        "an admin has a profile and no conversations"
    );
}

#[tokio::test]
async fn admins_get_every_message_as_stored_with_earlier_texts_and_the_pause() {
    let c = cast().await;
    let service = &c.school.service;
    let first = send(&c.school, &c.s1, "s1+t1", "frist draft").await;
    let edit = |body: &'static str| EditRequest {
        conversation_id: "s1+t1",
        timestamp: &first,
        message_body: body,
        origin: None,
    };
    service
        .edit_message(&c.s1, edit("first draft"))
        .await
        .unwrap();
    service
        .edit_message(&c.s1, edit("final text"))
        .await
        .unwrap();
    let regret = send(&c.school, &c.s1, "s1+t1", "something I regret").await;
    service
        .remove_message(&c.s1, "s1+t1", &regret, None)
        .await
        .unwrap();
    service
        .pause_conversation(&c.t1, "s1+t1", Some("cooling off"))
        .await
        .unwrap();

    let export = service
        .export_conversation(Actor::User(&c.admin), "s1+t1", "jsonl")
        .await
        .unwrap();
    let records = drain(export).await;
    let ScopedRecord::Conversation(conversation) = &records[1] else {
        panic!("the conversation follows the header: {records:?}");
    };
    let pause = conversation.pause.as_ref().expect("the pause is exported");
    assert_eq!(pause.by, c.t1.id);
    assert_eq!(
        pause.reason.as_ref().map(|r| r.as_str()),
        Some("cooling off")
    );
    let messages: Vec<_> = records
        .iter()
        .filter_map(|record| match record {
            ScopedRecord::Message(history) => Some(history),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 2);
    let edited = messages[0];
    assert_eq!(edited.message.body.as_str(), "final text");
    assert!(edited.message.edited_at.is_some());
    let earlier: Vec<&str> = edited
        .versions
        .iter()
        .map(|version| version.body.as_str())
        .collect();
    assert_eq!(earlier, ["frist draft", "first draft"], "oldest first");
    let removed = messages[1];
    assert_eq!(
        removed.message.body.as_str(),
        "something I regret",
        "the original"
    );
    assert!(removed.message.removed_at.is_some());
    assert!(removed.versions.is_empty());
}

#[tokio::test]
async fn a_persons_export_covers_every_conversation_they_take_part_in() {
    let c = cast().await;
    send(&c.school, &c.s1, "s1+t1", "to t1").await;
    send(&c.school, &c.s1, "s1+t2", "to t2").await;
    send(&c.school, &c.t1, "s2+t1", "to s2").await;
    send(&c.school, &c.g1, "g1+t1", "from the family").await;
    let service = &c.school.service;

    let student = drain(
        service
            .export_user(Actor::User(&c.admin), "s1", "jsonl")
            .await
            .unwrap(),
    )
    .await;
    let mut conversations: Vec<String> = outline(&student)
        .into_iter()
        .filter(|line| line.starts_with("conversation"))
        .collect();
    conversations.sort();
    assert_eq!(
        conversations,
        [
            "conversation s1+t1 (Name of s1, Name of t1)",
            "conversation s1+t2 (Name of s1, Name of t2)",
        ]
    );
    assert_eq!(
        outline(&student)[..2],
        ["export s1 jsonl by office", "user s1"]
    );

    let teacher = outline(
        &drain(
            service
                .export_user(Actor::User(&c.admin), "t1", "html")
                .await
                .unwrap(),
        )
        .await,
    );
    for expected in [
        "conversation s1+t1 (Name of s1, Name of t1)",
        "conversation s2+t1 (Name of s2, Name of t1)",
        "conversation g1+t1 (Name of g1, Name of t1)",
        "message g1: from the family",
        "message t1: to s2",
    ] {
        assert!(
            teacher.contains(&expected.to_owned()),
            "{expected} in {teacher:?}"
        );
    }
    assert!(
        !teacher.iter().any(|line| line.contains("to t2")),
        "{teacher:?}"
    );
    // Each conversation's messages follow its own record.
    let family = teacher
        .iter()
        .position(|line| line.starts_with("conversation g1+t1"));
    let family_message = teacher
        .iter()
        .position(|line| line == "message g1: from the family");
    assert_eq!(family.map(|at| at + 1), family_message);

    let guardian = outline(
        &drain(
            service
                .export_user(Actor::User(&c.admin), "g1", "csv")
                .await
                .unwrap(),
        )
        .await,
    );
    assert_eq!(
        guardian[1..],
        [
            "user g1",
            "conversation g1+t1 (Name of g1, Name of t1)",
            "message g1: from the family",
        ]
    );
}

#[tokio::test]
async fn a_long_conversation_is_read_a_page_at_a_time_and_never_held_whole() {
    let c = cast().await;
    let total = 2 * EXPORT_PAGE + 50;
    for n in 0..total {
        let author = if n % 2 == 0 { "s1" } else { "t1" };
        c.school
            .history("s1+t1", author, at(n as i64), &format!("message {n}"))
            .await;
    }
    let mut export = c
        .school
        .service
        .export_conversation(Actor::User(&c.admin), "s1+t1", "jsonl")
        .await
        .unwrap();
    c.school.store.take_calls();
    let mut sizes = Vec::new();
    let mut bodies = Vec::new();
    while let Some(batch) = export.next_batch().await.unwrap() {
        sizes.push(batch.len());
        for record in batch {
            if let ScopedRecord::Message(history) = record {
                bodies.push(history.message.body.as_str().to_owned());
            }
        }
    }
    // The header; the conversation with its first page; then full pages and the rest.
    assert_eq!(sizes, [1, 1 + EXPORT_PAGE, EXPORT_PAGE, 50]);
    let expected: Vec<String> = (0..total).map(|n| format!("message {n}")).collect();
    assert_eq!(bodies, expected, "every message once, oldest first");
    let reads = c
        .school
        .store
        .take_calls()
        .into_iter()
        .filter(|call| *call == "read_messages")
        .count();
    assert_eq!(reads, 3);
    let peak = export.peak_buffered();
    assert!(peak.messages <= EXPORT_PAGE, "{peak:?}");
    assert!(peak.bytes < 256 * 1024, "{peak:?}");
    assert_eq!(export.buffered().messages, 0);
}

#[tokio::test]
async fn an_admin_exporting_in_a_loop_is_slowed_before_anything_is_read() {
    let c = cast().await;
    let service = &c.school.service;
    // The clock stands still: the burst is all there is.
    let mut allowed = 0;
    let refused = loop {
        match service
            .export_user(Actor::User(&c.admin), "s1", "jsonl")
            .await
        {
            Ok(_) => allowed += 1,
            Err(error) => break error,
        }
        assert!(allowed <= 100, "never slowed");
    };
    assert_eq!(refused.code(), ErrorCode::RateLimited);
    assert_eq!(allowed, 10);
    c.school.store.take_calls();
    let again = service
        .export_conversation(Actor::User(&c.admin), "s1+t1", "jsonl")
        .await
        .err()
        .map(|error| error.code());
    assert_eq!(again, Some(ErrorCode::RateLimited));
    assert!(c.school.store.take_calls().is_empty());
    // The operator owns the database and is never slowed.
    service
        .export_user(Actor::Operator, "s1", "jsonl")
        .await
        .unwrap();
}
