//! The email addresses a roster import sets: where `users.csv` gives an account the import
//! owns an address other than its stored one. Digests go there; a user or an admin may
//! change it afterwards, and a later import without an address leaves their choice alone.

use super::ChatService;
use super::roster::in_flight;
use crate::error::ChatError;
use crate::notify::NotifyPrefs;
use crate::roster::{self, EmailChange, RosterChanges, RosterImport, RosterState};
use std::sync::Arc;

impl ChatService {
    /// The addresses applying `changes` would set: those [`roster::given_emails`] names
    /// that differ from the stored ones, in userId order. An account the import creates
    /// has none stored; the others' preferences are read a few at a time.
    pub(super) async fn email_changes(
        &self,
        import: &RosterImport,
        state: &RosterState,
        changes: &RosterChanges,
    ) -> Result<Vec<EmailChange>, ChatError> {
        let (created, existing): (Vec<_>, Vec<_>) = roster::given_emails(import, state, changes)
            .into_iter()
            .partition(|given| given.created);
        let mut emails: Vec<EmailChange> = created
            .into_iter()
            .map(|given| EmailChange {
                user: given.user,
                before: None,
                after: given.email,
            })
            .collect();
        let differing = in_flight(existing, |given| {
            let store = Arc::clone(&self.store);
            async move {
                let before = store.notify_prefs(&given.user).await?.email;
                Ok(
                    (before.as_ref() != Some(&given.email)).then_some(EmailChange {
                        user: given.user,
                        before,
                        after: given.email,
                    }),
                )
            }
        })
        .await?;
        emails.extend(differing.into_iter().flatten());
        emails.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(emails)
    }

    /// Sets each address of `emails`, a few at a time, changing nothing else of anyone's
    /// preferences: they are read again just before (their owner may have changed them
    /// while the import ran), and an address already there is not written again.
    pub(super) async fn set_emails(&self, emails: &[EmailChange]) -> Result<(), ChatError> {
        in_flight(emails.iter().cloned(), |change| {
            let store = Arc::clone(&self.store);
            async move {
                let before = store.notify_prefs(&change.user).await?;
                if before.email.as_ref() != Some(&change.after) {
                    let after = NotifyPrefs {
                        email: Some(change.after),
                        ..before
                    };
                    store.put_notify_prefs(&change.user, &after).await?;
                }
                Ok(())
            }
        })
        .await?;
        Ok(())
    }
}
