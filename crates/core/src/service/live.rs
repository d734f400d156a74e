//! The live-only use-cases: typing notices and presence (catching up is `replay`).

use super::ChatService;
use super::addressing::{Named, presumed_conversation};
use crate::conversation::{ConversationId, ConversationRef};
use crate::error::ChatError;
use crate::hub::{ConnectionId, Delivery, Event};
use crate::ids::UserId;
use crate::policy;
use crate::user::User;

impl ChatService {
    /// Tells the other participant that the caller is typing. Not stored. Over the typing
    /// rate the notice is dropped (`Ok(false)`): a lost typing hint harms nobody. The rate
    /// is checked before the store is read, keyed by the conversation the caller's role
    /// says they mean, so a flood of notices costs no store work.
    pub async fn typing(
        &self,
        caller: &User,
        conversation: &str,
        origin: Option<&ConnectionId>,
    ) -> Result<bool, ChatError> {
        let reference = ConversationRef::parse(conversation)?;
        policy::may_address(caller, &reference.first, &reference.second)?;
        let Some(presumed) = presumed_conversation(caller, &reference) else {
            return Err(policy::admins_do_not_send());
        };
        if !self
            .typing_limiter
            .allow(&(caller.id.clone(), presumed), self.clock.now())
        {
            return Ok(false);
        }
        let Named {
            conversation,
            relation,
            ..
        } = self.named_by(caller, &reference).await?;
        policy::may_send(caller, &caller.id, &conversation, relation)?;
        let delivery = Delivery {
            recipients: vec![conversation.peer_of(&caller.id).clone()],
            skip: origin.cloned(),
        };
        let event = Event::Typing {
            conversation_id: conversation,
            user: caller.id.clone(),
        };
        self.hub.publish(&delivery, &event).await;
        Ok(true)
    }

    /// The conversation `raw` names, if `caller` may follow it live ([`policy::may_follow`]):
    /// what a subscription to one conversation checks before it starts.
    pub async fn follow(&self, caller: &User, raw: &str) -> Result<ConversationId, ChatError> {
        let Named {
            conversation,
            relation,
            ..
        } = self.named_conversation(caller, raw).await?;
        policy::may_follow(caller, &conversation, relation)?;
        Ok(conversation)
    }

    /// A transport opened a live connection for `user` (`first_here`: their only one on
    /// this node). If it is their only one anywhere, as the hub knows it, their linked
    /// peers are told they came online.
    pub async fn connection_opened(&self, user: &User, first_here: bool) -> Result<(), ChatError> {
        if self.hub.connection_opened(&user.id, first_here).await {
            self.announce_presence(user, true).await?;
        }
        Ok(())
    }

    /// A transport closed one of `user`'s live connections (`last_here`: their last on
    /// this node). If they have none left anywhere, their linked peers are told they went
    /// offline.
    pub async fn connection_closed(&self, user: &User, last_here: bool) -> Result<(), ChatError> {
        if self.hub.connection_closed(&user.id, last_here).await {
            self.announce_presence(user, false).await?;
        }
        Ok(())
    }

    /// Tells `user`'s linked peers that they came online or went offline.
    async fn announce_presence(&self, user: &User, online: bool) -> Result<(), ChatError> {
        let recipients = self.linked_peers(user).await?;
        if recipients.is_empty() {
            return Ok(());
        }
        // A page reload closes a socket and opens another at once: if the user is back by
        // now, their new connection has announced them (or will), and a late "offline"
        // would leave peers showing them away while they are here.
        if !online
            && !self
                .hub
                .online(std::slice::from_ref(&user.id))
                .await
                .is_empty()
        {
            return Ok(());
        }
        let delivery = Delivery {
            recipients,
            skip: None,
        };
        self.hub
            .publish(
                &delivery,
                &Event::Presence {
                    user: user.id.clone(),
                    online,
                },
            )
            .await;
        Ok(())
    }

    /// The linked peers of `user` who are online right now: what a client that just
    /// connected needs to show presence before anyone's next change.
    pub async fn online_peers(&self, user: &User) -> Result<Vec<UserId>, ChatError> {
        let peers = self.linked_peers(user).await?;
        Ok(self.hub.online(&peers).await)
    }

    /// Everyone `user` is linked to, whose presence they share: across their links and,
    /// for teachers and guardians, their family links; nobody for an admin (see
    /// [`policy::presence_peers`]).
    pub(super) async fn linked_peers(&self, user: &User) -> Result<Vec<UserId>, ChatError> {
        let Some(peers) = policy::presence_peers(user) else {
            return Ok(Vec::new());
        };
        let mut linked = Vec::new();
        if let Some(side) = peers.side {
            let links = self.store.list_links(Some(&user.id)).await?;
            linked.extend(
                links
                    .iter()
                    .filter_map(|link| link.peer_on(&user.id, side).cloned()),
            );
        }
        if peers.family {
            let mut family: Vec<UserId> = self
                .store
                .family_links(&user.id)
                .await?
                .iter()
                .filter_map(|link| link.peer_of(&user.id).cloned())
                .collect();
            family.dedup();
            linked.extend(family);
        }
        Ok(linked)
    }
}
