// Families: a guardian (a parent or carer), made one by the school office, messages their
// children's teachers; a teacher sees whose family it is and can message the family from
// the students list. Another family's child stays out of reach. Where the school turns
// guardian oversight on, the guardian may read (never write) their child's conversations,
// and the student is told; the office manages guardians and that switch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, login, api, sendMessage, openPage, signIn, online, contact, eventually, screenshots, PASSWORD,
} from '../lib/harness.js';

const PEOPLE = [
  { userId: 'sam', displayName: 'Sam Lee', role: 'student' },
  { userId: 'mia', displayName: 'Mia Lee', role: 'student' },
  { userId: 'zoe', displayName: 'Zoe King', role: 'student' },
  { userId: 'pat', displayName: 'Pat Lee', role: 'guardian' },
  { userId: 'kim', displayName: 'Kim King', role: 'guardian' },
  { userId: 'ms.rivera', displayName: 'Ms Rivera (Maths)', role: 'teacher' },
  { userId: 'mr.okafor', displayName: 'Mr Okafor (Science)', role: 'teacher' },
];
const LINKS = [
  { teacherId: 'ms.rivera', studentId: 'sam' },
  { teacherId: 'ms.rivera', studentId: 'mia' },
  { teacherId: 'mr.okafor', studentId: 'sam' },
  { teacherId: 'ms.rivera', studentId: 'zoe' },
];
// Pat is Sam's and Mia's guardian; Kim is Zoe's.
const GUARDIANS = [
  { guardianId: 'pat', studentId: 'sam' },
  { guardianId: 'pat', studentId: 'mia' },
  { guardianId: 'kim', studentId: 'zoe' },
];

const FAMILY = 'pat+ms.rivera';
const SAM_QUESTION = 'Can I redo the fractions quiz on Friday?';
const SAM_ANSWER = 'Yes Sam, Friday at lunchtime.';
const ZOE_SECRET = 'Zoe here: a question only for Ms Rivera.';
const NOTICE = 'Your family can read your messages with teachers.';

let office;
let guardian;
let teacher;

