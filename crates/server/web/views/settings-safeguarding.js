// Admin Settings: safeguarding. How long after sending people may edit a message (0 turns
// editing off; every earlier text is kept for the school either way), and the words and
// patterns that send a message to the moderation queue, one per line. Saved together with
// one button; the server checks every word and pattern and its reason for refusing one is
// shown as it gives it.

import * as api from '../api.js';
import { h, replace, show } from '../dom.js';

/** The longest edit window a school may choose: a day. */
const MAX_EDIT_WINDOW_MINUTES = 1440;

/** One entry per line, trimmed, without empty lines. */
function lines(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean);
}

export class SafeguardingSettings {
  /** @param {{onSaved: (settings: object) => void}} options  all the settings, as saved */
  constructor({ onSaved }) {
    this.onSaved = onSaved;
    this.window = h('input', {
      id: 'setting-edit-window',
      type: 'number',
      class: 'input compact edit-window',
      min: '0',
      max: String(MAX_EDIT_WINDOW_MINUTES),
      step: '1',
      inputmode: 'numeric',
      disabled: true,
      'aria-describedby': 'setting-edit-window-hint',
    });
    this.words = h('textarea', {
      id: 'setting-flag-words',
      class: 'input flag-list',
      rows: '6',
      spellcheck: 'false',
      disabled: true,
      'aria-describedby': 'setting-flag-words-hint',
    });
    this.patterns = h('textarea', {
      id: 'setting-flag-patterns',
      class: 'input flag-list',
      rows: '4',
      spellcheck: 'false',
      autocapitalize: 'none',
      disabled: true,
      'aria-describedby': 'setting-flag-patterns-hint',
    });
    this.save = h('button', { type: 'submit', class: 'button primary', disabled: true }, 'Save safeguarding settings');
    this.status = h('p', { class: 'form-status', role: 'status' });
    this.error = h('p', { id: 'safeguarding-error', class: 'form-error', role: 'alert', hidden: true });
    this.element = h(
      'form',
      { class: 'safeguarding-form', noValidate: true, onsubmit: (event) => this.submit(event) },
      h('label', { for: this.window.id, class: 'field-label' }, 'Minutes to edit a message after sending'),
      this.window,
      h('p', { id: 'setting-edit-window-hint', class: 'field-hint' },
        `0 to ${MAX_EDIT_WINDOW_MINUTES} (a day); 0 turns editing off. Removing a message is always possible. `,
        'Every earlier text is kept for the school.'),
      h('label', { for: this.words.id, class: 'field-label' }, 'Words that flag a message'),
      this.words,
      h('p', { id: 'setting-flag-words-hint', class: 'field-hint' },
        'One per line, up to 500. A message containing one goes to the moderation queue; it is still delivered.'),
      h('label', { for: this.patterns.id, class: 'field-label' }, 'Patterns that flag a message'),
      this.patterns,
      h('p', { id: 'setting-flag-patterns-hint', class: 'field-hint' },
        'Regular expressions, one per line, up to 50 (for example a phone number: ', h('code', {}, '\\b07\\d{9}\\b'), ').'),
      this.error,
      h('div', { class: 'form-actions' }, this.save, this.status),
    );
  }

  setDisabled(disabled) {
    for (const control of [this.window, this.words, this.patterns, this.save]) control.disabled = disabled;
  }

  /** Shows the settings as saved. */
  apply(settings) {
    this.window.value = String(settings.editWindowMinutes ?? 15);
    this.words.value = (settings.flagWords || []).join('\n');
    this.patterns.value = (settings.flagPatterns || []).join('\n');
    this.setDisabled(false);
  }

  async submit(event) {
    event.preventDefault();
    show(this.error, false);
    replace(this.status);
    for (const control of [this.window, this.words, this.patterns]) control.removeAttribute('aria-invalid');
    const minutes = Number(this.window.value);
    if (this.window.value.trim() === '' || !Number.isInteger(minutes) || minutes < 0 || minutes > MAX_EDIT_WINDOW_MINUTES) {
      this.window.setAttribute('aria-invalid', 'true');
      this.fail(`The edit window is a whole number of minutes from 0 to ${MAX_EDIT_WINDOW_MINUTES}.`);
      this.window.focus();
      return;
    }
    this.save.disabled = true;
    replace(this.status, 'Saving…');
    try {
      const settings = await api.updateSettings({
        editWindowMinutes: minutes,
        flagWords: lines(this.words.value),
        flagPatterns: lines(this.patterns.value),
      });
      this.onSaved(settings);
      this.apply(settings);
      replace(this.status, 'Saved. The new rules apply to messages from now on.');
    } catch (error) {
      replace(this.status);
      if (error.status === 401) return;
      this.fail(`Not saved. ${api.describeError(error)}`);
      // The server names the field it refused ("flagPatterns[0] is not a valid pattern").
      const field = [['flagPatterns', this.patterns], ['flagWords', this.words], ['editWindowMinutes', this.window]]
        .find(([name]) => error.message?.includes(name))?.[1];
      field?.setAttribute('aria-invalid', 'true');
    } finally {
      this.save.disabled = false;
    }
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
    for (const control of [this.window, this.words, this.patterns]) control.setAttribute('aria-errormessage', this.error.id);
  }
}
