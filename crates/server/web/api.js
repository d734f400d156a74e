// The REST API and the session token. Every request goes through `request`, so errors
// always come back as ApiError with the server's {"error":{"code","message"}} and an
// expired session is noticed in one place.

// Where the API lives. By default the page's own origin (the binary serves both); a
// deployment that hosts these files elsewhere (e.g. serverless, behind API Gateway) sets
// <meta name="classchat-api" content="https://api.example.org"> and
// <meta name="classchat-ws" content="wss://ws.example.org/chat/ws"> in index.html.
function meta(name) {
  const value = document.querySelector(`meta[name="${name}"]`)?.content?.trim();
  return value || null;
}

export const config = {
  apiBase: (meta('classchat-api') || window.location.origin).replace(/\/+$/, ''),
  wsUrl:
    meta('classchat-ws') ||
    `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/chat/ws`,
};

/** A failed request: HTTP status (0 when the server could not be reached) and code. */
export class ApiError extends Error {
  constructor(status, code, message, problems = null) {
    super(message);
    this.status = status;
    this.code = code;
    // A refused roster bundle: every problem, {file, line?, column?, message}.
    this.problems = problems;
  }
}

// --- Session ---------------------------------------------------------------------------
// sessionStorage, not localStorage: school computers are shared, and closing the tab
// should sign the pupil out. A reload of the same tab keeps the session.
const SESSION_KEY = 'classchat.session';

export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (!session?.token || !session?.user) return null;
    if (Date.parse(session.expiresAt) <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** Whether this tab holds a session that has run out (to explain the sign-in page). */
export function hadExpiredSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    return Boolean(stored?.expiresAt) && Date.parse(stored.expiresAt) <= Date.now();
  } catch {
    return false;
  }
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// --- Known devices ---------------------------------------------------------------------
// Each sign-in returns a device token: shown at the next sign-in to the same account, it
// tells the server this browser has signed in there before, so a flood of strangers'
// guesses at the account neither pauses nor queues out its owner. It is not a credential
// (the password is still needed), so it lives in localStorage and survives signing out.
const DEVICES_KEY = 'classchat.devices';
/** Accounts remembered per browser (a shared computer sees many); the oldest goes first. */
const MAX_DEVICES = 20;

function loadDevices() {
  try {
    const devices = JSON.parse(localStorage.getItem(DEVICES_KEY));
    return devices && typeof devices === 'object' && !Array.isArray(devices) ? devices : {};
  } catch {
    return {};
  }
}

function deviceToken(userId) {
  const token = loadDevices()[userId];
  return typeof token === 'string' ? token : undefined;
}

function rememberDevice(userId, token) {
  if (typeof token !== 'string') return;
  try {
    const devices = loadDevices();
    delete devices[userId];
    devices[userId] = token; // insertion order: newest last
    const names = Object.keys(devices);
    for (const name of names.slice(0, Math.max(0, names.length - MAX_DEVICES))) {
      delete devices[name];
    }
    localStorage.setItem(DEVICES_KEY, JSON.stringify(devices));
  } catch {
    // Storage full or disabled: the next sign-in is a new device's, nothing worse.
  }
}

let session = loadSession();
let onUnauthorized = () => {};

export function currentSession() {
  return session;
}

/** Called once by the app: what to do when the server says the token is no good. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function sessionExpired() {
  return session !== null && Date.parse(session.expiresAt) <= Date.now();
}

// --- Requests --------------------------------------------------------------------------

/**
 * `body` is sent as JSON; `upload` ({data, type}) as it is, e.g. a zip the admin chose.
 */
