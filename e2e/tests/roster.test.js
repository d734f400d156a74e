// The roster page: the school office uploads its OneRoster export (a zip the roster crate
// generates for the test), reads the diff of a dry run, applies it, and finds the imported
// people on the People page; a bundle with a broken users.csv is refused with each problem
// named by file, line and column, and nothing is written.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  useSchool, openPage, signIn, screenshots, login, api, schoolBundle,
} from '../lib/harness.js';
import { readZip, writeZip } from '../lib/zip.js';

const school = useSchool({ users: [{ id: 'office', role: 'admin', name: 'School Office' }] });

// 60 students, 2 teachers and 2 classes of 20 in the generator's district, with its
// district admin and 6 family members (parents, guardians and relatives: guardian
// accounts, each linked to their child).
const SHAPE = { students: 60, teachers: 2, classes: 2 };
const bundles = { good: undefined, broken: undefined };

before(() => {
  bundles.good = path.join(school.db.dir, 'export.zip');
  schoolBundle(bundles.good, SHAPE);
  // The same export with one bad username: student.00003 (line 7 of users.csv: the header,
  // the district admin, two teachers, then the students) becomes "sam three!".
  const files = readZip(readFileSync(bundles.good));
  const users = files.get('users.csv').toString('utf8');
  const broken = users.replace(',student,student.00003,', ',student,sam three!,');
  assert.notEqual(broken, users);
  files.set('users.csv', broken);
  bundles.broken = path.join(school.db.dir, 'broken-export.zip');
  writeFileSync(bundles.broken, writeZip(files));
});

/** How many students the server holds, over the API. */
async function students() {
  const token = await login(school.server.url, 'office');
  const response = await api(school.server.url, token, 'GET', '/admin/users?role=student&limit=200');
  return (await response.json()).users.length;
}

/** The number a count tile of the diff shows. */
async function count(page, key) {
  return page.locator(`.roster-count[data-count="${key}"] dd`).innerText();
}

async function openRoster(page) {
  await signIn(page, 'office');
  await page.getByRole('link', { name: 'Roster' }).click();
  await page.getByRole('heading', { name: 'Roster', level: 1 }).waitFor();
}

test('the admin previews a roster export, applies it, and finds the imported people', async () => {
  const page = await openPage(school.browser, school.server.url);
  await openRoster(page);
  // Apply is only offered for a file whose preview is on show.
  assert.equal(await page.getByRole('button', { name: 'Apply changes' }).isDisabled(), true);
  await page.getByLabel('OneRoster bundle (.zip)').setInputFiles(bundles.good);
  await page.getByRole('button', { name: 'Preview changes' }).click();

  const result = page.locator('.roster-result');
  await result.getByRole('heading', { name: 'Preview: nothing has been written yet' }).waitFor();
  assert.equal(await result.locator('.roster-summary code').innerText(), 'users +69 ~0; classes +2 ~0 -0; links +40 -0; guardians +6 -0');
  assert.equal(await count(page, 'usersCreated'), '69');
  assert.equal(await count(page, 'classesCreated'), '2');
  assert.equal(await count(page, 'linksAdded'), '40');
  assert.equal(await count(page, 'guardiansAdded'), '6');
  assert.equal(await count(page, 'skipped'), '0');
  assert.equal(await count(page, 'usersUpdated'), '0');

  // The lists: 69 people created, 50 shown and the rest counted; the classes with their
  // teacher and size; each family member's guardian link.
  const created = result.locator('details[data-list="users-created"]');
  await created.getByText('Users created (69)').click();
  assert.equal(await created.locator('li').count(), 50);
  await created.getByText('and 19 more').waitFor();
  await created.locator('li', { hasText: 'Sam1 Student1 student.00001 · student' }).waitFor();
  const classes = result.locator('details[data-list="classes-created"]');
  await classes.getByText('Classes created (2)').click();
  await classes.locator('li', { hasText: 'Class 1 class-0001 · taught by teacher.0001 · 20 students' }).waitFor();
  const guardians = result.locator('details[data-list="guardians-added"]');
  await guardians.getByText('Guardian links added (6)').click();
  await guardians.locator('li', { hasText: 'family.1 guardian of student.00001' }).waitFor();
  await screenshots(page, 'roster-preview', { scrollTo: result.getByRole('heading', { level: 2 }) });
  assert.equal(await students(), 0, 'a preview writes nothing');

  await page.getByRole('button', { name: 'Apply changes' }).click();
  await result.getByRole('heading', { name: 'Applied' }).waitFor();
  assert.equal(await count(page, 'usersCreated'), '69');
  assert.equal(await count(page, 'linksAdded'), '40');
  await page.getByText('Roster imported: users +69 ~0; classes +2 ~0 -0; links +40 -0; guardians +6 -0').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Apply changes' }).isDisabled(), true);
  await screenshots(page, 'roster-applied', { scrollTo: result.getByRole('heading', { level: 2 }) });
  assert.equal(await students(), 60);

  // Previewing the same export again: nothing left to change.
  await page.getByRole('button', { name: 'Preview changes' }).click();
  await page.locator('.roster-summary', { hasText: 'users +0 ~0; classes +0 ~0 -0; links +0 -0' }).waitFor();
  assert.equal(await count(page, 'usersCreated'), '0');

  await page.getByRole('link', { name: 'People' }).click();
  const row = page.locator('.users-table tr[data-user-id="student.00001"]');
  await row.waitFor();
  assert.match(await row.innerText(), /Sam1 Student1/);
  await page.locator('.users-table tr[data-user-id="teacher.0001"]', { hasText: 'Terry1 Teacher1' }).waitFor();
  await screenshots(page, 'roster-people', { scrollTo: row });

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('.audit-table tr[data-action="roster.import"]', { hasText: 'Imported the roster' }).waitFor();
  assert.deepEqual(page.errors, []);
});

