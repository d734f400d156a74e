// "Report" on the other participant's message: why (a fixed list the school's queue sorts
// by) and, if they like, more in their own words. The reporter is told only that the report
// was received and that an adult will look at it: never what happens next, so reporting
// stays safe and simple, and nothing about the report reaches the other participant.

import { h, bidi, replace, show } from '../dom.js';
import * as api from '../api.js';

/** The reasons a person may choose, in the server's words, with what the form says. */
export const REASONS = [
  ['bullying', 'Bullying or unkind'],
  ['inappropriate', 'Inappropriate or not for school'],
  ['safety', 'Someone may not be safe'],
  ['spam', 'Spam'],
  ['other', 'Something else'],
];

/** The longest details the server takes, in characters. */
export const MAX_REPORT_DETAILS_CHARS = 1000;

/** How much of the reported message the dialog quotes, so they know which one it is. */
const QUOTE_CHARS = 140;

let dialogCount = 0;

export class ReportDialog {
  /**
   * @param {object} options
   * @param {(message: object, reason: string, details: string) => Promise<unknown>} options.onReport
   */
  constructor({ onReport }) {
    this.onReport = onReport;
    this.message = null;
    dialogCount += 1;
    this.id = `report-${dialogCount}`;
    this.element = h('dialog', { class: 'modal report-dialog', 'aria-labelledby': `${this.id}-title` });
  }

  /** Opens the form for `message`; `returnTo` gets focus back when it closes. */
  open(message, returnTo) {
    this.message = message;
    this.returnTo = returnTo;
    // Escape closes it too; either way, back to the message.
    this.element.onclose = () => this.refocus();
    this.renderForm();
    this.element.showModal();
    this.element.querySelector('input[type="radio"]')?.focus();
  }

  close() {
    this.element.close();
    this.refocus();
  }

  refocus() {
    if (this.returnTo?.isConnected && document.activeElement !== this.returnTo) this.returnTo.focus();
  }

  renderForm() {
    const id = this.id;
    const body = [...this.message.messageBody];
    const quote = body.length > QUOTE_CHARS ? `${body.slice(0, QUOTE_CHARS).join('')}…` : body.join('');
    this.details = h('textarea', {
      id: `${id}-details`,
      class: 'input report-details',
      rows: '3',
      maxlength: String(MAX_REPORT_DETAILS_CHARS),
    });
    this.error = h('p', { id: `${id}-error`, class: 'form-error', role: 'alert', hidden: true });
    this.send = h('button', { type: 'submit', class: 'button primary' }, 'Send report');
    replace(
      this.element,
      h(
        'form',
        { noValidate: true, onsubmit: (event) => this.submit(event) },
        h('h2', { id: `${id}-title` }, 'Report this message'),
        h('blockquote', { class: 'report-quote' }, bidi(quote)),
        h(
          'fieldset',
          { class: 'report-reasons', 'aria-describedby': `${id}-error` },
          h('legend', {}, 'What is wrong with it?'),
          REASONS.map(([value, label]) => h(
            'label',
            { class: 'report-reason' },
            h('input', { type: 'radio', name: `${id}-reason`, value, onchange: () => show(this.error, false) }),
            label,
          )),
        ),
        h('label', { for: this.details.id, class: 'field-label' }, 'Anything else you want to tell us (optional)'),
        this.details,
        this.error,
        h(
          'div',
          { class: 'modal-actions' },
          h('button', { type: 'button', class: 'button', onclick: () => this.close() }, 'Cancel'),
          this.send,
        ),
      ),
    );
  }

  async submit(event) {
    event.preventDefault();
    const reason = this.element.querySelector('input[type="radio"]:checked')?.value;
    if (!reason) {
      this.fail('Choose what is wrong with the message first.');
      return;
    }
    const details = this.details.value.trim();
    if ([...details].length > MAX_REPORT_DETAILS_CHARS) {
      this.fail(`That is too long: at most ${MAX_REPORT_DETAILS_CHARS} characters.`);
      return;
    }
    this.send.disabled = true;
    try {
      await this.onReport(this.message, reason, details);
    } catch (error) {
      this.send.disabled = false;
      if (error.status !== 401) this.fail(`Not sent. ${api.describeError(error)}`);
      return;
    }
    this.received();
  }

  /** All the reporter learns: it arrived, and an adult will look at it. */
  received() {
    const close = h('button', { type: 'button', class: 'button primary', onclick: () => this.close() }, 'Close');
    replace(
      this.element,
      h('h2', { id: `${this.id}-title` }, 'Report received'),
      h('p', { class: 'report-received', role: 'status' }, 'Report received — an adult at school will look at it.'),
      h('div', { class: 'modal-actions' }, close),
    );
    close.focus();
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
  }
}
