// Notification hours: the editor of a schedule {timeZone, hours: [{days, from, to}]}, used
// for a teacher's own office hours and, by the school office, for the hours of students
// and guardians. Outside the hours nobody is notified; messages still arrive, and their
// notification waits until the hours start again.
//
// The server checks a schedule (days, times from 00:00 to 24:00, from before to, 1–14
// entries) and its message is shown as it is, so the rules live in one place. The editor
// only reads the fields: a time field cannot hold 24:00, so "To 00:00" means midnight.

import * as api from '../api.js';
import { h, replace, show } from '../dom.js';

/** [value, short label, full name], Monday first as schools' weeks are. */
export const DAYS = [
  ['mon', 'Mon', 'Monday'],
  ['tue', 'Tue', 'Tuesday'],
  ['wed', 'Wed', 'Wednesday'],
  ['thu', 'Thu', 'Thursday'],
  ['fri', 'Fri', 'Friday'],
  ['sat', 'Sat', 'Saturday'],
  ['sun', 'Sun', 'Sunday'],
];
const MAX_ENTRIES = 14;
const NEW_ENTRY = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '16:00' };

/** The browser's time zone, the default for new hours. */
export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Every time zone the browser knows (UTC first), plus `extra` if it knows it not. */
function timeZones(extra) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [browserTimeZone()];
  }
  return [...new Set(['UTC', ...zones, ...(extra ? [extra] : [])])];
}

/** "Mon–Fri", "Mon, Wed, Fri", "Sat–Sun": runs of three or more days are ranges. */
function daysText(days) {
  const indexes = DAYS.map(([value], i) => (days.includes(value) ? i : -1)).filter((i) => i >= 0);
  const runs = [];
  for (const i of indexes) {
    const run = runs[runs.length - 1];
    if (run && run[1] === i - 1) run[1] = i;
    else runs.push([i, i]);
  }
  return runs
    .flatMap(([a, b]) => (b - a >= 2 ? [`${DAYS[a][1]}–${DAYS[b][1]}`] : DAYS.slice(a, b + 1).map((d) => d[1])))
    .join(', ');
}

/** "Mon–Fri 08:00–16:00; Sat 09:00–12:00 (Europe/London)", or null for no schedule. */
export function describeSchedule(schedule) {
  if (!schedule?.hours?.length) return null;
  const entries = schedule.hours.map((entry) => `${daysText(entry.days)} ${entry.from}–${entry.to}`);
  return `${entries.join('; ')} (${schedule.timeZone})`;
}

let editorCount = 0;

export class ScheduleEditor {
  /**
   * @param {object} options
   * @param {string} options.label        what the hours are, e.g. "Office hours"
   * @param {string} options.anyTime      said when there are none ("You are notified at any time.")
   * @param {string} options.clearLabel   the button that removes them
   * @param {(schedule: object|null) => Promise<object|null>} options.onSave
   *   saves the schedule (null: none) and answers it as the server now has it
   */
  constructor({ label, anyTime, clearLabel, onSave }) {
    editorCount += 1;
    this.id = `schedule-${editorCount}`;
    this.label = label;
    this.anyTime = anyTime;
    this.onSave = onSave;
    this.saved = null;
    this.entryCount = 0;
    this.current = h('p', { class: 'schedule-current' });
    this.zone = h('select', { id: `${this.id}-zone`, class: 'input compact schedule-zone' });
    this.entries = h('div', { class: 'schedule-entries' });
    this.addButton = h('button', { type: 'button', class: 'button small', onclick: () => this.addEntry(NEW_ENTRY, true) },
      h('span', { class: 'plus', 'aria-hidden': 'true' }, '+'), ' Add hours');
    this.saveButton = h('button', { type: 'submit', class: 'button primary' }, `Save ${label.toLowerCase()}`);
    this.clearButton = h('button', { type: 'button', class: 'button', onclick: () => this.save(null) }, clearLabel);
    this.status = h('p', { class: 'form-status', role: 'status' });
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.element = h(
      'form',
      { class: 'schedule-editor', 'aria-label': label, noValidate: true, onsubmit: (event) => this.submit(event) },
      this.current,
      h('label', { for: this.zone.id, class: 'field-label' }, 'Time zone'),
      this.zone,
      this.entries,
      this.addButton,
      h('p', { class: 'field-hint' }, 'A “To” time of 00:00 (12:00 AM) means midnight, the end of the day.'),
      this.error,
      h('div', { class: 'form-actions' }, this.saveButton, this.clearButton, this.status),
    );
    this.set(null);
  }

