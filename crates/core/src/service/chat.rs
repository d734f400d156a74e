//! The chat use-cases: reading, sending, read markers — in a student's conversations and
//! in a guardian's with their children's teachers alike. Contact lists are in `contacts`.

use super::addressing::{Named, presumed_conversation};
use super::{ChatService, DEFAULT_PAGE_LIMIT, parse_limit};
use crate::conversation::{ConversationId, ConversationRef};
use crate::error::{ChatError, ErrorCode};
use crate::hub::{ConnectionId, Delivery, Event};
use crate::ids::{ClientMessageId, MessageId, UserId};
use crate::message::{Message, MessageBody, NewMessage};
use crate::policy::{self, ReadAccess, Relation};
use crate::store::{Appended, AuditAction, MarkedRead, MessagePage, PageRequest};
use crate::time::Timestamp;
use crate::user::{Role, User};

/// A send as it arrived from a client, not yet validated.
#[derive(Debug, Clone, Copy)]
pub struct SendRequest<'a> {
    /// The conversation, in either id order.
    pub conversation_id: &'a str,
    /// Who the client says is writing; must be the caller.
    pub author: &'a str,
    /// The text.
    pub message_body: &'a str,
    /// The client's id for idempotent retries.
    pub client_message_id: Option<&'a str>,
    /// The live connection it came on, which gets an `ack` instead of the `message` event.
    pub origin: Option<&'a ConnectionId>,
    /// Notify the recipient even in their quiet hours: a teacher the school allows, each
    /// one audited as `message.urgent`.
    pub urgent: bool,
}

/// The outcome of a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The stored message.
    pub message: Message,
    /// `false` when this was a retry and the message had been stored before: nothing new
    /// was written, so nothing new should be delivered.
    pub created: bool,
    /// Set when the recipient is in quiet hours: they are notified only when these end.
    pub quiet: Option<super::QuietHours>,
}

/// Page parameters as they arrived from a client, not yet validated.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageQuery<'a> {
    /// Page size, 1–200 (default 50).
    pub limit: Option<&'a str>,
    /// Exclusive upper bound timestamp.
    pub before: Option<&'a str>,
    /// Exclusive lower bound timestamp.
    pub after: Option<&'a str>,
}

/// A page of a conversation as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationPage {
    /// The canonical conversation id.
    pub conversation_id: ConversationId,
    /// The messages.
    pub page: MessagePage,
    /// How far the other participant has read, for a participant's "Seen"; `None` before
    /// their first read, for pages read backwards (`before`), and always for an admin.
    pub peer_read_at: Option<Timestamp>,
    /// The conversation's pause, if it is paused: the client says why its student or
    /// guardian cannot write.
    pub pause: Option<crate::store::Pause>,
}

/// A read marker that moved: who has read which conversation up to when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMarker {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Whose marker it is.
    pub user: UserId,
    /// Everything up to and including this instant is read.
    pub timestamp: Timestamp,
}

impl ChatService {
    /// A page of a conversation, ascending. Without cursors it is the newest page. An
    /// admin's read is written to the audit log before anything is returned.
    pub async fn read_page(
        &self,
        caller: &User,
        conversation: &str,
        query: PageQuery<'_>,
    ) -> Result<ConversationPage, ChatError> {
        let page = PageRequest {
            limit: parse_limit(query.limit, DEFAULT_PAGE_LIMIT)?,
            before: query.before.map(Timestamp::parse).transpose()?,
            after: query.after.map(Timestamp::parse).transpose()?,
        };
        let Named {
            conversation,
            relation,
            guardianship,
        } = self.named_conversation(caller, conversation).await?;
        let access = policy::read_access(caller, &conversation, relation, guardianship)?;
        let action = match access {
            ReadAccess::Participant => None,
            ReadAccess::Audited => Some(AuditAction::ReadConversation),
            ReadAccess::Guardian => Some(AuditAction::GuardianRead),
        };
        if let Some(action) = action {
            self.audit(caller.id.as_str(), action, conversation.to_string())
                .await?;
        }
        // A participant opening or catching up on a conversation learns how far the other
        // one has read, fetched alongside the page; scrolling back (`before`), an admin's
        // viewer and a guardian's need no receipts.
        let peer = (conversation.has_participant(&caller.id) && page.before.is_none())
            .then(|| conversation.peer_of(&caller.id));
        let (messages, peer_read_at, pause) = tokio::join!(
            self.store.read_messages(&conversation, &page),
            async {
                match peer {
                    Some(peer) => self.store.read_marker(peer, &conversation).await,
                    None => Ok(None),
                }
            },
            self.store.pause(&conversation)
        );
        let (mut messages, peer_read_at) = (messages?, peer_read_at?);
        // Admins see what a removed message said; everyone else its tombstone.
        if access != ReadAccess::Audited {
            messages.messages = messages
                .messages
                .into_iter()
                .map(Message::redacted)
                .collect();
        }
        Ok(ConversationPage {
            conversation_id: conversation,
            page: messages,
            peer_read_at,
            pause: pause?,
        })
    }

