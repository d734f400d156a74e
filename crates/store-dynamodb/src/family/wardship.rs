//! A student's `wardship` item — their guardians and the version that serialises every
//! change to their family links — and the family-link (`via#`) items those changes write.
//!
//! Every change that makes or ends family links through a student (a teacher link or a
//! guardian link of theirs, by hand or by a roster import) reads the student's wardship
//! first, then whatever else it needs (their teachers), and writes in one transaction the
//! links, the `via#` items that follow from what it read, and a [`Wardship::bump`] of the
//! version on condition that it is still the one read. Two such changes for one student
//! can therefore never both commit from the same reading: the loser's condition fails,
//! and it reads and plans again ([`serialised`]).

use crate::DynamoStore;
use crate::error::build_failed;
use crate::item::{
    FAMILY_VERSION, GUARDIAN_ID, GUARDIANS, Item, LINK_PREFIX, STUDENT_ID, TEACHER_ID, WARDSHIP,
    get_user_id, n, s, user_info_key, via_sk,
};
use crate::ops::{self, MAX_ACTIONS};
use crate::users;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use classchat_core::UserId;
use classchat_core::store::{FamilyLink, StoreError};
use std::collections::BTreeSet;
use std::future::Future;

/// Readings and transactions of one family change before giving up under contention.
const ATTEMPTS: u32 = 12;

/// A student's `wardship` item as read: what a family change plans from and conditions on.
#[derive(Debug, Clone)]
pub(crate) struct Wardship {
    /// The student.
    pub(crate) student: UserId,
    /// The family version read (0 when the item does not exist yet).
    pub(crate) version: u64,
    /// The student's guardians.
    pub(crate) guardians: BTreeSet<UserId>,
}

