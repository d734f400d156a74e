// Admin: classes. A class picker for the People and Links filters (a text field whose
// suggestions come from `GET /admin/classes?q=`, so it stays small however many classes
// the school has), and the list of classes shown on the Roster page: search, page through
// with "Show more", and open a class's members (People) or pairs (Links).

import * as api from '../api.js';
import { h, bidi, isolate, replace, show, formatCount, debounce } from '../dom.js';

const SUGGESTIONS = 20;
const PAGE = 50;

/**
 * A class field: type part of a classId or title, pick a suggestion (or type the classId)
 * and press Enter. `onchange(classId)` is called with the chosen classId, or '' when the
 * field is cleared. A title typed in full is taken as that class.
 */
export class ClassPicker {
  constructor({ id, label, onchange }) {
    this.onchange = onchange;
    this.committed = '';
    this.known = new Map(); // classId → title, of the suggestions seen
    this.suggest = debounce(() => this.loadSuggestions(), 200);
    this.list = h('datalist', { id: `${id}-options` });
    this.input = h('input', {
      id,
      type: 'search',
      class: 'input compact',
      list: `${id}-options`,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      placeholder: 'Class ID or title',
      'aria-describedby': `${id}-hint`,
      oninput: (event) => {
        // Picking a suggestion replaces the whole value: take it at once.
        if (!event.inputType || event.inputType === 'insertReplacementText' || this.input.value === '') this.commit();
        else this.suggest();
      },
      onchange: () => this.commit(),
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          this.commit();
        }
      },
    });
    this.element = h(
      'div',
      { class: 'filter-field class-picker' },
      h('label', { for: id, class: 'field-label' }, label),
      this.input,
      h('span', { id: `${id}-hint`, class: 'sr-only' }, 'Type part of a class ID or title, then choose a suggestion or press Enter.'),
      this.list,
    );
  }

  get value() {
    return this.committed;
  }

  /** Sets the field without calling `onchange` (from the page's address). */
  set value(classId) {
    this.committed = classId || '';
    this.input.value = this.committed;
  }

  titleOf(classId) {
    return this.known.get(classId);
  }

  /** The typed class: a known title becomes its classId. */
  resolve() {
    const typed = this.input.value.trim();
    if (!typed || this.known.has(typed)) return typed;
    const lower = typed.toLowerCase();
    for (const [classId, title] of this.known) if (title.toLowerCase() === lower) return classId;
    return typed;
  }

  commit() {
    const classId = this.resolve();
    if (classId !== this.input.value) this.input.value = classId;
    if (classId === this.committed) return;
    this.committed = classId;
    this.onchange(classId);
  }

  async loadSuggestions() {
    const q = this.input.value.trim();
    const seq = (this.seq = (this.seq || 0) + 1);
    try {
      const page = await api.listClasses({ q: q || undefined, limit: SUGGESTIONS });
      if (seq !== this.seq) return;
      for (const c of page.classes) this.known.set(c.classId, c.title);
      replace(this.list, page.classes.map((c) => h('option', { value: c.classId, label: isolate(c.title) })));
    } catch {
      // Suggestions are a convenience: a classId typed in full still filters.
    }
  }
}

/** The list of classes, searchable, "Show more" at a time. */
export class ClassesList {
  constructor(context) {
    this.context = context;
    this.classes = [];
    this.hasMore = false;
    this.nextAfter = undefined;
    this.seq = 0;
    const typed = debounce(() => this.load(), 250);
    this.search = h('input', {
      id: 'classes-search',
      type: 'search',
      class: 'input compact',
      placeholder: 'Class ID or title',
      autocomplete: 'off',
      oninput: typed,
      onkeydown: (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          typed.cancel();
          this.load();
        }
      },
    });
    this.count = h('p', { class: 'muted result-count', role: 'status' });
    this.tbody = h('tbody');
    this.more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => this.load(true) }, 'Show more');
    this.element = h(
      'section',
      { class: 'card classes-card', 'aria-labelledby': 'classes-title' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { id: 'classes-title' }, 'Classes'),
        h('label', { for: 'classes-search', class: 'inline-label' }, 'Search classes', this.search),
      ),
      this.count,
      h(
        'table',
        { class: 'data-table classes-table' },
        h('thead', {}, h('tr', {}, ['Class', 'Teachers', 'Students', h('span', { class: 'sr-only' }, 'Actions')].map((c) => h('th', { scope: 'col' }, c)))),
        this.tbody,
      ),
      this.more,
    );
  }

  show() {
    this.load();
  }

  async load(more = false) {
    const seq = ++this.seq;
    const q = this.search.value.trim() || undefined;
    try {
      const page = await api.listClasses({ q, after: more ? this.nextAfter : undefined, limit: PAGE });
      if (seq !== this.seq) return; // a newer search answered first, or will
      this.classes = more ? [...this.classes, ...page.classes] : page.classes;
      this.hasMore = page.hasMore;
      this.nextAfter = page.nextAfter ?? page.classes[page.classes.length - 1]?.classId ?? this.nextAfter;
      this.render();
    } catch (error) {
      if (seq !== this.seq || error.status === 401) return;
      this.classes = [];
      this.hasMore = false;
      show(this.more, false);
      replace(this.count);
      const text = error.status === 404 ? 'This server does not list classes yet.' : api.describeError(error);
      replace(this.tbody, h('tr', {}, h('td', { colspan: '4', class: 'muted' }, text)));
    }
  }

  render() {
    show(this.more, this.hasMore);
    const n = this.classes.length;
    replace(this.count, n === 0 && !this.hasMore ? '' : `Showing ${formatCount(n)} class${n === 1 ? '' : 'es'}${this.hasMore ? '; more to load' : ''}.`);
    if (n === 0) {
      const text = this.search.value.trim()
        ? (this.hasMore ? 'No class matches yet; show more to keep searching.' : 'No class matches.')
        : 'No classes yet. Import the roster to add them.';
      replace(this.tbody, h('tr', {}, h('td', { colspan: '4', class: 'muted' }, text)));
      return;
    }
    replace(this.tbody, this.classes.map((c) => this.row(c)));
  }

  row(c) {
    const name = (id) => this.context.names.get(id);
    const teachers = c.teacherIds.length
      ? c.teacherIds.map((id, i) => [i ? ', ' : '', name(id) ? bidi(name(id)) : '', h('span', { class: 'muted id-suffix' }, ` ${id}`)])
      : h('span', { class: 'muted' }, 'No teacher');
    const id = encodeURIComponent(c.classId);
    return h(
      'tr',
      { dataset: { classId: c.classId } },
      h('td', { 'data-label': 'Class' }, h('span', { class: 'class-cell' }, h('bdi', { class: 'class-title' }, c.title), ' ', h('code', {}, c.classId))),
      h('td', { 'data-label': 'Teachers' }, teachers),
      h('td', { 'data-label': 'Students' }, formatCount(c.studentCount)),
      h(
        'td',
        { class: 'actions' },
        // "Members" and "Pairs", not "People" and "Links": the tabs keep those names.
        h('a', { class: 'button small', href: `#/admin/users?classId=${id}`, 'aria-label': `Members of ${c.title}`, title: 'Its teachers and students, on the People page' }, 'Members'),
        h('a', { class: 'button small', href: `#/admin/links?classId=${id}`, 'aria-label': `Pairs of ${c.title}`, title: 'Its teacher–student links, on the Links page' }, 'Pairs'),
      ),
    );
  }
}
