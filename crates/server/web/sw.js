// classchat's service worker: it shows a notification for each Web Push message and, when
// one is clicked, opens its conversation. It has no fetch handler, so pages load exactly as
// they would without it. The page registers it after sign-in (push.js), for the whole
// origin (the server sends `Service-Worker-Allowed: /`).
//
// The push payload is the server's JSON: {title, body, conversationId, messageId, url,
// tag}. Anything else (no payload, not JSON, odd types) still shows a generic notification:
// a push the user agreed to must always show something, and never anything but text.
//
// There is no `pushsubscriptionchange` handler: the worker holds no token to tell the
// server. A subscription the browser replaced is unknown to the server at the next
// sign-in, which drops it (push.js), and the user turns this device on again.

const FALLBACK_TITLE = 'classchat';
const FALLBACK_BODY = 'New message in classchat';
const ICON = '/static/logo.svg';
// Long enough for a name and the start of a message; the server keeps previews short.
const MAX_TITLE = 100;
const MAX_BODY = 240;

// An updated worker takes over at once: it holds no state and serves no fetches.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  event.waitUntil(show(payloadOf(event.data)));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(open(sameOrigin(event.notification.data?.url)));
});

/** The payload as an object, or {} when there is none or it is not a JSON object. */
function payloadOf(data) {
  try {
    const payload = data ? data.json() : null;
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : {};
  } catch {
    return {};
  }
}

function text(value, max) {
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null;
}

async function show(payload) {
  const title = text(payload.title, MAX_TITLE) || FALLBACK_TITLE;
  const body = text(payload.body, MAX_BODY) || FALLBACK_BODY;
  const tag = text(payload.tag, 200);
  const conversationId = text(payload.conversationId, 300);
  const options = {
    body,
    icon: ICON,
    data: { url: sameOrigin(payload.url), conversationId },
  };
  // One notification per conversation: a newer message replaces the older one, and still
  // alerts (renotify needs a tag).
  if (tag) Object.assign(options, { tag, renotify: true });
  await self.registration.showNotification(title, options);
}

/** `url` if it is on this origin, else the app's start page: a push never leads elsewhere. */
function sameOrigin(url) {
  const home = new URL('/', self.location.origin).href;
  if (typeof url !== 'string') return home;
  try {
    const target = new URL(url, self.location.origin);
    return target.origin === self.location.origin ? target.href : home;
  } catch {
    return home;
  }
}

/**
 * Focuses a classchat window and shows `url` in it (the page moves to the conversation
 * itself, keeping its session and socket), or opens a new window.
 */
async function open(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const target = new URL(url);
  const app = windows.find((client) => {
    const at = new URL(client.url);
    return at.origin === target.origin && at.pathname === target.pathname;
  });
  if (!app) {
    await self.clients.openWindow(url);
    return;
  }
  app.postMessage({ type: 'classchat:open', url });
  await app.focus().catch(() => {}); // focus() may be refused; the page still moved
}
