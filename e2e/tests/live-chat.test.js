// A student and a teacher chat live in two browsers; a third student, linked to the same
// teacher and online the whole time, never sees their conversation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, login, sendMessage, openPage, signIn, online, contact, eventually, screenshots,
} from '../lib/harness.js';

const CONVERSATION = 'alice+ms.rivera';
const QUESTION = 'Hello Ms Rivera, could you check my answer to question 4?';
const REPLY = 'Of course, Alice. Factorise first, then solve each bracket.';

let alice;
let teacher;
let ben;
const benFrames = [];

const school = useSchool({
  users: [
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ben', role: 'student', name: 'Ben Osei' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
    { id: 'mr.okafor', role: 'teacher', name: 'Mr Okafor (Science)' },
  ],
  links: [
    { teacher: 'ms.rivera', student: 'alice' },
    { teacher: 'mr.okafor', student: 'alice' },
    { teacher: 'ms.rivera', student: 'ben' },
  ],
});

test('a student and a teacher message each other live, with typing and Seen', async () => {
  alice = await openPage(school.browser, school.server.url);
  teacher = await openPage(school.browser, school.server.url);
  ben = await openPage(school.browser, school.server.url);
  // Record every frame Ben's browser receives, to prove nothing of Alice's leaks to it.
  ben.on('websocket', (ws) => ws.on('framereceived', (frame) => benFrames.push(String(frame.payload))));

  await screenshots(alice, 'login');
  await signIn(alice, 'alice');
  await signIn(teacher, 'ms.rivera');
  await signIn(ben, 'ben');
  await Promise.all([online(alice), online(teacher), online(ben)]);

  // Alice sees both teachers before any message, and opens Ms Rivera.
  await contact(alice, CONVERSATION).waitFor();
  await contact(alice, 'alice+mr.okafor').waitFor();
  await screenshots(alice, 'student-contacts');
  await contact(alice, CONVERSATION).click();
  const box = alice.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill(QUESTION);
  await box.press('Enter');

  // It shows at once, then turns "Sent" on the ack.
  const aliceMessage = alice.locator('.message.own', { hasText: QUESTION });
  await aliceMessage.waitFor();
  await alice.locator('.message.own[data-status="sent"]', { hasText: QUESTION }).waitFor();
  await alice.locator('.receipt.sent').waitFor();

  // The teacher's list gets the conversation live, with an unread badge.
  const row = contact(teacher, CONVERSATION);
  await row.waitFor();
  await row.locator('.badge', { hasText: '1' }).waitFor();
  await screenshots(teacher, 'teacher-unread');

  // Opening it marks it read: the badge goes, and Alice sees "Seen".
  await row.click();
  await teacher.locator('.message.peer', { hasText: QUESTION }).waitFor();
  await eventually('the badge to clear', async () => (await row.locator('.badge').count()) === 0);
  await alice.locator('.message.own .receipt.seen', { hasText: 'Seen' }).waitFor();

  // The teacher types: Alice sees the typing indicator; then the reply arrives live.
  const reply = teacher.getByLabel('Message to Alice Martin');
  await reply.pressSequentially('Of course');
  await alice.locator('.typing-indicator', { hasText: 'Ms Rivera (Maths) is typing' }).waitFor();
  await reply.fill(REPLY);
  await reply.press('Enter');
  await alice.locator('.message.peer', { hasText: REPLY }).waitFor();
  await teacher.locator('.message.own[data-status="sent"]', { hasText: REPLY }).waitFor();
  // Alice has the conversation open, so the teacher's reply is seen at once too.
  await teacher.locator('.message.own .receipt.seen').waitFor();
  // Seen still sits under Alice's own message, and is still there after a reload.
  await alice.locator('.message.own .receipt.seen').waitFor();
  await alice.reload();
  await online(alice);
  await contact(alice, CONVERSATION).click();
  await alice.locator('.message.own .receipt.seen', { hasText: 'Seen' }).waitFor();

  // Shift+Enter makes a new line instead of sending.
  const twoLines = 'Thank you!\nSo (x + 3)(x - 2) = 0 gives x = -3 or x = 2?';
  await box.fill('Thank you!');
  await box.press('Shift+Enter');
  await box.pressSequentially('So (x + 3)(x - 2) = 0 gives x = -3 or x = 2?');
  assert.equal(await box.inputValue(), twoLines);
  await box.press('Enter');
  const received = teacher.locator('.message.peer .message-body', { hasText: 'gives x = -3' });
  await received.waitFor();
  assert.equal(await received.textContent(), twoLines);
  await reply.fill('Exactly right. Well done, Alice!');
  await reply.press('Enter');
  await alice.locator('.message.peer', { hasText: 'Well done, Alice!' }).waitFor();
  await teacher.locator('.message.own .receipt.seen').waitFor();

  await screenshots(alice, 'student-conversation');
  await screenshots(teacher, 'teacher-conversation');
  assert.deepEqual([...alice.errors, ...teacher.errors], []);
});

