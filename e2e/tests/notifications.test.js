// Reaching people who are away: the service worker shows a Web Push message as a
// notification (delivered through the DevTools protocol, as a push service would), the
// Notifications page keeps each person's choices and a teacher's office hours, the office
// sets the school's, and a student writing outside their teacher's hours is told when the
// teacher will be notified.
//
// Headless Chromium reaches no push service. Where a test needs one, a small HTTP server on
// loopback stands in for it (the server's `--push-allow-loopback`): it decrypts what the
// server pushes (RFC 8291) with keys the test made, and the page's PushManager is replaced
// by one that hands out a subscription to it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import {
  useSchool, freshDb, seed, startServer, login, api, sendMessage, openPage, signIn, online, contact, eventually,
  screenshots, ALICE_AND_MS_RIVERA,
} from '../lib/harness.js';

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

/**
 * A JSON request that must answer `status`; resolves to the body (null for 204). `base`:
 * another server than the school's.
 */
async function call(token, method, route, body, status, base = school.server.url) {
  const response = await api(base, token, method, route, body);
  const text = await response.text();
  assert.equal(response.status, status, `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Waits until the page's service worker is activated (pushes reach only an active one). */
function activated(page) {
  return page.evaluate(async () => {
    const { active } = await navigator.serviceWorker.ready;
    if (active.state === 'activated') return;
    await new Promise((resolve) => {
      active.addEventListener('statechange', () => active.state === 'activated' && resolve());
    });
  });
}

/**
 * Follows the service worker registrations of `page`'s origin over the DevTools protocol;
 * `id()` resolves to the one for the whole origin, `push(data)` delivers a push to it and
 * waits until the worker has shown a notification, and `shown(what, check)` waits for the
 * notifications to pass `check`, saying what the worker was doing if they never do.
 *
 * Chromium's getNotifications() first drops the notifications it believes are no longer
 * on screen, and one being shown at that moment can be dropped with them: so the page
 * lists them only once the worker's showNotification() has resolved, never meanwhile.
 */
async function serviceWorkers(page, base) {
  const cdp = await page.context().newCDPSession(page);
  const registrations = new Map();
  const history = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
    for (const r of updated) {
      if (r.isDeleted) registrations.delete(r.scopeURL);
      else registrations.set(r.scopeURL, r.registrationId);
    }
  });
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) history.push(`version ${v.versionId}: ${v.status}, ${v.runningStatus}`);
  });
  cdp.on('ServiceWorker.workerErrorReported', ({ errorMessage }) => history.push(`error: ${errorMessage.errorMessage}`));
  await cdp.send('ServiceWorker.enable');
  const id = () => eventually('the service worker to be registered for the origin', () => registrations.get(`${base}/`));
  const worker = () => eventually('the service worker to run', () =>
    page.context().serviceWorkers().find((w) => w.url() === `${base}/static/sw.js`));
  return {
    id,
    push: async (data) => {
      history.push(`push ${data.slice(0, 40)}`);
      // Counts the notifications the worker has shown (in the worker, not the client).
      const counting = await worker();
      const before = await counting.evaluate(() => {
        if (self.shownForTest === undefined) {
          self.shownForTest = 0;
          const show = ServiceWorkerRegistration.prototype.showNotification;
          ServiceWorkerRegistration.prototype.showNotification = async function counted(...args) {
            await show.apply(this, args);
            self.shownForTest += 1;
          };
        }
        return self.shownForTest;
      });
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: await id(), data });
      await eventually('the worker to show a notification', () => counting.evaluate((n) => self.shownForTest > n, before));
    },
    shown: async (what, check) => {
      try {
        return await eventually(what, async () => check(await shownNotifications(page)));
      } catch (error) {
        const permission = await page.evaluate(() => Notification.permission).catch(() => '?');
        const [worker] = page.context().serviceWorkers();
        const probe = worker ? await worker.evaluate(async () => {
          const before = (await self.registration.getNotifications()).length;
          try {
            await self.registration.showNotification('probe');
          } catch (e) {
            return `${before} shown; probe failed: ${e}`;
          }
          return `${before} shown; probe: ${(await self.registration.getNotifications()).length}`;
        }).catch((e) => String(e)) : 'no worker';
        throw new Error(`${error.message}\npermission: ${permission}\nprobe: ${probe}\nworker: ${history.join('\n        ')}`);
      }
    },
  };
}

/** The notifications the page's service worker registration shows. */
function shownNotifications(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const shown = await registration.getNotifications();
    return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
  });
}

/** The Notifications page, through the link in the top bar, once its settings are in. */
async function openNotifications(page) {
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await page.getByRole('switch', { name: 'Email me a digest of unread messages' }).and(page.locator(':enabled')).waitFor();
}

/** After a reload: the app signs in again from the tab's session, on #/settings. */
async function openNotificationsAfterReload(page) {
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await page.getByRole('switch', { name: 'Email me a digest of unread messages' }).and(page.locator(':enabled')).waitFor();
}

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
function browserKeys(endpoint) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    json: { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } },
  };
}

/** An `aes128gcm` body (RFC 8188) encrypted for `keys` (RFC 8291), as plain text. */
function decrypt(body, keys) {
  const salt = body.subarray(0, 16);
  const idLength = body[20];
  const serverKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), keys.ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', keys.ecdh.computeSecret(serverKey), keys.auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 2, then zero padding.
  let end = padded.length - 1;
  while (padded[end] === 0) end -= 1;
  assert.equal(padded[end], 2, 'the padding delimiter of a last record');
  return padded.subarray(0, end).toString('utf8');
}

/** A push service that accepts everything: `received` holds each push (path, headers, body). */
async function fakePushService() {
  const received = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url, headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(201).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Runs `fn(server, pushService)` against a server of its own that accepts push endpoints
 * on loopback, seeded with Alice and Ms Rivera, and a push service there.
 */
async function withPushService(fn) {
  const db = freshDb();
  seed(db.db, ALICE_AND_MS_RIVERA);
  const server = await startServer(db.db, { args: ['--send-rate', '0', '--push-allow-loopback'] });
  const pushService = await fakePushService();
  try {
    await fn(server, pushService);
  } finally {
    await server.kill();
    await pushService.close();
    db.cleanup();
  }
}

/**
 * Replaces the page's PushManager with one whose subscription is `subscription` (what
 * `toJSON()` gives), as the browser's push service would hand it out; `subscribedWith` is
 * the key it was asked to subscribe with (base64url).
 */
function standInPushManager(context, subscription) {
  return context.addInitScript((json) => {
    let current = null;
    window.subscribedWith = null;
    PushManager.prototype.subscribe = async function subscribe(options) {
      window.subscribedWith = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
        .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      current = {
        endpoint: json.endpoint,
        expirationTime: null,
        options,
        toJSON: () => json,
        unsubscribe: async () => {
          current = null;
          return true;
        },
      };
      return current;
    };
    PushManager.prototype.getSubscription = async function getSubscription() {
      return current;
    };
  }, subscription);
}

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
