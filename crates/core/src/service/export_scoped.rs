//! Exporting one person's or one conversation's history, for a school answering a
//! safeguarding enquiry, a complaint or a subject access request. Admins see everything
//! as stored: a removed message with its text, an edited one with every earlier text,
//! and a conversation's pause.
//!
//! Like the whole-school [`export`](super::export), it reads through the `Store` port
//! only and is streamed: [`ScopedExport::next_batch`] returns at most one page of
//! messages ([`EXPORT_PAGE`]) at a time, so a conversation of any length never has to
//! fit in memory. What it holds is counted ([`ScopedExport::peak_buffered`]) so tests can
//! prove it. The service only names the formats (they are part of the audit entry);
//! writing them is the transport's.

mod footprint;

use super::ChatService;
use super::admin::Actor;
use super::moderation::MessageHistory;
use super::replay::Buffered;
use crate::conversation::{ConversationId, ConversationRef};
use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::policy;
use crate::rate::Rate;
use crate::store::{AuditAction, PageRequest, Pause, Store};
use crate::time::Timestamp;
use crate::user::{Role, User};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// Messages read per store call, and so the most messages one batch holds.
pub const EXPORT_PAGE: usize = 200;

/// Scoped exports per admin: an enquiry needs a handful in a row, while a script
/// exporting the school person by person (each export reads a whole history) is slowed
/// to one every ten seconds. The operator, who owns the database, is not limited.
pub(crate) const EXPORT_RATE: Rate = Rate {
    per_second: 0.1,
    burst: 10.0,
};

/// The formats an export can be written in. The service names them, so that the audit
/// log says which was asked for; writing one is the transport's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// JSON Lines: one object per line, for machines.
    Jsonl,
    /// RFC 4180 CSV, one row per message, for spreadsheets.
    Csv,
    /// A printable HTML transcript, which a browser saves as PDF.
    Html,
}

impl ExportFormat {
    /// Every format, in the order documents list them.
    pub const ALL: [ExportFormat; 3] = [Self::Jsonl, Self::Csv, Self::Html];

    /// The name clients write (`?format=…`, `--format …`) and the audit log records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::Html => "html",
        }
    }

    /// Parses a format name; `invalid_request` for anything else.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        Self::ALL
            .into_iter()
            .find(|format| format.as_str() == raw)
            .ok_or_else(|| {
                ChatError::invalid(ErrorCode::InvalidRequest, "format is jsonl, csv or html")
            })
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSubject {
    /// One person: their profile and every conversation they take part in.
    User(UserId),
    /// One conversation.
    Conversation(ConversationId),
}

impl fmt::Display for ExportSubject {
    /// The id alone: a userId or a canonical conversationId.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => id.fmt(f),
            Self::Conversation(id) => id.fmt(f),
        }
    }
}

/// The first record of every export: what it is, when and by whom it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportHeader {
    /// What is exported.
    pub subject: ExportSubject,
    /// The format asked for.
    pub format: ExportFormat,
    /// When the export started, just after its audit entry was written.
    pub exported_at: Timestamp,
    /// Who asked: an admin's userId, or `cli` for the operator (as in the audit log).
    pub exported_by: String,
}

/// A conversation of the export, before its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedConversation {
    /// The canonical id.
    pub conversation_id: ConversationId,
    /// Its student or guardian.
    pub member: User,
    /// Its teacher.
    pub teacher: User,
    /// Its pause, if it is paused now.
    pub pause: Option<Pause>,
}

impl ExportedConversation {
    /// The participant with this id, to name a message's author.
    pub fn participant(&self, id: &UserId) -> Option<&User> {
        [&self.member, &self.teacher]
            .into_iter()
            .find(|user| &user.id == id)
    }
}

/// One record of a scoped export, in export order: the header, the person's profile
/// (person exports only), then each conversation followed by its messages oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopedRecord {
    /// What the export is; always first, once.
    Header(ExportHeader),
    /// The exported person's profile.
    User(User),
    /// A conversation; its messages follow.
    Conversation(ExportedConversation),
    /// A message as stored, with its earlier texts if it was edited.
    Message(MessageHistory),
}

/// A conversation still to export, with its participants (known before it is read).
struct Queued {
    conversation: ConversationId,
    member: User,
    teacher: User,
}

