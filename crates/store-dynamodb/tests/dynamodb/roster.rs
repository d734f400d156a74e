//! Roster imports on DynamoDB, which applies them in steps rather than one transaction:
//! what `roster_state` reads back, how roster links and links made by hand live side by
//! side, and that an import interrupted after any step converges when it is planned and
//! applied again — on the same state the in-memory store reaches in one go.

use crate::fixtures::create_user;
use classchat_core::roster::{
    Class, Day, ImportClass, ImportEnrollment, ImportUser, Mode, RosterAccount, RosterChanges,
    RosterImport, RosterState, SourcedId, plan,
};
use classchat_core::store::{Link, Side, Store, StoreError};
use classchat_core::{DisplayName, MemoryStore, Role, User, UserId};
use classchat_store_dynamodb::testing;
use std::collections::HashSet;

/// A sourcedId from a literal.
fn sid(raw: &str) -> SourcedId {
    SourcedId::parse(raw).unwrap()
}

/// A userId from a literal.
fn uid(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

/// The link of two userIds.
fn link(teacher: &str, student: &str) -> Link {
    Link {
        teacher: uid(teacher),
        student: uid(student),
    }
}

/// An enabled user named after its id.
fn user(id: &str, role: Role) -> User {
    User {
        id: uid(id),
        display_name: DisplayName::parse(&format!("Name of {id}")).unwrap(),
        role,
        disabled: false,
    }
}

/// An imported account of `user(id)`, its sourcedId `p-<id>`.
fn account(id: &str, role: Role) -> RosterAccount {
    RosterAccount {
        sourced_id: sid(&format!("p-{id}")),
        user: user(id, role),
    }
}

/// A class titled after its sourcedId.
fn class(id: &str, teachers: &[&str], students: &[&str]) -> Class {
    Class {
        sourced_id: sid(id),
        title: format!("Title of {id}"),
        teachers: teachers.iter().map(|id| uid(id)).collect(),
        students: students.iter().map(|id| uid(id)).collect(),
    }
}

/// The changes that create `accounts` and `classes` and the links the classes imply.
fn creating(accounts: Vec<RosterAccount>, classes: Vec<Class>) -> RosterChanges {
    let mut added_links: Vec<Link> = classes.iter().flat_map(Class::links).collect();
    added_links.sort();
    added_links.dedup();
    RosterChanges {
        created_accounts: accounts,
        created_classes: classes,
        added_links,
        ..RosterChanges::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_accounts_classes_and_links_round_trip_through_roster_state() {
    let store = testing::fresh_store().await;
    // The longest sourcedIds (1,020 bytes) still fit a sort key.
    let longest = "😀".repeat(255);
    let mut accounts = vec![
        account("t1", Role::Teacher),
        account("s1", Role::Student),
        account("s2", Role::Student),
    ];
    accounts[2].sourced_id = sid(&longest);
    // Members given unsorted: the state reports them sorted.
    let classes = vec![
        class("math #1 ü", &["t1"], &["s2", "s1"]),
        class(&longest, &["t1"], &[]),
    ];
    store
        .apply_roster(&creating(accounts.clone(), classes))
        .await
        .unwrap();

    let mut expected_accounts = accounts.clone();
    expected_accounts.sort_by(|a, b| a.sourced_id.cmp(&b.sourced_id));
    let expected = RosterState {
        accounts: expected_accounts,
        classes: vec![
            class("math #1 ü", &["t1"], &["s1", "s2"]),
            class(&longest, &["t1"], &[]),
        ],
        links: vec![link("t1", "s1"), link("t1", "s2")],
        guardians: Vec::new(),
    };
    assert_eq!(store.roster_state().await.unwrap(), expected);
    // Members find their classes through the index in their own partitions, whose sort
    // key holds the longest sourcedId too.
    assert_eq!(
        store.classes_of(&uid("t1")).await.unwrap(),
        expected.classes
    );
    assert_eq!(
        store.classes_of(&uid("s1")).await.unwrap(),
        expected.classes[..1]
    );
    assert_eq!(
        store.class(&sid(&longest)).await.unwrap().as_ref(),
        Some(&expected.classes[1])
    );

    // The accounts are ordinary users without a password; the links ordinary links.
    let record = store.get_user(&uid("s1")).await.unwrap().unwrap();
    assert_eq!(record.user, user("s1", Role::Student));
    assert_eq!(
        (record.password_hash.as_str(), record.token_version),
        ("", 0)
    );
    let students = store.list_users(Some(Role::Student), None, 10).await;
    assert_eq!(students.unwrap().len(), 2);
    assert_eq!(store.list_users(None, None, 10).await.unwrap().len(), 3);
    assert!(store.is_linked(&link("t1", "s2")).await.unwrap());
    assert_eq!(store.list_links(None).await.unwrap(), expected.links);
    let contacts = store.linked_contacts(&uid("t1"), Side::Teacher).await;
    assert_eq!(contacts.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_added_by_hand_outlives_the_roster_adding_and_removing_it() {
    let store = testing::fresh_store().await;
    create_user(&store, "t", Role::Teacher).await;
    create_user(&store, "s", Role::Student).await;
    let linked = link("t", "s");
    store.add_link(&linked).await.unwrap();

    let added = RosterChanges {
        added_links: vec![linked.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&added).await.unwrap();
    assert_eq!(
        store.roster_state().await.unwrap().links,
        std::slice::from_ref(&linked)
    );
    assert!(matches!(
        store.add_link(&linked).await,
        Err(StoreError::Conflict(_))
    ));

    let removed = RosterChanges {
        removed_links: vec![linked.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&removed).await.unwrap();
    assert!(store.roster_state().await.unwrap().links.is_empty());
    assert!(store.is_linked(&linked).await.unwrap());
    assert_eq!(
        store.list_links(None).await.unwrap(),
        std::slice::from_ref(&linked)
    );
    // Removing it again (a repeated step) changes nothing.
    store.apply_roster(&removed).await.unwrap();
    assert!(store.is_linked(&linked).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_only_the_roster_made_is_gone_when_the_roster_removes_it() {
    let store = testing::fresh_store().await;
    let changes = creating(
        vec![account("t", Role::Teacher), account("s", Role::Student)],
        vec![class("c", &["t"], &["s"])],
    );
    store.apply_roster(&changes).await.unwrap();
    let linked = link("t", "s");
    assert!(store.is_linked(&linked).await.unwrap());
    // Adding it again (a repeated step) changes nothing.
    let added = RosterChanges {
        added_links: vec![linked.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&added).await.unwrap();

    let removed = RosterChanges {
        removed_links: vec![linked.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&removed).await.unwrap();
    assert!(!store.is_linked(&linked).await.unwrap());
    assert!(store.list_links(None).await.unwrap().is_empty());
    assert!(store.roster_state().await.unwrap().links.is_empty());
    let contacts = store.linked_contacts(&uid("s"), Side::Student).await;
    assert!(contacts.unwrap().is_empty());
    // Now an admin may add it by hand.
    store.add_link(&linked).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_roster_link_by_hand_drops_the_roster_record() {
    let store = testing::fresh_store().await;
    let changes = creating(
        vec![account("t", Role::Teacher), account("s", Role::Student)],
        vec![class("c", &["t"], &["s"])],
    );
    store.apply_roster(&changes).await.unwrap();
    let linked = link("t", "s");

    assert!(store.remove_link(&linked).await.unwrap());
    assert!(!store.is_linked(&linked).await.unwrap());
    assert!(store.roster_state().await.unwrap().links.is_empty());
    assert!(!store.remove_link(&linked).await.unwrap());

    // The next import derives it again, as the roster's alone.
    let added = RosterChanges {
        added_links: vec![linked.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&added).await.unwrap();
    assert!(store.is_linked(&linked).await.unwrap());
    assert_eq!(
        store.roster_state().await.unwrap().links,
        std::slice::from_ref(&linked)
    );
    let removed = RosterChanges {
        removed_links: vec![linked.clone()],
        ..RosterChanges::default()
    };
    store.apply_roster(&removed).await.unwrap();
    assert!(!store.is_linked(&linked).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_account_whose_user_exists_conflicts_before_writing() {
    let store = testing::fresh_store().await;
    create_user(&store, "s2", Role::Student).await;
    let changes = creating(
        vec![account("s1", Role::Student), account("s2", Role::Student)],
        vec![class("c", &[], &["s1"])],
    );
    assert!(matches!(
        store.apply_roster(&changes).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.roster_state().await.unwrap(), RosterState::default());
    assert!(store.get_user(&uid("s1")).await.unwrap().is_none());
    // Nor may a person who has an account get a second one.
    store
        .apply_roster(&creating(vec![account("s1", Role::Student)], Vec::new()))
        .await
        .unwrap();
    let mut again = account("s3", Role::Student);
    again.sourced_id = sid("p-s1");
    assert!(matches!(
        store.apply_roster(&creating(vec![again], Vec::new())).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.get_user(&uid("s3")).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_classes_are_written_in_several_transactions_and_read_past_one_response() {
    let store = testing::fresh_store().await;
    // 12 classes of 2,000 members with the longest userIds: about 3 MB of items, more
    // than one transaction may carry (the emulator does not check that limit; the unit
    // tests of the batching do) and one Query response may return.
    let member = |class: usize, i: usize| format!("{class:02}{i:0>126}");
    let classes: Vec<Class> = (0..12)
        .map(|c| {
            let ids: Vec<String> = (0..2_000).map(|i| member(c, i)).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            class(&format!("c{c:02}"), &ids[..10], &ids[10..])
        })
        .collect();
    let changes = RosterChanges {
        created_classes: classes.clone(),
        ..RosterChanges::default()
    };
    store.apply_roster(&changes).await.unwrap();
    assert_eq!(store.roster_state().await.unwrap().classes, classes);

    let deleted = RosterChanges {
        deleted_classes: classes[..11].to_vec(),
        ..RosterChanges::default()
    };
    store.apply_roster(&deleted).await.unwrap();
    assert_eq!(store.roster_state().await.unwrap().classes, classes[11..]);
}

// ---- convergence -------------------------------------------------------------------

/// Teachers t0–t2, students s00–s59: three transactions of accounts.
fn people(disabled: &[&str], renamed: &str) -> Vec<ImportUser> {
    let teachers = (0..3).map(|i| (format!("t{i}"), Role::Teacher));
    let students = (0..60).map(|i| (format!("s{i:02}"), Role::Student));
    teachers
        .chain(students)
        .enumerate()
        .map(|(line, (id, role))| ImportUser {
            sourced_id: sid(&format!("p-{id}")),
            line: line as u64 + 2,
            user_id: uid(&id),
            role,
            display_name: DisplayName::parse(&if id == renamed {
                format!("Renamed {id}")
            } else {
                format!("Name of {id}")
            })
            .unwrap(),
            enabled: !disabled.contains(&id.as_str()),
            deleted: false,
            agents: Vec::new(),
            email: None,
        })
        .collect()
}

/// A `classes.csv` row titled after its sourcedId.
fn class_row(id: &str) -> ImportClass {
    ImportClass {
        sourced_id: sid(id),
        line: 2,
        title: format!("Title of {id}"),
        deleted: false,
    }
}

/// Enrolments of `teachers` and students `first..last` in `class`.
fn enrolments(class: &str, teachers: &[&str], first: usize, last: usize) -> Vec<ImportEnrollment> {
    let enrol = |user: String, teaches: bool| ImportEnrollment {
        line: 2,
        class: sid(class),
        user: sid(&format!("p-{user}")),
        teaches,
        begin: None,
        end: None,
        deleted: false,
    };
    let teachers = teachers.iter().map(|id| enrol((*id).to_owned(), true));
    let students = (first..last).map(|i| enrol(format!("s{i:02}"), false));
    teachers.chain(students).collect()
}

/// A bundle whose three files are complete sets.
fn bulk(
    users: Vec<ImportUser>,
    classes: &[&str],
    enrollments: Vec<ImportEnrollment>,
) -> RosterImport {
    RosterImport {
        users_mode: Mode::Bulk,
        users,
        classes_mode: Mode::Bulk,
        classes: classes.iter().map(|id| class_row(id)).collect(),
        enrollments_mode: Mode::Bulk,
        enrollments,
        skipped: Vec::new(),
        warnings: Vec::new(),
    }
}

/// The first import: 130 links, past one transaction's worth several times.
fn first_import() -> RosterImport {
    let mut enrollments = enrolments("c0", &["t0", "t1"], 0, 40);
    enrollments.extend(enrolments("c1", &["t2"], 20, 60));
    enrollments.extend(enrolments("c2", &["t0"], 50, 60));
    bulk(people(&[], ""), &["c0", "c1", "c2"], enrollments)
}

/// The second: s59 leaves (disabled), t1 is renamed, c2 is gone, s00 joins c1 (whose
/// teacher t2 an admin has linked to s00 by hand already), s39 leaves c0.
fn second_import() -> RosterImport {
    let mut users = people(&[], "t1");
    users.retain(|row| row.user_id.as_str() != "s59");
    let mut enrollments = enrolments("c0", &["t0", "t1"], 0, 39);
    enrollments.extend(enrolments("c1", &["t2"], 20, 59));
    enrollments.extend(enrolments("c1", &[], 0, 1));
    bulk(users, &["c0", "c1"], enrollments)
}

/// The third: s00 leaves c1 again.
fn third_import() -> RosterImport {
    let mut users = people(&[], "t1");
    users.retain(|row| row.user_id.as_str() != "s59");
    let mut enrollments = enrolments("c0", &["t0", "t1"], 0, 39);
    enrollments.extend(enrolments("c1", &["t2"], 20, 59));
    bulk(users, &["c0", "c1"], enrollments)
}

/// What `import` would change in `store` now.
async fn plan_for(store: &dyn Store, import: &RosterImport) -> RosterChanges {
    let state = store.roster_state().await.unwrap();
    plan(import, &state, &HashSet::new(), Day::new(2026, 9, 1))
        .unwrap()
        .changes
}

/// Plans and applies `import` in one go.
async fn import_whole(store: &dyn Store, import: &RosterImport) {
    let changes = plan_for(store, import).await;
    store.apply_roster(&changes).await.unwrap();
    assert!(plan_for(store, import).await.is_empty());
}

/// What an interrupted apply got done of the changes planned.
type Interruption = fn(RosterChanges) -> RosterChanges;

/// Plans `import` and applies only what each interruption leaves of the plan in turn (an
/// apply that failed after some steps, then the import run again and failing again), then
/// plans and applies what is left, asserting each time that something was.
async fn import_interrupted(store: &dyn Store, import: &RosterImport, cuts: &[Interruption]) {
    for cut in cuts {
        let changes = plan_for(store, import).await;
        assert!(!changes.is_empty(), "an earlier apply did everything");
        store.apply_roster(&cut(changes)).await.unwrap();
    }
    let rest = plan_for(store, import).await;
    assert!(!rest.is_empty(), "the partial applies did everything");
    store.apply_roster(&rest).await.unwrap();
    assert!(plan_for(store, import).await.is_empty());
}

/// Everything a reader can tell about the roster and the links, and each user's classes.
async fn observe(store: &dyn Store) -> (RosterState, Vec<Link>, Vec<User>, Vec<Vec<Class>>) {
    let users = store.list_users(None, None, 1_000).await.unwrap();
    let mut classes = Vec::with_capacity(users.len());
    for user in &users {
        classes.push(store.classes_of(&user.id).await.unwrap());
    }
    (
        store.roster_state().await.unwrap(),
        store.list_links(None).await.unwrap(),
        users,
        classes,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_import_converges_when_planned_and_applied_again() {
    let whole = testing::fresh_store().await;
    let interrupted = testing::fresh_store().await;
    let memory = MemoryStore::new();
    let stores: [&dyn Store; 3] = [&whole, &interrupted, &memory];
    let by_hand = link("t2", "s00");

    import_whole(&whole, &first_import()).await;
    import_whole(&memory, &first_import()).await;
    // Stopped after the classes, then halfway through the links.
    let cuts: [Interruption; 2] = [
        |changes| RosterChanges {
            created_accounts: changes.created_accounts,
            created_classes: changes.created_classes,
            ..RosterChanges::default()
        },
        |mut changes| {
            assert!(changes.created_accounts.is_empty());
            let half = changes.added_links.len() / 2;
            changes.added_links.truncate(half);
            changes
        },
    ];
    import_interrupted(&interrupted, &first_import(), &cuts).await;
    let first = observe(&memory).await;
    assert_eq!(first.0.accounts.len(), 63);
    assert_eq!(first.0.links.len(), 130);
    // t0 (c0, c2), s20–s39 (c0, c1) and s50–s59 (c1, c2) are in two classes each.
    let in_two = first.3.iter().filter(|classes| classes.len() == 2).count();
    assert_eq!(in_two, 31);
    assert_eq!(observe(&whole).await, first);
    assert_eq!(observe(&interrupted).await, first);

    for store in stores {
        store.add_link(&by_hand).await.unwrap();
    }
    import_whole(&whole, &second_import()).await;
    import_whole(&memory, &second_import()).await;
    // Stopped after the account updates, then after the classes and half the link
    // removals.
    let cuts: [Interruption; 2] = [
        |changes| RosterChanges {
            updated_accounts: changes.updated_accounts,
            ..RosterChanges::default()
        },
        |mut changes| {
            assert!(changes.updated_accounts.is_empty());
            changes.added_links.clear();
            let half = changes.removed_links.len() / 2;
            changes.removed_links.truncate(half);
            changes
        },
    ];
    import_interrupted(&interrupted, &second_import(), &cuts).await;
    let second = observe(&memory).await;
    assert!(second.0.links.contains(&by_hand));
    assert!(
        !second
            .0
            .classes
            .iter()
            .any(|class| class.sourced_id == sid("c2"))
    );
    assert_eq!(observe(&whole).await, second);
    assert_eq!(observe(&interrupted).await, second);
    for store in [&whole, &interrupted] {
        let s59 = store.get_user(&uid("s59")).await.unwrap().unwrap();
        assert!(s59.user.disabled);
        assert_eq!(s59.token_version, 1, "disabling voids the tokens");
    }

    import_whole(&whole, &third_import()).await;
    import_whole(&memory, &third_import()).await;
    let cuts: [Interruption; 1] = [|mut changes| {
        changes.removed_links.clear();
        changes
    }];
    import_interrupted(&interrupted, &third_import(), &cuts).await;
    let third = observe(&memory).await;
    assert!(!third.0.links.contains(&by_hand));
    assert!(third.1.contains(&by_hand), "the link by hand stays");
    assert_eq!(observe(&whole).await, third);
    assert_eq!(observe(&interrupted).await, third);
}
