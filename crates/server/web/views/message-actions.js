// What one can do with a message in one's own conversation, behind a small "⋯" button on
// each message: "Report" on the other participant's, "Edit" and "Remove" on one's own.
// Edit is offered for 15 minutes after sending, the default of the school's window (the
// client is not told the school's setting); a refusal after all shows the server's reason.
// Remove asks first. Nothing is deleted silently: the other side sees "(edited)" or
// "Message removed", and the school keeps what was there, which both panels say.
//
// One menu, editor or confirmation is open at a time. It lives here, not in the message's
// element, because a live update (a read receipt, say) rebuilds that element: the view
// asks `signature` whether a message's actions changed, and `panel` rebuilds them with the
// text being edited and keyboard focus kept.

import * as api from '../api.js';
import { h, bidi } from '../dom.js';
import { MAX_MESSAGE_CHARS, messageLength } from './composer.js';

/** Edits are offered this long after sending: the school's default window. */
export const EDIT_WINDOW_MS = 15 * 60 * 1000;

export class MessageActions {
  /**
   * @param {object} options
   * @param {string} options.me  the signed-in user's id
   * @param {string} options.peerName  the other participant
   * @param {(message: object, body: string) => Promise<unknown>} options.onEdit
   * @param {(message: object) => Promise<unknown>} options.onRemove
   * @param {(message: object, returnTo: HTMLElement) => void} options.onReport
   * @param {() => void} options.onChange  re-renders the messages
   * @param {(messageId: string) => HTMLElement|null} options.row  a message's element
   */
  constructor(options) {
    this.options = options;
    this.open = null; // {messageId, mode: 'menu'|'edit'|'remove', error, busy}
    this.draft = null; // the edit box, kept across re-renders so nothing typed is lost
    this.onPointer = (event) => {
      if (this.open?.mode !== 'menu') return;
      const row = this.options.row(this.open.messageId);
      if (!row?.querySelector('.message-tools-wrap')?.contains(event.target)) this.close(false);
    };
    document.addEventListener('pointerdown', this.onPointer);
  }

  destroy() {
    document.removeEventListener('pointerdown', this.onPointer);
  }

  /** Whether a stored message gets the "⋯" button: not once removed. */
  offers(message) {
    return Boolean(message && !message.removedAt);
  }

  /** What of a message's actions shows, for the view's re-render check. */
  signature(message) {
    const open = this.open?.messageId === message.messageId ? this.open : null;
    return open ? `${open.mode}:${open.busy ? 1 : 0}:${open.error || ''}` : '';
  }

  mayEdit(message) {
    return message.author === this.options.me && !message.announcementId
      && Date.now() - Date.parse(message.timestamp) < EDIT_WINDOW_MS;
  }

  /** The "⋯" button beside a message's bubble. */
  tools(message) {
    const expanded = this.open?.messageId === message.messageId && this.open.mode === 'menu';
    return h('button', {
      type: 'button',
      class: 'message-tools',
      'aria-label': 'Message actions',
      'aria-haspopup': 'true',
      'aria-expanded': expanded ? 'true' : 'false',
      dataset: { focus: 'tools' },
      onclick: () => (expanded ? this.close(true) : this.set(message, { mode: 'menu' }, 'first')),
    }, h('span', { 'aria-hidden': 'true' }, '⋯'));
  }

  /** The open menu, editor or confirmation under a message, if any. */
  panel(message) {
    if (this.open?.messageId !== message.messageId) return null;
    const own = message.author === this.options.me;
    const { mode } = this.open;
    if (mode === 'menu') return this.menu(message, own);
    if (mode === 'edit') return this.editor(message);
    return this.confirmRemove(message);
  }

  menu(message, own) {
    const item = (label, onclick, extra = {}) => h('button', { type: 'button', class: 'menu-item', onclick, ...extra }, label);
    const items = own
      ? [
        this.mayEdit(message) && item('Edit', () => this.set(message, { mode: 'edit' }, 'editor')),
        item('Remove…', () => this.set(message, { mode: 'remove' }, 'confirm'), { class: 'menu-item danger' }),
      ]
      : [item('Report…', (event) => this.report(message, event))];
    return h('div', {
      class: 'message-menu',
      role: 'group',
      'aria-label': 'Message actions',
      onkeydown: (event) => this.escape(event),
    }, items);
  }

