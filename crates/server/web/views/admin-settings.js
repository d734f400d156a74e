// Admin: the school's settings. Families: whether guardians may read (never write) their
// children's conversations with teachers. Notifications: the hours within which students
// and guardians are notified (the schedule editor teachers use for their office hours),
// whether a push shows the start of the message or only who wrote, and whether email
// digests quote messages. Each switch is saved as soon as it is turned; the hours with
// their own Save button.

import * as api from '../api.js';
import { h, replace, show } from '../dom.js';
import { ScheduleEditor } from './schedule.js';

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
    );
  }

  async show() {
    show(this.loadError, false);
    for (const setting of this.switches) setting.input.disabled = true;
    this.hours.setDisabled(true);
    try {
      this.apply(await api.getSettings(), { hours: true });
    } catch (error) {
      if (error.status === 401) return;
      replace(this.loadError, `Cannot load the settings. ${api.describeError(error)}`);
      show(this.loadError, true);
    }
  }

  /** Shows the settings as saved; the hours' fields only when asked (not to undo edits). */
  apply(settings, { hours }) {
    for (const setting of this.switches) setting.apply(settings);
    if (hours) {
      this.hours.setDisabled(false);
      this.hours.set(settings.quietHours ?? null);
    }
  }
}