/// What a change does to the guardian set, in the same Update as the version bump (an
/// empty list does nothing).
#[derive(Debug, Clone, Copy)]
pub(crate) enum GuardianChange<'a> {
    /// The guardians join the set.
    Add(&'a [UserId]),
    /// The guardians leave the set.
    Remove(&'a [UserId]),
}

/// One attempt of a [`serialised`] change.
pub(crate) enum Attempt<T> {
    /// The change committed (or found nothing to do): this is its answer.
    Done(T),
    /// Another change of the same student's family came first: read and plan again.
    Raced,
}

impl Wardship {
    /// The key of `student`'s wardship item.
    pub(crate) fn key(student: &UserId) -> Item {
        user_info_key(student.as_str(), WARDSHIP)
    }

    /// The wardship of `student` before any family change: version 0, no guardians.
    pub(crate) fn none(student: UserId) -> Self {
        Self {
            student,
            version: 0,
            guardians: BTreeSet::new(),
        }
    }

    /// The wardship `item` (of `student`) holds.
    pub(crate) fn from_item(student: UserId, item: &Item) -> Result<Self, StoreError> {
        let version = match item.get(FAMILY_VERSION) {
            Some(_) => crate::item::get_u64(item, FAMILY_VERSION)?,
            None => 0,
        };
        let guardians = match item.get(GUARDIANS) {
            None => BTreeSet::new(),
            Some(AttributeValue::Ss(ids)) => ids
                .iter()
                .map(|id| UserId::parse(id).map_err(|_| crate::error::corrupt(GUARDIANS)))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(crate::error::corrupt(GUARDIANS)),
        };
        Ok(Self {
            student,
            version,
            guardians,
        })
    }

    /// Reads `student`'s wardship, strongly consistent: a GetItem is serialisable with
    /// transactions, so whatever the student's other items show afterwards is at least as
    /// new as this version.
    pub(crate) async fn read(store: &DynamoStore, student: &UserId) -> Result<Self, StoreError> {
        let output = store
            .client
            .get_item()
            .table_name(&store.tables.user_info)
            .set_key(Some(Self::key(student)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| crate::error::classify("GetItem wardship", error))?;
        match output.item {
            Some(item) => Self::from_item(student.clone(), &item),
            None => Ok(Self::none(student.clone())),
        }
    }

    /// The family links through the student that a link of `teacher` to them makes.
    pub(crate) fn family_links_with(&self, teacher: &UserId) -> Vec<FamilyLink> {
        self.guardians
            .iter()
            .map(|guardian| FamilyLink {
                guardian: guardian.clone(),
                teacher: teacher.clone(),
                student: self.student.clone(),
            })
            .collect()
    }

    /// The Update moving the version on by one, on condition that it is still the one
    /// read, applying `change` to the guardian set with it. A transaction that changes
    /// two steps of one student's family in a row (roster imports) chains them with
    /// [`Self::advance`].
    pub(crate) fn bump(
        &self,
        store: &DynamoStore,
        change: Option<GuardianChange<'_>>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut expression = String::from("SET #version = :next");
        let mut update = Update::builder()
            .table_name(&store.tables.user_info)
            .set_key(Some(Self::key(&self.student)))
            .expression_attribute_names("#version", FAMILY_VERSION)
            .expression_attribute_values(":next", n(self.version + 1));
        // The item is never deleted and its version only grows, so "absent" means
        // version 0 and is never seen again once a change has committed.
        update = match self.version {
            0 => update.condition_expression("attribute_not_exists(#version)"),
            read => update
                .condition_expression("#version = :read")
                .expression_attribute_values(":read", n(read)),
        };
        let (verb, guardians) = match change {
            Some(GuardianChange::Add(guardians)) => ("ADD", guardians),
            Some(GuardianChange::Remove(guardians)) => ("DELETE", guardians),
            None => ("", &[][..]),
        };
        if !guardians.is_empty() {
            let set: BTreeSet<String> = guardians.iter().map(ToString::to_string).collect();
            expression.push_str(&format!(" {verb} #guardians :guardians"));
            update = update
                .expression_attribute_names("#guardians", GUARDIANS)
                .expression_attribute_values(
                    ":guardians",
                    AttributeValue::Ss(set.into_iter().collect()),
                );
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(build_failed)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// What the version is after a [`Self::bump`] commits: the next bump in a chain of
    /// transactions conditions on it.
    pub(crate) fn advance(&mut self) {
        self.version += 1;
    }
}

/// The keys of a family link's items: under the guardian (naming the teacher) and under
/// the teacher (naming the guardian) — one key when both are the same user, since a
/// transaction may not touch an item twice.
fn via_keys(link: &FamilyLink) -> Vec<Item> {
    let mut keys = vec![user_info_key(
        link.guardian.as_str(),
        via_sk(&link.teacher, &link.student),
    )];
    if link.guardian != link.teacher {
        keys.push(user_info_key(
            link.teacher.as_str(),
            via_sk(&link.guardian, &link.student),
        ));
    }
    keys
}

/// Puts of the items of each family link of `links`.
pub(crate) fn via_puts(
    store: &DynamoStore,
    links: &[FamilyLink],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut actions = Vec::with_capacity(links.len() * 2);
    for link in links {
        for mut item in via_keys(link) {
            item.insert(GUARDIAN_ID.to_owned(), s(link.guardian.as_str()));
            item.insert(TEACHER_ID.to_owned(), s(link.teacher.as_str()));
            item.insert(STUDENT_ID.to_owned(), s(link.student.as_str()));
            actions.push(users::put(store, item, None, &[])?);
        }
    }
    Ok(actions)
}

/// Deletes of the items of each family link of `links`.
pub(crate) fn via_deletes(
    store: &DynamoStore,
    links: &[FamilyLink],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    links
        .iter()
        .flat_map(via_keys)
        .map(|key| users::delete(store, key, false))
        .collect()
}

/// The family link a `via#` item describes.
pub(crate) fn family_link_from_item(item: &Item) -> Result<FamilyLink, StoreError> {
    Ok(FamilyLink {
        guardian: get_user_id(item, GUARDIAN_ID)?,
        teacher: get_user_id(item, TEACHER_ID)?,
        student: get_user_id(item, STUDENT_ID)?,
    })
}

/// The teachers `student` is linked to: one Query of their `link#` items (which, read
/// after their wardship, are at least as new as it).
pub(crate) async fn teachers_of(
    store: &DynamoStore,
    student: &UserId,
) -> Result<Vec<UserId>, StoreError> {
    let query = ops::user_info_prefix(&store.client, &store.tables, student.as_str(), LINK_PREFIX);
    let mut teachers = Vec::new();
    for item in ops::query(query, None, "Query links of a student").await? {
        let link = users::link_from_item(&item)?;
        // The same prefix holds a teacher's links to their students.
        if &link.student == student {
            teachers.push(link.teacher);
        }
    }
    Ok(teachers)
}

/// Refuses a change whose one transaction would exceed DynamoDB's 100 actions: a student
/// with dozens of guardians and teachers, far beyond any real family.
pub(crate) fn within_limit(
    items: &[TransactWriteItem],
    student: &UserId,
) -> Result<(), StoreError> {
    if items.len() > MAX_ACTIONS {
        return Err(StoreError::Conflict(format!(
            "{student} has too many guardians and teachers for one change ({} writes, at most \
             {MAX_ACTIONS})",
            items.len()
        )));
    }
    Ok(())
}

/// Runs a change of `student`'s family: reads their wardship and gives it to `attempt`,
/// which plans, writes its transaction (with a [`Wardship::bump`]) and judges the outcome;
/// when another change came first ([`Attempt::Raced`]), reads and tries again, with
/// backoff, up to [`ATTEMPTS`] times.
pub(crate) async fn serialised<T, F, Fut>(
    store: &DynamoStore,
    student: &UserId,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut(Wardship) -> Fut,
    Fut: Future<Output = Result<Attempt<T>, StoreError>>,
{
    for round in 0..ATTEMPTS {
        if round > 0 {
            tokio::time::sleep(ops::backoff(round)).await;
        }
        let wardship = Wardship::read(store, student).await?;
        if let Attempt::Done(answer) = attempt(wardship).await? {
            return Ok(answer);
        }
    }
    Err(StoreError::Unavailable(format!(
        "the family of {student} is being changed concurrently; retry"
    )))
}
