// GraphQL subscriptions through the real npm `graphql-ws` client (the one Apollo, urql and
// Relay use), against the real binary: a teacher's `messageAdded` and `inbox` get the
// messages sent over REST, `/chat/ws` and the GraphQL mutation, each once and in order,
// and `messageEdited` the edit made with the GraphQL mutation; another student is refused;
// a bad token, a silent client, a disabled account and an
// expired token each end the socket with the protocol's code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  freshDb, seed, startServer, login, sendMessage, JWT_SECRET, TIMEOUT,
} from '../lib/harness.js';

const SCHOOL = {
  users: [
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'bob', role: 'student', name: 'Bob Stone' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
    { id: 'office', role: 'admin', name: 'School Office' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }, { teacher: 'ms.rivera', student: 'bob' }],
};

let db;
let server;
before(async () => {
  db = freshDb();
  seed(db.db, SCHOOL);
  server = await startServer(db.db);
});
after(async () => {
  await server?.kill();
  db?.cleanup();
});

const wsUrl = () => `${server.url.replace('http', 'ws')}/graphql`;

/** A graphql-ws client that records how its socket closed. */
function client(token) {
  const closes = [];
  const graphql = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams: { token },
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => closes.push({ code: event.code, reason: event.reason }) },
  });
  return { graphql, closes };
}

/** Subscribes and collects results; `done` settles when the subscription ends. */
function subscribe(graphql, query, variables = {}) {
  const results = [];
  let settle;
  const done = new Promise((resolve) => { settle = resolve; });
  const dispose = graphql.subscribe({ query, variables }, {
    next: (result) => results.push(result),
    error: (error) => settle({ error }),
    complete: () => settle({ complete: true }),
  });
  return { results, done, dispose };
}

async function eventually(what, check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A token of `sub`, signed like the server's, expiring in `seconds`. */
function shortToken(sub, role, seconds) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub, role, iat: now, exp: now + seconds, ver: 0 })}`;
  const signature = createHmac('sha256', JWT_SECRET).update(body).digest('base64url');
  return `${body}.${signature}`;
}

const MESSAGE_ADDED = 'subscription($id: String!) { messageAdded(conversationId: $id) { author messageBody } }';
const INBOX = 'subscription { inbox { __typename ... on MessageEvent { message { conversationId messageBody } } } }';
const MESSAGE_EDITED = 'subscription($id: String!) { messageEdited(conversationId: $id) { message { author messageBody editedAt } } }';

test('a teacher gets each message once and in order, whichever transport sent it', async () => {
  const teacher = await login(server.url, 'ms.rivera');
  const alice = await login(server.url, 'alice');
  const bob = await login(server.url, 'bob');
  const { graphql } = client(teacher);
  const added = subscribe(graphql, MESSAGE_ADDED, { id: 'ms.rivera+alice' });
  const inbox = subscribe(graphql, INBOX);
  // Subscriptions start as soon as the server has them; a query on the same socket after
  // them is answered after they are running.
  const me = await new Promise((resolve, reject) => {
    graphql.subscribe({ query: '{ me { userId } }' }, { next: resolve, error: reject, complete: () => {} });
  });
  assert.equal(me.data.me.userId, 'ms.rivera');

  await sendMessage(server.url, alice, 'alice+ms.rivera', 'alice', 'over REST');
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/chat/ws?token=${alice}`);
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  const acked = new Promise((resolve) => socket.on('message', (data) => {
    if (JSON.parse(data).type === 'ack') resolve();
  }));
  socket.send(JSON.stringify({ action: 'sendMessage', conversationId: 'alice+ms.rivera', messageBody: 'over the socket' }));
  await acked;
  socket.close();
  const mutation = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${alice}` },
    body: JSON.stringify({ query: 'mutation { sendMessage(input: {conversationId: "alice+ms.rivera", messageBody: "over GraphQL"}) { messageId } }' }),
  });
  assert.equal(mutation.status, 200);
  assert.equal((await mutation.json()).errors, undefined);
  await sendMessage(server.url, bob, 'bob+ms.rivera', 'bob', 'from bob');

  const bodies = (results, pick) => results.map(pick).filter((body) => body !== undefined);
  const messages = () => bodies(added.results, (r) => r.data.messageAdded.messageBody);
  const inboxed = () => bodies(inbox.results, (r) => r.data.inbox.message?.messageBody);
  await eventually('four inbox messages', () => inboxed().length >= 4);
  await eventually('three conversation messages', () => messages().length >= 3);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(messages(), ['over REST', 'over the socket', 'over GraphQL']);
  assert.deepEqual(inboxed(), ['over REST', 'over the socket', 'over GraphQL', 'from bob']);
  await graphql.dispose();
});

test('a teacher follows the edits of a conversation; another student is refused them', async () => {
  const teacher = await login(server.url, 'ms.rivera');
  const alice = await login(server.url, 'alice');
  const bob = await login(server.url, 'bob');
  const { graphql } = client(teacher);
  const edited = subscribe(graphql, MESSAGE_EDITED, { id: 'ms.rivera+alice' });
  await new Promise((resolve, reject) => {
    graphql.subscribe({ query: '{ me { userId } }' }, { next: resolve, error: reject, complete: () => {} });
  });

  const sent = await sendMessage(server.url, alice, 'alice+ms.rivera', 'alice', 'see you tomorow');
  const mutation = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${alice}` },
    body: JSON.stringify({
      query: 'mutation($c: String!, $t: String!, $b: String!) { editMessage(conversationId: $c, timestamp: $t, messageBody: $b) { editedAt } }',
      variables: { c: 'alice+ms.rivera', t: sent.timestamp, b: 'see you tomorrow' },
    }),
  });
  assert.equal(mutation.status, 200);
  const answer = await mutation.json();
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  await eventually('the edit', () => edited.results.length >= 1);
  const { message } = edited.results[0].data.messageEdited;
  assert.equal(message.author, 'alice');
  assert.equal(message.messageBody, 'see you tomorrow');
  assert.equal(message.editedAt, answer.data.editMessage.editedAt);
  await graphql.dispose();

  const { graphql: stranger } = client(bob);
  const refused = subscribe(stranger, MESSAGE_EDITED, { id: 'alice+ms.rivera' });
  const outcome = await refused.done;
  assert.equal(outcome.complete, true);
  assert.equal(refused.results[0].errors[0].extensions.code, 'forbidden');
  await stranger.dispose();
});

