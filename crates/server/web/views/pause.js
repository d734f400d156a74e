// Pausing a conversation: while it is paused its student (or guardian) cannot write; the
// teacher still can, and both still read. The conversation's teacher and the school office
// pause and resume it (`PauseControl`, in the conversation's header and in the office's
// viewer and moderation queue); everyone who reads it is told why (`pauseNotice`). A pause
// the school made is lifted only by the school, so a teacher is not offered "Resume" then.

import * as api from '../api.js';
import { h, bidi, fullTime, replace, show } from '../dom.js';

/** The longest reason the server takes, in characters. */
export const MAX_PAUSE_REASON_CHARS = 500;

let controlCount = 0;

/** "Pause conversation" / "Resume conversation" (`element`) and the dialog asking why (`dialog`). */
export class PauseControl {
  /**
   * @param {object} options
   * @param {string} options.conversationId
   * @param {boolean} [options.admin]  the school office (may lift any pause) rather than the teacher
   * @param {string} options.memberName  the student or guardian who cannot write meanwhile
   * @param {(pause: object|null) => void} options.onChanged  the pause as the server now has it
   * @param {(text: string, kind?: string) => void} options.toast
   */
  constructor({ conversationId, admin = false, memberName, onChanged, toast }) {
    this.conversationId = conversationId;
    this.admin = admin;
    this.onChanged = onChanged;
    this.toast = toast;
    controlCount += 1;
    const id = `pause-${controlCount}`;
    // On a phone only the verb shows; the name stays whole for screen readers.
    const noun = () => h('span', { class: 'pause-noun' }, ' conversation');
    this.pauseButton = h('button', { type: 'button', class: 'button small', hidden: true, onclick: () => this.ask() }, 'Pause', noun());
    this.resumeButton = h('button', { type: 'button', class: 'button small', hidden: true, onclick: () => this.resume() }, 'Resume', noun());
    this.reason = h('textarea', {
      id: `${id}-reason`,
      class: 'input pause-reason',
      rows: '3',
      maxlength: String(MAX_PAUSE_REASON_CHARS),
      'aria-describedby': `${id}-hint`,
    });
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.confirm = h('button', { type: 'submit', class: 'button primary' }, 'Pause');
    this.dialog = h(
      'dialog',
      { class: 'modal', 'aria-labelledby': `${id}-title` },
      h(
        'form',
        { method: 'dialog', noValidate: true, onsubmit: (event) => this.submit(event) },
        h('h2', { id: `${id}-title` }, 'Pause this conversation?'),
        h('p', { class: 'modal-intro' }, bidi(memberName), admin
          ? ' will not be able to write in it until the school resumes it. The teacher can still write, and both can still read it.'
          : ' will not be able to write in it until you resume it. You can still write, and both of you can still read it.'),
        h('label', { for: this.reason.id, class: 'field-label' }, 'Reason (optional)'),
        this.reason,
        h('p', { id: `${id}-hint`, class: 'field-hint' }, admin ? 'Both of them will see it.' : 'Both of you will see it.'),
        this.error,
        h(
          'div',
          { class: 'modal-actions' },
          h('button', { type: 'button', class: 'button', onclick: () => this.dialog.close() }, 'Cancel'),
          this.confirm,
        ),
      ),
    );
    // The buttons go in a header; the dialog wherever its owner puts it (not in a header).
    this.element = h('div', { class: 'pause-control' }, this.pauseButton, this.resumeButton);
  }

  /**
   * Shows "Pause" or "Resume" for `pause` (null: not paused; undefined: not known yet,
   * neither). A teacher is not offered to lift a pause the school made.
   */
  set(pause) {
    this.pause = pause;
    show(this.pauseButton, pause === null);
    show(this.resumeButton, Boolean(pause) && (this.admin || pause.byRole !== 'admin'));
  }

  ask() {
    this.reason.value = '';
    show(this.error, false);
    this.confirm.disabled = false;
    this.dialog.showModal();
    this.reason.focus();
  }

  async submit(event) {
    event.preventDefault();
    const reason = this.reason.value.trim();
    if ([...reason].length > MAX_PAUSE_REASON_CHARS) {
      this.fail(`The reason is too long: at most ${MAX_PAUSE_REASON_CHARS} characters.`);
      return;
    }
    this.confirm.disabled = true;
    try {
      const answer = await api.pauseConversation(this.conversationId, reason);
      this.dialog.close();
      this.onChanged(answer.pause);
      this.resumeButton.focus();
    } catch (error) {
      if (error.status === 401) return;
      this.fail(`Not paused. ${api.describeError(error)}`);
    } finally {
      this.confirm.disabled = false;
    }
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
  }

  async resume() {
    this.resumeButton.disabled = true;
    try {
      await api.resumeConversation(this.conversationId);
      this.onChanged(null);
      this.pauseButton.focus();
    } catch (error) {
      if (error.status !== 401) this.toast(`Not resumed. ${api.describeError(error)}`, 'error');
    } finally {
      this.resumeButton.disabled = false;
    }
  }
}

/**
 * What a reader of a paused conversation is told, or null when it is not paused.
 * `viewer`: 'student' or 'guardian' (who cannot write), 'teacher', or 'admin' (who also
 * sees who paused it and when, by `nameOf`). `memberName`: the student or guardian.
 */
export function pauseNotice(pause, { viewer, memberName, nameOf = (id) => id }) {
  if (!pause) return null;
  const bySchool = pause.byRole === 'admin';
  let lead;
  let after;
  if (viewer === 'student' || viewer === 'guardian') {
    const who = bySchool ? 'the school' : viewer === 'student' ? 'your teacher' : 'the teacher';
    lead = `This conversation has been paused by ${who}.`;
    after = 'You can still read it, and write again once it is resumed.';
  } else if (viewer === 'teacher') {
    lead = bySchool ? 'The school has paused this conversation.' : 'You have paused this conversation.';
    after = [bidi(memberName), bySchool
      ? ' cannot write in it until the school resumes it. You can still write.'
      : ' cannot write in it until you resume it. You can still write.'];
  } else {
    lead = ['Paused by ', bidi(nameOf(pause.by)), bySchool ? ' (school office)' : ' (teacher)', ' on ',
      h('time', { datetime: pause.at }, fullTime(pause.at)), '.'];
    after = [bidi(memberName), ' cannot write in it until it is resumed.'];
  }
  return [
    h('p', { class: 'pause-lead' }, h('strong', {}, lead)),
    pause.reason && h('p', { class: 'pause-reason-text' }, 'Reason: ', h('q', { dir: 'auto' }, pause.reason)),
    h('p', { class: 'pause-after' }, after),
  ];
}
