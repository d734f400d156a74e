// "Notifications" (#/settings), for students, teachers and guardians: push notifications
// for the account and for this device, the email digest and the address it goes to (which
// the school office may have set), and a teacher's office hours (when they may be
// notified). Students and guardians see the school's hours instead.
//
// This device is subscribed only when the user turns on "Notify me on this device": the
// browser asks for permission then, never before (push.js).

import * as api from '../api.js';
import * as push from '../push.js';
import { h, bidi, dateOnly, replace, show } from '../dom.js';
import { ScheduleEditor, describeSchedule } from './schedule.js';

/** The push services of the common browsers, by their endpoints' hosts. */
const PUSH_SERVICES = [
  [/(^|\.)fcm\.googleapis\.com$/, 'Chrome'],
  [/(^|\.)notify\.windows\.com$/, 'Edge'],
  [/(^|\.)push\.services\.mozilla\.com$/, 'Firefox'],
  [/(^|\.)push\.apple\.com$/, 'Safari'],
];

function browserOf(endpoint) {
  let host = '';
  try {
    host = new URL(endpoint).host;
  } catch {
    return 'A browser';
  }
  return PUSH_SERVICES.find(([pattern]) => pattern.test(host))?.[1] || host;
}

/** A checkbox shown as a switch, its label and a hint under it. */
function switchField(id, label, hint, onchange) {
  const input = h('input', { id, type: 'checkbox', role: 'switch', class: 'switch', disabled: true, 'aria-describedby': `${id}-hint`, onchange });
  const hintEl = h('p', { id: `${id}-hint`, class: 'field-hint setting-hint' }, hint);
  const row = h('div', { class: 'setting' }, input, h('label', { for: id, class: 'setting-label' }, label));
  return { input, hint: hintEl, nodes: [row, hintEl] };
}

/**
 * Where email digests go: the address as saved (or a sentence that there is none), a field
 * with Save, and Remove while there is one. The server checks the address; its reason for
 * refusing one is shown as it gives it.
 */
class EmailField {
  /** @param {{save: (email: string|null) => Promise<string|null>}} options  answers the address as saved */
  constructor({ save }) {
    this.save = save;
    this.saved = null;
    this.current = h('p', { id: 'notify-email-current', class: 'email-current' });
    this.input = h('input', {
      id: 'notify-email',
      type: 'email',
      class: 'input email-input',
      autocomplete: 'email',
      autocapitalize: 'none',
      spellcheck: 'false',
      placeholder: 'name@school.example',
      disabled: true,
      'aria-describedby': 'notify-email-current notify-email-hint',
      oninput: () => this.input.removeAttribute('aria-invalid'),
    });
    this.saveButton = h('button', { type: 'submit', class: 'button primary', disabled: true }, 'Save');
    this.removeButton = h('button', {
      type: 'button',
      class: 'button subtle-danger',
      hidden: true,
      'aria-label': 'Remove the email address for digests',
      onclick: () => this.submit(null),
    }, 'Remove');
    this.status = h('p', { class: 'form-status', role: 'status' });
    this.error = h('p', { id: 'notify-email-error', class: 'form-error', role: 'alert', hidden: true });
    // noValidate: the server's reason is the one shown, not the browser's own bubble.
    this.element = h(
      'form',
      { class: 'email-form', 'aria-labelledby': 'notify-email-label', noValidate: true, onsubmit: (event) => {
        event.preventDefault();
        this.submit(this.input.value.trim());
      } },
      h('label', { id: 'notify-email-label', for: 'notify-email', class: 'field-label' }, 'Email address for digests'),
      this.current,
      h('div', { class: 'email-row' }, this.input, this.saveButton, this.removeButton),
      h('p', { id: 'notify-email-hint', class: 'field-hint' },
        'Used only for digests. Your school office may have entered it for you.'),
      this.error,
      this.status,
    );
  }

