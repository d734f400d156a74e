// Small DOM helpers. Every string a caller passes becomes a Text node (never HTML), so
// user content such as message bodies and names cannot inject markup or script. There is
// deliberately no helper that sets innerHTML.

/**
 * Creates an element: h('button', {class: 'primary', onclick: fn}, 'Send').
 * Attribute values are set with setAttribute; `on<event>` keys add listeners;
 * children may be nodes, strings (as text), arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'text') {
      el.textContent = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, text, nested arrays), skipping empty ones. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

// --- Bidi isolation -----------------------------------------------------------------------
// Names and message bodies are whatever someone typed, in any script and direction. Each
// is shown bidi-isolated, so that right-to-left text, or a right-to-left override (U+202E)
// in a message, cannot reorder the text around it ("Ms Smith: hi" turning into a spoof).
// Elements get `dir="auto"` (which isolates them, and picks their direction from their
// first strong character); inside a sentence, a name sits between FSI and PDI, the plain-
// text form of the same isolation.

/** A `<bdi>`: user text isolated inside a line of other text. */
export function bidi(text) {
  return h('bdi', {}, text);
}

// Bidi controls that could end or unbalance an isolate. Names may not contain them (the
// server refuses them), so removing them from one changes nothing but old data.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` between FSI (U+2068) and PDI (U+2069), for names in strings and attributes. */
export function isolate(text) {
  return `\u2068${String(text).replace(BIDI_CONTROLS, '')}\u2069`;
}

/**
 * People's names in a sentence: "Sam Lee", "Sam Lee and Mia Lee", "Sam Lee, Mia Lee and
 * Jo Lee", each name a `<bdi>`. `people` are {displayName}.
 */
export function namesList(people) {
  const names = people.map((p) => bidi(p.displayName));
  return names.flatMap((name, i) => (i === 0 ? [name] : [i === names.length - 1 ? ' and ' : ', ', name]));
}

/** The same as plain text, each name between FSI and PDI, for labels and subtitles. */
export function namesText(people) {
  const names = people.map((p) => isolate(p.displayName));
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Replaces all children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/**
 * Makes `parent`'s children match `items` in order, reusing the element of each key.
 * Reusing (rather than rebuilding) keeps keyboard focus and scroll position, and lets a
 * live region announce only what is new. `render(item, el|null)` returns the element,
 * updating `el` in place when given; it is called only when `signature(item)` changed.
 */
export function reconcile(parent, items, { key, signature, render }) {
  const existing = new Map();
  for (const child of parent.children) existing.set(child.dataset.key, child);
  let cursor = parent.firstElementChild;
  const keep = new Set();
  for (const item of items) {
    const k = key(item);
    const sig = signature(item);
    let el = existing.get(k);
    if (!el) {
      el = render(item, null);
      el.dataset.key = k;
      el.dataset.sig = sig;
    } else if (el.dataset.sig !== sig) {
      render(item, el);
      el.dataset.sig = sig;
    }
    keep.add(el);
    if (el !== cursor) parent.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
}

/** Toggles `hidden` (CSP forbids style attributes, and `hidden` is semantic anyway). */
export function show(el, visible) {
  el.hidden = !visible;
}

// Avatar colours: each keeps white initials at a contrast ratio of at least 4.5:1.
const AVATAR_COLOURS = ['av-0', 'av-1', 'av-2', 'av-3', 'av-4', 'av-5', 'av-6', 'av-7'];

/** Up to two initials: "Ms Rivera (Maths)" → "MR", "alice" → "A". */
export function initials(name) {
  const words = String(name || '?')
    .replace(/\(.*?\)/g, ' ')
    .split(/[\s._@-]+/)
    .filter(Boolean);
  const letters = words.slice(0, 2).map((word) => [...word][0].toUpperCase());
  return letters.join('') || '?';
}

/** A round avatar with initials, coloured stably from the userId. */
export function avatar(userId, name, size = '') {
  let hash = 0;
  for (const ch of String(userId)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const colour = AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
  return h('span', { class: `avatar ${colour} ${size}`.trim(), 'aria-hidden': 'true' }, initials(name));
}

// --- Time ------------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullDateFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const dayDateFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const longDateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** Server timestamps are RFC 3339 UTC with microseconds; Date keeps milliseconds. */
export function parseTime(timestamp) {
  return new Date(timestamp);
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" in the reader's local time. */
export function clockTime(timestamp) {
  return timeFormat.format(parseTime(timestamp));
}

/** For lists: the time today, the weekday within a week, else the date. */
export function shortTime(timestamp) {
  const date = parseTime(timestamp);
  const now = new Date();
  if (sameDay(date, now)) return timeFormat.format(date);
  if (now - date < 6 * 24 * 3600 * 1000) return weekdayFormat.format(date);
  return dateFormat.format(date);
}

/** Day separators in a conversation: "Today", "Yesterday", or the full date. */
export function dayLabel(timestamp) {
  const date = parseTime(timestamp);
  const now = new Date();
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(date, now)) return 'Today';
  if (sameDay(date, yesterday)) return 'Yesterday';
  return fullDateFormat.format(date);
}

/** The local calendar day, to group messages. */
export function dayKey(timestamp) {
  const date = parseTime(timestamp);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** Full local date and time, for tooltips and the audit log. */
export function fullTime(timestamp) {
  return fullFormat.format(parseTime(timestamp));
}

/**
 * A time to come, in the reader's local time: "08:00 today", "08:00 tomorrow", or
 * "08:00 on Mon 7 Dec".
 */
export function laterTime(timestamp) {
  const date = parseTime(timestamp);
  const now = new Date();
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  const time = timeFormat.format(date);
  if (sameDay(date, now)) return `${time} today`;
  if (sameDay(date, tomorrow)) return `${time} tomorrow`;
  return `${time} on ${dayDateFormat.format(date)}`;
}

/** "3 Dec 2025": a local date without the time. */
export function dateOnly(timestamp) {
  return longDateFormat.format(parseTime(timestamp));
}

const numberFormat = new Intl.NumberFormat('en');

/** "3,980": grouping makes long counts readable. */
export function formatCount(n) {
  return numberFormat.format(n);
}

/**
 * `fn`, called once `ms` after the last of a burst of calls (typing in a search field);
 * `.cancel()` drops a pending call (Enter runs the search at once instead).
 */
export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}
