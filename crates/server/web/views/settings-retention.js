// Admin Settings: how long conversations are kept. Forever (the default), or a number of
// days after a conversation's last message, after which the daily retention pass deletes
// it with every message — except what a legal hold keeps (holds.js). "Preview retention"
// asks the server what a pass would delete now under the saved setting (a dry run that
// deletes nothing, recorded in the audit log) and shows the counts and the first ones.

import * as api from '../api.js';
import { h, formatCount, fullTime, replace, show } from '../dom.js';
import { conversationName } from './moderation-labels.js';

/** The shortest and longest periods the server takes, in days. */
const MIN_DAYS = 30;
const MAX_DAYS = 36_500;
/** What the field offers when a school first chooses a period: three years. */
const SUGGESTED_DAYS = 1095;

export class RetentionSettings {
  /**
   * @param {object} options
   * @param {(settings: object) => void} options.onSaved  all the settings, as saved
   * @param {(userId: string) => string} options.name  a person's display name
   */
  constructor({ onSaved, name }) {
    this.onSaved = onSaved;
    this.name = name;
    const choice = (id, value, label) => {
      const input = h('input', { id, type: 'radio', name: 'retention-mode', value, disabled: true, onchange: () => this.modeChanged() });
      return { input, node: h('div', { class: 'radio-line' }, input, h('label', { for: id }, label)) };
    };
    this.forever = choice('retention-forever', 'forever', 'Forever');
    this.limited = choice('retention-limited', 'days', 'For a number of days after the last message');
    this.days = h('input', {
      id: 'retention-days',
      type: 'number',
      class: 'input compact retention-days',
      min: String(MIN_DAYS),
      max: String(MAX_DAYS),
      step: '1',
      inputmode: 'numeric',
      disabled: true,
      'aria-describedby': 'retention-days-hint',
    });
    this.save = h('button', { type: 'submit', class: 'button primary', disabled: true }, 'Save retention');
    this.status = h('p', { class: 'form-status', role: 'status' });
    this.error = h('p', { id: 'retention-error', class: 'form-error', role: 'alert', hidden: true });
    this.previewButton = h('button', { type: 'button', class: 'button', disabled: true, onclick: () => this.preview() }, 'Preview retention');
    this.result = h('div', { class: 'retention-preview', role: 'status', 'aria-live': 'polite' });
    this.element = h(
      'form',
      { class: 'retention-form', noValidate: true, onsubmit: (event) => this.submit(event) },
      h('fieldset', { class: 'retention-choice' },
        h('legend', { class: 'field-label' }, 'Keep conversations'),
        this.forever.node,
        this.limited.node,
        h('div', { class: 'retention-days-line' },
          h('label', { for: this.days.id, class: 'field-label' }, 'Days after the last message'),
          this.days)),
      h('p', { id: 'retention-days-hint', class: 'field-hint' },
        `${formatCount(MIN_DAYS)} to ${formatCount(MAX_DAYS)} days (100 years). Once a day, a conversation whose last message is older is deleted with every message, `,
        'unless a legal hold keeps it (see Legal holds). Preview what would go before you save, and again after.'),
      this.error,
      h('div', { class: 'form-actions' }, this.save, this.previewButton, this.status),
      this.result,
    );
  }

  setDisabled(disabled) {
    for (const control of [this.forever.input, this.limited.input, this.save, this.previewButton]) control.disabled = disabled;
    this.days.disabled = disabled || !this.limited.input.checked;
  }

  /** Shows the setting as saved. */
  apply(settings) {
    const days = settings.retentionDays ?? null;
    this.forever.input.checked = days === null;
    this.limited.input.checked = days !== null;
    this.days.value = String(days ?? SUGGESTED_DAYS);
    this.setDisabled(false);
  }

  modeChanged() {
    this.days.disabled = !this.limited.input.checked;
    if (this.limited.input.checked) this.days.focus();
  }

  async submit(event) {
    event.preventDefault();
    show(this.error, false);
    replace(this.status);
    this.days.removeAttribute('aria-invalid');
    let retentionDays = null;
    if (this.limited.input.checked) {
      retentionDays = Number(this.days.value);
      if (this.days.value.trim() === '' || !Number.isInteger(retentionDays) || retentionDays < MIN_DAYS || retentionDays > MAX_DAYS) {
        this.days.setAttribute('aria-invalid', 'true');
        this.fail(`Keep conversations for a whole number of days from ${formatCount(MIN_DAYS)} to ${formatCount(MAX_DAYS)}.`);
        this.days.focus();
        return;
      }
    }
    this.save.disabled = true;
    replace(this.status, 'Saving…');
    try {
      const settings = await api.updateSettings({ retentionDays });
      this.onSaved(settings);
      this.apply(settings);
      replace(this.status, settings.retentionDays === null
        ? 'Saved. Conversations are kept forever.'
        : `Saved. Conversations are kept for ${formatCount(settings.retentionDays)} days after their last message.`);
    } catch (error) {
      replace(this.status);
      if (error.status === 401) return;
      this.fail(`Not saved. ${api.describeError(error)}`);
      if (this.limited.input.checked) this.days.setAttribute('aria-invalid', 'true');
    } finally {
      this.save.disabled = false;
    }
  }

  async preview() {
    this.previewButton.disabled = true;
    replace(this.result, h('p', { class: 'muted' }, 'Counting…'));
    try {
      this.showPreview(await api.previewRetention());
    } catch (error) {
      if (error.status === 401) return;
      replace(this.result, h('p', { class: 'error-text' }, `Cannot preview. ${api.describeError(error)}`));
    } finally {
      this.previewButton.disabled = false;
    }
  }

  showPreview(report) {
    if (report.retentionDays === null) {
      replace(this.result, h('p', {}, 'Conversations are kept forever: retention deletes nothing.'));
      return;
    }
    const count = (label, value, key) => h('div', { class: `retention-count${value ? ' nonzero' : ''}`, dataset: { count: key } },
      h('dt', {}, label), h('dd', {}, formatCount(value)));
    replace(
      this.result,
      h('p', { class: 'retention-summary' },
        `With ${formatCount(report.retentionDays)} days, a pass now would delete the conversations whose last message is before `,
        h('time', { datetime: report.cutoff }, fullTime(report.cutoff)), '. Nothing has been deleted.'),
      h('dl', { class: 'retention-counts' },
        count('Conversations to delete', report.conversations, 'conversations'),
        count('Their messages', report.messages, 'messages'),
        count('Kept by a legal hold', report.held, 'held')),
      report.sample.length > 0 && [
        h('p', { class: 'field-label' }, report.sample.length < report.conversations ? `The first ${formatCount(report.sample.length)}` : 'Conversations to delete'),
        h('ul', { class: 'retention-sample' }, report.sample.map((item) => h('li', { dataset: { conversationId: item.conversationId } },
          h('a', { href: `#/admin/view/${encodeURIComponent(item.conversationId)}` }, conversationName(item.conversationId, this.name)),
          h('span', { class: 'muted' }, ' — last message ', h('time', { datetime: item.lastMessageAt }, fullTime(item.lastMessageAt)))))),
      ],
    );
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
    this.days.setAttribute('aria-errormessage', this.error.id);
  }
}