    /// How many of the other participant's messages the caller has not read in the
    /// conversation `raw` names. `None` for an admin or an overseeing guardian, who have
    /// no read marker (and learn nothing an audited read would not show, so nothing is
    /// audited).
    pub async fn unread_count(&self, caller: &User, raw: &str) -> Result<Option<u64>, ChatError> {
        let Named {
            conversation,
            relation,
            guardianship,
        } = self.named_conversation(caller, raw).await?;
        match policy::read_access(caller, &conversation, relation, guardianship)? {
            ReadAccess::Participant => Ok(Some(
                self.store.unread_count(&caller.id, &conversation).await?,
            )),
            ReadAccess::Audited | ReadAccess::Guardian => Ok(None),
        }
    }

    /// Stores a message and returns it once it is durable. A retry with the same
    /// clientMessageId returns the message stored the first time.
    pub async fn send(&self, caller: &User, request: SendRequest<'_>) -> Result<Sent, ChatError> {
        // Who may send as whom needs nothing read or parsed; the rest of `may_send` (a
        // participant, while linked) is what `append_if_linked` checks in its write.
        policy::may_send_as(caller, request.author)?;
        if request.urgent {
            policy::may_send_urgent(caller, None)?;
        }
        let author = caller.id.clone();
        let body = MessageBody::parse(request.message_body)?;
        let client_message_id = request
            .client_message_id
            .map(ClientMessageId::parse)
            .transpose()?;
        // The fast path, one store round trip: the conversation the caller must mean, given
        // their role, appended only if its link exists. A link implies both users exist with
        // the right roles (links are made only between a teacher and a student, and a
        // linked user's role cannot change), so nothing else needs reading first.
        let reference = ConversationRef::parse(request.conversation_id)?;
        policy::may_address(caller, &reference.first, &reference.second)?;
        let conversation = presumed_conversation(caller, &reference);
        let now = self.clock.now();
        if !self.send_limiter.allow(&caller.id, now) {
            return Err(ChatError::RateLimited);
        }
        if let (true, Some(conversation)) = (request.urgent, &conversation) {
            let granted = self
                .store
                .settings()
                .await?
                .urgent_senders
                .contains(&caller.id);
            policy::may_send_urgent(caller, Some(granted))?;
            self.audit(
                caller.id.as_str(),
                AuditAction::UrgentSend,
                conversation.to_string(),
            )
            .await?;
        }
        let appended = match &conversation {
            Some(conversation) => {
                let new_message = NewMessage {
                    conversation_id: conversation.clone(),
                    proposed: now,
                    author,
                    body,
                    message_id: MessageId::generate(),
                    client_message_id,
                    announcement_id: None,
                    via: None,
                };
                self.append_linked(caller, new_message).await?
            }
            None => None,
        };
        let (Some(conversation), Some(appended)) = (conversation, appended) else {
            return Err(self.refused_send(caller, &reference).await);
        };
        match appended {
            Appended::Created(message) => {
                let delivery = participants(&conversation, request.origin);
                self.hub
                    .publish(&delivery, &Event::Message(message.clone()))
                    .await;
                let quiet = self.notice_stored(&message, request.urgent).await;
                self.flag_if_matching(&message).await;
                Ok(Sent {
                    message,
                    created: true,
                    quiet,
                })
            }
            Appended::Existing(message) if message.conversation_id == conversation => {
                let quiet = match request.urgent {
                    true => None,
                    false => self.quiet_hours_of(&message).await,
                };
                Ok(Sent {
                    message,
                    created: false,
                    quiet,
                })
            }
            Appended::Existing(_) => Err(ChatError::Conflict {
                code: ErrorCode::ClientMessageIdReused,
                message: "this clientMessageId was already used for another conversation".into(),
            }),
        }
    }

