// @aws-amplify/amplify-appsync-simulator serving classchat's AppSync schema, wired as
// template.yaml wires the API. The simulator runs VTL resolvers only, and knows neither
// AWS_LAMBDA authorization, nor enhanced subscription filters, nor invalidation, so this
// fills those in, from AppSync's documentation and apart from the simulator's own code:
// each resolver file runs on the APPSYNC_JS stand-in (runtime.js) behind a pass-through VTL
// resolver; the authorizer stand-in (functions.js) decides where the simulator decides the
// authorization mode; subscriptions deliver through the enhanced filter their resolver set;
// the invalidations the mutations ask for end the matching subscriptions; and the real-time
// server answers refusals, server-ended subscriptions and keep-alives as AppSync does.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { AmplifyAppSyncSimulator, addDataLoader } from '@aws-amplify/amplify-appsync-simulator';
import { authorizer, chatService } from './functions.js';
import { ResolverError, loadResolver, matches, runHandler } from './runtime.js';
import { SCHEMA_TEXT, templateResolvers } from './sources.js';

const require = createRequire(import.meta.url);
const STARTED = Symbol('the subscription resolver\'s filters');
const live = new Set(); // running subscriptions: { field, invalidationFilter, end }
const simulatorModule = (file) => require(`@aws-amplify/amplify-appsync-simulator/lib/${file}`);
const { TemplateSentError } = simulatorModule('velocity/util/errors.js');
const { extractHeader } = simulatorModule('utils/auth-helpers/helpers.js');

/** The identity AppSync hands a resolver: the authorizer's resolverContext, or the IAM
 * caller. */
function identityOf(context) {
  if (context.requestAuthorizationMode === 'AWS_IAM') return { accountId: '123456789012', userArn: context.iamToken?.userArn };
  return { resolverContext: authorizer({ authorizationToken: extractHeader(context.headers, 'Authorization') }).resolverContext };
}

/** Runs one handler of a resolver file; util.error becomes the GraphQL error AppSync would
 * answer. */
function runResolverHandler(call, handler, ctx, info) {
  try {
    return runHandler(call, handler, ctx);
  } catch (error) {
    if (!(error instanceof ResolverError)) throw error;
    throw new TemplateSentError(error.message, error.errorType, error.data, error.errorInfo, info);
  }
}

/** A data source of the simulator that runs one APPSYNC_JS resolver file against its data
 * source: the Lambda stand-in or none. */
class AppSyncJsDataSource {
  constructor(config) {
    this.config = config;
  }

  async load(_vtl, { source, args, context, info }) {
    const { resolver, dataSource } = this.config;
    const ctx = {
      arguments: args,
      args,
      source,
      identity: identityOf(context),
      info: { fieldName: info.fieldName, parentTypeName: info.parentType.name, variables: info.variableValues },
      request: { headers: context.headers },
      stash: {},
    };
    const call = { filter: null, invalidationFilter: null, invalidations: [] };
    const request = runResolverHandler(call, resolver.request, ctx, info);
    if (dataSource === 'AWS_LAMBDA') {
      assert.equal(request.operation, 'Invoke');
      // The function gets the payload as JSON, as Lambda would.
      ctx.result = chatService(JSON.parse(JSON.stringify(request.payload)));
    } else {
      ctx.result = request.payload ?? null;
    }
    const result = runResolverHandler(call, resolver.response, ctx, info);
    if (info.parentType.name === 'Subscription') context[STARTED] = call;
    for (const invalidation of call.invalidations) invalidate(invalidation);
    return result;
  }
}
addDataLoader('APPSYNC_JS', AppSyncJsDataSource);

/** Ends the live subscriptions of a field whose invalidation filter matches the payload. */
function invalidate({ subscriptionField, payload }) {
  for (const subscription of live) {
    if (subscription.field === subscriptionField && matches(subscription.invalidationFilter, payload)) subscription.end();
  }
}

/** A subscription's event stream: what the mutations that feed it publish, through the
 * enhanced filter its resolver set, until it is stopped or invalidated. */
