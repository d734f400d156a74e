// Older history loads when scrolling up, keeping the reader's place, until the first
// message of the conversation is on screen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSchool, ALICE_AND_MS_RIVERA, openPage, signIn, contact, eventually, screenshots, login, sendMessage,
} from '../lib/harness.js';

const TOTAL = 120;

const school = useSchool(ALICE_AND_MS_RIVERA, async (school) => {
  const student = await login(school.server.url, 'alice');
  const teacher = await login(school.server.url, 'ms.rivera');
  for (let i = 1; i <= TOTAL; i += 1) {
    const fromStudent = i % 3 !== 0;
    await sendMessage(school.server.url, fromStudent ? student : teacher, 'alice+ms.rivera', fromStudent ? 'alice' : 'ms.rivera', `Message ${i} of ${TOTAL}`);
  }
});

test('scrolling up loads older pages until the first message', async () => {
  const page = await openPage(school.browser, school.server.url);
  await signIn(page, 'alice');
  await contact(page, 'alice+ms.rivera').click();
  const messages = page.locator('.message-list .message');
  const scroller = page.locator('.message-scroller');

  // The first view is the newest page, scrolled to the bottom.
  await page.locator('.message', { hasText: `Message ${TOTAL} of ${TOTAL}` }).waitFor();
  await eventually('the newest page', async () => (await messages.count()) === 50);
  assert.equal(await page.locator('.message', { hasText: 'Message 71 of' }).count(), 1);
  assert.equal(await page.locator('.message', { hasText: 'Message 70 of' }).count(), 0);
  const atBottom = await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40);
  assert.ok(atBottom, 'the newest message is at the bottom, in view');
  await screenshots(page, 'history-newest');

  // Scroll to the top: the next page arrives above, and the view keeps its place.
  const anchor = page.locator('.message', { hasText: 'Message 71 of' });
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  await eventually('a second page', async () => (await messages.count()) === 100);
  const anchorTop = await anchor.evaluate((el) => el.getBoundingClientRect().top);
  const scrollerTop = await scroller.evaluate((el) => el.getBoundingClientRect().top);
  assert.ok(anchorTop >= scrollerTop - 5, 'the message that was at the top is still in view');

  // Keep going until the very first message is visible.
  const first = page.locator('.message', { hasText: `Message 1 of ${TOTAL}` });
  await eventually('the first message', async () => {
    if ((await first.count()) === 1) return true;
    await scroller.evaluate((el) => { el.scrollTop = 0; });
    return false;
  });
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  await eventually('the first message in view', async () => {
    const box = await first.boundingBox();
    const view = await scroller.boundingBox();
    return box && box.y >= view.y - 1 && box.y < view.y + view.height;
  });
  assert.equal(await messages.count(), TOTAL);
  await page.locator('.history-status', { hasText: 'This is the start of the conversation' }).waitFor();
  // Each message exactly once, in order.
  const bodies = await page.locator('.message-list .message-body').allTextContents();
  assert.deepEqual(bodies, Array.from({ length: TOTAL }, (_, i) => `Message ${i + 1} of ${TOTAL}`));
  await screenshots(page, 'history-start');
  assert.deepEqual(page.errors, []);
});
