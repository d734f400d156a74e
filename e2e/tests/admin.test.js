// The school office: manage people (add, rename, reset a password, disable) and links,
// read a conversation in the read-only viewer (which says the read is audited), and find
// that read in the audit log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, openPage, signIn, eventually, screenshots, login, sendMessage,
} from '../lib/harness.js';

const CONVERSATION = 'alice+ms.rivera';

const school = useSchool({
  users: [
    { id: 'office', role: 'admin', name: 'School Office' },
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ben', role: 'student', name: 'Ben Osei' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }],
}, async (school) => {
  const student = await login(school.server.url, 'alice');
  const teacher = await login(school.server.url, 'ms.rivera');
  await sendMessage(school.server.url, student, CONVERSATION, 'alice', 'Can I have an extension on the homework?');
  await sendMessage(school.server.url, teacher, CONVERSATION, 'ms.rivera', 'Yes, hand it in on Monday.');
});

test('the admin reads a conversation and sees that read in the audit log', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.locator('.users-table tr[data-user-id="alice"]').waitFor();
  await screenshots(page, 'admin-people');

  await page.getByRole('link', { name: 'Links' }).click();
  const link = page.locator(`.links-table tr[data-conversation-id="${CONVERSATION}"]`);
  await link.waitFor();
  await screenshots(page, 'admin-links');
  await link.getByRole('link', { name: /View the conversation/ }).click();

  // The viewer says the read is recorded, shows the messages, and cannot send.
  await page.getByText('Your read of this conversation is recorded in the audit log.').waitFor();
  await page.locator('.message-body', { hasText: 'Yes, hand it in on Monday.' }).waitFor();
  assert.equal(await page.locator('.composer').count(), 0);
  await screenshots(page, 'admin-viewer');

  await page.getByRole('link', { name: 'Audit log' }).click();
  const entry = page.locator(`.audit-table tr[data-action="conversation.read"][data-target="${CONVERSATION}"]`);
  await entry.waitFor();
  assert.match(await entry.innerText(), /School Office/);
  await screenshots(page, 'admin-audit');
  assert.deepEqual(page.errors, []);
});

test('the admin adds a person, links and unlinks them, and disables an account', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByLabel('User ID').fill('chloe');
  await page.getByLabel('Display name').fill('Chloé Dubois');
  await page.getByLabel('Role').selectOption('student');
  await page.getByLabel('Initial password').fill('chloe-password');
  await page.getByRole('button', { name: 'Add person' }).click();
  await page.getByText('Chloé Dubois (chloe) can now sign in.').waitFor();
  await page.locator('.users-table tr[data-user-id="chloe"]').waitFor();
  await screenshots(page, 'admin-person-added');

  await page.getByRole('link', { name: 'Links' }).click();
  await page.locator('.links-table tr').first().waitFor();
  await page.getByLabel('Teacher', { exact: true }).selectOption('ms.rivera');
  await page.getByLabel('Student', { exact: true }).selectOption('chloe');
  await page.getByRole('button', { name: 'Link', exact: true }).click();
  const row = page.locator('.links-table tr[data-conversation-id="chloe+ms.rivera"]');
  await row.waitFor();
  await screenshots(page, 'admin-link-added');
  await row.getByRole('button', { name: /^Unlink/ }).click();
  await row.getByRole('button', { name: /^Confirm: unlink/ }).click();
  await eventually('the link to go', async () => (await row.count()) === 0);

  // Disable Ben: he can no longer sign in. Enable him again.
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByRole('button', { name: 'Disable Ben Osei' }).click();
  await page.locator('.users-table tr[data-user-id="ben"] .status-chip', { hasText: 'Disabled' }).waitFor();
  const ben = await openPage(school.browser, school.server.url);
  await ben.getByLabel('User ID').fill('ben');
  await ben.getByLabel('Password').fill('e2e-password-1');
  await ben.getByRole('button', { name: 'Sign in' }).click();
  await ben.getByText('This account is disabled').waitFor();
  await screenshots(page, 'admin-account-disabled');
  await page.getByRole('button', { name: 'Enable Ben Osei' }).click();
  await page.locator('.users-table tr[data-user-id="ben"] .status-chip', { hasText: 'Active' }).waitFor();
  assert.deepEqual(page.errors, []);
});

