//! The GraphQL documents classchat's backend sends to its AppSync API: `appsync/README.md`'s
//! blocks, verbatim (a test compares them), so the AppSync schema and resolvers are tested
//! against exactly what [`super::AppSyncPublisher`] sends (`e2e/tests/appsync.test.js`).
//! Subscribers receive exactly the fields a publish selects, so each selects them all.

/// `publishMessage`: a stored message, for `messageAdded` subscriptions.
pub const PUBLISH_MESSAGE: &str = r"mutation PublishMessage($input: PublishMessageInput!) {
  publishMessage(input: $input) {
    messageId
    conversationId
    timestamp
    author
    messageBody
    clientMessageId
    announcementId
    editedAt
    removedAt
  }
}";

/// `publishMessageEdited`: an edited message as it now reads, for `messageEdited`
/// subscriptions.
pub const PUBLISH_MESSAGE_EDITED: &str = r"mutation PublishMessageEdited($input: PublishMessageInput!) {
  publishMessageEdited(input: $input) {
    message {
      messageId
      conversationId
      timestamp
      author
      messageBody
      clientMessageId
      announcementId
      editedAt
      removedAt
    }
  }
}";

/// `publishMessageRemoved`: a removed message's tombstone (no text), for `messageRemoved`
/// subscriptions.
pub const PUBLISH_MESSAGE_REMOVED: &str = r"mutation PublishMessageRemoved($input: PublishMessageInput!) {
  publishMessageRemoved(input: $input) {
    message {
      messageId
      conversationId
      timestamp
      author
      messageBody
      clientMessageId
      announcementId
      editedAt
      removedAt
    }
  }
}";

/// `publishInboxEvent`: any live event with its recipients, for `inbox` subscriptions.
pub const PUBLISH_INBOX_EVENT: &str = r"mutation PublishInboxEvent($input: PublishInboxEventInput!) {
  publishInboxEvent(input: $input) {
    recipients
    event {
      __typename
      ... on MessageEvent {
        message {
          messageId
          conversationId
          timestamp
          author
          messageBody
          clientMessageId
          announcementId
          editedAt
          removedAt
        }
      }
      ... on ReadMarker {
        conversationId
        userId
        timestamp
      }
      ... on TypingEvent {
        conversationId
        userId
      }
      ... on PresenceEvent {
        userId
        online
      }
      ... on LinkEvent {
        conversationId
        linked
      }
      ... on MessageEditedEvent {
        message {
          messageId
          conversationId
          timestamp
          author
          messageBody
          clientMessageId
          announcementId
          editedAt
          removedAt
        }
      }
      ... on MessageRemovedEvent {
        message {
          messageId
          conversationId
          timestamp
          author
          messageBody
          clientMessageId
          announcementId
          editedAt
          removedAt
        }
      }
      ... on PauseEvent {
        conversationId
        pause {
          by
          byRole
          at
          reason
        }
      }
    }
  }
}";

/// `endUserSessions`: ends every subscription of a user whose sessions were revoked.
pub const END_USER_SESSIONS: &str = r"mutation EndUserSessions($userId: String!, $reason: String!) {
  endUserSessions(userId: $userId, reason: $reason) {
    subscriptionFields
  }
}";

/// `endLink`: ends every `messageAdded`, `messageEdited` and `messageRemoved` subscription to
/// a conversation that was unlinked.
pub const END_LINK: &str = r"mutation EndLink($conversationId: String!) {
  endLink(conversationId: $conversationId) {
    subscriptionFields
  }
}";

#[cfg(test)]
mod tests {
    use super::*;

    /// The documents are `appsync/README.md`'s, verbatim: the contract the AppSync
    /// schema and resolvers are tested against (`e2e/tests/appsync.test.js`).
    #[test]
    fn every_document_is_the_contracts() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../appsync/README.md"),
        )
        .unwrap();
        for (name, document) in [
            ("publishMessage", PUBLISH_MESSAGE),
            ("publishMessageEdited", PUBLISH_MESSAGE_EDITED),
            ("publishMessageRemoved", PUBLISH_MESSAGE_REMOVED),
            ("publishInboxEvent", PUBLISH_INBOX_EVENT),
            ("endUserSessions", END_USER_SESSIONS),
            ("endLink", END_LINK),
        ] {
            let block = format!("```graphql\n# {name}\n{document}\n```");
            assert!(
                readme.contains(&block),
                "{name} differs from appsync/README.md"
            );
        }
    }
}
