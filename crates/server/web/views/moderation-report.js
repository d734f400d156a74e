// Admin: one report (#/admin/moderation/<reportId>). What was reported, why and by whom;
// the messages before and after it as stored (the reported one highlighted, removed ones
// with their text and marked removed, edited ones marked, with "Show versions"); whether
// the conversation is paused, with Pause or Resume; and the decision: "Mark reviewed",
// then "Actioned" or "Dismiss", each with an optional note. Opening the report is audited
// as a read of the conversation, each version list as `message.history`, each decision as
// `report.review`, `report.action` or `report.dismiss`, all by the server.

import * as api from '../api.js';
import { h, bidi, replace, show, fullTime } from '../dom.js';
import { REASON_LABELS, conversationName, person, stateChip } from './moderation-labels.js';
import { PauseControl, pauseNotice } from './pause.js';

/** Messages either side of the reported one. */
const CONTEXT = 5;
const MAX_NOTE_CHARS = 1000;

const STEP_TEXT = { reviewed: 'Marked reviewed', actioned: 'Actioned', dismissed: 'Dismissed' };

export class ReportPage {
  /**
   * @param {string} reportId
   * @param {object} context  {name(userId), toast, navigate, back (the queue's hash),
   *   onReportsChanged()}
   */
  constructor(reportId, context) {
    this.reportId = reportId;
    this.context = context;
    this.name = context.name;
    this.title = h('h1', { class: 'panel-title', tabindex: '-1' }, 'Report');
    this.status = h('p', { class: 'muted report-status', role: 'status' }, 'Loading the report…');
    this.facts = h('section', { class: 'card', 'aria-labelledby': 'report-facts-title' });
    this.messages = h('section', { class: 'card', 'aria-labelledby': 'report-context-title' });
    this.pauseCard = h('section', { class: 'card', 'aria-labelledby': 'report-pause-title' });
    this.decision = h('section', { class: 'card', 'aria-labelledby': 'report-decision-title' });
    for (const card of [this.facts, this.messages, this.pauseCard, this.decision]) show(card, false);
    this.element = h(
      'div',
      { class: 'admin-panel report-page' },
      h('a', { class: 'back-link', href: context.back }, '← Back to the reports'),
      this.title,
      this.status,
      this.facts,
      this.messages,
      this.pauseCard,
      this.decision,
    );
  }

  destroy() {
    this.destroyed = true;
  }

  async start() {
    let view;
    try {
      view = await api.getReport(this.reportId, { context: CONTEXT });
    } catch (error) {
      if (error.status === 401 || this.destroyed) return;
      replace(this.status, h('span', { class: 'error-text' }, `Cannot open the report. ${api.describeError(error)}`));
      return;
    }
    if (this.destroyed) return;
    this.report = view.report;
    this.pause = view.pause ?? null;
    replace(this.status);
    const [memberId] = this.report.conversationId.split('+');
    this.pauseControl = new PauseControl({
      conversationId: this.report.conversationId,
      admin: true,
      memberName: this.name(memberId),
      onChanged: (pause) => {
        this.pause = pause;
        this.renderPause();
      },
      toast: this.context.toast,
    });
    this.renderFacts();
    this.renderContext(view.context, view.versions || []);
    this.renderPause();
    this.renderDecision();
    for (const card of [this.facts, this.messages, this.pauseCard, this.decision]) show(card, true);
    this.title.focus({ preventScroll: true });
  }

