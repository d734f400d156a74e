// The sign-in page. A notice explains why the user is here again (session expired,
// signed out); errors are announced to screen readers through role="alert". A user whose
// account has no password yet (created by a roster import, or reset by the office) opens
// the first sign-in form instead: their user ID, the one-time sign-in code the school
// gave them, and the password they choose; they are then signed in as after a normal
// sign-in.

import * as api from '../api.js';
import { h, replace, show } from '../dom.js';

/** The shortest password the server accepts (`user::MIN_PASSWORD_LEN`). */
const MIN_PASSWORD_LENGTH = 8;

/**
 * @param {object} options
 * @param {string} [options.notice]                 e.g. "Your session has expired…"
 * @param {(session: object) => void} options.onSignedIn
 */
export function loginView({ notice, onSignedIn }) {
  // One form at a time, so each field's label is unique on the page.
  const panel = h('div', { class: 'login-panel' });
  const showSignIn = () => replace(panel, ...signInForm({ onSignedIn, onFirstTime: showFirstSignIn }));
  const showFirstSignIn = () => replace(panel, ...firstSignInForm({ onSignedIn, onBack: showSignIn }));
  showSignIn();
  return h(
    'div',
    { class: 'login-page' },
    h(
      'main',
      { class: 'login-card' },
      h('div', { class: 'brand-mark large', 'aria-hidden': 'true' }),
      h('h1', {}, 'classchat'),
      h('p', { class: 'login-tagline' }, 'Messages between students and teachers'),
      notice && h('p', { class: 'notice', role: 'status' }, notice),
      panel,
    ),
  );
}

/** The user ID field, the same in both forms. */
function userIdInput(id) {
  return h('input', {
    id,
    name: 'username',
    class: 'input',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
  });
}

/** Sets `submit` busy (disabled, with `busyText`) while `work` runs. */
async function whileBusy(submit, busyText, work) {
  const idleText = submit.textContent;
  submit.disabled = true;
  replace(submit, busyText);
  try {
    await work();
  } finally {
    submit.disabled = false;
    replace(submit, idleText);
  }
}

function signInForm({ onSignedIn, onFirstTime }) {
  const userId = userIdInput('login-user');
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
    await whileBusy(submit, 'Signing in…', async () => {
      try {
        const session = await api.login(userId.value.trim(), password.value);
        onSignedIn(session);
      } catch (failure) {
        // describeError knows invalid_credentials and account_disabled.
        replace(error, api.describeError(failure));
        show(error, true);
        password.select();
      }
    });
  }

  // Focus after insertion, so the caller can append first.
  queueMicrotask(() => userId.focus());
  return [
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
    h(
      'p',
      { class: 'login-help' },
      h('button', { type: 'button', class: 'link-button', onclick: onFirstTime }, 'First time here? Use your sign-in code'),
    ),
    h('p', { class: 'login-help' }, 'Forgotten your password? Ask your school office to reset it.'),
  ];
}

function firstSignInForm({ onSignedIn, onBack }) {
  const userId = userIdInput('first-user');
  const code = h('input', {
    id: 'first-code',
    name: 'code',
    class: 'input code-input',
    autocomplete: 'one-time-code',
    autocapitalize: 'characters',
    spellcheck: 'false',
    'aria-describedby': 'first-code-hint',
    required: true,
  });
  const newPassword = h('input', {
    id: 'first-password',
    name: 'new-password',
    type: 'password',
    class: 'input',
    autocomplete: 'new-password',
    minlength: MIN_PASSWORD_LENGTH,
    'aria-describedby': 'first-password-hint',
    required: true,
  });
  const repeat = h('input', {
    id: 'first-repeat',
    name: 'repeat-password',
    type: 'password',
    class: 'input',
    autocomplete: 'new-password',
    required: true,
  });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary wide' }, 'Set password and sign in');

  function refuse(text, field) {
    replace(error, text);
    show(error, true);
    field?.focus();
  }

  async function setPassword(event) {
    event.preventDefault();
    show(error, false);
    if (!userId.value.trim() || !code.value.trim() || !newPassword.value) {
      refuse('Enter your user ID, your sign-in code and a new password.');
      return;
    }
    if ([...newPassword.value].length < MIN_PASSWORD_LENGTH) {
      refuse(`Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`, newPassword);
      return;
    }
    if (newPassword.value !== repeat.value) {
      refuse('The two passwords do not match. Type the new password again.', repeat);
      repeat.select();
      return;
    }
    await whileBusy(submit, 'Setting your password…', async () => {
      try {
        const session = await api.firstSignIn(userId.value.trim(), code.value.trim(), newPassword.value);
        onSignedIn(session);
      } catch (failure) {
        if (failure.code === 'invalid_credentials') {
          refuse(
            'That user ID and sign-in code do not match, or the code has expired. Check them, or ask your school office for a new code.',
            code,
          );
        } else if (failure.code === 'invalid_password') {
          refuse(failure.message, newPassword);
        } else {
          refuse(api.describeError(failure));
        }
      }
    });
  }

  queueMicrotask(() => userId.focus());
  return [
    h('h2', { class: 'login-subtitle' }, 'First sign-in'),
    h(
      'p',
      { class: 'login-intro' },
      'Enter your user ID and the sign-in code your school gave you, then choose your password. The code works once; from then on you sign in with your password.',
    ),
    h(
      'form',
      { class: 'login-form', onsubmit: setPassword, novalidate: true },
      h('label', { for: 'first-user', class: 'field-label' }, 'User ID'),
      userId,
      h('label', { for: 'first-code', class: 'field-label' }, 'Sign-in code'),
      code,
      h('p', { id: 'first-code-hint', class: 'field-hint' }, 'Twelve letters and digits, e.g. ABCD-EFGH-JKMN.'),
      h('label', { for: 'first-password', class: 'field-label' }, 'New password'),
      newPassword,
      h('p', { id: 'first-password-hint', class: 'field-hint' }, `At least ${MIN_PASSWORD_LENGTH} characters.`),
      h('label', { for: 'first-repeat', class: 'field-label' }, 'Repeat new password'),
      repeat,
      error,
      submit,
    ),
    h(
      'p',
      { class: 'login-help' },
      h('button', { type: 'button', class: 'link-button', onclick: onBack }, 'Back to sign in'),
    ),
  ];
}
