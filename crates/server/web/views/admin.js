// The admin's screen: people, the moderation queue (its tab counts the open reports), legal
// holds, links, families (guardians), the roster import, the school's settings (families,
// notifications, safeguarding, retention), the audit log, and a read-only conversation
// viewer, where the office may also pause and resume the conversation and export it.
// Admins never take part in conversations, so there is no live connection here; every
// conversation read is audited by the server, and the viewer says so before loading.

import * as api from '../api.js';
import { h, formatCount, replace } from '../dom.js';
import { ChatState } from '../state.js';
import { ConversationView } from './conversation.js';
import { UsersPanel } from './admin-users.js';
import { LinksPanel } from './admin-links.js';
import { FamiliesPanel } from './admin-families.js';
import { SettingsPanel } from './admin-settings.js';
import { AuditPanel } from './admin-audit.js';
import { RosterPanel } from './admin-roster.js';
import { ModerationPanel } from './moderation.js';
import { PauseControl } from './pause.js';
import { HoldsPanel } from './holds.js';
import { ExportMenu } from './export-menu.js';

/** Open reports counted for the tab: one page; a fuller queue shows as "200+". */
const COUNT_LIMIT = 200;
/** How often the tab's count is read again while the office has classchat open. */
const COUNT_EVERY_MS = 60_000;

const TABS = [
  { id: 'users', label: 'People' },
  { id: 'moderation', label: 'Moderation' },
  { id: 'holds', label: 'Legal holds' },
  { id: 'links', label: 'Links' },
  { id: 'families', label: 'Families' },
  { id: 'roster', label: 'Roster' },
  { id: 'settings', label: 'Settings' },
  { id: 'audit', label: 'Audit log' },
];

export class AdminScreen {
  /** @param {object} hooks {navigate(hash), toast(text, kind)} */
  constructor(session, hooks) {
    this.session = session;
    this.hooks = hooks;
    this.names = new Map(); // userId → displayName
    this.roles = new Map(); // userId → role
    this.tabLinks = new Map();
    this.nav = h(
      'nav',
      { class: 'admin-tabs', 'aria-label': 'Administration' },
      TABS.map((tab) => {
        const link = h('a', { href: `#/admin/${tab.id}`, class: 'tab' }, tab.label);
        this.tabLinks.set(tab.id, link);
        return link;
      }),
    );
    this.openCount = h('span', { class: 'tab-count', hidden: true });
    this.tabLinks.get('moderation').append(this.openCount);
    this.content = h('main', { class: 'admin-content', id: 'main-pane', tabindex: '-1' });
    this.element = h('div', { class: 'admin-layout' }, this.nav, this.content);
    const context = {
      me: session.user.userId,
      names: this.names,
      refreshNames: () => this.refreshNames(),
      toast: hooks.toast,
      navigate: hooks.navigate,
      onReportsChanged: () => this.refreshCount(),
    };
    this.panels = {
      users: new UsersPanel(context),
      moderation: new ModerationPanel(context),
      holds: new HoldsPanel(context),
      links: new LinksPanel(context),
      families: new FamiliesPanel(context),
      roster: new RosterPanel(context),
      settings: new SettingsPanel(context),
      audit: new AuditPanel(context),
    };
    this.viewer = null;
  }

  async start() {
    this.refreshCount();
    this.countTimer = setInterval(() => this.refreshCount(), COUNT_EVERY_MS);
    await this.refreshNames().catch((error) => this.hooks.toast(api.describeError(error), 'error'));
  }

  destroy() {
    clearInterval(this.countTimer);
    this.viewer?.destroy();
    this.panels.moderation.destroy();
  }

  /** The number of open reports, on the Moderation tab (nothing when there are none). */
  async refreshCount() {
    let count;
    try {
      count = (await api.listReports({ state: 'open', limit: COUNT_LIMIT })).reports.length;
    } catch (error) {
      if (error.status !== 401) console.debug('classchat: cannot count the open reports', error.code);
      return;
    }
    const text = count >= COUNT_LIMIT ? `${formatCount(COUNT_LIMIT)}+` : formatCount(count);
    replace(this.openCount, text, h('span', { class: 'sr-only' }, ` open report${count === 1 ? '' : 's'}`));
    this.openCount.hidden = count === 0;
  }

  async refreshNames() {
    const users = await api.listAllUsers();
    this.names.clear();
    for (const user of users) {
      this.names.set(user.userId, user.displayName);
      this.roles.set(user.userId, user.role);
    }
    return users;
  }

  /**
   * `#/admin/<tab>`, with the filters of People, Links and Families after a `?`
   * (`#/admin/users?classId=class-0001`), or `#/admin/view/<conversationId>`.
   */
  route(path) {
    const mark = path.indexOf('?');
    const params = new URLSearchParams(mark < 0 ? '' : path.slice(mark + 1));
    if (mark >= 0) path = path.slice(0, mark);
    const [tab, ...rest] = path.split('/');
    this.viewer?.destroy();
    this.viewer = null;
    if (tab === 'view' && rest.length) {
      this.showViewer(decodeURIComponent(rest.join('/')));
      return;
    }
    const id = this.panels[tab] ? tab : 'users';
    for (const [key, link] of this.tabLinks) link.setAttribute('aria-current', key === id ? 'page' : 'false');
    this.element.classList.remove('viewing');
    replace(this.content, this.panels[id].element);
    this.panels[id].show(params, rest);
  }

  async showViewer(conversationId) {
    for (const link of this.tabLinks.values()) link.setAttribute('aria-current', 'false');
    this.tabLinks.get('links').setAttribute('aria-current', 'page');
    this.element.classList.add('viewing');
    const [studentId, teacherId] = conversationId.split('+');
    if (this.names.size === 0 || !this.roles.has(studentId)) await this.refreshNames().catch(() => {});
    const name = (id) => this.names.get(id) || id;
    // A family conversation is a guardian's with a teacher of their child.
    const first = this.roles.get(studentId) === 'guardian' ? 'Guardian' : 'Student';
    const state = new ChatState(this.session.user);
    const pause = new PauseControl({
      conversationId,
      admin: true,
      memberName: name(studentId),
      onChanged: (changed) => state.setPause(conversationId, changed),
      toast: this.hooks.toast,
    });
    const exportMenu = new ExportMenu({
      kind: 'conversation',
      id: conversationId,
      label: `the conversation of ${name(studentId)} and ${name(teacherId)}`,
      toast: this.hooks.toast,
    });
    const view = new ConversationView({
      state,
      conversationId,
      readOnly: true,
      peer: {
        userId: studentId,
        name: `${name(studentId)} and ${name(teacherId)}`,
        subtitle: `${first} ${studentId} · Teacher ${teacherId}`,
      },
      nameOf: name,
      onRight: (author) => author === teacherId,
      loadPage: async (older) => {
        const query = older ? { before: state.oldest(conversationId), limit: 50 } : { limit: 50 };
        const page = await api.readPage(conversationId, query);
        state.addPage(conversationId, page, { older });
      },
      onBack: () => this.hooks.navigate('#/admin/links'),
      backLabel: 'Back to links',
      pause: { viewer: 'admin', memberName: name(studentId), nameOf: name, control: pause },
      tools: exportMenu.element,
    });
    this.viewer = view;
    replace(this.content, h('div', { class: 'viewer-frame' }, view.element));
    view.start();
    view.focus();
  }
}