/// A scoped export in progress; see [`ChatService::export_conversation`] and
/// [`ChatService::export_user`].
pub struct ScopedExport {
    store: Arc<dyn Store>,
    /// The header and, for a person, their profile: the first batch.
    opening: Vec<ScopedRecord>,
    /// Conversations not started yet.
    queued: VecDeque<Queued>,
    /// The conversation being read, and the timestamp its next page starts after.
    reading: Option<(ConversationId, Timestamp)>,
    /// The record of the conversation being started, until its first page is read.
    heading: Option<ScopedRecord>,
    /// What is exported (canonical), for the transport to name the file.
    subject: ExportSubject,
    /// The format asked for, for the transport to write.
    format: ExportFormat,
    /// The most held at once so far.
    peak: Buffered,
}

impl ChatService {
    /// Starts an export of one conversation, for an admin or the operator, in the format
    /// named `format_name` (`jsonl`, `csv`, `html`). Non-admins are refused before
    /// anything is read, and so is an admin over their export rate. The conversationId is
    /// resolved as for an admin's read (either order, or with a space for the `+`): 400 if
    /// malformed or not a teacher with a student or guardian, 404 if a user is unknown. It
    /// is written to the audit log (`export.conversation`, target `<id> <format>`) before
    /// any message is read. Take the records with [`ScopedExport::next_batch`].
    pub async fn export_conversation(
        &self,
        actor: Actor<'_>,
        conversation: &str,
        format_name: &str,
    ) -> Result<ScopedExport, ChatError> {
        let actor_name = self.admit_export(&actor)?;
        let format = ExportFormat::parse(format_name)?;
        let reference = ConversationRef::parse(conversation)?;
        let (member, teacher) = self.conversation_pair(&reference).await?;
        let conversation = ConversationId::new(member.id.clone(), teacher.id.clone());
        self.audit(
            actor_name,
            AuditAction::ExportConversation,
            format!("{conversation} {format}"),
        )
        .await?;
        let subject = ExportSubject::Conversation(conversation.clone());
        let header = self.export_header(subject, format, actor_name);
        let queued = Queued {
            conversation,
            member,
            teacher,
        };
        Ok(ScopedExport::new(
            Arc::clone(&self.store),
            header,
            None,
            VecDeque::from([queued]),
        ))
    }

    /// Starts an export of one person's history, for an admin or the operator: their
    /// profile, then every conversation they take part in that has messages (a student's
    /// or guardian's with their teachers, a teacher's with students and guardians), newest
    /// activity first, each with its messages. Refused and audited like
    /// [`Self::export_conversation`] (`export.user`, target `<userId> <format>`); 400 for a
    /// malformed userId, 404 for an unknown one.
    pub async fn export_user(
        &self,
        actor: Actor<'_>,
        user_id: &str,
        format_name: &str,
    ) -> Result<ScopedExport, ChatError> {
        let actor_name = self.admit_export(&actor)?;
        let format = ExportFormat::parse(format_name)?;
        let id = UserId::parse(user_id)?;
        let subject = self
            .store
            .get_user(&id)
            .await?
            .map(|record| record.user)
            .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))?;
        self.audit(
            actor_name,
            AuditAction::ExportUser,
            format!("{id} {format}"),
        )
        .await?;
        let active = self.store.active_conversations(&id).await?;
        let queued = active
            .into_iter()
            .map(|contact| {
                let (member, teacher) = if contact.conversation_id.member() == &id {
                    (subject.clone(), contact.peer)
                } else {
                    (contact.peer, subject.clone())
                };
                Queued {
                    conversation: contact.conversation_id,
                    member,
                    teacher,
                }
            })
            .collect();
        let header = self.export_header(ExportSubject::User(id), format, actor_name);
        Ok(ScopedExport::new(
            Arc::clone(&self.store),
            header,
            Some(subject),
            queued,
        ))
    }

    /// Who may export, checked before anything is read: admins within their export rate,
    /// and the operator. The actor's name in the audit log.
    fn admit_export<'a>(&self, actor: &'a Actor<'_>) -> Result<&'a str, ChatError> {
        let name = actor.authorise()?;
        if let Some(user) = actor.user()
            && !self.export_limiter.allow(&user.id, self.clock.now())
        {
            return Err(ChatError::RateLimited);
        }
        Ok(name)
    }

    /// The two users a conversationId names, member first: both must exist (404) and be
    /// one teacher with one student or guardian (400), in whichever order they were
    /// written. What an admin's read resolves, for the operator too.
    async fn conversation_pair(
        &self,
        reference: &ConversationRef,
    ) -> Result<(User, User), ChatError> {
        let known = |id: &UserId| {
            let id = id.clone();
            async move {
                self.store
                    .get_user(&id)
                    .await?
                    .map(|record| record.user)
                    .ok_or_else(|| ChatError::NotFound(format!("no user {id}")))
            }
        };
        let first = known(&reference.first).await?;
        let second = known(&reference.second).await?;
        if !policy::may_converse(first.role, second.role) {
            return Err(ChatError::invalid(
                ErrorCode::InvalidConversationId,
                "a conversation is between one teacher and one student or guardian",
            ));
        }
        Ok(if first.role == Role::Teacher {
            (second, first)
        } else {
            (first, second)
        })
    }

    fn export_header(
        &self,
        subject: ExportSubject,
        format: ExportFormat,
        by: &str,
    ) -> ExportHeader {
        ExportHeader {
            subject,
            format,
            exported_at: self.clock.now(),
            exported_by: by.to_owned(),
        }
    }
}

