// A message that looks like HTML is shown as the literal text and runs nothing: bodies
// are rendered with textContent, and the CSP forbids inline script anyway.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, ALICE_AND_MS_RIVERA, openPage, signIn, online, contact, screenshots, login, sendMessage,
} from '../lib/harness.js';

const PAYLOAD = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script><b>bold?</b>';

const school = useSchool(ALICE_AND_MS_RIVERA);

test('an HTML-looking message is literal text and runs nothing', async () => {
  const student = await openPage(school.browser, school.server.url);
  const teacher = await openPage(school.browser, school.server.url);
  await signIn(student, 'alice');
  await signIn(teacher, 'ms.rivera');
  await Promise.all([online(student), online(teacher)]);

  // One sent through the chat box, one through the API straight into the teacher's view.
  await contact(student, 'alice+ms.rivera').click();
  const box = student.getByLabel('Message to Ms Rivera (Maths)');
  await box.fill(PAYLOAD);
  await box.press('Enter');
  await student.locator('.message.own[data-status="sent"]').waitFor();
  const token = await login(school.server.url, 'alice');
  await sendMessage(school.server.url, token, 'alice+ms.rivera', 'alice', SCRIPT);

  await contact(teacher, 'alice+ms.rivera').click();
  const bodies = teacher.locator('.message-list .message-body');
  await teacher.locator('.message-list .message-body', { hasText: 'bold?' }).waitFor();
  assert.deepEqual(await bodies.allTextContents(), [PAYLOAD, SCRIPT]);
  assert.deepEqual(await student.locator('.message-list .message-body').allTextContents(), [PAYLOAD, SCRIPT]);
  for (const page of [student, teacher]) {
    assert.equal(await page.locator('.message-list img, .message-list script, .message-list b').count(), 0);
    // The sidebar preview is text too.
    assert.equal(await page.locator('.contact-list img, .contact-list script, .contact-list b').count(), 0);
    assert.deepEqual(page.dialogs, [], 'a dialog opened: script ran');
    assert.deepEqual(page.errors, []);
  }
  await screenshots(teacher, 'xss-literal-text');
});
