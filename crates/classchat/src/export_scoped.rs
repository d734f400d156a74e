//! `classchat export --user ID` / `--conversation ID`: one person's or one
//! conversation's history as JSON Lines, CSV or a printable HTML transcript, for a
//! safeguarding enquiry or a subject access request. The operator's export is audited as
//! `cli`, read a page at a time through `ChatService`, and written by the server's
//! `export` module, so it is byte for byte what the admin API answers. A new file is
//! readable by its owner only (see `files`); if the export fails, the file is removed,
//! so no partial export is left looking whole.

use crate::cli::ExportArgs;
use crate::files;
use crate::serve::open_service;
use anyhow::Context;
use classchat_core::service::Actor;
use classchat_server::export::ExportStream;
use std::io::Write;
use std::path::Path;

/// Runs a scoped `classchat export`.
pub async fn export_scoped(args: ExportArgs) -> anyhow::Result<()> {
    let service = open_service(&args.store).await?;
    let to_stdout = args.out == Path::new("-");
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        let file = files::create_owner_only(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        files::warn_if_shared(&args.out, "a person's messages");
        Box::new(std::io::BufWriter::new(file))
    };
    let written = write(&service, &args, &mut out).await;
    let flushed = written.and_then(|summary| {
        out.flush().context("cannot write the export")?;
        Ok(summary)
    });
    drop(out);
    let summary = match flushed {
        Ok(summary) => summary,
        Err(error) if !to_stdout => {
            return Err(match std::fs::remove_file(&args.out) {
                Ok(()) => error.context(format!(
                    "the export failed; {} was removed",
                    args.out.display()
                )),
                Err(_) => error.context(format!(
                    "the export failed; {} is incomplete",
                    args.out.display()
                )),
            });
        }
        Err(error) => return Err(error.context("the export failed; its output is incomplete")),
    };
    let target = if to_stdout {
        "standard output".to_owned()
    } else {
        args.out.display().to_string()
    };
    eprintln!("exported {summary} to {target}");
    Ok(())
}

/// Starts the export the arguments ask for and writes it to `out` chunk by chunk; what
/// was written, in words.
async fn write(
    service: &classchat_core::ChatService,
    args: &ExportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<String> {
    let export = match (&args.user, &args.conversation) {
        (Some(user), _) => {
            service
                .export_user(Actor::Operator, user, &args.format)
                .await?
        }
        (None, Some(conversation)) => {
            service
                .export_conversation(Actor::Operator, conversation, &args.format)
                .await?
        }
        (None, None) => {
            anyhow::bail!("an export of one person or conversation needs --user or --conversation")
        }
    };
    let mut stream = ExportStream::new(export);
    while let Some(chunk) = stream.next_chunk().await? {
        out.write_all(&chunk).context("cannot write the export")?;
    }
    let (conversations, messages) = stream.written();
    Ok(format!(
        "{} as {}: {conversations} conversation(s), {messages} message(s)",
        stream.subject(),
        stream.format()
    ))
}
