// A teacher's classes (GET /classes, from the roster) in the "New message" list: a section
// per class with its linked students, and "Message the class", a small composer that sends
// one announcement (POST /classes/{classId}/announce). Each student gets a copy in their own
// conversation with the teacher, so replies stay private.

import * as api from '../api.js';
import { h, bidi, replace, show, formatCount } from '../dom.js';
import { MAX_MESSAGE_CHARS, messageLength } from './composer.js';

let sections = 0;

/**
 * The linked students grouped by the classes the caller teaches, each class's by name; a
 * student in two classes is in both. Linked students in no class come last, as "Other
 * students" (classId null). No classes (a school without a roster): no groups.
 * @param {object[]} classes   from GET /classes
 * @param {object[]} contacts  {conversationId, peerId, peerName}
 */
export function groupByClass(classes, contacts) {
  const taught = (classes || []).filter((c) => c.role === 'teacher');
  if (taught.length === 0) return [];
  const byId = new Map(contacts.map((c) => [c.peerId, c]));
  const byName = (a, b) => a.peerName.localeCompare(b.peerName) || a.peerId.localeCompare(b.peerId);
  const placed = new Set();
  const groups = taught
    .slice()
    .sort((a, b) => a.title.localeCompare(b.title) || a.classId.localeCompare(b.classId))
    .map((c) => {
      // Students the teacher is not linked to (an ended enrolment, say) get no copy and
      // cannot be written to, so they are not listed.
      const students = (c.students || []).map((s) => byId.get(s.userId)).filter(Boolean).sort(byName);
      for (const s of students) placed.add(s.peerId);
      return { classId: c.classId, title: c.title, students };
    });
  const others = contacts.filter((c) => !placed.has(c.peerId)).sort(byName);
  if (others.length) groups.push({ classId: null, title: 'Other students', students: others });
  return groups;
}

/** One class in the list: its heading, "Message the class" and its students. */
export class ClassSection {
  /**
   * @param {{classId: string|null, title: string, students: object[]}} group
   * @param {object} options
   * @param {(student: object) => HTMLElement} options.renderStudent
   * @param {(result: object) => void} options.onSent  after an announcement was stored
   */
  constructor(group, { renderStudent, onSent }) {
    sections += 1;
    const id = `class-${sections}`;
    this.group = group;
    this.renderStudent = renderStudent;
    this.list = h('ul', { class: 'picker-list', 'aria-labelledby': `${id}-title` });
    this.composer = group.classId
      ? new ClassComposer({ id: `${id}-composer`, group, onSent, onClose: () => this.closeComposer() })
      : null;
    this.toggle = group.classId
      ? h('button', {
        type: 'button',
        class: 'button small',
        'aria-label': `Message the class ${group.title}`,
        'aria-expanded': 'false',
        'aria-controls': `${id}-composer`,
        onclick: () => (this.composer.isOpen ? this.closeComposer() : this.openComposer()),
      }, 'Message the class')
      : null;
    const count = group.students.length;
    this.element = h(
      'section',
      { class: 'class-group', 'aria-labelledby': `${id}-title`, dataset: { classId: group.classId || '' } },
      h(
        'div',
        { class: 'class-head' },
        h('div', { class: 'class-title' },
          h('h3', { id: `${id}-title`, dir: 'auto' }, group.title),
          h('p', { class: 'class-count' }, `${formatCount(count)} student${count === 1 ? '' : 's'}`)),
        this.toggle,
      ),
      this.composer?.element,
      this.list,
    );
  }

  openComposer() {
    this.composer.open();
    this.toggle.setAttribute('aria-expanded', 'true');
  }

  closeComposer() {
    this.composer.close();
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.focus();
  }

  /**
   * Shows the students that match `query` (all when the class's title does); the section
   * hides when none does and its title does not match either.
   */
  filter(query) {
    const titleMatches = Boolean(query) && this.group.classId !== null && this.group.title.toLowerCase().includes(query);
    const shown = !query || titleMatches
      ? this.group.students
      : this.group.students.filter((s) => s.peerName.toLowerCase().includes(query) || s.peerId.toLowerCase().includes(query));
    replace(this.list, shown.map((s) => h('li', {}, this.renderStudent(s))));
    // An open composer stays, whatever the filter: it may hold a half-written message.
    show(this.element, shown.length > 0 || titleMatches || Boolean(this.composer?.isOpen));
  }
}

