// The sign-in page. A notice explains why the user is here again (session expired,
// signed out); errors are announced to screen readers through role="alert".

import * as api from '../api.js';
import { h, replace, show } from '../dom.js';

/**
 * @param {object} options
 * @param {string} [options.notice]                 e.g. "Your session has expired…"
 * @param {(session: object) => void} options.onSignedIn
 */
export function loginView({ notice, onSignedIn }) {
  const userId = h('input', {
    id: 'login-user',
    name: 'username',
    class: 'input',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
  });
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    class: 'input',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary wide' }, 'Sign in');

  async function signIn(event) {
    event.preventDefault();
    show(error, false);
    if (!userId.value.trim() || !password.value) {
      replace(error, 'Enter your user ID and password.');
      show(error, true);
      return;
    }
    submit.disabled = true;
    replace(submit, 'Signing in…');
    try {
      const session = await api.login(userId.value.trim(), password.value);
      onSignedIn(session);
    } catch (failure) {
      // describeError knows invalid_credentials and account_disabled.
      replace(error, api.describeError(failure));
      show(error, true);
      password.select();
    } finally {
      submit.disabled = false;
      replace(submit, 'Sign in');
    }
  }

  const view = h(
    'div',
    { class: 'login-page' },
    h(
      'main',
      { class: 'login-card' },
      h('div', { class: 'brand-mark large', 'aria-hidden': 'true' }),
      h('h1', {}, 'classchat'),
      h('p', { class: 'login-tagline' }, 'Messages between students and teachers'),
      notice && h('p', { class: 'notice', role: 'status' }, notice),
      h(
        'form',
        { class: 'login-form', onsubmit: signIn, novalidate: true },
        h('label', { for: 'login-user', class: 'field-label' }, 'User ID'),
        userId,
        h('label', { for: 'login-password', class: 'field-label' }, 'Password'),
        password,
        error,
        submit,
      ),
      h('p', { class: 'login-help' }, 'Forgotten your password? Ask your school office to reset it.'),
    ),
  );
  // Focus after insertion, so the caller can append first.
  queueMicrotask(() => userId.focus());
  return view;
}
