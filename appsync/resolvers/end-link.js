// Mutation.endLink (IAM: classchat's backend, when an admin unlinks a teacher and a student),
// on the NONE data source: ends every `messageAdded` subscription to their conversation.
// `inbox` subscriptions go on: no event of that conversation is published to them any more.
import { extensions } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

export function response(ctx) {
  extensions.invalidateSubscriptions({
    subscriptionField: 'messageAdded',
    payload: { conversationId: ctx.arguments.conversationId },
  });
  return { subscriptionFields: ['messageAdded'] };
}
