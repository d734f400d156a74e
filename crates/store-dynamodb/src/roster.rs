//! Roster imports: what earlier imports left ([`state`]) and applying an import's changes
//! ([`apply`]).
//!
//! # Items (in UserInfo)
//! - `#roster#accounts` / sourcedId: `accountId`, the userId the import created. The
//!   account itself is an ordinary profile (password hash `""`, token version 0) with its
//!   two listing items, created in the same transaction as this record.
//! - `#roster#classes` / sourcedId: `title`, and `teachers` and `students` as lists of
//!   userIds, replaced whole. A class has at most 2,000 members of at most 128 bytes each:
//!   under 300 kB, within an item's 400 kB.
//! - `#roster#links` / `<teacherId>+<studentId>`: `teacherId`, `studentId` and `byHand`
//!   (BOOL), a link the roster derives; `byHand` when it was also added by hand, so that
//!   the roster dropping it leaves it standing.
//! - `#roster#guardians` / `<guardianId>+<studentId>`: `guardianId`, `studentId` and
//!   `byHand` (BOOL), a guardian link the roster derives, kept as `#roster#links` is.
//! - `<userId>` / `cls#<sourcedId>`, no attributes: the index of a member's classes that
//!   `classes_of` reads, one item per class the user teaches or takes (see `members`).
//!
//! Each kind has a partition of its own so that the sort key is the sourcedId itself: a
//! sourcedId takes up to 1,020 bytes (255 characters of up to 4), a sort key at most
//! 1,024, which leaves room for a prefix of four bytes at most (the index's `cls#`, in
//! the members' own partitions). Four partitions also spread an import's
//! burst of writes, and are four Queries `state` runs at once.
//!
//! # Applying in steps
//! One import touches thousands of items, beyond one transaction's 100, so [`apply`]
//! writes in steps, in this order: create accounts, update accounts, put classes (their
//! members' index first), delete classes (likewise), add links, remove links, add
//! guardian links, remove guardian links. Every transaction is atomic and keeps the
//! invariants `state` relies on: an account record exists exactly when its profile was
//! created with it, and a `#roster#links` (`#roster#guardians`) record exists only while
//! the link's (guardian link's) items exist. So after a failure midway, `state`
//! reports exactly what was done, planning the import again yields what was not, and
//! applying that converges on the result of one uninterrupted apply. The link steps
//! (`links`) read how each link stands first and read again when a condition shows an
//! administrator changed it meanwhile, and so do the guardian-link steps (`guardians`);
//! both write and delete the family links of each link in the same transactions,
//! serialised per student as every family change is (see `family` and `packing`). The transactions of one step touch disjoint items, so a few
//! run at once (`steps`).

mod guardians;
mod links;
mod members;
mod packing;
mod records;
mod steps;

use crate::DynamoStore;
use crate::error::corrupt;
use crate::family;
use crate::item::{
    ACCOUNT_ID, Item, ROSTER_ACCOUNTS_PARTITION, ROSTER_CLASSES_PARTITION,
    ROSTER_GUARDIANS_PARTITION, ROSTER_LINKS_PARTITION, SK, STUDENTS, TEACHERS, TITLE, USER_ID,
    get_s, get_user_id, item_size, s, user_info_key,
};
use crate::ops;
use crate::users;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use classchat_core::UserId;
use classchat_core::roster::{
    AccountChange, Class, RosterAccount, RosterChanges, RosterState, SourcedId,
};
use classchat_core::store::StoreError;
use classchat_core::user::UserRecord;
use members::Membership;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use steps::{MAX_ACTIONS, NOT_EXISTS, committed, in_parallel, transact_retrying, write_all};

/// Actions creating one account: profile, two listing items, the roster's record.
const ACTIONS_PER_ACCOUNT: usize = 4;

