// Admin: the roster. The school's student information system exports a OneRoster CSV
// bundle (a .zip); "Preview changes" uploads it as a dry run and shows the diff (nothing is
// written), "Apply changes" uploads the same file again for real and shows what was done.
// A refused bundle lists every problem with its file, line and column. Below, the
// school's classes (admin-classes.js), each opening its people or its links.

import * as api from '../api.js';
import { h, bidi, replace, show, formatCount } from '../dom.js';
import { ClassesList } from './admin-classes.js';

/** The server's limit on an upload (`ROSTER_BODY_LIMIT`). */
const MAX_UPLOAD_BYTES = 32 << 20;
/** Entries shown per list; the rest are counted ("and 12 more"). */
const LIST_CAP = 50;
/** Member ids shown inline for a class change. */
const IDS_CAP = 8;

/** The counts, in the order shown. */
const COUNTS = [
  ['usersCreated', 'Users created'],
  ['usersUpdated', 'Users changed'],
  ['usersDisabled', 'Users disabled'],
  ['classesCreated', 'Classes created'],
  ['classesUpdated', 'Classes changed'],
  ['classesDeleted', 'Classes deleted'],
  ['linksAdded', 'Links added'],
  ['linksRemoved', 'Links removed'],
  ['guardiansAdded', 'Guardian links added'],
  ['guardiansRemoved', 'Guardian links removed'],
  ['skipped', 'Rows skipped'],
];