  /**
   * Shows the address as saved. The field follows it unless it holds an edit not saved
   * yet, which a change of another setting must not undo.
   */
  set(email, digestOn) {
    const untouched = this.input.value.trim() === (this.saved ?? '');
    this.saved = email;
    if (untouched) this.input.value = email ?? '';
    this.input.disabled = false;
    this.saveButton.disabled = false;
    show(this.removeButton, email !== null);
    replace(this.current, email
      ? ['Digests go to ', h('strong', { dir: 'ltr' }, email), '.']
      : digestOn
        ? 'No address yet, so no digest can reach you.'
        : 'No address.');
  }

  /** Saves `email` (null: removes it). */
  async submit(email) {
    show(this.error, false);
    this.input.removeAttribute('aria-invalid');
    if (email === '') {
      this.fail(this.saved ? 'Type an email address, or use Remove to stop digests by email.' : 'Type an email address first.');
      return;
    }
    const focused = email === null ? this.input : document.activeElement;
    for (const control of [this.input, this.saveButton, this.removeButton]) control.disabled = true;
    replace(this.status, 'Saving…');
    let saved;
    try {
      saved = await this.save(email);
    } catch (error) {
      if (error.status === 401) return;
      replace(this.status);
      this.input.disabled = false;
      this.saveButton.disabled = false;
      this.removeButton.disabled = false;
      this.fail(`Not saved. ${api.describeError(error)}`);
      return;
    }
    // The page has shown every setting as saved (set()); the field shows the address too.
    this.input.value = saved ?? '';
    this.removeButton.disabled = false;
    replace(this.status, saved ? 'Saved.' : 'Removed. No digests are emailed to you.');
    (focused?.isConnected && !focused.hidden && !focused.disabled ? focused : this.input).focus();
  }

  fail(text) {
    replace(this.error, text);
    show(this.error, true);
    this.input.setAttribute('aria-invalid', 'true');
    this.input.setAttribute('aria-errormessage', this.error.id);
    this.input.focus();
  }
}

