//! Exporting a whole school: every user (never a password hash), every link and guardian
//! link, every message of every conversation oldest first, and the audit log. Schools keep records
//! and move between installations; an export reads through the `Store` port only, so it
//! works the same on every store, and it is streamed a batch at a time so a large school
//! never has to fit in memory.

use super::ChatService;
use super::admin::Actor;
use crate::conversation::ConversationId;
use crate::error::ChatError;
use crate::ids::UserId;
use crate::message::Message;
use crate::store::{AuditAction, AuditEntry, GuardianLink, Link, PageRequest, Store};
use crate::time::Timestamp;
use crate::user::{Role, User};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// Users, messages or audit entries read per store call.
const EXPORT_PAGE: usize = 200;

/// One record of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportRecord {
    /// A user's profile.
    User(User),
    /// A teacher–student link.
    Link(Link),
    /// A guardian link: whose guardian someone is.
    Guardian(GuardianLink),
    /// A message.
    Message(Message),
    /// An audit log entry.
    Audit(AuditEntry),
}

/// An export in progress; see [`ChatService::export`].
pub struct Export {
    store: Arc<dyn Store>,
    phase: Phase,
    /// Every conversation with messages, found while listing the teachers.
    conversations: BTreeSet<ConversationId>,
}

/// Where an export has got to. Each phase pages through one kind of record.
enum Phase {
    Users {
        after: Option<UserId>,
    },
    Links,
    Messages {
        pending: VecDeque<ConversationId>,
        after: Option<Timestamp>,
    },
    Audit {
        before: Option<String>,
    },
    Done,
}

impl ChatService {
    /// Starts an export of the whole school, for an admin or the operator. It is written
    /// to the audit log first (so it is part of the export it starts). Take the records
    /// with [`Export::next_batch`]: users in userId order, then links and guardian links,
    /// then each
    /// conversation's messages oldest first, then the audit log newest first.
    pub async fn export(&self, actor: Actor<'_>) -> Result<Export, ChatError> {
        let actor = actor.authorise()?;
        self.audit(actor, AuditAction::ExportSchool, "school".to_owned())
            .await?;
        Ok(Export {
            store: Arc::clone(&self.store),
            phase: Phase::Users { after: None },
            conversations: BTreeSet::new(),
        })
    }
}

impl Export {
    /// The next records, in export order; `None` once everything has been returned.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<ExportRecord>>, ChatError> {
        loop {
            let batch: Vec<ExportRecord> = match &mut self.phase {
                Phase::Users { after } => {
                    let users = self
                        .store
                        .list_users(None, after.as_ref(), EXPORT_PAGE)
                        .await?;
                    for teacher in users.iter().filter(|user| user.role == Role::Teacher) {
                        let active = self.store.active_conversations(&teacher.id).await?;
                        self.conversations
                            .extend(active.into_iter().map(|contact| contact.conversation_id));
                    }
                    match users.last() {
                        Some(last) if users.len() == EXPORT_PAGE => {
                            *after = Some(last.id.clone());
                        }
                        _ => self.phase = Phase::Links,
                    }
                    users.into_iter().map(ExportRecord::User).collect()
                }
                Phase::Links => {
                    let links = self.store.list_links(None).await?;
                    let guardians = self.store.list_guardian_links(None).await?;
                    self.phase = Phase::Messages {
                        pending: std::mem::take(&mut self.conversations)
                            .into_iter()
                            .collect(),
                        after: None,
                    };
                    links
                        .into_iter()
                        .map(ExportRecord::Link)
                        .chain(guardians.into_iter().map(ExportRecord::Guardian))
                        .collect()
                }
                Phase::Messages { pending, after } => {
                    let Some(conversation) = pending.front() else {
                        self.phase = Phase::Audit { before: None };
                        continue;
                    };
                    let request = PageRequest {
                        before: None,
                        after: Some(after.unwrap_or(Timestamp::MIN)),
                        limit: EXPORT_PAGE,
                    };
                    let page = self.store.read_messages(conversation, &request).await?;
                    match page.messages.last() {
                        Some(last) if page.has_more => *after = Some(last.timestamp),
                        _ => {
                            pending.pop_front();
                            *after = None;
                        }
                    }
                    page.messages
                        .into_iter()
                        .map(ExportRecord::Message)
                        .collect()
                }
                Phase::Audit { before } => {
                    let entries = self
                        .store
                        .list_audit(before.as_deref(), EXPORT_PAGE)
                        .await?;
                    match entries.last() {
                        Some(last) if entries.len() == EXPORT_PAGE => {
                            *before = Some(last.id.clone());
                        }
                        _ => self.phase = Phase::Done,
                    }
                    entries.into_iter().map(ExportRecord::Audit).collect()
                }
                Phase::Done => return Ok(None),
            };
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
    }
}
