// Mutation.endLink (IAM: classchat's backend, when an admin unlinks a teacher and a student),
// on the NONE data source: ends every `messageAdded`, `messageEdited` and `messageRemoved`
// subscription to their conversation.
// `inbox` subscriptions go on: no event of that conversation is published to them any more.
import { extensions } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

export function response(ctx) {
  const payload = { conversationId: ctx.arguments.conversationId };
  extensions.invalidateSubscriptions({ subscriptionField: 'messageAdded', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'messageEdited', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'messageRemoved', payload });
  return { subscriptionFields: ['messageAdded', 'messageEdited', 'messageRemoved'] };
}
