// Email digests and urgent messages: where a person's digests go (set on the Notifications
// page, kept, refused with the server's reason, removed), the office allowing a teacher to
// send urgent messages, the teacher's "Urgent" checkbox that this brings (and only then,
// only to a student), and the server's unsubscribe page in the client's stylesheet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, login, api, openPage, signIn, online, contact, eventually, screenshots,
} from '../lib/harness.js';

const CONVERSATION = 'alice+ms.rivera';
const TEACHER = 'Ms Rivera (Maths)';

const school = useSchool({
  users: [
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ms.rivera', role: 'teacher', name: TEACHER },
    { id: 'mr.chen', role: 'teacher', name: 'Mr Chen (History)' },
    { id: 'office', role: 'admin', name: 'School Office' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }],
});

/** A JSON request that must answer `status`; resolves to the body (null for 204). */
async function call(token, method, route, body, status) {
  const response = await api(school.server.url, token, method, route, body);
  const text = await response.text();
  assert.equal(response.status, status, `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The field for the address digests go to. */
function emailField(page) {
  return page.getByRole('textbox', { name: 'Email address for digests', exact: true });
}

/** The Notifications page, through the link in the top bar, once its settings are in. */
async function openNotifications(page) {
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await emailField(page).and(page.locator(':enabled')).waitFor();
}

/**
 * Routes the page's WebSockets through the test: `sends` collects the sendMessage frames
 * the page sends; with `refuse`, new sockets close before they open, and `drop()` closes
 * the live one (REST keeps working).
 */
async function watchSockets(page) {
  const gate = {
    refuse: false,
    sends: [],
    current: null,
    drop() {
      this.current?.close();
      this.current = null;
    },
  };
  await page.routeWebSocket(/\/chat\/ws/, (ws) => {
    if (gate.refuse) {
      ws.close();
      return;
    }
    const server = ws.connectToServer();
    gate.current = ws;
    ws.onMessage((frame) => {
      try {
        const parsed = JSON.parse(String(frame));
        if (parsed.action === 'sendMessage') gate.sends.push(parsed);
      } catch {
        // passed on as it is; the server answers what it cannot read
      }
      server.send(frame);
    });
    server.onMessage((frame) => ws.send(frame));
  });
  return gate;
}

/** Records the console's complaints about the Content-Security-Policy on `page`. */
function cspComplaints(page) {
  const complaints = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) complaints.push(message.text());
  });
  return complaints;
}

test('a person saves where digests go, sees it after a reload, is told why a bad address is refused, and removes it', async () => {
  const page = await openPage(school.browser, school.server.url);
  const csp = cspComplaints(page);
  await signIn(page, 'alice');
  await online(page);
  await openNotifications(page);
  const token = await login(school.server.url, 'alice');
  assert.equal((await call(token, 'GET', '/me/notifications', undefined, 200)).email, null);

  // What a digest is, in one sentence, beside its switch.
  const digest = page.getByRole('switch', { name: 'Email me a digest of unread messages' });
  assert.equal(await digest.getAttribute('aria-describedby'), 'notify-digest-hint');
  assert.equal((await page.locator('#notify-digest-hint').textContent()).trim(),
    'If you miss messages and no notification reached you, classchat emails you a summary — at most one an hour.');

  const field = emailField(page);
  const form = page.getByRole('form', { name: 'Email address for digests' });
  const remove = form.getByRole('button', { name: 'Remove the email address for digests' });
  assert.equal(await field.inputValue(), '');
  assert.equal(await remove.isVisible(), false);

  // Saved (with Enter), and kept.
  await field.fill('alice.martin@school.example');
  await field.press('Enter');
  await form.getByText('Saved.', { exact: true }).waitFor();
  await form.getByText('Digests go to alice.martin@school.example.').waitFor();
  assert.equal((await call(token, 'GET', '/me/notifications', undefined, 200)).email, 'alice.martin@school.example');
  await page.reload();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await eventually('the address after a reload', async () => (await field.inputValue()) === 'alice.martin@school.example');
  await form.getByText('Digests go to alice.martin@school.example.').waitFor();
  await screenshots(page, 'notifications-email', { scrollTo: form });

  // Not an address: the server's reason, as it gives it, and nothing changes.
  await field.fill('alice at school');
  await form.getByRole('button', { name: 'Save' }).click();
  const refusal = form.getByRole('alert');
  await refusal.waitFor();
  const direct = await api(school.server.url, token, 'PATCH', '/me/notifications', { email: 'alice at school' });
  assert.equal(direct.status, 422);
  const { error } = await direct.json();
  assert.equal((await refusal.textContent()).trim(), `Not saved. ${error.message}`);
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.equal(await field.inputValue(), 'alice at school'); // left to be corrected
  assert.equal((await call(token, 'GET', '/me/notifications', undefined, 200)).email, 'alice.martin@school.example');

  // Removed: gone on the server and from the field; digests then have nowhere to go.
  await remove.click();
  await form.getByText('Removed. No digests are emailed to you.').waitFor();
  assert.equal(await refusal.isVisible(), false);
  assert.equal((await call(token, 'GET', '/me/notifications', undefined, 200)).email, null);
  assert.equal(await field.inputValue(), '');
  assert.equal(await remove.isVisible(), false);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'notify-email');

  // An address the school office entered is shown as it is, and can be removed here.
  const office = await login(school.server.url, 'office');
  await call(office, 'PUT', '/admin/users/alice/email', { email: 'family.martin@school.example' }, 200);
  await page.reload();
  await page.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
  await eventually('the address the office entered', async () => (await field.inputValue()) === 'family.martin@school.example');
  await remove.click();
  await form.getByText('Removed. No digests are emailed to you.').waitFor();
  assert.equal((await call(token, 'GET', '/me/notifications', undefined, 200)).email, null);

  assert.deepEqual(csp, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the office allows a teacher urgent messages; only then their chat box to a student offers “Urgent”, and an urgent send says so', async () => {
  const base = school.server.url;
  const office = await login(base, 'office');
  const rivera = await login(base, 'ms.rivera');
  assert.deepEqual((await call(office, 'GET', '/admin/settings', undefined, 200)).urgentSenders, []);
  assert.equal((await call(rivera, 'GET', '/me/notifications', undefined, 200)).urgentAllowed, false);

  // The teacher's tab, its WebSocket routed through the test to see what it sends.
  const teacher = await openPage(school.browser, base);
  const sockets = await watchSockets(teacher);
  await signIn(teacher, 'ms.rivera');
  await online(teacher);
  const urgent = teacher.getByRole('checkbox', { name: 'Urgent' });
  const hint = teacher.getByText('Notifies them even in their quiet hours. Logged for the school.');
  const box = teacher.getByLabel('Message to Alice Martin');
  // The student's conversation (not in the sidebar before a first message), once the
  // teacher's notification settings have been read again for it.
  const openAlice = async () => {
    const read = teacher.waitForResponse((r) => r.url().endsWith('/me/notifications'));
    await teacher.evaluate((hash) => { window.location.hash = hash; }, `#/c/${encodeURIComponent(CONVERSATION)}`);
    await box.waitFor();
    await read;
  };
  const closeConversation = () => teacher.evaluate(() => { window.location.hash = '#/'; });

  // Before the office allows it: no checkbox.
  await openAlice();
  assert.equal(await urgent.count(), 0);
  assert.equal(await hint.isVisible(), false);

  // The office: Settings → Urgent messages → Allow a teacher.
  const admin = await openPage(school.browser, base);
  await signIn(admin, 'office');
  await admin.getByRole('link', { name: 'Settings' }).click();
  const section = admin.getByRole('region', { name: 'Urgent messages' });
  await section.getByText('No teacher may send urgent messages.').waitFor();
  const allow = section.getByLabel('Allow a teacher');
  await eventually('the field to be ready', () => allow.isEnabled());
  // Suggestions are the school's teachers, by name.
  await eventually('the teachers to be suggested', async () =>
    (await section.locator('datalist option').evaluateAll((options) => options.map((o) => o.value)))
      .sort().join() === 'mr.chen,ms.rivera');

  // Someone who is not a teacher, and someone who does not exist: the server's reasons.
  for (const [who, status] of [['alice', 422], ['nobody.here', 404]]) {
    const direct = await api(base, office, 'PATCH', '/admin/settings', { urgentSenders: [who] });
    assert.equal(direct.status, status);
    const { error } = await direct.json();
    if (status === 422) assert.equal(error.code, 'invalid_role');
    await allow.fill(who);
    await section.getByRole('button', { name: 'Add', exact: true }).click();
    const refusal = section.getByRole('alert');
    await eventually(`the refusal of ${who}`, async () => (await refusal.textContent()).trim() === `Not saved. ${error.message}`);
    assert.equal(await allow.getAttribute('aria-invalid'), 'true');
  }
  assert.deepEqual((await call(office, 'GET', '/admin/settings', undefined, 200)).urgentSenders, []);

  // Ms Rivera, by her name as suggested: the whole new list is sent.
  await allow.fill(TEACHER);
  const patched = admin.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith('/admin/settings'));
  await allow.press('Enter');
  assert.deepEqual((await patched).postDataJSON(), { urgentSenders: ['ms.rivera'] });
  await section.getByText('can now send urgent messages.').waitFor();
  const row = section.locator('.urgent-sender[data-user-id="ms.rivera"]');
  await row.getByText(TEACHER).waitFor();
  assert.equal(await allow.inputValue(), '');
  assert.deepEqual((await call(office, 'GET', '/admin/settings', undefined, 200)).urgentSenders, ['ms.rivera']);
  assert.equal((await call(rivera, 'GET', '/me/notifications', undefined, 200)).urgentAllowed, true);
  await screenshots(admin, 'admin-settings-urgent', { scrollTo: section });

  // The teacher's chat box now offers it (read again on opening the conversation), off.
  await closeConversation();
  await openAlice();
  await urgent.waitFor();
  assert.equal(await urgent.isChecked(), false);
  assert.equal(await hint.isVisible(), false);

  // Turned on from the keyboard; the hint says what it does, and describes the checkbox.
  await urgent.focus();
  await teacher.keyboard.press('Space');
  assert.equal(await urgent.isChecked(), true);
  await hint.waitFor();
  const described = await urgent.getAttribute('aria-describedby');
  assert.equal(await teacher.locator(`[id="${described}"]`).textContent(), 'Notifies them even in their quiet hours. Logged for the school.');
  await box.fill('The trip leaves at 7:30 tomorrow, not 8:30.');
  await screenshots(teacher, 'composer-urgent');
  await box.press('Enter');
  await teacher.locator('.message.own[data-status="sent"]', { hasText: 'The trip leaves at 7:30' }).waitFor();
  const [sent] = sockets.sends;
  assert.equal(sent.urgent, true);
  assert.equal(sent.messageBody, 'The trip leaves at 7:30 tomorrow, not 8:30.');
  // Off again after the send: the next message is an ordinary one.
  assert.equal(await urgent.isChecked(), false);
  assert.equal(await hint.isVisible(), false);
  await box.fill('Bring a packed lunch.');
  await box.press('Enter');
  await teacher.locator('.message.own[data-status="sent"]', { hasText: 'Bring a packed lunch.' }).waitFor();
  assert.equal(sockets.sends.length, 2);
  assert.equal(sockets.sends[1].urgent, undefined);

  // The school's record: one urgent send, by Ms Rivera, in that conversation.
  const { entries } = await call(office, 'GET', '/admin/audit?limit=50', undefined, 200);
  const urgentSends = entries.filter((e) => e.action === 'message.urgent');
  assert.equal(urgentSends.length, 1, JSON.stringify(entries));
  assert.equal(urgentSends[0].actor, 'ms.rivera');
  assert.equal(urgentSends[0].target, CONVERSATION);

  // With the socket down, the send goes over REST, urgent all the same.
  sockets.refuse = true;
  sockets.drop();
  await teacher.locator('.connection[data-connection="offline"]').waitFor();
  await urgent.check();
  await box.fill('Coach is at the front gate.');
  const rest = teacher.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/chat/send'));
  await box.press('Enter');
  const restBody = (await rest).postDataJSON();
  assert.equal(restBody.urgent, true);
  assert.equal(restBody.messageBody, 'Coach is at the front gate.');
  await teacher.locator('.message.own[data-status="sent"]', { hasText: 'Coach is at the front gate.' }).waitFor();
  assert.equal(await urgent.isChecked(), false);
  assert.equal(sockets.sends.length, 2);
  sockets.refuse = false;
  await teacher.evaluate(() => window.dispatchEvent(new Event('online')));
  await online(teacher);

  // A student never sees it.
  const student = await openPage(school.browser, base);
  await signIn(student, 'alice');
  await online(student);
  await contact(student, CONVERSATION).click();
  await student.getByLabel(`Message to ${TEACHER}`).waitFor();
  await student.locator('.message', { hasText: 'Coach is at the front gate.' }).waitFor();
  assert.equal(await student.getByRole('checkbox', { name: 'Urgent' }).count(), 0);
  assert.equal((await call(await login(base, 'alice'), 'GET', '/me/notifications', undefined, 200)).urgentAllowed, false);

  // Removed in Settings: gone from the list, and from the teacher's chat box.
  await row.getByRole('button', { name: /^Remove/ }).click();
  await section.getByText('can no longer send urgent messages.').waitFor();
  await section.getByText('No teacher may send urgent messages.').waitFor();
  assert.deepEqual((await call(office, 'GET', '/admin/settings', undefined, 200)).urgentSenders, []);
  await closeConversation();
  await openAlice();
  await eventually('the checkbox to go', async () => (await urgent.count()) === 0);

  assert.deepEqual([...teacher.errors, ...admin.errors, ...student.errors], []);
  for (const page of [teacher, admin, student]) await page.context().close();
});