/** A JSON request that must answer `status`; resolves to the body (null for 204). */
async function call(token, method, route, body, status) {
  const response = await api(school.server.url, token, method, route, body);
  const text = await response.text();
  assert.equal(response.status, status, `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const school = useSchool({ users: [{ id: 'office', role: 'admin', name: 'School Office' }] }, async (school) => {
  office = await login(school.server.url, 'office');
  for (const person of PEOPLE) await call(office, 'POST', '/admin/users', { ...person, password: PASSWORD }, 201);
  for (const link of LINKS) await call(office, 'POST', '/admin/links', link, 201);
  for (const link of GUARDIANS) await call(office, 'POST', '/admin/guardians', link, 201);
  const sam = await login(school.server.url, 'sam');
  const zoe = await login(school.server.url, 'zoe');
  const rivera = await login(school.server.url, 'ms.rivera');
  await sendMessage(school.server.url, sam, 'sam+ms.rivera', 'sam', SAM_QUESTION);
  await sendMessage(school.server.url, rivera, 'sam+ms.rivera', 'ms.rivera', SAM_ANSWER);
  await sendMessage(school.server.url, zoe, 'zoe+ms.rivera', 'zoe', ZOE_SECRET);
});

/** A child's section in the guardian's sidebar. */
const childSection = (page, childId) => page.locator(`.child-group[data-child-id="${childId}"]`);

test('a guardian messages their child’s teacher, who sees it live with the child’s name', async () => {
  guardian = await openPage(school.browser, school.server.url);
  teacher = await openPage(school.browser, school.server.url);
  await signIn(guardian, 'pat');
  await signIn(teacher, 'ms.rivera');
  await Promise.all([online(guardian), online(teacher)]);

  // Pat's children, by name, each with their own teachers; Ms Rivera teaches both, so she
  // is under both, with the one conversation.
  const sam = childSection(guardian, 'sam');
  const mia = childSection(guardian, 'mia');
  await sam.waitFor();
  await mia.waitFor();
  assert.deepEqual(await guardian.locator('.child-group').evaluateAll((els) => els.map((el) => el.dataset.childId)), ['mia', 'sam']);
  await sam.locator('.child-name', { hasText: 'Sam Lee' }).waitFor();
  await mia.locator('.child-name', { hasText: 'Mia Lee' }).waitFor();
  assert.deepEqual((await sam.locator('.contact').evaluateAll((els) => els.map((el) => el.dataset.conversationId))).sort(), ['pat+mr.okafor', FAMILY]);
  assert.deepEqual(await mia.locator('.contact').evaluateAll((els) => els.map((el) => el.dataset.conversationId)), [FAMILY]);
  // Oversight is off: no child's conversations, and nothing of Sam's messages.
  assert.equal(await guardian.locator('.oversight').count(), 0);
  assert.ok(!(await guardian.locator('body').innerText()).includes(SAM_QUESTION));
  await screenshots(guardian, 'guardian-contacts');

  await sam.locator(`.contact[data-conversation-id="${FAMILY}"]`).click();
  await guardian.locator('.conversation .subtitle', { hasText: 'Teacher of' }).waitFor();
  const box = guardian.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill('Hello Ms Rivera, Sam was unwell yesterday and missed the homework.');
  await box.press('Enter');
  await guardian.locator('.message.own[data-status="sent"]', { hasText: 'Sam was unwell' }).waitFor();

  // The teacher's list gets it live, marked as the family of Sam (and Mia).
  const row = contact(teacher, FAMILY);
  await row.waitFor();
  await row.locator('.badge', { hasText: '1' }).waitFor();
  await row.locator('.contact-name', { hasText: 'Pat Lee' }).waitFor();
  const family = row.locator('.contact-family');
  await family.filter({ hasText: 'Parent of' }).waitFor();
  assert.match(await family.innerText(), /Sam Lee/);
  assert.match(await family.innerText(), /Mia Lee/);
  await screenshots(teacher, 'teacher-family-contact');

  await row.click();
  await teacher.locator('.conversation .subtitle', { hasText: /Parent of .*Sam Lee/ }).waitFor();
  await teacher.locator('.message.peer', { hasText: 'Sam was unwell' }).waitFor();
  const reply = teacher.getByLabel('Message to Pat Lee');
  await reply.fill('Thank you for letting me know. Sam can hand it in next week.');
  await reply.press('Enter');

  // The reply arrives live; the row under each child shows it (one conversation).
  await guardian.locator('.message.peer', { hasText: 'Sam can hand it in next week' }).waitFor();
  await teacher.locator('.message.own .receipt.seen').waitFor();
  await mia.locator(`.contact[data-conversation-id="${FAMILY}"] .preview`, { hasText: 'Sam can hand it in' }).waitFor();
  await screenshots(guardian, 'guardian-conversation');
  assert.deepEqual([...guardian.errors, ...teacher.errors], []);
});

test('a guardian cannot open another family’s child, nor their own child’s while oversight is off', async () => {
  const token = await login(school.server.url, 'pat');
  // Zoe is Kim's child: nothing of hers, by the API…
  await call(token, 'GET', `/chat/read?conversationId=${encodeURIComponent('zoe+ms.rivera')}`, undefined, 403);
  await call(token, 'GET', '/chat/get_teachers?user_name=zoe', undefined, 403);
  await call(token, 'POST', '/chat/send', { conversationId: 'zoe+ms.rivera', author: 'pat', messageBody: 'Hello?' }, 403);
  // …and Sam's own conversations stay closed while the school has not allowed it.
  await call(token, 'GET', `/chat/read?conversationId=${encodeURIComponent('sam+ms.rivera')}`, undefined, 403);
  await call(token, 'GET', '/chat/get_teachers?user_name=sam', undefined, 403);

  // …nor in the page, by its address.
  const notFound = guardian.locator('.empty-pane', { hasText: 'Conversation not found' });
  await guardian.goto(`${school.server.url}/#/c/${encodeURIComponent('zoe+ms.rivera')}`);
  await notFound.waitFor();
  await guardian.goto(`${school.server.url}/#/c/${encodeURIComponent(FAMILY)}`);
  await guardian.locator(`.conversation[data-conversation-id="${FAMILY}"]`).waitFor();
  await guardian.goto(`${school.server.url}/#/c/${encodeURIComponent('sam+ms.rivera')}`);
  await notFound.waitFor();
  const text = await guardian.locator('body').innerText();
  assert.ok(!text.includes(ZOE_SECRET) && !text.includes(SAM_QUESTION), 'a child’s messages are visible');
  assert.equal(await guardian.locator('.child-group[data-child-id="zoe"]').count(), 0);
  await screenshots(guardian, 'guardian-not-found');
  assert.deepEqual(guardian.errors, []);
});

