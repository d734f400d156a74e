// AppSync, offline: the AppSync twin of classchat's GraphQL API (appsync/ and the AppSync
// section of template.yaml), checked without AWS and without the network.
//
// - The schema parses and validates with npm `graphql`, given AppSync's scalars and
//   directives, and keeps the types and fields of the server's schema.
// - The resolvers pass @aws-appsync/eslint-plugin (its recommended rules, with type
//   information) and type-check against @aws-appsync/utils.
// - @aws-amplify/amplify-appsync-simulator serves the schema, wired as template.yaml wires
//   it, to subscribers speaking AppSync's real-time protocol; what classchat publishes
//   reaches the participants and nobody else, and the invalidation mutations end
//   subscriptions.
// - The publish and invalidation calls are classchat's own: its publisher
//   (crates/lambda/src/appsync/publisher.rs, what the deployment's hub runs), driven through
//   the `appsync-publish` example (target/debug/examples/appsync-publish, built by
//   `cargo build --workspace --all-targets --locked`), one hub event or revocation per line.
//   A recording hop between it and the simulator checks its SigV4 signatures and that the
//   API ran each call without errors (the publisher, best effort, only logs a refusal). Only
//   `endExpiredSessions`, which EventBridge's schedule calls, is signed here.
//
// The simulator runs VTL resolvers only, and knows neither AWS_LAMBDA authorization, nor
// enhanced subscription filters, nor invalidation. So this file supplies, from AppSync's
// documentation and clearly apart from the simulator: a stand-in of the APPSYNC_JS runtime
// that runs the real resolver files inside the simulator's resolvers; the authorizer's
// decision where the simulator decides the authorization mode; the evaluation of the filters
// the resolvers set; the invalidation the mutations ask for. The simulator cannot invoke Rust
// Lambda functions, so the authorizer and the Lambda data source are still small JS
// stand-ins implementing the contract of appsync/README.md; their Rust implementations
// (classchat-appsync-authorizer, classchat-appsync) are tested against the same contract in
// crates/lambda/tests/handlers/appsync.rs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildSchema, parse, validate, validateSchema, getNamedType, isObjectType, isInputObjectType, isEnumType, isUnionType } from 'graphql';
import { ESLint } from 'eslint';
import appsyncLint from '@aws-appsync/eslint-plugin';
import ts from 'typescript';
import YAML from 'yaml';
import WebSocket from 'ws';
import { AmplifyAppSyncSimulator, addDataLoader } from '@aws-amplify/amplify-appsync-simulator';
import { ROOT, JWT_SECRET } from '../lib/harness.js';

const require = createRequire(import.meta.url);
const APPSYNC = path.join(ROOT, 'appsync');
const RESOLVERS = path.join(APPSYNC, 'resolvers');
const SCHEMA_TEXT = readFileSync(path.join(APPSYNC, 'schema.graphql'), 'utf8');
const README = readFileSync(path.join(APPSYNC, 'README.md'), 'utf8');
const TIMEOUT = 10_000;

// --- AppSync's built-in scalars and directives, which its schemas use undeclared ----------

const APPSYNC_PRELUDE = `
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_subscribe(mutations: [String!]) on FIELD_DEFINITION
directive @aws_publish(subscriptions: [String!]) on FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String!]!) on FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String!]) on FIELD_DEFINITION | OBJECT
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
`;

const appsyncSchema = () => buildSchema(`${APPSYNC_PRELUDE}\n${SCHEMA_TEXT}`);
const directiveNames = (node) => (node?.astNode?.directives ?? []).map((d) => d.name.value);

// --- template.yaml, parsed with CloudFormation's short tags ------------------------------

const CFN_TAGS = ['Ref', 'GetAtt', 'Sub', 'If', 'Equals', 'Join', 'Select', 'Split', 'Not', 'And', 'Or', 'FindInMap', 'Base64', 'ImportValue', 'GetAZs']
  .flatMap((name) => [undefined, 'seq', 'map'].map((collection) => ({
    tag: `!${name}`,
    ...(collection ? { collection } : {}),
    resolve: (value) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value?.toJSON ? value.toJSON() : value }),
  })));
const TEMPLATE = YAML.parse(readFileSync(path.join(ROOT, 'template.yaml'), 'utf8'), { customTags: CFN_TAGS });
const resourcesOf = (type) => Object.entries(TEMPLATE.Resources).filter(([, resource]) => resource.Type === type);

/** template.yaml's resolvers: field → { file, dataSource: 'AWS_LAMBDA' | 'NONE' }. */
function templateResolvers() {
  const sources = Object.fromEntries(resourcesOf('AWS::AppSync::DataSource').map(([name, r]) => [name, r.Properties.Type]));
  return Object.fromEntries(resourcesOf('AWS::AppSync::Resolver').map(([name, { Properties: p }]) => {
    const [source, attribute] = p.DataSourceName['Fn::GetAtt'].split('.');
    assert.equal(attribute, 'Name', name);
    assert.deepEqual(p.Runtime, { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' }, name);
    assert.equal(p.Kind, 'UNIT', name);
    return [`${p.TypeName}.${p.FieldName}`, { file: path.join(ROOT, p.CodeS3Location), dataSource: sources[source] }];
  }));
}

// --- The operations appsync/README.md documents --------------------------------------

/** The GraphQL document of README's ```graphql block that starts with `# <name>`. */
function documented(name) {
  const blocks = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((text) => text.startsWith(`# ${name}\n`));
  assert.ok(block, `appsync/README.md documents ${name}`);
  return block;
}

// --- Tokens, as classchat's server signs them ----------------------------------------

function token(sub, role, { seconds = 3600, exp } = {}) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub, role, iat: now, exp: exp ?? now + seconds, ver: 0 })}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}

