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
// The simulator runs VTL resolvers only, knows neither AWS_LAMBDA authorization, nor
// enhanced subscription filters, nor invalidation, and cannot invoke Rust Lambda functions.
// e2e/lib/appsync/ supplies what it lacks, from AppSync's documentation and apart from the
// simulator: a stand-in of the APPSYNC_JS runtime that runs the real resolver files
// (runtime.js); the authorizer and the Lambda data source as small JS stand-ins implementing
// the contract of appsync/README.md (functions.js), whose Rust implementations
// (classchat-appsync-authorizer, classchat-appsync) are tested against the same contract in
// crates/lambda/tests/handlers/appsync.rs; and the simulator wired with them as
// template.yaml wires the API (simulator.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate, validateSchema, getNamedType, isObjectType, isInputObjectType, isEnumType, isUnionType } from 'graphql';
import { ESLint } from 'eslint';
import appsyncLint from '@aws-appsync/eslint-plugin';
import ts from 'typescript';
import { ROOT } from '../lib/harness.js';
import { DISABLED, token } from '../lib/appsync/functions.js';
import { BACKEND_OPERATIONS, ClasschatPublisher, RecordingEndpoint } from '../lib/appsync/publisher.js';
import { callAsEventBridge } from '../lib/appsync/sigv4.js';
import { startSimulator } from '../lib/appsync/simulator.js';
import { RESOLVERS, SCHEMA_TEXT, appsyncSchema, documented, isoSeconds, resourcesOf, templateResolvers } from '../lib/appsync/sources.js';
import { RealtimeSubscriber } from '../lib/appsync/subscriber.js';

const TIMEOUT = 10_000;
const directiveNames = (node) => (node?.astNode?.directives ?? []).map((d) => d.name.value);

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
  for (const name of ['publishMessage', 'publishMessageEdited', 'publishMessageRemoved', 'publishInboxEvent', 'endUserSessions', 'endLink', 'endExpiredSessions']) {
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
    'Subscription.messageEdited': ['MessageEvent!', 'MessageEvent'],
    'Subscription.messageRemoved': ['MessageEvent!', 'MessageEvent'],
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
    ...['publishMessage', 'publishMessageEdited', 'publishMessageRemoved', 'publishInboxEvent', 'endUserSessions', 'endLink', 'messageAdded', 'messageEdited', 'inbox'].map(documented),
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
    announcementId: null,
    editedAt: null,
    removedAt: null,
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
 * `messageAdded`, and the same message as an inbox event for the delivery's recipients (the
 * two calls at once, so in either order). */
