//! `classchat user …`, `classchat link …` and `classchat settings …`: the operator's
//! tools, on the same store and through the same service (and audit log) as the admin API.

use crate::cli::{LinkCommand, LinkEnds, OnOff, SettingsCommand, UserCommand};
use crate::serve::open_service;
use anyhow::{Context, bail};
use classchat_core::ChatService;
use classchat_core::service::{Actor, MAX_CODES_PER_CALL, NewUser};
use classchat_core::settings::{SchoolSettings, SettingsPatch};
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::time::Duration;

/// Runs a `user` subcommand.
pub async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            id,
            role,
            name,
            password_stdin,
            store,
        } => {
            if !password_stdin {
                bail!("pass the password on standard input with --password-stdin");
            }
            let password = read_password()?;
            let service = open_service(&store).await?;
            let new = NewUser {
                user_id: &id,
                display_name: &name,
                role: &role,
                password: &password,
            };
            let user = service.create_user(Actor::Operator, new).await?;
            println!("created {} {} ({})", user.role, user.id, user.display_name);
        }
        UserCommand::List { store } => {
            let service = open_service(&store).await?;
            let mut after: Option<String> = None;
            println!("{:<32} {:<8} {:<9} name", "userId", "role", "status");
            loop {
                let (users, has_more) = service
                    .list_users(Actor::Operator, None, after.as_deref(), Some("200"))
                    .await?;
                for user in &users {
                    let status = if user.disabled { "disabled" } else { "active" };
                    println!(
                        "{:<32} {:<8} {:<9} {}",
                        user.id.as_str(),
                        user.role.as_str(),
                        status,
                        user.display_name
                    );
                }
                match users.last() {
                    Some(last) if has_more => after = Some(last.id.to_string()),
                    _ => break,
                }
            }
        }
        UserCommand::Codes {
            ids,
            without_password,
            valid_for,
            store,
        } => {
            let service = open_service(&store).await?;
            let mut targets = ids;
            if without_password {
                let waiting = service.accounts_awaiting_password(Actor::Operator).await?;
                targets.extend(waiting.iter().map(ToString::to_string));
            }
            let mut seen = HashSet::new();
            targets.retain(|id| seen.insert(id.clone()));
            issue_codes(&service, &targets, valid_for).await?;
        }
    }
    Ok(())
}

/// Issues codes for `targets` and prints them as CSV, a call of at most
/// [`MAX_CODES_PER_CALL`] at a time, each call's codes printed as soon as it is done: if a
/// later call fails, the codes already issued are on standard output, not lost.
async fn issue_codes(
    service: &ChatService,
    targets: &[String],
    valid_for: Duration,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut issued = 0;
    if targets.is_empty() {
        out.write_all(classchat_server::sign_in_codes_csv(&[]).as_bytes())?;
    }
    for (index, batch) in targets.chunks(MAX_CODES_PER_CALL).enumerate() {
        let ids: Vec<&str> = batch.iter().map(String::as_str).collect();
        let codes = service
            .issue_sign_in_codes(Actor::Operator, &ids, Some(valid_for))
            .await?;
        let csv = classchat_server::sign_in_codes_csv(&codes);
        // The header once, before the first batch.
        let records = match csv.split_once("\r\n") {
            Some((_, records)) if index > 0 => records,
            _ => csv.as_str(),
        };
        out.write_all(records.as_bytes())?;
        out.flush()?;
        issued += codes.len();
    }
    if issued == 0 {
        eprintln!("no account to issue a code for: none named, and none waits for a password");
    } else {
        eprintln!(
            "issued {issued} sign-in code(s); each replaced its account's password and ended its sessions"
        );
    }
    Ok(())
}

/// Runs a `link` subcommand.
pub async fn link(command: LinkCommand) -> anyhow::Result<()> {
    match command {
        LinkCommand::Add { with, store } => {
            let service = open_service(&store).await?;
            match with {
                LinkEnds {
                    guardian: Some(guardian),
                    student,
                    ..
                } => {
                    let link = service
                        .add_guardian(Actor::Operator, &guardian, &student)
                        .await?;
                    println!("{} is now a guardian of {}", link.guardian, link.student);
                }
                LinkEnds {
                    teacher, student, ..
                } => {
                    let teacher = teacher.unwrap_or_default();
                    let link = service
                        .add_link(Actor::Operator, &teacher, &student)
                        .await?;
                    println!(
                        "linked teacher {} and student {}",
                        link.teacher, link.student
                    );
                }
            }
        }
        LinkCommand::Remove { with, store } => {
            let service = open_service(&store).await?;
            match with {
                LinkEnds {
                    guardian: Some(guardian),
                    student,
                    ..
                } => {
                    service
                        .remove_guardian(Actor::Operator, &guardian, &student)
                        .await?;
                    println!("{guardian} is no longer a guardian of {student}");
                }
                LinkEnds {
                    teacher, student, ..
                } => {
                    let teacher = teacher.unwrap_or_default();
                    service
                        .remove_link(Actor::Operator, &teacher, &student)
                        .await?;
                    println!("unlinked teacher {teacher} and student {student}");
                }
            }
        }
        LinkCommand::List { user, store } => {
            let service = open_service(&store).await?;
            let links = service.list_links(Actor::Operator, user.as_deref()).await?;
            let guardians = service
                .list_guardian_links(Actor::Operator, user.as_deref())
                .await?;
            println!("{:<9} {:<32} student", "kind", "teacher or guardian");
            for link in &links {
                println!(
                    "{:<9} {:<32} {}",
                    "teacher",
                    link.teacher.as_str(),
                    link.student
                );
            }
            for link in &guardians {
                println!(
                    "{:<9} {:<32} {}",
                    "guardian",
                    link.guardian.as_str(),
                    link.student
                );
            }
        }
    }
    Ok(())
}

/// Runs a `settings` subcommand.
pub async fn settings(command: SettingsCommand) -> anyhow::Result<()> {
    let settings = match command {
        SettingsCommand::Show { store } => {
            let service = open_service(&store).await?;
            service.settings(Actor::Operator).await?
        }
        SettingsCommand::Set {
            guardian_oversight,
            retention_days,
            edit_window_minutes,
            store,
        } => {
            let service = open_service(&store).await?;
            let patch = SettingsPatch {
                guardian_oversight: guardian_oversight.map(|switch| switch == OnOff::On),
                retention_days: retention_days.map(|retention| retention.0),
                edit_window_minutes,
                ..SettingsPatch::default()
            };
            service.update_settings(Actor::Operator, patch).await?
        }
    };
    print_settings(&settings);
    Ok(())
}

/// Prints the settings, one `name value` per line.
fn print_settings(settings: &SchoolSettings) {
    let on_off = |on: bool| if on { "on" } else { "off" };
    println!("guardian-oversight {}", on_off(settings.guardian_oversight));
    match settings.retention_days {
        Some(days) => println!("retention-days {days}"),
        None => println!("retention-days forever"),
    }
    println!("edit-window-minutes {}", settings.edit_window_minutes);
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