/** Unix seconds as the contract writes instants: `YYYY-MM-DDThh:mm:ssZ`. */
const isoSeconds = (unixSeconds) => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

// =========================================================================================
// The schema
// =========================================================================================

test('the AppSync schema parses and validates, given AppSync scalars and directives', () => {
  const schema = appsyncSchema();
  assert.deepEqual(validateSchema(schema).map(String), []);

  // AppSync's parser has refused block-string descriptions, and comments inside an enum.
  const document = parse(SCHEMA_TEXT);
  const described = document.definitions.flatMap((d) => [d, ...(d.fields ?? []), ...(d.values ?? [])]).filter((n) => n.description);
  assert.deepEqual(described.map((n) => n.name.value), []);
  for (const [, body] of SCHEMA_TEXT.matchAll(/^enum \w+ \{([^}]*)\}/gm)) assert.doesNotMatch(body, /#/);

  // Each subscription returns the type of the mutations that feed it, which only the
  // backend (IAM) may call; a subscription is nullable (its resolver answers null).
  const mutations = schema.getMutationType().getFields();
  for (const field of Object.values(schema.getSubscriptionType().getFields())) {
    const subscribe = field.astNode.directives.find((d) => d.name.value === 'aws_subscribe');
    assert.ok(subscribe, `${field.name} has @aws_subscribe`);
    const fed = subscribe.arguments[0].value.values.map((v) => v.value);
    assert.ok(fed.length > 0);
    for (const name of fed) {
      assert.ok(mutations[name], `${field.name} is fed by ${name}, which exists`);
      assert.equal(getNamedType(mutations[name].type).name, getNamedType(field.type).name, `${name} returns ${field.name}'s type`);
      assert.deepEqual(directiveNames(mutations[name]), ['aws_iam'], `${name} is for the backend only`);
    }
    assert.equal(field.type.toString(), getNamedType(field.type).name, `${field.name} is nullable`);
  }
  for (const name of ['publishMessage', 'publishInboxEvent', 'endUserSessions', 'endLink', 'endExpiredSessions']) {
    assert.deepEqual(directiveNames(mutations[name]), ['aws_iam'], name);
  }

  // What an IAM-signed mutation returns must allow IAM, type by type (a mode named on a
  // type replaces the default for its fields), and still allow the subscribers' mode.
  const seen = new Set();
  const visit = (type) => {
    const named = getNamedType(type);
    if (seen.has(named.name)) return;
    seen.add(named.name);
    if (isUnionType(named)) named.getTypes().forEach(visit);
    if (!isObjectType(named)) return;
    assert.ok(directiveNames(named).includes('aws_iam'), `${named.name} allows IAM`);
    Object.values(named.getFields()).forEach((f) => visit(f.type));
  };
  Object.values(mutations).filter((m) => directiveNames(m).includes('aws_iam')).forEach((m) => visit(m.type));
  for (const name of seen) {
    const type = schema.getType(name);
    if (isObjectType(type) && name !== 'Invalidation') assert.ok(directiveNames(type).includes('aws_lambda'), `${name} allows the token`);
  }
});

test('the AppSync schema keeps the server schema\'s types and fields, but where AppSync differs', () => {
  const server = buildSchema(readFileSync(path.join(ROOT, 'crates/graphql/schema.graphql'), 'utf8'));
  const twin = appsyncSchema();
  // The documented differences (appsync/README.md): subscriptions are nullable and `inbox`
  // delivers its event inside an envelope that carries the recipients for the filter.
  const DIFFERENT = {
    'Subscription.messageAdded': ['Message!', 'Message'],
    'Subscription.inbox': ['InboxEvent!', 'InboxDelivery'],
  };
  for (const type of Object.values(server.getTypeMap()).filter((t) => !t.name.startsWith('__'))) {
    const counterpart = twin.getType(type.name);
    assert.ok(counterpart, `${type.name} exists on AppSync`);
    assert.equal(counterpart.constructor, type.constructor, type.name);
    if (isEnumType(type)) assert.deepEqual(counterpart.getValues().map((v) => v.name), type.getValues().map((v) => v.name));
    if (isUnionType(type)) assert.deepEqual(counterpart.getTypes().map(String), type.getTypes().map(String));
    if (!isObjectType(type) && !isInputObjectType(type)) continue;
    const theirs = counterpart.getFields();
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      assert.ok(theirs[field.name], `${name} exists on AppSync`);
      const expected = DIFFERENT[name] ?? [String(field.type), String(field.type)];
      assert.equal(String(field.type), expected[0], name);
      assert.equal(String(theirs[field.name].type), expected[1], name);
      const args = (f) => (f.args ?? []).map((a) => `${a.name}: ${a.type}`);
      assert.deepEqual(args(theirs[field.name]), args(field), `${name}'s arguments`);
    }
  }
});

