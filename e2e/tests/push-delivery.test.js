// Pushes from the server itself: headless Chromium reaches no push service, so a small
// HTTP server on loopback stands in for one (the server's `--push-allow-loopback`) and
// decrypts what the server pushes with keys the test made, and the page's PushManager is
// replaced by one that hands out a subscription to it. Also: a server that sends no
// pushes, and a student told when their teacher will be notified.

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

test('a teacher’s message to a student who is away is pushed, and the service worker shows it', async () => {
  await withPushService(async (server, pushService) => {
    const base = server.url;
    // Alice's browser subscribed earlier, and she has closed classchat.
    const alice = await login(base, 'alice');
    const keys = browserKeys(`${pushService.url}/push/alice-phone`);
    await call(alice, 'POST', '/me/push-subscriptions', keys.json, 201, base);
    const { vapidPublicKey } = await call(alice, 'GET', '/me/notifications', undefined, 200, base);

    const rivera = await login(base, 'ms.rivera');
    const sent = await sendMessage(base, rivera, CONVERSATION, 'ms.rivera', 'Factorise first, then solve each bracket.');
    assert.equal(sent.quietUntil, undefined);

    // The push service gets it encrypted for Alice's browser, signed with the server's key.
    const [delivery] = await eventually('the push', () => (pushService.received.length ? pushService.received : null));
    assert.equal(delivery.path, '/push/alice-phone');
    assert.equal(delivery.headers['content-encoding'], 'aes128gcm');
    assert.ok(Number(delivery.headers.ttl) > 0);
    assert.match(delivery.headers.authorization, new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapidPublicKey}$`));
    const payload = JSON.parse(decrypt(delivery.body, keys));
    assert.equal(payload.title, TEACHER);
    assert.equal(payload.conversationId, CONVERSATION);
    assert.equal(payload.messageId, sent.messageId);
    assert.equal(payload.url, '/#/c/alice%2Bms.rivera');
    assert.equal(payload.tag, CONVERSATION);
    assert.equal(typeof payload.body, 'string');

    // What the browser's push service would hand the service worker: it shows it, and a
    // click leads to the conversation.
    const page = await openPage(school.browser, base);
    await page.context().grantPermissions(['notifications'], { origin: base });
    const workers = await serviceWorkers(page, base);
    await signIn(page, 'alice');
    await online(page);
    await activated(page);
    await workers.push(decrypt(delivery.body, keys));
    const [shown] = await workers.shown('the notification', (all) => (all.length ? all : null));
    assert.deepEqual(shown, {
      title: TEACHER,
      body: payload.body,
      tag: CONVERSATION,
      data: { url: `${base}/#/c/alice%2Bms.rivera`, conversationId: CONVERSATION },
    });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

test('with a push service to answer, this device is subscribed, listed, and unsubscribed on sign-out', async () => {
  await withPushService(async (server, pushService) => {
    const base = server.url;
    const token = await login(base, 'alice');
    // Alice's phone, subscribed earlier.
    const phone = browserKeys(`${pushService.url}/push/phone`).json;
    assert.equal((await call(token, 'POST', '/me/push-subscriptions', phone, 201, base)).endpoint, phone.endpoint);

    const page = await openPage(school.browser, base);
    const here = browserKeys(`${pushService.url}/push/this-device`).json;
    await page.context().grantPermissions(['notifications'], { origin: base });
    await standInPushManager(page.context(), here);
    await page.reload();
    await signIn(page, 'alice');
    await online(page);
    await openNotifications(page);

    // Before: only the phone (named by its push service's host), removable from here.
    const devices = page.getByRole('list', { name: 'Devices with notifications' });
    const host = new URL(pushService.url).host;
    await eventually('the phone to be listed', async () => (await devices.getByRole('listitem').count()) === 1);
    const device = page.getByRole('switch', { name: 'Notify me on this device' });
    assert.equal(await device.isChecked(), false);

    await device.click();
    await page.getByText('This device will be notified.').waitFor();
    assert.equal(await device.isChecked(), true);
    await devices.getByText('This device').waitFor();
    const { vapidPublicKey, subscriptions } = await call(token, 'GET', '/me/notifications', undefined, 200, base);
    assert.equal(await page.evaluate(() => window.subscribedWith), vapidPublicKey);
    assert.deepEqual(subscriptions.map((s) => s.endpoint).sort(), [phone.endpoint, here.endpoint].sort());
    await screenshots(page, 'notifications-devices');

    // The phone is removed from here; this device stays.
    await devices.getByRole('button', { name: `Stop notifications to ${host}`, exact: false }).click();
    await page.getByText('That device will no longer be notified.').waitFor();
    await eventually('the phone to leave the list', async () => (await devices.getByRole('listitem').count()) === 1);
    const left = await call(token, 'GET', '/me/notifications', undefined, 200, base);
    assert.deepEqual(left.subscriptions.map((s) => s.endpoint), [here.endpoint]);

    // Signing out takes this device's subscription away, on the server and in the browser,
    // so the next person on this computer is not notified of Alice's messages.
    const loggedOut = page.waitForResponse((response) => response.url().endsWith('/auth/logout'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User ID').waitFor();
    await loggedOut;
    // (Signing out ended every session of Alice's: a new one to ask.)
    const again = await login(base, 'alice');
    assert.deepEqual((await call(again, 'GET', '/me/notifications', undefined, 200, base)).subscriptions, []);
    assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.ready).pushManager.getSubscription()), null);

    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

test('where the server sends no pushes, the page says so and offers no push switch', async () => {
  const db = freshDb();
  seed(db.db, { users: [{ id: 'alice', role: 'student', name: 'Alice Martin' }] });
  const server = await startServer(db.db, { args: ['--send-rate', '0', '--push', 'off'] });
  try {
    const page = await openPage(school.browser, server.url);
    await signIn(page, 'alice');
    await openNotifications(page);
    await page.getByText('Push notifications are not set up on this server').waitFor();
    assert.equal(await page.getByRole('switch', { name: 'Send me push notifications' }).isDisabled(), true);
    assert.equal(await page.getByRole('switch', { name: 'Notify me on this device' }).isDisabled(), true);
    // The email digest does not need push.
    assert.equal(await page.getByRole('switch', { name: 'Email me a digest of unread messages' }).isEnabled(), true);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await server.kill();
    db.cleanup();
  }
});

/**
 * A one-minute window `hoursAhead` from now, in UTC: the day's name, from and to, and the
 * instant it opens.
 */
function windowAhead(hoursAhead) {
  const start = new Date(Date.now() + hoursAhead * 3600_000);
  start.setUTCSeconds(0, 0);
  const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][start.getUTCDay()];
  const hhmm = (date) => date.toISOString().slice(11, 16);
  const end = new Date(start.getTime() + 60_000);
  const to = end.getUTCDate() !== start.getUTCDate() ? '24:00' : hhmm(end);
  return { day, from: hhmm(start), to, opens: start };
}

test('a student writing outside their teacher’s office hours is told when the teacher will be notified', async () => {
  const base = school.server.url;
  const teacher = await login(base, 'ms.rivera');
  const window = windowAhead(12);
  await call(teacher, 'PATCH', '/me/notifications', {
    hours: { timeZone: 'UTC', hours: [{ days: [window.day], from: window.from, to: window.to }] },
  }, 200);

  const page = await openPage(school.browser, base);
  await signIn(page, 'alice');
  await online(page);
  await contact(page, CONVERSATION).click();
  const box = page.getByLabel(`Message to ${TEACHER}`);
  const notice = page.locator('.quiet-notice');
  const send = async (text) => {
    await box.fill(text);
    await box.press('Enter');
    await page.locator('.message.own[data-status="sent"]', { hasText: text }).waitFor();
  };

  await send('Could you look at my homework tonight?');
  await eventually('the quiet-hours notice', async () => (await notice.textContent()).includes('They will be notified'));
  const text = await notice.textContent();
  // The page's locale and zone (en-GB, Europe/London), as the app formats them.
  const at = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' }).format(window.opens);
  assert.match(text, new RegExp(`^${TEACHER.replace(/[()]/g, '\\$&')}’s notification hours are .+\\(UTC\\)\\. `));
  assert.ok(text.includes(`They will be notified at ${at} `), text);
  assert.match(text, / (today|tomorrow|on \w{3} \d{1,2} \w{3})\.$/);
  assert.equal(await notice.getAttribute('role'), 'status');
  await screenshots(page, 'quiet-notice');

  // Gone once another page is opened, and not back on returning.
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await contact(page, CONVERSATION).click();
  await box.waitFor();
  assert.equal(await notice.isVisible(), false);

  // Sent again: said again. Once the teacher takes any time, the next send clears it.
  await send('And question 5 too, please.');
  await eventually('the notice again', () => notice.isVisible());
  await call(teacher, 'PATCH', '/me/notifications', { hours: null }, 200);
  await send('Thank you!');
  await eventually('the notice to go', async () => !(await notice.isVisible()));

  assert.deepEqual(page.errors, []);
  await page.context().close();
});
