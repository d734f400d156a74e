//! Family links on DynamoDB, which keeps a copy of each (`via#` items under the guardian
//! and the teacher) written from a read: changes racing for one student must never leave
//! a copy missing or stale, and roster imports must write and delete them too, however
//! many transactions a student's links take.

use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::UserId;
use classchat_core::roster::RosterChanges;
use classchat_core::store::{FamilyLink, GuardianLink, Link, Store};
use classchat_store_dynamodb::{DynamoStore, testing};
use std::collections::HashMap;
use std::sync::Arc;

/// Rounds of each race: each on users of its own, in one set of tables.
const ROUNDS: usize = 30;

/// A userId from parts.
fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

/// Whether the UserInfo item `(partition, sk)` exists.
async fn exists(store: &DynamoStore, partition: &UserId, sk: &str) -> bool {
    let key = HashMap::from([
        (
            "userId".to_owned(),
            AttributeValue::S(partition.to_string()),
        ),
        ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
    ]);
    store
        .client()
        .get_item()
        .table_name(&store.tables().user_info)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .is_some()
}

/// Asserts that the family link's items exist under both ends exactly when `present`,
/// and that both ends list it (or not).
async fn assert_family_link(store: &DynamoStore, link: &FamilyLink, present: bool, round: usize) {
    let under_guardian = format!("via#{}#{}", link.teacher, link.student);
    let under_teacher = format!("via#{}#{}", link.guardian, link.student);
    assert_eq!(
        exists(store, &link.guardian, &under_guardian).await,
        present,
        "round {round}: {under_guardian} under the guardian"
    );
    assert_eq!(
        exists(store, &link.teacher, &under_teacher).await,
        present,
        "round {round}: {under_teacher} under the teacher"
    );
    let expected: Vec<FamilyLink> = if present {
        vec![link.clone()]
    } else {
        Vec::new()
    };
    for end in [&link.guardian, &link.teacher] {
        assert_eq!(
            store.family_links(end).await.unwrap(),
            expected,
            "round {round}: family links of {end}"
        );
    }
}