test('template.yaml gives every root field one resolver file, on the right data source', () => {
  const schema = appsyncSchema();
  const resolvers = templateResolvers();
  const roots = ['Query', 'Mutation', 'Subscription'].flatMap((t) => Object.keys(schema.getType(t).getFields()).map((f) => `${t}.${f}`));
  assert.deepEqual(Object.keys(resolvers).sort(), roots.sort());
  const files = new Set(Object.values(resolvers).map((r) => r.file));
  assert.deepEqual([...files].sort(), readdirSync(RESOLVERS).map((f) => path.join(RESOLVERS, f)).sort(), 'no resolver file is unused');
  for (const [field, { file, dataSource }] of Object.entries(resolvers)) {
    assert.ok(existsSync(file), file);
    const [typeName, fieldName] = field.split('.');
    const backendOnly = directiveNames(schema.getType(typeName).getFields()[fieldName]).includes('aws_iam');
    // Backend mutations and `inbox` need no function; every other field is ChatService's.
    const local = backendOnly || field === 'Subscription.inbox';
    assert.equal(dataSource, local ? 'NONE' : 'AWS_LAMBDA', field);
  }
  const [[, api]] = resourcesOf('AWS::AppSync::GraphQLApi');
  assert.equal(api.Properties.AuthenticationType, 'AWS_LAMBDA');
  assert.deepEqual(api.Properties.AdditionalAuthenticationProviders, [{ AuthenticationType: 'AWS_IAM' }]);
  assert.equal(api.Properties.LambdaAuthorizerConfig.AuthorizerResultTtlInSeconds, 0, 'revocation is at once');
  const authorizer = api.Properties.LambdaAuthorizerConfig.IdentityValidationExpression;
  assert.match(`Bearer ${token('alice', 'student')}`, new RegExp(authorizer));
  assert.match(token('alice', 'student'), new RegExp(authorizer));
  assert.doesNotMatch('Basic YWxpY2U6cHc=', new RegExp(authorizer));

  // The operations the backend and the schedule send are valid against the schema.
  const [[, schedule]] = resourcesOf('AWS::Events::Rule');
  const operations = [
    ...['publishMessage', 'publishInboxEvent', 'endUserSessions', 'endLink', 'messageAdded', 'inbox'].map(documented),
    schedule.Properties.Targets[0].AppSyncParameters.GraphQLOperation,
  ];
  for (const operation of operations) assert.deepEqual(validate(schema, parse(operation)).map(String), [], operation);
});

// =========================================================================================
// The resolvers: AppSync's lint rules and its runtime's types
// =========================================================================================

