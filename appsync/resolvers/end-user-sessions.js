// Mutation.endUserSessions (IAM: classchat's backend, when a user's sessions end: account
// disabled, role or password changed, signed out), on the NONE data source: ends every
// `messageAdded`, `messageEdited`, `messageRemoved` and `inbox` subscription of that user,
// whose invalidation filters match `userId`.
import { extensions } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

export function response(ctx) {
  const payload = { userId: ctx.arguments.userId };
  extensions.invalidateSubscriptions({ subscriptionField: 'messageAdded', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'messageEdited', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'messageRemoved', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'inbox', payload });
  return { subscriptionFields: ['messageAdded', 'messageEdited', 'messageRemoved', 'inbox'] };
}