/// The teacher, student and guardian of one round, and their links.
fn family(round: usize) -> (Link, GuardianLink, FamilyLink) {
    let (teacher, student, guardian) = (
        uid(&format!("t{round}")),
        uid(&format!("s{round}")),
        uid(&format!("g{round}")),
    );
    let link = Link {
        teacher: teacher.clone(),
        student: student.clone(),
    };
    let guardianship = GuardianLink {
        guardian: guardian.clone(),
        student: student.clone(),
    };
    let family = FamilyLink {
        guardian,
        teacher,
        student,
    };
    (link, guardianship, family)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_and_a_guardian_added_at_once_always_make_the_family_link() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let (link, guardianship, family) = family(round);
        // Each reads the student's family before writing: without serialising them, each
        // could miss the other's half and neither write the family link.
        let linking = tokio::spawn({
            let (store, link) = (Arc::clone(&store), link.clone());
            async move { store.add_link(&link).await }
        });
        let guarding = tokio::spawn({
            let (store, guardianship) = (Arc::clone(&store), guardianship.clone());
            async move { store.add_guardian(&guardianship).await }
        });
        linking.await.unwrap().unwrap();
        guarding.await.unwrap().unwrap();
        assert_family_link(&store, &family, true, round).await;

        assert!(store.remove_link(&link).await.unwrap());
        assert_family_link(&store, &family, false, round).await;
        // The guardian link stays, and linking again brings the family link back.
        assert_eq!(
            store
                .list_guardian_links(Some(&guardianship.student))
                .await
                .unwrap(),
            std::slice::from_ref(&guardianship)
        );
        store.add_link(&link).await.unwrap();
        assert_family_link(&store, &family, true, round).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_removed_while_a_guardian_is_added_leaves_no_family_link() {
    let store = Arc::new(testing::fresh_store().await);
    for round in 0..ROUNDS {
        let (link, guardianship, family) = family(round);
        store.add_link(&link).await.unwrap();
        let unlinking = tokio::spawn({
            let (store, link) = (Arc::clone(&store), link.clone());
            async move { store.remove_link(&link).await }
        });
        let guarding = tokio::spawn({
            let (store, guardianship) = (Arc::clone(&store), guardianship.clone());
            async move { store.add_guardian(&guardianship).await }
        });
        assert!(unlinking.await.unwrap().unwrap());
        guarding.await.unwrap().unwrap();
        assert_family_link(&store, &family, false, round).await;
        // Removing the guardian of a linked student takes the family link too.
        store.add_link(&link).await.unwrap();
        assert_family_link(&store, &family, true, round).await;
        assert!(store.remove_guardian(&guardianship).await.unwrap());
        assert_family_link(&store, &family, false, round).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_links_write_and_delete_family_links_across_several_transactions() {
    let store = testing::fresh_store().await;
    // Three guardians and forty teachers: each link is ten actions with its family links,
    // so the student's links take several transactions, chained on their wardship.
    let student = uid("s");
    let guardians: Vec<UserId> = (0..3).map(|i| uid(&format!("g{i}"))).collect();
    let teachers: Vec<UserId> = (0..40).map(|i| uid(&format!("t{i:02}"))).collect();
    for guardian in &guardians {
        let link = GuardianLink {
            guardian: guardian.clone(),
            student: student.clone(),
        };
        store.add_guardian(&link).await.unwrap();
    }
    // A second student without guardians in the same import.
    let other = uid("s2");
    let links: Vec<Link> = teachers
        .iter()
        .flat_map(|teacher| {
            [&student, &other].map(|student| Link {
                teacher: teacher.clone(),
                student: student.clone(),
            })
        })
        .collect();
    let adding = RosterChanges {
        added_links: links.clone(),
        ..RosterChanges::default()
    };
    store.apply_roster(&adding).await.unwrap();

    let expected = |guardian: &UserId| -> Vec<FamilyLink> {
        teachers
            .iter()
            .map(|teacher| FamilyLink {
                guardian: guardian.clone(),
                teacher: teacher.clone(),
                student: student.clone(),
            })
            .collect()
    };
    for guardian in &guardians {
        assert_eq!(
            store.family_links(guardian).await.unwrap(),
            expected(guardian)
        );
    }
    let mut of_teacher: Vec<FamilyLink> = guardians
        .iter()
        .map(|guardian| FamilyLink {
            guardian: guardian.clone(),
            teacher: teachers[7].clone(),
            student: student.clone(),
        })
        .collect();
    of_teacher.sort();
    assert_eq!(store.family_links(&teachers[7]).await.unwrap(), of_teacher);
    // A guardian added after the import reaches every teacher of the child at once.
    let late = GuardianLink {
        guardian: uid("g9"),
        student: student.clone(),
    };
    store.add_guardian(&late).await.unwrap();
    assert_eq!(
        store.family_links(&late.guardian).await.unwrap(),
        expected(&late.guardian)
    );

    let removing = RosterChanges {
        removed_links: links,
        ..RosterChanges::default()
    };
    store.apply_roster(&removing).await.unwrap();
    for guardian in guardians.iter().chain([&late.guardian]) {
        assert_eq!(store.family_links(guardian).await.unwrap(), []);
    }
    for teacher in &teachers {
        assert_eq!(store.family_links(teacher).await.unwrap(), []);
    }
    assert_eq!(store.list_links(Some(&student)).await.unwrap(), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_guardian_links_bring_their_family_links_and_live_beside_those_by_hand() {
    let store = testing::fresh_store().await;
    // Thirty teachers: each guardian link is 63 actions with its family links, so the
    // student's guardian links take a transaction each, chained on their wardship.
    let student = uid("s");
    let teachers: Vec<UserId> = (0..30).map(|i| uid(&format!("t{i:02}"))).collect();
    let links: Vec<Link> = teachers
        .iter()
        .map(|teacher| Link {
            teacher: teacher.clone(),
            student: student.clone(),
        })
        .collect();
    let guardian = |id: &str| GuardianLink {
        guardian: uid(id),
        student: student.clone(),
    };
    let (g0, g1, g2, by_hand) = (
        guardian("g0"),
        guardian("g1"),
        guardian("g2"),
        guardian("gh"),
    );
    store.add_guardian(&by_hand).await.unwrap();
    let importing = RosterChanges {
        added_links: links,
        added_guardians: vec![g0.clone(), g1.clone(), g2.clone(), by_hand.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&importing).await.unwrap();

    let reaches_every_teacher = |link: &GuardianLink| -> Vec<FamilyLink> {
        teachers
            .iter()
            .map(|teacher| FamilyLink {
                guardian: link.guardian.clone(),
                teacher: teacher.clone(),
                student: student.clone(),
            })
            .collect()
    };
    for link in [&g0, &g1, &g2, &by_hand] {
        assert_eq!(
            store.family_links(&link.guardian).await.unwrap(),
            reaches_every_teacher(link)
        );
    }
    let all = vec![g0.clone(), g1.clone(), g2.clone(), by_hand.clone()];
    assert_eq!(store.roster_state().await.unwrap().guardians, all);
    assert_eq!(
        store.list_guardian_links(Some(&student)).await.unwrap(),
        all
    );
    assert_eq!(store.list_guardian_links(None).await.unwrap(), all);
    // The roster's guardian links are taken by hand as much as those made by hand.
    assert!(matches!(
        store.add_guardian(&g0).await,
        Err(classchat_core::store::StoreError::Conflict(_))
    ));

    // Removing one by hand drops the roster's record of it too.
    assert!(store.remove_guardian(&g2).await.unwrap());
    assert_eq!(store.family_links(&g2.guardian).await.unwrap(), []);
    let removing = RosterChanges {
        removed_guardians: vec![g0.clone(), g1.clone(), by_hand.clone()],
        ..RosterChanges::default()
    };
    assert_eq!(
        store.roster_state().await.unwrap().guardians,
        [g0.clone(), g1.clone(), by_hand.clone()]
    );
    store.apply_roster(&removing).await.unwrap();
    for link in [&g0, &g1] {
        assert_eq!(store.family_links(&link.guardian).await.unwrap(), []);
    }
    // The one also made by hand stays, with its family links, no longer the roster's.
    assert_eq!(
        store.family_links(&by_hand.guardian).await.unwrap(),
        reaches_every_teacher(&by_hand)
    );
    assert_eq!(store.roster_state().await.unwrap().guardians, []);
    assert_eq!(
        store.list_guardian_links(Some(&student)).await.unwrap(),
        std::slice::from_ref(&by_hand)
    );
    assert_eq!(
        store.family_links(&teachers[3]).await.unwrap(),
        reaches_every_teacher(&by_hand)[3..4]
    );
}
