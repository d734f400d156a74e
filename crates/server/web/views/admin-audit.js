// Admin: the audit log, newest first. Every admin read of a conversation or contact list,
// every change to people, links, guardians or settings, and every guardian's read of a
// child's conversations is here, including the reader's own.

import * as api from '../api.js';
import { h, replace, show, fullTime } from '../dom.js';

const ACTIONS = {
  'conversation.read': 'Read a conversation',
  'contacts.read': 'Viewed a contact list',
  'user.create': 'Added a person',
  'user.update': 'Changed a person',
  'user.sign_in_code': 'Issued a sign-in code',
  'link.add': 'Linked',
  'link.remove': 'Unlinked',
  'school.export': 'Exported the whole school',
  'roster.import': 'Imported the roster',
  'guardian.read': 'A guardian read their child’s conversations',
  'guardian.add': 'Made someone a guardian',
  'guardian.remove': 'Removed a guardian',
  'settings.update': 'Changed the settings',
  'message.urgent': 'Sent an urgent message',
  'message.edit': 'Edited their message',
  'message.remove': 'Removed their message',
  'message.history': 'Read a message’s earlier versions',
  'report.review': 'Marked a report reviewed',
  'report.action': 'Actioned a report',
  'report.dismiss': 'Dismissed a report',
  'conversation.pause': 'Paused a conversation',
  'conversation.resume': 'Resumed a conversation',
  'export.user': 'Exported a person’s data',
  'export.conversation': 'Exported a conversation',
  'hold.set': 'Placed a legal hold',
  'hold.release': 'Released a legal hold',
  'retention.run': 'Deleted by the retention policy',
  'retention.preview': 'Previewed the retention policy',
};

export class AuditPanel {
  constructor(context) {
    this.context = context;
    this.entries = [];
    this.hasMore = false;
    this.tbody = h('tbody');
    this.more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => this.load(true) }, 'Show older entries');
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Audit log'),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'audit-title' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { id: 'audit-title' }, 'Who read or changed what, newest first'),
          h('button', { type: 'button', class: 'button small', onclick: () => this.load() }, 'Refresh'),
        ),
        h(
          'table',
          { class: 'data-table audit-table' },
          h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Concerning'].map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody,
        ),
        this.more,
      ),
    );
  }

  show() {
    this.load();
  }

  async load(more = false) {
    const before = more ? this.entries[this.entries.length - 1]?.id : undefined;
    try {
      const page = await api.listAudit({ before, limit: 50 });
      this.entries = more ? [...this.entries, ...page.entries] : page.entries;
      this.hasMore = page.hasMore;
      this.render();
    } catch (error) {
      this.context.toast(api.describeError(error), 'error');
    }
  }

  render() {
    show(this.more, this.hasMore);
    if (this.entries.length === 0) {
      replace(this.tbody, h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'Nothing recorded yet.')));
      return;
    }
    const name = (id) => this.context.names.get(id);
    replace(
      this.tbody,
      this.entries.map((entry) =>
        h(
          'tr',
          { dataset: { action: entry.action, target: entry.target } },
          h('td', { 'data-label': 'When' }, h('time', { datetime: entry.at }, fullTime(entry.at))),
          h('td', { 'data-label': 'Who' }, entry.actor === 'cli' ? 'Command line' : name(entry.actor) || entry.actor, entry.actor !== 'cli' && h('span', { class: 'muted id-suffix' }, ` ${entry.actor}`)),
          h('td', { 'data-label': 'What' }, ACTIONS[entry.action] || entry.action, ' ', h('code', { class: 'action-code' }, entry.action)),
          h('td', { 'data-label': 'Concerning' }, h('code', {}, entry.target)),
        ),
      ),
    );
  }
}
