// The chat box: Enter sends, Shift+Enter starts a new line, a live character counter
// that turns red over the server's limit (4,000 characters after trimming, counted as
// Unicode code points like the server does) and disables Send, and throttled typing hints.
// For a teacher the school allows, writing to a student or guardian, an "Urgent" checkbox:
// off by default and off again after each send, so no message is urgent by accident.
// While a conversation is paused, a student's or guardian's box is disabled and hidden.

import { h, bidi, formatCount, isolate, show } from '../dom.js';

export const MAX_MESSAGE_CHARS = 4000;
const TYPING_EVERY_MS = 3000; // the server allows about one typing notice a second

let composerCount = 0;
const GROWS_BY_ITSELF = globalThis.CSS?.supports?.('field-sizing', 'content') ?? false;

/** Characters as the server counts them: Unicode scalar values of the trimmed text. */
export function messageLength(text) {
  return [...text.trim()].length;
}

export class Composer {
  /**
   * @param {object} options
   * @param {string} options.peerName
   * @param {(body: string, options: {urgent: boolean}) => void} options.onSend
   * @param {() => void} options.onTyping
   */
  constructor({ peerName, onSend, onTyping }) {
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.lastTypingAt = 0;
    composerCount += 1;
    const id = `composer-${composerCount}`;
    this.input = h('textarea', {
      id,
      class: 'composer-input',
      rows: '1',
      placeholder: `Write to ${isolate(peerName)}…`,
      'aria-describedby': `${id}-hint ${id}-count`,
      autocomplete: 'off',
      onkeydown: (event) => this.keydown(event),
      oninput: () => this.changed(),
    });
    this.counter = h('span', { id: `${id}-count`, class: 'char-counter' });
    // Announced once when the text crosses the limit, not on every keystroke.
    this.limitNote = h('span', { class: 'limit-note', 'aria-live': 'polite' });
    this.sendButton = h(
      'button',
      { type: 'submit', class: 'button primary send-button', disabled: true },
      'Send',
    );
    // Shown only by setUrgentAvailable(true). Its hint is visible while it is on, and is
    // its description for screen readers either way.
    this.urgent = h('input', {
      id: `${id}-urgent`,
      type: 'checkbox',
      class: 'urgent-box',
      'aria-describedby': `${id}-urgent-hint`,
      onchange: () => this.urgentChanged(),
    });
    this.urgentHint = h('span', { id: `${id}-urgent-hint`, class: 'urgent-hint', hidden: true },
      'Notifies them even in their quiet hours. Logged for the school.');
    this.urgentField = h('span', { class: 'urgent-field', hidden: true },
      h('label', { class: 'urgent-toggle', for: this.urgent.id }, this.urgent, 'Urgent'),
      this.urgentHint);
    this.element = h(
      'form',
      { class: 'composer', onsubmit: (event) => this.submit(event) },
      h('label', { for: id, class: 'sr-only' }, 'Message to ', bidi(peerName)),
      h('div', { class: 'composer-row' }, this.input, this.sendButton),
      h(
        'div',
        { class: 'composer-foot' },
        this.urgentField,
        h('span', { id: `${id}-hint`, class: 'hint' }, 'Enter to send · Shift+Enter for a new line'),
        this.limitNote,
        this.counter,
      ),
    );
    this.changed();
  }

  /** Offers the "Urgent" checkbox, or takes it away (and turns it off). */
  setUrgentAvailable(available) {
    if (!available) this.urgent.checked = false;
    show(this.urgentField, available);
    this.urgentChanged();
  }

  urgentChanged() {
    const on = this.urgent.checked && !this.urgentField.hidden;
    show(this.urgentHint, on);
    this.element.classList.toggle('urgent', on);
  }

  focus() {
    this.input.focus({ preventScroll: true });
  }

  setEnabled(enabled, reason = '') {
    this.input.disabled = !enabled;
    if (!enabled) this.input.placeholder = reason;
    this.changed();
  }

  /**
   * While the conversation is paused the box is disabled and hidden (the conversation
   * shows why in its place); what was typed stays for when it resumes.
   */
  setPaused(paused) {
    this.input.disabled = paused;
    show(this.element, !paused);
    this.changed();
  }

  keydown(event) {
    // isComposing: Enter also confirms an IME candidate (Chinese, Japanese…), not a send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    this.submit(event);
  }

  changed() {
    // Browsers without CSS field-sizing grow the box through its rows attribute instead.
    if (!GROWS_BY_ITSELF) {
      const lines = this.input.value.split('\n').length;
      this.input.rows = Math.min(6, Math.max(1, lines));
    }
    const length = messageLength(this.input.value);
    const over = length > MAX_MESSAGE_CHARS;
    this.counter.textContent = `${formatCount(length)} / ${formatCount(MAX_MESSAGE_CHARS)}`;
    this.counter.classList.toggle('over', over);
    this.counter.classList.toggle('near', !over && length > MAX_MESSAGE_CHARS * 0.9);
    const excess = length - MAX_MESSAGE_CHARS;
    const note = over ? `Too long by ${formatCount(excess)} character${excess === 1 ? '' : 's'}` : '';
    if (this.limitNote.textContent !== note) this.limitNote.textContent = note;
    this.sendButton.disabled = this.input.disabled || length === 0 || over;
    this.input.setAttribute('aria-invalid', over ? 'true' : 'false');
    const now = Date.now();
    if (length > 0 && !this.input.disabled && now - this.lastTypingAt > TYPING_EVERY_MS) {
      this.lastTypingAt = now;
      this.onTyping();
    }
  }

  submit(event) {
    event.preventDefault();
    const body = this.input.value.trim();
    const length = messageLength(body);
    if (this.input.disabled || length === 0 || length > MAX_MESSAGE_CHARS) return;
    this.onSend(body, { urgent: this.urgent.checked && !this.urgentField.hidden });
    this.urgent.checked = false;
    this.urgentChanged();
    this.input.value = '';
    this.lastTypingAt = 0;
    this.changed();
    this.focus();
  }
}
