// The server is killed mid-conversation and started again on the same port and database.
// A message sent while the browser was disconnected shows up after it reconnects (sync),
// exactly once, and sending works again. And when a node of a cluster closes with 1012
// because events were missed, the client's next sync starts where the node says.

import { test } from 'node:test';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import {
  useSchool, ALICE_AND_MS_RIVERA, ROOT, startServer, openPage, signIn, online, contact, eventually, screenshots, login, sendMessage,
} from '../lib/harness.js';

/** Listens on `port` and drops every connection: the browser sees a dead server. */
function holdPort(port) {
  return new Promise((resolve, reject) => {
    const holder = net.createServer((socket) => socket.destroy());
    holder.once('error', reject);
    holder.listen(port, '127.0.0.1', () => resolve(holder));
  });
}

const school = useSchool(ALICE_AND_MS_RIVERA);

test('after a server restart the client reconnects and catches up', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'alice');
  await online(page);
  await contact(page, 'alice+ms.rivera').click();
  const box = page.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill('Before the restart');
  await box.press('Enter');
  await page.locator('.message.own[data-status="sent"]', { hasText: 'Before the restart' }).waitFor();

  // Kill the server without warning; the page notices and starts reconnecting.
  const port = school.server.port;
  await school.server.kill('SIGKILL');
  await page.locator('.connection[data-connection="offline"]').waitFor();
  await screenshots(page, 'reconnecting');

  // Hold the port meanwhile (refusing every connection at once), so nothing else takes it.
  const holder = await holdPort(port);

  // The teacher writes while the student's browser is disconnected: through a second
  // server on another port (same database), so the browser cannot be connected to it.
  const elsewhere = await startServer(school.db.db);
  const teacher = await login(elsewhere.url, 'ms.rivera');
  const missed = 'Sent while you were offline: the test is on Friday.';
  await sendMessage(elsewhere.url, teacher, 'alice+ms.rivera', 'ms.rivera', missed);
  await elsewhere.kill();
  assert.equal(await page.locator('.message', { hasText: missed }).count(), 0);

  // Back on the same port: the client reconnects by itself and syncs.
  await new Promise((resolve) => holder.close(resolve));
  school.server = await startServer(school.db.db, { port });
  await page.locator('.connection[data-connection="online"]').waitFor({ timeout: 60_000 });
  await page.locator('.message.peer', { hasText: missed }).waitFor();
  assert.equal(await page.locator('.message', { hasText: missed }).count(), 1);
  assert.equal(await page.locator('.message', { hasText: 'Before the restart' }).count(), 1);

  // And the conversation carries on over the new connection.
  await box.fill('Thanks, got it!');
  await box.press('Enter');
  await page.locator('.message.own[data-status="sent"]', { hasText: 'Thanks, got it!' }).waitFor();
  await screenshots(page, 'reconnected');
  assert.deepEqual(page.errors, []);
});

test('a message typed while the server is down fails visibly and can be retried', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'alice');
  await online(page);
  await contact(page, 'alice+ms.rivera').click();
  const port = school.server.port;
  await school.server.kill('SIGKILL');
  await page.locator('.connection[data-connection="offline"]').waitFor();

  const box = page.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill('Are you there?');
  await box.press('Enter');
  const failed = page.locator('.message.own[data-status="failed"]', { hasText: 'Are you there?' });
  await failed.waitFor();
  await failed.locator('.message-failed', { hasText: 'Cannot reach the server' }).waitFor();
  await screenshots(page, 'send-failed');

  school.server = await startServer(school.db.db, { port });
  await failed.getByRole('button', { name: 'Retry' }).click();
  await page.locator('.message.own[data-status="sent"]', { hasText: 'Are you there?' }).waitFor();
  await eventually('exactly one copy', async () => (await page.locator('.message', { hasText: 'Are you there?' }).count()) === 1);
});

test('after a 1012 naming when events were missed, the next sync starts there', async () => {
  // A stand-in node on loopback: serves a blank page and the real live.js (same origin, as
  // the browser requires of a page reaching loopback), records each connection's first
  // frame (the client's sync), and closes the connection the way the test says.
  const liveJs = readFileSync(path.join(ROOT, 'crates/server/web/live.js'));
  const http = createServer((request, response) => {
    const script = request.url === '/live.js';
    response.writeHead(200, { 'content-type': script ? 'text/javascript' : 'text/html' });
    response.end(script ? liveJs : '<!doctype html><title>node</title>');
  });
  const server = new WebSocketServer({ server: http });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `127.0.0.1:${http.address().port}`;
  const firstFrames = [];
  const connections = [];
  server.on('connection', (socket) => {
    connections.push(socket);
    socket.once('message', (data) => firstFrames.push(JSON.parse(String(data))));
  });
  const synced = (count) => eventually(`${count} syncs`, async () => firstFrames.length >= count);

  const page = await openPage(school.browser, `http://${base}/`);
  const newest = '2026-06-01T08:00:00.000000Z';
  await page.evaluate(async ({ url, newest }) => {
    const { LiveConnection } = await import('/live.js');
    window.live = new LiveConnection({ url: () => url, since: () => newest, onFrame: () => {} });
    window.live.start();
  }, { url: `ws://${base}/chat/ws`, newest });

  await synced(1);
  assert.deepEqual(firstFrames[0], { action: 'sync', since: newest });
  // Events missed since before the newest message the client holds: sync from there.
  const missed = '2026-06-01T07:59:58.500000Z';
  connections[0].close(1012, `events may have been missed since ${missed}; reconnect and sync from then`);
  await synced(2);
  assert.deepEqual(firstFrames[1], { action: 'sync', since: missed });
  // A later time than the newest held: the newest held is earlier, so it stays.
  connections[1].close(1012, 'events may have been missed since 2026-06-01T09:00:00.000000Z; reconnect and sync from then');
  await synced(3);
  assert.deepEqual(firstFrames[2], { action: 'sync', since: newest });
  // Used once: an ordinary restart afterwards syncs from the newest held again.
  connections[2].close(1001, 'server going away');
  await synced(4);
  assert.deepEqual(firstFrames[3], { action: 'sync', since: newest });

  await page.evaluate(() => window.live.stop());
  server.close();
  http.close();
  assert.deepEqual(page.errors, []);
});