test('the character counter turns red over 4,000 characters and disables Send', async () => {
  const box = alice.getByLabel('Message to Ms Rivera (Maths)');
  const counter = alice.locator('.char-counter');
  const send = alice.getByRole('button', { name: 'Send' });
  await box.fill('a'.repeat(3980));
  await eventually('3,980 / 4,000', async () => (await counter.textContent()) === '3,980 / 4,000');
  assert.equal(await send.isEnabled(), true);
  await box.fill('a'.repeat(4001));
  await eventually('4,001 / 4,000', async () => (await counter.textContent()) === '4,001 / 4,000');
  assert.match(await counter.getAttribute('class'), /\bover\b/);
  assert.equal(await send.isDisabled(), true);
  await alice.locator('.limit-note', { hasText: 'Too long by 1 character' }).waitFor();
  await screenshots(alice, 'composer-too-long');
  // Enter does not send an over-long message either.
  await box.press('Enter');
  assert.equal(await alice.locator('.message.own[data-status="pending"]').count(), 0);
  await box.fill('');
});

test('a third student never sees the conversation, in the list or live', async () => {
  // Ben's only teacher is Ms Rivera, with no messages between them.
  const benRow = contact(ben, 'ben+ms.rivera');
  await benRow.waitFor();
  assert.equal(await ben.locator('.contact').count(), 1);
  assert.equal(await contact(ben, CONVERSATION).count(), 0);
  assert.equal(await benRow.locator('.badge').count(), 0);
  await benRow.locator('.preview', { hasText: 'No messages yet' }).waitFor();
  // Nothing of it in the page, and nothing of it on Ben's socket.
  const text = await ben.locator('body').innerText();
  assert.ok(!text.includes(QUESTION) && !text.includes(REPLY), 'Alice’s messages are visible to Ben');
  // Prove the frame recorder works: a message to Ben does arrive on his socket...
  const token = await login(school.server.url, 'ms.rivera');
  await sendMessage(school.server.url, token, 'ben+ms.rivera', 'ms.rivera', 'Ben, remember your calculator tomorrow.');
  await benRow.locator('.badge', { hasText: '1' }).waitFor();
  await eventually('the frame on Ben’s socket', () => benFrames.some((f) => f.includes('ben+ms.rivera')));
  // ...and nothing of Alice's conversation ever did.
  for (const frame of benFrames) {
    assert.ok(!frame.includes(CONVERSATION) && !frame.includes('alice'), `Ben received ${frame}`);
  }
  // Ben cannot open it by URL either.
  await ben.goto(`${school.server.url}/#/c/${encodeURIComponent(CONVERSATION)}`);
  await ben.locator('.empty-pane', { hasText: 'Conversation not found' }).waitFor();
  await screenshots(ben, 'third-student');
});

test('a teacher starts a conversation with a linked student from “New message”', async () => {
  await contact(ben, 'ben+ms.rivera').click();
  await teacher.getByRole('button', { name: 'New message' }).click();
  const dialog = teacher.getByRole('dialog', { name: 'New message' });
  await dialog.getByLabel('Write to one of your students').fill('ben');
  await dialog.locator('.picker-item[data-conversation-id="ben+ms.rivera"]').waitFor();
  assert.equal(await dialog.locator('.picker-item').count(), 1);
  await screenshots(teacher, 'teacher-new-message');
  await dialog.locator('.picker-item[data-conversation-id="ben+ms.rivera"]').click();
  const box = teacher.getByLabel('Message to Ben Osei');
  await box.fill('Ben, please see me after class.');
  await box.press('Enter');
  await ben.locator('.message.peer', { hasText: 'Ben, please see me after class.' }).waitFor();
  await teacher.locator('.message.own .receipt.seen').waitFor();
  // The conversation now sits at the top of the teacher's list, newest first.
  await eventually('ben first in the list', async () =>
    (await teacher.locator('.contact').first().getAttribute('data-conversation-id')) === 'ben+ms.rivera');
  assert.deepEqual([...teacher.errors, ...ben.errors], []);
});
