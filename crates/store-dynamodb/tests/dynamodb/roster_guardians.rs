//! Roster imports with guardian links on DynamoDB, interrupted midway: the link steps and
//! the guardian-link steps write family links (`via#` copies under guardians and
//! teachers) with the links, so an import cut short in either must still converge when
//! planned and applied again — on the state the in-memory store reaches in one go.
//!
//! An interruption is simulated as in `roster`: the store applies only part of the plan
//! (whole steps, then part of one step's links), which is what a failure between two of
//! its transactions leaves, since every transaction writes whole links with their
//! records, and the steps run in a fixed order (links before guardian links).

use classchat_core::roster::{
    Day, ImportClass, ImportEnrollment, ImportUser, Mode, RosterChanges, RosterImport, RosterState,
    SourcedId, plan,
};
use classchat_core::store::{FamilyLink, GuardianLink, Link, Store};
use classchat_core::{DisplayName, MemoryStore, Role, UserId};
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

/// The sourcedId of the person whose userId is `id`.
fn person(id: &str) -> SourcedId {
    sid(&format!("p-{id}"))
}

/// Teachers t0–t2.
fn teachers() -> Vec<String> {
    (0..3).map(|i| format!("t{i}")).collect()
}

/// Students s00–s39.
fn students() -> Vec<String> {
    (0..40).map(|i| format!("s{i:02}")).collect()
}

/// Guardians g00–g25.
fn guardians() -> Vec<String> {
    (0..26).map(|i| format!("g{i:02}")).collect()
}

/// A `users.csv` row of `id`, naming `agents` (userIds) in `agentSourcedIds`.
fn row(line: usize, id: &str, role: Role, agents: &[String]) -> ImportUser {
    ImportUser {
        sourced_id: person(id),
        line: line as u64 + 2,
        user_id: uid(id),
        role,
        display_name: DisplayName::parse(&format!("Name of {id}")).unwrap(),
        enabled: true,
        deleted: false,
        agents: agents.iter().map(|agent| person(agent)).collect(),
        email: None,
    }
}

/// Everyone, each with the agents `agents_of` gives them.
fn people(agents_of: impl Fn(&str) -> Vec<String>) -> Vec<ImportUser> {
    let teachers = teachers().into_iter().map(|id| (id, Role::Teacher));
    let students = students().into_iter().map(|id| (id, Role::Student));
    let guardians = guardians().into_iter().map(|id| (id, Role::Guardian));
    teachers
        .chain(students)
        .chain(guardians)
        .enumerate()
        .map(|(line, (id, role))| row(line, &id, role, &agents_of(&id)))
        .collect()
}

/// Enrolments of `teachers` and students `first..last` in `class`.
fn enrolments(class: &str, teachers: &[&str], first: usize, last: usize) -> Vec<ImportEnrollment> {
    let enrol = |user: String, teaches: bool| ImportEnrollment {
        line: 2,
        class: sid(class),
        user: person(&user),
        teaches,
        begin: None,
        end: None,
        deleted: false,
    };
    let teachers = teachers.iter().map(|id| enrol((*id).to_owned(), true));
    let students = (first..last).map(|i| enrol(format!("s{i:02}"), false));
    teachers.chain(students).collect()
}

/// A bundle whose three files are complete sets, its classes titled after their ids.
fn bulk(
    users: Vec<ImportUser>,
    classes: &[&str],
    enrollments: Vec<ImportEnrollment>,
) -> RosterImport {
    RosterImport {
        users_mode: Mode::Bulk,
        users,
        classes_mode: Mode::Bulk,
        classes: classes
            .iter()
            .map(|id| ImportClass {
                sourced_id: sid(id),
                line: 2,
                title: format!("Title of {id}"),
                deleted: false,
            })
            .collect(),
        enrollments_mode: Mode::Bulk,
        enrollments,
        skipped: Vec::new(),
        warnings: Vec::new(),
    }
}

/// The student number of a userId `sNN`.
fn number(id: &str) -> Option<usize> {
    id.strip_prefix('s')?.parse().ok()
}