impl ScopedExport {
    /// An export that opens with `header` (and `profile`, for a person) and then reads
    /// the `queued` conversations.
    fn new(
        store: Arc<dyn Store>,
        header: ExportHeader,
        profile: Option<User>,
        queued: VecDeque<Queued>,
    ) -> Self {
        let subject = header.subject.clone();
        let format = header.format;
        let mut opening = vec![ScopedRecord::Header(header)];
        opening.extend(profile.map(ScopedRecord::User));
        let mut export = Self {
            store,
            opening,
            queued,
            reading: None,
            heading: None,
            subject,
            format,
            peak: Buffered::default(),
        };
        export.peak = export.buffered();
        export
    }

    /// The format asked for: which writer the transport should use.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// What is exported, canonical (a conversation's student or guardian first): what
    /// the transport names the file after.
    pub fn subject(&self) -> &ExportSubject {
        &self.subject
    }

    /// The next records, in export order; `None` once everything has been returned. A
    /// batch holds at most one conversation record and one page ([`EXPORT_PAGE`]) of
    /// messages, each edited one with its earlier texts. After an error nothing is lost:
    /// calling again retries the reads that failed.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<ScopedRecord>>, ChatError> {
        if !self.opening.is_empty() {
            return Ok(Some(std::mem::take(&mut self.opening)));
        }
        if self.reading.is_none() {
            let Some(next) = self.queued.front() else {
                return Ok(None);
            };
            let pause = self.store.pause(&next.conversation).await?;
            let Some(next) = self.queued.pop_front() else {
                return Ok(None);
            };
            self.reading = Some((next.conversation.clone(), Timestamp::MIN));
            self.heading = Some(ScopedRecord::Conversation(ExportedConversation {
                conversation_id: next.conversation,
                member: next.member,
                teacher: next.teacher,
                pause,
            }));
        }
        let Some((conversation, after)) = &self.reading else {
            return Ok(None);
        };
        let request = PageRequest {
            before: None,
            after: Some(*after),
            limit: EXPORT_PAGE,
        };
        let page = self.store.read_messages(conversation, &request).await?;
        let mut messages = Vec::with_capacity(page.messages.len());
        for message in page.messages {
            let versions = if message.edited_at.is_some() {
                self.store
                    .message_versions(&message.conversation_id, message.timestamp)
                    .await?
            } else {
                Vec::new()
            };
            messages.push(ScopedRecord::Message(MessageHistory { message, versions }));
        }
        // Every read of the batch succeeded: only now does the export move on.
        let last = messages.last().and_then(|record| match record {
            ScopedRecord::Message(history) => Some(history.message.timestamp),
            _ => None,
        });
        self.reading = match (self.reading.take(), last) {
            (Some((conversation, _)), Some(last)) if page.has_more => Some((conversation, last)),
            _ => None,
        };
        let mut batch: Vec<ScopedRecord> = self.heading.take().into_iter().collect();
        batch.extend(messages);
        self.peak = footprint::peak_of(
            self.peak,
            footprint::sum(self.buffered(), footprint::count(&batch)),
        );
        Ok(Some(batch))
    }

    /// What the export holds in memory between batches (for tests and metrics): the
    /// conversations still to read, with their participants. The batches it returned are
    /// the caller's.
    pub fn buffered(&self) -> Buffered {
        let opening = footprint::count(&self.opening);
        let heading = footprint::count(self.heading.as_slice());
        let queued = self
            .queued
            .iter()
            .map(footprint::queued_bytes)
            .sum::<usize>();
        footprint::sum(
            footprint::sum(opening, heading),
            Buffered {
                messages: 0,
                bytes: queued,
            },
        )
    }

    /// The most the export has held at once so far, the batch being built included (for
    /// tests and metrics): at most one page of messages, however long the history.
    pub fn peak_buffered(&self) -> Buffered {
        self.peak
    }
}
