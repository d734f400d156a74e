// Errors a user can meet: a wrong password, an expired session (a 401 sends the user back
// to the sign-in page with a notice), and sending faster than the server allows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, ALICE_AND_MS_RIVERA, PASSWORD, freshDb, seed, startServer, openPage, signIn, online, contact, screenshots,
} from '../lib/harness.js';

const school = useSchool(ALICE_AND_MS_RIVERA);

test('a wrong password is explained', async () => {
  const page = await openPage(school.browser, school.server.url);
  await page.getByLabel('User ID').fill('alice');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  await screenshots(page, 'login-error');
});

test('an expired or revoked token returns to sign-in with a notice', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'alice');
  await online(page);
  // The server no longer accepts the token (as after expiry): the next request gets 401.
  await page.evaluate(() => {
    const session = JSON.parse(sessionStorage.getItem('classchat.session'));
    session.token = `${session.token.slice(0, -4)}AAAA`;
    sessionStorage.setItem('classchat.session', JSON.stringify(session));
  });
  await page.reload();
  await page.getByText('Your session has expired. Please sign in again.').waitFor();
  await page.getByLabel('User ID').waitFor();
  await screenshots(page, 'session-expired');
  await signIn(page, 'alice');
  await online(page);
});

test('sending faster than the server allows is explained, with Retry', async () => {
  // A server with a tiny budget: one message, then none for a long while.
  const own = freshDb();
  seed(own.db, {
    users: [
      { id: 'alice', role: 'student', name: 'Alice Martin' },
      { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
    ],
    links: [{ teacher: 'ms.rivera', student: 'alice' }],
  });
  const strict = await startServer(own.db, { args: ['--send-rate', '0.001', '--send-burst', '1'] });
  try {
    const page = await openPage(school.browser, strict.url);
    await signIn(page, 'alice');
    await online(page);
    await contact(page, 'alice+ms.rivera').click();
    const box = page.getByLabel('Message to Ms Rivera (Maths)');
    await box.fill('One');
    await box.press('Enter');
    await page.locator('.message.own[data-status="sent"]', { hasText: 'One' }).waitFor();
    await box.fill('Two');
    await box.press('Enter');
    const failed = page.locator('.message.own[data-status="failed"]', { hasText: 'Two' });
    await failed.locator('.message-failed', { hasText: 'sending messages too quickly' }).waitFor();
    await screenshots(page, 'rate-limited');
    // Still limited: Retry fails the same way, and nothing is stored twice.
    await failed.getByRole('button', { name: 'Retry' }).click();
    await failed.locator('.message-failed', { hasText: 'sending messages too quickly' }).waitFor();
    assert.equal(await page.locator('.message', { hasText: 'Two' }).count(), 1);
  } finally {
    await strict.kill();
    own.cleanup();
  }
});

test('a browser that signed in before gets in while guesses have paused the account', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'alice');
  await online(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User ID').waitFor();
  // Its device token outlives the session.
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('classchat.devices')));
  assert.equal(typeof kept?.alice, 'string');
  // A browser that never signed in as alice is ready to try her password…
  const stranger = await openPage(school.browser, school.server.url);
  await stranger.getByLabel('User ID').fill('alice');
  await stranger.getByLabel('Password').fill(PASSWORD);
  // …while someone else guesses at it until her account pauses: five free failures, then
  // pauses of 1 s, 2 s, 4 s. Waiting out the first two leaves a 4 s pause, long enough that
  // a slow machine cannot let the stranger's click land after it.
  let failures = 0;
  while (failures < 7) {
    const response = await fetch(`${school.server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'alice', password: `guess-${failures}` }),
    });
    if (response.status === 429) {
      const wait = Number(response.headers.get('retry-after'));
      assert.ok(wait >= 1, `Retry-After ${wait}`);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    } else {
      assert.equal(response.status, 401);
      failures += 1;
    }
  }
  // The stranger is paused with her account…
  await stranger.getByRole('button', { name: 'Sign in' }).click();
  await stranger.getByRole('alert').filter({ hasText: 'Too many sign-in attempts' }).waitFor();
  // …while hers signs straight in.
  await signIn(page, 'alice');
  await online(page);
  await stranger.context().close();
  await page.context().close();
});
