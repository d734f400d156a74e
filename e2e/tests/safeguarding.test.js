// Safeguarding in the web client: a student reports a teacher's message and is told only
// that it was received; the school office works the report through the moderation queue,
// with the messages around it (removed and edited ones as stored), and the audit log shows
// who decided what. A teacher pauses a conversation and the student's open page turns its
// chat box into the notice, live, until it is resumed. An author edits and removes
// messages and the other side sees "(edited)" and "Message removed", live and on reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, login, api, sendMessage, openPage, signIn, online, contact, eventually, screenshots,
} from '../lib/harness.js';

const REPORTED = 'Honestly, this is the worst essay I have read this year.';
const EDITED_FIRST = 'Thanks. I will read it tonight.';
const EDITED_NOW = 'Thanks. I will read it over the weekend.';
const REMOVED_TEXT = 'A note meant for another class.';
const PAUSE_REASON = 'Let’s talk about this in class tomorrow.';

let tokens;

/** A JSON request that must answer `status`; resolves to the body. */
async function call(token, method, route, body, status) {
  const response = await api(school.server.url, token, method, route, body);
  const text = await response.text();
  assert.equal(response.status, status, `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const school = useSchool({
  users: [
    { id: 'office', role: 'admin', name: 'School Office' },
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ben', role: 'student', name: 'Ben Osei' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }, { teacher: 'ms.rivera', student: 'ben' }],
}, async (school) => {
  const base = school.server.url;
  tokens = {
    office: await login(base, 'office'),
    alice: await login(base, 'alice'),
    ben: await login(base, 'ben'),
    teacher: await login(base, 'ms.rivera'),
  };
  // Alice's conversation: one of the teacher's messages edited, one removed, then the one
  // Alice will report, and her answer.
  const conversation = 'alice+ms.rivera';
  await sendMessage(base, tokens.alice, conversation, 'alice', 'Here is my essay draft for Friday.');
  const edited = await sendMessage(base, tokens.teacher, conversation, 'ms.rivera', EDITED_FIRST);
  await call(tokens.teacher, 'POST', '/chat/edit', { conversationId: conversation, timestamp: edited.timestamp, messageBody: EDITED_NOW }, 200);
  const removed = await sendMessage(base, tokens.teacher, conversation, 'ms.rivera', REMOVED_TEXT);
  await call(tokens.teacher, 'POST', '/chat/remove', { conversationId: conversation, timestamp: removed.timestamp }, 200);
  await sendMessage(base, tokens.teacher, conversation, 'ms.rivera', REPORTED);
  await sendMessage(base, tokens.alice, conversation, 'alice', 'That is not very kind.');
});

/** A message in a conversation's list, by its text. */
const message = (page, side, text) => page.locator(`.message.${side}`, { hasText: text });

test('a student reports a message and learns only that it was received', async () => {
  const alice = await openPage(school.browser, school.server.url);
  await signIn(alice, 'alice');
  await online(alice);
  await contact(alice, 'alice+ms.rivera').click();

  // What the teacher edited and removed shows as such; the removed text is not in the page.
  await message(alice, 'peer', EDITED_NOW).locator('.edited-mark', { hasText: '(edited)' }).waitFor();
  await alice.locator('.message.peer.removed .removed-body', { hasText: 'Message removed' }).waitFor();
  assert.ok(!(await alice.locator('body').innerText()).includes(REMOVED_TEXT));
  // Her own messages cannot be reported, only edited or removed.
  await message(alice, 'own', 'That is not very kind.').getByRole('button', { name: 'Message actions' }).click();
  await alice.getByRole('button', { name: 'Remove…' }).waitFor();
  assert.equal(await alice.getByRole('button', { name: 'Report…' }).count(), 0);
  await alice.keyboard.press('Escape');

  const reported = message(alice, 'peer', REPORTED);
  await reported.getByRole('button', { name: 'Message actions' }).click();
  assert.equal(await alice.getByRole('button', { name: 'Edit', exact: true }).count(), 0);
  await alice.getByRole('button', { name: 'Report…' }).click();
  const dialog = alice.getByRole('dialog', { name: 'Report this message' });
  await dialog.locator('.report-quote', { hasText: REPORTED }).waitFor();
  // Without a reason, the form says what is missing.
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Choose what is wrong with the message first.' }).waitFor();
  await dialog.getByRole('radio', { name: 'Bullying or unkind' }).check();
  await dialog.getByLabel('Anything else you want to tell us (optional)').fill('It made me feel stupid in front of the class.');
  await screenshots(alice, 'report-dialog');
  await dialog.getByRole('button', { name: 'Send report' }).click();

  const received = alice.getByRole('dialog', { name: 'Report received' });
  await received.getByText('Report received — an adult at school will look at it.').waitFor();
  // Nothing more: no id, no state, no promise of what happens next.
  assert.equal((await received.innerText()).replace(/\s+/g, ' ').trim(),
    'Report received Report received — an adult at school will look at it. Close');
  await screenshots(alice, 'report-received');
  await received.getByRole('button', { name: 'Close' }).click();
  assert.equal(await received.count(), 0);
  // Focus is back on the message's actions button.
  assert.equal(await alice.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message actions');
  assert.deepEqual(alice.errors, []);

  // The queue is the school's: the teacher (whose message it is) cannot read it.
  await call(tokens.teacher, 'GET', '/admin/reports', undefined, 403);
});

test('the office works the report through the queue, and the audit log shows it', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  const tab = page.getByRole('link', { name: /^Moderation/ });
  await tab.locator('.tab-count', { hasText: '1' }).waitFor();
  await tab.click();

  const row = page.locator('.reports-table tr[data-report-id]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const reportId = await row.getAttribute('data-report-id');
  const cells = await row.innerText();
  for (const text of ['Bullying or unkind', 'Alice Martin', 'Ms Rivera (Maths)', 'Open']) {
    assert.ok(cells.includes(text), `the row shows ${text}: ${cells}`);
  }
  assert.ok(!cells.includes(REPORTED), 'the queue never shows the text');
  await screenshots(page, 'moderation-queue');
  await row.getByRole('link', { name: /^Open the report/ }).click();

  // The context: the reported message highlighted, the removed one with its text, marked,
  // the edited one marked, with its earlier text behind "Show versions".
  const reported = page.locator('.context-message.is-reported');
  await reported.locator('.message-body', { hasText: REPORTED }).waitFor();
  await reported.getByText('Reported message').waitFor();
  const removed = page.locator('.context-message.is-removed');
  await removed.locator('.message-body', { hasText: REMOVED_TEXT }).waitFor();
  await removed.getByText(/Removed by its author/).waitFor();
  const edited = page.locator('.context-message.is-edited');
  await edited.locator('.message-body', { hasText: EDITED_NOW }).waitFor();
  await edited.getByRole('button', { name: 'Show versions' }).click();
  await edited.locator('.version-list li', { hasText: EDITED_FIRST }).waitFor();
  await page.locator('.report-facts', { hasText: 'It made me feel stupid in front of the class.' }).waitFor();
  await page.locator('.pause-state', { hasText: 'Not paused' }).waitFor();
  await screenshots(page, 'moderation-report');

  await page.getByRole('button', { name: 'Mark reviewed' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved: marked reviewed.' }).waitFor();
  await page.locator('.report-facts .state-chip', { hasText: 'Reviewed' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Mark reviewed' }).count(), 0);
  await page.getByLabel('Note (optional)').fill('Spoke to Ms Rivera; she will apologise to Alice.');
  await page.getByRole('button', { name: 'Actioned' }).click();
  await page.getByText('This report is closed').waitFor();
  await page.locator('.report-steps li[data-state="actioned"]', { hasText: 'she will apologise to Alice' }).waitFor();
  await page.locator('.report-steps li[data-state="reviewed"]', { hasText: 'School Office' }).waitFor();
  // No report is open any more: the tab's count goes.
  await eventually('the count to go', async () => !(await tab.locator('.tab-count').isVisible()));
  await screenshots(page, 'moderation-actioned');

  // Closed reports are one filter away.
  await page.getByRole('link', { name: '← Back to the reports' }).click();
  await page.getByText('No open reports').waitFor();
  await page.getByLabel('Show', { exact: true }).selectOption('actioned');
  await page.locator(`.reports-table tr[data-report-id="${reportId}"] .state-chip`, { hasText: 'Actioned' }).waitFor();

  // The audit log: the read, the versions, and both decisions, by this admin.
  const { entries } = await call(tokens.office, 'GET', '/admin/audit?limit=50', undefined, 200);
  const by = (action, target) => entries.find((e) => e.action === action && e.actor === 'office' && (!target || e.target === target));
  assert.ok(by('report.review', reportId), `report.review in ${JSON.stringify(entries)}`);
  assert.ok(by('report.action', reportId), 'report.action');
  assert.ok(by('conversation.read', 'alice+ms.rivera'), 'conversation.read');
  assert.ok(by('message.history'), 'message.history');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator(`.audit-table tr[data-action="report.action"][data-target="${reportId}"]`, { hasText: 'Actioned a report' }).waitFor();
  assert.deepEqual(page.errors, []);
});

test('a teacher pauses a conversation and the student’s open page shows it live', async () => {
  const teacher = await openPage(school.browser, school.server.url);
  const ben = await openPage(school.browser, school.server.url);
  await signIn(teacher, 'ms.rivera');
  await signIn(ben, 'ben');
  await Promise.all([online(teacher), online(ben)]);
  await contact(ben, 'ben+ms.rivera').click();
  const box = ben.getByLabel('Message to Ms Rivera (Maths)');
  await box.waitFor();
  await teacher.goto(`${school.server.url}/#/c/${encodeURIComponent('ben+ms.rivera')}`);

  await teacher.getByRole('button', { name: 'Pause conversation' }).click();
  const dialog = teacher.getByRole('dialog', { name: 'Pause this conversation?' });
  await dialog.getByLabel('Reason (optional)').fill(PAUSE_REASON);
  await screenshots(teacher, 'pause-dialog');
  await dialog.getByRole('button', { name: 'Pause', exact: true }).click();
  await teacher.locator('.pause-notice', { hasText: 'You have paused this conversation.' }).waitFor();
  await teacher.getByRole('button', { name: 'Resume conversation' }).waitFor();
  // The teacher can still write.
  assert.equal(await teacher.getByLabel('Message to Ben Osei').isEnabled(), true);

  // Ben's page, open all along: the notice with the reason in place of a disabled box.
  const notice = ben.locator('.pause-notice');
  await notice.getByText('This conversation has been paused by your teacher.').waitFor();
  await notice.getByText(PAUSE_REASON).waitFor();
  assert.equal(await box.isDisabled(), true);
  assert.equal(await ben.locator('.composer').isVisible(), false);
  await screenshots(ben, 'paused-student');
  await screenshots(teacher, 'paused-teacher');

  // A send that gets through anyway is refused with who paused it and why.
  const refused = await api(school.server.url, tokens.ben, 'POST', '/chat/send',
    { conversationId: 'ben+ms.rivera', author: 'ben', messageBody: 'Can I still ask something?' });
  assert.equal(refused.status, 403);
  const { error } = await refused.json();
  assert.equal(error.code, 'conversation_paused');
  assert.ok(error.message.includes(PAUSE_REASON), error.message);

  // A reload reads the pause from the conversation itself.
  await ben.reload();
  await online(ben);
  await contact(ben, 'ben+ms.rivera').click();
  await notice.getByText(PAUSE_REASON).waitFor();
  assert.equal(await box.isDisabled(), true);

  await teacher.getByRole('button', { name: 'Resume conversation' }).click();
  await teacher.getByRole('button', { name: 'Pause conversation' }).waitFor();
  await eventually('the notice to go', async () => (await notice.innerText()).trim() === '');
  await eventually('the box to be enabled', () => box.isEnabled());
  await box.fill('Thank you, see you tomorrow.');
  await box.press('Enter');
  await message(teacher, 'peer', 'Thank you, see you tomorrow.').waitFor();
  assert.deepEqual([...teacher.errors, ...ben.errors], []);
});