test('another student is refused the conversation with forbidden', async () => {
  const bob = await login(server.url, 'bob');
  const { graphql } = client(bob);
  const refused = subscribe(graphql, MESSAGE_ADDED, { id: 'alice+ms.rivera' });
  const outcome = await refused.done;
  // graphql-ws hands a `next` with errors to `next`, then completes.
  assert.equal(outcome.complete, true);
  assert.equal(refused.results[0].errors[0].extensions.code, 'forbidden');
  await graphql.dispose();
});

test('a bad token is closed with 4403 and a silent client with 4408', async () => {
  const { graphql, closes } = client('not-a-token');
  const refused = subscribe(graphql, INBOX);
  const outcome = await refused.done;
  assert.ok(outcome.error, 'the subscription fails');
  await eventually('the close', () => closes.length > 0);
  assert.equal(closes[0].code, 4403);
  await graphql.dispose();

  // A socket that never sends connection_init (graphql-ws always does, so a bare one).
  const silent = new WebSocket(wsUrl(), 'graphql-transport-ws');
  const started = Date.now();
  const code = await new Promise((resolve) => silent.once('close', (closeCode) => resolve(closeCode)));
  assert.equal(code, 4408);
  assert.ok(Date.now() - started >= 9_000, `closed after ${Date.now() - started} ms`);
});

test('disabling the subscriber ends the subscription within a second', async () => {
  const alice = await login(server.url, 'alice');
  const office = await login(server.url, 'office');
  const { graphql, closes } = client(alice);
  const inbox = subscribe(graphql, INBOX);
  await new Promise((resolve, reject) => {
    graphql.subscribe({ query: '{ me { userId } }' }, { next: resolve, error: reject, complete: () => {} });
  });
  const disabledAt = Date.now();
  const response = await fetch(`${server.url}/admin/users/alice`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${office}` },
    body: JSON.stringify({ disabled: true }),
  });
  assert.equal(response.status, 200);
  const outcome = await inbox.done;
  assert.ok(outcome.error, 'the subscription ends with an error');
  assert.ok(Date.now() - disabledAt < 1_000, `ended after ${Date.now() - disabledAt} ms`);
  await eventually('the close', () => closes.length > 0);
  assert.equal(closes[0].code, 4403);
  assert.match(closes[0].reason, /disabled/);
  await graphql.dispose();
  // Re-enabled for the other tests.
  await fetch(`${server.url}/admin/users/alice`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${office}` },
    body: JSON.stringify({ disabled: false }),
  });
});

test('a short-lived token ends the subscription at its expiry', async () => {
  const { graphql, closes } = client(shortToken('bob', 'student', 2));
  const inbox = subscribe(graphql, INBOX);
  const outcome = await inbox.done;
  assert.ok(outcome.error, 'the subscription ends with an error');
  await eventually('the close', () => closes.length > 0);
  assert.equal(closes[0].code, 4403);
  assert.match(closes[0].reason, /expired/);
  await graphql.dispose();
});
