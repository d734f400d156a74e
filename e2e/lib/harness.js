// Shared plumbing for the end-to-end tests: run the real `classchat` binary on a fresh
// database, seed it through the CLI, talk to its REST API, and drive Debian's Chromium
// with playwright-core (which never downloads a browser of its own).

import { before, after } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const BIN = process.env.CLASSCHAT_BIN || path.join(ROOT, 'target/debug/classchat');
export const SCREENSHOTS = path.join(ROOT, 'artifacts/screenshots');
export const PASSWORD = 'e2e-password-1';
// Fixed, so a restarted server accepts the tokens the browser already holds.
export const JWT_SECRET = 'e2e-fixed-jwt-secret-0123456789abcdef';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const TIMEOUT = 20_000;

/** A fresh temporary directory and database path; `cleanup()` removes both. */
export function freshDb() {
  const dir = mkdtempSync(path.join(tmpdir(), 'classchat-e2e-'));
  return { dir, db: path.join(dir, 'classchat.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Only warnings and errors from the binary reach the test output.
// The SQLite store, whatever the calling shell has set.
const QUIET = { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', CLASSCHAT_STORE: 'sqlite' };

/** Creates users and links with the CLI, before the server starts. */
export function seed(db, { users = [], links = [] }) {
  for (const user of users) {
    execFileSync(BIN, ['user', 'add', '--db', db, '--id', user.id, '--role', user.role, '--name', user.name, '--password-stdin'], {
      input: `${user.password || PASSWORD}\n`,
      env: QUIET,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  }
  for (const link of links) {
    execFileSync(BIN, ['link', 'add', '--db', db, '--teacher', link.teacher, '--student', link.student], {
      env: QUIET,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
}

/**
 * Writes the roster crate's generated district (crates/roster/examples/school-bundle.rs)
 * as a OneRoster zip at `out`: the example `cargo build --workspace --all-targets` built,
 * or, when it is missing, `cargo run` of it. `guardians`, when given, is how many family
 * members (who import as guardians) it has; 0 leaves families out.
 */
export function schoolBundle(out, { students, teachers, classes, guardians }) {
  const args = [out, String(students), String(teachers), String(classes)];
  if (guardians !== undefined) args.push(String(guardians));
  const built = path.join(ROOT, 'target/debug/examples/school-bundle');
  if (existsSync(built)) {
    execFileSync(built, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    return;
  }
  execFileSync('cargo', ['run', '-q', '-p', 'classchat-roster', '--example', 'school-bundle', '--features', 'test-support', '--', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// Servers still running when the test process exits (a crash, a failed `before`) are
// killed with it, so no stray server outlives a run.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `classchat serve` (unlimited send rate unless `args` say otherwise) and resolves
 * once it prints its address.
 * @returns {Promise<{url: string, port: number, kill: (signal?: string) => Promise<void>, logs: () => string}>}
 */
export function startServer(db, { port = 0, args = ['--send-rate', '0'] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['serve', '--db', db, '--addr', `127.0.0.1:${port}`, ...args], {
      env: { ...QUIET, CLASSCHAT_JWT_SECRET: JWT_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    const exited = new Promise((done) => child.once('exit', done));
    child.once('exit', () => running.delete(child));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time\n${stderr}`));
    }, 30_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /classchat listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          port: Number(match[2]),
          logs: () => stderr,
          kill: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\n${stderr}`));
    });
  });
}

// --- REST, for seeding messages and acting "from elsewhere" ------------------------------

export async function login(base, userId, password = PASSWORD) {
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId, password }),
  });
  if (!response.ok) throw new Error(`login ${userId}: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

export async function sendMessage(base, token, conversationId, author, messageBody) {
  const response = await fetch(`${base}/chat/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ conversationId, author, messageBody }),
  });
  if (response.status !== 201) throw new Error(`send: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A JSON request with a bearer token; resolves to the response. */
export function api(base, token, method, route, body) {
  return fetch(`${base}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Gives roster-imported accounts (which have none) a password, as their owners would: the
 * admin `adminToken` issues one-time codes (`POST /admin/sign-in-codes`), and each account's
 * first sign-in (`POST /auth/first-sign-in`) sets `password`.
 */
export async function setFirstPasswords(base, adminToken, userIds, password = PASSWORD) {
  const response = await api(base, adminToken, 'POST', '/admin/sign-in-codes', { userIds });
  if (!response.ok) throw new Error(`sign-in codes: ${response.status} ${await response.text()}`);
  // `userId,code,expiresAt` lines after the header.
  const lines = (await response.text()).split('\r\n').slice(1).filter(Boolean);
  for (const [userId, code] of lines.map((line) => line.split(','))) {
    const signedIn = await fetch(`${base}/auth/first-sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId, code, newPassword: password }),
    });
    if (!signedIn.ok) throw new Error(`first sign-in ${userId}: ${signedIn.status} ${await signedIn.text()}`);
  }
}

// --- Browser ---------------------------------------------------------------------------

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh browser context (own storage, own cookies) and page at the desktop size. Page
 * errors and unexpected dialogs are recorded so tests can assert there were none.
 */
export async function openPage(browser, base, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/London' });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', (error) => page.errors.push(error));
  page.on('dialog', (dialog) => {
    page.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  await page.goto(base);
  return page;
}

/** Signs in through the form and waits for the signed-in screen. */
export async function signIn(page, userId, password = PASSWORD) {
  await page.getByLabel('User ID').fill(userId);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.topbar').waitFor();
}

/** Waits for the live connection to be up (the status pill in the top bar). */
export async function online(page) {
  await page.locator('.connection[data-connection="online"]').waitFor();
}

/** The contact button for a conversation in the sidebar. */
export function contact(page, conversationId) {
  return page.locator(`.contact[data-conversation-id="${conversationId}"]`);
}

/** Polls `check` until it returns a truthy value (expect-style), or fails with `what`. */
export async function eventually(what, check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Saves desktop (1280×800) and phone (390×844) screenshots of the page as it is; with
 * `scrollTo` (a locator), that part of the page is scrolled into view at each size.
 */
export async function screenshots(page, name, { scrollTo } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(size);
    if (scrollTo) await scrollTo.scrollIntoViewIfNeeded();
    // Let layout settle (two frames) after the resize; purely cosmetic for the picture.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`) });
  }
  await page.setViewportSize(original);
}

/** Alice and her maths teacher, linked: the school most tests need. */
export const ALICE_AND_MS_RIVERA = {
  users: [
    { id: 'alice', role: 'student', name: 'Alice Martin' },
    { id: 'ms.rivera', role: 'teacher', name: 'Ms Rivera (Maths)' },
  ],
  links: [{ teacher: 'ms.rivera', student: 'alice' }],
};

/**
 * A fresh school for one test file. Registers `before` and `after` hooks: a new database
 * seeded with `fixture`, the server on it, then `prepare(school)` (to send messages
 * through the API, say), then the browser; afterwards all of it is stopped and removed.
 * The returned object's `db`, `server` and `browser` are set once `before` has run; a
 * test may replace `server` (a restart) and it is still the one stopped at the end.
 */
export function useSchool(fixture, prepare = async () => {}) {
  const school = { db: undefined, server: undefined, browser: undefined };
  before(async () => {
    school.db = freshDb();
    seed(school.db.db, fixture);
    school.server = await startServer(school.db.db);
    await prepare(school);
    school.browser = await launchBrowser();
  });
  after(async () => {
    await school.browser?.close();
    await school.server?.kill();
    school.db?.cleanup();
  });
  return school;
}
