//! Which conversation a caller means by the conversationId they wrote, and how much they
//! may learn about it.
//!
//! A student or teacher can only ever mean one conversation: themselves and the other id,
//! in the order their role gives ([`presumed_conversation`]), so it is known without a
//! store read. The service reads that pair's [`Relation`] (linked? history?) and lets the
//! policy decide whether to say more than "not your conversation" *before* it looks the
//! other id up: the answer to a stranger never depends on whether that id exists or what
//! role it has. Pairs with a relation, and admins, who may read any conversation, get
//! precise answers (no such user, not a student–teacher pair, not linked).
//!
//! A guardian may also name a conversation they are not in: their child's with a teacher,
//! which they may read where the school allows it. They can only mean the conversation of
//! whichever id is their child ([`ChatService::overseen`]); an id pair with no child of
//! theirs gets the same one answer as any stranger's.

use super::ChatService;
use crate::conversation::{ConversationId, ConversationRef};
use crate::error::{ChatError, ErrorCode};
use crate::policy::{self, Guardianship, Relation};
use crate::store::Link;
use crate::user::{Role, User};

/// A conversation a caller named, and how its two people stand to each other.
pub(super) struct Named {
    /// The canonical conversation.
    pub(super) conversation: ConversationId,
    /// Linked, history only, or neither.
    pub(super) relation: Relation,
    /// The caller's claim on the conversation's student, when the caller is a guardian
    /// naming their child's conversation; [`Guardianship::None`] otherwise.
    pub(super) guardianship: Guardianship,
}

impl ChatService {
    /// Parses the conversationId `raw` as `caller` wrote it and finds the conversation and
    /// its relation; refuses a stranger's pair with the policy's one answer.
    pub(super) async fn named_conversation(
        &self,
        caller: &User,
        raw: &str,
    ) -> Result<Named, ChatError> {
        let reference = ConversationRef::parse(raw)?;
        if caller.role == Role::Guardian && !reference.mentions(&caller.id) {
            return self.overseen(caller, &reference).await;
        }
        policy::may_address(caller, &reference.first, &reference.second)?;
        self.named_by(caller, &reference).await
    }

    /// The conversation of a guardian's child that `reference` names: the child is
    /// whichever id is theirs, the teacher the other. An id pair without a child of the
    /// caller's gets the policy's one refusal, before anything about either id is read.
    async fn overseen(
        &self,
        caller: &User,
        reference: &ConversationRef,
    ) -> Result<Named, ChatError> {
        let children = self.children_of(&caller.id).await?;
        let presumed = if children.contains(&reference.first) {
            ConversationId::new(reference.first.clone(), reference.second.clone())
        } else if children.contains(&reference.second) {
            ConversationId::new(reference.second.clone(), reference.first.clone())
        } else {
            return Err(ChatError::forbidden(policy::NOT_YOUR_CONVERSATION));
        };
        // The child is known to be theirs: only the school's setting is left to read.
        let guardianship = Guardianship::Child {
            school_allows: self.store.settings().await?.guardian_oversight,
        };
        let relation = self.relation(&presumed).await?;
        let named = self
            .disclosed(caller, reference, presumed, relation)
            .await?;
        Ok(Named {
            guardianship,
            ..named
        })
    }

    /// [`Self::named_conversation`] for a reference already parsed and addressed (the
    /// caller is one of its ids, or an admin).
    pub(super) async fn named_by(
        &self,
        caller: &User,
        reference: &ConversationRef,
    ) -> Result<Named, ChatError> {
        let Some(presumed) = presumed_conversation(caller, reference) else {
            // An admin: any conversation may be looked at, so nothing is hidden.
            let conversation = self.resolve(Some(caller), reference).await?;
            let relation = self.relation(&conversation).await?;
            return Ok(Named {
                conversation,
                relation,
                guardianship: Guardianship::None,
            });
        };
        let relation = self.relation(&presumed).await?;
        self.disclosed(caller, reference, presumed, relation).await
    }

    /// The pair's relation once it is known; refuses strangers before any user is looked
    /// up. A link implies both users exist with the right roles (links are made only
    /// between a teacher and a student, and a linked user's role cannot change), so only a
    /// pair with history alone is resolved again, to answer precisely if a user is gone
    /// or changed role since.
    pub(super) async fn disclosed(
        &self,
        caller: &User,
        reference: &ConversationRef,
        presumed: ConversationId,
        relation: Relation,
    ) -> Result<Named, ChatError> {
        policy::may_disclose(caller, relation)?;
        let conversation = match relation {
            Relation::Linked => presumed,
            Relation::History | Relation::Unrelated => {
                self.resolve(Some(caller), reference).await?
            }
        };
        Ok(Named {
            conversation,
            relation,
            guardianship: Guardianship::None,
        })
    }

