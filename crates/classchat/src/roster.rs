//! `classchat roster import PATH [--dry-run] [--json]`: the operator's roster import, on
//! the same store and through the same service (plan, audit, live notices) as
//! `POST /admin/roster`.

use crate::cli::RosterCommand;
use crate::serve::open_service;
use anyhow::{Context, bail};
use classchat_core::roster::Problem;
use classchat_core::service::{Actor, RosterOutcome};
use classchat_roster::{Bundle, BundleLimits};
use classchat_server::dto::GuardianLinkDto;
use classchat_server::roster_report::RosterReport;
use std::path::Path;

/// How many entries of each list the text summary shows (`--json` shows all).
const SHOWN: usize = 20;

/// Runs a `roster` subcommand.
pub async fn roster(command: RosterCommand) -> anyhow::Result<()> {
    let RosterCommand::Import {
        path,
        dry_run,
        json,
        store,
    } = command;
    let bundle = read_bundle(&path)?;
    let import = match classchat_roster::prepare(&bundle) {
        Ok(import) => import,
        Err(errors) => return refuse(&errors.problems(), errors.truncated()),
    };
    let service = open_service(&store).await?;
    let ticket = service.begin_import(Actor::Operator)?;
    match service.import_roster(ticket, &import, dry_run).await? {
        RosterOutcome::Planned { plan, applied } => {
            let report = RosterReport::new(&plan, dry_run, applied);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            Ok(())
        }
        RosterOutcome::Refused(problems) => refuse(&problems, false),
    }
}

/// Prints every problem to stderr and fails.
fn refuse<T>(problems: &[Problem], truncated: bool) -> anyhow::Result<T> {
    for problem in problems {
        eprintln!("{problem}");
    }
    if truncated {
        eprintln!("… and more (the first {} are shown)", problems.len());
    }
    bail!(
        "the bundle has {} problem(s); nothing was written",
        problems.len()
    )
}

/// A folder's `*.csv` files, or a zip.
fn read_bundle(path: &Path) -> anyhow::Result<Bundle> {
    if path.is_dir() {
        let mut files = Vec::new();
        let entries =
            std::fs::read_dir(path).with_context(|| format!("cannot read {}", path.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", path.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_file() && name.to_ascii_lowercase().ends_with(".csv") {
                let bytes = std::fs::read(entry.path())
                    .with_context(|| format!("cannot read {}", entry.path().display()))?;
                files.push((name, bytes));
            }
        }
        return Ok(Bundle::from_files(files));
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Bundle::from_zip(&bytes, &BundleLimits::default())
        .or_else(|errors| refuse(&errors.problems(), errors.truncated()))
}

/// The diff in words: counts (guardian links among them once any change), then the first
/// entries of each list.
fn print_report(report: &RosterReport) {
    let verb = match (report.dry_run, report.applied) {
        (true, _) => "would change (dry run, nothing written)",
        (false, true) => "applied",
        (false, false) => "nothing to change",
    };
    println!("roster import: {verb}: {}", report.summary);
    let users = &report.users;
    section(
        "users created",
        users.created.iter().map(|user| {
            format!(
                "{} {} ({}, sourcedId {})",
                user.role, user.user_id, user.display_name, user.sourced_id
            )
        }),
    );
    section(
        "users changed",
        users.updated.iter().map(|update| {
            let mut parts = Vec::new();
            if let Some(change) = &update.display_name {
                parts.push(format!("name {:?} → {:?}", change.from, change.to));
            }
            if let Some(change) = &update.role {
                parts.push(format!("role {} → {}", change.from, change.to));
            }
            if let Some(change) = &update.disabled {
                parts.push(if change.to {
                    "disabled".to_owned()
                } else {
                    "enabled".to_owned()
                });
            }
            format!("{}: {}", update.user_id, parts.join(", "))
        }),
    );
    let classes = &report.classes;
    section(
        "classes created",
        classes.created.iter().map(|class| {
            format!(
                "{} {:?}: {} teacher(s), {} student(s)",
                class.class_id,
                class.title,
                class.teachers.len(),
                class.students.len()
            )
        }),
    );
    section(
        "classes changed",
        classes.updated.iter().map(|class| {
            format!(
                "{} {:?}: +{} -{} teacher(s), +{} -{} student(s)",
                class.class_id,
                class.title,
                class.teachers_added.len(),
                class.teachers_removed.len(),
                class.students_added.len(),
                class.students_removed.len()
            )
        }),
    );
    section(
        "classes deleted",
        classes
            .deleted
            .iter()
            .map(|class| format!("{} {:?}", class.class_id, class.title)),
    );
    section(
        "links added",
        report
            .links
            .added
            .iter()
            .map(|link| format!("{} – {}", link.teacher_id, link.student_id)),
    );
    section(
        "links removed",
        report
            .links
            .removed
            .iter()
            .map(|link| format!("{} – {}", link.teacher_id, link.student_id)),
    );
    let guardian_link =
        |link: &GuardianLinkDto| format!("{} guardian of {}", link.guardian_id, link.student_id);
    section(
        "guardian links added",
        report.guardians.added.iter().map(guardian_link),
    );
    section(
        "guardian links removed",
        report.guardians.removed.iter().map(guardian_link),
    );
    section(
        "skipped",
        report.skipped.iter().map(|row| {
            format!(
                "{} line {} ({}): {}",
                row.file, row.line, row.sourced_id, row.reason
            )
        }),
    );
    section(
        "warnings",
        report.warnings.iter().map(|warning| {
            let line = warning
                .line
                .map(|line| format!(" line {line}"))
                .unwrap_or_default();
            format!("{}{line}: {}", warning.file, warning.message)
        }),
    );
}

/// A heading and up to [`SHOWN`] lines, then how many more.
fn section(title: &str, lines: impl ExactSizeIterator<Item = String>) {
    let total = lines.len();
    if total == 0 {
        return;
    }
    println!("{title} ({total}):");
    for line in lines.take(SHOWN) {
        println!("  {line}");
    }
    if total > SHOWN {
        println!("  … and {} more (--json shows all)", total - SHOWN);
    }
}
