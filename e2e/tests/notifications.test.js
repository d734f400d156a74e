// Reaching people who are away: the service worker shows a Web Push message as a
// notification (delivered through the DevTools protocol, as a push service would), the
// Notifications page keeps each person's choices and a teacher's office hours, and the
// office sets the school's. (push-delivery.test.js: pushes from the server itself.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, freshDb, seed, startServer, login, api, sendMessage, openPage, signIn, online, contact, eventually,
  screenshots, ALICE_AND_MS_RIVERA,
} from '../lib/harness.js';
import {
  caller, activated, serviceWorkers, shownNotifications, openNotifications, openNotificationsAfterReload,
  browserKeys, decrypt, fakePushService, withPushService, standInPushManager,
} from '../lib/notifications.js';

const CONVERSATION = 'alice+ms.rivera';
const TEACHER = 'Ms Rivera (Maths)';

const school = useSchool({
  users: [
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ms.rivera', role: 'teacher', name: TEACHER },
    { id: 'office', role: 'admin', name: 'School Office' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }],
});
const call = caller(school);

test('the service worker shows a pushed message as a notification, and only after sign-in', async () => {
  const base = school.server.url;
  // The worker may control the whole origin from /static/.
  const worker = await fetch(`${base}/static/sw.js`);
  assert.equal(worker.status, 200);
  assert.equal(worker.headers.get('service-worker-allowed'), '/');
  assert.match(worker.headers.get('content-type'), /^text\/javascript/);

  const page = await openPage(school.browser, base);
  // As if the user had allowed notifications (the page never asks by itself).
  await page.context().grantPermissions(['notifications'], { origin: base });
  const workers = await serviceWorkers(page, base);

  // Nothing is registered on the sign-in page.
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length), 0);
  await signIn(page, 'alice');
  await online(page);
  await workers.id();
  await activated(page);
  // Registered, never subscribed by itself: that takes the user's say-so.
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.ready).pushManager.getSubscription()), null);

  const { push } = workers;

  // The server's payload: title, body, tag and where a click leads.
  await push(JSON.stringify({
    title: TEACHER,
    body: 'New message',
    conversationId: CONVERSATION,
    messageId: 'm-1',
    url: `/#/c/${encodeURIComponent(CONVERSATION)}`,
    tag: CONVERSATION,
  }));
  const [shown] = await workers.shown('the notification', (all) => (all.length ? all : null));
  assert.deepEqual(shown, {
    title: TEACHER,
    body: 'New message',
    tag: CONVERSATION,
    data: { url: `${base}/#/c/alice%2Bms.rivera`, conversationId: CONVERSATION },
  });

  // A newer message of the same conversation replaces it rather than piling up.
  await push(JSON.stringify({ title: TEACHER, body: 'Factorise first.', url: '/#/c/alice%2Bms.rivera', tag: CONVERSATION }));
  await workers.shown('the notification to be replaced', (all) => all.length === 1 && all[0].body === 'Factorise first.');

  // A payload that is not the server's JSON still shows something, and only text.
  await push('this is not JSON');
  const generic = await workers.shown('the generic notification', (all) => all.find((n) => n.title === 'classchat'));
  assert.equal(generic.body, 'New message in classchat');
  assert.equal(generic.tag, '');
  assert.equal(generic.data.url, `${base}/`);

  // A link to another site is never followed: a click opens classchat instead.
  await push(JSON.stringify({ title: 'Elsewhere', body: 'Click me', url: 'https://example.org/phish', tag: 'elsewhere' }));
  const elsewhere = await workers.shown('the notification with a foreign link', (all) => all.find((n) => n.tag === 'elsewhere'));
  assert.equal(elsewhere.data.url, `${base}/`);

  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a teacher’s switches and office hours are kept, and a bad entry shows the server’s reason', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'ms.rivera');
  await online(page);
  await openNotifications(page);
  const token = await login(school.server.url, 'ms.rivera');
  const before = await call(token, 'GET', '/me/notifications', undefined, 200);

  // The email digest: turned over, saved, and so after a reload.
  const digest = page.getByRole('switch', { name: 'Email me a digest of unread messages' });
  assert.equal(await digest.isChecked(), before.emailDigest);
  await digest.click();
  await eventually('the digest switch to be saved', async () =>
    (await call(token, 'GET', '/me/notifications', undefined, 200)).emailDigest === !before.emailDigest);

  // Push for the account: a switch where the server sends pushes; otherwise a sentence.
  const pushSwitch = page.getByRole('switch', { name: 'Send me push notifications' });
  if (before.vapidPublicKey) {
    assert.equal(await pushSwitch.isChecked(), before.push);
    await pushSwitch.click();
    await eventually('the push switch to be saved', async () =>
      (await call(token, 'GET', '/me/notifications', undefined, 200)).push === !before.push);
  } else {
    await page.getByText('Push notifications are not set up on this server').waitFor();
    assert.equal(await pushSwitch.isDisabled(), true);
    assert.equal(await page.getByRole('switch', { name: 'Notify me on this device' }).isDisabled(), true);
  }
  await page.reload();
  await openNotificationsAfterReload(page);
  assert.equal(await digest.isChecked(), !before.emailDigest);
  if (before.vapidPublicKey) assert.equal(await pushSwitch.isChecked(), !before.push);

  // Office hours: Monday to Thursday in UTC, and Saturday evening until midnight.
  const hours = page.getByRole('form', { name: 'Office hours' });
  await hours.getByText('No office hours.').waitFor();
  await hours.getByLabel('Time zone').selectOption('UTC');
  const first = hours.getByRole('group', { name: 'Hours 1' });
  await first.getByRole('checkbox', { name: 'Friday' }).uncheck();
  await first.getByLabel('From').fill('09:00');
  await first.getByLabel('To').fill('15:30');
  await hours.getByRole('button', { name: 'Add hours' }).click();
  const second = hours.getByRole('group', { name: 'Hours 2' });
  for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']) {
    await second.getByRole('checkbox', { name: day }).uncheck();
  }
  await second.getByRole('checkbox', { name: 'Saturday' }).check();
  await second.getByLabel('From').fill('18:00');
  await second.getByLabel('To').fill('00:00');
  await screenshots(page, 'notifications-teacher', { scrollTo: hours });
  await hours.getByRole('button', { name: 'Save office hours' }).click();
  await hours.getByText('Saved.').waitFor();
  const saved = {
    timeZone: 'UTC',
    hours: [
      { days: ['mon', 'tue', 'wed', 'thu'], from: '09:00', to: '15:30' },
      { days: ['sat'], from: '18:00', to: '24:00' },
    ],
  };
  assert.deepEqual((await call(token, 'GET', '/me/notifications', undefined, 200)).hours, saved);
  await page.reload();
  await openNotificationsAfterReload(page);
  await hours.getByText('Office hours: Mon–Thu 09:00–15:30; Sat 18:00–24:00 (UTC)').waitFor();
  assert.equal(await hours.getByLabel('Time zone').inputValue(), 'UTC');
  assert.equal(await hours.getByRole('group', { name: 'Hours 2' }).getByLabel('To').inputValue(), '00:00');

  // From after To: the server refuses, says why, and nothing changes.
  await first.getByLabel('From').fill('16:00');
  await first.getByLabel('To').fill('08:00');
  await hours.getByRole('button', { name: 'Save office hours' }).click();
  const refusal = hours.getByRole('alert');
  await refusal.waitFor();
  const reason = (await refusal.textContent()).trim();
  assert.match(reason, /^Not saved\. \S/);
  assert.doesNotMatch(reason, /Something went wrong/);
  assert.deepEqual((await call(token, 'GET', '/me/notifications', undefined, 200)).hours, saved);
  // The server's reason, as it gives it for the same hours.
  const direct = await api(school.server.url, token, 'PATCH', '/me/notifications', {
    hours: { timeZone: 'UTC', hours: [{ days: ['mon', 'tue', 'wed', 'thu'], from: '16:00', to: '08:00' }, saved.hours[1]] },
  });
  assert.equal(direct.status, 422);
  assert.equal(reason, `Not saved. ${(await direct.json()).error.message}`);

  // Clearing: notified at any time again.
  await hours.getByRole('button', { name: 'Clear (notify me any time)' }).click();
  await hours.getByText('Cleared. You are notified at any time.').waitFor();
  assert.equal((await call(token, 'GET', '/me/notifications', undefined, 200)).hours, null);

  // Only a teacher has office hours of their own.
  const alice = await login(school.server.url, 'alice');
  const refused = await call(alice, 'PATCH', '/me/notifications', { hours: saved }, 403);
  assert.equal(refused.error.code, 'forbidden');

  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the office sets the school’s notification hours, previews and digests', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.getByRole('link', { name: 'Settings' }).click();
  const token = await login(school.server.url, 'office');
  const before = await call(token, 'GET', '/admin/settings', undefined, 200);

  const preview = page.getByRole('switch', { name: 'Push notifications show the start of the message' });
  const quote = page.getByRole('switch', { name: 'Email digests quote the messages' });
  await eventually('the settings to load', () => preview.isEnabled());
  assert.equal(await preview.isChecked(), before.pushPreview);
  assert.equal(await quote.isChecked(), before.digestText);
  await preview.click();
  await page.getByText(/^Saved\. Push notifications now /).waitFor();
  await quote.click();
  await page.getByText(/^Saved\. Email digests now /).waitFor();

  const hours = page.getByRole('form', { name: 'School notification hours' });
  await hours.getByLabel('Time zone').selectOption('Europe/London');
  const first = hours.getByRole('group', { name: 'Hours 1' });
  await first.getByLabel('From').fill('07:30');
  await first.getByLabel('To').fill('18:00');
  await hours.getByRole('button', { name: 'Save school notification hours' }).click();
  await hours.getByText('Saved.').waitFor();
  await screenshots(page, 'admin-settings-notifications', { scrollTo: hours });

  const after = await call(token, 'GET', '/admin/settings', undefined, 200);
  assert.equal(after.pushPreview, !before.pushPreview);
  assert.equal(after.digestText, !before.digestText);
  assert.equal(after.guardianOversight, before.guardianOversight);
  assert.deepEqual(after.quietHours, {
    timeZone: 'Europe/London',
    hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:30', to: '18:00' }],
  });

  // Kept across a reload.
  await page.reload();
  await eventually('the settings to load again', () => preview.isEnabled());
  assert.equal(await preview.isChecked(), !before.pushPreview);
  assert.equal(await quote.isChecked(), !before.digestText);
  await hours.getByText('School notification hours: Mon–Fri 07:30–18:00 (Europe/London)').waitFor();

  // A student sees the school's hours on their Notifications page.
  const student = await openPage(school.browser, school.server.url);
  await signIn(student, 'alice');
  await openNotifications(student);
  await student.getByText('Your school notifies students and families only within Mon–Fri 07:30–18:00 (Europe/London).').waitFor();
  assert.equal(await student.getByRole('form', { name: 'Office hours' }).count(), 0);

  // Back to any time, so the other tests are not affected.
  await hours.getByRole('button', { name: 'Clear (notify any time)' }).click();
  await hours.getByText('Cleared.', { exact: false }).waitFor();
  assert.equal((await call(token, 'GET', '/admin/settings', undefined, 200)).quietHours, null);

  assert.deepEqual([...page.errors, ...student.errors], []);
  await student.context().close();
  await page.context().close();
});