/// What earlier imports left: the accounts they created as the users are now (an account
/// whose profile is gone is left out), the classes and the roster's links and guardian
/// links, each sorted.
pub(crate) async fn state(store: &DynamoStore) -> Result<RosterState, StoreError> {
    let (accounts, classes, links, guardians) = tokio::join!(
        partition(store, ROSTER_ACCOUNTS_PARTITION, "Query roster accounts"),
        classes(store),
        partition(store, ROSTER_LINKS_PARTITION, "Query roster links"),
        partition(
            store,
            ROSTER_GUARDIANS_PARTITION,
            "Query roster guardian links"
        ),
    );
    let accounts = accounts?
        .iter()
        .map(|item| Ok((sourced_id_of(item)?, get_user_id(item, ACCOUNT_ID)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let users = ops::users(
        &store.client,
        &store.tables,
        accounts.iter().map(|(_, id)| id),
    )
    .await?;
    let mut accounts: Vec<RosterAccount> = accounts
        .into_iter()
        .filter_map(|(sourced_id, id)| {
            let user = users.get(&id)?.clone();
            Some(RosterAccount { sourced_id, user })
        })
        .collect();
    accounts.sort_by(|a, b| a.sourced_id.cmp(&b.sourced_id));
    let classes = classes?;
    let mut links = links?
        .iter()
        .map(users::link_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    links.sort();
    let mut guardians = guardians?
        .iter()
        .map(family::guardian_link_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    guardians.sort();
    Ok(RosterState {
        accounts,
        classes,
        links,
        guardians,
    })
}

/// Every class, sorted by sourcedId: one Query of the classes' partition.
pub(crate) async fn classes(store: &DynamoStore) -> Result<Vec<Class>, StoreError> {
    let mut classes = partition(store, ROSTER_CLASSES_PARTITION, "Query roster classes")
        .await?
        .iter()
        .map(class_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    classes.sort_by(|a, b| a.sourced_id.cmp(&b.sourced_id));
    Ok(classes)
}

/// Applies `changes` in the steps the module docs describe; the first failing step ends
/// the apply with its error, and whatever committed before it stays.
pub(crate) async fn apply(store: &DynamoStore, changes: &RosterChanges) -> Result<(), StoreError> {
    check_new_accounts(store, &changes.created_accounts).await?;
    create_accounts(store, &changes.created_accounts).await?;
    update_accounts(store, &changes.updated_accounts).await?;
    // Each class step writes its members' index first, the class items last (see
    // `members`).
    let created = changes.created_classes.iter().map(|class| Membership {
        before: None,
        after: Some(class),
    });
    let updated = changes.updated_classes.iter().map(|change| Membership {
        before: Some(&change.before),
        after: Some(&change.after),
    });
    members::update(store, created.chain(updated)).await?;
    let kept = changes
        .created_classes
        .iter()
        .chain(changes.updated_classes.iter().map(|change| &change.after));
    put_classes(store, kept).await?;
    let deleted = changes.deleted_classes.iter().map(|class| Membership {
        before: Some(class),
        after: None,
    });
    members::update(store, deleted).await?;
    delete_classes(store, &changes.deleted_classes).await?;
    links::add_all(store, &changes.added_links).await?;
    links::remove_all(store, &changes.removed_links).await?;
    guardians::add_all(store, &changes.added_guardians).await?;
    guardians::remove_all(store, &changes.removed_guardians).await
}

/// Refuses the import before it writes anything when an account to create is taken: its
/// userId has a profile (made by hand) or comes twice, or its sourcedId has an account
/// from an earlier import. The create transactions check the same again, for writes
/// racing this read.
async fn check_new_accounts(
    store: &DynamoStore,
    accounts: &[RosterAccount],
) -> Result<(), StoreError> {
    let mut ids = HashSet::new();
    let mut sourced_ids = HashSet::new();
    for account in accounts {
        if !ids.insert(&account.user.id) {
            return Err(StoreError::Conflict(format!(
                "user {} is to be created twice",
                account.user.id
            )));
        }
        if !sourced_ids.insert(&account.sourced_id) {
            return Err(StoreError::Conflict(format!(
                "the person with sourcedId {} is to get two accounts",
                account.sourced_id
            )));
        }
    }
    let users = ops::users(&store.client, &store.tables, ids).await?;
    if let Some(account) = accounts.iter().find(|a| users.contains_key(&a.user.id)) {
        return Err(StoreError::Conflict(format!(
            "user {} exists already",
            account.user.id
        )));
    }
    let keys = accounts
        .iter()
        .map(|account| account_key(&account.sourced_id))
        .collect();
    let shape = KeysAndAttributes::builder();
    let found = ops::batch_get(&store.client, &store.tables.user_info, keys, shape).await?;
    match found.first() {
        Some(item) => Err(StoreError::Conflict(format!(
            "the person with sourcedId {} has an account already",
            sourced_id_of(item)?
        ))),
        None => Ok(()),
    }
}

/// Creates the accounts, each with its profile, listing items and the roster's record
/// in one transaction, so an account is never created without the record that makes the
/// next plan know it.
async fn create_accounts(
    store: &DynamoStore,
    accounts: &[RosterAccount],
) -> Result<(), StoreError> {
    in_parallel(
        accounts
            .chunks(MAX_ACTIONS / ACTIONS_PER_ACCOUNT)
            .map(|chunk| create_account_chunk(store, chunk)),
    )
    .await
}

/// One transaction of [`create_accounts`]: [`ACTIONS_PER_ACCOUNT`] actions per account,
/// the profile first and the record last, so a failed condition names its account.
async fn create_account_chunk(
    store: &DynamoStore,
    accounts: &[RosterAccount],
) -> Result<(), StoreError> {
    let mut items = Vec::with_capacity(accounts.len() * ACTIONS_PER_ACCOUNT);
    for account in accounts {
        let record = UserRecord {
            user: account.user.clone(),
            password_hash: String::new(),
            token_version: 0,
        };
        let profile = users::profile_item(&record, 0);
        items.push(users::put(store, profile, Some(NOT_EXISTS), &[])?);
        items.extend(users::listing_puts(store, &account.user)?);
        let mut item = account_key(&account.sourced_id);
        item.insert(ACCOUNT_ID.to_owned(), s(account.user.id.as_str()));
        items.push(users::put(store, item, Some(NOT_EXISTS), &[])?);
    }
    let operation = "TransactWriteItems create roster accounts";
    let outcome = transact_retrying(store, items, operation).await?;
    for (index, account) in accounts.iter().enumerate() {
        let first = index * ACTIONS_PER_ACCOUNT;
        if outcome.condition_failed(first) {
            return Err(StoreError::Conflict(format!(
                "user {} exists already",
                account.user.id
            )));
        }
        if outcome.condition_failed(first + ACTIONS_PER_ACCOUNT - 1) {
            return Err(StoreError::Conflict(format!(
                "the person with sourcedId {} has an account already",
                account.sourced_id
            )));
        }
    }
    committed(outcome, operation)
}

/// Applies each account change as the same change by an admin would be (the profile's
/// optimistic update, listing items included). A user that is gone is left gone.
async fn update_accounts(store: &DynamoStore, changes: &[AccountChange]) -> Result<(), StoreError> {
    in_parallel(changes.iter().map(|change| async move {
        users::update(store, &change.before.id, &change.patch())
            .await
            .map(|_| ())
    }))
    .await
}

/// Stores each class whole (the last one given of a sourcedId wins), in transactions
/// kept under DynamoDB's size limit: a class item can be 300 kB.
async fn put_classes<'a>(
    store: &DynamoStore,
    classes: impl Iterator<Item = &'a Class>,
) -> Result<(), StoreError> {
    let latest: BTreeMap<&SourcedId, &Class> =
        classes.map(|class| (&class.sourced_id, class)).collect();
    let mut actions = Vec::with_capacity(latest.len());
    for class in latest.into_values() {
        let item = class_item(class);
        let bytes = item_size(&item);
        actions.push((users::put(store, item, None, &[])?, bytes));
    }
    write_all(store, actions, "TransactWriteItems put roster classes").await
}

/// Deletes the classes' items; deleting one that is gone already is no error, so the
/// step can be repeated.
async fn delete_classes(store: &DynamoStore, classes: &[Class]) -> Result<(), StoreError> {
    let keys: BTreeSet<&SourcedId> = classes.iter().map(|class| &class.sourced_id).collect();
    let mut actions = Vec::with_capacity(keys.len());
    for sourced_id in keys {
        let key = user_info_key(ROSTER_CLASSES_PARTITION, sourced_id.as_str());
        let bytes = item_size(&key);
        actions.push((users::delete(store, key, false)?, bytes));
    }
    write_all(store, actions, "TransactWriteItems delete roster classes").await
}

/// Every item of one fixed partition, in sort-key order.
async fn partition(
    store: &DynamoStore,
    partition: &str,
    operation: &str,
) -> Result<Vec<Item>, StoreError> {
    let query = store
        .client
        .query()
        .table_name(&store.tables.user_info)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", USER_ID)
        .expression_attribute_values(":pk", s(partition));
    ops::query(query, None, operation).await
}

/// The key of the record of the account a sourcedId got.
fn account_key(sourced_id: &SourcedId) -> Item {
    user_info_key(ROSTER_ACCOUNTS_PARTITION, sourced_id.as_str())
}

/// The item of a class: its title and member lists.
fn class_item(class: &Class) -> Item {
    let ids =
        |members: &[UserId]| AttributeValue::L(members.iter().map(|id| s(id.as_str())).collect());
    let mut item = user_info_key(ROSTER_CLASSES_PARTITION, class.sourced_id.as_str());
    item.insert(TITLE.to_owned(), s(&class.title));
    item.insert(TEACHERS.to_owned(), ids(&class.teachers));
    item.insert(STUDENTS.to_owned(), ids(&class.students));
    item
}

/// A class read back, its member lists sorted.
pub(crate) fn class_from_item(item: &Item) -> Result<Class, StoreError> {
    let members = |name: &str| -> Result<Vec<UserId>, StoreError> {
        let Some(AttributeValue::L(values)) = item.get(name) else {
            return Err(corrupt(name));
        };
        let mut ids = values
            .iter()
            .map(|value| match value {
                AttributeValue::S(id) => UserId::parse(id).map_err(|_| corrupt(name)),
                _ => Err(corrupt(name)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        Ok(ids)
    };
    Ok(Class {
        sourced_id: sourced_id_of(item)?,
        title: get_s(item, TITLE)?.to_owned(),
        teachers: members(TEACHERS)?,
        students: members(STUDENTS)?,
    })
}

/// The sourcedId an account record or class is keyed by.
fn sourced_id_of(item: &Item) -> Result<SourcedId, StoreError> {
    SourcedId::parse(get_s(item, SK)?).ok_or_else(|| corrupt(SK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_trip_with_sorted_members() {
        let id = |raw: &str| UserId::parse(raw).unwrap();
        let class = Class {
            sourced_id: SourcedId::parse("class #1 ünïcode").unwrap(),
            title: "Maths 7B".into(),
            teachers: vec![id("t2"), id("t1")],
            students: Vec::new(),
        };
        let read = class_from_item(&class_item(&class)).unwrap();
        assert_eq!(read.teachers, [id("t1"), id("t2")]);
        assert_eq!(read.students, []);
        assert_eq!(
            (read.sourced_id, read.title),
            (class.sourced_id, class.title)
        );
    }

    #[test]
    fn a_full_class_fits_an_item() {
        let members: Vec<UserId> = (0..2_000)
            .map(|i| UserId::parse(&format!("{i:0>128}")).unwrap())
            .collect();
        let class = Class {
            sourced_id: SourcedId::parse(&"ü".repeat(255)).unwrap(),
            title: "ü".repeat(255),
            teachers: members[..1_000].to_vec(),
            students: members[1_000..].to_vec(),
        };
        assert!(item_size(&class_item(&class)) < 400 * 1024);
    }
}
