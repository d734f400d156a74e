//! Planning an import against the store, as the service does: once applied, the same
//! import plans to nothing.

use super::{apply, link, roster_state, scoped, scoped_links};
use crate::fixtures::Scope;
use classchat_core::roster::{
    self, Day, ImportClass, ImportEnrollment, ImportUser, Mode, RosterImport,
};
use classchat_core::store::{GuardianLink, RosterChanges, Store};
use classchat_core::user::{DisplayName, Role};
use std::collections::HashSet;
use std::sync::Arc;

/// The day every import of this check is planned on.
fn today() -> Day {
    Day::new(2026, 3, 2)
}

/// Builds the rows of one import, numbering lines as it goes.
struct Bundle<'a> {
    scope: &'a Scope,
    line: u64,
    import: RosterImport,
}

impl<'a> Bundle<'a> {
    /// An import with every file present, in bulk mode, and no rows yet.
    fn bulk(scope: &'a Scope) -> Self {
        Self {
            scope,
            line: 1,
            import: RosterImport {
                users_mode: Mode::Bulk,
                users: Vec::new(),
                classes_mode: Mode::Bulk,
                classes: Vec::new(),
                enrollments_mode: Mode::Bulk,
                enrollments: Vec::new(),
                skipped: Vec::new(),
                warnings: Vec::new(),
            },
        }
    }

    fn next_line(&mut self) -> u64 {
        self.line += 1;
        self.line
    }

    /// The person `<prefix>-<key>` with the userId `<prefix>-<name>`.
    fn user(mut self, key: &str, name: &str, display: &str, role: Role, enabled: bool) -> Self {
        let line = self.next_line();
        self.import.users.push(ImportUser {
            sourced_id: self.scope.sourced_id(key),
            line,
            user_id: self.scope.id(name),
            role,
            display_name: DisplayName::parse(display).expect("test display names are valid"),
            enabled,
            deleted: false,
            agents: Vec::new(),
            email: None,
        });
        self
    }

    /// The last person's `agentSourcedIds`: the people (keys) they name.
    fn agents(mut self, keys: &[&str]) -> Self {
        if let Some(user) = self.import.users.last_mut() {
            user.agents = keys.iter().map(|key| self.scope.sourced_id(key)).collect();
        }
        self
    }

    fn class(mut self, key: &str, title: &str) -> Self {
        let line = self.next_line();
        self.import.classes.push(ImportClass {
            sourced_id: self.scope.sourced_id(key),
            line,
            title: title.to_owned(),
            deleted: false,
        });
        self
    }

    /// `user` (a person's key) in `class`, between the optional days.
    fn enrol(
        mut self,
        class: &str,
        user: &str,
        teaches: bool,
        begin: Option<Day>,
        end: Option<Day>,
    ) -> Self {
        let line = self.next_line();
        self.import.enrollments.push(ImportEnrollment {
            line,
            class: self.scope.sourced_id(class),
            user: self.scope.sourced_id(user),
            teaches,
            begin,
            end,
            deleted: false,
        });
        self
    }
}

/// Plans `import` against this scope's part of the roster state, finding taken userIds as
/// the service does.
async fn plan(store: &dyn Store, scope: &Scope, import: &RosterImport) -> RosterChanges {
    let state = scoped(roster_state(store).await, scope);
    let mut taken = HashSet::new();
    for id in roster::new_user_ids(import, &state) {
        if store
            .get_user(&id)
            .await
            .expect("get_user failed")
            .is_some()
        {
            taken.insert(id);
        }
    }
    roster::plan(import, &state, &taken, today())
        .unwrap_or_else(|problems| panic!("the check's import must plan, got {problems:?}"))
        .changes
}

/// Plans and applies `import`, then plans it again: that must change nothing.
async fn import_twice(store: &dyn Store, scope: &Scope, import: &RosterImport, what: &str) {
    let changes = plan(store, scope, import).await;
    assert!(
        !changes.is_empty(),
        "the {what} import of the check must change something"
    );
    apply(store, &changes).await;
    let again = plan(store, scope, import).await;
    assert!(
        again.is_empty(),
        "after apply_roster of the {what} import ({}), planning it again against \
         roster_state must change nothing, got ({}) {again:#?}",
        changes.summary(),
        again.summary()
    );
}

