// Admin: teacher–student links (enrolments). Linking lets the two message each other;
// unlinking keeps the conversation readable but stops new messages. Each link opens the
// read-only, audited conversation viewer. The list can be narrowed to a class or a person
// on the server (#/admin/links?classId=…&userId=…), then by name here; long lists are
// shown a few hundred rows at a time.

import * as api from '../api.js';
import { h, avatar, bidi, isolate, replace, show, formatCount, debounce } from '../dom.js';
import { ClassPicker } from './admin-classes.js';

const CONFIRM_MS = 5000;
/** Rows rendered at a time ("Show more" adds as many again). */
const ROWS = 200;

export class LinksPanel {
  constructor(context) {
    this.context = context;
    this.links = [];
    this.shown = ROWS;
    this.seq = 0;
    this.classPicker = new ClassPicker({ id: 'links-class', label: 'Class', onchange: () => this.filtersChanged() });
    const typed = debounce(() => this.filtersChanged(), 250);
    this.userFilter = h('input', {
      id: 'links-user',
      type: 'search',
      class: 'input compact',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      placeholder: 'e.g. alice.martin',
      oninput: typed,
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          typed.cancel();
          this.filtersChanged();
        }
      },
    });
    this.count = h('p', { class: 'muted result-count', role: 'status' });
    this.more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => { this.shown += ROWS; this.render(); } }, 'Show more');
    this.teacher = h('select', { id: 'link-teacher', class: 'input', required: true });
    this.student = h('select', { id: 'link-student', class: 'input', required: true });
    this.formStatus = h('p', { class: 'form-status', role: 'status' });
    this.search = h('input', { id: 'links-search', type: 'search', class: 'input compact', placeholder: 'Filter by name or ID', oninput: () => { this.shown = ROWS; this.render(); } });
    this.tbody = h('tbody');
    const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label), input);
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Links'),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'add-link-title' },
        h('h2', { id: 'add-link-title' }, 'Link a teacher and a student'),
        h(
          'form',
          { class: 'form-grid', onsubmit: (event) => this.add(event) },
          field('link-teacher', 'Teacher', this.teacher),
          field('link-student', 'Student', this.student),
          h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Link'), this.formStatus),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'links-title' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { id: 'links-title' }, 'Who can message whom'),
        ),
        h('p', { class: 'muted small-print' }, 'Opening a conversation is recorded in the audit log.'),
        h(
          'div',
          { class: 'filter-bar', role: 'search', 'aria-label': 'Find links' },
          this.classPicker.element,
          h('div', { class: 'filter-field' }, h('label', { for: 'links-user', class: 'field-label' }, 'User ID'), this.userFilter),
          h('div', { class: 'filter-field' }, h('label', { for: 'links-search', class: 'field-label' }, 'Filter links'), this.search),
        ),
        this.count,
        h(
          'table',
          { class: 'data-table links-table' },
          h('thead', {}, h('tr', {}, ['Teacher', 'Student', h('span', { class: 'sr-only' }, 'Actions')].map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody,
        ),
        this.more,
      ),
    );
  }

  /** Filters in the address replace those on show; none keeps the ones set before. */
  async show(params = new URLSearchParams()) {
    if (params.has('classId') || params.has('userId')) {
      this.classPicker.value = params.get('classId') || '';
      this.userFilter.value = params.get('userId') || '';
    }
    this.filtersChanged();
    try {
      const users = await api.listAllUsers();
      this.context.names.clear();
      for (const user of users) this.context.names.set(user.userId, user.displayName);
      this.fillSelect(this.teacher, users.filter((u) => u.role === 'teacher'), 'Choose a teacher');
      this.fillSelect(this.student, users.filter((u) => u.role === 'student'), 'Choose a student');
      this.render();
    } catch (error) {
      if (error.status !== 401) this.context.toast(api.describeError(error), 'error');
    }
  }

  filterValues() {
    return { classId: this.classPicker.value || undefined, userId: this.userFilter.value.trim() || undefined };
  }

  filtersChanged() {
    const filters = this.filterValues();
    if (window.location.hash.startsWith('#/admin/links')) {
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
      window.history.replaceState(null, '', `#/admin/links${query ? `?${query}` : ''}`);
    }
    this.loadLinks();
  }

  /** The links for the class and person filters, from the server. */
  async loadLinks() {
    const seq = ++this.seq;
    const filters = this.filterValues();
    try {
      const { links } = await api.listLinks(filters);
      if (seq !== this.seq) return;
      this.links = links;
      this.failure = null;
    } catch (error) {
      if (seq !== this.seq || error.status === 401) return;
      this.links = [];
      this.failure = error.status === 404 && filters.classId
        ? ['There is no class ', h('code', {}, filters.classId), '.']
        : api.describeError(error);
    }
    this.shown = ROWS;
    this.render();
  }

  fillSelect(select, users, prompt) {
    const current = select.value;
    replace(
      select,
      h('option', { value: '' }, prompt),
      users
        .sort((a, b) => a.displayName.localeCompare(b.displayName))
        .map((u) => h('option', { value: u.userId }, `${isolate(u.displayName)} (${u.userId})${u.disabled ? ' — disabled' : ''}`)),
    );
    select.value = current;
  }

  name(userId) {
    return this.context.names.get(userId) || userId;
  }

  render() {
    const query = this.search.value.trim().toLowerCase();
    const matching = this.links.filter((link) =>
      !query || [link.teacherId, link.studentId, this.name(link.teacherId), this.name(link.studentId)].some((s) => s.toLowerCase().includes(query)),
    );
    const filtered = Boolean(query || Object.values(this.filterValues()).some(Boolean));
    const rows = matching.slice(0, this.shown);
    show(this.more, rows.length < matching.length);
    if (this.failure) {
      replace(this.count);
      replace(this.tbody, h('tr', {}, h('td', { colspan: '3', class: 'error-text' }, this.failure)));
      return;
    }
    replace(this.count, matching.length === 0 ? '' : rows.length < matching.length
      ? `Showing ${formatCount(rows.length)} of ${formatCount(matching.length)} links.`
      : `Showing ${formatCount(matching.length)} link${matching.length === 1 ? '' : 's'}.`);
    if (matching.length === 0) {
      replace(this.tbody, h('tr', {}, h('td', { colspan: '3', class: 'muted empty-state' }, filtered ? 'No link matches.' : 'No links yet.')));
      return;
    }
    replace(this.tbody, rows.map((link) => this.row(link)));
  }

  row(link) {
    const conversationId = `${link.studentId}+${link.teacherId}`;
    const person = (id) => h('span', { class: 'name-cell' }, avatar(id, this.name(id), 'small'), h('span', {}, bidi(this.name(id)), h('span', { class: 'muted id-suffix' }, ` ${id}`)));
    const pair = `${this.name(link.teacherId)} and ${this.name(link.studentId)}`;
    const unlink = h('button', { type: 'button', class: 'button small subtle-danger', 'aria-label': `Unlink ${pair}` }, 'Unlink');
    let confirmTimer = null;
    // Two-step unlink instead of a modal confirm(): one more click, same place.
    unlink.addEventListener('click', () => {
      if (!unlink.classList.contains('confirming')) {
        unlink.classList.add('confirming');
        replace(unlink, 'Confirm unlink');
        unlink.setAttribute('aria-label', `Confirm: unlink ${pair}`);
        confirmTimer = setTimeout(() => {
          unlink.classList.remove('confirming');
          replace(unlink, 'Unlink');
          unlink.setAttribute('aria-label', `Unlink ${pair}`);
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(confirmTimer);
      this.remove(link);
    });
    return h(
      'tr',
      { dataset: { conversationId } },
      h('td', { 'data-label': 'Teacher' }, person(link.teacherId)),
      h('td', { 'data-label': 'Student' }, person(link.studentId)),
      h(
        'td',
        { class: 'actions' },
        h('a', { class: 'button small', href: `#/admin/view/${encodeURIComponent(conversationId)}`, 'aria-label': `View the conversation of ${pair}` }, 'View conversation'),
        unlink,
      ),
    );
  }

  async add(event) {
    event.preventDefault();
    const teacherId = this.teacher.value;
    const studentId = this.student.value;
    if (!teacherId || !studentId) {
      replace(this.formStatus, h('span', { class: 'error-text' }, 'Choose a teacher and a student.'));
      return;
    }
    try {
      await api.addLink(teacherId, studentId);
      replace(this.formStatus, bidi(this.name(teacherId)), ' and ', bidi(this.name(studentId)), ' can now message each other.');
      await this.loadLinks();
    } catch (error) {
      const text = error.status === 409 ? 'They are already linked.' : api.describeError(error);
      replace(this.formStatus, h('span', { class: 'error-text' }, text));
    }
  }

  async remove(link) {
    try {
      await api.removeLink(link.teacherId, link.studentId);
      this.links = this.links.filter((l) => l !== link);
      this.render();
      this.context.toast(['Unlinked ', bidi(this.name(link.teacherId)), ' and ', bidi(this.name(link.studentId)), '. Their conversation stays readable.']);
    } catch (error) {
      this.context.toast(api.describeError(error), 'error');
    }
  }
}
