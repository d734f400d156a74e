// The admin pages with a school of a few hundred: the People page searches, filters by
// role, status and class, and pages through with "Show more"; Links narrows to a class or
// a person; the Classes list on the Roster page finds a class by title and opens its
// people and links. What the pages show is checked against the API's own answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  useSchool, openPage, signIn, screenshots, login, api, schoolBundle, eventually,
} from '../lib/harness.js';

// 300 students, 6 teachers and 10 classes, with the generator's district admin and no
// family members, imported before the browser starts.
const SHAPE = { students: 300, teachers: 6, classes: 10, guardians: 0 };
let token;

const school = useSchool({ users: [{ id: 'office', role: 'admin', name: 'School Office' }] }, async (school) => {
  const bundle = path.join(school.db.dir, 'export.zip');
  schoolBundle(bundle, SHAPE);
  token = await login(school.server.url, 'office');
  const response = await fetch(`${school.server.url}/admin/roster?dryRun=false`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/zip', Authorization: `Bearer ${token}` },
    body: readFileSync(bundle),
  });
  assert.equal(response.status, 200, await response.text());
});

/** A GET on the admin API, as JSON. */
async function get(route) {
  const response = await api(school.server.url, token, 'GET', route);
  assert.equal(response.status, 200, `${route}: ${response.status}`);
  return response.json();
}

