// Admin: the school's settings. Families: whether guardians may read (never write) their
// children's conversations with teachers. Notifications: the hours within which students
// and guardians are notified (the schedule editor teachers use for their office hours),
// whether a push shows the start of the message or only who wrote, and whether email
// digests quote messages. Urgent messages: the teachers allowed to send messages that
// notify a student or guardian even in their quiet hours. Safeguarding: the edit window and
// the words and patterns that flag a message (settings-safeguarding.js), and how long
// conversations are kept, with a preview of what retention would delete
// (settings-retention.js). Each switch is saved as soon as it is turned; the hours, the
// safeguarding rules and retention with their own Save buttons; each teacher added or
// removed at once.

import * as api from '../api.js';
import { h, avatar, bidi, isolate, replace, show } from '../dom.js';
import { ScheduleEditor } from './schedule.js';
import { SafeguardingSettings } from './settings-safeguarding.js';
import { RetentionSettings } from './settings-retention.js';

/** A switch for one boolean setting `key`, saved on change. */
class SettingSwitch {
  /**
   * @param {object} options
   * @param {string} options.key      the setting's name in GET/PATCH /admin/settings
   * @param {string} options.label
   * @param {*} options.hint
   * @param {(on: boolean) => string} options.saved  the sentence once saved
   * @param {(settings: object) => void} options.onSaved  all the settings, as saved
   */
  constructor({ key, label, hint, saved, onSaved }) {
    this.key = key;
    this.savedText = saved;
    this.onSaved = onSaved;
    const id = `setting-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    this.input = h('input', {
      id,
      type: 'checkbox',
      role: 'switch',
      class: 'switch',
      disabled: true,
      'aria-describedby': `${id}-hint`,
      onchange: () => this.save(),
    });
    this.status = h('p', { class: 'form-status', role: 'status' });
    this.nodes = [
      h('div', { class: 'setting' }, this.input, h('label', { for: id, class: 'setting-label' }, label)),
      h('p', { id: `${id}-hint`, class: 'field-hint setting-hint' }, hint),
      this.status,
    ];
  }

  apply(settings) {
    this.input.checked = Boolean(settings[this.key]);
    this.input.disabled = false;
  }

  async save() {
    const wanted = this.input.checked;
    this.input.disabled = true;
    replace(this.status, 'Saving…');
    try {
      const settings = await api.updateSettings({ [this.key]: wanted });
      this.onSaved(settings);
      replace(this.status, this.savedText(Boolean(settings[this.key])));
    } catch (error) {
      if (error.status === 401) return;
      this.input.checked = !wanted;
      this.input.disabled = false;
      replace(this.status, h('span', { class: 'error-text' }, `Not saved. ${api.describeError(error)}`));
    }
    this.input.focus();
  }
}

/**
 * The teachers allowed urgent messages: a list with Remove, and a field to allow one more
 * (suggesting the school's teachers by name; a userId typed in full works too). Every
 * change PATCHes the whole new list; the server refuses someone who is not a teacher
 * (`invalid_role`) or does not exist, and its reason is shown as it gives it.
 */
class UrgentSenders {
  /** @param {{onSaved: (settings: object) => void}} options  all the settings, as saved */
  constructor({ onSaved }) {
    this.onSaved = onSaved;
    this.senders = [];
    this.teachers = new Map(); // userId → displayName, of the school's teachers
    this.list = h('ul', { class: 'urgent-senders', 'aria-labelledby': 'urgent-senders-title' });
    this.options = h('datalist', { id: 'urgent-teacher-options' });
    this.input = h('input', {
      id: 'urgent-teacher',
      type: 'text',
      class: 'input',
      list: 'urgent-teacher-options',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      placeholder: 'Teacher’s name or user ID',
      disabled: true,
      'aria-describedby': 'urgent-teacher-hint',
      oninput: () => this.input.removeAttribute('aria-invalid'),
    });
    this.addButton = h('button', { type: 'submit', class: 'button primary', disabled: true }, 'Add');
    this.status = h('p', { class: 'form-status', role: 'status' });
    this.error = h('p', { id: 'urgent-teacher-error', class: 'form-error', role: 'alert', hidden: true });
    this.nodes = [
      h('h3', { id: 'urgent-senders-title', class: 'card-subtitle' }, 'Teachers allowed urgent messages'),
      this.list,
      h(
        'form',
        { class: 'urgent-add', noValidate: true, onsubmit: (event) => this.add(event) },
        h('label', { for: 'urgent-teacher', class: 'field-label' }, 'Allow a teacher'),
        h('div', { class: 'urgent-add-row' }, this.input, this.addButton),
        h('p', { id: 'urgent-teacher-hint', class: 'field-hint' }, 'Type part of their name and choose them, or type their user ID.'),
        this.options,
        this.error,
      ),
      this.status,
    ];
  }

  setDisabled(disabled) {
    this.input.disabled = disabled;
    this.addButton.disabled = disabled;
  }

  /** The school's teachers, for names and suggestions; without them, userIds still work. */
  async loadTeachers() {
    try {
      const teachers = await api.listAllUsers('teacher');
      this.teachers = new Map(teachers.map((t) => [t.userId, t.displayName]));
    } catch (error) {
      if (error.status !== 401) console.debug('classchat: cannot list the teachers', error.code);
    }
    this.render();
  }

  apply(settings) {
    this.senders = Array.isArray(settings.urgentSenders) ? settings.urgentSenders : [];
    this.setDisabled(false);
    this.render();
  }

  name(userId) {
    return this.teachers.get(userId) || userId;
  }

  render() {
    const allowed = new Set(this.senders);
    replace(this.options, [...this.teachers]
      .filter(([userId]) => !allowed.has(userId))
      .sort(([, a], [, b]) => a.localeCompare(b))
      .map(([userId, name]) => h('option', { value: userId, label: isolate(name) })));
    if (this.senders.length === 0) {
      replace(this.list, h('li', { class: 'muted urgent-none' }, 'No teacher may send urgent messages.'));
      return;
    }
    replace(this.list, this.senders.map((userId) => {
      const name = this.name(userId);
      return h('li', { class: 'urgent-sender', dataset: { userId } },
        h('span', { class: 'name-cell' }, avatar(userId, name, 'small'),
          h('span', {}, bidi(name), name !== userId && h('span', { class: 'muted id-suffix' }, ` ${userId}`))),
        h('button', {
          type: 'button',
          class: 'button small ghost subtle-danger',
          'aria-label': `Remove ${isolate(name)} from the teachers allowed urgent messages`,
          onclick: (event) => this.save(this.senders.filter((id) => id !== userId), event.currentTarget,
            ['Saved. ', bidi(name), ' can no longer send urgent messages.']),
        }, 'Remove'));
    }));
  }

  /** The typed teacher: a name typed in full (any case) becomes their userId. */
  resolve() {
    const typed = this.input.value.trim();
    if (!typed || this.teachers.has(typed)) return typed;
    const lower = typed.toLowerCase();
    const named = [...this.teachers].filter(([, name]) => name.toLowerCase() === lower);
    return named.length === 1 ? named[0][0] : typed;
  }

  async add(event) {
    event.preventDefault();
    const userId = this.resolve();
    if (!userId) {
      this.fail('Type a teacher’s name or user ID first.');
      return;
    }
    if (this.senders.includes(userId)) {
      this.fail([bidi(this.name(userId)), ' may already send urgent messages.']);
      return;
    }
    const saved = await this.save([...this.senders, userId], this.addButton,
      ['Saved. ', bidi(this.name(userId)), ' can now send urgent messages.']);
    if (saved) this.input.value = '';
    this.input.focus();
  }

  /** PATCHes the whole list; answers whether it was saved. */
  async save(senders, control, savedText) {
    show(this.error, false);
    this.input.removeAttribute('aria-invalid');
    control.disabled = true;
    replace(this.status, 'Saving…');
    try {
      const settings = await api.updateSettings({ urgentSenders: senders });
      this.onSaved(settings);
      replace(this.status, savedText);
      // The Remove button went with its row: the field is the next place to be.
      if (!control.isConnected) this.input.focus();
      return true;
    } catch (error) {
      if (error.status === 401) return false;
      replace(this.status);
      this.fail(`Not saved. ${api.describeError(error)}`);
      return false;
    } finally {
      control.disabled = false;
    }
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
    this.input.setAttribute('aria-invalid', 'true');
    this.input.setAttribute('aria-errormessage', this.error.id);
  }
}

export class SettingsPanel {
  constructor(context) {
    this.context = context;
    const onSaved = (settings) => this.apply(settings, { hours: false });
    this.oversight = new SettingSwitch({
      key: 'guardianOversight',
      label: 'Guardians may read their children’s conversations',
      hint: [
        'Guardians can then read, never write, the conversations of their children with teachers. ',
        'Each read is recorded in the audit log, and the students are told that their family can read their messages.',
      ],
      saved: (on) => (on
        ? 'Saved. Guardians can now read their children’s conversations with teachers.'
        : 'Saved. Guardians can no longer read their children’s conversations.'),
      onSaved,
    });
    this.pushPreview = new SettingSwitch({
      key: 'pushPreview',
      label: 'Push notifications show the start of the message',
      hint: 'Otherwise they only say who wrote (“New message”), so nothing of a message shows on a locked phone or a shared screen.',
      saved: (on) => (on ? 'Saved. Push notifications now show the start of each message.' : 'Saved. Push notifications now only say who wrote.'),
      onSaved,
    });
    this.digestText = new SettingSwitch({
      key: 'digestText',
      label: 'Email digests quote the messages',
      hint: 'Otherwise a digest only lists who wrote and when; the messages are read in classchat.',
      saved: (on) => (on ? 'Saved. Email digests now quote the messages.' : 'Saved. Email digests now only list who wrote and when.'),
      onSaved,
    });
    this.switches = [this.oversight, this.pushPreview, this.digestText];
    this.urgent = new UrgentSenders({ onSaved });
    this.safeguarding = new SafeguardingSettings({ onSaved });
    this.retention = new RetentionSettings({ onSaved, name: (id) => context.names.get(id) || id });
    this.hours = new ScheduleEditor({
      label: 'School notification hours',
      anyTime: 'Students and guardians are notified at any time.',
      clearLabel: 'Clear (notify any time)',
      onSave: async (quietHours) => {
        const settings = await api.updateSettings({ quietHours });
        this.apply(settings, { hours: false });
        return settings.quietHours ?? null;
      },
    });
    this.loadError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.element = h(
      'div',
      { class: 'admin-panel' },
      h('h1', { class: 'panel-title' }, 'Settings'),
      this.loadError,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'settings-families-title' },
        h('h2', { id: 'settings-families-title' }, 'Families'),
        this.oversight.nodes,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'settings-notifications-title' },
        h('h2', { id: 'settings-notifications-title' }, 'Notifications'),
        this.pushPreview.nodes,
        this.digestText.nodes,
        h('h3', { class: 'card-subtitle' }, 'Notification hours for students and guardians'),
        h('p', { class: 'card-intro' },
          'Students and guardians are notified of new messages only within these hours; messages still arrive at any time. ',
          'Teachers set their own office hours.'),
        this.hours.element,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'settings-urgent-title' },
        h('h2', { id: 'settings-urgent-title' }, 'Urgent messages'),
        h('p', { class: 'card-intro' },
          'The teachers you allow here may mark a message to a student or guardian as urgent: it notifies them even in their quiet hours. ',
          'Each urgent message is recorded in the audit log.'),
        this.urgent.nodes,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'settings-safeguarding-title' },
        h('h2', { id: 'settings-safeguarding-title' }, 'Safeguarding'),
        h('p', { class: 'card-intro' },
          'People may edit or remove their own messages; the other side sees that they did, and the school keeps what was there. ',
          'Messages that contain a word or match a pattern below go to the moderation queue.'),
        this.safeguarding.element,
        h('h3', { class: 'card-subtitle' }, 'Retention'),
        this.retention.element,
      ),
    );
  }

  async show() {
    show(this.loadError, false);
    for (const setting of this.switches) setting.input.disabled = true;
    this.hours.setDisabled(true);
    this.urgent.setDisabled(true);
    this.safeguarding.setDisabled(true);
    this.retention.setDisabled(true);
    this.urgent.loadTeachers();
    try {
      this.apply(await api.getSettings(), { hours: true });
    } catch (error) {
      if (error.status === 401) return;
      replace(this.loadError, `Cannot load the settings. ${api.describeError(error)}`);
      show(this.loadError, true);
    }
  }

  /**
   * Shows the settings as saved; the hours', the safeguarding rules' and retention's fields
   * only when asked (not to undo edits).
   */
  apply(settings, { hours }) {
    for (const setting of this.switches) setting.apply(settings);
    this.urgent.apply(settings);
    if (hours) {
      this.hours.setDisabled(false);
      this.hours.set(settings.quietHours ?? null);
      this.safeguarding.apply(settings);
      this.retention.apply(settings);
    }
  }
}
