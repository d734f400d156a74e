//! Packing a link step's actions into transactions that each bump the wardship of every
//! student whose family links they change (see `family`), teacher links and guardian
//! links alike.
//!
//! A chunk of links can carry more actions than one transaction's 100 once family links
//! come with them (two per guardian of the student per teacher link, two per teacher per
//! guardian link). So the actions of each
//! link are packed, whole, into as many transactions as needed, run one after another;
//! each transaction bumps the family version of the students it changes, on condition
//! that it is the one the previous transaction left — read once for the chunk, and
//! counted on from there. When a transaction fails its conditions, the chunk is read and
//! planned again: the links done already have their records, and are skipped.

use super::steps::MAX_ACTIONS;
use crate::DynamoStore;
use crate::family::{GuardianChange, Wardship};
use aws_sdk_dynamodb::types::TransactWriteItem;
use classchat_core::UserId;
use classchat_core::store::{GuardianLink, StoreError};
use std::collections::{BTreeMap, BTreeSet};

/// The items of one step, each once, in chunks of whole students (all the step's items of
/// one student are in one chunk, so chunks running at once never bump one wardship) of
/// about `per_chunk` items — a student with more has a chunk of their own.
pub(super) fn chunks<T: Ord>(
    items: &[T],
    student: impl Fn(&T) -> &UserId,
    per_chunk: usize,
) -> Vec<Vec<&T>> {
    let mut by_student: BTreeMap<&UserId, BTreeSet<&T>> = BTreeMap::new();
    for item in items {
        by_student.entry(student(item)).or_default().insert(item);
    }
    let mut chunks = Vec::new();
    let mut current: Vec<&T> = Vec::new();
    for items in by_student.into_values() {
        if !current.is_empty() && current.len() + items.len() > per_chunk {
            chunks.push(std::mem::take(&mut current));
        }
        current.extend(items);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// What one link's actions change of a student's family, so what the transaction holding
/// them must do to the student's wardship.
#[derive(Debug, Clone, Copy)]
pub(super) enum Touches<'a> {
    /// Nothing: a roster record alone. No bump.
    Nothing,
    /// The family links through the student (one of their teacher links): a bump.
    Links(&'a UserId),
    /// One of the student's guardian links: a bump, with the guardian joining or leaving
    /// their guardian set (as the packer was made for).
    Guardian(&'a GuardianLink),
}

/// Builds the transactions of one chunk's plan.
pub(super) struct Packer {
    /// The wardship of each student of the chunk, at the version the next bump expects.
    wards: BTreeMap<UserId, Wardship>,
    /// Whether the guardians of [`Touches::Guardian`] leave their students' sets (or join).
    leaving: bool,
    /// The transactions closed so far, in the order they must commit.
    transactions: Vec<Vec<TransactWriteItem>>,
    /// The actions of the transaction being filled.
    current: Vec<TransactWriteItem>,
    /// The students whose wardship the transaction being filled will bump when closed,
    /// each with the guardians joining or leaving their set in it.
    bumped: BTreeMap<UserId, Vec<UserId>>,
}

impl Packer {
    /// A packer for a chunk whose students' wardships were read as `wards`; `leaving`:
    /// whether the chunk removes guardian links (or adds them, or none).
    pub(super) fn new(wards: BTreeMap<UserId, Wardship>, leaving: bool) -> Self {
        Self {
            wards,
            leaving,
            transactions: Vec::new(),
            current: Vec::new(),
            bumped: BTreeMap::new(),
        }
    }

    /// The wardship of `student` as the next transaction will find it.
    pub(super) fn wardship(&mut self, student: &UserId) -> &Wardship {
        self.wards
            .entry(student.clone())
            .or_insert_with(|| Wardship::none(student.clone()))
    }

    /// Adds one link's `actions` to a transaction, whole, bumping the wardship `touches`
    /// names in it.
    pub(super) fn push(
        &mut self,
        store: &DynamoStore,
        touches: Touches<'_>,
        actions: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let student = match touches {
            Touches::Nothing => None,
            Touches::Links(student) => Some(student),
            Touches::Guardian(link) => Some(&link.student),
        };
        if actions.len() + usize::from(student.is_some()) > MAX_ACTIONS {
            return Err(StoreError::Conflict(format!(
                "a link of {} changes too many family links for one transaction; the \
                 student has too many guardians or teachers",
                student.map_or_else(String::new, ToString::to_string)
            )));
        }
        let new_bump = student.is_some_and(|student| !self.bumped.contains_key(student));
        if self.current.len() + actions.len() + self.bumped.len() + usize::from(new_bump)
            > MAX_ACTIONS
        {
            self.close(store)?;
        }
        self.current.extend(actions);
        if let Some(student) = student {
            let guardians = self.bumped.entry(student.clone()).or_default();
            if let Touches::Guardian(link) = touches {
                guardians.push(link.guardian.clone());
            }
        }
        Ok(())
    }

    /// The transactions, in the order they must commit.
    pub(super) fn finish(
        mut self,
        store: &DynamoStore,
    ) -> Result<Vec<Vec<TransactWriteItem>>, StoreError> {
        self.close(store)?;
        Ok(self.transactions)
    }

    /// Closes the transaction being filled: appends its bumps, and counts each on.
    fn close(&mut self, store: &DynamoStore) -> Result<(), StoreError> {
        let mut items = std::mem::take(&mut self.current);
        for (student, guardians) in std::mem::take(&mut self.bumped) {
            let change = match self.leaving {
                true => GuardianChange::Remove(&guardians),
                false => GuardianChange::Add(&guardians),
            };
            let wardship = self
                .wards
                .entry(student.clone())
                .or_insert_with(|| Wardship::none(student));
            items.push(wardship.bump(store, Some(change))?);
            wardship.advance();
        }
        if !items.is_empty() {
            self.transactions.push(items);
        }
        Ok(())
    }
}
