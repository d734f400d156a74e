//! [`given_emails`]: the email addresses `users.csv` gives the accounts an import owns.
//! Whether each differs from the stored one is the service's to find out: the plan reads
//! no notification preferences.

use super::import::{Mode, RosterImport};
use super::{RosterChanges, RosterState, SourcedId};
use crate::ids::UserId;
use crate::notify::EmailAddress;
use crate::user::{Role, User};
use std::collections::HashMap;

/// An address the bundle gives an account the import owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenEmail {
    /// The account: its userId as stored, whatever `username` says now (an account is
    /// never renamed).
    pub user: UserId,
    /// The address from the row.
    pub email: EmailAddress,
    /// Whether the import creates the account, so nothing is stored for it yet.
    pub created: bool,
}

/// The addresses `import` gives accounts it owns once `changes` apply (the accounts of
/// earlier imports in `state`, and those it creates), in userId order. A row without an
/// address gives none, so an import never clears one; neither does a deleted row, nor an
/// admin's (admins get no notifications, so no digests). Nothing without `users.csv`.
pub fn given_emails(
    import: &RosterImport,
    state: &RosterState,
    changes: &RosterChanges,
) -> Vec<GivenEmail> {
    if import.users_mode == Mode::Absent {
        return Vec::new();
    }
    let mut accounts: HashMap<&SourcedId, (&User, bool)> = state
        .accounts
        .iter()
        .map(|account| (&account.sourced_id, (&account.user, false)))
        .collect();
    for change in &changes.updated_accounts {
        accounts.insert(&change.sourced_id, (&change.after, false));
    }
    for account in &changes.created_accounts {
        accounts.insert(&account.sourced_id, (&account.user, true));
    }
    let mut given: Vec<GivenEmail> = import
        .users
        .iter()
        .filter(|row| !row.deleted)
        .filter_map(|row| {
            let email = row.email.as_ref()?;
            let &(user, created) = accounts.get(&row.sourced_id)?;
            (user.role != Role::Admin).then(|| GivenEmail {
                user: user.id.clone(),
                email: email.clone(),
                created,
            })
        })
        .collect();
    given.sort_by(|a, b| a.user.cmp(&b.user));
    given
}