test('a teacher messages a student’s family from “New message”', async () => {
  await childSection(guardian, 'sam').locator(`.contact[data-conversation-id="${FAMILY}"]`).click();
  await guardian.locator('.message.peer', { hasText: 'Sam can hand it in next week' }).waitFor();

  await teacher.getByRole('button', { name: 'New message' }).click();
  const dialog = teacher.getByRole('dialog', { name: 'New message' });
  await dialog.getByLabel('Write to one of your students').fill('sam');
  await dialog.locator('.picker-item[data-conversation-id="sam+ms.rivera"]').waitFor();
  const message = dialog.getByRole('button', { name: 'Message the family of Sam Lee: Pat Lee' });
  await message.waitFor();
  // Zoe's family is Kim's, offered under Zoe only.
  await dialog.getByLabel('Write to one of your students').fill('zoe');
  await dialog.getByRole('button', { name: 'Message the family of Zoe King: Kim King' }).waitFor();
  assert.equal(await dialog.getByRole('button', { name: /Pat Lee/ }).count(), 0);
  await dialog.getByLabel('Write to one of your students').fill('sam');
  await screenshots(teacher, 'teacher-message-the-family');
  await message.click();

  const box = teacher.getByLabel('Message to Pat Lee');
  await box.fill('Sam did very well in today’s test.');
  await box.press('Enter');
  await guardian.locator('.message.peer', { hasText: 'Sam did very well' }).waitFor();
  await teacher.locator('.message.own .receipt.seen').waitFor();
  assert.deepEqual([...guardian.errors, ...teacher.errors], []);
});

test('with oversight on, the guardian reads their child’s conversations read-only, and the student is told', async () => {
  // Off: Sam is not told anything.
  const student = await openPage(school.browser, school.server.url);
  await signIn(student, 'sam');
  await contact(student, 'sam+ms.rivera').waitFor();
  assert.equal(await student.getByText(NOTICE).isVisible(), false);

  const settings = await call(office, 'PATCH', '/admin/settings', { guardianOversight: true }, 200);
  assert.equal(settings.guardianOversight, true);

  // Sam is told, in the pane and in each conversation.
  await student.reload();
  await student.locator('.empty-pane').getByText(NOTICE).waitFor();
  await contact(student, 'sam+ms.rivera').click();
  await student.locator('.conversation').getByText(NOTICE).waitFor();
  await screenshots(student, 'student-family-notice');

  // Pat sees a read-only section for each child, listing the child's teachers.
  await guardian.reload();
  await online(guardian);
  const oversight = childSection(guardian, 'sam').locator('.oversight');
  await oversight.waitFor();
  await oversight.getByRole('heading', { name: 'Sam Lee’s conversations' }).waitFor();
  assert.deepEqual((await oversight.locator('.contact').evaluateAll((els) => els.map((el) => el.dataset.conversationId))).sort(), ['sam+mr.okafor', 'sam+ms.rivera']);
  await childSection(guardian, 'mia').locator('.oversight .contact[data-conversation-id="mia+ms.rivera"]').waitFor();
  await screenshots(guardian, 'guardian-oversight-list');

  await oversight.locator('.contact[data-conversation-id="sam+ms.rivera"]').click();
  await guardian.getByText('Read-only: you can read Sam Lee’s messages because your school allows it.').waitFor();
  await guardian.locator('.message-body', { hasText: SAM_QUESTION }).waitFor();
  await guardian.locator('.message-body', { hasText: SAM_ANSWER }).waitFor();
  assert.equal(await guardian.locator('.composer').count(), 0);
  await screenshots(guardian, 'guardian-oversight-conversation');

  // Reading is all: no send, by REST or on the socket.
  const token = await login(school.server.url, 'pat');
  await call(token, 'POST', '/chat/send', { conversationId: 'sam+ms.rivera', author: 'pat', messageBody: 'Hi, it is Pat.' }, 403);
  const frame = await guardian.evaluate(async ({ token: bearer }) => {
    const socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/chat/ws?token=${encodeURIComponent(bearer)}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer on the socket')), 10_000);
      socket.addEventListener('open', () => socket.send(JSON.stringify({
        action: 'sendMessage', conversationId: 'sam+ms.rivera', messageBody: 'Hi, it is Pat.', clientMessageId: 'e2e-guardian-1',
      })));
      socket.addEventListener('message', (event) => {
        const data = JSON.parse(event.data);
        if (data.type !== 'error' && data.type !== 'ack') return;
        clearTimeout(timer);
        socket.close();
        resolve(data);
      });
    });
  }, { token });
  assert.equal(frame.type, 'error', JSON.stringify(frame));
  assert.equal(frame.code, 'forbidden', JSON.stringify(frame));
  const page = await call(token, 'GET', `/chat/read?conversationId=${encodeURIComponent('sam+ms.rivera')}`, undefined, 200);
  assert.ok(!page.messages.some((m) => m.messageBody === 'Hi, it is Pat.'));

  // Another family's child stays closed, oversight or not.
  await call(token, 'GET', `/chat/read?conversationId=${encodeURIComponent('zoe+ms.rivera')}`, undefined, 403);
  await call(token, 'GET', '/chat/get_teachers?user_name=zoe', undefined, 403);
  await guardian.goto(`${school.server.url}/#/c/${encodeURIComponent('zoe+ms.rivera')}`);
  await guardian.locator('.empty-pane', { hasText: 'Conversation not found' }).waitFor();

  // Every read is in the audit log.
  const audit = await call(office, 'GET', '/admin/audit?limit=100', undefined, 200);
  assert.ok(audit.entries.some((entry) => entry.action === 'guardian.read' && entry.actor === 'pat'), JSON.stringify(audit.entries.map((e) => e.action)));
  assert.deepEqual([...guardian.errors, ...student.errors], []);
});