  editor(message) {
    const { error, busy } = this.open;
    if (!this.draft || this.draft.dataset.messageId !== message.messageId) {
      this.draft = h('textarea', {
        class: 'input edit-input',
        rows: '2',
        'aria-label': 'Edit your message',
        dataset: { messageId: message.messageId, focus: 'editor' },
        onkeydown: (event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.save(message);
          }
        },
      });
      this.draft.value = message.messageBody;
    }
    this.draft.disabled = Boolean(busy);
    return h(
      'form',
      { class: 'message-editor', onsubmit: (event) => { event.preventDefault(); this.save(message); }, onkeydown: (event) => this.escape(event) },
      this.draft,
      h('p', { class: 'field-hint' }, 'Enter to save · Escape to cancel. ', bidi(this.options.peerName), ' will see that it was edited; the school keeps the earlier text.'),
      error && h('p', { class: 'editor-error error-text', role: 'alert' }, error),
      h(
        'div',
        { class: 'message-editor-actions' },
        h('button', { type: 'button', class: 'button small', onclick: () => this.close(true) }, 'Cancel'),
        h('button', { type: 'submit', class: 'button small primary', disabled: Boolean(busy) }, busy ? 'Saving…' : 'Save'),
      ),
    );
  }

  confirmRemove(message) {
    const { error, busy } = this.open;
    return h(
      'div',
      { class: 'message-confirm', role: 'group', 'aria-label': 'Remove this message?', onkeydown: (event) => this.escape(event) },
      h('p', {}, h('strong', {}, 'Remove this message? '), bidi(this.options.peerName), ' will see “Message removed” instead. The school can still see what it said.'),
      error && h('p', { class: 'editor-error error-text', role: 'alert' }, error),
      h(
        'div',
        { class: 'message-editor-actions' },
        h('button', { type: 'button', class: 'button small', dataset: { focus: 'confirm' }, onclick: () => this.close(true) }, 'Cancel'),
        h('button', { type: 'button', class: 'button small confirming', disabled: Boolean(busy), onclick: () => this.remove(message) }, busy ? 'Removing…' : 'Remove message'),
      ),
    );
  }

  escape(event) {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    this.close(true);
  }

  report(message, event) {
    const row = event.currentTarget.closest('.message');
    this.close(false);
    this.options.onReport(message, row?.querySelector('[data-focus="tools"]') || null);
  }

  async save(message) {
    const body = this.draft.value.trim();
    if (messageLength(body) === 0) {
      this.set(message, { mode: 'edit', error: 'Write something, or remove the message instead.' }, 'editor');
      return;
    }
    if (messageLength(body) > MAX_MESSAGE_CHARS) {
      this.set(message, { mode: 'edit', error: `That is too long: at most ${MAX_MESSAGE_CHARS} characters.` }, 'editor');
      return;
    }
    if (body === message.messageBody) {
      this.close(true);
      return;
    }
    await this.run(message, 'edit', 'editor', () => this.options.onEdit(message, body));
  }

  async remove(message) {
    await this.run(message, 'remove', 'confirm', () => this.options.onRemove(message));
  }

  /** Runs an edit or a removal; closes on success, shows the server's reason otherwise. */
  async run(message, mode, focus, action) {
    this.set(message, { mode, busy: true }, null);
    try {
      await action();
    } catch (error) {
      if (error.status === 401) return;
      this.set(message, { mode, error: api.describeError(error) }, focus);
      return;
    }
    if (this.open?.messageId === message.messageId) this.close(true);
  }

  set(message, state, focus) {
    if (state.mode !== 'edit') this.draft = null;
    this.open = { messageId: message.messageId, error: null, busy: false, ...state };
    this.options.onChange();
    if (focus) this.focus(message.messageId, focus);
  }

  /** Closes whatever is open; `refocus`: back to the message's "⋯" button. */
  close(refocus) {
    const id = this.open?.messageId;
    this.open = null;
    this.draft = null;
    this.options.onChange();
    if (refocus && id) this.focus(id, 'tools');
  }

  focus(messageId, what) {
    const row = this.options.row(messageId);
    if (!row) return;
    const target = what === 'first'
      ? row.querySelector('.message-menu button')
      : row.querySelector(`[data-focus="${what}"]`);
    target?.focus({ preventScroll: true });
  }

  /** Replaces a row's action panel in place, keeping focus where it was inside it. */
  static keepFocus(row, build) {
    const active = document.activeElement;
    const inside = active && row.contains(active) ? active : null;
    build();
    if (inside && !inside.isConnected) {
      const same = inside.dataset.focus && row.querySelector(`[data-focus="${inside.dataset.focus}"]`);
      same?.focus({ preventScroll: true });
    } else if (inside && document.activeElement !== inside) {
      inside.focus({ preventScroll: true });
    }
  }
}