export class RosterPanel {
  constructor(context) {
    this.context = context;
    this.previewed = null; // the File whose preview is on show, until another is chosen
    this.busy = false;
    this.file = h('input', {
      id: 'roster-file',
      type: 'file',
      class: 'input file-input',
      accept: '.zip,application/zip',
      'aria-describedby': 'roster-file-hint',
      onchange: () => this.chosen(),
    });
    this.previewButton = h('button', { type: 'submit', class: 'button primary' }, 'Preview changes');
    this.applyButton = h('button', { type: 'button', class: 'button', disabled: true, onclick: () => this.upload(false) }, 'Apply changes');
    this.status = h('p', { class: 'form-status roster-status', role: 'status' });
    this.error = h('div', { class: 'form-error roster-error', role: 'alert', hidden: true });
    this.result = h('section', { class: 'card roster-result', 'aria-labelledby': 'roster-result-title', hidden: true });
    this.classes = new ClassesList(context);
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Roster'),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'roster-upload-title' },
        h('h2', { id: 'roster-upload-title' }, 'Import from your student information system'),
        h('p', { class: 'muted roster-intro' },
          'Upload the OneRoster CSV export as a .zip. Preview shows what would change and writes nothing; ',
          'apply it once the changes look right. Accounts absent from the export are disabled, never deleted, ',
          'and links added here by hand are kept. Parents and guardians get guardian accounts, linked to the ',
          'children the export names for them (agentSourcedIds).'),
        h(
          'form',
          { class: 'roster-form', onsubmit: (event) => { event.preventDefault(); this.upload(true); } },
          h('label', { for: 'roster-file', class: 'field-label' }, 'OneRoster bundle (.zip)'),
          this.file,
          h('p', { id: 'roster-file-hint', class: 'field-hint' }, 'At most 32 MiB. New accounts have no password: their owners sign in the first time with a one-time code from the office.'),
          h('div', { class: 'form-actions' }, this.previewButton, this.applyButton, this.status),
        ),
        this.error,
      ),
      this.result,
      this.classes.element,
    );
  }

  show() {
    this.classes.show();
  }

  /** A new file: what was shown belonged to the previous one. */
  chosen() {
    this.previewed = null;
    this.applyButton.disabled = true;
    replace(this.status);
    this.clearError();
    show(this.result, false);
  }

  clearError() {
    replace(this.error);
    show(this.error, false);
  }

  fail(...content) {
    replace(this.error, ...content);
    show(this.error, true);
  }

  setBusy(busy, text = '') {
    this.busy = busy;
    this.previewButton.disabled = busy;
    this.applyButton.disabled = busy || !this.previewed || this.previewed !== this.file.files[0];
    this.file.disabled = busy;
    replace(this.status, busy ? [h('span', { class: 'spinner', 'aria-hidden': 'true' }), text] : text);
  }

  async upload(dryRun) {
    if (this.busy) return;
    const file = this.file.files[0];
    this.clearError();
    if (!file) {
      this.fail('Choose the .zip file your student information system exported.');
      this.file.focus();
      return;
    }
    if (!/\.zip$/i.test(file.name)) {
      this.fail('Choose a .zip file: the OneRoster CSV files, zipped.');
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      this.fail('This file is too large: an upload may be at most 32 MiB.');
      return;
    }
    this.setBusy(true, dryRun ? 'Checking the bundle…' : 'Applying the changes…');
    let report;
    try {
      report = await api.importRoster(file, dryRun);
    } catch (error) {
      this.setBusy(false);
      if (error.status === 401) return; // back at the sign-in page already
      this.refused(error, file);
      return;
    }
    this.previewed = dryRun ? file : null;
    this.setBusy(false, dryRun ? '' : 'Done.');
    this.showReport(report, file);
    if (!dryRun) {
      this.applyButton.disabled = true;
      this.context.toast(report.applied ? ['Roster imported: ', report.summary] : 'The roster was already up to date.');
      this.context.refreshNames().catch(() => {}).finally(() => this.classes.show());
    }
  }

  refused(error, file) {
    show(this.result, false);
    this.previewed = null;
    this.applyButton.disabled = true;
    if (error.code === 'invalid_roster' && error.problems?.length) {
      const count = error.problems.length;
      this.fail(
        h('p', { class: 'roster-error-title' }, h('strong', {}, 'This bundle was refused; nothing was written. '),
          `Fix ${count === 1 ? 'this problem' : `these ${formatCount(count)} problems`} in the export of `, bidi(file.name), ', then try again:'),
        h('ul', { class: 'problem-list' }, error.problems.map((problem) => h('li', { dataset: { file: problem.file, line: problem.line ?? '' } }, located(problem)))),
      );
      return;
    }
    this.fail(describeRosterError(error));
  }

  // --- The diff --------------------------------------------------------------------------

  showReport(report, file) {
    const title = report.dryRun
      ? 'Preview: nothing has been written yet'
      : report.applied ? 'Applied' : 'Nothing to change';
    const note = report.dryRun
      ? ['This is what applying ', bidi(file.name), ' would change. Check it, then choose “Apply changes”.']
      : report.applied
        ? ['These changes are now in place. The import is recorded in the audit log.']
        : ['The school already matches ', bidi(file.name), '; nothing was written.'];
    const counts = report.counts || {};
    replace(
      this.result,
      h('div', { class: 'card-head' }, h('h2', { id: 'roster-result-title', tabindex: '-1' }, title)),
      h('p', { class: 'muted' }, note),
      h('p', { class: 'roster-summary' }, h('span', { class: 'sr-only' }, 'Summary: '), h('code', {}, report.summary)),
      h('dl', { class: 'roster-counts' }, COUNTS.map(([key, label]) => h(
        'div',
        { class: `roster-count${counts[key] ? ' nonzero' : ''}`, dataset: { count: key } },
        h('dt', {}, label),
        h('dd', {}, formatCount(counts[key] ?? 0)),
      ))),
      this.lists(report),
    );
    show(this.result, true);
    this.result.querySelector('h2').focus();
  }

  lists(report) {
    const users = report.users || {};
    const classes = report.classes || {};
    const links = report.links || {};
    const guardians = report.guardians || {};
    return [
      list('warnings', 'Warnings', report.warnings, located, { open: true }),
      list('users-created', 'Users created', users.created, (u) => [
        bidi(u.displayName), ' ', h('code', {}, u.userId), ` · ${u.role}`, u.disabled ? ' · disabled' : '',
      ]),
      list('users-updated', 'Users changed', users.updated, userChange),
      list('classes-created', 'Classes created', classes.created, classLine),
      list('classes-updated', 'Classes changed', classes.updated, classChange),
      list('classes-deleted', 'Classes deleted', classes.deleted, classLine),
      list('links-added', 'Links added', links.added, linkLine),
      list('links-removed', 'Links removed', links.removed, linkLine),
      list('guardians-added', 'Guardian links added', guardians.added, guardianLine),
      list('guardians-removed', 'Guardian links removed', guardians.removed, guardianLine),
      list('skipped', 'Rows skipped', report.skipped, (s) => [
        h('span', { class: 'problem-place' }, `${s.file} line ${s.line}`), ': ', h('code', {}, s.sourcedId), ' — ', bidi(s.reason),
      ]),
    ];
  }
}