test('turning on notifications for this device says plainly what went wrong, or subscribes', async () => {
  const base = school.server.url;
  const page = await openPage(school.browser, base);
  await page.context().grantPermissions(['notifications'], { origin: base });
  await signIn(page, 'alice');
  await online(page);
  await openNotifications(page);
  const token = await login(base, 'alice');
  const settings = await call(token, 'GET', '/me/notifications', undefined, 200);
  const device = page.getByRole('switch', { name: 'Notify me on this device' });

  if (!settings.vapidPublicKey) {
    // No push on this server: said so, and nothing to turn on.
    await page.getByText('Push notifications are not set up on this server').waitFor();
    assert.equal(await device.isDisabled(), true);
  } else {
    if (!settings.push) {
      await page.getByRole('switch', { name: 'Send me push notifications' }).click();
      await eventually('push to be on', () => device.isEnabled());
    }
    await device.click();
    // Headless Chromium has no push service to reach: the page says so in plain words.
    // Where one answers, the server has the subscription instead.
    const problem = page.locator('#notify-device-error');
    const outcome = await eventually('the subscription to fail or succeed', async () => {
      if (await problem.isVisible()) return 'failed';
      if ((await call(token, 'GET', '/me/notifications', undefined, 200)).subscriptions.length) return 'subscribed';
      return null;
    }, 30_000);
    if (outcome === 'failed') {
      assert.equal(await problem.getAttribute('role'), 'alert');
      const text = await problem.textContent();
      assert.match(text, /push service|Notifications are blocked/);
      // The switch is off again, ready for another try.
      await eventually('the switch to be off and usable', async () => !(await device.isChecked()) && device.isEnabled());
      assert.deepEqual((await call(token, 'GET', '/me/notifications', undefined, 200)).subscriptions, []);
    } else {
      await eventually('the switch to show this device', () => device.isChecked());
      await page.getByText('This device').waitFor();
      // Signing out takes this device's subscription away.
      const loggedOut = page.waitForResponse((response) => response.url().endsWith('/auth/logout'));
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('User ID').waitFor();
      await loggedOut;
      const again = await login(base, 'alice');
      assert.deepEqual((await call(again, 'GET', '/me/notifications', undefined, 200)).subscriptions, []);
    }
  }
  await screenshots(page, 'notifications-student');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// --- A push service on loopback -------------------------------------------------------------

/**
 * A browser's side of a subscription: its P-256 key pair and auth secret, and what
 * `PushSubscription.toJSON()` gives for `endpoint`.
 */
