//! The audit log.

use crate::fixtures::{Scope, at};
use classchat_core::store::{AuditAction, AuditEntry, Store};
use std::sync::Arc;
use ulid::Ulid;

/// `count + 1` ULIDs in increasing order, consecutive within one millisecond, so that no
/// other test's ids can fall between them. The last one is never stored: it is the
/// cursor right after the others.
fn consecutive_ids(count: usize) -> Vec<String> {
    let seed = Ulid::new();
    let base = seed.random() & !0xFFFF;
    (0..=count)
        .map(|i| Ulid::from_parts(seed.timestamp_ms(), base | i as u128).to_string())
        .collect()
}

fn entry(id: &str, actor: &str, action: AuditAction, target: &str, micros: i64) -> AuditEntry {
    AuditEntry {
        id: id.to_owned(),
        at: at(micros),
        actor: actor.to_owned(),
        action,
        target: target.to_owned(),
    }
}

/// Every field of every kind of entry reads back as appended.
pub async fn audit_entries_round_trip(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let admin = scope.id("admin").to_string();
    let student = scope.id("s").to_string();
    let teacher = scope.id("t").to_string();
    let conversation = format!("{student}+{teacher}");
    let ids = consecutive_ids(7);
    let entries = [
        entry(
            &ids[0],
            &admin,
            AuditAction::ReadConversation,
            &conversation,
            1,
        ),
        entry(&ids[1], &admin, AuditAction::ReadContacts, &student, 2),
        entry(&ids[2], "cli", AuditAction::CreateUser, &student, 3),
        entry(&ids[3], &admin, AuditAction::UpdateUser, &teacher, 4),
        entry(
            &ids[4],
            "cli",
            AuditAction::AddLink,
            &format!("{teacher}+{student}"),
            5,
        ),
        entry(
            &ids[5],
            &admin,
            AuditAction::RemoveLink,
            &format!("{teacher}+{student}"),
            6,
        ),
        entry(&ids[6], "cli", AuditAction::ExportSchool, "school", 7),
    ];
    for entry in &entries {
        store
            .append_audit(entry)
            .await
            .unwrap_or_else(|error| panic!("append_audit({entry:?}) failed: {error}"));
    }
    let listed = store.list_audit(Some(&ids[7]), 7).await.unwrap();
    let expected: Vec<AuditEntry> = entries.iter().rev().cloned().collect();
    assert_eq!(
        listed, expected,
        "list_audit must return every entry exactly as appended, newest first"
    );
}

/// `list_audit` orders by id, newest first, strictly before `before`, at most `limit`.
pub async fn audit_lists_newest_first_with_paging(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let actor = scope.id("admin").to_string();
    let ids = consecutive_ids(5);
    // Appended out of id order, with `at` disagreeing with the id order: ids decide.
    for (i, index) in [2usize, 0, 4, 1, 3].into_iter().enumerate() {
        let target = format!("target-{index}");
        let entry = entry(
            &ids[index],
            &actor,
            AuditAction::UpdateUser,
            &target,
            100 - i as i64,
        );
        store.append_audit(&entry).await.unwrap();
    }
    let page_ids = |page: &[AuditEntry]| page.iter().map(|e| e.id.clone()).collect::<Vec<_>>();

    let page = store.list_audit(Some(&ids[5]), 2).await.unwrap();
    assert_eq!(
        page_ids(&page),
        [ids[4].clone(), ids[3].clone()],
        "the first page must be the two newest entries"
    );
    let page = store.list_audit(Some(&page[1].id), 2).await.unwrap();
    assert_eq!(
        page_ids(&page),
        [ids[2].clone(), ids[1].clone()],
        "before is exclusive: the next page starts right after the cursor"
    );
    let page = store.list_audit(Some(&page[1].id), 2).await.unwrap();
    assert_eq!(
        page.first().map(|e| e.id.clone()),
        Some(ids[0].clone()),
        "the last page starts with the oldest entry"
    );
    assert!(
        page[1..].iter().all(|e| e.actor != actor),
        "no entry may be listed twice"
    );
    let page = store.list_audit(Some(&ids[0]), 10).await.unwrap();
    assert!(
        page.iter().all(|e| e.actor != actor),
        "nothing of ours lies before the oldest entry"
    );

    let newest = store.list_audit(None, 3).await.unwrap();
    assert_eq!(newest.len(), 3, "list_audit must honour limit");
    assert!(
        newest[0].id >= ids[4],
        "without a cursor list_audit starts at the newest entry"
    );
    for pair in newest.windows(2) {
        assert!(
            pair[0].id > pair[1].id,
            "list_audit must be strictly newest first"
        );
    }
    let all = store.list_audit(None, 10_000).await.unwrap();
    let ours: Vec<String> = all
        .iter()
        .filter(|e| e.actor == actor)
        .map(|e| e.id.clone())
        .collect();
    let expected: Vec<String> = ids[..5].iter().rev().cloned().collect();
    assert_eq!(
        ours, expected,
        "list_audit without a cursor lists every entry newest first"
    );
}