/**
 * One list of the diff as a disclosure: "Users created (43)", at most LIST_CAP entries,
 * then "and N more". Empty lists are left out.
 */
function list(id, label, items, render, { open = false } = {}) {
  if (!items?.length) return null;
  const shown = items.slice(0, LIST_CAP);
  const rest = items.length - shown.length;
  return h(
    'details',
    { class: 'roster-list', dataset: { list: id }, open },
    h('summary', {}, `${label} (${formatCount(items.length)})`),
    h('ul', {}, shown.map((item) => h('li', {}, render(item)))),
    rest > 0 && h('p', { class: 'muted more-note' }, `and ${formatCount(rest)} more`),
  );
}

/** "users.csv line 7, column username: message". */
function located(problem) {
  let place = problem.file;
  if (problem.line !== undefined && problem.line !== null) place += ` line ${problem.line}`;
  if (problem.column) place += `, column ${problem.column}`;
  return [h('span', { class: 'problem-place' }, bidi(place)), ': ', bidi(problem.message)];
}

function userChange(u) {
  const parts = [];
  if (u.displayName) parts.push(['name ', bidi(u.displayName.from), ' → ', bidi(u.displayName.to)]);
  if (u.role) parts.push(`role ${u.role.from} → ${u.role.to}`);
  if (u.disabled) parts.push(u.disabled.to ? 'disabled' : 'enabled again');
  return [h('code', {}, u.userId), ': ', parts.length ? parts.flatMap((part, i) => (i ? ['; ', part] : [part])) : 'no visible change'];
}

function classLine(c) {
  const teachers = c.teachers?.length ? [' · taught by ', ids(c.teachers)] : ' · no teacher';
  return [bidi(c.title), ' ', h('code', {}, c.classId), teachers, ` · ${plural(c.students?.length ?? 0, 'student')}`];
}

function classChange(c) {
  const parts = [];
  if (c.previousTitle) parts.push(['renamed from ', bidi(c.previousTitle)]);
  const members = [
    [c.teachersAdded, 'teacher', 'joining'],
    [c.teachersRemoved, 'teacher', 'leaving'],
    [c.studentsAdded, 'student', 'joining'],
    [c.studentsRemoved, 'student', 'leaving'],
  ];
  for (const [list, kind, what] of members) {
    if (list?.length) parts.push([`${plural(list.length, kind)} ${what}: `, ids(list)]);
  }
  return [bidi(c.title), ' ', h('code', {}, c.classId), ': ', parts.length ? parts.flatMap((part, i) => (i ? ['; ', part] : [part])) : 'no visible change'];
}

function linkLine(link) {
  return [h('code', {}, link.teacherId), ' and ', h('code', {}, link.studentId)];
}

/** "family.1 guardian of student.00001". */
function guardianLine(link) {
  return [h('code', {}, link.guardianId), ' guardian of ', h('code', {}, link.studentId)];
}

/** A few user ids, then "and N more". */
function ids(list) {
  const shown = list.slice(0, IDS_CAP).join(', ');
  return list.length > IDS_CAP ? `${shown} and ${formatCount(list.length - IDS_CAP)} more` : shown;
}

function plural(n, noun) {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** What went wrong, plainly, for everything but a refused bundle. */
function describeRosterError(error) {
  switch (error.code) {
    case 'rate_limited':
      return 'Too many roster uploads in a short time. Wait half a minute, then try again.';
    case 'busy':
      return 'Another roster upload is being checked right now. Try again in a moment.';
    case 'unavailable':
      return 'The database is not available right now. Try again in a moment.';
    case 'payload_too_large':
      return 'This file is too large: an upload may be at most 32 MiB.';
    case 'unsupported_media_type':
      return 'The server did not take this file as a zip. Choose the .zip file of the export.';
    case 'conflict':
      return 'The school’s data changed while the import ran. Run it again.';
    case 'invalid_roster':
      return `This bundle was refused; nothing was written. ${error.message}`;
    default:
      return api.describeError(error);
  }
}