test('the unsubscribe page for a link that is not one of ours is in the client’s style', async () => {
  const base = school.server.url;
  const response = await fetch(`${base}/unsubscribe?token=garbage`);
  assert.equal(response.status, 400);
  assert.match(response.headers.get('content-type'), /^text\/html/);

  // From a blank page, so that nothing of the app's own page is in the way.
  const page = await openPage(school.browser, 'about:blank');
  const csp = cspComplaints(page);
  const failed = [];
  page.on('requestfailed', (request) => failed.push(request.url()));
  const loaded = [];
  page.on('response', (r) => loaded.push([new URL(r.url()).pathname, r.status()]));
  await page.goto(`${base}/unsubscribe?token=garbage`);
  const heading = page.getByRole('heading', { name: 'This link does not work', level: 1 });
  await heading.waitFor();
  assert.equal(await heading.isVisible(), true);
  await page.getByText('It is not a classchat unsubscribe link').waitFor();
  // Nothing to confirm on a link that is not ours.
  assert.equal(await page.getByRole('button').count(), 0);

  // The stylesheet loaded and applies: a white card with rounded corners, centred, and the
  // app's type.
  const look = await page.evaluate(() => {
    const card = document.querySelector('main.unsubscribe');
    const style = getComputedStyle(card);
    const h1 = getComputedStyle(card.querySelector('h1'));
    const box = card.getBoundingClientRect();
    return {
      sheets: [...document.styleSheets].map((s) => [new URL(s.href).pathname, s.cssRules.length > 0]),
      background: style.backgroundColor,
      radius: style.borderTopLeftRadius,
      align: style.textAlign,
      font: getComputedStyle(document.body).fontFamily,
      h1Size: h1.fontSize,
      centred: Math.abs(box.left - (window.innerWidth - box.right)) <= 1,
      width: box.width,
    };
  });
  assert.deepEqual(look.sheets, [['/static/style.css', true]]);
  assert.equal(look.background, 'rgb(255, 255, 255)');
  assert.equal(look.radius, '16px');
  assert.equal(look.align, 'center');
  assert.match(look.font, /^system-ui/);
  assert.equal(look.h1Size, '22px');
  assert.ok(look.centred, JSON.stringify(look));
  assert.ok(look.width <= 440, JSON.stringify(look));
  await screenshots(page, 'unsubscribe-not-ours');

  // The stylesheet and the logo it shows came, and nothing failed.
  assert.deepEqual(loaded.filter(([path]) => path.startsWith('/static/')).sort(),
    [['/static/logo.svg', 200], ['/static/style.css', 200]]);
  assert.deepEqual(failed, []);
  assert.deepEqual(csp, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
