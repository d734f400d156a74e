// Mutation.publishInboxEvent (IAM: classchat's backend), on the NONE data source: wraps the
// one event the input carries as the InboxEvent union member it is, beside its recipients,
// which `inbox` subscriptions filter on.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const input = ctx.arguments.input;
  const events = [
    input.message ? { __typename: 'MessageEvent', message: input.message } : null,
    input.read
      ? {
          __typename: 'ReadMarker',
          conversationId: input.read.conversationId,
          userId: input.read.userId,
          timestamp: input.read.timestamp,
        }
      : null,
    input.typing
      ? { __typename: 'TypingEvent', conversationId: input.typing.conversationId, userId: input.typing.userId }
      : null,
    input.presence
      ? { __typename: 'PresenceEvent', userId: input.presence.userId, online: input.presence.online }
      : null,
    input.link
      ? { __typename: 'LinkEvent', conversationId: input.link.conversationId, linked: input.link.linked }
      : null,
    input.messageEdited ? { __typename: 'MessageEditedEvent', message: input.messageEdited } : null,
    input.messageRemoved ? { __typename: 'MessageRemovedEvent', message: input.messageRemoved } : null,
    input.pause
      ? { __typename: 'PauseEvent', conversationId: input.pause.conversationId, pause: input.pause.pause ?? null }
      : null,
  ].filter((event) => event !== null);
  if (events.length !== 1) {
    util.error(
      'exactly one of message, read, typing, presence, link, messageEdited, messageRemoved and pause must be set',
      'invalid_input',
    );
  }
  return { payload: { recipients: input.recipients, event: events[0] } };
}

export function response(ctx) {
  return ctx.result;
}
