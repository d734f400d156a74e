// The chat box: Enter sends, Shift+Enter starts a new line, a live character counter
// that turns red over the server's limit (4,000 characters after trimming, counted as
// Unicode code points like the server does) and disables Send, and throttled typing hints.

import { h, bidi, formatCount, isolate } from '../dom.js';

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
   * @param {(body: string) => void} options.onSend
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
    this.element = h(
      'form',
      { class: 'composer', onsubmit: (event) => this.submit(event) },
      h('label', { for: id, class: 'sr-only' }, 'Message to ', bidi(peerName)),
      h('div', { class: 'composer-row' }, this.input, this.sendButton),
      h(
        'div',
        { class: 'composer-foot' },
        h('span', { id: `${id}-hint`, class: 'hint' }, 'Enter to send · Shift+Enter for a new line'),
        this.limitNote,
        this.counter,
      ),
    );
    this.changed();
  }

  focus() {
    this.input.focus({ preventScroll: true });
  }

  setEnabled(enabled, reason = '') {
    this.input.disabled = !enabled;
    if (!enabled) this.input.placeholder = reason;
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
    this.onSend(body);
    this.input.value = '';
    this.lastTypingAt = 0;
    this.changed();
    this.focus();
  }
}
