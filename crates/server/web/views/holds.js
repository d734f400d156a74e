// Admin: legal holds (#/admin/holds). A hold on a person keeps every conversation they take
// part in, a hold on a conversation keeps that one, whatever the school's retention period,
// until the office lifts it. The form holds either, with a reason (a case reference, say);
// the list shows every hold in force with "Lift". `#/admin/holds?userId=…` (or
// `?conversationId=…`) opens the form filled in. Holding and lifting are recorded in the
// audit log by the server.

import * as api from '../api.js';
import { h, bidi, formatCount, fullTime, isolate, replace, show } from '../dom.js';
import { conversationName, person } from './moderation-labels.js';

/** The longest reason the server takes, in characters. */
const MAX_REASON_CHARS = 500;

const KINDS = {
  user: { label: 'User ID', hint: 'Their user ID, for example alice. Every conversation they take part in is kept.' },
  conversation: { label: 'Conversation ID', hint: 'The student’s or guardian’s user ID and the teacher’s, joined by +, for example alice+ms.rivera.' },
};

export class HoldsPanel {
  /** @param {object} context  the admin screen's: {names, refreshNames, toast, navigate} */
  constructor(context) {
    this.context = context;
    this.holds = [];
    this.seq = 0;
    this.name = (id) => this.context.names.get(id) || id;
    const kind = (value, text) => h('label', { class: 'choice-line' },
      h('input', { type: 'radio', name: 'hold-kind', value, checked: value === 'user', onchange: () => this.kindChanged() }), text);
    this.kinds = h('fieldset', { class: 'choice-group' },
      h('legend', { class: 'field-label' }, 'What to hold'),
      kind('user', 'A person (every conversation they take part in)'),
      kind('conversation', 'One conversation'));
    this.targetLabel = h('label', { for: 'hold-target', class: 'field-label' });
    this.targetHint = h('p', { id: 'hold-target-hint', class: 'field-hint' });
    this.people = h('datalist', { id: 'hold-people' });
    this.target = h('input', {
      id: 'hold-target',
      class: 'input',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      'aria-describedby': 'hold-target-hint',
      oninput: () => this.target.removeAttribute('aria-invalid'),
    });
    this.reason = h('textarea', {
      id: 'hold-reason',
      class: 'input hold-reason',
      rows: '2',
      maxlength: String(MAX_REASON_CHARS),
      'aria-describedby': 'hold-reason-hint',
    });
    this.holdButton = h('button', { type: 'submit', class: 'button primary' }, 'Hold');
    this.formStatus = h('p', { class: 'form-status', role: 'status' });
    this.error = h('p', { id: 'hold-error', class: 'form-error', role: 'alert', hidden: true });
    this.form = h(
      'form',
      { class: 'hold-form', noValidate: true, onsubmit: (event) => this.hold(event) },
      this.kinds,
      this.targetLabel,
      this.target,
      this.people,
      this.targetHint,
      h('label', { for: this.reason.id, class: 'field-label' }, 'Reason (optional)'),
      this.reason,
      h('p', { id: 'hold-reason-hint', class: 'field-hint' }, `A case reference, for example. Up to ${MAX_REASON_CHARS} characters.`),
      this.error,
      h('div', { class: 'form-actions' }, this.holdButton, this.formStatus),
    );
    this.count = h('p', { class: 'muted result-count', role: 'status' });
    this.tbody = h('tbody');
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Legal holds'),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'hold-add-title' },
        h('h2', { id: 'hold-add-title' }, 'Hold a person or a conversation'),
        h('p', { class: 'card-intro' },
          'Retention never deletes what is held, however old, until the hold is lifted. ',
          'Use it for a safeguarding enquiry, a complaint or a legal request. Holding and lifting are recorded in the audit log.'),
        this.form,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'holds-title' },
        h('div', { class: 'card-head' },
          h('h2', { id: 'holds-title' }, 'Holds in force'),
          h('button', { type: 'button', class: 'button small', onclick: () => this.load() }, 'Refresh')),
        this.count,
        h('table', { class: 'data-table holds-table' },
          h('thead', {}, h('tr', {}, ['Held', 'Reason', 'Set by', 'Since', ''].map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody),
      ),
    );
    this.kindChanged();
  }

  /** `#/admin/holds`, or with `?userId=` / `?conversationId=` to fill the form in. */
  show(params) {
    const conversationId = params?.get('conversationId');
    const userId = params?.get('userId');
    if (conversationId || userId) {
      this.form.querySelector(`input[value="${conversationId ? 'conversation' : 'user'}"]`).checked = true;
      this.kindChanged();
      this.target.value = conversationId || userId;
    }
    this.load();
  }

  kind() {
    return this.form.querySelector('input[name="hold-kind"]:checked')?.value || 'user';
  }

  kindChanged() {
    const kind = KINDS[this.kind()];
    replace(this.targetLabel, kind.label);
    replace(this.targetHint, kind.hint);
    // People are suggested by name for a person's hold (a userId typed in full works too).
    if (this.kind() === 'user') this.target.setAttribute('list', this.people.id);
    else this.target.removeAttribute('list');
  }

  async load() {
    const seq = ++this.seq;
    replace(this.count, 'Loading…');
    try {
      if (this.context.names.size === 0) await this.context.refreshNames().catch(() => {});
      const { holds } = await api.listHolds();
      if (seq !== this.seq) return;
      this.holds = holds;
      this.render();
    } catch (error) {
      if (seq !== this.seq || error.status === 401) return;
      replace(this.count, h('span', { class: 'error-text' }, `Cannot load the holds. ${api.describeError(error)}`));
    }
  }

  render() {
    replace(this.people, [...this.context.names]
      .sort(([, a], [, b]) => a.localeCompare(b))
      .map(([userId, name]) => h('option', { value: userId, label: isolate(name) })));
    const n = this.holds.length;
    replace(this.count, n === 0 ? '' : `${formatCount(n)} hold${n === 1 ? '' : 's'} in force`);
    if (n === 0) {
      replace(this.tbody, h('tr', {}, h('td', { colspan: '5', class: 'muted empty-state' },
        'Nothing is held. Retention deletes by the school’s policy alone.')));
      return;
    }
    replace(this.tbody, this.holds.map((hold) => this.row(hold)));
  }

  row(hold) {
    const target = hold.userId ? { userId: hold.userId } : { conversationId: hold.conversationId };
    const held = hold.userId
      ? [person(hold.userId, this.name), h('span', { class: 'muted hold-scope' }, ' · every conversation')]
      : [h('a', { href: `#/admin/view/${encodeURIComponent(hold.conversationId)}` }, conversationName(hold.conversationId, this.name)),
        h('span', { class: 'muted hold-scope' }, ' · one conversation')];
    const shown = hold.userId ? this.name(hold.userId) : hold.conversationId;
    return h(
      'tr',
      { dataset: hold.userId ? { userId: hold.userId } : { conversationId: hold.conversationId } },
      h('td', { 'data-label': 'Held' }, held),
      h('td', { 'data-label': 'Reason' }, hold.reason ? bidi(hold.reason) : h('span', { class: 'muted' }, 'None given')),
      h('td', { 'data-label': 'Set by' }, hold.by === 'cli' ? h('span', { class: 'muted' }, 'The server’s operator') : person(hold.by, this.name)),
      h('td', { 'data-label': 'Since' }, h('time', { datetime: hold.at }, fullTime(hold.at))),
      h('td', { class: 'actions' }, h('button', {
        type: 'button',
        class: 'button small subtle-danger',
        'aria-label': `Lift the hold on ${isolate(shown)}`,
        onclick: (event) => this.lift(target, shown, event.currentTarget),
      }, 'Lift')),
    );
  }

  async hold(event) {
    event.preventDefault();
    show(this.error, false);
    replace(this.formStatus);
    const kind = this.kind();
    const id = this.target.value.trim();
    if (!id) {
      this.fail(kind === 'user' ? 'Type the user ID of the person to hold.' : 'Type the conversation to hold.');
      return;
    }
    const reason = this.reason.value.trim();
    if ([...reason].length > MAX_REASON_CHARS) {
      this.fail(`The reason is too long: at most ${MAX_REASON_CHARS} characters.`);
      return;
    }
    this.holdButton.disabled = true;
    replace(this.formStatus, 'Holding…');
    try {
      const hold = await api.setHold(kind === 'user' ? { userId: id } : { conversationId: id }, reason);
      this.form.reset();
      this.kindChanged();
      replace(this.formStatus, hold.userId
        ? ['Held. Every conversation of ', bidi(this.name(hold.userId)), ' is kept until you lift the hold.']
        : ['Held. The conversation of ', conversationName(hold.conversationId, this.name), ' is kept until you lift the hold.']);
      await this.load();
    } catch (error) {
      replace(this.formStatus);
      if (error.status === 401) return;
      this.fail(`Not held. ${api.describeError(error)}`);
    } finally {
      this.holdButton.disabled = false;
    }
  }

  async lift(target, shown, button) {
    button.disabled = true;
    try {
      await api.releaseHold(target);
      this.context.toast(['The hold on ', bidi(shown), ' is lifted.']);
    } catch (error) {
      if (error.status === 401) return;
      // Lifted meanwhile (another admin, the operator): the list catches up below.
      if (error.status !== 404) {
        button.disabled = false;
        this.context.toast(`Not lifted. ${api.describeError(error)}`, 'error');
        return;
      }
    }
    await this.load();
    this.target.focus();
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
    this.target.setAttribute('aria-invalid', 'true');
    this.target.setAttribute('aria-errormessage', this.error.id);
    this.target.focus();
  }
}
