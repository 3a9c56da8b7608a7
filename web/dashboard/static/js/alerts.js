// Price alerts: the form that creates them (pre-filled from a watchlist
// row), the panel of active and triggered ones, and a notification when one
// fires, live over the stream or while the page was away.

import { api } from './api.js';
import { money, signedPct } from './format.js';
import { bellIcon } from './watchlist.js';

const TRIGGERED_SHOWN = 20;
const TOAST_MS = 12000;
const AWAY_WINDOW_MS = 24 * 3600 * 1000; // fired while away: announced if this recent

/** describe says what an alert waits for: "AAPL at or above $190.00". */
export function describe(a) {
  switch (a.condition) {
    case 'above': return `${a.symbol} at or above ${money(a.price)}`;
    case 'below': return `${a.symbol} at or below ${money(a.price)}`;
    case 'change_pct_above': return `${a.symbol} day change at or above ${signedPct(a.percent)}`;
    case 'change_pct_below': return `${a.symbol} day change at or below ${signedPct(a.percent)}`;
    default: return a.symbol;
  }
}

const VALUE_LABEL = { above: 'Price ($)', below: 'Price ($)', change_pct_above: 'Change (%)', change_pct_below: 'Change (%)' };

/** AlertsView keeps the account's alerts on screen; onChange(active) runs when the active set changes. */
export class AlertsView {
  constructor(onChange) {
    this.onChange = onChange;
    this.form = document.getElementById('alert-form');
    this.symbol = document.getElementById('alert-symbol');
    this.condition = document.getElementById('alert-condition');
    this.value = document.getElementById('alert-value');
    this.valueLabel = document.getElementById('alert-value-label');
    this.button = document.getElementById('alert-submit');
    this.result = document.getElementById('alert-result');
    this.activeList = document.getElementById('alerts-active');
    this.activeEmpty = document.getElementById('alerts-active-empty');
    this.firedList = document.getElementById('alerts-triggered');
    this.firedEmpty = document.getElementById('alerts-triggered-empty');
    this.notifyBtn = document.getElementById('alerts-notify');
    this.toasts = document.getElementById('toasts');
    this.user = '';
    this.active = new Map();   // id -> alert
    this.triggered = [];       // newest first
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    this.condition.addEventListener('change', () => this.relabel());
    for (const el of [this.symbol, this.value]) el.addEventListener('input', () => el.removeAttribute('aria-invalid'));
    for (const list of [this.activeList, this.firedList]) {
      list.addEventListener('click', (ev) => {
        const btn = ev.target.closest('button[data-delete]');
        if (btn) this.remove(Number(btn.dataset.delete));
      });
    }
    if ('Notification' in window && Notification.permission === 'default') {
      this.notifyBtn.hidden = false;
      this.notifyBtn.addEventListener('click', async () => {
        try { await Notification.requestPermission(); } catch { /* not offered */ }
        this.notifyBtn.hidden = Notification.permission !== 'default';
      });
    }
    this.relabel();
  }

  relabel() {
    this.valueLabel.textContent = VALUE_LABEL[this.condition.value] || 'Value';
  }

  /** load reads the account's alerts and announces those that fired while the page was away. */
  async load(user) {
    this.user = user;
    try {
      const [active, fired] = await Promise.all([api.alerts('active'), api.alerts('triggered', TRIGGERED_SHOWN)]);
      this.active = new Map(active.alerts.map((a) => [a.id, a]));
      this.triggered = fired.alerts;
      this.render();
      const seen = this.seen();
      const cutoff = Date.now() - AWAY_WINDOW_MS;
      const missed = this.triggered.filter((a) => !seen.has(a.id) && Date.parse(a.triggered_at) >= cutoff);
      for (const a of missed.reverse()) this.announce(a, 'While you were away: ');
      this.markSeen(this.triggered.map((a) => a.id));
    } catch (err) {
      this.show('err', [`Could not load alerts: ${err.detail || err.message}`]);
    }
  }

  /** prefill puts a symbol and its current price in the form, ready to adjust. */
  prefill(symbol, price) {
    this.symbol.value = symbol;
    if (!this.condition.value.startsWith('change_pct')) {
      this.value.value = Number.isFinite(price) ? price.toFixed(2) : '';
    }
    this.show('', []);
    this.form.scrollIntoView({ block: 'nearest' });
    this.value.focus();
    this.value.select();
  }

