//! The Message table's items and the conversation summaries that repeat a message: the
//! conversion between them and [`Message`].

use super::{
    ANNOUNCEMENT_ID, AUTHOR, CLIENT_MESSAGE_ID, CONV_PREFIX, CONVERSATION_ID, EDITED_AT, Item,
    LAST_AUTHOR, LAST_CLIENT_MESSAGE_ID, LAST_EDITED_AT, LAST_MESSAGE_AT, LAST_MESSAGE_ID,
    LAST_MESSAGE_PREVIEW, LAST_REMOVED_AT, MESSAGE_BODY, MESSAGE_ID, REMOVED_AT, SK, TIMESTAMP,
    get_opt_s, get_opt_timestamp, get_s, get_timestamp, get_user_id, message_key, s,
};
use crate::error::corrupt;
use classchat_core::message::MessageBody;
use classchat_core::store::StoreError;
use classchat_core::{ClientMessageId, ConversationId, Message, MessageId};

/// The Message item of `message`: the seed's attributes, the announcement's id on a copy
/// of a class announcement, and `editedAt`/`removedAt` once its author revised it.
pub(crate) fn message_item(message: &Message) -> Item {
    let mut item = message_key(&message.conversation_id, message.timestamp);
    item.insert(AUTHOR.to_owned(), s(message.author.as_str()));
    item.insert(MESSAGE_BODY.to_owned(), s(message.body.as_str()));
    item.insert(MESSAGE_ID.to_owned(), s(message.message_id.to_string()));
    if let Some(client_id) = &message.client_message_id {
        item.insert(CLIENT_MESSAGE_ID.to_owned(), s(client_id.as_str()));
    }
    if let Some(announcement) = message.announcement_id {
        item.insert(ANNOUNCEMENT_ID.to_owned(), s(announcement.to_string()));
    }
    if let Some(edited) = message.edited_at {
        item.insert(EDITED_AT.to_owned(), s(edited.to_string()));
    }
    if let Some(removed) = message.removed_at {
        item.insert(REMOVED_AT.to_owned(), s(removed.to_string()));
    }
    item
}

/// A message read back from the Message table.
pub(crate) fn message_from_item(item: &Item) -> Result<Message, StoreError> {
    Ok(Message {
        conversation_id: ConversationId::parse_canonical(get_s(item, CONVERSATION_ID)?)
            .map_err(|_| corrupt(CONVERSATION_ID))?,
        timestamp: get_timestamp(item, TIMESTAMP)?,
        author: get_user_id(item, AUTHOR)?,
        body: MessageBody::from_stored(get_s(item, MESSAGE_BODY)?.to_owned()),
        message_id: MessageId::parse(get_s(item, MESSAGE_ID)?).map_err(|_| corrupt(MESSAGE_ID))?,
        client_message_id: get_opt_s(item, CLIENT_MESSAGE_ID)?
            .map(ClientMessageId::parse)
            .transpose()
            .map_err(|_| corrupt(CLIENT_MESSAGE_ID))?,
        announcement_id: get_opt_s(item, ANNOUNCEMENT_ID)?
            .map(MessageId::parse)
            .transpose()
            .map_err(|_| corrupt(ANNOUNCEMENT_ID))?,
        edited_at: get_opt_timestamp(item, EDITED_AT)?,
        removed_at: get_opt_timestamp(item, REMOVED_AT)?,
    })
}

/// The last message a conversation summary remembers, if it has one.
pub(crate) fn last_message_from_summary(
    conversation: &ConversationId,
    item: &Item,
) -> Result<Message, StoreError> {
    Ok(Message {
        conversation_id: conversation.clone(),
        timestamp: get_timestamp(item, LAST_MESSAGE_AT)?,
        author: get_user_id(item, LAST_AUTHOR)?,
        body: MessageBody::from_stored(get_s(item, LAST_MESSAGE_PREVIEW)?.to_owned()),
        message_id: MessageId::parse(get_s(item, LAST_MESSAGE_ID)?)
            .map_err(|_| corrupt(LAST_MESSAGE_ID))?,
        client_message_id: get_opt_s(item, LAST_CLIENT_MESSAGE_ID)?
            .map(ClientMessageId::parse)
            .transpose()
            .map_err(|_| corrupt(LAST_CLIENT_MESSAGE_ID))?,
        // Summaries do not keep the announcement id (nor does the SQLite store's): a
        // contact list shows the last message's text, and whoever needs to know that it
        // was an announcement reads the message itself.
        announcement_id: None,
        edited_at: get_opt_timestamp(item, LAST_EDITED_AT)?,
        removed_at: get_opt_timestamp(item, LAST_REMOVED_AT)?,
    })
}

/// The conversation id of a summary item, from its sort key.
pub(crate) fn conversation_of_summary(item: &Item) -> Result<ConversationId, StoreError> {
    let sk = get_s(item, SK)?;
    let raw = sk.strip_prefix(CONV_PREFIX).ok_or_else(|| corrupt(SK))?;
    ConversationId::parse_canonical(raw).map_err(|_| corrupt(SK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::n;
    use classchat_core::{Timestamp, UserId};

    fn message(client_id: Option<&str>) -> Message {
        copy(client_id, None)
    }

    fn copy(client_id: Option<&str>, announcement: Option<MessageId>) -> Message {
        Message {
            conversation_id: ConversationId::new(
                UserId::parse("abc").unwrap(),
                UserId::parse("123").unwrap(),
            ),
            timestamp: Timestamp::parse("2026-11-24T14:01:02.123456Z").unwrap(),
            author: UserId::parse("abc").unwrap(),
            body: MessageBody::parse("i am the student!").unwrap(),
            message_id: MessageId::generate(),
            client_message_id: client_id.map(|raw| ClientMessageId::parse(raw).unwrap()),
            announcement_id: announcement,
            edited_at: None,
            removed_at: None,
        }
    }

    #[test]
    fn message_items_round_trip_with_the_seed_attributes() {
        for client_id in [None, Some("c-1")] {
            let original = message(client_id);
            let item = message_item(&original);
            assert_eq!(item[CONVERSATION_ID], s("abc+123"));
            assert_eq!(item[TIMESTAMP], s("2026-11-24T14:01:02.123456Z"));
            assert_eq!(item.len(), 5 + usize::from(client_id.is_some()));
            assert_eq!(message_from_item(&item).unwrap(), original);
        }
    }

    #[test]
    fn copies_of_announcements_round_trip_with_their_announcement_id() {
        let announcement = MessageId::generate();
        let original = copy(None, Some(announcement));
        let item = message_item(&original);
        assert_eq!(item[ANNOUNCEMENT_ID], s(announcement.to_string()));
        assert_eq!(item.len(), 6);
        assert_eq!(message_from_item(&item).unwrap(), original);
    }

    #[test]
    fn wrong_types_are_corrupt_not_defaults() {
        let mut item = message_item(&message(None));
        item.insert(AUTHOR.to_owned(), n(5));
        assert!(matches!(
            message_from_item(&item),
            Err(StoreError::Internal(_))
        ));
    }
}
