// Subscription.inbox, on the NONE data source: the caller's own events are those published
// with the caller among their recipients, so the authorizer's word on who the caller is
// suffices and no function runs. The subscription ends when the caller's sessions end or
// their token expires.
import { util, extensions } from '@aws-appsync/utils';

export function request() {
  return { payload: null };
}

export function response(ctx) {
  const caller = ctx.identity.resolverContext;
  extensions.setSubscriptionFilter(
    util.transform.toSubscriptionFilter({ recipients: { contains: caller.userId } }),
  );
  extensions.setSubscriptionInvalidationFilter(
    util.transform.toSubscriptionFilter({
      or: [{ userId: { eq: caller.userId } }, { expiredBy: { ge: caller.expiresAt } }],
    }),
  );
  return null;
}
