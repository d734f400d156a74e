// Admin: families and the school's settings. A guardian (a parent or carer, role
// `guardian`) linked to a student may message each teacher of that student, in their own
// conversation with the teacher; removing the link keeps those conversations readable but
// stops new messages. The list can be narrowed to one person on the server
// (#/admin/families?userId=…), then by name here. Whether guardians may read (never
// write) their children's conversations is a school setting (admin-settings.js).

import * as api from '../api.js';
import { h, avatar, bidi, isolate, replace, show, formatCount, debounce } from '../dom.js';

const CONFIRM_MS = 5000;
/** Rows rendered at a time ("Show more" adds as many again). */
const ROWS = 200;

export class FamiliesPanel {
  constructor(context) {
    this.context = context;
    this.links = [];
    this.shown = ROWS;
    this.seq = 0;
    const typed = debounce(() => this.filtersChanged(), 250);
    this.userFilter = h('input', {
      id: 'families-user',
      type: 'search',
      class: 'input compact',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      placeholder: 'e.g. sam.lee',
      oninput: typed,
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          typed.cancel();
          this.filtersChanged();
        }
      },
    });
    this.search = h('input', {
      id: 'families-search',
      type: 'search',
      class: 'input compact',
      placeholder: 'Filter by name or ID',
      oninput: () => {
        this.shown = ROWS;
        this.render();
      },
    });
    this.count = h('p', { class: 'muted result-count', role: 'status' });
    this.more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => { this.shown += ROWS; this.render(); } }, 'Show more');
    this.guardian = h('select', { id: 'family-guardian', class: 'input', required: true });
    this.student = h('select', { id: 'family-student', class: 'input', required: true });
    this.formStatus = h('p', { class: 'form-status', role: 'status' });
    this.tbody = h('tbody');
    const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label), input);
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Families'),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'add-family-title' },
        h('h2', { id: 'add-family-title' }, 'Make someone a guardian of a student'),
        h('p', { class: 'muted card-intro' }, 'A guardian (a parent or carer) can then message each teacher of the student. Add people with the role “Guardian” on the People page first.'),
        h(
          'form',
          { class: 'form-grid', onsubmit: (event) => this.add(event) },
          field('family-guardian', 'Guardian', this.guardian),
          field('family-student', 'Student', this.student),
          h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Add guardian'), this.formStatus),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'families-title' },
        h('div', { class: 'card-head' }, h('h2', { id: 'families-title' }, 'Guardians and their children')),
        h(
          'div',
          { class: 'filter-bar', role: 'search', 'aria-label': 'Find guardians' },
          h('div', { class: 'filter-field' }, h('label', { for: 'families-user', class: 'field-label' }, 'User ID'), this.userFilter),
          h('div', { class: 'filter-field' }, h('label', { for: 'families-search', class: 'field-label' }, 'Filter guardians'), this.search),
        ),
        this.count,
        h(
          'table',
          { class: 'data-table families-table' },
          h('thead', {}, h('tr', {}, ['Guardian', 'Student', h('span', { class: 'sr-only' }, 'Actions')].map((c) => h('th', { scope: 'col' }, c)))),
          this.tbody,
        ),
        this.more,
      ),
    );
  }

  /** A user in the address replaces the one on show; none keeps the one set before. */
  async show(params = new URLSearchParams()) {
    if (params.has('userId')) this.userFilter.value = params.get('userId') || '';
    this.filtersChanged();
    try {
      const users = await api.listAllUsers();
      this.context.names.clear();
      for (const user of users) this.context.names.set(user.userId, user.displayName);
      this.fillSelect(this.guardian, users.filter((u) => u.role === 'guardian'), 'Choose a guardian');
      this.fillSelect(this.student, users.filter((u) => u.role === 'student'), 'Choose a student');
      this.render();
    } catch (error) {
      if (error.status !== 401) this.context.toast(api.describeError(error), 'error');
    }
  }

  filterValues() {
    return { userId: this.userFilter.value.trim() || undefined };
  }

  filtersChanged() {
    const filters = this.filterValues();
    if (window.location.hash.startsWith('#/admin/families')) {
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
      window.history.replaceState(null, '', `#/admin/families${query ? `?${query}` : ''}`);
    }
    this.load();
  }

  async load() {
    const seq = ++this.seq;
    try {
      const { guardians } = await api.listGuardians(this.filterValues());
      if (seq !== this.seq) return;
      this.links = guardians;
      this.failure = null;
    } catch (error) {
      if (seq !== this.seq || error.status === 401) return;
      this.links = [];
      this.failure = api.describeError(error);
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
      !query || [link.guardianId, link.studentId, this.name(link.guardianId), this.name(link.studentId)].some((s) => s.toLowerCase().includes(query)),
    );
    const filtered = Boolean(query || this.filterValues().userId);
    const rows = matching.slice(0, this.shown);
    show(this.more, rows.length < matching.length);
    if (this.failure) {
      replace(this.count);
      replace(this.tbody, h('tr', {}, h('td', { colspan: '3', class: 'error-text' }, this.failure)));
      return;
    }
    replace(this.count, matching.length === 0 ? '' : rows.length < matching.length
      ? `Showing ${formatCount(rows.length)} of ${formatCount(matching.length)} guardian links.`
      : `Showing ${formatCount(matching.length)} guardian link${matching.length === 1 ? '' : 's'}.`);
    if (matching.length === 0) {
      replace(this.tbody, h('tr', {}, h('td', { colspan: '3', class: 'muted empty-state' }, filtered ? 'No guardian link matches.' : 'No guardians yet.')));
      return;
    }
    replace(this.tbody, rows.map((link) => this.row(link)));
  }

  row(link) {
    const person = (id) => h('span', { class: 'name-cell' }, avatar(id, this.name(id), 'small'), h('span', {}, bidi(this.name(id)), h('span', { class: 'muted id-suffix' }, ` ${id}`)));
    const pair = `${this.name(link.guardianId)} as guardian of ${this.name(link.studentId)}`;
    const remove = h('button', { type: 'button', class: 'button small subtle-danger', 'aria-label': `Remove ${pair}` }, 'Remove');
    let confirmTimer = null;
    // Two steps instead of a modal confirm(): one more click, same place.
    remove.addEventListener('click', () => {
      if (!remove.classList.contains('confirming')) {
        remove.classList.add('confirming');
        replace(remove, 'Confirm removal');
        remove.setAttribute('aria-label', `Confirm: remove ${pair}`);
        confirmTimer = setTimeout(() => {
          remove.classList.remove('confirming');
          replace(remove, 'Remove');
          remove.setAttribute('aria-label', `Remove ${pair}`);
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(confirmTimer);
      this.remove(link);
    });
    return h(
      'tr',
      { dataset: { guardianId: link.guardianId, studentId: link.studentId } },
      h('td', { 'data-label': 'Guardian' }, person(link.guardianId)),
      h('td', { 'data-label': 'Student' }, person(link.studentId)),
      h('td', { class: 'actions' }, remove),
    );
  }

  async add(event) {
    event.preventDefault();
    const guardianId = this.guardian.value;
    const studentId = this.student.value;
    if (!guardianId || !studentId) {
      replace(this.formStatus, h('span', { class: 'error-text' }, 'Choose a guardian and a student.'));
      return;
    }
    try {
      await api.addGuardian(guardianId, studentId);
      replace(this.formStatus, bidi(this.name(guardianId)), ' can now message the teachers of ', bidi(this.name(studentId)), '.');
      await this.load();
    } catch (error) {
      let text;
      if (error.status === 409) text = 'They are already this student’s guardian.';
      else if (error.status === 422) text = 'Only a guardian can be linked to a student here. Check both roles on the People page.';
      else if (error.status === 404) text = 'One of them no longer exists. Reload the page.';
      else text = api.describeError(error);
      replace(this.formStatus, h('span', { class: 'error-text' }, text));
    }
  }

  async remove(link) {
    try {
      await api.removeGuardian(link.guardianId, link.studentId);
      this.links = this.links.filter((l) => l !== link);
      this.render();
      this.context.toast([bidi(this.name(link.guardianId)), ' is no longer a guardian of ', bidi(this.name(link.studentId)), '. Their conversations stay readable.']);
    } catch (error) {
      if (error.status === 404) {
        this.load();
        return;
      }
      this.context.toast(api.describeError(error), 'error');
    }
  }
}
