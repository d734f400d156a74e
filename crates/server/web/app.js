// Entry point: chooses between the sign-in page and the signed-in screen for the user's
// role, owns the top bar, toasts and hash routing (#/c/<conversationId> for a
// conversation, #/settings for notifications, #/admin/<tab> for admins), and sends an
// expired session back to sign-in. After sign-in it registers the service worker for
// notifications (never subscribing by itself); signing out unsubscribes this device.

import * as api from './api.js';
import * as push from './push.js';
import { h, avatar, replace } from './dom.js';
import { loginView } from './views/login.js';
import { ChatScreen } from './views/chat.js';
import { AdminScreen } from './views/admin.js';

const root = document.getElementById('app');
const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
let screen = null;
let connection = null;
let settingsLink = null;

// [full text, short text for narrow screens]
const STATUS_TEXT = {
  online: ['Connected', 'Online'],
  connecting: ['Connecting…', 'Connecting…'],
  offline: ['Offline — reconnecting…', 'Offline'],
};

function statusLabel(status) {
  const [long, short] = STATUS_TEXT[status] || [status, status];
  return [h('span', { class: 'status-long' }, long), h('span', { class: 'status-short', 'aria-hidden': 'true' }, short)];
}

function toast(text, kind = 'info') {
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null }, text);
  toasts.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 5000);
}

function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function showLogin(notice) {
  screen?.destroy();
  screen = null;
  api.logout();
  document.title = 'Sign in · classchat';
  replace(root, loginView({ notice, onSignedIn: showApp }), toasts);
}

function expired() {
  if (!screen) return;
  showLogin('Your session has expired. Please sign in again.');
}

async function signOut(event) {
  event.currentTarget.disabled = true;
  // While the token still works: the next person on this computer must not get this
  // user's notifications.
  if (api.currentSession()?.user.role !== 'admin') await push.leave();
  api.endSession();
  showLogin('You have signed out.');
  window.history.replaceState(null, '', window.location.pathname);
}

function topBar(user) {
  connection = user.role === 'admin'
    ? null
    : h('span', { class: 'connection', role: 'status', dataset: { connection: 'connecting' } }, statusLabel('connecting'));
  const roleLabel = { student: 'Student', teacher: 'Teacher', guardian: 'Parent or carer', admin: 'School office' }[user.role] || user.role;
  return h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: user.role === 'admin' ? '#/admin/users' : '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('span', { class: 'brand-name' }, 'classchat')),
    connection,
    (settingsLink = user.role === 'admin'
      ? null
      : h('a', { class: 'button small ghost settings-link', href: '#/settings', title: 'Notifications' },
        h('span', { class: 'bell', 'aria-hidden': 'true' }), h('span', { class: 'settings-text' }, 'Notifications'))),
    h(
      'div',
      { class: 'user-chip' },
      avatar(user.userId, user.displayName, 'small'),
      h('span', { class: 'user-text' }, h('span', { class: 'user-name', dir: 'auto' }, user.displayName), h('span', { class: 'user-role' }, roleLabel)),
    ),
    h('button', { type: 'button', class: 'button small ghost', onclick: signOut }, 'Sign out'),
  );
}

function setConnection(status) {
  if (!connection) return;
  connection.dataset.connection = status;
  replace(connection, statusLabel(status));
}

function showApp(session) {
  screen?.destroy();
  const hooks = { navigate, toast, onStatus: setConnection, onExpired: expired };
  screen = session.user.role === 'admin' ? new AdminScreen(session, hooks) : new ChatScreen(session, hooks);
  document.title = 'classchat';
  replace(
    root,
    h(
      'div',
      { class: 'app-shell', dataset: { role: session.user.role } },
      h('a', { class: 'skip-link', href: '#main-pane', onclick: skipToMain }, 'Skip to main content'),
      topBar(session.user),
      screen.element,
    ),
    toasts,
  );
  screen.start();
  route();
  if (session.user.role !== 'admin') push.register().then(() => push.adopt(session.user.userId));
}

// Hash links would be taken as routes; move focus instead.
function skipToMain(event) {
  event.preventDefault();
  document.getElementById('main-pane')?.focus();
}

function route() {
  if (!screen) return;
  const path = window.location.hash.replace(/^#\/?/, '');
  if (screen instanceof AdminScreen) {
    screen.route(path.startsWith('admin/') ? path.slice('admin/'.length) : 'users');
    return;
  }
  settingsLink?.setAttribute('aria-current', path === 'settings' ? 'page' : 'false');
  if (path === 'settings') {
    screen.showSettings();
    return;
  }
  const match = /^c\/(.+)$/.exec(path);
  screen.open(match ? decodeURIComponent(match[1]) : null);
}

api.setUnauthorizedHandler(expired);
window.addEventListener('hashchange', route);
// A notification clicked while classchat is open here: show its conversation.
push.listen((hash) => {
  if (screen) navigate(hash || '#/');
});

const session = api.loadSession();
if (session) showApp(session);
else showLogin(api.hadExpiredSession() ? 'Your session has expired. Please sign in again.' : null);
