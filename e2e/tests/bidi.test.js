// A message with a right-to-left override (U+202E) is kept as sent, but shown bidi-isolated:
// the override reverses the text after it inside the message and nothing outside it (the
// author, the time, the receipt, the sidebar around the preview).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, ALICE_AND_MS_RIVERA, openPage, signIn, online, contact, screenshots, login, sendMessage,
} from '../lib/harness.js';

const SPOOF = 'pay the fee to \u202Etnuocca ym\u202C or else';

const school = useSchool(ALICE_AND_MS_RIVERA);

/** How the element is isolated: its `dir` attribute and computed `unicode-bidi`. */
async function isolation(locator) {
  return locator.evaluate((el) => ({
    tag: el.tagName.toLowerCase(),
    dir: el.getAttribute('dir'),
    unicodeBidi: getComputedStyle(el).unicodeBidi,
  }));
}

test('a message with a right-to-left override renders bidi-isolated', async () => {
  const token = await login(school.server.url, 'alice');
  const sent = await sendMessage(school.server.url, token, 'alice+ms.rivera', 'alice', SPOOF);
  assert.equal(sent.messageBody, SPOOF, 'the server keeps bidi controls in a message');

  const teacher = await openPage(school.browser, school.server.url);
  await signIn(teacher, 'ms.rivera');
  await online(teacher);

  // The sidebar preview: the body is a <bdi>, isolated from "You: " and the unread badge.
  const preview = contact(teacher, 'alice+ms.rivera').locator('.preview bdi');
  await preview.waitFor();
  assert.equal(await preview.textContent(), SPOOF);
  assert.deepEqual(await isolation(preview), { tag: 'bdi', dir: null, unicodeBidi: 'isolate' });
  const name = contact(teacher, 'alice+ms.rivera').locator('.contact-name');
  assert.deepEqual(await isolation(name), { tag: 'span', dir: 'auto', unicodeBidi: 'isolate' });

  // The conversation: the body's own element is isolated, and the header's name too.
  await contact(teacher, 'alice+ms.rivera').click();
  const body = teacher.locator('.message-list .message-body', { hasText: 'pay the fee' });
  await body.waitFor();
  assert.equal(await body.textContent(), SPOOF);
  assert.deepEqual(await isolation(body), { tag: 'p', dir: 'auto', unicodeBidi: 'isolate' });
  const header = teacher.locator('.conversation-head h2');
  assert.deepEqual(await isolation(header), { tag: 'h2', dir: 'auto', unicodeBidi: 'isolate' });

  // Isolation at work: the body's first strong character is Latin, so the paragraph is
  // left-to-right and the override reverses only what follows it, inside the message.
  const direction = await body.evaluate((el) => getComputedStyle(el).direction);
  assert.equal(direction, 'ltr');
  assert.deepEqual(teacher.errors, []);
  await screenshots(teacher, 'bidi-isolated-message');
});
