//! The live-only use-cases: typing notices and presence (catching up is `replay`).

use super::ChatService;
use crate::error::ChatError;
use crate::hub::{ConnectionId, Delivery, Event};
use crate::ids::UserId;
use crate::policy;
use crate::store::Link;
use crate::user::{Role, User};

impl ChatService {
    /// Tells the other participant that the caller is typing. Not stored. Over the typing
    /// rate the notice is dropped (`Ok(false)`): a lost typing hint harms nobody.
    pub async fn typing(
        &self,
        caller: &User,
        conversation: &str,
        origin: Option<&ConnectionId>,
    ) -> Result<bool, ChatError> {
        let conversation = self.resolve_conversation(caller, conversation).await?;
        let linked = self.store.is_linked(&Link::of(&conversation)).await?;
        policy::may_send(caller, &caller.id, &conversation, linked)?;
        let key = (caller.id.clone(), conversation.clone());
        if !self.typing_limiter.allow(&key, self.clock.now()) {
            return Ok(false);
        }
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

    /// Tells `user`'s linked peers that they came online or went offline. Transports call
    /// it on a user's first connection and after their last one closes.
    pub async fn announce_presence(&self, user: &User, online: bool) -> Result<(), ChatError> {
        let recipients = self.linked_peers(user).await?;
        if recipients.is_empty() {
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

    /// Everyone `user` is linked to, whose presence they share; nobody for an admin.
    async fn linked_peers(&self, user: &User) -> Result<Vec<UserId>, ChatError> {
        if user.role == Role::Admin {
            return Ok(Vec::new());
        }
        let links = self.store.list_links(Some(&user.id)).await?;
        Ok(links
            .into_iter()
            .map(|link| {
                if link.teacher == user.id {
                    link.student
                } else {
                    link.teacher
                }
            })
            .collect())
    }
}
