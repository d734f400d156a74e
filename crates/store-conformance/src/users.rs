//! Users: create, read back, conflicts, patches and listing.

use crate::fixtures::{Scope, create_user, record};
use classchat_core::store::{Store, StoreError, UserPatch};
use classchat_core::user::{DisplayName, Role, User, UserRecord};
use std::sync::Arc;

/// `ping` succeeds on a freshly opened store.
pub async fn ping_succeeds(store: Arc<dyn Store>) {
    store
        .ping()
        .await
        .expect("ping must succeed on a healthy store");
}

/// A created user reads back exactly, hash, disabled flag and token version included; an
/// unknown id is `None`.
pub async fn create_user_then_get_returns_it(store: Arc<dyn Store>) {
    let scope = Scope::new();
    for (name, role, disabled) in [
        ("student", Role::Student, false),
        ("teacher", Role::Teacher, true),
        ("admin", Role::Admin, false),
    ] {
        let id = scope.id(name);
        let mut created = record(&id, &format!("The {name}"), role);
        created.user.disabled = disabled;
        created.token_version = u64::from(disabled) * 3;
        store
            .create_user(&created)
            .await
            .unwrap_or_else(|error| panic!("create_user({id}) failed: {error}"));
        let got = store.get_user(&id).await.expect("get_user failed");
        assert_eq!(
            got,
            Some(created),
            "get_user({id}) must return the record exactly as created"
        );
    }
    let unknown = store
        .get_user(&scope.id("nobody"))
        .await
        .expect("get_user of an unknown id must not fail");
    assert_eq!(unknown, None, "get_user of an unknown id must be None");
}

/// Creating a user whose id is taken is a [`StoreError::Conflict`] and changes nothing.
pub async fn create_user_twice_conflicts(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let id = scope.id("dup");
    let first = record(&id, "First", Role::Student);
    store
        .create_user(&first)
        .await
        .expect("first create_user failed");

    let second = UserRecord {
        user: User {
            display_name: DisplayName::parse("Second").unwrap(),
            role: Role::Teacher,
            ..first.user.clone()
        },
        password_hash: "other-hash".into(),
        token_version: 7,
    };
    let result = store.create_user(&second).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "a second create_user with the same id must be StoreError::Conflict, got {result:?}"
    );
    assert_eq!(
        store.get_user(&id).await.unwrap(),
        Some(first),
        "a conflicting create_user must leave the existing user untouched"
    );
}

/// `update_user` changes exactly the fields a patch sets (`revoke_tokens` adds one to the
/// token version), returns the user as now stored, and is `None` for an unknown id
/// (without creating it).
pub async fn update_user_applies_patch_fields(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let id = scope.id("patched");
    let original = record(&id, "Before Name", Role::Student);
    store.create_user(&original).await.unwrap();
    let mut expected = original.clone();

    let check = async |patch: UserPatch, expected: &UserRecord, what: &str| {
        let returned = store
            .update_user(&id, &patch)
            .await
            .unwrap_or_else(|error| panic!("update_user ({what}) failed: {error}"));
        assert_eq!(
            returned.as_ref(),
            Some(&expected.user),
            "update_user ({what}) must return the user as now stored"
        );
        assert_eq!(
            store.get_user(&id).await.unwrap().as_ref(),
            Some(expected),
            "after update_user ({what}) get_user must show exactly the patched record"
        );
    };

    let name = DisplayName::parse("After Name").unwrap();
    expected.user.display_name = name.clone();
    let patch = UserPatch {
        display_name: Some(name),
        ..UserPatch::default()
    };
    check(patch, &expected, "display_name only").await;

    expected.user.role = Role::Teacher;
    let patch = UserPatch {
        role: Some(Role::Teacher),
        ..UserPatch::default()
    };
    check(patch, &expected, "role only").await;

    expected.password_hash = "new-hash".into();
    let patch = UserPatch {
        password_hash: Some("new-hash".into()),
        ..UserPatch::default()
    };
    check(patch, &expected, "password_hash only").await;

    expected.user.disabled = true;
    let patch = UserPatch {
        disabled: Some(true),
        ..UserPatch::default()
    };
    check(patch, &expected, "disabled = true").await;
    check(
        UserPatch::default(),
        &expected,
        "empty patch keeps a user disabled",
    )
    .await;

    expected.user.disabled = false;
    let patch = UserPatch {
        disabled: Some(false),
        ..UserPatch::default()
    };
    check(patch, &expected, "disabled = false").await;

    check(UserPatch::default(), &expected, "empty patch").await;

    expected.token_version += 1;
    let patch = UserPatch {
        revoke_tokens: true,
        ..UserPatch::default()
    };
    check(patch, &expected, "revoke_tokens only").await;

    let name = DisplayName::parse("Everything Changed").unwrap();
    expected = UserRecord {
        user: User {
            id: id.clone(),
            display_name: name.clone(),
            role: Role::Admin,
            disabled: true,
        },
        password_hash: "third-hash".into(),
        token_version: expected.token_version + 1,
    };
    let patch = UserPatch {
        display_name: Some(name),
        role: Some(Role::Admin),
        password_hash: Some("third-hash".into()),
        disabled: Some(true),
        revoke_tokens: true,
    };
    check(patch, &expected, "every field").await;

    let ghost = scope.id("ghost");
    let patch = UserPatch {
        disabled: Some(true),
        ..UserPatch::default()
    };
    assert_eq!(
        store.update_user(&ghost, &patch).await.unwrap(),
        None,
        "update_user of an unknown id must be None"
    );
    assert_eq!(
        store.get_user(&ghost).await.unwrap(),
        None,
        "update_user of an unknown id must not create the user"
    );
}

