//! `classchat user …` and `classchat link …`: the operator's tools, on the same store and
//! through the same service (and audit log) as the admin API.

use crate::cli::{LinkCommand, UserCommand};
use crate::serve::open_service;
use anyhow::{Context, bail};
use classchat_core::service::{Actor, NewUser};
use std::io::BufRead;

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
            let service = open_service(&store, None).await?;
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
            let service = open_service(&store, None).await?;
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
                        user.id, user.role, status, user.display_name
                    );
                }
                match users.last() {
                    Some(last) if has_more => after = Some(last.id.to_string()),
                    _ => break,
                }
            }
        }
    }
    Ok(())
}

/// Runs a `link` subcommand.
pub async fn link(command: LinkCommand) -> anyhow::Result<()> {
    match command {
        LinkCommand::Add {
            teacher,
            student,
            store,
        } => {
            let service = open_service(&store, None).await?;
            let link = service
                .add_link(Actor::Operator, &teacher, &student)
                .await?;
            println!(
                "linked teacher {} and student {}",
                link.teacher, link.student
            );
        }
    }
    Ok(())
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