export class NotificationsView {
  /**
   * @param {object} options
   * @param {{userId: string, role: string}} options.me
   * @param {() => void} options.onBack
   */
  constructor({ me, onBack }) {
    this.me = me;
    this.isTeacher = me.role === 'teacher';
    this.settings = null;
    this.subscription = null; // this browser's, if any
    this.destroyed = false;

    this.pushSwitch = switchField('notify-push', 'Send me push notifications',
      'New messages pop up on the devices you turn on below, even when classchat is closed.',
      () => this.change({ push: this.pushSwitch.input.checked }, this.pushSwitch.input, this.pushStatus));
    this.deviceSwitch = switchField('notify-device', 'Notify me on this device',
      'Only on a device that is yours. Your browser asks for permission first; signing out turns it off.',
      () => this.toggleDevice());
    this.digestSwitch = switchField('notify-digest', 'Email me a digest of unread messages',
      'If you miss messages and no notification reached you, classchat emails you a summary — at most one an hour.',
      () => this.change({ emailDigest: this.digestSwitch.input.checked }, this.digestSwitch.input, this.emailStatus));

    this.loading = h('p', { class: 'muted', role: 'status' }, 'Loading your settings…');
    this.pushUnavailable = h('p', { class: 'notice', hidden: true },
      'Push notifications are not set up on this server, so classchat cannot notify your devices. Ask your school office if you need them.');
    this.pushStatus = h('p', { class: 'form-status', role: 'status' });
    this.deviceError = h('p', { id: 'notify-device-error', class: 'form-error', role: 'alert', hidden: true });
    this.devices = h('ul', { class: 'device-list', 'aria-label': 'Devices with notifications' });
    this.emailStatus = h('p', { class: 'form-status', role: 'status' });
    this.email = new EmailField({
      save: async (email) => {
        const settings = await api.updateNotificationSettings({ email });
        this.apply(settings);
        return settings.email ?? null;
      },
    });
    this.hoursText = h('p', { class: 'card-intro' });

    this.editor = this.isTeacher ? new ScheduleEditor({
      label: 'Office hours',
      anyTime: 'You are notified at any time.',
      clearLabel: 'Clear (notify me any time)',
      onSave: async (hours) => {
        const settings = await api.updateNotificationSettings({ hours });
        this.settings = settings;
        return settings.hours;
      },
    }) : null;

    this.cards = h(
      'div',
      { class: 'settings-cards', hidden: true },
      h('section', { class: 'card', 'aria-labelledby': 'notify-push-title' },
        h('h2', { id: 'notify-push-title' }, 'Push notifications'),
        this.pushUnavailable,
        this.pushSwitch.nodes,
        this.deviceSwitch.nodes,
        this.deviceError,
        this.pushStatus,
        this.devices),
      h('section', { class: 'card', 'aria-labelledby': 'notify-email-title' },
        h('h2', { id: 'notify-email-title' }, 'Email'),
        this.digestSwitch.nodes,
        this.emailStatus,
        this.email.element),
      this.isTeacher
        ? h('section', { class: 'card', 'aria-labelledby': 'notify-hours-title' },
          h('h2', { id: 'notify-hours-title' }, 'Office hours'),
          h('p', { class: 'card-intro' },
            'You are notified only within your office hours; a message that comes outside them is notified when they start. ',
            'Students and families who write to you outside them are told when you will be notified.'),
          this.hoursText,
          this.editor.element)
        : h('section', { class: 'card', 'aria-labelledby': 'notify-hours-title' },
          h('h2', { id: 'notify-hours-title' }, 'School hours'),
          this.hoursText),
    );

    this.heading = h('h2', { id: 'settings-title', tabindex: '-1' }, 'Notifications');
    this.element = h(
      'section',
      { class: 'settings-page', 'aria-labelledby': 'settings-title' },
      h('header', { class: 'conversation-head' },
        h('button', { type: 'button', class: 'icon-button back-button', 'aria-label': 'Back to conversations', onclick: onBack },
          h('span', { 'aria-hidden': 'true' }, '←')),
        h('div', { class: 'conversation-title' }, this.heading,
          h('p', { class: 'subtitle' }, 'How classchat lets you know about new messages'))),
      h('div', { class: 'settings-scroller' }, h('div', { class: 'settings-body' }, this.loading, this.cards)),
    );
  }

  destroy() {
    this.destroyed = true;
  }

  focus() {
    this.heading.focus({ preventScroll: true });
  }

  async start() {
    try {
      const [settings, subscription] = await Promise.all([api.getNotificationSettings(), push.currentSubscription()]);
      if (this.destroyed) return;
      this.subscription = subscription;
      this.apply(settings);
      show(this.loading, false);
      show(this.cards, true);
    } catch (error) {
      if (error.status === 401 || this.destroyed) return;
      replace(this.loading, h('span', { class: 'error-text' }, `Cannot load your settings. ${api.describeError(error)}`));
    }
  }

  /** Whether this browser's subscription is one the server has for this user. */
  deviceOn() {
    return Boolean(this.subscription && this.settings?.subscriptions?.some((s) => s.endpoint === this.subscription.endpoint));
  }

  apply(settings) {
    this.settings = settings;
    const pushReady = Boolean(settings.vapidPublicKey);
    const unsupported = push.unsupportedReason();
    show(this.pushUnavailable, !pushReady);
    this.pushSwitch.input.checked = Boolean(settings.push);
    this.pushSwitch.input.disabled = !pushReady;
    const deviceOn = this.deviceOn();
    this.deviceSwitch.input.checked = deviceOn;
    // Always possible to turn off; turning on needs push, for the account and the browser.
    this.deviceSwitch.input.disabled = !deviceOn && (!pushReady || !settings.push || Boolean(unsupported));
    replace(this.deviceSwitch.hint, unsupported && pushReady
      ? unsupported
      : pushReady && !settings.push
        ? 'Turn on “Send me push notifications” first.'
        : 'Only on a device that is yours. Your browser asks for permission first; signing out turns it off.');
    this.digestSwitch.input.checked = Boolean(settings.emailDigest);
    this.digestSwitch.input.disabled = false;
    this.email.set(settings.email ?? null, Boolean(settings.emailDigest));
    this.renderDevices();
    this.renderHours();
  }

