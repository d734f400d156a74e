//! What roster imports keep in a [`MemoryStore`](super::MemoryStore): the sourcedIds of the
//! accounts they created, the classes, and which links and guardian links are the
//! roster's.

use super::state::State;
use crate::ids::UserId;
use crate::roster::{Class, RosterAccount, RosterChanges, RosterState, SourcedId};
use crate::store::{GuardianLink, Link, StoreError};
use crate::user::UserRecord;
use std::collections::{BTreeMap, BTreeSet};

/// The roster's own tables.
#[derive(Debug, Default)]
pub(super) struct RosterTables {
    /// The account each imported person got.
    pub(super) accounts: BTreeMap<SourcedId, UserId>,
    /// Classes by sourcedId.
    pub(super) classes: BTreeMap<SourcedId, Class>,
    /// Links the roster derives (each also in `State::links`).
    pub(super) links: BTreeSet<Link>,
    /// Roster links that were also added by hand, and stay when the roster drops them.
    pub(super) by_hand: BTreeSet<Link>,
    /// Guardian links the roster derives (each also in `State::guardians`).
    pub(super) guardians: BTreeSet<GuardianLink>,
    /// Roster guardian links that were also added by hand.
    pub(super) guardians_by_hand: BTreeSet<GuardianLink>,
}

impl State {
    pub(super) fn roster_state(&self) -> RosterState {
        RosterState {
            accounts: self
                .roster
                .accounts
                .iter()
                .filter_map(|(sourced_id, id)| {
                    let user = self.users.get(id)?.user.clone();
                    Some(RosterAccount {
                        sourced_id: sourced_id.clone(),
                        user,
                    })
                })
                .collect(),
            classes: self.roster.classes.values().cloned().collect(),
            links: self.roster.links.iter().cloned().collect(),
            guardians: self.roster.guardians.iter().cloned().collect(),
        }
    }

    /// Checks every change first, then writes: all or nothing.
    pub(super) fn apply_roster(&mut self, changes: &RosterChanges) -> Result<(), StoreError> {
        for account in &changes.created_accounts {
            if self.users.contains_key(&account.user.id)
                || self.roster.accounts.contains_key(&account.sourced_id)
            {
                return Err(StoreError::Conflict(format!(
                    "user {} exists already",
                    account.user.id
                )));
            }
        }
        for account in &changes.created_accounts {
            self.users.insert(
                account.user.id.clone(),
                UserRecord {
                    user: account.user.clone(),
                    password_hash: String::new(),
                    token_version: 0,
                },
            );
            self.roster
                .accounts
                .insert(account.sourced_id.clone(), account.user.id.clone());
        }
        for change in &changes.updated_accounts {
            self.update_user(&change.before.id, &change.patch());
        }
        for class in changes
            .created_classes
            .iter()
            .chain(changes.updated_classes.iter().map(|change| &change.after))
        {
            self.roster
                .classes
                .insert(class.sourced_id.clone(), class.clone());
        }
        for class in &changes.deleted_classes {
            self.roster.classes.remove(&class.sourced_id);
        }
        for link in &changes.added_links {
            if !self.links.insert(link.clone()) && !self.roster.links.contains(link) {
                self.roster.by_hand.insert(link.clone());
            }
            self.roster.links.insert(link.clone());
        }
        for link in &changes.removed_links {
            // Only the roster's own links: a link made by hand alone is never its to remove.
            if self.roster.links.remove(link) && !self.roster.by_hand.remove(link) {
                self.links.remove(link);
            }
        }
        for link in &changes.added_guardians {
            if !self.guardians.insert(link.clone()) && !self.roster.guardians.contains(link) {
                self.roster.guardians_by_hand.insert(link.clone());
            }
            self.roster.guardians.insert(link.clone());
        }
        for link in &changes.removed_guardians {
            if self.roster.guardians.remove(link) && !self.roster.guardians_by_hand.remove(link) {
                self.guardians.remove(link);
            }
        }
        Ok(())
    }
}