/// The first import: c0 (t0, t1; s00–s19) and c1 (t2; s10–s39), so students have one to
/// three teachers; each student has a guardian g(n/2) — named by the even students' rows
/// and by the guardian's row for the odd ones — and s00–s04 a second one, g20–g24, named
/// by the guardians' rows: 45 guardian links, each with one to three family links.
fn first_import() -> RosterImport {
    let users = people(|id| match (id.as_bytes()[0], number(id)) {
        (b's', Some(n)) if n % 2 == 0 => vec![format!("g{:02}", n / 2)],
        (b'g', _) => {
            let g: usize = id[1..].parse().unwrap();
            match g {
                0..20 => vec![format!("s{:02}", 2 * g + 1)],
                20..25 => vec![format!("s{:02}", g - 20)],
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    });
    let mut enrollments = enrolments("c0", &["t0", "t1"], 0, 20);
    enrollments.extend(enrolments("c1", &["t2"], 10, 40));
    bulk(users, &["c0", "c1"], enrollments)
}

/// The second: s05 leaves c0 and s20–s24 join it (teacher links ending and starting for
/// students with guardians, so with family links), g20–g24 are nobody's guardians any
/// more, g25 becomes the guardian of s30–s34 (named by their rows) and g00 of s39 too.
fn second_import() -> RosterImport {
    let users = people(|id| match (id.as_bytes()[0], number(id)) {
        (b's', Some(n)) => {
            let mut agents = Vec::new();
            if n % 2 == 0 {
                agents.push(format!("g{:02}", n / 2));
            }
            if (30..35).contains(&n) {
                agents.push("g25".to_owned());
            }
            if n == 39 {
                agents.push("g00".to_owned());
            }
            agents
        }
        (b'g', _) => {
            let g: usize = id[1..].parse().unwrap();
            match g {
                0..20 => vec![format!("s{:02}", 2 * g + 1)],
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    });
    let mut enrollments = enrolments("c0", &["t0", "t1"], 0, 5);
    enrollments.extend(enrolments("c0", &[], 6, 25));
    enrollments.extend(enrolments("c1", &["t2"], 10, 40));
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

/// Keeps the first half of `items`, rounded up, so that a cut keeps something of a step.
fn first_half<T>(items: &mut Vec<T>) {
    items.truncate(items.len().div_ceil(2));
}

/// The part of a plan an apply stopped halfway through the link steps got done: every
/// step before them, half the links added and half removed, no guardian link.
fn cut_in_links(mut changes: RosterChanges) -> RosterChanges {
    assert!(!changes.added_links.is_empty() && !changes.added_guardians.is_empty());
    first_half(&mut changes.added_links);
    first_half(&mut changes.removed_links);
    changes.added_guardians.clear();
    changes.removed_guardians.clear();
    changes
}

/// The part of a plan an apply stopped halfway through the guardian-link steps got done:
/// every step before them, half the guardian links added and half removed.
fn cut_in_guardians(mut changes: RosterChanges) -> RosterChanges {
    assert!(changes.created_accounts.is_empty() && changes.updated_accounts.is_empty());
    assert!(
        !changes.added_links.is_empty(),
        "the link steps were cut short"
    );
    assert!(!changes.added_guardians.is_empty());
    first_half(&mut changes.added_guardians);
    first_half(&mut changes.removed_guardians);
    changes
}

/// Plans `import`, applies what [`cut_in_links`] leaves of it, reads `roster_state`,
/// plans again and applies what [`cut_in_guardians`] leaves, then plans and applies the
/// rest; the state after each cut must show it partly done, and a last plan nothing.
async fn import_interrupted(store: &dyn Store, import: &RosterImport) {
    let changes = plan_for(store, import).await;
    let before = store.roster_state().await.unwrap();
    store.apply_roster(&cut_in_links(changes)).await.unwrap();
    let cut = store.roster_state().await.unwrap();
    assert_ne!(cut.links, before.links, "the link steps did something");
    assert_eq!(cut.guardians, before.guardians, "no guardian step ran");

    let changes = plan_for(store, import).await;
    store
        .apply_roster(&cut_in_guardians(changes))
        .await
        .unwrap();
    let cut = store.roster_state().await.unwrap();
    assert_ne!(
        cut.guardians, before.guardians,
        "the guardian steps did something"
    );

    let rest = plan_for(store, import).await;
    assert!(
        !rest.added_guardians.is_empty(),
        "the cut left guardian links"
    );
    assert!(rest.added_links.is_empty() && rest.removed_links.is_empty());
    store.apply_roster(&rest).await.unwrap();
    let again = plan_for(store, import).await;
    assert!(
        again.is_empty(),
        "a second plan changes nothing: {again:#?}"
    );
}

/// What the test compares: the roster's state, every link and guardian link, and the
/// family links of each guardian and teacher.
type Observed = (
    RosterState,
    Vec<Link>,
    Vec<GuardianLink>,
    Vec<Vec<FamilyLink>>,
);

/// Everything a reader can tell about the roster, the links and the family links.
async fn observe(store: &dyn Store) -> Observed {
    let mut family = Vec::new();
    for id in guardians().iter().chain(&teachers()) {
        family.push(store.family_links(&uid(id)).await.unwrap());
    }
    (
        store.roster_state().await.unwrap(),
        store.list_links(None).await.unwrap(),
        store.list_guardian_links(None).await.unwrap(),
        family,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_guardians_cut_short_in_its_link_and_guardian_steps_converges() {
    let interrupted = testing::fresh_store().await;
    let memory = MemoryStore::new();

    import_whole(&memory, &first_import()).await;
    import_interrupted(&interrupted, &first_import()).await;
    let first = observe(&memory).await;
    assert_eq!(first.0.guardians.len(), 45);
    assert_eq!(first.2, first.0.guardians);
    // s00–s09: two teachers each, s10–s19 three, s20–s39 one; s00–s04 two guardians.
    let family: usize = first.3[..26].iter().map(Vec::len).sum();
    assert_eq!(family, 10 * 2 + 10 * 3 + 20 + 5 * 2);
    assert_eq!(observe(&interrupted).await, first);

    import_whole(&memory, &second_import()).await;
    import_interrupted(&interrupted, &second_import()).await;
    let second = observe(&memory).await;
    assert_eq!(second.0.guardians.len(), 40 + 5 + 1);
    let g25 = &second.3[25];
    assert_eq!(g25.len(), 5, "g25 reaches t2 through each of s30–s34");
    assert_eq!(observe(&interrupted).await, second);
}
