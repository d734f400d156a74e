//! `classchat hold` and `classchat retention`: legal holds and the school's retention
//! policy, for the operator (audited as `cli`).

use crate::cli::StoreArgs;
use crate::serve::open_service;
use clap::{Args, Subcommand};
use classchat_core::moderation::Hold;
use classchat_core::service::{Actor, HoldRequest, RetentionReport};

/// `classchat hold …`.
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Put a user's or a conversation's history under legal hold: retention deletes
    /// nothing of it until the hold is lifted (audited as hold.set).
    Add {
        /// What to hold.
        #[command(flatten)]
        target: HoldTargetArgs,
        /// Why (a case reference), kept with the hold.
        #[arg(long)]
        reason: Option<String>,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Lift a legal hold (audited as hold.release).
    Remove {
        /// What to release.
        #[command(flatten)]
        target: HoldTargetArgs,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List every legal hold, one per line: target, by, at, reason.
    List {
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Exactly one of a user or a conversation.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct HoldTargetArgs {
    /// Every conversation of this user.
    #[arg(long)]
    user: Option<String>,
    /// One conversation (`student+teacher`, either order).
    #[arg(long)]
    conversation: Option<String>,
}

/// `classchat retention …`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Count what the school's policy would delete now, deleting nothing (audited as
    /// retention.preview).
    Preview {
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete now what the school's policy says (audited as retention.run with its
    /// counts). The server runs this by itself once a day; this is for the operator who
    /// will not wait.
    Run {
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Runs `classchat hold`.
pub async fn hold(command: HoldCommand) -> anyhow::Result<()> {
    match command {
        HoldCommand::Add {
            target,
            reason,
            store,
        } => {
            let service = open_service(&store).await?;
            let request = HoldRequest {
                reason: reason.as_deref(),
                ..request(&target)
            };
            let hold = service.set_hold(Actor::Operator, request).await?;
            print_hold(&hold);
        }
        HoldCommand::Remove { target, store } => {
            let service = open_service(&store).await?;
            if !service
                .release_hold(Actor::Operator, request(&target))
                .await?
            {
                anyhow::bail!("there is no such hold");
            }
        }
        HoldCommand::List { store } => {
            let service = open_service(&store).await?;
            for hold in service.list_holds(Actor::Operator).await? {
                print_hold(&hold);
            }
        }
    }
    Ok(())
}

/// Runs `classchat retention`.
pub async fn retention(command: RetentionCommand) -> anyhow::Result<()> {
    let (store, dry_run) = match command {
        RetentionCommand::Preview { store } => (store, true),
        RetentionCommand::Run { store } => (store, false),
    };
    let service = open_service(&store).await?;
    let report = service.retention_pass(Actor::Operator, dry_run).await?;
    print_report(&report);
    Ok(())
}

fn request(target: &HoldTargetArgs) -> HoldRequest<'_> {
    HoldRequest {
        user_id: target.user.as_deref(),
        conversation_id: target.conversation.as_deref(),
        reason: None,
    }
}

/// One hold as a tab-separated line.
fn print_hold(hold: &Hold) {
    println!(
        "{}\t{}\t{}\t{}",
        hold.target.key(),
        hold.by,
        hold.at,
        hold.reason.as_deref().unwrap_or("")
    );
}

/// A pass's counts, one `name value` per line, then a dry run's sample.
fn print_report(report: &RetentionReport) {
    match report.retention_days {
        None => println!("retention-days forever (nothing is deleted)"),
        Some(days) => println!("retention-days {days}"),
    }
    if let Some(cutoff) = report.cutoff {
        println!("cutoff {cutoff}");
    }
    let verb = if report.dry_run {
        "would-delete"
    } else {
        "deleted"
    };
    println!("{verb}-conversations {}", report.conversations);
    println!("{verb}-messages {}", report.messages);
    println!("held {}", report.held);
    for (conversation, last) in &report.sample {
        println!("expired {conversation} {last}");
    }
}

/// A retention period as typed (`settings set --retention-days`): a number of days, or keep forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<u32>);

/// Parses [`Retention`].
pub fn parse_retention(raw: &str) -> Result<Retention, String> {
    if raw == "forever" {
        return Ok(Retention(None));
    }
    raw.parse::<u32>()
        .map(|days| Retention(Some(days)))
        .map_err(|_| "a number of days, or forever".to_owned())
}
