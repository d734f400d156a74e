// The school office's retention, legal holds and exports: it chooses how long conversations
// are kept (a period under 30 days is refused), previews what retention would delete (a dry
// run: every message here is fresh, so nothing), holds a person and a conversation and lifts
// both holds, and downloads a conversation's printable transcript and a person's CSV, whose
// bytes hold the message, escaped where HTML needs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  useSchool, login, api, sendMessage, openPage, signIn, eventually, screenshots,
} from '../lib/harness.js';

const CONVERSATION = 'alice+ms.rivera';
// Markup, an ampersand and quotes: the transcript must show them as text.
const MESSAGE = 'Is <b>Friday</b> & "Monday" OK? <script>alert(1)</script>';
const ESCAPED = 'Is &lt;b&gt;Friday&lt;/b&gt; &amp; &quot;Monday&quot; OK? &lt;script&gt;alert(1)&lt;/script&gt;';

const school = useSchool({
  users: [
    { id: 'office', role: 'admin', name: 'School Office' },
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }],
}, async ({ server }) => {
  await sendMessage(server.url, await login(server.url, 'alice'), CONVERSATION, 'alice', MESSAGE);
});

/** The audit log's newest entries, as the office reads them over the API. */
async function auditEntries() {
  const office = await login(school.server.url, 'office');
  const { entries } = await (await api(school.server.url, office, 'GET', '/admin/audit?limit=100')).json();
  return entries;
}

async function settingsNow() {
  const office = await login(school.server.url, 'office');
  return (await api(school.server.url, office, 'GET', '/admin/settings')).json();
}

test('the office keeps conversations for a period and previews what retention would delete', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByRole('link', { name: 'Settings' }).click();
  const forever = page.getByLabel('Forever', { exact: true });
  const limited = page.getByLabel('For a number of days after the last message');
  const days = page.getByLabel('Days after the last message', { exact: true });
  await eventually('the settings to load', async () => (await forever.isChecked()) && forever.isEnabled());
  assert.equal(await days.isDisabled(), true, 'no period while conversations are kept forever');

  await limited.check();
  await days.fill('7');
  await page.getByRole('button', { name: 'Save retention' }).click();
  await page.getByRole('alert').filter({ hasText: 'whole number of days from 30 to 36,500' }).waitFor();
  assert.equal((await settingsNow()).retentionDays, null, 'nothing saved');

  await days.fill('1095');
  await page.getByRole('button', { name: 'Save retention' }).click();
  await page.getByText('Saved. Conversations are kept for 1,095 days after their last message.').waitFor();
  assert.equal((await settingsNow()).retentionDays, 1095);

  await page.getByRole('button', { name: 'Preview retention' }).click();
  const preview = page.locator('.retention-preview');
  await preview.getByText('Nothing has been deleted.').waitFor();
  for (const count of ['conversations', 'messages', 'held']) {
    assert.equal(await preview.locator(`.retention-count[data-count="${count}"] dd`).innerText(), '0', count);
  }
  await screenshots(page, 'settings-retention-preview', { scrollTo: preview });
  const previews = (await auditEntries()).filter((e) => e.action === 'retention.preview');
  assert.equal(previews.length, 1);
  assert.equal(previews[0].actor, 'office');
  assert.match(previews[0].target, /^conversations=0 messages=0 held=0 cutoff=/);

  // Back to forever: a reload shows it as saved.
  await forever.check();
  await page.getByRole('button', { name: 'Save retention' }).click();
  await page.getByText('Saved. Conversations are kept forever.').waitFor();
  await page.reload();
  await eventually('the settings to load again', async () => (await forever.isChecked()) && forever.isEnabled());
  assert.equal((await settingsNow()).retentionDays, null);
  assert.deepEqual(page.errors, []);
});

