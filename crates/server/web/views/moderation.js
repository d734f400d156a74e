// Admin: the moderation queue (#/admin/moderation), newest first: reports from students,
// teachers and guardians, and messages the school's word list or patterns flagged. The
// list names what was reported and why, never the message's text; opening a report
// (#/admin/moderation/<reportId>, moderation-report.js) shows the messages around it, a
// read the server records in the audit log.

import * as api from '../api.js';
import { h, isolate, replace, show, fullTime, formatCount } from '../dom.js';
import { REASON_LABELS, STATE_LABELS, conversationName, person, stateChip } from './moderation-labels.js';
import { ReportPage } from './moderation-report.js';

const PAGE = 50;

export class ModerationPanel {
  /**
   * @param {object} context  the admin screen's: {me, names, refreshNames, toast, navigate,
   *   onReportsChanged (a report moved on: recount the open ones)}
   */
  constructor(context) {
    this.context = context;
    this.reports = [];
    this.hasMore = false;
    this.seq = 0;
    this.page = null;
    this.name = (id) => this.context.names.get(id) || id;
    this.stateFilter = h('select', { id: 'reports-state', class: 'input compact', onchange: () => this.context.navigate(this.hash()) },
      h('option', { value: 'open' }, 'Open'),
      h('option', { value: 'reviewed' }, 'Reviewed'),
      h('option', { value: 'actioned' }, 'Actioned'),
      h('option', { value: 'dismissed' }, 'Dismissed'),
      h('option', { value: 'all' }, 'All'));
    this.count = h('p', { class: 'muted result-count', role: 'status' });
    this.tbody = h('tbody');
    this.more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => this.load(true) }, 'Show older reports');
    this.queue = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Moderation'),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'reports-title' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { id: 'reports-title' }, 'Reports, newest first'),
          h('button', { type: 'button', class: 'button small', onclick: () => this.load() }, 'Refresh'),
        ),
        h('p', { class: 'card-intro' },
          'Messages that students, teachers or families reported, and those the school’s word list flagged. ',
          'Opening a report shows the messages around it; that read is recorded in the audit log.'),
        h(
          'div',
          { class: 'filter-bar', role: 'search', 'aria-label': 'Filter reports' },
          h('div', { class: 'filter-field' }, h('label', { for: 'reports-state', class: 'field-label' }, 'Show'), this.stateFilter),
        ),
        this.count,
        h(
          'table',
          { class: 'data-table reports-table' },
          h('thead', {}, h('tr', {}, ['Reported', 'Why', 'From', 'Author', 'Conversation', 'State', ''].map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody,
        ),
        this.more,
      ),
    );
    this.element = h('div', { class: 'moderation' }, this.queue);
  }

  hash() {
    const state = this.stateFilter.value;
    return state === 'open' ? '#/admin/moderation' : `#/admin/moderation?state=${state}`;
  }

  /** `#/admin/moderation[?state=…]`, or one report: `#/admin/moderation/<reportId>`. */
  show(params, rest = []) {
    this.page?.destroy();
    this.page = null;
    if (rest.length && rest[0]) {
      this.page = new ReportPage(decodeURIComponent(rest[0]), {
        ...this.context,
        name: this.name,
        back: this.hash(),
      });
      replace(this.element, this.page.element);
      this.page.start();
      return;
    }
    const state = params?.get('state');
    this.stateFilter.value = state && (state === 'all' || STATE_LABELS[state]) ? state : 'open';
    replace(this.element, this.queue);
    this.load();
  }

  async load(more = false) {
    const seq = ++this.seq;
    const state = this.stateFilter.value;
    const before = more ? this.reports[this.reports.length - 1]?.reportId : undefined;
    if (!more) replace(this.count, 'Loading…');
    try {
      if (this.context.names.size === 0) await this.context.refreshNames().catch(() => {});
      const { reports } = await api.listReports({ state: state === 'all' ? undefined : state, before, limit: PAGE });
      if (seq !== this.seq) return;
      this.reports = more ? [...this.reports, ...reports] : reports;
      this.hasMore = reports.length === PAGE;
      this.render();
    } catch (error) {
      if (seq !== this.seq || error.status === 401) return;
      replace(this.count, h('span', { class: 'error-text' }, `Cannot load the reports. ${api.describeError(error)}`));
    }
  }

  render() {
    show(this.more, this.hasMore);
    const state = this.stateFilter.value;
    const n = this.reports.length;
    const which = state === 'all' ? '' : ` ${STATE_LABELS[state].toLowerCase()}`;
    replace(this.count, n === 0 ? '' : `${formatCount(n)}${this.hasMore ? '+' : ''}${which} report${n === 1 ? '' : 's'}`);
    if (n === 0) {
      replace(this.tbody, h('tr', {}, h('td', { colspan: '7', class: 'muted empty-state' },
        state === 'open' ? 'No open reports. Nothing is waiting for the school.' : 'No reports here.')));
      return;
    }
    replace(this.tbody, this.reports.map((report) => this.row(report)));
  }

  row(report) {
    const from = report.source === 'flags'
      ? h('span', { class: 'muted' }, 'The word list')
      : person(report.reporter, this.name);
    return h(
      'tr',
      { dataset: { reportId: report.reportId, state: report.state } },
      h('td', { 'data-label': 'Reported' }, h('time', { datetime: report.createdAt }, fullTime(report.createdAt))),
      h('td', { 'data-label': 'Why' }, h('span', { class: `reason-chip reason-${report.reason}` }, REASON_LABELS[report.reason] || report.reason)),
      h('td', { 'data-label': 'From' }, from),
      h('td', { 'data-label': 'Author' }, person(report.author, this.name)),
      h('td', { 'data-label': 'Conversation' }, conversationName(report.conversationId, this.name)),
      h('td', { 'data-label': 'State' }, stateChip(report.state)),
      h('td', { class: 'actions' }, h('a', {
        class: 'button small',
        href: `#/admin/moderation/${encodeURIComponent(report.reportId)}`,
        'aria-label': `Open the report on ${isolate(this.name(report.author))}’s message`,
      }, 'View')),
    );
  }

  destroy() {
    this.page?.destroy();
  }
}