function filteredStream(pubsub, field, { filter, invalidationFilter }) {
  const source = pubsub.asyncIterator(field);
  const entry = { field, invalidationFilter, ended: false };
  entry.end = () => {
    entry.ended = true;
    live.delete(entry);
    source.return();
  };
  live.add(entry);
  const done = { value: undefined, done: true };
  return {
    async next() {
      for (;;) {
        if (entry.ended) return done;
        const item = await source.next();
        if (item.done || entry.ended) return done;
        // With enhanced filters, AppSync ignores the subscription's arguments as filters.
        if (matches(filter, item.value)) return item;
      }
    },
    async return() {
      entry.end();
      return done;
    },
    async throw(error) {
      entry.end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export async function startSimulator() {
  // Where the simulator decides the authorization mode, the authorizer decides: a SigV4
  // request is IAM; anything else is the token's, refused unless the authorizer says yes.
  const authModes = simulatorModule('utils/auth-helpers/current-auth-mode.js');
  authModes.getAuthorizationMode = (headers) => {
    const authorization = extractHeader(headers, 'Authorization');
    if (authorization?.startsWith('AWS4-HMAC-SHA256 ')) return 'AWS_IAM';
    if (!authorizer({ authorizationToken: authorization }).isAuthorized) throw new Error('UnauthorizedException: the token was refused');
    return 'AWS_LAMBDA';
  };

  const resolvers = templateResolvers();
  const loaded = Object.fromEntries(await Promise.all(Object.entries(resolvers).map(async ([field, r]) => [field, { ...r, resolver: await loadResolver(r.file) }])));
  // Port 0: the simulator takes a free port (it probes from 8900 up).
  const simulator = new AmplifyAppSyncSimulator({ port: 0, wsPort: 0 });
  simulator.init({
    schema: { path: 'schema.graphql', content: SCHEMA_TEXT },
    appSync: {
      name: 'classchat',
      defaultAuthenticationType: { authenticationType: 'AWS_LAMBDA', lambdaAuthorizerConfig: { AuthorizerUri: 'classchat-appsync-authorizer' } },
      additionalAuthenticationProviders: [{ authenticationType: 'AWS_IAM' }],
    },
    dataSources: Object.entries(loaded).map(([field, { resolver, dataSource }]) => ({ type: 'APPSYNC_JS', name: field.replace('.', '_'), resolver, dataSource })),
    resolvers: Object.keys(loaded).map((field) => {
      const [typeName, fieldName] = field.split('.');
      // The simulator's resolvers are VTL: these pass everything to the data source above.
      return { kind: 'UNIT', typeName, fieldName, dataSourceName: field.replace('.', '_'), requestMappingTemplate: '{}', responseMappingTemplate: '$util.toJson($ctx.result)' };
    }),
  });
  // Subscriptions deliver through their resolver's enhanced filter (which the simulator
  // knows nothing of) rather than its argument matching.
  for (const field of Object.values(simulator.schema.getSubscriptionType().getFields())) {
    field.subscribe = (_source, _args, context) => {
      if (context.appsyncErrors.length) throw new Error('Subscription failed');
      const started = context[STARTED];
      assert.ok(started?.filter, `${field.name}'s resolver sets an enhanced filter`);
      assert.ok(started.invalidationFilter, `${field.name}'s resolver sets an invalidation filter`);
      return filteredStream(simulator.pubsub, field.name, started);
    };
  }
  const realtime = simulator._server._realTimeSubscriptionServer.realtimeServer;
  // A `start` whose token the authorizer refuses gets an `error`, as from AppSync, where
  // the simulator would drop the rejection.
  const start = realtime.options.onSubscribeHandler;
  realtime.options.onSubscribeHandler = async (...args) => {
    try {
      return await start(...args);
    } catch (error) {
      return { errors: [{ errorType: 'UnauthorizedException', message: error.message }] };
    }
  };
  // A subscription the server ends (invalidation) is told so with `complete`, as AppSync
  // tells its client; one the client stopped already got its `complete`.
  realtime.attachAsyncIterator = async (connection, subscription) => {
    for (;;) {
      const { value, done } = await subscription.asyncIterator.next();
      if (done) break;
      realtime.sendMessage(connection, subscription.id, 'data', value);
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (connection.subscriptions.get(subscription.id) === subscription) {
      connection.subscriptions.delete(subscription.id);
      realtime.sendMessage(connection, subscription.id, 'complete', undefined);
    }
  };
  // AppSync sends `ka` at once and then periodically; the simulator's four-minute timers
  // (two per connection, one never cleared) would keep this process alive.
  realtime.setupPing = (connection) => {
    clearInterval(connection.pingIntervalHandle);
    realtime.sendMessage(connection, undefined, 'ka', undefined);
    connection.pingIntervalHandle = setInterval(() => realtime.sendMessage(connection, undefined, 'ka', undefined), 60_000).unref();
  };
  await simulator.start();
  const base = simulator.localhostUrl;
  return {
    simulator,
    graphqlUrl: `${base}/graphql`,
    // AppSync's is wss://<id>.appsync-realtime-api.<region>.amazonaws.com/graphql.
    realtimeUrl: `${base.replace('http', 'ws')}/graphql/realtime`,
    stop: async () => {
      await simulator.stop();
      simulator._server._httpServer.closeAllConnections();
    },
  };
}