  renderFacts() {
    const r = this.report;
    const fact = (term, ...value) => [h('dt', {}, term), h('dd', {}, value)];
    replace(
      this.facts,
      h('h2', { id: 'report-facts-title' }, 'What was reported'),
      h(
        'dl',
        { class: 'report-facts' },
        fact('Why', h('span', { class: `reason-chip reason-${r.reason}` }, REASON_LABELS[r.reason] || r.reason)),
        r.details && fact(r.source === 'flags' ? 'What matched' : 'Their words', h('q', { dir: 'auto' }, r.details)),
        fact('Reported by', r.source === 'flags' ? 'The school’s word list' : person(r.reporter, this.name)),
        fact('Author', person(r.author, this.name)),
        fact('Conversation', conversationName(r.conversationId, this.name), ' · ',
          h('a', { href: `#/admin/view/${encodeURIComponent(r.conversationId)}` }, 'Read the whole conversation')),
        fact('Reported', h('time', { datetime: r.createdAt }, fullTime(r.createdAt))),
        fact('State', stateChip(r.state)),
      ),
      r.steps?.length > 0 && h('h3', { class: 'card-subtitle' }, 'What the school did'),
      r.steps?.length > 0 && h('ol', { class: 'report-steps' }, r.steps.map((step) => h(
        'li',
        { dataset: { state: step.state } },
        STEP_TEXT[step.state] || step.state, ' by ', bidi(this.name(step.by)), ' on ',
        h('time', { datetime: step.at }, fullTime(step.at)),
        step.note && [': ', h('q', { dir: 'auto' }, step.note)],
      ))),
    );
  }

  renderContext(messages, versions) {
    const r = this.report;
    const reported = messages.some((m) => m.timestamp === r.timestamp);
    replace(
      this.messages,
      h('h2', { id: 'report-context-title' }, 'The messages around it'),
      h('p', { class: 'card-intro muted' }, 'As stored: removed messages keep their text here. Your read is recorded in the audit log.'),
      !reported && h('p', { class: 'notice' }, 'The reported message is no longer stored.'),
      messages.length > 0
        ? h('ol', { class: 'report-context' }, messages.map((m) => this.contextMessage(m, m.timestamp === r.timestamp ? versions : null)))
        : h('p', { class: 'muted' }, 'No messages to show.'),
    );
  }

  /** One message of the context; `versions`: the reported one's, already at hand. */
  contextMessage(message, versions) {
    const isReported = message.timestamp === this.report.timestamp;
    const history = h('div', { class: 'versions' });
    const showVersions = message.editedAt && h('button', {
      type: 'button',
      class: 'link-button',
      'aria-expanded': 'false',
      onclick: (event) => this.toggleVersions(message, versions, history, event.currentTarget),
    }, 'Show versions');
    const classes = ['context-message'];
    if (isReported) classes.push('is-reported');
    if (message.removedAt) classes.push('is-removed');
    if (message.editedAt) classes.push('is-edited');
    return h(
      'li',
      { class: classes.join(' '), dataset: { timestamp: message.timestamp, author: message.author } },
      h(
        'div',
        { class: 'context-head' },
        h('span', { class: 'context-author' }, bidi(this.name(message.author))),
        h('time', { datetime: message.timestamp, class: 'muted' }, fullTime(message.timestamp)),
        isReported && h('span', { class: 'reported-mark' }, 'Reported message'),
      ),
      h('p', { class: 'message-body', dir: 'auto' }, message.messageBody),
      (message.removedAt || message.editedAt) && h(
        'p',
        { class: 'context-marks' },
        message.removedAt && h('span', { class: 'revision-mark removed-mark' }, 'Removed by its author on ',
          h('time', { datetime: message.removedAt }, fullTime(message.removedAt))),
        message.editedAt && h('span', { class: 'revision-mark edited-mark' }, 'Edited on ',
          h('time', { datetime: message.editedAt }, fullTime(message.editedAt))),
        showVersions,
      ),
      history,
    );
  }