  /** Shows `schedule` (as saved; null: none) in the fields. */
  set(schedule) {
    this.saved = schedule?.hours?.length ? schedule : null;
    const zone = this.saved?.timeZone || browserTimeZone();
    replace(this.zone, timeZones(zone).map((name) => h('option', { value: name, selected: name === zone }, name.replace(/_/g, ' '))));
    this.zone.value = zone;
    replace(this.entries);
    this.entryCount = 0;
    for (const entry of this.saved?.hours || [NEW_ENTRY]) this.addEntry(entry, false);
    replace(this.current, this.saved
      ? [h('strong', {}, `${this.label}: `), describeSchedule(this.saved)]
      : [h('strong', {}, `No ${this.label.toLowerCase()}. `), this.anyTime]);
    show(this.clearButton, Boolean(this.saved));
  }

  setDisabled(disabled) {
    for (const control of this.element.querySelectorAll('input, select, button')) control.disabled = disabled;
  }

  /** One entry: days, from and to, in a fieldset named "Hours 1", "Hours 2"… */
  addEntry(entry, focus) {
    const n = this.entryCount + 1;
    this.entryCount = n;
    const prefix = `${this.id}-${n}`;
    const days = DAYS.map(([value, short, full]) => h(
      'label',
      { class: 'day-box' },
      h('input', { type: 'checkbox', name: 'day', value, checked: entry.days.includes(value) }),
      h('span', { 'aria-hidden': 'true' }, short),
      h('span', { class: 'sr-only' }, full),
    ));
    const time = (which, label, value) => h(
      'div',
      { class: 'time-field' },
      h('label', { for: `${prefix}-${which}`, class: 'field-label' }, label),
      h('input', { id: `${prefix}-${which}`, name: which, type: 'time', class: 'input compact', required: true, value: value === '24:00' ? '00:00' : value }),
    );
    const fieldset = h(
      'fieldset',
      { class: 'schedule-entry' },
      h('legend', {}, `Hours ${n}`),
      h('div', { class: 'day-boxes', role: 'group', 'aria-label': 'Days' }, days),
      h('div', { class: 'time-fields' }, time('from', 'From', entry.from), time('to', 'To', entry.to)),
      h('button', {
        type: 'button',
        class: 'button small ghost subtle-danger remove-entry',
        'aria-label': `Remove hours ${n}`,
        onclick: () => this.removeEntry(fieldset),
      }, 'Remove'),
    );
    this.entries.append(fieldset);
    this.renumber();
    if (focus) fieldset.querySelector('input')?.focus();
  }

  removeEntry(fieldset) {
    fieldset.remove();
    this.renumber();
    this.entries.querySelector('input')?.focus();
  }

  /** Keeps the legends 1…n after a removal, and at least one entry. */
  renumber() {
    const all = [...this.entries.children];
    all.forEach((fieldset, i) => {
      fieldset.querySelector('legend').textContent = `Hours ${i + 1}`;
      const remove = fieldset.querySelector('.remove-entry');
      remove.setAttribute('aria-label', `Remove hours ${i + 1}`);
      show(remove, all.length > 1);
    });
    show(this.addButton, all.length < MAX_ENTRIES);
  }

  /** The schedule in the fields, or a sentence saying what is missing. */
  read() {
    const hours = [];
    for (const [i, fieldset] of [...this.entries.children].entries()) {
      const days = [...fieldset.querySelectorAll('input[name="day"]:checked')].map((box) => box.value);
      const from = fieldset.querySelector('input[name="from"]').value.slice(0, 5);
      let to = fieldset.querySelector('input[name="to"]').value.slice(0, 5);
      if (!from || !to) return { problem: `Hours ${i + 1}: enter both times, as hours and minutes.` };
      if (to === '00:00') to = '24:00';
      hours.push({ days, from, to });
    }
    return { schedule: { timeZone: this.zone.value, hours } };
  }

  submit(event) {
    event.preventDefault();
    const { schedule, problem } = this.read();
    if (problem) {
      this.fail(problem);
      return;
    }
    this.save(schedule);
  }

  async save(schedule) {
    replace(this.status, 'Saving…');
    show(this.error, false);
    this.setDisabled(true);
    try {
      const saved = await this.onSave(schedule);
      this.setDisabled(false);
      this.set(saved);
      replace(this.status, saved ? 'Saved.' : `Cleared. ${this.anyTime}`);
    } catch (error) {
      this.setDisabled(false);
      if (error.status === 401) return; // back at the sign-in page
      this.fail(`Not saved. ${api.describeError(error)}`);
    }
  }

  fail(message) {
    replace(this.status);
    replace(this.error, message);
    show(this.error, true);
    this.error.scrollIntoView?.({ block: 'nearest' });
  }
}