  renderDevices() {
    const subscriptions = this.settings.subscriptions || [];
    show(this.devices, subscriptions.length > 0);
    replace(this.devices, subscriptions.map((s) => {
      const here = this.subscription?.endpoint === s.endpoint;
      const name = here ? 'This device' : browserOf(s.endpoint);
      const added = s.created ? `added ${dateOnly(s.created)}` : '';
      return h('li', { class: 'device' },
        h('span', { class: 'device-name' }, name),
        added && h('span', { class: 'muted' }, ` · ${added}`),
        !here && h('button', {
          type: 'button',
          class: 'button small ghost subtle-danger',
          'aria-label': `Stop notifications to ${name}${added ? `, ${added}` : ''}`,
          onclick: (event) => this.removeDevice(s.endpoint, event.currentTarget),
        }, 'Remove'));
    }));
  }

  renderHours() {
    const school = describeSchedule(this.settings.schoolHours);
    if (this.isTeacher) {
      // Once: later changes of other settings must not undo edits not saved yet (a save
      // shows what the server kept by itself).
      if (!this.editorFilled) this.editor.set(this.settings.hours);
      this.editorFilled = true;
      replace(this.hoursText, school ? ['Students and families are notified ', bidi(school), ', as your school set.'] : '');
      show(this.hoursText, Boolean(school));
    } else {
      replace(this.hoursText, school
        ? ['Your school notifies students and families only within ', bidi(school), '. Messages still arrive at any time.']
        : 'Your school lets classchat notify you at any time.');
    }
  }

  /** PATCHes one switch's setting; on failure the switch goes back. */
  async change(changes, input, status) {
    const wanted = input.checked;
    input.disabled = true;
    replace(status, 'Saving…');
    try {
      this.apply(await api.updateNotificationSettings(changes));
      replace(status, 'Saved.');
    } catch (error) {
      if (error.status === 401) return;
      input.checked = !wanted;
      input.disabled = false;
      replace(status, h('span', { class: 'error-text' }, `Not saved. ${api.describeError(error)}`));
    }
    input.focus();
  }

  async toggleDevice() {
    const input = this.deviceSwitch.input;
    const wanted = input.checked;
    input.disabled = true;
    show(this.deviceError, false);
    replace(this.pushStatus, wanted ? 'Asking your browser…' : 'Turning off…');
    try {
      if (wanted) await push.subscribe(this.me.userId, this.settings.vapidPublicKey);
      else await push.unsubscribe();
      replace(this.pushStatus, wanted ? 'This device will be notified.' : 'This device will no longer be notified.');
    } catch (error) {
      if (error.status === 401) return;
      input.checked = !wanted;
      replace(this.pushStatus);
      replace(this.deviceError, error instanceof push.PushProblem
        ? error.message
        : error.status === 422
          ? `The server did not accept this device: ${api.describeError(error)}`
          : api.describeError(error));
      show(this.deviceError, true);
    }
    await this.reload();
    input.focus();
  }

  async removeDevice(endpoint, button) {
    button.disabled = true;
    try {
      await api.removePushSubscription(endpoint);
      replace(this.pushStatus, 'That device will no longer be notified.');
    } catch (error) {
      if (error.status === 401) return;
      button.disabled = false;
      replace(this.pushStatus, h('span', { class: 'error-text' }, api.describeError(error)));
      return;
    }
    await this.reload();
    this.deviceSwitch.input.focus();
  }

  /** Reads the settings and this browser's subscription again, after a change. */
  async reload() {
    try {
      const [settings, subscription] = await Promise.all([api.getNotificationSettings(), push.currentSubscription()]);
      if (this.destroyed) return;
      this.subscription = subscription;
      this.apply(settings);
    } catch (error) {
      if (error.status !== 401 && !this.destroyed) replace(this.pushStatus, h('span', { class: 'error-text' }, api.describeError(error)));
    }
  }
}