    /// Appends `message` if its two people are linked: a student and a teacher by their
    /// link, a guardian and a teacher through a child ([`NewMessage::via`]). A guardian's
    /// send goes through a child at once; a teacher's first as to a student (the common
    /// case, one round trip), then, if that found no link, as to a guardian.
    async fn append_linked(
        &self,
        caller: &User,
        mut message: NewMessage,
    ) -> Result<Option<Appended>, ChatError> {
        if caller.role != Role::Guardian {
            if let Some(appended) = self.store.append_if_linked(&message).await? {
                return Ok(Some(appended));
            }
            if caller.role != Role::Teacher {
                return Ok(None);
            }
        }
        let conversation = &message.conversation_id;
        let children = self
            .connecting_children(conversation.member(), conversation.teacher())
            .await?;
        let Some(child) = children.into_iter().next() else {
            return Ok(None);
        };
        message.via = Some(child);
        Ok(self.store.append_if_linked(&message).await?)
    }

    /// Why a send that found no link was refused, in terms that tell a stranger nothing:
    /// without history the pair gets the policy's one refusal, whoever the other id is;
    /// with history, the precise reason (an unknown user, not a student–teacher pair, or
    /// not linked).
    async fn refused_send(&self, caller: &User, reference: &ConversationRef) -> ChatError {
        let Some(presumed) = presumed_conversation(caller, reference) else {
            return policy::admins_do_not_send();
        };
        // A member refused while the conversation is paused is told so, but only when
        // the pair is linked: a pause on a pair they have no link with says nothing.
        if presumed.member() == &caller.id {
            match self.paused_link(&presumed).await {
                Ok(Some(pause)) => return pause.refusal(),
                Ok(None) => {}
                Err(error) => return error,
            }
        }
        let has_history = match self.store.has_messages(&presumed).await {
            Ok(has_history) => has_history,
            Err(error) => return error.into(),
        };
        // The append has just found no link; that is the answer this send gets.
        let relation = Relation::of(false, has_history);
        match self.disclosed(caller, reference, presumed, relation).await {
            Ok(named) => {
                match policy::may_send(caller, &caller.id, &named.conversation, relation) {
                    Err(error) => error,
                    Ok(()) => ChatError::forbidden("this conversation is not linked"),
                }
            }
            Err(error) => error,
        }
    }

    /// The pause of a linked conversation; `None` when it is not paused or not linked.
    async fn paused_link(
        &self,
        conversation: &ConversationId,
    ) -> Result<Option<crate::store::Pause>, ChatError> {
        let Some(pause) = self.store.pause(conversation).await? else {
            return Ok(None);
        };
        Ok((self.relation(conversation).await? == Relation::Linked).then_some(pause))
    }

    /// Moves the caller's read marker forward to `timestamp` (never back, never past the
    /// newest message) and, only if it moved, tells both participants' other connections.
    /// The marker that moved, or `None` when nothing changed: the conversation has no
    /// messages yet, or the marker was already there or further. A client repeating an
    /// old `markRead` therefore costs one read and sends nobody anything.
    pub async fn mark_read(
        &self,
        caller: &User,
        conversation: &str,
        timestamp: &str,
        origin: Option<&ConnectionId>,
    ) -> Result<Option<ReadMarker>, ChatError> {
        let up_to = Timestamp::parse(timestamp).map_err(|_| {
            ChatError::invalid(
                ErrorCode::InvalidCursor,
                "timestamp is RFC 3339 UTC, e.g. 2026-11-24T14:01:02.123456Z",
            )
        })?;
        let Named {
            conversation,
            relation,
            ..
        } = self.named_conversation(caller, conversation).await?;
        policy::may_mark_read(caller, &conversation, relation)?;
        let marked = self
            .store
            .mark_read(&caller.id, &conversation, up_to)
            .await?;
        let Some(MarkedRead {
            marker: timestamp,
            moved: true,
        }) = marked
        else {
            return Ok(None);
        };
        let event = Event::Read {
            conversation_id: conversation.clone(),
            user: caller.id.clone(),
            timestamp,
        };
        self.hub
            .publish(&participants(&conversation, origin), &event)
            .await;
        Ok(Some(ReadMarker {
            conversation_id: conversation,
            user: caller.id.clone(),
            timestamp,
        }))
    }
}

/// Every connection of both participants, but `origin`.
pub(super) fn participants(
    conversation: &ConversationId,
    origin: Option<&ConnectionId>,
) -> Delivery {
    Delivery {
        recipients: vec![
            conversation.member().clone(),
            conversation.teacher().clone(),
        ],
        skip: origin.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_participants_but_the_origin_get_the_event() {
        let conversation = ConversationId::parse_canonical("s1+t1").unwrap();
        let origin = ConnectionId::new("c7");
        let delivery = participants(&conversation, Some(&origin));
        let recipients: Vec<&str> = delivery.recipients.iter().map(UserId::as_str).collect();
        assert_eq!(recipients, ["s1", "t1"]);
        assert_eq!(delivery.skip, Some(origin));
        assert_eq!(participants(&conversation, None).skip, None);
    }
}
