//! Guardian links from `agentSourcedIds`: a student's row names their parents and
//! guardians, a guardian's row the students they are responsible for, and either side is
//! enough. Like links from classes, they are derived whole on every import and diffed
//! against what earlier imports derived.

use super::import::{ImportUser, Mode, RosterImport};
use super::{Problem, RosterState, SourcedId};
use crate::ids::UserId;
use crate::link::GuardianLink;
use crate::user::{Role, User};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

const USERS: &str = "users.csv";
const AGENTS: &str = "agentSourcedIds";

/// Two people named together, the smaller sourcedId first.
type Pair = (SourcedId, SourcedId);

fn pair(a: &SourcedId, b: &SourcedId) -> Pair {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// The guardian links after the import. `accounts` are the accounts after it (by
/// sourcedId), `owners` their sourcedIds by userId, `refused` the people whose rows are
/// problems (their agents are not read). A bulk `users.csv` states every relation; a delta
/// row restates its person's relations and leaves everyone else's; without `users.csv`
/// nothing changes but what the accounts' roles now allow. Names that are no account, and
/// pairs that are not one guardian and one student, are `warnings`.
pub(super) fn derive(
    import: &RosterImport,
    state: &RosterState,
    accounts: &BTreeMap<SourcedId, User>,
    owners: &HashMap<UserId, SourcedId>,
    refused: &HashSet<SourcedId>,
    warnings: &mut Vec<Problem>,
) -> BTreeSet<GuardianLink> {
    let mut pairs: BTreeSet<Pair> = BTreeSet::new();
    if import.users_mode != Mode::Bulk {
        for link in &state.guardians {
            if let (Some(guardian), Some(student)) =
                (owners.get(&link.guardian), owners.get(&link.student))
            {
                pairs.insert(pair(guardian, student));
            }
        }
    }
    if import.users_mode != Mode::Absent {
        let restated: HashSet<&SourcedId> =
            import.users.iter().map(|row| &row.sourced_id).collect();
        pairs.retain(|(a, b)| !restated.contains(a) && !restated.contains(b));
        for row in import
            .users
            .iter()
            .filter(|row| !row.deleted && !refused.contains(&row.sourced_id))
        {
            named_by(row, accounts, warnings, &mut pairs);
        }
    }
    pairs
        .iter()
        .filter_map(|(a, b)| {
            let (a, b) = (accounts.get(a)?, accounts.get(b)?);
            match (a.role, b.role) {
                (Role::Guardian, Role::Student) => Some(link(a, b)),
                (Role::Student, Role::Guardian) => Some(link(b, a)),
                _ => None,
            }
        })
        .collect()
}

fn link(guardian: &User, student: &User) -> GuardianLink {
    GuardianLink {
        guardian: guardian.id.clone(),
        student: student.id.clone(),
    }
}

/// Adds the pairs `row` names, warning about names that lead nowhere.
fn named_by(
    row: &ImportUser,
    accounts: &BTreeMap<SourcedId, User>,
    warnings: &mut Vec<Problem>,
    pairs: &mut BTreeSet<Pair>,
) {
    for agent in row.agents.iter().filter(|agent| **agent != row.sourced_id) {
        let Some(other) = accounts.get(agent) else {
            warnings.push(Problem::at(
                USERS,
                row.line,
                AGENTS,
                format!(
                    "no person has the sourcedId {agent} in this bundle or an earlier import; \
                     no guardian link is derived"
                ),
            ));
            continue;
        };
        let family = matches!(
            (row.role, other.role),
            (Role::Guardian, Role::Student) | (Role::Student, Role::Guardian)
        );
        if !family {
            warnings.push(Problem::at(
                USERS,
                row.line,
                AGENTS,
                format!(
                    "{} is a {} and {} a {}; a guardian link is between a guardian and a \
                     student, so none is derived",
                    row.user_id, row.role, other.id, other.role
                ),
            ));
            continue;
        }
        pairs.insert(pair(&row.sourced_id, agent));
    }
}
