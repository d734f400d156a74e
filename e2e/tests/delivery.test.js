// Delivery seen from the browser, with the page's WebSocket routed through a gate the test
// controls: an own message shows as pending (with its text) until the server's ack turns
// it sent; and while the socket cannot connect but REST still works (a proxy refusing
// upgrades, say), a contact-list refresh does not make the next `sync` skip what was missed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, openPage, signIn, online, contact, eventually, screenshots, login, sendMessage,
} from '../lib/harness.js';

const RIVERA = 'alice+ms.rivera';
const OKAFOR = 'alice+mr.okafor';

const school = useSchool({
  users: [
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
    { id: 'mr.okafor', role: 'teacher', name: 'Mr Okafor (Science)' },
  ],
  links: [
    { teacher: 'ms.rivera', student: 'alice' },
    { teacher: 'mr.okafor', student: 'alice' },
  ],
}, async (school) => {
  const teacher = await login(school.server.url, 'ms.rivera');
  await sendMessage(school.server.url, teacher, RIVERA, 'ms.rivera', 'Welcome back, Alice. Questions about the homework go here.');
});

/**
 * Routes the page's WebSockets through the test. `refuse`: new sockets close before they
 * open, as when the upgrade fails. `holdSends`: the page's sendMessage frames are kept
 * back (so no ack can come) until `release()`. `drop()` closes the live socket.
 */
async function gateSockets(page) {
  const gate = {
    refuse: false,
    holdSends: false,
    held: [],
    received: [], // every frame the server sent to the page, as text
    current: null,
    drop() {
      this.current?.close();
      this.current = null;
    },
    release() {
      this.holdSends = false;
      for (const [server, frame] of this.held.splice(0)) server.send(frame);
    },
  };
  await page.routeWebSocket(/\/chat\/ws/, (ws) => {
    if (gate.refuse) {
      ws.close();
      return;
    }
    const server = ws.connectToServer();
    gate.current = ws;
    ws.onMessage((frame) => {
      if (gate.holdSends && String(frame).includes('"sendMessage"')) gate.held.push([server, frame]);
      else server.send(frame);
    });
    server.onMessage((frame) => {
      gate.received.push(String(frame));
      ws.send(frame);
    });
  });
  return gate;
}

test('a message shows as pending with its text until the ack turns it sent', async () => {
  const page = await openPage(school.browser, school.server.url);
  const gate = await gateSockets(page);
  await signIn(page, 'alice');
  await online(page);
  await contact(page, RIVERA).click();
  await page.locator('.message.peer', { hasText: 'Welcome back, Alice.' }).waitFor();

  gate.holdSends = true;
  const text = 'Is question 3 about fractions or decimals?';
  const box = page.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill(text);
  await box.press('Enter');
  const pending = page.locator('.message.own[data-status="pending"]', { hasText: text });
  await pending.waitFor();
  await pending.locator('.receipt.sending', { hasText: 'Sending…' }).waitFor();
  assert.equal(await box.inputValue(), '', 'the box is cleared at once');
  await eventually('the frame to be held', () => gate.held.length === 1);
  // Still pending: nothing has reached the server, so nothing is stored yet.
  assert.equal(await page.locator('.message.own[data-status="sent"]', { hasText: text }).count(), 0);
  await screenshots(page, 'message-pending');

  gate.release();
  await page.locator('.message.own[data-status="sent"]', { hasText: text }).waitFor();
  await eventually('the pending copy to go', async () => (await pending.count()) === 0);
  assert.equal(await page.locator('.message', { hasText: text }).count(), 1);
  assert.deepEqual(page.errors, []);
});

test('messages missed while the socket is refused show after it reconnects, even after a contact refresh', async () => {
  const page = await openPage(school.browser, school.server.url);
  const gate = await gateSockets(page);
  await signIn(page, 'alice');
  await online(page);
  await contact(page, RIVERA).click();
  await page.locator('.message.peer', { hasText: 'Welcome back, Alice.' }).waitFor();

  // The socket goes and every new one is refused; REST keeps working.
  gate.refuse = true;
  gate.drop();
  await page.locator('.connection[data-connection="offline"]').waitFor();

  // Both teachers write meanwhile: one in the open conversation, one in the other.
  const missed = 'Reminder: bring your calculator tomorrow.';
  const other = 'Your lab report is marked, well done.';
  await sendMessage(school.server.url, await login(school.server.url, 'ms.rivera'), RIVERA, 'ms.rivera', missed);
  await sendMessage(school.server.url, await login(school.server.url, 'mr.okafor'), OKAFOR, 'mr.okafor', other);

  // Each refused attempt refreshes the contact list over REST: its previews show both
  // messages (and Mr Okafor's unread count), but the open conversation does not have it yet.
  await contact(page, RIVERA).locator('.preview', { hasText: missed }).waitFor();
  await contact(page, OKAFOR).locator('.preview', { hasText: other }).waitFor();
  await contact(page, OKAFOR).locator('.badge', { hasText: '1' }).waitFor();
  assert.equal(await page.locator('.message', { hasText: missed }).count(), 0);

  // The socket is allowed again: the reconnect's `sync` must still replay what was missed.
  gate.refuse = false;
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await online(page);
  await page.locator('.message.peer', { hasText: missed }).waitFor();
  assert.equal(await page.locator('.message', { hasText: missed }).count(), 1);
  // The replayed message was already in the refreshed unread count: not counted twice.
  await eventually('the replay of the other message', () => gate.received.some((f) => f.includes(other)));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await contact(page, OKAFOR).locator('.badge').innerText(), '1');
  await screenshots(page, 'caught-up-after-refused-socket');

  // And the conversation carries on over the new socket.
  const box = page.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill('Thank you, I will.');
  await box.press('Enter');
  await page.locator('.message.own[data-status="sent"]', { hasText: 'Thank you, I will.' }).waitFor();
  assert.deepEqual(page.errors, []);
});
