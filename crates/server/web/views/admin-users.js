// Admin: people. Create a user; rename someone or give them a new password (in a small
// form that opens under their row); list a teacher's conversations, including those with
// students no longer linked, to open any of them in the read-only viewer; disable or
// re-enable an account (a disabled account cannot sign in, and its open sessions stop
// working at their next request); export someone's history (export-menu.js). Find people
// by a search (part of the userId or name) and by role, status and class, a page at a
// time; the filters live in the page's address (#/admin/users?q=…&role=…&status=…&classId=…),
// so they are kept when coming back.

import * as api from '../api.js';
import { h, avatar, bidi, namesList, replace, show, formatCount, debounce } from '../dom.js';
import { ClassPicker } from './admin-classes.js';
import { ExportMenu } from './export-menu.js';

// The server's rules (crates/core/src/user.rs), checked here first for a clearer message.
const MIN_PASSWORD_CHARS = 8;
const MAX_NAME_CHARS = 100;

/** People per page. */
const PAGE = 100;
/** Requests a search may chain, while it finds nobody yet, before asking to go on. */
const AUTO_PAGES = 5;
const FILTERS = ['q', 'role', 'status', 'classId'];

const ROLES = [
  ['student', 'Student'],
  ['teacher', 'Teacher'],
  ['guardian', 'Guardian'],
  ['admin', 'Admin'],
];

