// Class announcements: after a roster import, a teacher sees their students grouped by
// class in "New message", messages a whole class, and each student gets the message live
// in their own conversation with the teacher, marked as an announcement. The teacher's
// conversation list fills with the copies as they arrive; a retry after a lost answer
// sends nothing twice.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import {
  useSchool, openPage, signIn, online, contact, screenshots, eventually, login, api, schoolBundle, setFirstPasswords,
} from '../lib/harness.js';

const TEACHER = 'teacher.0001';
const STUDENT = 'student.00001';
const OUTSIDER = 'student.00002'; // in another school's class, linked to the teacher by hand
const conversation = (student) => `${student}+${TEACHER}`;
// The generator's district with 30 students, 3 teachers and 4 classes: teacher.0001 teaches
// Class 1 and Class 4, each with the same ten students (student.00001, 00004, … 00028).
const CLASS_MEMBERS = Array.from({ length: 10 }, (_, i) => `student.${String(3 * i + 1).padStart(5, '0')}`);

const school = useSchool({ users: [{ id: 'office', role: 'admin', name: 'School Office' }] }, async (school) => {
  const base = school.server.url;
  const office = await login(base, 'office');
  const bundle = path.join(school.db.dir, 'export.zip');
  schoolBundle(bundle, { students: 30, teachers: 3, classes: 4 });
  const imported = await fetch(`${base}/admin/roster`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/zip', Authorization: `Bearer ${office}` },
    body: readFileSync(bundle),
  });
  assert.equal(imported.status, 200, await imported.clone().text());
  const linked = await api(base, office, 'POST', '/admin/links', { teacherId: TEACHER, studentId: OUTSIDER });
  assert.equal(linked.status, 201, await linked.clone().text());
  // Imported accounts have no password: the office's one-time codes, then first sign-ins.
  await setFirstPasswords(base, office, [TEACHER, STUDENT, OUTSIDER]);
});

/** The "New message" dialog, open, with its class sections loaded. */
async function openClasses(teacher) {
  await teacher.getByRole('button', { name: 'New message' }).click();
  const dialog = teacher.getByRole('dialog', { name: 'New message' });
  await dialog.locator('.class-group').first().waitFor();
  return dialog;
}

test('a teacher messages a class and a student sees the announcement arrive live', async () => {
  const student = await openPage(school.browser, school.server.url);
  await signIn(student, STUDENT);
  await online(student);
  const teacher = await openPage(school.browser, school.server.url);
  await signIn(teacher, TEACHER);
  await online(teacher);
  // The teacher's other device, which learns of the copies only from live message frames.
  const elsewhere = await openPage(school.browser, school.server.url);
  await signIn(elsewhere, TEACHER);
  await online(elsewhere);

  // Students grouped by class; those in two classes under both, the hand-linked one apart.
  const dialog = await openClasses(teacher);
  const headings = await dialog.locator('.class-group h3').allInnerTexts();
  assert.deepEqual(headings, ['Class 1', 'Class 4', 'Other students']);
  const class1 = dialog.getByRole('region', { name: 'Class 1' });
  assert.equal(await class1.locator('.picker-item').count(), 10);
  await class1.getByText('10 students').waitFor();
  assert.equal(await dialog.locator(`.picker-item[data-conversation-id="${conversation(STUDENT)}"]`).count(), 2);
  const others = dialog.getByRole('region', { name: 'Other students' });
  assert.deepEqual(
    await others.locator('.picker-item').evaluateAll((items) => items.map((item) => item.dataset.conversationId)),
    [conversation(OUTSIDER)],
  );
  assert.equal(await others.getByRole('button', { name: /Message the class/ }).count(), 0);
  await screenshots(teacher, 'announce-classes');

  // The composer opens under the heading, and Escape closes it again (not the dialog).
  const message = class1.getByRole('button', { name: 'Message the class Class 1' });
  await message.click();
  const text = class1.getByLabel('Message to everyone in Class 1');
  assert.equal(await text.evaluate((el) => el === document.activeElement), true);
  assert.equal(await message.getAttribute('aria-expanded'), 'true');
  await text.press('Escape');
  assert.equal(await text.isVisible(), false);
  assert.equal(await dialog.isVisible(), true);
  assert.equal(await message.evaluate((el) => el === document.activeElement), true);

  await teacher.keyboard.press('Enter');
  await text.fill('Trip forms are due on Friday. Bring them to room 12.');
  await class1.getByRole('button', { name: 'Send', exact: true }).click();
  await class1.getByRole('status').filter({ hasText: 'Sent to 10 students.' }).waitFor();
  assert.equal(await text.inputValue(), '');
  await screenshots(teacher, 'announce-sent', { scrollTo: class1 });

  // The student: live, in their own conversation with the teacher, marked.
  const row = contact(student, conversation(STUDENT));
  await row.locator('.preview', { hasText: 'Announcement: Trip forms are due on Friday.' }).waitFor();
  await row.locator('.badge', { hasText: '1' }).waitFor();
  await row.click();
  const received = student.locator('.message.peer.announcement', { hasText: 'Trip forms are due on Friday.' });
  await received.waitFor();
  assert.equal(await received.locator('.announcement-mark').textContent(), 'Announcement:');
  assert.match(await received.locator('.bubble').textContent(), /^Announcement:Trip forms/);
  await screenshots(student, 'announce-student');

  // The teacher's lists, on both devices, hold the ten copies (and nothing for the outsider).
  await teacher.getByRole('button', { name: 'Close' }).click();
  for (const page of [teacher, elsewhere]) {
    await eventually('the ten copies in the teacher’s list', async () => (await page.locator('.contact').count()) === 10);
    const listed = await page.locator('.contact').evaluateAll((items) => items.map((item) => item.dataset.conversationId).sort());
    assert.deepEqual(listed, CLASS_MEMBERS.map(conversation).sort());
  }
  await contact(elsewhere, conversation(STUDENT)).locator('.preview', { hasText: 'You: Announcement: Trip forms' }).waitFor();
  await contact(teacher, conversation(STUDENT)).locator('.preview', { hasText: 'You: Announcement: Trip forms' }).waitFor();
  await contact(teacher, conversation(STUDENT)).click();
  await teacher.locator('.message.own.announcement .announcement-mark').waitFor();
  await screenshots(teacher, 'announce-teacher');
  assert.deepEqual(student.errors, []);
  assert.deepEqual(teacher.errors, []);
  assert.deepEqual(elsewhere.errors, []);
});