/// Planning an import against `roster_state`, applying it with `apply_roster` and planning
/// it again yields no changes: the store keeps exactly what the plan needs, for a first
/// import (accounts, classes, links and guardian links — named from either side —
/// created), a second one (accounts renamed, disabled and enabled, a class changed, one
/// created and one dropped, links and guardian links added — one of each already there by
/// hand — and removed) and a third that empties the roster (the links by hand survive it).
pub async fn replanning_an_applied_import_changes_nothing(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let past = Some(Day::new(2026, 1, 31));
    let future = Some(Day::new(2026, 4, 1));
    let first = Bundle::bulk(&scope)
        .user("p-t1", "t-one", "Teacher One", Role::Teacher, true)
        .user("p-t2", "t-two", "Teacher Two", Role::Teacher, true)
        .user("p-s1", "s-one", "Student One", Role::Student, true)
        .user("p-s2", "s-two", "Student Two", Role::Student, true)
        .agents(&["p-g2"])
        .user("p-s3", "s-three", "Student Three", Role::Student, true)
        .user("p-s4", "s-four", "Student Four", Role::Student, false)
        .user("p-a1", "a-one", "Admin One", Role::Admin, true)
        .user("p-g1", "g-one", "Guardian One", Role::Guardian, true)
        .agents(&["p-s1"])
        .user("p-g2", "g-two", "Guardian Two", Role::Guardian, true)
        .class("c-math", "Math")
        .class("c-bio", "Biology")
        .enrol("c-math", "p-t1", true, None, None)
        .enrol("c-math", "p-a1", true, None, None)
        .enrol("c-math", "p-s1", false, Some(Day::new(2026, 3, 1)), None)
        .enrol("c-math", "p-s2", false, None, None)
        .enrol("c-bio", "p-t2", true, None, None)
        .enrol("c-bio", "p-s1", false, None, future)
        .enrol("c-bio", "p-s2", false, None, None)
        .enrol("c-bio", "p-s3", false, None, past)
        .enrol("c-bio", "p-s4", false, future, None)
        .import;
    import_twice(&*store, &scope, &first, "first").await;

    let guardian_link = |guardian: &str, student: &str| GuardianLink {
        guardian: scope.id(guardian),
        student: scope.id(student),
    };
    assert_eq!(
        scoped(roster_state(&*store).await, &scope).guardians,
        [
            guardian_link("g-one", "s-one"),
            guardian_link("g-two", "s-two")
        ],
        "the first import must derive a guardian link from the guardian's row and one from          the student's"
    );

    // A teacher links a student by hand whom the next import puts in their class, and a
    // guardian is made one of a student by hand whom the next import names too.
    let by_hand = link(&scope.id("t-one"), &scope.id("s-three"));
    store.add_link(&by_hand).await.expect("add_link failed");
    let guardian_by_hand = guardian_link("g-one", "s-three");
    store
        .add_guardian(&guardian_by_hand)
        .await
        .expect("add_guardian failed");
    let second = Bundle::bulk(&scope)
        .user("p-t1", "t-one", "Teacher One (Dr.)", Role::Teacher, true)
        .user("p-t2", "t-two", "Teacher Two", Role::Teacher, true)
        .user("p-s1", "s-one", "Student One", Role::Student, true)
        .user("p-s3", "s-three", "Student Three", Role::Student, true)
        .agents(&["p-g1"])
        .user("p-s4", "s-four", "Student Four", Role::Student, true)
        .user("p-a1", "a-one", "Admin One", Role::Admin, true)
        .user("p-g1", "g-one", "Guardian One", Role::Guardian, true)
        .agents(&["p-s4"])
        .user("p-g2", "g-two", "Guardian Two", Role::Guardian, true)
        .class("c-math", "Mathematics")
        .class("c-art", "Art")
        .enrol("c-math", "p-t1", true, None, None)
        .enrol("c-math", "p-s1", false, None, None)
        .enrol("c-math", "p-s3", false, None, None)
        .enrol("c-art", "p-t2", true, None, None)
        .enrol("c-art", "p-s2", false, None, None)
        .enrol("c-art", "p-s4", false, None, None)
        .import;
    import_twice(&*store, &scope, &second, "second").await;
    assert!(
        store.is_linked(&by_hand).await.unwrap(),
        "a link by hand the roster derives must stay linked"
    );
    assert_eq!(
        scoped(roster_state(&*store).await, &scope).guardians,
        [guardian_link("g-one", "s-four"), guardian_by_hand.clone()],
        "the second import must drop the guardian links no row names any more and derive          the new ones, the one by hand among them"
    );

    let third = Bundle::bulk(&scope).import;
    import_twice(&*store, &scope, &third, "emptying").await;
    let state = scoped(roster_state(&*store).await, &scope);
    assert!(
        state.classes.is_empty() && state.links.is_empty() && state.guardians.is_empty(),
        "an import without classes or users must leave no classes and no roster links or          guardian links, got {state:?}"
    );
    assert_eq!(
        store
            .list_guardian_links(Some(&scope.id("g-one")))
            .await
            .unwrap(),
        vec![guardian_by_hand],
        "an import that drops every roster guardian link must leave only the one by hand"
    );
    assert!(
        store.is_linked(&by_hand).await.unwrap(),
        "a link by hand must survive an import that drops every roster link"
    );
    assert_eq!(
        scoped_links(&*store, &scope).await,
        vec![by_hand],
        "an import that drops every roster link must leave only the link by hand"
    );
}