/// `list_users` returns users in userId order, strictly after `after`, at most `limit`.
pub async fn list_users_pages_in_id_order(store: Arc<dyn Store>) {
    let scope = Scope::new();
    // Created out of order, with names that sort differently from the ids.
    let mut users = Vec::new();
    for (name, display, role) in [
        ("c", "Alice", Role::Student),
        ("a", "Zoe", Role::Student),
        ("e", "Carl", Role::Student),
        ("b", "Yves", Role::Teacher),
        ("d", "Bea", Role::Admin),
    ] {
        users.push(create_user(&*store, &scope.id(name), display, role).await);
    }
    users.sort_by(|x, y| x.id.cmp(&y.id));
    let ids = |list: &[User]| list.iter().map(|u| u.id.to_string()).collect::<Vec<_>>();

    // The scope's ids are contiguous in userId order, and `floor` sorts right before them.
    let first = store
        .list_users(None, Some(&scope.floor()), 2)
        .await
        .unwrap();
    assert_eq!(
        ids(&first),
        ids(&users[0..2]),
        "list_users(after = floor, limit 2) must be the two smallest ids"
    );
    assert_eq!(
        first,
        users[0..2],
        "list_users must return complete profiles"
    );

    let second = store.list_users(None, Some(&first[1].id), 2).await.unwrap();
    assert_eq!(
        ids(&second),
        ids(&users[2..4]),
        "list_users(after = last of previous page) must continue exactly after it (exclusive)"
    );

    let third = store
        .list_users(None, Some(&second[1].id), 2)
        .await
        .unwrap();
    assert!(
        !third.is_empty() && third.len() <= 2,
        "list_users must honour limit"
    );
    assert_eq!(
        third[0], users[4],
        "the last page must start with the last id"
    );
    assert!(
        third[1..].iter().all(|u| !scope.owns(&u.id)),
        "no user may be listed twice"
    );

    let all = store
        .list_users(None, Some(&scope.floor()), 100)
        .await
        .unwrap();
    let mine: Vec<User> = all
        .iter()
        .take_while(|u| scope.owns(&u.id))
        .cloned()
        .collect();
    assert_eq!(
        mine, users,
        "list_users must return every user once, in id order"
    );
    for pair in all.windows(2) {
        assert!(
            pair[0].id < pair[1].id,
            "list_users must be strictly ordered by userId"
        );
    }

    let unpaged = store.list_users(None, None, 3).await.unwrap();
    assert_eq!(
        unpaged.len(),
        3,
        "list_users without `after` must start at the smallest id and honour limit"
    );
    assert!(
        unpaged[0].id <= users[0].id,
        "list_users without `after` must start at the smallest userId"
    );
    for pair in unpaged.windows(2) {
        assert!(
            pair[0].id < pair[1].id,
            "list_users must be strictly ordered by userId"
        );
    }
}

/// `list_users` with a role returns only users of that role, still in id order and paged.
pub async fn list_users_filters_by_role(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let mut created = Vec::new();
    for (name, role) in [
        ("s3", Role::Student),
        ("t1", Role::Teacher),
        ("s1", Role::Student),
        ("a1", Role::Admin),
        ("s2", Role::Student),
        ("t2", Role::Teacher),
    ] {
        created.push(create_user(&*store, &scope.id(name), &format!("User {name}"), role).await);
    }
    let floor = scope.floor();
    for role in [Role::Student, Role::Teacher, Role::Admin] {
        let mut expected: Vec<User> = created.iter().filter(|u| u.role == role).cloned().collect();
        expected.sort_by(|x, y| x.id.cmp(&y.id));
        let listed = store
            .list_users(Some(role), Some(&floor), 100)
            .await
            .unwrap();
        assert!(
            listed.iter().all(|u| u.role == role),
            "list_users({role}) must only return {role}s, got {listed:?}"
        );
        let mine: Vec<User> = listed
            .iter()
            .take_while(|u| scope.owns(&u.id))
            .cloned()
            .collect();
        assert_eq!(
            mine, expected,
            "list_users({role}) must list every {role} in id order"
        );
    }

    // Paging within a role skips users of other roles between the pages.
    let page = store
        .list_users(Some(Role::Student), Some(&floor), 1)
        .await
        .unwrap();
    assert_eq!(page.len(), 1, "list_users must honour limit");
    assert_eq!(page[0].id, scope.id("s1"));
    let page = store
        .list_users(Some(Role::Student), Some(&page[0].id), 2)
        .await
        .unwrap();
    let page_ids: Vec<_> = page.iter().map(|u| u.id.clone()).collect();
    assert_eq!(
        page_ids,
        vec![scope.id("s2"), scope.id("s3")],
        "list_users(student, after s1) must be s2, s3"
    );
}
