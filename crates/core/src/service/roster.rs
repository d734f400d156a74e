//! Roster import: an administrator (or the operator) brings the school's accounts, classes
//! and links in line with an export of the student information system.

use super::ChatService;
use super::admin::{Actor, revocation};
use crate::error::{ChatError, OnConflict};
use crate::ids::UserId;
use crate::rate::Rate;
use crate::roster::{self, Day, Problem, RosterChanges, RosterImport, RosterPlan, RosterState};
use crate::store::AuditAction;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;

/// The default of [`Limits::import`](super::Limits::import): a burst of six, then one every
/// 30 seconds. Enough for an administrator checking and applying a few exports in a row;
/// each import reads every imported account and class, so a script must not loop on it.
pub(super) const IMPORT_RATE: Rate = Rate {
    per_second: 1.0 / 30.0,
    burst: 6.0,
};

/// What an import came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterOutcome {
    /// The plan, and whether it was applied (not for a dry run, nor when it is empty:
    /// an import that changes nothing writes nothing, not even an audit entry).
    Planned {
        /// The diff, with what was skipped and any warnings (boxed: it is large, and a
        /// refusal is not).
        plan: Box<RosterPlan>,
        /// Whether the store now holds it.
        applied: bool,
    },
    /// The bundle does not fit the store (a username taken, an unknown reference in a
    /// delta): every problem, with file and line. Nothing was written.
    Refused(Vec<Problem>),
}

/// Proof that an actor may import now: they are allowed, and within their rate. Taken
/// before the upload is even read, so a refused caller costs no parsing.
#[derive(Debug)]
pub struct ImportTicket {
    /// The actor's name in the audit log.
    actor: String,
}

/// How many accounts are looked up (or their addresses set) at once: a first import of a
/// district checks thousands, one round trip each.
const LOOKUPS_IN_FLIGHT: usize = 16;

/// Runs `job` on each of `items`, [`LOOKUPS_IN_FLIGHT`] at a time, and gathers the
/// answers in no particular order. The first error ends it (and the jobs still running).
pub(super) async fn in_flight<T, R, Job, Fut>(
    items: impl IntoIterator<Item = T>,
    job: Job,
) -> Result<Vec<R>, ChatError>
where
    Job: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, ChatError>> + Send + 'static,
    R: Send + 'static,
{
    let mut answers = Vec::new();
    let mut running = JoinSet::new();
    let mut items = items.into_iter();
    loop {
        while running.len() < LOOKUPS_IN_FLIGHT {
            let Some(item) = items.next() else { break };
            running.spawn(job(item));
        }
        let Some(done) = running.join_next().await else {
            return Ok(answers);
        };
        let answer =
            done.map_err(|error| ChatError::Internal(format!("a store call stopped: {error}")))??;
        answers.push(answer);
    }
}

impl ChatService {
    /// Which of `ids` are taken by an existing account, looked up a few at a time.
    async fn existing(&self, ids: Vec<UserId>) -> Result<HashSet<UserId>, ChatError> {
        let found = in_flight(ids, |id| {
            let store = Arc::clone(&self.store);
            async move {
                let found = store.get_user(&id).await?.is_some();
                Ok((id, found))
            }
        })
        .await?;
        Ok(found
            .into_iter()
            .filter_map(|(id, found)| found.then_some(id))
            .collect())
    }

    /// Checks that `actor` may import a roster now: an admin (or the operator), within
    /// [`Limits::import`](super::Limits::import). Nothing is read from the store.
    pub fn begin_import(&self, actor: Actor<'_>) -> Result<ImportTicket, ChatError> {
        let actor = actor.authorise()?.to_owned();
        self.import_limiter
            .try_take(&actor, self.clock.now())
            .map_err(|_| ChatError::RateLimited)?;
        Ok(ImportTicket { actor })
    }

    /// Plans a roster import against the store and, unless `dry_run`, applies it: audited
    /// as `roster.import` with its counts, then sessions of disabled accounts and accounts
    /// whose role changed end, both sides of each link that came or went are told, and
    /// the email addresses `users.csv` gives accounts the import owns are set where they
    /// differ (never cleared; counted as `emails`, not on a dry run). One import at a time
    /// per process, so a plan is applied to the state it was made from.
    pub async fn import_roster(
        &self,
        ticket: ImportTicket,
        import: &RosterImport,
        dry_run: bool,
    ) -> Result<RosterOutcome, ChatError> {
        let _one_at_a_time = self.import_lock.lock().await;
        let state = self.store.roster_state().await?;
        let taken = self.existing(roster::new_user_ids(import, &state)).await?;
        let today = Day::of(self.clock.now());
        let mut plan = match roster::plan(import, &state, &taken, today) {
            Ok(plan) => plan,
            Err(problems) => return Ok(RosterOutcome::Refused(problems)),
        };
        if !dry_run {
            plan.changes.emails = self.email_changes(import, &state, &plan.changes).await?;
        }
        if dry_run || plan.changes.is_empty() {
            return Ok(RosterOutcome::Planned {
                plan: Box::new(plan),
                applied: false,
            });
        }
        let changes = &plan.changes;
        // Whose family conversations may open or close, read before the change so the
        // difference can be told live (to those online: nobody else would see it).
        let families = self.online_families(&state, changes).await;
        let mut family_before = Vec::with_capacity(families.len());
        for guardian in families {
            let pairs = self.family_pairs(&guardian).await?;
            family_before.push((guardian, pairs));
        }
        self.audit(&ticket.actor, AuditAction::ImportRoster, changes.summary())
            .await?;
        if !changes.is_empty_but_emails() {
            self.store.apply_roster(changes).await.on_conflict(|| {
                ChatError::conflict("the store changed while the import was planned; run it again")
            })?;
        }
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
        for (guardian, before) in family_before {
            self.announce_family_change(&guardian, before).await;
        }
        // Last: a store failure here leaves nothing untold, and the same import run again
        // sets the rest.
        self.set_emails(&changes.emails).await?;
        Ok(RosterOutcome::Planned {
            plan: Box::new(plan),
            applied: true,
        })
    }

    /// The guardians online now whose family links `changes` may change: those whose
    /// guardian links change, and the roster's guardians of students whose links change.
    /// Guardians linked by hand to a roster student whose class changes see the change
    /// when they next load their contacts.
    async fn online_families(&self, state: &RosterState, changes: &RosterChanges) -> Vec<UserId> {
        let students: BTreeSet<&UserId> = changes
            .added_links
            .iter()
            .chain(&changes.removed_links)
            .map(|link| &link.student)
            .collect();
        let guardians: BTreeSet<UserId> = changes
            .added_guardians
            .iter()
            .chain(&changes.removed_guardians)
            .map(|link| link.guardian.clone())
            .chain(
                state
                    .guardians
                    .iter()
                    .chain(&changes.added_guardians)
                    .filter(|link| students.contains(&link.student))
                    .map(|link| link.guardian.clone()),
            )
            .collect();
        if guardians.is_empty() {
            return Vec::new();
        }
        let guardians: Vec<UserId> = guardians.into_iter().collect();
        self.hub.online(&guardians).await
    }
}