async function request(method, path, { query, body, upload, auth = true } = {}) {
  const url = new URL(config.apiBase + path);
  // URLSearchParams encodes '+' as %2B, which the conversationId needs (a bare '+' in a
  // query string means a space).
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (upload) headers['Content-Type'] = upload.type;
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: upload ? upload.data : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = new ApiError(
    response.status,
    data?.error?.code || `http_${response.status}`,
    data?.error?.message || `The server answered ${response.status}.`,
    Array.isArray(data?.error?.problems) ? data.error.problems : null,
  );
  // A revoked or expired token (401) or a disabled account (403 account_disabled) ends
  // the session.
  const ended = response.status === 401 || error.code === 'account_disabled';
  if (ended && auth) onUnauthorized(error);
  throw error;
}

// --- Session routes --------------------------------------------------------------------

/** Attempts while the server answers `busy` (its password checks are saturated). */
const LOGIN_ATTEMPTS = 4;

/**
 * Posts a sign-in to `path` (retrying a few times while the server is busy), then keeps
 * the session and the device token it returns.
 */
async function signInAt(path, body) {
  let result;
  for (let attempt = 1; ; attempt += 1) {
    try {
      result = await request('POST', path, { body, auth: false });
      break;
    } catch (error) {
      if (error.code !== 'busy' || attempt >= LOGIN_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
  rememberDevice(body.userId, result.deviceToken);
  session = { token: result.token, expiresAt: result.expiresAt, user: result.user };
  saveSession(session);
  return session;
}

export function login(userId, password) {
  return signInAt('/auth/login', { userId, password, deviceToken: deviceToken(userId) });
}

/**
 * First sign-in: sets the password of an account that holds a one-time sign-in code (from
 * the school office), and signs in exactly as {@link login} does. The code is then used up.
 */
export function firstSignIn(userId, code, newPassword) {
  return signInAt('/auth/first-sign-in', { userId, code, newPassword });
}

export function logout() {
  session = null;
  clearSession();
}

/**
 * Signs out on the server as well: every token of this user stops working, on every
 * device, and their open sockets close. Best effort; call it before {@link logout}.
 */
export function endSession() {
  if (!session) return Promise.resolve();
  return request('POST', '/auth/logout').catch(() => {});
}

// --- Chat ------------------------------------------------------------------------------

export const getTeachers = () => request('GET', '/chat/get_teachers');
/**
 * A child's teachers, for their guardian where the school allows guardian oversight
 * (403 `forbidden` where it does not); each line's conversation is read-only for them.
 */
export const getTeachersOf = (childId) => request('GET', '/chat/get_teachers', { query: { user_name: childId } });
export const getStudents = () => request('GET', '/chat/get_students');
export const getChats = () => request('GET', '/chat/get_chats');
/** A teacher's conversations, for an admin (the listing is written to the audit log). */
export const getChatsOf = (teacherId) => request('GET', '/chat/get_chats', { query: { user_name: teacherId } });

/** A page of a conversation, oldest first; `before`/`after` are exclusive timestamps. */
export function readPage(conversationId, { limit = 50, before, after } = {}) {
  return request('GET', '/chat/read', { query: { conversationId, limit, before, after } });
}

/**
 * Sends a message; answers the stored message, with `quietUntil` (when the recipient will
 * be notified) and `quietHours` (their notification hours, in words) when the recipient is
 * outside their notification hours. `urgent` (a teacher the school allows): the student or
 * guardian is notified even in their quiet hours, and the send is audited.
 */
export function sendMessage(conversationId, messageBody, clientMessageId, { urgent = false } = {}) {
  const body = { conversationId, author: session.user.userId, messageBody, clientMessageId };
  if (urgent) body.urgent = true;
  return request('POST', '/chat/send', { body });
}

export function markRead(conversationId, timestamp) {
  return request('POST', '/chat/mark_read', { body: { conversationId, timestamp } });
}

// --- Safeguarding ------------------------------------------------------------------------

/**
 * Replaces the text of one's own message (the school's edit window applies: 409
 * `not_editable` once it has passed); answers the message as stored, with `editedAt`.
 */
export function editMessage(conversationId, timestamp, messageBody) {
  return request('POST', '/chat/edit', { body: { conversationId, timestamp, messageBody } });
}

/** Removes one's own message; answers its tombstone (`removedAt`, an empty body). */
export function removeMessage(conversationId, timestamp) {
  return request('POST', '/chat/remove', { body: { conversationId, timestamp } });
}

/**
 * Reports the other participant's message to the school: `reason` is one of bullying,
 * inappropriate, safety, spam, other; `details` is optional. Answers only that it was
 * received.
 */
export function reportMessage(conversationId, timestamp, reason, details) {
  const body = { conversationId, timestamp, reason };
  if (details) body.details = details;
  return request('POST', '/chat/report', { body });
}

/**
 * Pauses a conversation (its teacher, or an admin): its student or guardian cannot write
 * until it is resumed. `reason`, if given, is shown to both sides. Answers {pause}.
 */
export function pauseConversation(conversationId, reason) {
  const body = { conversationId };
  if (reason) body.reason = reason;
  return request('POST', '/chat/pause', { body });
}

/** Lifts a pause (a teacher only their own; an admin any); answers {pause: null}. */
export function resumeConversation(conversationId) {
  return request('POST', '/chat/resume', { body: { conversationId } });
}

// --- Notifications -----------------------------------------------------------------------

/**
 * The caller's notification settings: {push, emailDigest, email, hours, schoolHours,
 * vapidPublicKey, subscriptions: [{endpoint, created}], urgentAllowed}. `email` is where
 * digests go (null: nowhere; the school office may have set it); `hours` is a teacher's own
 * office hours, `schoolHours` the school's for students and guardians (each a schedule
 * {timeZone, hours: [{days, from, to}]}, or null); `vapidPublicKey` is null when the server
 * sends no push notifications; `urgentAllowed`: a teacher the school lets send urgent
 * messages.
 */
export const getNotificationSettings = () => request('GET', '/me/notifications');

/**
 * Changes some of {push, emailDigest, email, hours} (`email`: an address or null; `hours`:
 * teachers only); answers them all. A bad address is a 422 with the server's reason.
 */
export function updateNotificationSettings(changes) {
  return request('PATCH', '/me/notifications', { body: changes });
}

/** Gives the server this browser's push subscription (`PushSubscription.toJSON()`). */
export function addPushSubscription(subscription) {
  return request('POST', '/me/push-subscriptions', { body: subscription });
}

/** Stops pushes to a device of the caller's, by its subscription's endpoint. */
export function removePushSubscription(endpoint) {
  return request('DELETE', '/me/push-subscriptions', { query: { endpoint } });
}

// --- Classes (from the roster) ---------------------------------------------------------

/** The caller's classes: a teacher's with their students. */
export const getClasses = () => request('GET', '/classes');

/**
 * One message to every student of a class, each in their own conversation with the
 * teacher. A retry with the same clientMessageId stores nothing twice.
 */
export function announce(classId, messageBody, clientMessageId) {
  return request('POST', `/classes/${encodeURIComponent(classId)}/announce`, {
    body: { messageBody, clientMessageId },
  });
}

// --- Admin -----------------------------------------------------------------------------

/**
 * Uploads a OneRoster bundle (a zip `File` or `Blob`): with `dryRun` the diff of what would
 * change, otherwise applied. A refused bundle fails with `problems`.
 */
export function importRoster(file, dryRun) {
  return request('POST', '/admin/roster', {
    query: { dryRun: dryRun ? 'true' : 'false' },
    upload: { data: file, type: 'application/zip' },
  });
}

/**
 * One page of people, in userId order: `q` (part of the userId or display name), `role`,
 * `status` ('active'|'disabled') and `classId` filter; `after` is the previous page's
 * `nextAfter`. A search may answer a short page with `hasMore` (it ran out of its budget).
 */
export function listUsers({ q, role, status, classId, after, limit = 100 } = {}) {
  return request('GET', '/admin/users', { query: { q, role, status, classId, after, limit } });
}

/** Every user, following the pages (names for links, the viewer and pickers). */
export async function listAllUsers(role) {
  const users = [];
  let after;
  for (;;) {
    const page = await listUsers({ role, after, limit: 200 });
    users.push(...page.users);
    const next = page.nextAfter ?? page.users[page.users.length - 1]?.userId;
    if (!page.hasMore || !next) return users;
    after = next;
  }
}

/** One page of classes in classId order; `q` matches the classId or title. */
export function listClasses({ q, after, limit = 50 } = {}) {
  return request('GET', '/admin/classes', { query: { q, after, limit } });
}

export function createUser(user) {
  return request('POST', '/admin/users', { body: user });
}

export function updateUser(userId, changes) {
  return request('PATCH', `/admin/users/${encodeURIComponent(userId)}`, { body: changes });
}

/** Links, all of them or only those of `userId` and/or of the class `classId`. */
export function listLinks({ userId, classId } = {}) {
  return request('GET', '/admin/links', { query: { userId, classId } });
}

export function addLink(teacherId, studentId) {
  return request('POST', '/admin/links', { body: { teacherId, studentId } });
}

export function removeLink(teacherId, studentId) {
  return request('DELETE', '/admin/links', { query: { teacherId, studentId } });
}

/** Guardian links ({guardianId, studentId}), all of them or only those of `userId`. */
export function listGuardians({ userId } = {}) {
  return request('GET', '/admin/guardians', { query: { userId } });
}

export function addGuardian(guardianId, studentId) {
  return request('POST', '/admin/guardians', { body: { guardianId, studentId } });
}

export function removeGuardian(guardianId, studentId) {
  return request('DELETE', '/admin/guardians', { query: { guardianId, studentId } });
}

/**
 * The school's settings: {guardianOversight, quietHours (a schedule, or null), pushPreview,
 * digestText, urgentSenders (the userIds of the teachers allowed urgent messages),
 * editWindowMinutes (0–1440), flagWords, flagPatterns (what sends a message to the
 * moderation queue), retentionDays (30–36500 days after a conversation's last message, or
 * null: keep everything)}.
 */
export const getSettings = () => request('GET', '/admin/settings');

/**
 * Changes some settings; answers all of them as they now are. `urgentSenders` is the whole
 * new list (404 for an unknown user, 422 `invalid_role` for one who is not a teacher);
 * `flagWords` and `flagPatterns` too (422 with the server's reason for one it refuses).
 */
export function updateSettings(changes) {
  return request('PATCH', '/admin/settings', { body: changes });
}

/**
 * The moderation queue, newest first: `state` (open, reviewed, actioned, dismissed; all
 * when absent), `before` a reportId from the previous page. Answers {reports}.
 */
export function listReports({ state, before, limit = 50 } = {}) {
  return request('GET', '/admin/reports', { query: { state, before, limit } });
}

/**
 * One report with `context` messages either side of the reported one (as stored: removed
 * ones keep their text for admins), the reported message's earlier `versions` and the
 * conversation's `pause`. The read is audited as a read of the conversation.
 */
export function getReport(reportId, { context } = {}) {
  return request('GET', `/admin/reports/${encodeURIComponent(reportId)}`, { query: { context } });
}

/** Moves a report on: `state` reviewed, actioned or dismissed, with an optional note. */
export function stepReport(reportId, state, note) {
  const body = { state };
  if (note) body.note = note;
  return request('PATCH', `/admin/reports/${encodeURIComponent(reportId)}`, { body });
}

/** A message as first written and every later text: {message, versions}; audited. */
export function messageHistory(conversationId, timestamp) {
  return request('GET', '/admin/messages/history', { query: { conversationId, timestamp } });
}

export function listAudit({ before, limit = 50 } = {}) {
  return request('GET', '/admin/audit', { query: { before, limit } });
}

// --- Legal holds, retention and exports ------------------------------------------------

/** Every legal hold: {holds: [{userId, conversationId (the other null), by, at, reason}]}. */
export const listHolds = () => request('GET', '/admin/holds');

/**
 * Holds `{userId}` or `{conversationId}` (either id order) with an optional `reason`;
 * answers the hold in force. Retention then deletes nothing it covers.
 */
export function setHold(target, reason) {
  const body = { ...target };
  if (reason) body.reason = reason;
  return request('POST', '/admin/holds', { body });
}

/** Lifts the hold on `{userId}` or `{conversationId}` (404 when there was none). */
export function releaseHold(target) {
  return request('DELETE', '/admin/holds', { query: target });
}

/**
 * A dry run of retention under the school's `retentionDays`: {retentionDays, cutoff,
 * conversations, messages, held, sample: [{conversationId, lastMessageAt}]}. Deletes
 * nothing; audited.
 */
export const previewRetention = () => request('POST', '/admin/retention/preview');

/**
 * Downloads an export (`kind` 'user' or 'conversation', `format` jsonl, csv or html) with
 * the session's token, which a plain link could not send: answers {blob, filename}. A body
 * the server cut short (the export failed part-way) rejects rather than saving half a file.
 */
export async function downloadExport(kind, id, format) {
  const url = `${config.apiBase}/admin/export/${kind}/${encodeURIComponent(id)}?format=${encodeURIComponent(format)}`;
  const headers = session ? { Authorization: `Bearer ${session.token}` } : {};
  let response;
  let blob;
  try {
    response = await fetch(url, { headers });
    if (response.ok) blob = await response.blob();
  } catch {
    throw new ApiError(0, 'network', 'The download did not finish. Check your connection and try again.');
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    const error = new ApiError(response.status, data?.error?.code || `http_${response.status}`,
      data?.error?.message || `The server answered ${response.status}.`);
    if (response.status === 401 || error.code === 'account_disabled') onUnauthorized(error);
    throw error;
  }
  // The server's name is made of id characters only; a deployment that hides the header
  // (another origin) gets the same name made here.
  const named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1];
  return { blob, filename: named || `classchat-${kind}-${id}.${format}` };
}

// --- Helpers ---------------------------------------------------------------------------

/** A fresh clientMessageId. getRandomValues works on plain http too (randomUUID does not). */
export function newClientMessageId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The peer in `<studentId>+<teacherId>` (or `<guardianId>+<teacherId>`), from the point
 * of view of `me`.
 */
export function peerOf(conversationId, me) {
  const [student, teacher] = conversationId.split('+');
  return student === me ? teacher : student;
}

/** A short, friendly sentence for an error, by its stable code. */
export function describeError(error) {
  switch (error?.code) {
    case 'network':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'rate_limited':
      return 'You are sending messages too quickly. Wait a moment, then try again.';
    case 'invalid_message_body':
      return error.message || 'This message cannot be sent: it is empty or too long.';
    case 'not_linked':
      return 'You are no longer linked with this person, so new messages cannot be sent. Ask your school office.';
    case 'invalid_credentials':
      return 'That user ID and password do not match. Check them and try again.';
    case 'account_disabled':
      return 'This account is disabled. Please contact your school office.';
    case 'forbidden':
      return error.message || 'You are not allowed to do that.';
    // The server's own words say who paused, why, or how long edits are allowed.
    case 'conversation_paused':
    case 'not_editable':
    case 'report_closed':
      return sentence(error.message) || 'That cannot be done now.';
    case 'too_many_attempts':
      return 'Too many sign-in attempts for this account. Wait a little, then try again.';
    case 'busy':
    case 'unavailable':
      return 'The server is busy. Please try again in a moment.';
    default:
      return error?.message || 'Something went wrong. Please try again.';
  }
}

/** A server message as a sentence: capitalised, ending with a full stop. */
function sentence(text) {
  const trimmed = String(text || '').trim();
  if (!trimmed) return '';
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