  async submit() {
    const symbol = this.symbol.value.trim().toUpperCase();
    const condition = this.condition.value;
    const raw = this.value.value.trim();
    if (!symbol) {
      this.symbol.setAttribute('aria-invalid', 'true');
      this.show('err', ['Enter a symbol.']);
      this.symbol.focus();
      return;
    }
    const pct = condition.startsWith('change_pct');
    if (!/^-?\d+(\.\d{1,2})?$/.test(raw) || (!pct && raw.startsWith('-'))) {
      this.value.setAttribute('aria-invalid', 'true');
      this.show('err', [pct ? 'Enter a percent with at most two decimals, like 2.5 or -3.' : 'Enter a price with at most two decimals, like 190.00.']);
      this.value.focus();
      return;
    }
    const body = { symbol, condition };
    body[pct ? 'percent' : 'price'] = Number(raw); // at most two decimals: exact in JSON
    this.button.disabled = true;
    try {
      const a = await api.createAlert(body);
      // It may have fired, and been pushed, before this answer arrived.
      if (!this.triggered.some((t) => t.id === a.id)) this.active.set(a.id, a);
      this.render();
      this.show('ok', [`✓ Alert set: ${describe(a)}.`]);
    } catch (err) {
      const code = document.createElement('code');
      code.textContent = err.code || 'error';
      this.show('err', [`✗ Refused: ${err.detail || err.message} (`, code, ')']);
      if (err.field === 'symbol') this.symbol.setAttribute('aria-invalid', 'true');
      if (err.field === 'price' || err.field === 'percent' || err.code === 'already_triggered') this.value.setAttribute('aria-invalid', 'true');
    } finally {
      this.button.disabled = false;
    }
  }

  async remove(id) {
    try {
      await api.deleteAlert(id);
    } catch (err) {
      if (err.status !== 404) {
        this.show('err', [`Could not delete the alert: ${err.detail || err.message}`]);
        return;
      }
    }
    this.active.delete(id);
    this.triggered = this.triggered.filter((a) => a.id !== id);
    this.render();
  }

  /** fired takes an alert pushed on the stream. */
  fired(a) {
    if (!a || typeof a.id !== 'number') return;
    this.active.delete(a.id);
    if (!this.triggered.some((t) => t.id === a.id)) {
      this.triggered.unshift(a);
      this.triggered.length = Math.min(this.triggered.length, TRIGGERED_SHOWN);
    }
    this.render();
    this.announce(a, '');
    this.markSeen([a.id]);
  }

  /** announce shows a notification that stays a while, and a desktop one if allowed. */
  announce(a, prefix) {
    const text = `${prefix}${describe(a)} — hit ${money(a.triggered_price)}`;
    const toast = document.createElement('div');
    toast.className = 'toast';
    toast.dataset.alert = a.id;
    const msg = document.createElement('span');
    msg.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-icon';
    close.textContent = '×';
    close.setAttribute('aria-label', 'Dismiss');
    close.addEventListener('click', () => toast.remove());
    toast.append(bellIcon(), msg, close);
    this.toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
    if ('Notification' in window && Notification.permission === 'granted') {
      try { new Notification('tickerd price alert', { body: text, tag: 'alert-' + a.id }); } catch { /* page-only */ }
    }
  }

  render() {
    const active = [...this.active.values()].sort((x, y) => y.id - x.id);
    this.activeList.replaceChildren(...active.map((a) => this.item(a)));
    this.activeEmpty.hidden = active.length > 0;
    this.firedList.replaceChildren(...this.triggered.map((a) => this.item(a)));
    this.firedEmpty.hidden = this.triggered.length > 0;
    this.onChange(active);
  }

  item(a) {
    const li = document.createElement('li');
    li.dataset.alert = a.id;
    li.dataset.status = a.status;
    const text = document.createElement('span');
    text.className = 'alert-text';
    text.textContent = describe(a);
    const meta = document.createElement('span');
    meta.className = 'alert-meta num';
    if (a.status === 'triggered') {
      meta.textContent = `hit ${money(a.triggered_price)} · ${new Date(a.triggered_at).toLocaleTimeString()}`;
    }
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'btn-icon';
    del.textContent = '×';
    del.dataset.delete = a.id;
    del.setAttribute('aria-label', `Delete alert: ${describe(a)}`);
    li.append(text, meta, del);
    return li;
  }

  show(kind, parts) {
    this.result.className = 'trade-result ' + kind;
    this.result.replaceChildren(...parts);
  }

  seenKey() { return 'tickerd.alerts.seen.' + this.user; }

  seen() {
    try { return new Set(JSON.parse(localStorage.getItem(this.seenKey()) || '[]')); } catch { return new Set(); }
  }

  markSeen(ids) {
    const all = [...new Set([...ids, ...this.seen()])].slice(0, 200);
    try { localStorage.setItem(this.seenKey(), JSON.stringify(all)); } catch { /* storage off */ }
  }

  /** clear forgets the account's alerts (on logout). */
  clear() {
    this.user = '';
    this.active.clear();
    this.triggered = [];
    this.render();
    this.show('', []);
    this.toasts.replaceChildren();
  }
}
