//! `classchat export`: the whole school as JSON Lines, one record per line, for records
//! keeping and for moving between installations or stores. Each line is the API's JSON
//! shape of the record plus a `type` (`user`, `link`, `guardian`, `message`, `audit`);
//! passwords are
//! never exported. A new export file is readable by its owner only (see `files`).

use crate::cli::ExportArgs;
use crate::files;
use crate::serve::open_service;
use anyhow::Context;
use classchat_core::service::{Actor, ExportRecord};
use classchat_server::dto::{AdminUserDto, AuditEntryDto, GuardianLinkDto, LinkDto, MessageDto};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// One line of the export.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum Line {
    User(AdminUserDto),
    Link(LinkDto),
    Guardian(GuardianLinkDto),
    Message(MessageDto),
    Audit(AuditEntryDto),
}

impl From<&ExportRecord> for Line {
    fn from(record: &ExportRecord) -> Self {
        match record {
            ExportRecord::User(user) => Line::User(user.into()),
            ExportRecord::Link(link) => Line::Link(link.into()),
            ExportRecord::Guardian(link) => Line::Guardian(link.into()),
            ExportRecord::Message(message) => Line::Message(message.into()),
            ExportRecord::Audit(entry) => Line::Audit(entry.into()),
        }
    }
}

/// How many records of each kind were written.
#[derive(Default)]
struct Counts {
    users: u64,
    links: u64,
    guardians: u64,
    messages: u64,
    audit: u64,
}

/// Runs `classchat export`: the whole school, or one person or conversation
/// ([`crate::export_scoped`]).
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    if args.user.is_some() || args.conversation.is_some() {
        return crate::export_scoped::export_scoped(args).await;
    }
    anyhow::ensure!(
        args.format == "jsonl",
        "the whole-school export is JSON Lines only; --format {} is for --user or --conversation",
        args.format
    );
    let service = open_service(&args.store).await?;
    let to_stdout = args.out == Path::new("-");
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        // Every message of the school: owner-only, like the database.
        let file = files::create_owner_only(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        files::warn_if_shared(&args.out, "every message of the school");
        Box::new(std::io::BufWriter::new(file))
    };
    let mut export = service.export(Actor::Operator).await?;
    let mut counts = Counts::default();
    while let Some(batch) = export.next_batch().await? {
        for record in &batch {
            match record {
                ExportRecord::User(_) => counts.users += 1,
                ExportRecord::Link(_) => counts.links += 1,
                ExportRecord::Guardian(_) => counts.guardians += 1,
                ExportRecord::Message(_) => counts.messages += 1,
                ExportRecord::Audit(_) => counts.audit += 1,
            }
            serde_json::to_writer(&mut out, &Line::from(record))?;
            out.write_all(b"\n")?;
        }
    }
    out.flush().context("cannot write the export")?;
    let target = if to_stdout {
        "standard output".to_owned()
    } else {
        args.out.display().to_string()
    };
    eprintln!(
        "exported {} users, {} links, {} guardian links, {} messages and {} audit entries to {target}",
        counts.users, counts.links, counts.guardians, counts.messages, counts.audit
    );
    Ok(())
}
