// A stand-in of AppSync's APPSYNC_JS runtime, written from AppSync's documentation: the
// simulator runs VTL resolvers only, so this serves the real resolver files in appsync/
// their one import, `@aws-appsync/utils` (util.error, util.time, the filter transform and
// the subscription extensions), records the filters and invalidations each handler asks
// for, and evaluates enhanced and invalidation filters with the operators' documented
// meanings. AppSync's documented limits are asserted, so a resolver that breaks one fails
// offline rather than once deployed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isoSeconds } from './sources.js';

const UTILS = Symbol.for('classchat.appsync-utils');
const running = { call: null }; // the resolver handler running now, and its extension calls

/** An error a handler raised with util.error: AppSync answers it as a GraphQL error. */
export class ResolverError extends Error {
  constructor(message, errorType, data = null, errorInfo = null) {
    super(message);
    Object.assign(this, { errorType, data, errorInfo });
  }
}

/** util.transform.toSubscriptionFilter: fields AND-ed; each `or` member, and each operator
 * of a field, an alternative; the alternatives multiplied out into OR-ed groups. */
function toSubscriptionFilter(filter) {
  const product = (groups, alternatives) => groups.flatMap((g) => alternatives.map((a) => [...g, ...a]));
  const groupsOf = (object) => Object.entries(object).reduce((groups, [key, value]) => {
    if (key === 'or') return product(groups, value.flatMap(groupsOf));
    if (key === 'and') return value.reduce((acc, member) => product(acc, groupsOf(member)), groups);
    return product(groups, Object.entries(value).map(([operator, operand]) => [{ fieldName: key, operator, value: operand }]));
  }, [[]]);
  return { filterGroup: groupsOf(filter).map((filters) => ({ filters })) };
}

/** AppSync's documented limits on a filter, so a resolver that breaks one fails here. */
function checkFilterLimits(filter) {
  assert.ok(filter.filterGroup.length >= 1 && filter.filterGroup.length <= 10, 'a filter has 1–10 groups');
  for (const { filters } of filter.filterGroup) {
    assert.ok(new Set(filters.map((f) => f.fieldName)).size <= 5, 'at most five fields per group');
    for (const { fieldName, operator, value } of filters) {
      assert.notEqual(value, undefined, `${fieldName} ${operator}: a value`);
      if (operator === 'in' || operator === 'notIn') assert.ok(value.length <= 5);
      if (operator === 'containsAny') assert.ok(value.length <= 20);
      for (const text of [value].flat().filter((v) => typeof v === 'string')) assert.ok(text.length <= 256);
    }
  }
}

const SECONDS_UTC = "yyyy-MM-dd'T'HH:mm:ss'Z'";
globalThis[UTILS] = {
  util: {
    error(message, errorType, data, errorInfo) {
      throw new ResolverError(message, errorType, data, errorInfo);
    },
    unauthorized() {
      throw new ResolverError('Unauthorized', 'Unauthorized');
    },
    transform: { toSubscriptionFilter },
    time: {
      nowEpochMilliSeconds: () => Date.now(),
      parseISO8601ToEpochMilliSeconds(text) {
        const ms = Date.parse(text);
        if (Number.isNaN(ms)) throw new ResolverError(`not an ISO 8601 time: ${text}`, 'InvalidTime');
        return ms;
      },
      epochMilliSecondsToFormatted(ms, format, zone = 'UTC') {
        assert.equal(format, SECONDS_UTC, 'the stand-in knows the one format the resolvers use');
        assert.equal(zone, 'UTC');
        return isoSeconds(Math.floor(ms / 1000));
      },
    },
  },
  extensions: {
    setSubscriptionFilter(filter) {
      checkFilterLimits(filter);
      running.call.filter = filter;
    },
    setSubscriptionInvalidationFilter(filter) {
      checkFilterLimits(filter);
      running.call.invalidationFilter = filter;
    },
    invalidateSubscriptions(invalidation) {
      running.call.invalidations.push(invalidation);
      assert.ok(running.call.invalidations.length <= 5, 'at most five invalidations per request');
    },
  },
};

/** Loads a resolver file as AppSync would run it, its one import served by the stand-in. */
export async function loadResolver(file) {
  const source = readFileSync(file, 'utf8').replace(
    /^import \{([^}]*)\} from '@aws-appsync\/utils';$/m,
    (_, names) => `const {${names}} = globalThis[Symbol.for('classchat.appsync-utils')];`,
  );
  assert.doesNotMatch(source, /^import /m, `${file} imports only @aws-appsync/utils`);
  return import(`data:text/javascript,${encodeURIComponent(source)}`);
}

/** Whether a published payload (or an invalidation payload) satisfies a filter, with the
 * operators' documented meanings: groups OR-ed, filters in a group AND-ed, a field path
 * `a.b`, `contains` a member of a list or a substring. */
export function matches(filter, payload) {
  const holds = ({ fieldName, operator, value }) => {
    const actual = fieldName.split('.').reduce((v, key) => (v == null ? undefined : v[key]), payload);
    if (actual === undefined || actual === null) return false;
    switch (operator) {
      case 'eq': return actual === value;
      case 'ne': return actual !== value;
      case 'lt': return actual < value;
      case 'le': return actual <= value;
      case 'gt': return actual > value;
      case 'ge': return actual >= value;
      case 'contains': return Array.isArray(actual) ? actual.includes(value) : String(actual).includes(value);
      case 'notContains': return Array.isArray(actual) ? !actual.includes(value) : !String(actual).includes(value);
      case 'beginsWith': return typeof actual === 'string' && actual.startsWith(value);
      case 'in': return value.includes(actual);
      case 'notIn': return !value.includes(actual);
      case 'between': return value[0] <= actual && actual <= value[1];
      case 'containsAny': return Array.isArray(actual) && value.some((v) => actual.includes(v));
      default: throw new Error(`unknown filter operator ${operator}`);
    }
  };
  return filter.filterGroup.some(({ filters }) => filters.every(holds));
}

/** Runs one handler of a resolver file, collecting its extension calls into `call`
 * (`filter`, `invalidationFilter`, `invalidations`). */
export function runHandler(call, handler, ctx) {
  running.call = call;
  try {
    return handler(ctx);
  } finally {
    running.call = null;
  }
}