test('the office adds and removes a guardian, and turns oversight off again', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'office');
  await page.locator('.users-table tr[data-user-id="pat"] .role-chip', { hasText: 'guardian' }).waitFor();

  // A new guardian, from the People page.
  await page.getByLabel('User ID').fill('gran.lee');
  await page.getByLabel('Display name').fill('Gran Lee');
  await page.getByLabel('Role').selectOption('guardian');
  await page.getByLabel('Initial password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Add person' }).click();
  await page.getByText('Gran Lee (gran.lee) can now sign in.').waitFor();
  await page.getByLabel('Show', { exact: true }).selectOption('guardian');
  await page.locator('.result-count', { hasText: 'Showing 3 people.' }).waitFor();

  // Families: the links made by the API, then Gran Lee for Sam.
  await page.getByRole('link', { name: 'Families' }).click();
  const rows = page.locator('.families-table tbody tr[data-guardian-id]');
  await page.locator('.families-table tr[data-guardian-id="kim"][data-student-id="zoe"]').waitFor();
  assert.equal(await rows.count(), 3);
  await page.getByLabel('Guardian', { exact: true }).selectOption('gran.lee');
  await page.getByLabel('Student', { exact: true }).selectOption('sam');
  await page.getByRole('button', { name: 'Add guardian' }).click();
  const gran = page.locator('.families-table tr[data-guardian-id="gran.lee"][data-student-id="sam"]');
  await gran.waitFor();
  // Twice is refused, plainly.
  await page.getByRole('button', { name: 'Add guardian' }).click();
  await page.getByText('They are already this student’s guardian.').waitFor();

  // Narrowed to Sam: his two guardians.
  await page.getByLabel('User ID', { exact: true }).fill('sam');
  await page.locator('.result-count', { hasText: 'Showing 2 guardian links.' }).waitFor();
  assert.deepEqual((await rows.evaluateAll((els) => els.map((el) => el.dataset.guardianId))).sort(), ['gran.lee', 'pat']);
  assert.match(await page.evaluate(() => window.location.hash), /^#\/admin\/families\?userId=sam$/);
  await screenshots(page, 'admin-families');
  await gran.getByRole('button', { name: /^Remove/ }).click();
  await gran.getByRole('button', { name: /^Confirm: remove/ }).click();
  await eventually('the guardian link to go', async () => (await gran.count()) === 0);
  const left = await call(office, 'GET', '/admin/guardians?userId=sam', undefined, 200);
  assert.deepEqual(left.guardians, [{ guardianId: 'pat', studentId: 'sam' }]);

  // Settings: the switch shows oversight on; turning it off is saved.
  await page.getByRole('link', { name: 'Settings' }).click();
  const toggle = page.getByRole('switch', { name: 'Guardians may read their children’s conversations' });
  await eventually('the switch to load', async () => (await toggle.isEnabled()) && (await toggle.isChecked()));
  await screenshots(page, 'admin-settings');
  await toggle.click();
  await page.getByText('Saved. Guardians can no longer read their children’s conversations.').waitFor();
  assert.equal(await toggle.isChecked(), false);
  assert.equal((await call(office, 'GET', '/admin/settings', undefined, 200)).guardianOversight, false);

  // Pat's read-only sections are gone after a reload, and their reads are refused again.
  await guardian.reload();
  await childSection(guardian, 'sam').waitFor();
  assert.equal(await guardian.locator('.oversight').count(), 0);
  const token = await login(school.server.url, 'pat');
  await call(token, 'GET', `/chat/read?conversationId=${encodeURIComponent('sam+ms.rivera')}`, undefined, 403);

  // The office's changes are in the audit log.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('.audit-table tr[data-action="settings.update"]').first().waitFor();
  await page.locator('.audit-table tr[data-action="guardian.add"]').first().waitFor();
  await page.locator('.audit-table tr[data-action="guardian.remove"]').first().waitFor();
  assert.deepEqual([...page.errors, ...guardian.errors], []);
});
