//! Roster import: an administrator (or the operator) brings the school's accounts, classes
//! and links in line with an export of the student information system.

use super::ChatService;
use super::admin::{Actor, revocation};
use crate::error::{ChatError, OnConflict};
use crate::roster::{self, Day, Problem, RosterImport, RosterPlan};
use crate::store::AuditAction;
use std::collections::HashSet;

/// What an import came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterOutcome {
    /// The plan, and whether it was applied (not for a dry run, nor when it is empty:
    /// an import that changes nothing writes nothing, not even an audit entry).
    Planned {
        /// The diff, with what was skipped and any warnings.
        plan: RosterPlan,
        /// Whether the store now holds it.
        applied: bool,
    },
    /// The bundle does not fit the store (a username taken, an unknown reference in a
    /// delta): every problem, with file and line. Nothing was written.
    Refused(Vec<Problem>),
}

impl ChatService {
    /// Plans a roster import against the store and, unless `dry_run`, applies it: audited
    /// as `roster.import` with its counts, then sessions of disabled accounts and accounts
    /// whose role changed end, and both sides of each link that came or went are told.
    pub async fn import_roster(
        &self,
        actor: Actor<'_>,
        import: &RosterImport,
        dry_run: bool,
    ) -> Result<RosterOutcome, ChatError> {
        let actor_name = actor.authorise()?;
        let state = self.store.roster_state().await?;
        let mut taken = HashSet::new();
        for id in roster::new_user_ids(import, &state) {
            if self.store.get_user(&id).await?.is_some() {
                taken.insert(id);
            }
        }
        let today = Day::of(self.clock.now());
        let plan = match roster::plan(import, &state, &taken, today) {
            Ok(plan) => plan,
            Err(problems) => return Ok(RosterOutcome::Refused(problems)),
        };
        if dry_run || plan.changes.is_empty() {
            return Ok(RosterOutcome::Planned {
                plan,
                applied: false,
            });
        }
        let changes = &plan.changes;
        self.audit(actor_name, AuditAction::ImportRoster, changes.summary())
            .await?;
        self.store.apply_roster(changes).await.on_conflict(|| {
            ChatError::conflict("the store changed while the import was planned; run it again")
        })?;
        for change in &changes.updated_accounts {
            if let Some(why) = revocation(&change.before, &change.patch()) {
                self.hub.revoke(&change.before.id, why).await;
            }
        }
        for link in &changes.added_links {
            self.announce_link(link, true).await;
        }
        for link in &changes.removed_links {
            // A link also added by hand stays: only a link that is gone is announced.
            if !self.store.is_linked(link).await? {
                self.announce_link(link, false).await;
            }
        }
        Ok(RosterOutcome::Planned {
            plan,
            applied: true,
        })
    }
}
