// Sign up, log in and log out. The server's problem detail is shown next to
// the field it names ("field": "username" or "password"), else under the form.

import { api } from './api.js';

/** AuthView owns the login form; onLogin(username) runs once a session exists. */
export class AuthView {
  constructor(root, onLogin) {
    this.root = root;
    this.onLogin = onLogin;
    this.form = root.querySelector('#auth-form');
    this.user = root.querySelector('#auth-username');
    this.pass = root.querySelector('#auth-password');
    this.formError = root.querySelector('#auth-error');
    this.buttons = [...this.form.querySelectorAll('button[type=submit]')];
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const action = ev.submitter && ev.submitter.value === 'register' ? 'register' : 'login';
      this.submit(action);
    });
    for (const input of [this.user, this.pass]) {
      input.addEventListener('input', () => this.setFieldError(input, ''));
    }
  }

  /** show displays the form, optionally with a message (why the session ended). */
  show(message = '') {
    this.root.hidden = false;
    this.pass.value = '';
    this.clearErrors();
    this.formError.textContent = message;
    (this.user.value ? this.pass : this.user).focus();
  }

  hide() { this.root.hidden = true; }

  clearErrors() {
    this.setFieldError(this.user, '');
    this.setFieldError(this.pass, '');
    this.formError.textContent = '';
  }

  setFieldError(input, text) {
    document.getElementById(input.id + '-error').textContent = text;
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  showError(err) {
    const field = err.field === 'username' ? this.user : err.field === 'password' ? this.pass : null;
    if (field) {
      this.setFieldError(field, err.detail);
      field.focus();
    } else {
      this.formError.textContent = err.status === 0 ? err.detail : `${err.detail}`;
    }
  }

  async submit(action) {
    this.clearErrors();
    const username = this.user.value.trim();
    const password = this.pass.value;
    if (!username) { this.setFieldError(this.user, 'Enter a username.'); this.user.focus(); return; }
    if (!password) { this.setFieldError(this.pass, 'Enter a password.'); this.pass.focus(); return; }
    for (const b of this.buttons) b.disabled = true;
    try {
      if (action === 'register') await api.register(username, password);
      const res = await api.login(username, password);
      this.pass.value = '';
      await this.onLogin((res && res.account && res.account.username) || username);
    } catch (err) {
      if (err && err.name === 'ApiError') this.showError(err);
      else this.formError.textContent = 'Something went wrong: ' + (err && err.message);
    } finally {
      for (const b of this.buttons) b.disabled = false;
    }
  }
}
