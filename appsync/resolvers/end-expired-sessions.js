// Mutation.endExpiredSessions (IAM: an EventBridge schedule, every minute), on the NONE data
// source: AppSync never re-checks a token once a subscription has started, so this ends the
// subscriptions whose token expired at or before `at`. Their invalidation filters compare
// `expiredBy` with the token's expiry, both `YYYY-MM-DDThh:mm:ssZ`, whose text order is
// their time order.
import { util, extensions } from '@aws-appsync/utils';

const SECONDS_UTC = "yyyy-MM-dd'T'HH:mm:ss'Z'";

export function request(ctx) {
  const at = util.time.parseISO8601ToEpochMilliSeconds(ctx.arguments.at);
  // A time still to come would end subscriptions whose token is valid.
  if (at > util.time.nowEpochMilliSeconds()) {
    util.error('`at` is in the future', 'invalid_input');
  }
  return { payload: { expiredBy: util.time.epochMilliSecondsToFormatted(at, SECONDS_UTC, 'UTC') } };
}

export function response(ctx) {
  const payload = ctx.result;
  extensions.invalidateSubscriptions({ subscriptionField: 'messageAdded', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'messageEdited', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'messageRemoved', payload });
  extensions.invalidateSubscriptions({ subscriptionField: 'inbox', payload });
  return { subscriptionFields: ['messageAdded', 'messageEdited', 'messageRemoved', 'inbox'] };
}
