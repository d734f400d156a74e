//! The export of a school, in its phases: it is logged first, then come every user in
//! userId order (paged), every link, each conversation's messages oldest first, and the
//! audit log newest first — its own entry included.

use super::{School, at};
use crate::audit::AuditAction;
use crate::error::ErrorCode;
use crate::service::{Actor, Export, ExportRecord};
use crate::user::Role;

/// Every record of `export`, in order.
async fn drain(mut export: Export) -> Vec<ExportRecord> {
    let mut records = Vec::new();
    while let Some(batch) = export.next_batch().await.unwrap() {
        assert!(!batch.is_empty(), "no empty batches");
        records.extend(batch);
    }
    records
}

/// The phase a record belongs to, in export order.
fn phase(record: &ExportRecord) -> usize {
    match record {
        ExportRecord::User(_) => 0,
        ExportRecord::Link(_) | ExportRecord::Guardian(_) => 1,
        ExportRecord::Message(_) => 2,
        ExportRecord::Audit(_) => 3,
    }
}

#[tokio::test]
async fn an_export_lists_users_then_links_then_messages_then_the_audit_log() {
    let school = School::new();
    let admin = school.user("a1", Role::Admin).await;
    // More users than one page of the export (200), in no particular creation order.
    let mut students = Vec::new();
    for n in (0..230).rev() {
        students.push(school.user(&format!("s{n:03}"), Role::Student).await);
    }
    let t1 = school.user("t1", Role::Teacher).await;
    let t2 = school.user("t2", Role::Teacher).await;
    for student in &students[..3] {
        school.link(&t1, student).await;
    }
    school.link(&t2, &students[0]).await;
    let first = school.history("s229+t1", "s229", at(5), "a").await;
    let second = school.history("s229+t1", "t1", at(1), "b").await; // bumped after `a`
    let other = school.history("s228+t1", "t1", at(3), "c").await;
    // A conversation whose link is gone is exported all the same.
    let old = school.history("s100+t2", "t2", at(2), "d").await;
    school
        .service
        .add_link(Actor::Operator, "t2", "s227")
        .await
        .unwrap();

    let records = drain(school.service.export(Actor::User(&admin)).await.unwrap()).await;

    let phases: Vec<usize> = records.iter().map(phase).collect();
    assert!(phases.is_sorted(), "phases in order: {phases:?}");
    let users: Vec<String> = records
        .iter()
        .filter_map(|record| match record {
            ExportRecord::User(user) => Some(user.id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(users.len(), 233, "every user once");
    assert!(users.is_sorted(), "in userId order");
    let links: Vec<String> = records
        .iter()
        .filter_map(|record| match record {
            ExportRecord::Link(link) => Some(format!("{}+{}", link.student, link.teacher)),
            _ => None,
        })
        .collect();
    assert_eq!(
        links,
        ["s227+t1", "s228+t1", "s229+t1", "s227+t2", "s229+t2"],
        "in (teacher, student) order"
    );
    let messages: Vec<_> = records
        .iter()
        .filter_map(|record| match record {
            ExportRecord::Message(message) => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        messages,
        [old, other, first, second],
        "conversation by conversation, each oldest first"
    );
    let audit: Vec<(AuditAction, String, String)> = records
        .iter()
        .filter_map(|record| match record {
            ExportRecord::Audit(entry) => {
                Some((entry.action, entry.actor.clone(), entry.target.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        audit,
        [
            (AuditAction::ExportSchool, "a1".into(), "school".into()),
            (AuditAction::AddLink, "cli".into(), "s227+t2".into()),
        ],
        "newest first, the export's own entry included"
    );
}

#[tokio::test]
async fn an_export_is_logged_before_anything_is_read_and_refused_to_non_admins() {
    let school = School::new();
    let admin = school.user("a1", Role::Admin).await;
    let teacher = school.user("t1", Role::Teacher).await;
    school.store.take_calls();
    let refused = school.service.export(Actor::User(&teacher)).await.err();
    assert_eq!(
        refused.map(|error| error.code()),
        Some(ErrorCode::Forbidden)
    );
    assert!(school.store.take_calls().is_empty());
    let export = school.service.export(Actor::User(&admin)).await.unwrap();
    assert_eq!(school.store.take_calls(), ["append_audit"]);
    drain(export).await;
}