/**
 * The announcement box: a textarea and Send. A retry of the same text reuses its
 * clientMessageId, so an announcement whose answer was lost (a network error) is never
 * stored twice; new or edited text gets a fresh one.
 */
class ClassComposer {
  constructor({ id, group, onSent, onClose }) {
    this.group = group;
    this.onSent = onSent;
    this.onClose = onClose;
    this.attempt = null; // {clientMessageId, body} of a send that may not have arrived
    this.sending = false;
    this.input = h('textarea', {
      id: `${id}-text`,
      class: 'input class-composer-input',
      rows: '3',
      'aria-describedby': `${id}-hint ${id}-count`,
      oninput: () => {
        replace(this.status); // "Sent to…" belonged to the previous message
        this.changed();
      },
      onkeydown: (event) => this.keydown(event),
    });
    this.counter = h('span', { id: `${id}-count`, class: 'char-counter' });
    this.send = h('button', { type: 'submit', class: 'button primary small' }, 'Send');
    this.status = h('p', { class: 'form-status class-composer-status', role: 'status' });
    this.error = h('p', { class: 'error-text editor-error', role: 'alert' });
    this.element = h(
      'form',
      { id, class: 'class-composer', hidden: true, novalidate: true, onsubmit: (event) => this.submit(event) },
      h('label', { for: `${id}-text`, class: 'field-label' }, 'Message to everyone in ', bidi(group.title)),
      this.input,
      h('p', { id: `${id}-hint`, class: 'field-hint' },
        'Each student gets it in their own conversation with you, marked as an announcement; replies stay private. Ctrl+Enter sends.'),
      h('div', { class: 'class-composer-actions' },
        this.send,
        h('button', { type: 'button', class: 'button small', onclick: () => this.onClose() }, 'Cancel'),
        this.counter),
      this.status,
      this.error,
    );
    this.changed();
  }

  get isOpen() {
    return !this.element.hidden;
  }

  open() {
    show(this.element, true);
    replace(this.status);
    this.input.focus();
  }

  close() {
    show(this.element, false);
  }

  keydown(event) {
    if (event.key === 'Escape') {
      // Closes this box, not the whole dialog around it.
      event.preventDefault();
      event.stopPropagation();
      this.onClose();
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.isComposing) {
      this.submit(event);
    }
  }

  changed() {
    const length = messageLength(this.input.value);
    const over = length > MAX_MESSAGE_CHARS;
    this.counter.textContent = `${formatCount(length)} / ${formatCount(MAX_MESSAGE_CHARS)}`;
    this.counter.classList.toggle('over', over);
    this.input.setAttribute('aria-invalid', over ? 'true' : 'false');
    this.send.disabled = this.sending || length === 0 || over;
  }

  async submit(event) {
    event.preventDefault();
    const body = this.input.value.trim();
    const length = messageLength(body);
    if (this.sending || length === 0 || length > MAX_MESSAGE_CHARS) return;
    if (this.attempt?.body !== body) this.attempt = { clientMessageId: api.newClientMessageId(), body };
    const { clientMessageId } = this.attempt;
    this.sending = true;
    replace(this.error);
    replace(this.status, 'Sending…');
    this.changed();
    try {
      const result = await api.announce(this.group.classId, body, clientMessageId);
      this.attempt = null;
      this.input.value = '';
      const n = result.copies.length;
      replace(this.status, n === 0
        ? 'Nobody received it: you are not linked with any student of this class.'
        : `Sent to ${formatCount(n)} student${n === 1 ? '' : 's'}.`);
      this.onSent(result);
    } catch (error) {
      replace(this.status);
      if (error.status === 401) return; // back at the sign-in page already
      // Refused outright (not this class's teacher, an invalid text…): nothing was stored,
      // so the next try is a new announcement. Otherwise it may have been: keep the id.
      const refused = error.status >= 400 && error.status < 500 && error.status !== 429 && error.status !== 408;
      if (refused) this.attempt = null;
      replace(this.error, describeAnnounceError(error));
    } finally {
      this.sending = false;
      this.changed();
    }
  }
}

function describeAnnounceError(error) {
  switch (error.code) {
    case 'network':
      return 'Not sent: cannot reach the server. Send again to retry; nobody will get it twice.';
    case 'rate_limited':
      return 'You are sending announcements too quickly. Wait a few seconds, then send again.';
    case 'forbidden':
      return 'You do not teach this class any more, so you cannot message it.';
    case 'not_found':
      return 'This class no longer exists. Close this window and open it again.';
    default:
      return `Not sent. ${api.describeError(error)}`;
  }
}