  /** Earlier texts of a message, oldest first, then the text it has now. */
  async toggleVersions(message, known, history, button) {
    if (button.getAttribute('aria-expanded') === 'true') {
      button.setAttribute('aria-expanded', 'false');
      replace(button, 'Show versions');
      replace(history);
      return;
    }
    let versions = known;
    let current = message;
    if (!versions) {
      button.disabled = true;
      replace(history, h('p', { class: 'muted' }, 'Loading…'));
      try {
        ({ versions, message: current } = await api.messageHistory(message.conversationId || this.report.conversationId, message.timestamp));
      } catch (error) {
        if (error.status !== 401) replace(history, h('p', { class: 'error-text' }, `Cannot load the versions. ${api.describeError(error)}`));
        return;
      } finally {
        button.disabled = false;
      }
    }
    button.setAttribute('aria-expanded', 'true');
    replace(button, 'Hide versions');
    replace(history, h(
      'ol',
      { class: 'version-list', 'aria-label': 'Versions, oldest first' },
      versions.map((v) => h('li', {}, h('time', { datetime: v.writtenAt, class: 'muted' }, fullTime(v.writtenAt)), h('p', { class: 'message-body', dir: 'auto' }, v.messageBody))),
      h('li', { class: 'version-now' }, h('span', { class: 'muted' }, current.removedAt ? 'Last text, before it was removed' : 'Now'),
        h('p', { class: 'message-body', dir: 'auto' }, current.messageBody)),
    ));
  }

  renderPause() {
    const [memberId] = this.report.conversationId.split('+');
    this.pauseControl.set(this.pause);
    const notice = pauseNotice(this.pause, { viewer: 'admin', memberName: this.name(memberId), nameOf: this.name });
    replace(
      this.pauseCard,
      h('div', { class: 'card-head' }, h('h2', { id: 'report-pause-title' }, 'The conversation'), this.pauseControl.element),
      h('div', { class: `pause-state${this.pause ? ' paused' : ''}`, role: 'status' },
        notice || ['Not paused: ', bidi(this.name(memberId)), ' and the teacher can both write.']),
      this.pauseControl.dialog,
    );
  }

  renderDecision() {
    const state = this.report.state;
    const closed = state === 'actioned' || state === 'dismissed';
    this.note = h('textarea', { id: 'report-note', class: 'input', rows: '3', maxlength: String(MAX_NOTE_CHARS), 'aria-describedby': 'report-note-hint' });
    this.decisionStatus = h('p', { class: 'form-status', role: 'status' });
    this.decisionError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const step = (to, label, extra = '') => h('button', { type: 'button', class: `button ${extra}`.trim(), onclick: (event) => this.step(to, event.currentTarget) }, label);
    replace(
      this.decision,
      h('h2', { id: 'report-decision-title' }, 'Decision'),
      closed
        ? h('p', { class: 'card-intro' }, 'This report is closed (', stateChip(state), '). Nothing more can be recorded on it.')
        : [
          h('label', { for: 'report-note', class: 'field-label' }, 'Note (optional)'),
          this.note,
          h('p', { id: 'report-note-hint', class: 'field-hint' }, 'Kept with the report for the school: what you found or did.'),
          h(
            'div',
            { class: 'form-actions decision-actions' },
            state === 'open' && step('reviewed', 'Mark reviewed'),
            step('actioned', 'Actioned', 'primary'),
            step('dismissed', 'Dismiss', 'subtle-danger'),
          ),
        ],
      this.decisionError,
      this.decisionStatus,
    );
  }

  async step(to, button) {
    show(this.decisionError, false);
    const note = this.note.value.trim();
    if ([...note].length > MAX_NOTE_CHARS) {
      replace(this.decisionError, `The note is too long: at most ${MAX_NOTE_CHARS} characters.`);
      show(this.decisionError, true);
      return;
    }
    button.disabled = true;
    try {
      this.report = await api.stepReport(this.reportId, to, note);
    } catch (error) {
      button.disabled = false;
      if (error.status === 401) return;
      replace(this.decisionError, `Not saved. ${api.describeError(error)}`);
      show(this.decisionError, true);
      return;
    }
    this.context.onReportsChanged?.();
    this.renderFacts();
    this.renderDecision();
    replace(this.decisionStatus, `Saved: ${(STEP_TEXT[to] || to).toLowerCase()}.`);
    this.decisionStatus.setAttribute('tabindex', '-1');
    this.decisionStatus.focus({ preventScroll: true });
  }
}
