// "Export" for the school office: one person's or one conversation's history as JSON Lines,
// CSV (for a spreadsheet) or a printable HTML transcript (which the browser saves as PDF).
// The export routes need the session's token, which a plain link cannot send, so each
// choice fetches the file (api.downloadExport) and saves it through an object URL. The
// server records every export in the audit log.

import * as api from '../api.js';
import { h, replace } from '../dom.js';

const FORMATS = [
  { format: 'jsonl', label: 'JSON Lines' },
  { format: 'csv', label: 'CSV (spreadsheet)' },
  { format: 'html', label: 'Printable HTML' },
];

/** How long an object URL outlives its click: long enough for the download to start. */
const REVOKE_AFTER_MS = 60_000;

/** Saves `blob` as `filename`, as the browser's own download. */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/** An "Export" button that opens the three formats (`element`). */
export class ExportMenu {
  /**
   * @param {object} options
   * @param {'user'|'conversation'} options.kind
   * @param {string} options.id  the userId or conversationId
   * @param {string} options.label  what is exported, for screen readers ("Alice Martin’s history")
   * @param {(text: *, kind?: string) => void} options.toast
   */
  constructor({ kind, id, label, toast }) {
    this.kind = kind;
    this.id = id;
    this.toast = toast;
    this.buttons = FORMATS.map(({ format, label: name }) => h('button', {
      type: 'button',
      class: 'menu-item',
      dataset: { format },
      onclick: () => this.download(format),
    }, name));
    this.status = h('p', { class: 'export-status', role: 'status' });
    this.element = h(
      'details',
      { class: 'export-menu', dataset: { exportKind: kind } },
      h('summary', { class: 'button small', 'aria-label': `Export ${label}` }, 'Export'),
      h('div', { class: 'export-choices', role: 'group', 'aria-label': `Export ${label} as` },
        this.buttons,
        h('p', { class: 'export-note muted' }, 'Everything, removed and edited messages included. Recorded in the audit log.'),
        this.status),
    );
  }

  async download(format) {
    for (const button of this.buttons) button.disabled = true;
    replace(this.status, 'Preparing the file…');
    try {
      const { blob, filename } = await api.downloadExport(this.kind, this.id, format);
      saveFile(blob, filename);
      replace(this.status, `Downloaded ${filename}.`);
    } catch (error) {
      replace(this.status);
      if (error.status !== 401) this.toast(`Not exported. ${api.describeError(error)}`, 'error');
    } finally {
      for (const button of this.buttons) button.disabled = false;
    }
  }
}
