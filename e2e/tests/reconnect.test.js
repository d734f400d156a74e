// The server is killed mid-conversation and started again on the same port and database.
// A message sent while the browser was disconnected shows up after it reconnects (sync),
// exactly once, and sending works again.

import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import {
  useSchool, ALICE_AND_MS_RIVERA, startServer, openPage, signIn, online, contact, eventually, screenshots, login, sendMessage,
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
