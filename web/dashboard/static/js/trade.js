// The trade form: buy or sell whole shares at the feed's current price. The
// answer is shown as the server gave it: the fill, or the refusal's detail and code.

import { api } from './api.js';
import { count, money } from './format.js';

/** TradeForm submits orders; onFilled(trade) runs after a fill. */
export class TradeForm {
  constructor(onFilled) {
    this.onFilled = onFilled;
    this.form = document.getElementById('trade-form');
    this.symbol = document.getElementById('trade-symbol');
    this.qty = document.getElementById('trade-qty');
    this.button = document.getElementById('trade-submit');
    this.result = document.getElementById('trade-result');
    this.options = document.getElementById('symbol-options');
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    // An error is about the order as it was sent: once the symbol, the
    // quantity or the side changes, it no longer applies.
    this.symbol.addEventListener('input', () => this.clearError());
    this.qty.addEventListener('input', () => this.clearError());
    this.form.addEventListener('change', (ev) => { if (ev.target.name === 'side') this.clearError(); });
  }

  /** setUniverse fills the symbol suggestions. */
  setUniverse(list) {
    this.options.replaceChildren(...list.map((s) => {
      const o = document.createElement('option');
      o.value = s.symbol;
      o.label = s.name || s.symbol;
      return o;
    }));
  }

  /** setSymbol pre-fills the symbol (the charted one). */
  setSymbol(symbol) {
    if (this.symbol.value !== symbol) this.clearError();
    this.symbol.value = symbol;
  }

  /** clearError removes a refusal's message and the fields' invalid marks. */
  clearError() {
    this.symbol.removeAttribute('aria-invalid');
    this.qty.removeAttribute('aria-invalid');
    if (this.result.classList.contains('err')) this.show('', []);
  }

  show(kind, parts) {
    this.result.className = 'trade-result ' + kind;
    this.result.replaceChildren(...parts);
  }

  async submit() {
    const symbol = this.symbol.value.trim().toUpperCase();
    const side = this.form.elements.side.value;
    const raw = this.qty.value.trim();
    const quantity = Number(raw);
    if (!symbol) {
      this.symbol.setAttribute('aria-invalid', 'true');
      this.show('err', ['Enter a symbol.']);
      this.symbol.focus();
      return;
    }
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(quantity)) {
      this.qty.setAttribute('aria-invalid', 'true');
      this.show('err', ['Enter a whole number of shares.']);
      this.qty.focus();
      return;
    }
    this.button.disabled = true;
    this.show('', ['Sending order…']);
    try {
      const t = await api.trade(symbol, side, quantity);
      const verb = t.side === 'sell' ? 'Sold' : 'Bought';
      this.show('ok', [`✓ ${verb} ${count(t.quantity)} ${t.symbol} at ${money(t.price)} for ${money(t.amount)}. Cash now ${money(t.cash_after)}.`]);
      this.onFilled(t);
    } catch (err) {
      const code = document.createElement('code');
      code.textContent = err.code || 'error';
      this.show('err', [`✗ Refused: ${err.detail || err.message} (`, code, ')']);
      if (err.field === 'quantity') this.qty.setAttribute('aria-invalid', 'true');
      if (err.field === 'symbol') this.symbol.setAttribute('aria-invalid', 'true');
    } finally {
      this.button.disabled = false;
    }
  }

  /** clear resets the form (on logout): no result, no error marks. */
  clear() {
    this.symbol.removeAttribute('aria-invalid');
    this.qty.removeAttribute('aria-invalid');
    this.result.replaceChildren();
    this.result.className = 'trade-result';
  }
}
