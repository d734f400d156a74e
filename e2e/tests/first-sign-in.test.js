// First sign-in: the accounts a roster import creates have no password. The operator
// finds them (`classchat user codes --without-password`), an admin issues a one-time code
// through the API, and the student sets their own password on the sign-in page's first
// sign-in form, lands in the app as after any sign-in, and from then on signs in with it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  BIN, ROOT, PASSWORD, freshDb, seed, startServer, launchBrowser, openPage, login, signIn, online, contact, screenshots,
} from '../lib/harness.js';

const QUIET = { ...process.env, RUST_LOG: 'warn', CLASSCHAT_STORE: 'sqlite' };
// Built by `cargo build --workspace --all-targets` (classchat-roster's test-support example).
const BUNDLE_BIN = path.join(ROOT, 'target/debug/examples/school-bundle');
const NEW_PASSWORD = 'sams-own-password';

const school = { db: undefined, server: undefined, browser: undefined };

before(async () => {
  school.db = freshDb();
  seed(school.db.db, { users: [{ id: 'office', role: 'admin', name: 'School Office' }] });
  // Two students, a teacher and a class (student.00001 in it), and a district admin; no
  // family members.
  const bundle = path.join(school.db.dir, 'roster.zip');
  execFileSync(BUNDLE_BIN, [bundle, '2', '1', '1', '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(BIN, ['roster', 'import', bundle, '--db', school.db.db], { env: QUIET, stdio: ['ignore', 'ignore', 'inherit'] });
  school.server = await startServer(school.db.db);
  school.browser = await launchBrowser();
});

after(async () => {
  await school.browser?.close();
  await school.server?.kill();
  school.db?.cleanup();
});

/** `userId,code,expiresAt` records of a CSV answer, after its header. */
function records(csv) {
  const lines = csv.split('\r\n');
  assert.equal(lines.shift(), 'userId,code,expiresAt');
  assert.equal(lines.pop(), '', 'the last line ends with CRLF too');
  return lines.map((line) => line.split(','));
}

/** The admin's one-time code for `userId`, through `POST /admin/sign-in-codes`. */
async function issueCode(userId) {
  const token = await login(school.server.url, 'office');
  const response = await fetch(`${school.server.url}/admin/sign-in-codes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ userIds: [userId], validForHours: 48 }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
  const [[id, code]] = records(await response.text());
  assert.equal(id, userId);
  return code;
}

/** Opens the first sign-in form from the sign-in page. */
async function openFirstSignIn(page) {
  await page.getByRole('button', { name: 'First time here? Use your sign-in code' }).click();
  await page.getByRole('heading', { name: 'First sign-in' }).waitFor();
}

async function fillFirstSignIn(page, { userId, code, password, repeat = password }) {
  await page.getByLabel('User ID').fill(userId);
  await page.getByLabel('Sign-in code').fill(code);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat new password').fill(repeat);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
}

test('the operator lists exactly the accounts the roster import left without a password', () => {
  const csv = execFileSync(BIN, ['user', 'codes', '--without-password', '--valid-for', '1h', '--db', school.db.db], {
    env: QUIET,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ids = records(csv).map(([id]) => id);
  // office has a password; the roster's people (its district admin too) have none.
  assert.deepEqual(ids, ['district.admin', 'student.00001', 'student.00002', 'teacher.0001']);
  // Now each holds a working code: a second run finds nobody.
  const again = execFileSync(BIN, ['user', 'codes', '--without-password', '--db', school.db.db], {
    env: QUIET,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.deepEqual(records(again), []);
});

test('a student sets a password with the code from the office, then signs in with it', async () => {
  const code = await issueCode('student.00001');
  const page = await openPage(school.browser, school.server.url);
  await openFirstSignIn(page);
  await screenshots(page, 'first-sign-in');

  // Mistakes are explained, and cost nothing: the two passwords differ, then a wrong code.
  await fillFirstSignIn(page, { userId: 'student.00001', code, password: NEW_PASSWORD, repeat: 'something-else' });
  await page.getByRole('alert').filter({ hasText: 'The two passwords do not match' }).waitFor();
  await fillFirstSignIn(page, { userId: 'student.00001', code: 'ABCD-EFGH-JKMN', password: NEW_PASSWORD });
  await page.getByRole('alert').filter({ hasText: 'the code has expired' }).waitFor();
  await screenshots(page, 'first-sign-in-error');

  // The code as a pupil might type it: lower case, spaces for dashes.
  const typed = code.toLowerCase().replaceAll('-', ' ');
  await fillFirstSignIn(page, { userId: 'student.00001', code: typed, password: NEW_PASSWORD });
  await page.locator('.topbar').waitFor();
  await online(page);
  // Signed in as the student, with their class's teacher in the contact list.
  await page.locator('.user-name', { hasText: 'Sam1 Student1' }).waitFor();
  await contact(page, 'student.00001+teacher.0001').waitFor();
  assert.deepEqual(page.errors, []);

  // From now on: the password. The code is used up.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User ID').waitFor();
  await signIn(page, 'student.00001', NEW_PASSWORD);
  await online(page);
  const reused = await fetch(`${school.server.url}/auth/first-sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId: 'student.00001', code, newPassword: 'a-third-password' }),
  });
  assert.equal(reused.status, 401);
  assert.deepEqual(page.errors, []);
});

test('the first sign-in form goes back to the sign-in form, and a code is no password', async () => {
  const code = await issueCode('teacher.0001');
  const page = await openPage(school.browser, school.server.url);
  await openFirstSignIn(page);
  await page.getByRole('button', { name: 'Back to sign in' }).click();
  await page.getByLabel('Password', { exact: true }).fill(code);
  await page.getByLabel('User ID').fill('teacher.0001');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  // office still signs in as before: its password was never touched.
  await signIn(page, 'office', PASSWORD);
  assert.deepEqual(page.errors, []);
});