test('an author edits and removes messages, and the other side sees it live and on reload', async () => {
  const teacher = await openPage(school.browser, school.server.url);
  const ben = await openPage(school.browser, school.server.url);
  await signIn(teacher, 'ms.rivera');
  await signIn(ben, 'ben');
  await Promise.all([online(teacher), online(ben)]);
  await contact(ben, 'ben+ms.rivera').click();
  await teacher.goto(`${school.server.url}/#/c/${encodeURIComponent('ben+ms.rivera')}`);
  const box = ben.getByLabel('Message to Ms Rivera (Maths)');
  for (const text of ['Is the test on Thursday at 3pm?', 'Sorry, wrong chat!']) {
    await box.fill(text);
    await box.press('Enter');
    await ben.locator('.message.own[data-status="sent"]', { hasText: text }).waitFor();
    await message(teacher, 'peer', text).waitFor();
  }

  // Edit: the menu, the editor with the text, Enter saves.
  await message(ben, 'own', 'test on Thursday').getByRole('button', { name: 'Message actions' }).click();
  await ben.getByRole('button', { name: 'Edit', exact: true }).click();
  const editor = ben.getByLabel('Edit your message');
  assert.equal(await editor.inputValue(), 'Is the test on Thursday at 3pm?');
  assert.equal(await editor.evaluate((el) => el === document.activeElement), true);
  await editor.fill('Is the test on Thursday at 4pm?');
  await screenshots(ben, 'edit-message');
  await editor.press('Enter');
  await message(ben, 'own', 'Thursday at 4pm').locator('.edited-mark', { hasText: '(edited)' }).waitFor();
  const edited = message(teacher, 'peer', 'Thursday at 4pm');
  await edited.locator('.edited-mark', { hasText: '(edited)' }).waitFor();
  assert.equal(await message(teacher, 'peer', 'Thursday at 3pm').count(), 0);

  // Remove: asked first, then a tombstone on both sides.
  await message(ben, 'own', 'Sorry, wrong chat!').getByRole('button', { name: 'Message actions' }).click();
  await ben.getByRole('button', { name: 'Remove…' }).click();
  await ben.getByText('Remove this message?').waitFor();
  await screenshots(ben, 'remove-message');
  await ben.getByRole('button', { name: 'Remove message' }).click();
  await ben.locator('.message.own.removed .removed-body', { hasText: 'Message removed' }).waitFor();
  await teacher.locator('.message.peer.removed .removed-body', { hasText: 'Message removed' }).waitFor();
  await eventually('the removed text to leave the teacher’s page', async () =>
    !(await teacher.locator('body').innerText()).includes('Sorry, wrong chat!'));
  // The sidebar's preview too.
  await contact(teacher, 'ben+ms.rivera').locator('.preview', { hasText: 'Message removed' }).waitFor();
  await screenshots(teacher, 'edited-and-removed');

  // After a reload, as stored.
  await teacher.reload();
  await online(teacher);
  await message(teacher, 'peer', 'Thursday at 4pm').locator('.edited-mark').waitFor();
  await teacher.locator('.message.peer.removed .removed-body', { hasText: 'Message removed' }).waitFor();
  assert.ok(!(await teacher.locator('body').innerText()).includes('Sorry, wrong chat!'));
  assert.deepEqual([...teacher.errors, ...ben.errors], []);
});