test('a refused export lists each problem with its file, line and column, and writes nothing', async () => {
  const before = await students();
  const page = await openPage(school.browser, school.server.url);
  await openRoster(page);
  await page.getByLabel('OneRoster bundle (.zip)').setInputFiles(bundles.broken);
  await page.getByRole('button', { name: 'Preview changes' }).click();

  const refused = page.getByRole('alert').filter({ hasText: 'This bundle was refused; nothing was written.' });
  await refused.waitFor();
  const problems = refused.locator('.problem-list li');
  assert.equal(await problems.count(), 1);
  assert.match(
    await problems.first().innerText(),
    /^users\.csv line 7, column username: "sam three!" cannot be a userId/,
  );
  assert.equal(await page.locator('.roster-result').isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Apply changes' }).isDisabled(), true);
  await screenshots(page, 'roster-refused', { scrollTo: refused });
  assert.equal(await students(), before);

  // Another file clears the complaint.
  await page.getByLabel('OneRoster bundle (.zip)').setInputFiles(bundles.good);
  assert.equal(await refused.count(), 0);
  assert.deepEqual(page.errors, []);
});

test('rate limits and a busy server are explained plainly', async () => {
  const page = await openPage(school.browser, school.server.url);
  await openRoster(page);
  // The server's answers, as they come when an admin uploads too often or while another
  // upload is being read (reproduced here rather than provoked).
  const answers = [
    [429, 'rate_limited', 'Too many roster uploads in a short time. Wait half a minute, then try again.'],
    [503, 'busy', 'Another roster upload is being checked right now. Try again in a moment.'],
  ];
  await page.getByLabel('OneRoster bundle (.zip)').setInputFiles(bundles.good);
  for (const [status, code, explained] of answers) {
    await page.route('**/admin/roster?*', (route) => route.fulfill({
      status,
      contentType: 'application/json',
      headers: { 'Retry-After': '1' },
      body: JSON.stringify({ error: { code, message: 'refused' } }),
    }));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await page.getByRole('alert').filter({ hasText: explained }).waitFor();
    await page.unroute('**/admin/roster?*');
  }
  await screenshots(page, 'roster-busy');
  assert.equal(await page.getByRole('button', { name: 'Apply changes' }).isDisabled(), true);
  assert.deepEqual(page.errors, []);
});