export class UsersPanel {
  constructor(context) {
    this.context = context;
    this.users = [];
    this.hasMore = false;
    this.editor = null; // {userId, kind: 'rename'|'password'|'conversations', row}: the open form
    this.nextAfter = undefined;
    this.seq = 0;
    const typed = debounce(() => this.filtersChanged(), 250);
    this.search = h('input', {
      id: 'users-search',
      type: 'search',
      class: 'input compact',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      maxlength: '100',
      placeholder: 'Name or user ID',
      oninput: typed,
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          typed.cancel();
          this.filtersChanged();
        }
      },
    });
    this.filter = h(
      'select',
      { id: 'users-filter', class: 'input compact', onchange: () => this.filtersChanged() },
      h('option', { value: '' }, 'Everyone'),
      ROLES.map(([value, label]) => h('option', { value }, `${label}s`)),
    );
    this.status = h(
      'select',
      { id: 'users-status', class: 'input compact', onchange: () => this.filtersChanged() },
      h('option', { value: '' }, 'All'),
      h('option', { value: 'active' }, 'Active'),
      h('option', { value: 'disabled' }, 'Disabled'),
    );
    this.classPicker = new ClassPicker({ id: 'users-class', label: 'Class', onchange: () => this.filtersChanged() });
    this.clear = h('button', { type: 'button', class: 'button small', hidden: true, onclick: () => this.clearFilters() }, 'Clear filters');
    this.count = h('p', { class: 'muted result-count', role: 'status', id: 'users-count' });
    this.tbody = h('tbody');
    this.more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => this.load(true) }, 'Show more');
    const filterField = (id, label, input) => h('div', { class: 'filter-field' }, h('label', { for: id, class: 'field-label' }, label), input);
    this.filters = h(
      'div',
      { class: 'filter-bar', role: 'search', 'aria-label': 'Find people' },
      filterField('users-search', 'Search', this.search),
      filterField('users-filter', 'Show', this.filter),
      filterField('users-status', 'Status', this.status),
      this.classPicker.element,
      h('div', { class: 'filter-field filter-actions' }, this.clear),
    );
    this.form = this.buildForm();
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'People'),
      h('section', { class: 'card', 'aria-labelledby': 'add-user-title' }, h('h2', { id: 'add-user-title' }, 'Add a person'), this.form),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'users-title' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { id: 'users-title' }, 'Everyone at school'),
        ),
        this.filters,
        this.count,
        h(
          'table',
          { class: 'data-table users-table' },
          h('thead', {}, h('tr', {}, ['Name', 'User ID', 'Role', 'Status', h('span', { class: 'sr-only' }, 'Actions')].map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody,
        ),
        this.more,
      ),
    );
  }

  buildForm() {
    const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label), input);
    this.newId = h('input', { id: 'new-user-id', class: 'input', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', pattern: '[A-Za-z0-9._@-]{1,128}', placeholder: 'e.g. alice.martin' });
    this.newName = h('input', { id: 'new-user-name', class: 'input', required: true, autocomplete: 'off', placeholder: 'e.g. Alice Martin' });
    this.newRole = h('select', { id: 'new-user-role', class: 'input' }, ROLES.map(([value, label]) => h('option', { value }, label)));
    this.newPassword = h('input', { id: 'new-user-password', class: 'input', type: 'password', required: true, minlength: String(MIN_PASSWORD_CHARS), autocomplete: 'new-password', 'aria-describedby': 'new-user-password-hint' });
    this.formStatus = h('p', { class: 'form-status', role: 'status' });
    return h(
      'form',
      { class: 'form-grid', onsubmit: (event) => this.create(event) },
      field('new-user-id', 'User ID', this.newId),
      field('new-user-name', 'Display name', this.newName),
      field('new-user-role', 'Role', this.newRole),
      h('div', { class: 'field' },
        h('label', { for: 'new-user-password', class: 'field-label' }, 'Initial password'),
        this.newPassword,
        h('p', { id: 'new-user-password-hint', class: 'field-hint' }, 'At least 8 characters. Share it privately.')),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Add person'), this.formStatus),
    );
  }

  /** The filters as they are in the form. */
  filterValues() {
    return {
      q: this.search.value.trim() || undefined,
      role: this.filter.value || undefined,
      status: this.status.value || undefined,
      classId: this.classPicker.value || undefined,
    };
  }

  /**
   * From the page's address: filters given there replace those on show; none keeps the
   * ones set before (coming back to the tab), and the address shows them again.
   */
  show(params = new URLSearchParams()) {
    if (FILTERS.some((key) => params.has(key))) {
      this.search.value = params.get('q') || '';
      this.filter.value = ROLES.some(([role]) => role === params.get('role')) ? params.get('role') : '';
      this.status.value = ['active', 'disabled'].includes(params.get('status')) ? params.get('status') : '';
      this.classPicker.value = params.get('classId') || '';
    }
    this.filtersChanged();
  }

  filtersChanged() {
    const filters = this.filterValues();
    show(this.clear, Object.values(filters).some(Boolean));
    // Keep the filters in the address without a new history entry (nor a hashchange).
    if (window.location.hash.startsWith('#/admin/users') || !window.location.hash.startsWith('#/admin/')) {
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
      window.history.replaceState(null, '', `#/admin/users${query ? `?${query}` : ''}`);
    }
    this.load();
  }

  clearFilters() {
    this.search.value = '';
    this.filter.value = '';
    this.status.value = '';
    this.classPicker.value = '';
    this.filtersChanged();
    this.search.focus();
  }

  /**
   * The first page for the filters, or (`more`) the next one from `nextAfter`. A search
   * answers a short page with `hasMore` when it ran out of its budget; while nothing is
   * found yet it goes on by itself for a few requests, then leaves it to "Show more".
   */
  async load(more = false) {
    const seq = ++this.seq;
    const filters = this.filterValues();
    let after = more ? this.nextAfter : undefined;
    let users = more ? this.users : [];
    this.more.disabled = true;
    try {
      for (let round = 0; ; round += 1) {
        const page = await api.listUsers({ ...filters, after, limit: PAGE });
        if (seq !== this.seq) return; // the filters changed meanwhile
        users = [...users, ...page.users];
        this.hasMore = page.hasMore;
        after = page.nextAfter ?? page.users[page.users.length - 1]?.userId ?? after;
        if (!page.hasMore || users.length > 0 || page.users.length > 0 || round + 1 >= AUTO_PAGES) break;
      }
      this.users = users;
      this.nextAfter = after;
      this.failure = null;
    } catch (error) {
      if (seq !== this.seq || error.status === 401) return;
      this.users = [];
      this.hasMore = false;
      this.failure = error.status === 404 && filters.classId
        ? ['There is no class ', h('code', {}, filters.classId), '.']
        : api.describeError(error);
    } finally {
      if (seq === this.seq) this.more.disabled = false;
    }
    this.render();
  }

  render() {
    show(this.more, this.hasMore);
    const n = this.users.length;
    const filtered = Object.values(this.filterValues()).some(Boolean);
    if (this.failure) {
      replace(this.count);
      replace(this.tbody, h('tr', {}, h('td', { colspan: '5', class: 'error-text' }, this.failure)));
      return;
    }
    replace(this.count, n === 0 && !this.hasMore
      ? ''
      : `Showing ${formatCount(n)} ${n === 1 ? 'person' : 'people'}${this.hasMore ? '; more to load' : ''}.`);
    if (n === 0) {
      const text = !filtered
        ? 'Nobody here yet.'
        : this.hasMore ? 'Nobody matches yet. Show more to search further.' : 'Nobody matches.';
      replace(this.tbody, h('tr', {}, h('td', { colspan: '5', class: 'muted empty-state' }, text)));
      return;
    }
    replace(this.tbody, this.users.map((user) => [
      this.row(user),
      this.editor?.userId === user.userId ? this.editor.row : null,
    ]));
  }

  row(user) {
    // An admin cannot disable their own account (the server refuses it too).
    const self = user.userId === this.context.me;
    const toggle = self ? h('span', { class: 'muted' }, 'You') : h(
      'button',
      {
        type: 'button',
        class: `button small toggle${user.disabled ? '' : ' subtle-danger'}`,
        'aria-label': `${user.disabled ? 'Enable' : 'Disable'} ${user.displayName}`,
        onclick: () => this.setDisabled(user, !user.disabled),
      },
      user.disabled ? 'Enable' : 'Disable',
    );
    const editButton = (kind, text, label) => {
      const open = this.editor?.userId === user.userId && this.editor.kind === kind;
      return h('button', {
        type: 'button',
        class: 'button small',
        'aria-label': label,
        'aria-expanded': open ? 'true' : 'false',
        'aria-controls': open ? editorId(user, kind) : null,
        dataset: { edit: kind },
        onclick: () => (open ? this.closeEditor() : this.openEditor(user, kind)),
      }, text);
    };
    return h(
      'tr',
      { class: user.disabled ? 'is-disabled' : '', dataset: { userId: user.userId } },
      h('td', { 'data-label': 'Name' }, h('span', { class: 'name-cell' }, avatar(user.userId, user.displayName, 'small'), bidi(user.displayName))),
      h('td', { 'data-label': 'User ID' }, h('code', {}, user.userId)),
      h('td', { 'data-label': 'Role' }, h('span', { class: `role-chip role-${user.role}` }, user.role)),
      h('td', { 'data-label': 'Status' }, h('span', { class: `status-chip ${user.disabled ? 'off' : 'on'}` }, user.disabled ? 'Disabled' : 'Active')),
      h('td', { class: 'actions' },
        user.role === 'teacher'
          ? editButton('conversations', 'Conversations', `Conversations of ${user.displayName}`)
          : null,
        user.role === 'guardian'
          ? h('a', { class: 'button small', href: `#/admin/families?userId=${encodeURIComponent(user.userId)}`, 'aria-label': `Children of ${user.displayName}` }, 'Children')
          : null,
        editButton('rename', 'Rename', `Rename ${user.displayName}`),
        editButton('password', 'Reset password', `Reset password for ${user.displayName}`),
        user.role === 'admin' ? null : new ExportMenu({
          kind: 'user',
          id: user.userId,
          label: `the history of ${user.displayName}`,
          toast: this.context.toast,
        }).element,
        toggle),
    );
  }

  // --- Rename and reset password ---------------------------------------------------------

  /** Opens the rename or new-password form, or the conversation list, under `user`'s row
   * (one at a time). */
  openEditor(user, kind) {
    if (kind === 'conversations') {
      this.openConversations(user);
      return;
    }
    const rename = kind === 'rename';
    const id = editorId(user, kind);
    const input = rename
      ? h('input', { id, class: 'input', autocomplete: 'off', maxlength: String(MAX_NAME_CHARS), value: user.displayName })
      : h('input', { id, class: 'input', type: 'password', autocomplete: 'new-password', 'aria-describedby': `${id}-hint` });
    const error = h('p', { class: 'error-text editor-error', role: 'alert' });
    // A correction clears the complaint about the previous value.
    input.addEventListener('input', () => {
      replace(error);
      input.removeAttribute('aria-invalid');
    });
    const save = h('button', { type: 'submit', class: 'button primary small' }, rename ? 'Save name' : 'Set password');
    const form = h(
      'form',
      {
        class: 'row-editor',
        novalidate: true, // the rules are checked below, with a message in the page
        onsubmit: (event) => this.saveEditor(event, user, kind, { input, error, save }),
        onkeydown: (event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            this.closeEditor();
          }
        },
      },
      h('label', { for: id, class: 'field-label' }, rename ? 'New display name for ' : 'New password for ', bidi(user.displayName)),
      h('div', { class: 'row-editor-line' },
        input,
        save,
        h('button', { type: 'button', class: 'button small', onclick: () => this.closeEditor() }, 'Cancel')),
      rename
        ? h('p', { id: `${id}-hint`, class: 'field-hint' }, `Shown to everyone they chat with. Up to ${MAX_NAME_CHARS} characters.`)
        : h('p', { id: `${id}-hint`, class: 'field-hint' }, `At least ${MIN_PASSWORD_CHARS} characters. Share it with them privately; their old password stops working at once.`),
      error,
    );
    const row = h('tr', { class: 'editor-row', dataset: { editorFor: user.userId } }, h('td', { colspan: '5' }, form));
    this.editor = { userId: user.userId, kind, row };
    this.render();
    input.focus();
    if (rename) input.select();
  }

  /** Lists a teacher's conversations under their row, each opening the audited viewer. */
  async openConversations(user) {
    const id = editorId(user, 'conversations');
    const list = h('div', { id, class: 'row-editor', tabindex: '-1', 'aria-live': 'polite' },
      h('p', { class: 'muted' }, 'Loading the conversations of ', bidi(user.displayName), '…'));
    const row = h('tr', { class: 'editor-row', dataset: { editorFor: user.userId } }, h('td', { colspan: '5' }, list));
    this.editor = { userId: user.userId, kind: 'conversations', row };
    this.render();
    try {
      const { chats } = await api.getChatsOf(user.userId);
      if (this.editor?.row !== row) return; // closed or replaced meanwhile
      replace(list,
        h('p', { class: 'field-label' }, 'Conversations of ', bidi(user.displayName)),
        h('p', { class: 'field-hint' }, 'Listing them and opening one are both recorded in the audit log. Conversations with students no longer linked stay readable here.'),
        chats.length === 0
          ? h('p', { class: 'muted' }, 'No messages yet.')
          : h('ul', { class: 'conversation-list' }, chats.map((chat) => h('li', {},
            h('a', {
              class: 'button small',
              href: `#/admin/view/${encodeURIComponent(chat.conversationId)}`,
              'aria-label': `View the conversation of ${chat.student.displayName} and ${user.displayName}`,
            }, 'View'),
            ' ',
            h('span', { dir: 'auto' }, chat.student.displayName),
            chat.peerRole === 'guardian'
              ? h('span', { class: 'muted' }, ' (parent of ', chat.children?.length ? namesList(chat.children) : 'no linked child', ')')
              : null,
            chat.lastMessage ? h('span', { class: 'muted' }, ' — ', bidi(preview(chat.lastMessage.messageBody))) : null))),
        h('button', { type: 'button', class: 'button small', onclick: () => this.closeEditor() }, 'Close'));
      list.focus();
    } catch (failure) {
      if (failure.status === 401) return;
      replace(list, h('p', { class: 'error-text', role: 'alert' }, api.describeError(failure)));
    }
  }

  /** Closes the open form and gives focus back to the button that opened it. */
  closeEditor() {
    const editor = this.editor;
    if (!editor) return;
    this.editor = null;
    this.render();
    this.actionButton(editor.userId, editor.kind)?.focus();
  }

  actionButton(userId, kind) {
    return this.tbody.querySelector(`tr[data-user-id="${CSS.escape(userId)}"] button[data-edit="${kind}"]`);
  }

  async saveEditor(event, user, kind, { input, error, save }) {
    event.preventDefault();
    const rename = kind === 'rename';
    const value = rename ? input.value.trim() : input.value;
    const length = [...value].length; // characters, as the server counts them
    let problem = null;
    if (rename && (length === 0 || length > MAX_NAME_CHARS)) {
      problem = `A display name needs 1 to ${MAX_NAME_CHARS} characters.`;
    } else if (!rename && length < MIN_PASSWORD_CHARS) {
      problem = `The password is too short: it needs at least ${MIN_PASSWORD_CHARS} characters.`;
    }
    const fail = (text) => {
      replace(error, text);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    };
    if (problem) {
      fail(problem);
      return;
    }
    replace(error);
    input.removeAttribute('aria-invalid');
    save.disabled = true;
    try {
      const updated = await api.updateUser(user.userId, rename ? { displayName: value } : { password: value });
      this.users = this.users.map((u) => (u.userId === updated.userId ? updated : u));
      this.context.names.set(updated.userId, updated.displayName);
      this.closeEditor();
      this.context.toast(rename
        ? [bidi(user.displayName), ' is now called ', bidi(updated.displayName), '.']
        : [bidi(updated.displayName), ' has a new password. Share it with them privately.']);
    } catch (failure) {
      save.disabled = false;
      if (failure.status === 401) return; // back at the sign-in page already
      fail(failure.status === 404 ? [bidi(user.displayName), ' no longer exists. Reload the list.'] : api.describeError(failure));
    }
  }

  async setDisabled(user, disabled) {
    try {
      const updated = await api.updateUser(user.userId, { disabled });
      this.users = this.users.map((u) => (u.userId === updated.userId ? updated : u));
      this.render();
      this.context.toast([bidi(updated.displayName), ` is ${disabled ? 'disabled' : 'enabled again'}.`]);
      this.tbody.querySelector(`tr[data-user-id="${CSS.escape(updated.userId)}"] button.toggle`)?.focus();
    } catch (error) {
      this.context.toast(api.describeError(error), 'error');
    }
  }

  async create(event) {
    event.preventDefault();
    replace(this.formStatus);
    const user = {
      userId: this.newId.value.trim(),
      displayName: this.newName.value.trim(),
      role: this.newRole.value,
      password: this.newPassword.value,
    };
    if (!user.userId || !user.displayName || [...user.password].length < MIN_PASSWORD_CHARS) {
      replace(this.formStatus, h('span', { class: 'error-text' }, `Fill in every field; the password needs at least ${MIN_PASSWORD_CHARS} characters.`));
      return;
    }
    try {
      const created = await api.createUser(user);
      this.context.names.set(created.userId, created.displayName);
      this.form.reset();
      replace(this.formStatus, bidi(created.displayName), ` (${created.userId}) can now sign in.`);
      this.load();
    } catch (error) {
      const text = error.status === 409 ? `The user ID “${user.userId}” is already taken.` : api.describeError(error);
      replace(this.formStatus, h('span', { class: 'error-text' }, text));
    }
  }
}

/** The start of a message, for a one-line preview. */
function preview(body) {
  const chars = [...body];
  return chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : body;
}

/** The id of a row's edit field (user IDs may hold '.' and '@', which ids allow). */
function editorId(user, kind) {
  return `edit-${kind}-${user.userId}`;
}
