// What the notification tests share: driving the service worker over the DevTools
// protocol, the Notifications page, and a push service on loopback that decrypts what the
// server pushes (RFC 8291) with keys the test made.

import assert from 'node:assert/strict';
import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { api, eventually, freshDb, seed, startServer, ALICE_AND_MS_RIVERA } from './harness.js';

/**
 * `call(token, method, route, body, status, base)` for `school`: a JSON request that must
 * answer `status`; resolves to the body (null for 204). `base`: another server than the
 * school's.
 */
export function caller(school) {
  return async (token, method, route, body, status, base = school.server.url) => {
    const response = await api(base, token, method, route, body);
    const text = await response.text();
    assert.equal(response.status, status, `${method} ${route}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** Waits until the page's service worker is activated (pushes reach only an active one). */
export function activated(page) {
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
export async function serviceWorkers(page, base) {
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
export function shownNotifications(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const shown = await registration.getNotifications();
    return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
  });
}

/** The Notifications page, through the link in the top bar, once its settings are in. */
export async function openNotifications(page) {
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await page.getByRole('switch', { name: 'Email me a digest of unread messages' }).and(page.locator(':enabled')).waitFor();
}

/** After a reload: the app signs in again from the tab's session, on #/settings. */
export async function openNotificationsAfterReload(page) {
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await page.getByRole('switch', { name: 'Email me a digest of unread messages' }).and(page.locator(':enabled')).waitFor();
}

export function browserKeys(endpoint) {
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
export function decrypt(body, keys) {
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
export async function fakePushService() {
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
export async function withPushService(fn) {
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
export function standInPushManager(context, subscription) {
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