    /// Whether the conversation's two people are linked — a student and teacher by their
    /// link, a guardian and teacher through at least one child — and, if not, whether it
    /// has messages.
    pub(super) async fn relation(
        &self,
        conversation: &ConversationId,
    ) -> Result<Relation, ChatError> {
        let linked = self.store.is_linked(&Link::of(conversation)).await?
            || !self
                .connecting_children(conversation.member(), conversation.teacher())
                .await?
                .is_empty();
        let has_history = !linked && self.store.has_messages(conversation).await?;
        Ok(Relation::of(linked, has_history))
    }

    /// Turns a client-written reference into the canonical conversation, checking that both
    /// users exist and may converse ([`policy::may_converse`]: one teacher, and one student
    /// or guardian): 404 or 400 otherwise. Only for admins and pairs the caller has a
    /// relation with (see the module docs), and the operator (`caller` `None`).
    pub(super) async fn resolve(
        &self,
        caller: Option<&User>,
        reference: &ConversationRef,
    ) -> Result<ConversationId, ChatError> {
        let known = |id| async move {
            match caller {
                Some(caller) => self.known_user(caller, id).await,
                None => self
                    .store
                    .get_user(id)
                    .await?
                    .map(|record| record.user)
                    .ok_or_else(|| ChatError::NotFound(format!("no user {id}"))),
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
        if first.role == Role::Teacher {
            Ok(ConversationId::new(second.id, first.id))
        } else {
            Ok(ConversationId::new(first.id, second.id))
        }
    }
}

/// The conversation a student or teacher addresses with `reference`: themselves and the
/// other id, in the order their role gives. `None` for an admin, and when the reference
/// names the caller twice.
pub(super) fn presumed_conversation(
    caller: &User,
    reference: &ConversationRef,
) -> Option<ConversationId> {
    let peer = if reference.first == caller.id {
        &reference.second
    } else {
        &reference.first
    };
    if peer == &caller.id {
        return None;
    }
    match caller.role {
        Role::Student | Role::Guardian => {
            Some(ConversationId::new(caller.id.clone(), peer.clone()))
        }
        Role::Teacher => Some(ConversationId::new(peer.clone(), caller.id.clone())),
        Role::Admin => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::user::test_user as user;

    fn presumed(caller: &User, raw: &str) -> Option<String> {
        let reference = ConversationRef::parse(raw).unwrap();
        presumed_conversation(caller, &reference).map(|conversation| conversation.to_string())
    }

    #[test]
    fn a_callers_role_puts_the_student_first_whatever_order_they_wrote() {
        let student = user("s1", Role::Student);
        let teacher = user("t1", Role::Teacher);
        for raw in ["s1+t1", "t1+s1", "s1 t1", "t1 s1"] {
            assert_eq!(presumed(&student, raw).as_deref(), Some("s1+t1"), "{raw}");
            assert_eq!(presumed(&teacher, raw).as_deref(), Some("s1+t1"), "{raw}");
        }
    }

    #[test]
    fn admins_never_have_a_presumed_conversation_and_nobody_talks_to_themselves() {
        let admin = user("office", Role::Admin);
        assert_eq!(presumed(&admin, "s1+t1"), None);
        assert_eq!(presumed(&admin, "office+t1"), None);
        assert!(ConversationRef::parse("s1+s1").is_err());
    }

    #[test]
    fn the_peer_is_whoever_is_not_the_caller() {
        // The roles decide the order; the relation read from the store (and, for a pair
        // with one, the precise checks) decide whether the pair may talk at all.
        let teacher = user("t2", Role::Teacher);
        assert_eq!(presumed(&teacher, "t2+s9").as_deref(), Some("s9+t2"));
        let student = user("s2", Role::Student);
        assert_eq!(presumed(&student, "t1+s2").as_deref(), Some("s2+t1"));
        // Whoever the other id is — another student here — the presumed conversation is
        // the same shape; the store has no link or history for it, so the caller is told
        // nothing about that id.
        assert_eq!(presumed(&student, "s2+s3").as_deref(), Some("s2+s3"));
    }
}
