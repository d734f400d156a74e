// Queries and the user-facing mutations (`sendMessage`, `markRead`, `editMessage`,
// `removeMessage`, `reportMessage`, `pauseConversation`, `resumeConversation`): one resolver
// for every such field, backed by the Lambda data source (the classchat-appsync function), where
// ChatService applies the same rules as on classchat's own server. See appsync/README.md for
// the event and the answer.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'Invoke',
    payload: {
      field: `${ctx.info.parentTypeName}.${ctx.info.fieldName}`,
      arguments: ctx.arguments,
      // What the authorizer verified: the function looks the user up again by it, so a
      // disabled account or a revoked token stops here too.
      identity: { resolverContext: ctx.identity.resolverContext },
    },
  };
}

export function response(ctx) {
  return answer(ctx);
}

// The function answers `{"data": …}`, or `{"error": {"code", "message"}}` for a refusal,
// whose stable classchat code (`forbidden`, `not_linked`, …) becomes the error's errorType.
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