/** Every userId a filter finds, following nextAfter. */
async function allUserIds(query) {
  const ids = [];
  let after = '';
  for (;;) {
    const page = await get(`/admin/users?${query}&limit=200${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    ids.push(...page.users.map((u) => u.userId));
    if (!page.hasMore) return ids.sort();
    after = page.nextAfter;
  }
}

const peopleRows = (page) => page.locator('.users-table tbody tr[data-user-id]');

/** The userIds of the People rows, once the count line says `count`. */
async function shownPeople(page, count) {
  await page.locator('.result-count', { hasText: count }).waitFor();
  return (await peopleRows(page).evaluateAll((rows) => rows.map((r) => r.dataset.userId))).sort();
}

async function openPeople(page) {
  await signIn(page, 'office');
  await peopleRows(page).first().waitFor();
}

test('People: search, role and status filters, and Show more pages through', async () => {
  const everyone = await allUserIds('');
  assert.equal(everyone.length, 308, 'office, the district admin, 6 teachers and 300 students');

  const page = await openPage(school.browser, school.server.url);
  await openPeople(page);
  const count = page.locator('.result-count');
  await count.filter({ hasText: 'Showing 100 people; more to load.' }).waitFor();
  assert.equal(await peopleRows(page).count(), 100);

  // Show more follows nextAfter: the next 100, in userId order, none twice; then the last.
  await page.getByRole('button', { name: 'Show more' }).click();
  await count.filter({ hasText: 'Showing 200 people; more to load.' }).waitFor();
  const shownSoFar = await peopleRows(page).evaluateAll((rows) => rows.map((r) => r.dataset.userId));
  assert.deepEqual(shownSoFar, everyone.slice(0, 200));
  await screenshots(page, 'admin-search-more', { scrollTo: page.getByRole('button', { name: 'Show more' }) });
  await page.getByRole('button', { name: 'Show more' }).click();
  await count.filter({ hasText: 'Showing 300 people; more to load.' }).waitFor();
  await page.getByRole('button', { name: 'Show more' }).click();
  await count.filter({ hasText: 'Showing 308 people.' }).waitFor();
  assert.deepEqual(await peopleRows(page).evaluateAll((rows) => rows.map((r) => r.dataset.userId)), everyone);
  assert.equal(await page.getByRole('button', { name: 'Show more' }).isVisible(), false);

  // A search (debounced as one types) finds part of a userId: student.00010–00019.
  await page.getByLabel('Search', { exact: true }).fill('student.0001');
  const found = await shownPeople(page, 'Showing 10 people.');
  assert.deepEqual(found, Array.from({ length: 10 }, (_, i) => `student.000${10 + i}`));
  assert.equal(await page.getByRole('button', { name: 'Show more' }).isVisible(), false);
  assert.match(await page.evaluate(() => window.location.hash), /^#\/admin\/users\?q=student\.0001$/);
  await screenshots(page, 'admin-search-people', { scrollTo: page.locator('#users-title') });

  // Nobody: the empty state says so.
  await page.getByLabel('Search', { exact: true }).fill('nobody-at-all');
  await page.getByLabel('Search', { exact: true }).press('Enter');
  await page.locator('.users-table .empty-state', { hasText: 'Nobody matches.' }).waitFor();
  await screenshots(page, 'admin-search-nobody', { scrollTo: page.locator('#users-title') });

  // Teachers only: the six of them.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByLabel('Show', { exact: true }).selectOption('teacher');
  const teachers = await shownPeople(page, 'Showing 6 people.');
  assert.deepEqual(teachers, await allUserIds('role=teacher'));
  assert.equal(teachers.length, 6);
  assert.deepEqual([...new Set(await page.locator('.users-table .role-chip').allInnerTexts())].map((t) => t.toLowerCase()), ['teacher']);

  // Disable a student from the row's action, then Status: Disabled shows them.
  await page.getByLabel('Show', { exact: true }).selectOption('');
  await page.getByLabel('Search', { exact: true }).fill('student.00042');
  const row = page.locator('.users-table tr[data-user-id="student.00042"]');
  await row.waitFor();
  await row.locator('button.toggle', { hasText: 'Disable' }).click();
  await row.locator('.status-chip', { hasText: 'Disabled' }).waitFor();
  await page.getByLabel('Search', { exact: true }).fill('');
  await page.getByLabel('Status').selectOption('disabled');
  const disabled = await shownPeople(page, /Showing \d+ (person|people)\./);
  assert.ok(disabled.includes('student.00042'), `disabled: ${disabled}`);
  assert.deepEqual(disabled, await allUserIds('status=disabled'));
  await screenshots(page, 'admin-search-disabled', { scrollTo: page.locator('#users-title') });

  // The filters are kept when coming back to the page.
  await page.getByRole('link', { name: 'Links' }).click();
  await page.getByRole('heading', { name: 'Links', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'People' }).click();
  await page.locator('.users-table tr[data-user-id="student.00042"]').waitFor();
  assert.equal(await page.getByLabel('Status').inputValue(), 'disabled');
  assert.match(await page.evaluate(() => window.location.hash), /status=disabled/);
  assert.deepEqual(page.errors, []);
});

test('a search that runs out of its budget goes on from nextAfter', async () => {
  const page = await openPage(school.browser, school.server.url);
  await openPeople(page);
  // The server answers a short page with hasMore when a search examined its 5,000
  // accounts; a school of 308 never does, so the first answers are made short here.
  const afters = [];
  let fakes = 2;
  await page.route('**/admin/users?*', async (route) => {
    const url = new URL(route.request().url());
    if (url.searchParams.get('q') !== 'student.002') return route.continue();
    afters.push(url.searchParams.get('after'));
    if (fakes > 0) {
      fakes -= 1;
      // Nothing found in the first stretch, then one person in the next.
      const body = fakes === 1
        ? { users: [], hasMore: true, nextAfter: 'student.00150' }
        : { users: [{ userId: 'student.00200', displayName: 'Sam200 Student200', role: 'student', disabled: false }], hasMore: true, nextAfter: 'student.00200' };
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    }
    return route.continue();
  });
  await page.getByLabel('Search', { exact: true }).fill('student.002');
  await page.getByLabel('Search', { exact: true }).press('Enter');
  // The empty page was followed at once; the short one waits for Show more.
  await page.locator('.result-count', { hasText: 'Showing 1 person; more to load.' }).waitFor();
  // Then the real answer, from where the short page stopped: student.00201 to 00299.
  await page.getByRole('button', { name: 'Show more' }).click();
  const all = await shownPeople(page, 'Showing 100 people.');
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => `student.00${200 + i}`));
  assert.deepEqual(afters.slice(0, 3), [null, 'student.00150', 'student.00200']);
  await page.unroute('**/admin/users?*');
  assert.deepEqual(page.errors, []);
});

test('classes: found by title, their people and their links', async () => {
  const { classes } = await get('/admin/classes?limit=200');
  assert.equal(classes.length, SHAPE.classes);
  const chosen = classes[2];
  const members = await allUserIds(`classId=${encodeURIComponent(chosen.classId)}`);
  const { links } = await get(`/admin/links?classId=${encodeURIComponent(chosen.classId)}`);
  assert.ok(links.length > 0);

  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');

  // The Classes list on the Roster page, searched by the title.
  await page.getByRole('link', { name: 'Roster' }).click();
  const list = page.locator('.classes-table tbody tr[data-class-id]');
  await list.first().waitFor();
  assert.equal(await list.count(), SHAPE.classes);
  await page.getByLabel('Search classes').fill(chosen.title);
  const row = page.locator(`.classes-table tr[data-class-id="${chosen.classId}"]`);
  await eventually('only matching classes', async () => (await list.count()) < SHAPE.classes && (await row.count()) === 1);
  const titles = await list.locator('.class-title').allInnerTexts();
  assert.ok(titles.every((t) => t.toLowerCase().includes(chosen.title.toLowerCase())), titles.join(', '));
  assert.match(await row.innerText(), new RegExp(`${chosen.teacherIds[0]}[\\s\\S]*${chosen.studentCount}`));
  await screenshots(page, 'admin-search-classes', { scrollTo: row });

  // Its people: the teacher and the students of the class, nobody else.
  await row.getByRole('link', { name: `Members of ${chosen.title}` }).click();
  const shown = await shownPeople(page, `Showing ${members.length} people.`);
  assert.deepEqual(shown, members);
  assert.equal(members.length, chosen.teacherIds.length + chosen.studentCount);
  for (const teacher of chosen.teacherIds) {
    await page.locator(`.users-table tr[data-user-id="${teacher}"] .role-chip`, { hasText: 'teacher' }).waitFor();
  }
  assert.equal(await page.getByLabel('Class', { exact: true }).inputValue(), chosen.classId);
  await screenshots(page, 'admin-search-class-people', { scrollTo: page.locator('#users-title') });

  // Typing another class into the picker (and Enter) filters by that one.
  const other = classes[5];
  await page.getByLabel('Class', { exact: true }).fill(other.classId);
  await page.getByLabel('Class', { exact: true }).press('Enter');
  const otherMembers = await allUserIds(`classId=${encodeURIComponent(other.classId)}`);
  assert.deepEqual(await shownPeople(page, `Showing ${otherMembers.length} people.`), otherMembers);
  // An unknown class is said to be one.
  await page.getByLabel('Class', { exact: true }).fill('class-nope');
  await page.getByLabel('Class', { exact: true }).press('Enter');
  await page.locator('.users-table td.error-text', { hasText: 'There is no class class-nope.' }).waitFor();

  // Links filtered by the class: exactly that class's pairs. (Wait for the Links page:
  // People has a Class field too, and the tab's navigation is a hash change.)
  await page.getByRole('link', { name: 'Links' }).click();
  await page.getByRole('heading', { name: 'Links', level: 1 }).waitFor();
  await page.getByLabel('Class', { exact: true }).fill(chosen.classId);
  await page.getByLabel('Class', { exact: true }).press('Enter');
  const linkRows = page.locator('.links-table tbody tr[data-conversation-id]');
  await page.locator('.result-count', { hasText: `Showing ${links.length} links.` }).waitFor();
  const pairs = (await linkRows.evaluateAll((rows) => rows.map((r) => r.dataset.conversationId))).sort();
  assert.deepEqual(pairs, links.map((l) => `${l.studentId}+${l.teacherId}`).sort());
  assert.match(await page.evaluate(() => window.location.hash), new RegExp(`^#/admin/links\\?classId=${chosen.classId}$`));
  await screenshots(page, 'admin-search-class-links', { scrollTo: page.locator('#links-title') });

  // And by a person: a student's links only.
  const student = links[0].studentId;
  await page.getByLabel('Class', { exact: true }).fill('');
  await page.getByLabel('User ID', { exact: true }).fill(student);
  const studentLinks = (await get(`/admin/links?userId=${student}`)).links;
  await page.locator('.result-count', { hasText: `Showing ${studentLinks.length} link${studentLinks.length === 1 ? '' : 's'}.` }).waitFor();
  const theirs = await linkRows.evaluateAll((rows) => rows.map((r) => r.dataset.conversationId));
  assert.ok(theirs.length > 0 && theirs.every((id) => id.startsWith(`${student}+`)), theirs.join(', '));

  // The class's Pairs button opens the same list.
  await page.getByRole('link', { name: 'Roster' }).click();
  await page.getByLabel('Search classes').fill(chosen.classId);
  await row.getByRole('link', { name: `Pairs of ${chosen.title}` }).click();
  await page.locator('.result-count', { hasText: `Showing ${links.length} links.` }).waitFor();
  assert.equal(await page.getByLabel('Class', { exact: true }).inputValue(), chosen.classId);
  assert.equal(await page.getByLabel('User ID', { exact: true }).inputValue(), '');
  assert.deepEqual(page.errors, []);
});
