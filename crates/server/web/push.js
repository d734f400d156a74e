// Web Push on this device: the service worker (sw.js) and this browser's push
// subscription. The worker is registered after sign-in, but nothing is ever subscribed
// unless the user turns on "Notify me on this device" (views/notifications.js).
//
// School computers are shared, so a subscription must not outlive its owner's session on
// them: signing out removes this device's subscription (on the server, then in the
// browser), and a sign-in that finds someone else's subscription in this browser drops it.
// Which user a subscription belongs to is remembered in localStorage for that check.

import * as api from './api.js';

const WORKER_URL = '/static/sw.js';
const OWNER_KEY = 'classchat.push';
/** How long the browser's push service may take to answer a subscribe. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;
/** How long signing out waits for the subscription to be removed. */
const LEAVE_TIMEOUT_MS = 3000;

/** Why this device cannot be notified, in plain words. */
export class PushProblem extends Error {}

/** Why this browser cannot use Web Push at all, or null when it can. */
export function unsupportedReason() {
  if (!window.isSecureContext) {
    return 'Notifications need a secure (https) connection to classchat, which this page does not have.';
  }
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    return 'This browser cannot show notifications from websites. Try an up-to-date Chrome, Edge, Firefox or Safari.';
  }
  return null;
}

let registering = null;

/**
 * The service worker's registration (registering it the first time), or null where the
 * browser has none. Scope `/` (the server allows it), falling back to the default scope
 * where a host serving these files does not send `Service-Worker-Allowed`.
 */
export function register() {
  if (unsupportedReason()) return Promise.resolve(null);
  registering ??= navigator.serviceWorker
    .register(WORKER_URL, { scope: '/' })
    .catch(() => navigator.serviceWorker.register(WORKER_URL))
    .catch((error) => {
      console.debug('classchat: cannot register the service worker', error);
      registering = null;
      return null;
    });
  return registering;
}

/** The registration once its worker is active (a push subscription needs one). */
async function activeRegistration() {
  const registration = await register();
  if (!registration) throw new PushProblem(unsupportedReason() || 'This browser could not start classchat’s notification service.');
  if (registration.active) return registration;
  const worker = registration.installing || registration.waiting;
  await new Promise((resolve) => {
    if (!worker) {
      resolve();
      return;
    }
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated' || worker.state === 'redundant') resolve();
    });
  });
  if (!registration.active) throw new PushProblem('This browser could not start classchat’s notification service. Reload the page and try again.');
  return registration;
}

/** This browser's subscription, or null (none, or no service worker). */
export async function currentSubscription() {
  const registration = await register();
  return registration ? registration.pushManager.getSubscription().catch(() => null) : null;
}

// --- Who owns the subscription ------------------------------------------------------------

function owner() {
  try {
    return JSON.parse(localStorage.getItem(OWNER_KEY))?.userId ?? null;
  } catch {
    return null;
  }
}

function setOwner(userId) {
  try {
    if (userId) localStorage.setItem(OWNER_KEY, JSON.stringify({ userId }));
    else localStorage.removeItem(OWNER_KEY);
  } catch {
    // Storage disabled: the sign-in check then treats the subscription as someone else's.
  }
}

// --- Subscribing ----------------------------------------------------------------------------

/** A VAPID public key (base64url, as the server gives it) as the bytes `subscribe` takes. */
export function decodeKey(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function sameKey(buffer, key) {
  if (!buffer) return false;
  const bytes = new Uint8Array(buffer);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

function withTimeout(promise, ms, message) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new PushProblem(message)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Asks permission (the browser's prompt, so call it from a click), subscribes this browser
 * to its push service with the server's key, and gives the subscription to the server.
 * Fails with a PushProblem (or the server's ApiError) that says what went wrong.
 */
export async function subscribe(userId, vapidPublicKey) {
  const problem = unsupportedReason();
  if (problem) throw new PushProblem(problem);
  if (Notification.permission === 'denied') throw new PushProblem(BLOCKED);
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    throw new PushProblem(permission === 'denied' ? BLOCKED : 'You did not allow notifications, so this device will not be notified.');
  }
  const registration = await activeRegistration();
  const key = decodeKey(vapidPublicKey);
  let subscription = await registration.pushManager.getSubscription();
  // Subscribed before with another key (the server's keys changed), or for someone else.
  if (subscription && (!sameKey(subscription.options?.applicationServerKey, key) || owner() !== userId)) {
    await subscription.unsubscribe().catch(() => {});
    subscription = null;
  }
  if (!subscription) {
    try {
      subscription = await withTimeout(
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
        SUBSCRIBE_TIMEOUT_MS,
        UNAVAILABLE,
      );
    } catch (error) {
      if (error instanceof PushProblem) throw error;
      console.debug('classchat: push subscription failed', error);
      // Browsers report a refused permission and an unreachable push service alike.
      throw new PushProblem(Notification.permission === 'granted' ? UNAVAILABLE : BLOCKED);
    }
  }
  try {
    await api.addPushSubscription(subscription.toJSON());
  } catch (error) {
    // Not kept by the server: nothing would ever arrive, so do not keep it here either.
    await subscription.unsubscribe().catch(() => {});
    throw error;
  }
  setOwner(userId);
  return subscription;
}

const BLOCKED = 'Notifications are blocked for classchat in this browser. Allow them in the browser’s site settings (the icon beside the address), then try again.';
const UNAVAILABLE = 'This browser could not reach its push service, so this device cannot be notified. Check the connection and try again later.';

/** Stops notifications to this device: removed on the server, then in the browser. */
export async function unsubscribe() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  try {
    await api.removePushSubscription(subscription.endpoint);
  } finally {
    // Even if the server could not be told: once unsubscribed, the push service refuses
    // the server's next delivery, and the server forgets the endpoint then.
    await subscription.unsubscribe().catch(() => {});
    setOwner(null);
  }
}

// --- Sign-in and sign-out -------------------------------------------------------------------

/**
 * After sign-in: registers the worker and checks this browser's subscription against the
 * user's. Someone else's (a shared computer) is dropped, and so is one the server no
 * longer lists (removed from another device, or dropped by the server): this device is
 * notified again only when the user turns it on again. Best effort, and silent.
 */
export async function adopt(userId) {
  try {
    const subscription = await currentSubscription();
    if (!subscription) return;
    const mine = owner() === userId
      && (await api.getNotificationSettings()).subscriptions.some((s) => s.endpoint === subscription.endpoint);
    if (!mine) {
      await subscription.unsubscribe();
      setOwner(null);
    }
  } catch (error) {
    console.debug('classchat: cannot check this device’s push subscription', error);
  }
}

/**
 * Before signing out (while the token still works): this device's subscription is removed,
 * so the next person on this computer does not get the previous user's notifications.
 * Best effort, and never longer than a few seconds.
 */
export function leave() {
  return withTimeout(unsubscribe(), LEAVE_TIMEOUT_MS, 'timed out').catch((error) => {
    console.debug('classchat: cannot remove this device’s push subscription', error);
  });
}

/**
 * `onOpen(hash)` when a notification is clicked while a classchat window is open (the
 * worker asks that window to show the conversation rather than loading the page again).
 */
export function listen(onOpen) {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type !== 'classchat:open' || typeof event.data.url !== 'string') return;
    let url;
    try {
      url = new URL(event.data.url, window.location.origin);
    } catch {
      return;
    }
    if (url.origin === window.location.origin && url.pathname === window.location.pathname) onOpen(url.hash);
  });
  navigator.serviceWorker.startMessages?.();
}