test('the admin resets a password and renames a person, by keyboard, and the new password signs in', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  const benRow = page.locator('.users-table tr[data-user-id="ben"]');
  await benRow.waitFor();

  // Reset the password, all from the keyboard: too short is explained, then a good one.
  await page.getByRole('button', { name: 'Reset password for Ben Osei' }).focus();
  await page.keyboard.press('Enter');
  const password = page.getByLabel('New password for Ben Osei');
  assert.equal(await password.evaluate((el) => el === document.activeElement), true);
  assert.equal(await password.getAttribute('type'), 'password');
  await page.keyboard.type('short');
  await page.keyboard.press('Enter');
  const tooShort = page.getByRole('alert').filter({ hasText: 'The password is too short: it needs at least 8 characters.' });
  await tooShort.waitFor();
  assert.equal(await password.getAttribute('aria-invalid'), 'true');
  await screenshots(page, 'admin-reset-password-error', { scrollTo: tooShort });
  await password.fill('ben-new-password-2');
  await page.keyboard.press('Enter');
  await page.getByText('Ben Osei has a new password. Share it with them privately.').waitFor();
  assert.equal(await password.count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Reset password for Ben Osei');
  await screenshots(page, 'admin-password-reset', { scrollTo: benRow });

  // Rename: the form opens under the row with the current name, and Escape closes it.
  await page.getByRole('button', { name: 'Rename Ben Osei' }).click();
  const name = page.getByLabel('New display name for Ben Osei');
  assert.equal(await name.inputValue(), 'Ben Osei');
  await name.press('Escape');
  assert.equal(await name.count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Rename Ben Osei');
  await page.keyboard.press('Enter');
  await name.fill('   ');
  await name.press('Enter');
  const empty = page.getByRole('alert').filter({ hasText: 'A display name needs 1 to 100 characters.' });
  await empty.waitFor();
  await name.fill('Benjamin Osei');
  assert.equal(await empty.count(), 0, 'a correction clears the error');
  await screenshots(page, 'admin-rename', { scrollTo: name });
  await name.press('Enter');
  await benRow.locator('.name-cell', { hasText: 'Benjamin Osei' }).waitFor();
  await page.getByText('Ben Osei is now called Benjamin Osei.').waitFor();

  // Ben: the old password is refused, the new one signs in, under his new name.
  const ben = await openPage(school.browser, school.server.url);
  await ben.getByLabel('User ID').fill('ben');
  await ben.getByLabel('Password').fill('e2e-password-1');
  await ben.getByRole('button', { name: 'Sign in' }).click();
  await ben.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  await signIn(ben, 'ben', 'ben-new-password-2');
  await ben.locator('.topbar', { hasText: 'Benjamin Osei' }).waitFor();
  assert.deepEqual(page.errors, []);
  assert.deepEqual(ben.errors, []);
});

test('the admin opens a conversation whose link was removed, from the teacher’s conversations', async () => {
  const office = await login(school.server.url, 'office');
  const unlinked = await fetch(
    `${school.server.url}/admin/links?teacherId=ms.rivera&studentId=alice`,
    { method: 'DELETE', headers: { Authorization: `Bearer ${office}` } },
  );
  assert.equal(unlinked.status, 204);

  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByRole('button', { name: 'Conversations of Ms Rivera (Maths)' }).click();
  const view = page.getByRole('link', { name: 'View the conversation of Alice Martin and Ms Rivera (Maths)' });
  await view.waitFor();
  await page.getByText('Yes, hand it in on Monday.').waitFor();
  await screenshots(page, 'admin-teacher-conversations', { scrollTo: view });
  await view.click();

  await page.getByText('Your read of this conversation is recorded in the audit log.').waitFor();
  await page.locator('.message-body', { hasText: 'Can I have an extension on the homework?' }).waitFor();
  assert.equal(await page.locator('.composer').count(), 0);

  // Listing the teacher's conversations was recorded too.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('.audit-table tr[data-action="contacts.read"][data-target="ms.rivera"]').waitFor();
  assert.deepEqual(page.errors, []);
});