test('the office holds a person and a conversation, and lifts both holds', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByRole('link', { name: 'Legal holds' }).click();
  await page.getByText('Nothing is held.').waitFor();

  await page.getByLabel('User ID').fill('alice');
  await page.getByLabel('Reason (optional)').fill('Case 2026-14');
  await page.getByRole('button', { name: 'Hold', exact: true }).click();
  await page.getByText('Held. Every conversation of Alice Martin is kept until you lift the hold.').waitFor();
  const person = page.locator('.holds-table tr[data-user-id="alice"]');
  await person.waitFor();
  const cells = await person.innerText();
  assert.ok(cells.includes('Alice Martin') && cells.includes('Case 2026-14') && cells.includes('School Office'), cells);

  // A conversation, in the other id order: held as the server names it.
  await page.getByLabel('One conversation').check();
  await page.getByLabel('Conversation ID').fill('ms.rivera+alice');
  await page.getByRole('button', { name: 'Hold', exact: true }).click();
  const conversation = page.locator(`.holds-table tr[data-conversation-id="${CONVERSATION}"]`);
  await conversation.waitFor();
  assert.ok((await conversation.innerText()).includes('None given'));
  await screenshots(page, 'legal-holds', { scrollTo: conversation });
  const office = await login(school.server.url, 'office');
  const { holds } = await (await api(school.server.url, office, 'GET', '/admin/holds')).json();
  assert.deepEqual(holds.map((hold) => [hold.userId, hold.conversationId, hold.reason]),
    [['alice', null, 'Case 2026-14'], [null, CONVERSATION, null]]);

  await person.getByRole('button', { name: /^Lift the hold on .*Alice Martin/ }).click();
  await person.waitFor({ state: 'detached' });
  await conversation.getByRole('button', { name: /^Lift the hold on / }).click();
  await page.getByText('Nothing is held.').waitFor();
  const after = await (await api(school.server.url, office, 'GET', '/admin/holds')).json();
  assert.deepEqual(after, { holds: [] });

  const entries = await auditEntries();
  for (const [action, target] of [
    ['hold.set', 'user:alice'], ['hold.set', `conversation:${CONVERSATION}`],
    ['hold.release', 'user:alice'], ['hold.release', `conversation:${CONVERSATION}`],
  ]) {
    assert.ok(entries.some((e) => e.action === action && e.target === target && e.actor === 'office'), `${action} ${target}`);
  }
  assert.deepEqual(page.errors, []);
});

test('the office downloads a conversation’s printable transcript and a person’s CSV', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.goto(`${school.server.url}/#/admin/view/${encodeURIComponent(CONVERSATION)}`);
  await page.getByText('Your read of this conversation is recorded in the audit log.').waitFor();
  await page.locator('.conversation-head .export-menu > summary').click();
  const [transcript] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Printable HTML' }).click(),
  ]);
  assert.equal(transcript.suggestedFilename(), `classchat-conversation-${CONVERSATION}.html`);
  const html = await readFile(await transcript.path(), 'utf8');
  assert.ok(html.includes(ESCAPED), 'the message, escaped');
  assert.ok(!html.includes('<b>Friday</b>') && !html.includes('<script>alert(1)'), 'no markup of the message survives');
  await page.getByText(`Downloaded classchat-conversation-${CONVERSATION}.html.`).waitFor();
  await screenshots(page, 'export-conversation');

  await page.getByRole('link', { name: 'People' }).click();
  const row = page.locator('tr[data-user-id="alice"]');
  await row.locator('.export-menu > summary').click();
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('button', { name: 'CSV (spreadsheet)' }).click(),
  ]);
  assert.equal(csv.suggestedFilename(), 'classchat-user-alice.csv');
  const bytes = await readFile(await csv.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a byte-order mark for spreadsheets');
  assert.ok(bytes.toString('utf8').includes('Is <b>Friday</b> & ""Monday"" OK?'), 'the message as a CSV cell');

  const exports = (await auditEntries()).filter((e) => e.action.startsWith('export.'));
  assert.deepEqual(exports.map((e) => [e.actor, e.action, e.target]).reverse(), [
    ['office', 'export.conversation', `${CONVERSATION} html`],
    ['office', 'export.user', 'alice csv'],
  ]);
  assert.deepEqual(page.errors, []);
});