async function publishSent(stored, recipients) {
  const calls = await publish({ recipients, event: { message: stored } });
  const made = calls.map((c) => [c.operation, c.variables]).sort(([a], [b]) => a.localeCompare(b));
  assert.deepEqual(made, [
    ['publishInboxEvent', { input: { recipients, message: stored } }],
    ['publishMessage', { input: stored }],
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

test('an edit reaches the participants\' messageEdited and inbox as an event of its own; a pause their inbox', async () => {
  const alice = await subscriber(token('alice', 'student'));
  const teacher = await subscriber(token('ms.rivera', 'teacher'));
  const bob = await subscriber(token('bob', 'student'));
  const teacherEdited = await teacher.subscribe(documented('messageEdited'), { conversationId: 'ms.rivera+alice' });
  assert.equal(teacherEdited.answer.type, 'start_ack', JSON.stringify(teacherEdited.answer));
  const teacherAdded = await teacher.subscribe(documented('messageAdded'), { conversationId: 'alice+ms.rivera' });
  const aliceInbox = await alice.subscribe(documented('inbox'));
  const bobInbox = await bob.subscribe(documented('inbox'));
  // Another student may not follow the edits of the conversation either.
  const refused = await bob.subscribe(documented('messageEdited'), { conversationId: 'alice+ms.rivera' });
  assert.equal(refused.answer.type, 'error');
  assert.equal(refused.answer.payload.errors[0].errorType, 'forbidden');

  // `Hub::publish` of `Event::Edited`: the message as it reads after Alice's edit.
  const recipients = ['alice', 'ms.rivera'];
  const edited = { ...message('alice+ms.rivera', 'alice', 'homework attached'), editedAt: '2026-01-01T09:30:00.000000Z' };
  const calls = await publish({ recipients, event: { messageEdited: edited } });
  const made = calls.map((c) => [c.operation, c.variables]).sort(([a], [b]) => a.localeCompare(b));
  assert.deepEqual(made, [
    ['publishInboxEvent', { input: { recipients, messageEdited: edited } }],
    ['publishMessageEdited', { input: edited }],
  ]);
  await eventually('the edit at both subscribers', () => teacherEdited.data().length === 1 && aliceInbox.data().length === 1);
  await settle();
  const { messageId, conversationId, timestamp, messageBody, editedAt } = edited;
  assert.deepEqual(teacherEdited.data()[0].data.messageEdited, { message: { messageId, conversationId, timestamp, messageBody, editedAt } });
  assert.deepEqual(aliceInbox.data()[0].data.inbox.event, {
    __typename: 'MessageEditedEvent',
    message: { messageId, conversationId, timestamp, messageBody, editedAt },
  });
  assert.deepEqual(teacherAdded.data(), [], 'an edit is no new message');
  assert.deepEqual(bobInbox.data(), []);

  // `Event::Paused`: the inbox's PauseEvent, to the participants only.
  const pause = { by: 'ms.rivera', byRole: 'teacher', at: '2026-01-01T09:31:00.000000Z', reason: 'A break' };
  const paused = await publish({ recipients, event: { pause: { conversationId: 'alice+ms.rivera', pause } } });
  assert.deepEqual(paused.map((c) => [c.operation, c.variables]), [
    ['publishInboxEvent', { input: { recipients, pause: { conversationId: 'alice+ms.rivera', pause } } }],
  ]);
  await eventually('the pause in alice\'s inbox', () => aliceInbox.data().length === 2);
  await settle();
  assert.deepEqual(aliceInbox.data()[1].data.inbox.event, { __typename: 'PauseEvent', conversationId: 'alice+ms.rivera', pause });
  assert.deepEqual(bobInbox.data(), []);
  assert.equal(teacherEdited.data().length, 1, 'messageEdited carries edits only');
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
    assert.deepEqual(ended.answer, { data: { endUserSessions: { subscriptionFields: ['messageAdded', 'messageEdited', 'messageRemoved', 'inbox'] } } });
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
  const aliceEdited = await alice.subscribe(documented('messageEdited'), { conversationId: 'alice+ms.rivera' });
  assert.equal(aliceEdited.answer.type, 'start_ack', JSON.stringify(aliceEdited.answer));

  // An admin unlinks them: `Hub::publish` of the LinkEvent to both, which tells their inbox
  // first, then ends the conversation's subscriptions.
  const unlinked = { conversationId: 'alice+ms.rivera', linked: false };
  const calls = await publish({ recipients: ['alice', 'ms.rivera'], event: { link: unlinked } });
  assert.deepEqual(calls.map((c) => [c.operation, c.variables]), [
    ['publishInboxEvent', { input: { recipients: ['alice', 'ms.rivera'], link: unlinked } }],
    ['endLink', { conversationId: 'alice+ms.rivera' }],
  ]);
  assert.deepEqual(calls[1].answer, { data: { endLink: { subscriptionFields: ['messageAdded', 'messageEdited', 'messageRemoved'] } } });
  await eventually('both participants\' messageAdded complete', () => aliceAdded.completed() && teacherAdded.completed());
  await eventually('alice\'s messageEdited completes', () => aliceEdited.completed());
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
  assert.deepEqual(await sweep(isoSeconds(soon)), { data: { endExpiredSessions: { subscriptionFields: ['messageAdded', 'messageEdited', 'messageRemoved', 'inbox'] } } });
  await eventually('alice\'s subscriptions complete', () => aliceAdded.completed() && aliceInbox.completed());
  assert.equal(teacherInbox.completed(), false);
});