test('the resolvers pass @aws-appsync/eslint-plugin and type-check against @aws-appsync/utils', async () => {
  const files = readdirSync(RESOLVERS).filter((f) => f.endsWith('.js')).map((f) => path.join(RESOLVERS, f));
  assert.ok(files.length >= 8);
  // The plugin's rules need type information: a TypeScript program of the resolvers, with
  // @aws-appsync/utils (the runtime's types) where AppSync's bundling would find it.
  const options = {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    baseUrl: ROOT,
    paths: { '@aws-appsync/utils': ['e2e/node_modules/@aws-appsync/utils/lib/index.d.ts'] },
    types: [],
  };
  const probeFile = path.join(RESOLVERS, 'lint-probe.js');
  const probe = 'export function request(ctx) { while (ctx.stash.more) { ctx.stash.more = false; } try { return {}; } catch (e) { return null; } }\n';
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, ...rest) => (name === probeFile ? ts.createSourceFile(name, probe, ts.ScriptTarget.ES2020, true) : getSourceFile(name, ...rest));
  host.fileExists = ((exists) => (name) => name === probeFile || exists(name))(host.fileExists.bind(host));
  const program = ts.createProgram([...files, probeFile], options, host);
  const resolverDiagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName !== probeFile);
  assert.deepEqual(resolverDiagnostics.map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`), []);
  assert.ok(program.getSourceFiles().some((f) => f.fileName.includes('@aws-appsync/utils/lib/index.d.ts')), 'the runtime types are found');

  const { recommended } = appsyncLint.configs;
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [{
      ...recommended,
      files: ['**/*.js'],
      languageOptions: { ...recommended.languageOptions, parserOptions: { programs: [program] } },
    }],
  });
  const results = await eslint.lintFiles(files);
  const problems = results.flatMap((r) => r.messages.map((m) => `${path.basename(r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`));
  assert.deepEqual(problems, []);
  assert.equal(results.length, files.length);
  // The rules are live: what the runtime lacks (while loops, try) is reported.
  const [probed] = await eslint.lintText(probe, { filePath: probeFile });
  const rules = new Set(probed.messages.map((m) => m.ruleId));
  assert.ok(rules.has('@aws-appsync/no-while') && rules.has('@aws-appsync/no-try'), JSON.stringify(probed.messages));
});

// =========================================================================================
// A stand-in of the APPSYNC_JS runtime (the simulator runs VTL only)
// =========================================================================================

const UTILS = Symbol.for('classchat.appsync-utils');
const running = { call: null }; // the resolver handler running now, and its extension calls

/** An error a handler raised with util.error: AppSync answers it as a GraphQL error. */
class ResolverError extends Error {
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
async function loadResolver(file) {
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
function matches(filter, payload) {
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

// =========================================================================================
// Stand-ins of the two Rust functions, implementing appsync/README.md's contract (the
// simulator cannot invoke them; crates/lambda/tests/handlers/appsync.rs tests the real ones)
// =========================================================================================

const SCHOOL = {
  alice: { role: 'STUDENT', name: 'Alice Martin' },
  bob: { role: 'STUDENT', name: 'Bob Stone' },
  'ms.rivera': { role: 'TEACHER', name: 'Ms Rivera (Maths)' },
};
const LINKS = [['ms.rivera', 'alice'], ['ms.rivera', 'bob']];
const DISABLED = new Set();

/** classchat-appsync-authorizer's answer to AppSync's request (the Rust function does this
 * in the deployment): the token's signature and expiry, then the user as stored now. */
function authorizer({ authorizationToken }) {
  const refused = { isAuthorized: false, ttlOverride: 0 };
  const jwt = String(authorizationToken ?? '').replace(/^bearer +/i, '');
  const [header, body, signature] = jwt.split('.');
  if (!signature || createHmac('sha256', JWT_SECRET).update(`${header}.${body}`).digest('base64url') !== signature) return refused;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  if (!(Date.now() / 1000 < claims.exp) || !SCHOOL[claims.sub] || DISABLED.has(claims.sub)) return refused;
  return {
    isAuthorized: true,
    ttlOverride: 0,
    resolverContext: {
      userId: claims.sub,
      role: SCHOOL[claims.sub].role.toLowerCase(),
      tokenVersion: String(claims.ver ?? 0),
      expiresAt: isoSeconds(claims.exp),
    },
  };
}

/** classchat-appsync's answer to the Lambda data source's event (the Rust function, with
 * ChatService, does this in the deployment): only what the tests below ask of it. */
function chatService({ field, arguments: args, identity }) {
  const caller = identity.resolverContext.userId;
  switch (field) {
    case 'Query.me':
      return { data: { userId: caller, displayName: SCHOOL[caller].name, role: SCHOOL[caller].role } };
    case 'Subscription.messageAdded': {
      const pair = args.conversationId.split('+');
      const student = pair.find((id) => SCHOOL[id]?.role === 'STUDENT');
      const teacher = pair.find((id) => SCHOOL[id]?.role === 'TEACHER');
      const linked = LINKS.some(([t, s]) => t === teacher && s === student);
      if (!pair.includes(caller) || !linked) {
        return { error: { code: 'forbidden', message: 'only the participants follow a conversation live' } };
      }
      return { data: { conversationId: `${student}+${teacher}` } };
    }
    default:
      return { error: { code: 'internal', message: `${field} is not part of this stand-in` } };
  }
}

// =========================================================================================
// The simulator, wired as template.yaml wires the API
// =========================================================================================

const IAM = { accessKeyId: 'AKIDCLASSCHATTEST', secretAccessKey: 'classchat-test-secret', sessionToken: 'classchat-test-session', region: 'eu-west-1' };
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

/** Runs one handler of a resolver file, collecting its extension calls; util.error becomes
 * the GraphQL error AppSync would answer. */
function runHandler(call, handler, ctx, info) {
  running.call = call;
  try {
    return handler(ctx);
  } catch (error) {
    if (!(error instanceof ResolverError)) throw error;
    throw new TemplateSentError(error.message, error.errorType, error.data, error.errorInfo, info);
  } finally {
    running.call = null;
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
    const request = runHandler(call, resolver.request, ctx, info);
    if (dataSource === 'AWS_LAMBDA') {
      assert.equal(request.operation, 'Invoke');
      // The function gets the payload as JSON, as Lambda would.
      ctx.result = chatService(JSON.parse(JSON.stringify(request.payload)));
    } else {
      ctx.result = request.payload ?? null;
    }
    const result = runHandler(call, resolver.response, ctx, info);
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

async function startSimulator() {
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

// =========================================================================================
// Calls to the API signed with IAM: classchat's own publisher, and EventBridge's schedule
// =========================================================================================

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const hmac = (key, text) => createHmac('sha256', key).update(text).digest();

/** The SigV4 signature (service `appsync`, the test's credentials) of a POST to `pathname`
 * with `headers` (lower-case names, all of them signed) and `payload`. */
function signature(pathname, headers, payload) {
  const amzDate = headers['x-amz-date'];
  const scope = `${amzDate.slice(0, 8)}/${IAM.region}/appsync/aws4_request`;
  const names = Object.keys(headers).sort();
  const canonical = ['POST', pathname, '', ...names.map((n) => `${n}:${String(headers[n]).trim()}`), '', names.join(';'), sha256(payload)].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = ['appsync', 'aws4_request'].reduce(hmac, hmac(hmac(`AWS4${IAM.secretAccessKey}`, amzDate.slice(0, 8)), IAM.region));
  return { scope, signedHeaders: names.join(';'), signature: createHmac('sha256', key).update(toSign).digest('hex') };
}

/** POSTs `body` to the GraphQL URL as the stack's EventBridge rule does with its role (the
 * AppSync target of the `endExpiredSessions` schedule): JSON, signed with SigV4 for the
 * service `appsync`. Nothing of classchat's makes this call. */
async function callAsEventBridge(url, body) {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const headers = { 'content-type': 'application/json', host: target.host, 'x-amz-date': amzDate, 'x-amz-security-token': IAM.sessionToken };
  const signed = signature(target.pathname, headers, payload);
  const authorization = `AWS4-HMAC-SHA256 Credential=${IAM.accessKeyId}/${signed.scope}, SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}`;
  const { host: _host, ...sent } = headers;
  const response = await fetch(url, { method: 'POST', headers: { ...sent, authorization }, body: payload });
  assert.equal(response.status, 200, `EventBridge's call: ${response.status}`);
  return response.json();
}

/** What is wrong with the SigV4 signature of a request classchat's publisher made (the
 * simulator checks none), as appsync/README.md describes it; null if nothing. */
function signatureProblem(pathname, headers, payload) {
  const authorization = /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
  if (!authorization) return `not a SigV4 authorization: ${headers.authorization}`;
  const [, accessKeyId, scope, signedHeaders, sent] = authorization;
  if (accessKeyId !== IAM.accessKeyId) return `signed with ${accessKeyId}, not the environment's credentials`;
  if (headers['x-amz-security-token'] !== IAM.sessionToken) return 'without the session token';
  const names = signedHeaders.split(';');
  for (const name of ['content-type', 'host', 'x-amz-date', 'x-amz-security-token']) {
    if (!names.includes(name)) return `${name} is not signed (SignedHeaders=${signedHeaders})`;
  }
  const expected = signature(pathname, Object.fromEntries(names.map((n) => [n, headers[n]])), payload);
  if (scope !== expected.scope) return `scope ${scope}, not ${expected.scope}`;
  return sent === expected.signature ? null : 'the signature does not verify';
}

/** The operations classchat's backend sends, by the name of their appsync/README.md block. */
const BACKEND_OPERATIONS = ['publishMessage', 'publishInboxEvent', 'endUserSessions', 'endLink'];
const withoutComment = (document) => document.replace(/^#.*\n/, '').trim();

/** An HTTP hop between classchat's publisher and the simulator that records each call and
 * the API's answer (the publisher, best effort as in the deployment, only logs a refusal,
 * and the example sets up no logging), and checks its signature. */
class RecordingEndpoint {
  static async start(graphqlUrl) {
    const endpoint = new RecordingEndpoint(new URL(graphqlUrl));
    await new Promise((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    endpoint.url = `http://127.0.0.1:${endpoint.server.address().port}${endpoint.upstream.pathname}`;
    return endpoint;
  }

  constructor(upstream) {
    Object.assign(this, { upstream, calls: [] });
    this.server = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const payload = Buffer.concat(chunks).toString();
        const forwarded = http.request(upstream, { method: request.method, headers: request.headers }, (answer) => {
          const parts = [];
          answer.on('data', (chunk) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts).toString();
            // Recorded before the publisher has its answer, so before its line's answer.
            this.calls.push(this.record(request, payload, answer.statusCode, text));
            response.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
            response.end(text);
          });
        });
        forwarded.on('error', (error) => {
          response.writeHead(502);
          response.end(String(error));
        });
        forwarded.end(payload);
      });
    });
  }

  record(request, payload, status, text) {
    const parsed = (json) => {
      try {
        return JSON.parse(json);
      } catch {
        return json;
      }
    };
    const body = parsed(payload);
    const operation = BACKEND_OPERATIONS.find((name) => withoutComment(documented(name)) === withoutComment(String(body?.query)));
    return {
      path: request.url,
      operation: operation ?? `not a documented operation: ${body?.query}`,
      variables: body?.variables,
      signatureProblem: signatureProblem(new URL(request.url, 'http://x').pathname, request.headers, payload),
      status,
      answer: parsed(text),
    };
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const PUBLISHER = path.join(ROOT, 'target/debug/examples/appsync-publish');
const publisherProcesses = new Set();
process.on('exit', () => publisherProcesses.forEach((child) => child.kill('SIGKILL')));

/** classchat's publisher (crates/lambda/src/appsync/publisher.rs, as the deployment's hub
 * runs it) through its `appsync-publish` example: one JSON command per stdin line, one
 * answer per stdout line, `{"ok":true}` or `{"error":"…"}`. */
class ClasschatPublisher {
  static start(graphqlUrl) {
    assert.ok(existsSync(PUBLISHER), `${path.relative(ROOT, PUBLISHER)} is missing: build it with \`cargo build --workspace --all-targets --locked\` (scripts/e2e does) and run again`);
    const child = spawn(PUBLISHER, [graphqlUrl, IAM.region], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: IAM.accessKeyId, AWS_SECRET_ACCESS_KEY: IAM.secretAccessKey, AWS_SESSION_TOKEN: IAM.sessionToken },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new ClasschatPublisher(child);
  }

  constructor(child) {
    Object.assign(this, { child, waiting: [], ended: null });
    publisherProcesses.add(child);
    const end = (why) => {
      this.ended ??= why;
      publisherProcesses.delete(child);
      this.waiting.splice(0).forEach(({ reject }) => reject(new Error(`appsync-publish ${why}`)));
    };
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(end(`exited (${code ?? signal})`))));
    child.once('error', (error) => end(`failed: ${error.message}`));
    child.stdin.on('error', () => {}); // the process is gone: `close` says so
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
  }

  /** Writes one command; its answer. An answer that does not come kills the process, so no
   * later answer is taken for another command's. */
  command(command, timeout = TIMEOUT) {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error(`appsync-publish ${this.ended}`));
      const timer = setTimeout(() => {
        reject(new Error(`appsync-publish did not answer ${JSON.stringify(command)}`));
        this.child.kill('SIGKILL');
      }, timeout);
      this.waiting.push({
        resolve: (line) => { clearTimeout(timer); resolve(JSON.parse(line)); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  /** Closes its input (it exits at the end of it), killing it if it has not exited soon. */
  async stop() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

// =========================================================================================
// A subscriber speaking AppSync's real-time protocol
// =========================================================================================

/** One WebSocket, as AppSync's documentation describes the protocol: the authorization
 * header base64-encoded in the query string, subprotocol `graphql-ws`, `connection_init`,
 * `start` with the query as JSON text and the authorization again, `start_ack`, `data`,
 * `ka`, `complete`, `error`. */
class RealtimeSubscriber {
  static async connect(realtimeUrl, graphqlHost, jwt) {
    const authorization = { host: graphqlHost, Authorization: jwt };
    const header = encodeURIComponent(Buffer.from(JSON.stringify(authorization)).toString('base64'));
    const socket = new WebSocket(`${realtimeUrl}?header=${header}&payload=e30=`, 'graphql-ws');
    const subscriber = new RealtimeSubscriber(socket, authorization);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await subscriber.waitFor('connection_ack', (m) => m.type === 'connection_ack');
    return subscriber;
  }

  constructor(socket, authorization) {
    Object.assign(this, { socket, authorization, messages: [], closed: null, nextId: 1 });
    socket.on('message', (data) => this.messages.push(JSON.parse(data)));
    this.closedAt = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  }

  async waitFor(what, predicate, timeout = TIMEOUT) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (this.socket.readyState === WebSocket.CLOSED || Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sends `start`; resolves with the subscription once AppSync acknowledged it (or with the
   * error it answered instead). */
  async subscribe(query, variables = {}) {
    const id = `sub-${this.nextId++}`;
    this.socket.send(JSON.stringify({
      id,
      type: 'start',
      payload: { data: JSON.stringify({ query, variables }), extensions: { authorization: this.authorization } },
    }));
    const answer = await this.waitFor(`start_ack of ${id}`, (m) => m.id === id && (m.type === 'start_ack' || m.type === 'error'));
    return {
      id,
      answer,
      data: () => this.messages.filter((m) => m.id === id && m.type === 'data').map((m) => m.payload),
      completed: () => this.messages.some((m) => m.id === id && m.type === 'complete'),
    };
  }

  close() {
    this.socket.terminate();
  }
}

// =========================================================================================
// The tests against the simulator
// =========================================================================================

let api;
let endpoint;
let publisher;
const subscribers = [];
before(async () => {
  api = await startSimulator();
  endpoint = await RecordingEndpoint.start(api.graphqlUrl);
  publisher = ClasschatPublisher.start(endpoint.url);
});
after(async () => {
  await publisher?.stop();
  await endpoint?.stop();
  subscribers.forEach((s) => s.close());
  await api?.stop();
});

async function subscriber(jwt) {
  const connected = await RealtimeSubscriber.connect(api.realtimeUrl, new URL(api.graphqlUrl).host, jwt);
  subscribers.push(connected);
  return connected;
}

async function eventually(what, check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

let sequence = 0;
function message(conversationId, author, messageBody) {
  sequence += 1;
  return {
    // A ULID (26 characters of Crockford's base32), as classchat stores them.
    messageId: `01JTEST${String(sequence).padStart(19, '0')}`,
    conversationId,
    timestamp: new Date(Date.UTC(2026, 0, 1, 9, 0, sequence)).toISOString().replace('Z', '000Z'),
    author,
    messageBody,
    clientMessageId: null,
  };
}

/** Has classchat's publisher handle one command (a hub event with its recipients, or a
 * revocation); the calls it made, each checked: signed as appsync/README.md says, one of
 * its documents, and run by the API without errors. */
async function publish(command) {
  const from = endpoint.calls.length;
  const answer = await publisher.command(command);
  assert.deepEqual(answer, { ok: true }, `appsync-publish's answer to ${JSON.stringify(command)}`);
  const calls = endpoint.calls.slice(from);
  for (const call of calls) {
    assert.equal(call.path, new URL(api.graphqlUrl).pathname);
    assert.ok(BACKEND_OPERATIONS.includes(call.operation), call.operation);
    assert.equal(call.signatureProblem, null, `${call.operation}'s signature`);
    assert.equal(call.status, 200, `${call.operation}: ${JSON.stringify(call.answer)}`);
    assert.equal(call.answer.errors, undefined, `${call.operation}: ${JSON.stringify(call.answer.errors)}`);
  }
  return calls;
}

/** What the send paths do after the commit (`Hub::publish` of the message): the message for
 * `messageAdded`, and the same message as an inbox event for the delivery's recipients. */
async function publishSent(stored, recipients) {
  const calls = await publish({ recipients, event: { message: stored } });
  assert.deepEqual(calls.map((c) => [c.operation, c.variables]), [
    ['publishMessage', { input: stored }],
    ['publishInboxEvent', { input: { recipients, message: stored } }],
  ]);
}

const bodies = (subscription, pick) => subscription.data().map(pick);
const addedBody = (payload) => payload.data.messageAdded.messageBody;
const inboxBody = (payload) => payload.data.inbox.event.message?.messageBody;

test('participants\' subscriptions get what classchat publishes; another student\'s get nothing', async () => {
  const alice = await subscriber(token('alice', 'student'));
  const teacher = await subscriber(token('ms.rivera', 'teacher'));
  const bob = await subscriber(token('bob', 'student'));
  // Either order names the conversation; the published message carries the canonical one.
  const aliceAdded = await alice.subscribe(documented('messageAdded'), { conversationId: 'ms.rivera+alice' });
  assert.equal(aliceAdded.answer.type, 'start_ack', JSON.stringify(aliceAdded.answer));
  const aliceInbox = await alice.subscribe(documented('inbox'));
  assert.equal(aliceInbox.answer.type, 'start_ack', JSON.stringify(aliceInbox.answer));
  const teacherAdded = await teacher.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });
  const teacherInbox = await teacher.subscribe(documented('inbox'));
  const bobInbox = await bob.subscribe(documented('inbox'));
  const bobAdded = await bob.subscribe(documented('messageAdded'), { conversationId: 'bob+ms.rivera' });
  assert.ok(alice.messages.some((m) => m.type === 'ka'), 'keep-alive');

  await publishSent(message('alice+ms.rivera', 'alice', 'hello from alice'), ['alice', 'ms.rivera']);
  await publishSent(message('alice+ms.rivera', 'ms.rivera', 'hello alice'), ['alice', 'ms.rivera']);
  await eventually('both messages at both participants', () => [aliceAdded, aliceInbox, teacherAdded, teacherInbox].every((s) => s.data().length === 2));
  await settle();

  for (const subscription of [aliceAdded, teacherAdded]) {
    assert.deepEqual(bodies(subscription, addedBody), ['hello from alice', 'hello alice']);
  }
  for (const subscription of [aliceInbox, teacherInbox]) {
    assert.deepEqual(bodies(subscription, inboxBody), ['hello from alice', 'hello alice']);
    assert.equal(subscription.data()[0].data.inbox.event.__typename, 'MessageEvent');
  }
  const [first] = aliceAdded.data();
  assert.equal(first.data.messageAdded.conversationId, 'alice+ms.rivera');
  assert.equal(first.data.messageAdded.author, 'alice');
  // Bob follows his own conversation and inbox: nothing of Alice's reaches him.
  assert.deepEqual(bobInbox.data(), []);
  assert.deepEqual(bobAdded.data(), []);

  // His own conversation does.
  await publishSent(message('bob+ms.rivera', 'ms.rivera', 'hello bob'), ['bob', 'ms.rivera']);
  await eventually('bob\'s message', () => bobAdded.data().length === 1 && bobInbox.data().length === 1);
  await settle();
  assert.equal(aliceInbox.data().length, 2, 'alice gets none of bob\'s');
  assert.equal(aliceAdded.data().length, 2);
  assert.equal(teacherInbox.data().length, 3, 'the teacher has both students');
  assert.equal(teacherAdded.data().length, 2, 'but follows one conversation');

  // Read markers, typing and presence reach exactly their recipients too.
  const events = [
    { recipients: ['alice', 'ms.rivera'], read: { conversationId: 'alice+ms.rivera', userId: 'ms.rivera', timestamp: '2026-01-01T09:00:02.000000Z' } },
    { recipients: ['ms.rivera'], typing: { conversationId: 'alice+ms.rivera', userId: 'alice' } },
    { recipients: ['alice', 'bob'], presence: { userId: 'ms.rivera', online: true } },
    { recipients: ['bob', 'ms.rivera'], link: { conversationId: 'bob+ms.rivera', linked: true } },
  ];
  for (const { recipients, ...event } of events) {
    const calls = await publish({ recipients, event });
    assert.deepEqual(calls.map((c) => [c.operation, c.variables]), [['publishInboxEvent', { input: { recipients, ...event } }]]);
  }
  await eventually('the other events', () => aliceInbox.data().length === 4 && teacherInbox.data().length === 6 && bobInbox.data().length === 3);
  await settle();
  const kinds = (s) => s.data().map((p) => p.data.inbox.event.__typename);
  assert.deepEqual(kinds(aliceInbox), ['MessageEvent', 'MessageEvent', 'ReadMarker', 'PresenceEvent']);
  assert.deepEqual(kinds(teacherInbox), ['MessageEvent', 'MessageEvent', 'MessageEvent', 'ReadMarker', 'TypingEvent', 'LinkEvent']);
  assert.deepEqual(kinds(bobInbox), ['MessageEvent', 'PresenceEvent', 'LinkEvent']);
  assert.equal(aliceAdded.data().length, 2, 'messageAdded carries messages only');
});

test('another student may not follow the conversation: forbidden', async () => {
  const bob = await subscriber(token('bob', 'student'));
  const refused = await bob.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });
  assert.equal(refused.answer.type, 'error');
  const [error] = refused.answer.payload.errors;
  assert.equal(error.errorType, 'forbidden');
  assert.deepEqual(error.errorInfo, { code: 'forbidden' });
  // Nor does publishing to that conversation reach him afterwards.
  await publishSent(message('alice+ms.rivera', 'alice', 'not for bob'), ['alice', 'ms.rivera']);
  await settle();
  assert.deepEqual(bob.messages.filter((m) => m.type === 'data'), []);
});

test('a refused token gets no connection; the publish mutations refuse the token', async () => {
  await assert.rejects(subscriber(token('alice', 'student', { seconds: -10 })), /no connection_ack/);
  await assert.rejects(subscriber('not-a-token'), /no connection_ack/);
  // A client (token) calling the backend's mutation: AppSync's field authorization refuses.
  const response = await fetch(api.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token('alice', 'student') },
    body: JSON.stringify({ query: documented('publishMessage'), variables: { input: message('alice+ms.rivera', 'alice', 'forged') } }),
  });
  const answer = await response.json();
  assert.equal(answer.errors[0].errorType, 'Unauthorized');
  // Queries reach ChatService with the caller's identity.
  const me = await fetch(api.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token('alice', 'student')}` },
    body: JSON.stringify({ query: '{ me { userId displayName role } }' }),
  });
  assert.deepEqual(await me.json(), { data: { me: { userId: 'alice', displayName: 'Alice Martin', role: 'STUDENT' } } });
});

test('ending a user\'s sessions ends their subscriptions, and only theirs', async () => {
  const alice = await subscriber(token('alice', 'student'));
  const teacher = await subscriber(token('ms.rivera', 'teacher'));
  const aliceAdded = await alice.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });
  const aliceInbox = await alice.subscribe(documented('inbox'));
  const teacherAdded = await teacher.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });

  DISABLED.add('alice');
  try {
    // `Hub::revoke(alice, AccountDisabled)`.
    const [ended, ...more] = await publish({ revoke: { userId: 'alice', reason: 'account_disabled' } });
    assert.deepEqual(more, []);
    assert.equal(ended.operation, 'endUserSessions');
    assert.deepEqual(ended.variables, { userId: 'alice', reason: 'account_disabled' });
    assert.deepEqual(ended.answer, { data: { endUserSessions: { subscriptionFields: ['messageAdded', 'inbox'] } } });
    await eventually('alice\'s subscriptions complete', () => aliceAdded.completed() && aliceInbox.completed());
    assert.equal(teacherAdded.completed(), false);
    // The authorizer refuses her token from now on: she cannot subscribe again.
    const again = await alice.subscribe(documented('inbox'));
    assert.equal(again.answer.type, 'error');
    await publishSent(message('alice+ms.rivera', 'ms.rivera', 'after the end'), ['alice', 'ms.rivera']);
    await eventually('the teacher still gets messages', () => teacherAdded.data().length === 1);
    await settle();
    assert.deepEqual(aliceAdded.data(), []);
    assert.deepEqual(aliceInbox.data(), []);
  } finally {
    DISABLED.delete('alice');
  }
});

test('unlinking a pair ends the subscriptions to their conversation, not the inbox', async () => {
  const alice = await subscriber(token('alice', 'student'));
  const teacher = await subscriber(token('ms.rivera', 'teacher'));
  const aliceAdded = await alice.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });
  const teacherAdded = await teacher.subscribe(documented('messageAdded'), { conversationId: 'ms.rivera+alice' });
  const teacherWithBob = await teacher.subscribe(documented('messageAdded'), { conversationId: 'bob+ms.rivera' });
  const teacherInbox = await teacher.subscribe(documented('inbox'));

  // An admin unlinks them: `Hub::publish` of the LinkEvent to both, which tells their inbox
  // first, then ends the conversation's subscriptions.
  const unlinked = { conversationId: 'alice+ms.rivera', linked: false };
  const calls = await publish({ recipients: ['alice', 'ms.rivera'], event: { link: unlinked } });
  assert.deepEqual(calls.map((c) => [c.operation, c.variables]), [
    ['publishInboxEvent', { input: { recipients: ['alice', 'ms.rivera'], link: unlinked } }],
    ['endLink', { conversationId: 'alice+ms.rivera' }],
  ]);
  assert.deepEqual(calls[1].answer, { data: { endLink: { subscriptionFields: ['messageAdded'] } } });
  await eventually('both participants\' messageAdded complete', () => aliceAdded.completed() && teacherAdded.completed());
  await eventually('the teacher\'s inbox hears of it', () => teacherInbox.data().length === 1);
  await settle();
  assert.deepEqual(teacherInbox.data()[0].data.inbox.event, { __typename: 'LinkEvent', ...unlinked });
  assert.equal(teacherWithBob.completed(), false);
  assert.equal(teacherInbox.completed(), false);
});

test('the expiry schedule ends subscriptions whose token has expired, and no others', async () => {
  const now = Math.floor(Date.now() / 1000);
  const soon = now + 2;
  const alice = await subscriber(token('alice', 'student', { exp: soon }));
  const teacher = await subscriber(token('ms.rivera', 'teacher'));
  const aliceAdded = await alice.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });
  const aliceInbox = await alice.subscribe(documented('inbox'));
  const teacherInbox = await teacher.subscribe(documented('inbox'));
  const [[, schedule]] = resourcesOf('AWS::Events::Rule');
  const sweep = (at) => callAsEventBridge(api.graphqlUrl, { query: schedule.Properties.Targets[0].AppSyncParameters.GraphQLOperation, variables: { at } });

  // A sweep before the expiry leaves the subscription; a time still to come is refused.
  assert.equal((await sweep(isoSeconds(now))).errors, undefined);
  const future = await sweep(isoSeconds(now + 3600));
  assert.equal(future.errors[0].errorType, 'invalid_input');
  await settle();
  assert.equal(aliceAdded.completed() || aliceInbox.completed(), false);

  // EventBridge's `time` once the token has expired.
  await new Promise((resolve) => setTimeout(resolve, (soon - Date.now() / 1000) * 1000 + 50));
  assert.deepEqual(await sweep(isoSeconds(soon)), { data: { endExpiredSessions: { subscriptionFields: ['messageAdded', 'inbox'] } } });
  await eventually('alice\'s subscriptions complete', () => aliceAdded.completed() && aliceInbox.completed());
  assert.equal(teacherInbox.completed(), false);
});
