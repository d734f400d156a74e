// The school office's side of safeguarding: its settings (the edit window, the words and
// patterns that flag a message, with the server's reason for a pattern it refuses), a
// flagged message arriving in the moderation queue, an edit refused by the window with the
// server's words, and a pause made from the conversation viewer, which only the school lifts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, login, api, openPage, signIn, online, contact, eventually, screenshots,
} from '../lib/harness.js';

const CONVERSATION = 'alice+ms.rivera';
const SCHOOL_REASON = 'Paused while the school looks into a report.';

const school = useSchool({
  users: [
    { id: 'office', role: 'admin', name: 'School Office' },
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }],
});

test('the office sets the safeguarding rules, and a refused pattern shows the server’s reason', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByRole('link', { name: 'Settings' }).click();
  const window = page.getByLabel('Minutes to edit a message after sending');
  await eventually('the settings to load', async () => (await window.inputValue()) === '15' && window.isEnabled());
  const words = page.getByLabel('Words that flag a message');
  const patterns = page.getByLabel('Patterns that flag a message');
  const save = page.getByRole('button', { name: 'Save safeguarding settings' });

  await window.fill('0');
  await words.fill('rubbish\n\n  stupid  \n');
  await patterns.fill('([');
  await save.click();
  const refused = page.getByRole('alert').filter({ hasText: /^Not saved\. / });
  await refused.waitFor();
  await screenshots(page, 'settings-safeguarding-refused', { scrollTo: refused });
  // Nothing was saved.
  const office = await login(school.server.url, 'office');
  const before = await (await api(school.server.url, office, 'GET', '/admin/settings')).json();
  assert.deepEqual([before.editWindowMinutes, before.flagWords, before.flagPatterns], [15, [], []]);

  await patterns.fill('\\b07\\d{9}\\b');
  await save.click();
  await page.getByText('Saved. The new rules apply to messages from now on.').waitFor();
  assert.equal(await refused.count(), 0);
  assert.equal(await words.inputValue(), 'rubbish\nstupid');
  const after = await (await api(school.server.url, office, 'GET', '/admin/settings')).json();
  assert.deepEqual([after.editWindowMinutes, after.flagWords, after.flagPatterns], [0, ['rubbish', 'stupid'], ['\\b07\\d{9}\\b']]);
  await screenshots(page, 'settings-safeguarding', { scrollTo: save });
  assert.deepEqual(page.errors, []);
});

test('a flagged message reaches the queue, and an edit outside the window shows why', async () => {
  const alice = await openPage(school.browser, school.server.url);
  await signIn(alice, 'alice');
  await online(alice);
  await contact(alice, CONVERSATION).click();
  const box = alice.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill('This homework is rubbish.');
  await box.press('Enter');
  const sent = alice.locator('.message.own[data-status="sent"]', { hasText: 'This homework is rubbish.' });
  await sent.waitFor();

  // The school turned edits off: the client offers Edit (it does not know), the server says no.
  await sent.getByRole('button', { name: 'Message actions' }).click();
  await alice.getByRole('button', { name: 'Edit', exact: true }).click();
  const editor = alice.getByLabel('Edit your message');
  await editor.fill('This homework is hard.');
  await editor.press('Enter');
  await sent.getByRole('alert').filter({ hasText: 'The school does not allow edits.' }).waitFor();
  assert.equal(await editor.inputValue(), 'This homework is hard.', 'what was typed stays');
  await screenshots(alice, 'edit-refused');
  await editor.press('Escape');
  assert.equal(await editor.count(), 0);
  assert.equal(await alice.locator('.edited-mark').count(), 0);

  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByRole('link', { name: /^Moderation/ }).click();
  const row = page.locator('.reports-table tr[data-report-id]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const cells = await row.innerText();
  assert.ok(cells.includes('Flagged by the word list') && cells.includes('The word list'), cells);
  await row.getByRole('link', { name: /^Open the report/ }).click();
  await page.locator('.report-facts', { hasText: 'What matched' }).waitFor();
  await page.locator('.context-message.is-reported', { hasText: 'This homework is rubbish.' }).waitFor();
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await page.getByText('This report is closed').waitFor();
  assert.deepEqual([...alice.errors, ...page.errors], []);
});

test('the office pauses from the viewer; the teacher cannot lift it, the office can', async () => {
  const alice = await openPage(school.browser, school.server.url);
  const teacher = await openPage(school.browser, school.server.url);
  const page = await openPage(school.browser, school.server.url);
  await signIn(alice, 'alice');
  await signIn(teacher, 'ms.rivera');
  await signIn(page, 'office');
  await Promise.all([online(alice), online(teacher)]);
  await contact(alice, CONVERSATION).click();
  await contact(teacher, CONVERSATION).click();

  await page.goto(`${school.server.url}/#/admin/view/${encodeURIComponent(CONVERSATION)}`);
  await page.getByText('Your read of this conversation is recorded in the audit log.').waitFor();
  await page.getByRole('button', { name: 'Pause conversation' }).click();
  const dialog = page.getByRole('dialog', { name: 'Pause this conversation?' });
  await dialog.getByLabel('Reason (optional)').fill(SCHOOL_REASON);
  await dialog.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.locator('.pause-notice', { hasText: 'Paused by School Office (school office)' }).waitFor();
  await screenshots(page, 'paused-by-school-viewer');

  await alice.locator('.pause-notice', { hasText: 'This conversation has been paused by the school.' }).getByText(SCHOOL_REASON).waitFor();
  assert.equal(await alice.getByLabel('Message to Ms Rivera (Maths)').isDisabled(), true);
  await teacher.locator('.pause-notice', { hasText: 'The school has paused this conversation.' }).waitFor();
  // Only the school lifts the school's pause: the teacher is offered neither button.
  assert.equal(await teacher.getByRole('button', { name: 'Resume conversation' }).count(), 0);
  assert.equal(await teacher.getByRole('button', { name: 'Pause conversation' }).isVisible(), false);
  assert.equal(await teacher.getByLabel('Message to Alice Martin').isEnabled(), true);
  await screenshots(teacher, 'paused-by-school-teacher');

  await page.getByRole('button', { name: 'Resume conversation' }).click();
  await page.getByRole('button', { name: 'Pause conversation' }).waitFor();
  await eventually('Alice’s box to be enabled', () => alice.getByLabel('Message to Ms Rivera (Maths)').isEnabled());
  await teacher.getByRole('button', { name: 'Pause conversation' }).waitFor();

  const office = await login(school.server.url, 'office');
  const { entries } = await (await api(school.server.url, office, 'GET', '/admin/audit?limit=50')).json();
  for (const action of ['conversation.pause', 'conversation.resume']) {
    assert.ok(entries.some((e) => e.action === action && e.actor === 'office'), `${action} in the audit log`);
  }
  assert.deepEqual([...alice.errors, ...teacher.errors, ...page.errors], []);
});