test('a retry after a lost answer reuses the announcement’s id, so students get it once', async () => {
  const student = await openPage(school.browser, school.server.url);
  await signIn(student, STUDENT);
  await online(student);
  const teacher = await openPage(school.browser, school.server.url);
  await signIn(teacher, TEACHER);
  await online(teacher);

  // The first answer is lost on the way back (the server has stored the announcement).
  const sent = [];
  let lose = true;
  await teacher.route('**/classes/*/announce', async (route) => {
    sent.push(JSON.parse(route.request().postData()).clientMessageId);
    const response = await route.fetch();
    if (lose) {
      lose = false;
      await route.abort('connectionreset');
    } else {
      await route.fulfill({ response });
    }
  });

  const dialog = await openClasses(teacher);
  const class4 = dialog.getByRole('region', { name: 'Class 4' });
  await class4.getByRole('button', { name: 'Message the class Class 4' }).click();
  const body = 'Sports day is moved to Thursday.';
  await class4.getByLabel('Message to everyone in Class 4').fill(body);
  await class4.getByRole('button', { name: 'Send', exact: true }).click();
  await class4.getByRole('alert').filter({ hasText: 'Not sent: cannot reach the server.' }).waitFor();
  await screenshots(teacher, 'announce-retry', { scrollTo: class4 });
  await class4.getByRole('button', { name: 'Send', exact: true }).click();
  await class4.getByRole('status').filter({ hasText: 'Sent to 10 students.' }).waitFor();
  assert.equal(sent.length, 2);
  assert.equal(sent[0], sent[1], 'the retry carries the same clientMessageId');

  await contact(student, conversation(STUDENT)).click();
  await student.locator('.message.announcement', { hasText: body }).waitFor();
  // One copy stored, and one shown.
  const token = await login(school.server.url, STUDENT);
  const page = await (await api(school.server.url, token, 'GET', `/chat/read?conversationId=${encodeURIComponent(conversation(STUDENT))}`)).json();
  assert.equal(page.messages.filter((m) => m.messageBody === body).length, 1);
  assert.equal(await student.locator('.message.announcement', { hasText: body }).count(), 1);
  assert.deepEqual(student.errors, []);
  assert.deepEqual(teacher.errors, []);
});
