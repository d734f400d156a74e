// Subscription.messageEdited and Subscription.messageRemoved: as messageAdded, the Lambda data
// source decides when the subscription starts whether the caller may follow the conversation
// (ChatService::follow: participants who may read it) and answers its canonical id; the
// filters then deliver only that conversation's edits (or removals), and end the
// subscription when the caller's sessions end, the pair is unlinked, or the caller's token
// expires.
import { util, extensions } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'Invoke',
    payload: {
      field: `Subscription.${ctx.info.fieldName}`,
      arguments: ctx.arguments,
      identity: { resolverContext: ctx.identity.resolverContext },
    },
  };
}

export function response(ctx) {
  const followed = answer(ctx);
  if (!followed || !followed.conversationId) {
    util.error('classchat-appsync answered no conversation', 'internal');
  }
  const caller = ctx.identity.resolverContext;
  // The published MessageEvent carries the message, with the canonical conversation id.
  extensions.setSubscriptionFilter(
    util.transform.toSubscriptionFilter({ 'message.conversationId': { eq: followed.conversationId } }),
  );
  // Each alternative matches the payload of one invalidation mutation: endUserSessions,
  // endLink, endExpiredSessions.
  extensions.setSubscriptionInvalidationFilter(
    util.transform.toSubscriptionFilter({
      or: [
        { userId: { eq: caller.userId } },
        { conversationId: { eq: followed.conversationId } },
        { expiredBy: { ge: caller.expiresAt } },
      ],
    }),
  );
  // A subscription answers nothing when it starts; its data is what the mutations publish.
  return null;
}

// As in chat-service.js: `{"data": …}` or `{"error": {"code", "message"}}`.
function answer(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const answered = ctx.result || {};
  if (answered.error) {
    util.error(answered.error.message, answered.error.code, null, { code: answered.error.code });
  }
  return answered.data;
}
