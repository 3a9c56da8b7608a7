// The watchlist: live prices with a flash on every tick, a sparkline per
// symbol, and a keyboard-navigable search over the symbol universe to add one.

import { api } from './api.js';
import { arrow, direction, money, setChange } from './format.js';
import { Series, draw } from './sparkline.js';

const MAX_RESULTS = 8;

/**
 * WatchlistView shows the account's saved symbols.
 * onChange(symbols) runs after the saved list changes; onSelect(symbol) opens a chart;
 * onAlert(symbol, price) starts an alert on the symbol at its last price.
 */
export class WatchlistView {
  constructor(onChange, onSelect, onAlert) {
    this.onChange = onChange;
    this.onSelect = onSelect;
    this.onAlert = onAlert;
    this.body = document.getElementById('wl-body');
    this.empty = document.getElementById('wl-empty');
    this.error = document.getElementById('wl-error');
    this.input = document.getElementById('search-input');
    this.list = document.getElementById('search-list');
    this.universe = [];
    this.names = new Map();
    this.symbols = [];
    this.rows = new Map();   // symbol -> row
    this.dirty = new Set();  // sparklines to redraw
    this.selected = '';
    this.results = [];
    this.active = -1;
    this.colors = readColors();
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      this.colors = readColors();
      for (const s of this.rows.keys()) this.dirty.add(s);
      this.scheduleDraw();
    });
    this.input.addEventListener('input', () => this.search());
    this.input.addEventListener('keydown', (ev) => this.onKey(ev));
    this.input.addEventListener('blur', () => this.closeList());
    this.list.addEventListener('mousedown', (ev) => ev.preventDefault()); // keep focus in the input
    this.list.addEventListener('click', (ev) => {
      const li = ev.target.closest('li[data-symbol]');
      if (li) this.pick(li.dataset.symbol);
    });
  }

  /** setUniverse stores the searchable symbols ({symbol, name, sector}). */
  setUniverse(list) {
    this.universe = list;
    for (const s of list) this.names.set(s.symbol, s.name);
  }

  /** load shows the saved watchlist (from GET /api/v1/watchlist). */
  load(symbols) {
    this.apply(symbols);
    for (const s of symbols) this.loadHistory(s);
  }

  apply(symbols) {
    this.symbols = [...symbols];
    const keep = new Set(symbols);
    for (const [sym, row] of this.rows) {
      if (!keep.has(sym)) { row.tr.remove(); this.rows.delete(sym); }
    }
    for (const sym of symbols) {
      const row = this.rows.get(sym) || this.addRow(sym);
      this.body.append(row.tr); // keeps the saved order
    }
    this.empty.hidden = symbols.length > 0;
    this.onChange(this.symbols);
  }

  async loadHistory(symbol) {
    try {
      const res = await api.candles(symbol);
      const row = this.rows.get(symbol);
      if (row && res && Array.isArray(res.candles)) {
        row.series.setCandles(res.candles);
        this.dirty.add(symbol);
        this.scheduleDraw();
      }
    } catch {
      // A sparkline without history still fills from live ticks.
    }
  }

  /** refreshHistory reloads every sparkline's history (after a reconnect). */
  refreshHistory() {
    for (const s of this.symbols) this.loadHistory(s);
  }

  addRow(symbol) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = symbol;
    const symTd = document.createElement('td');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'sym-btn';
    btn.textContent = symbol;
    btn.title = this.names.get(symbol) || symbol;
    btn.setAttribute('aria-label', `Show chart for ${symbol}`);
    btn.addEventListener('click', () => this.onSelect(symbol));
    const halted = document.createElement('span');
    halted.className = 'badge-halted';
    halted.textContent = 'Halted';
    halted.title = 'Trading in this symbol is halted';
    halted.hidden = true;
    symTd.append(btn, halted);
    const num = (extra = '') => { const td = document.createElement('td'); td.className = 'num ' + extra; return td; };
    const price = num('price');
    const tick = document.createElement('span');
    tick.className = 'tick';
    tick.setAttribute('aria-hidden', 'true');
    const priceText = document.createElement('span');
    priceText.textContent = '–';
    price.append(tick, priceText);
    const change = num('hide-narrow');
    const pct = num();
    const sparkTd = document.createElement('td');
    const canvas = document.createElement('canvas');
    canvas.className = 'spark';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${symbol} price today`);
    sparkTd.append(canvas);
    const rmTd = document.createElement('td');
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'btn-icon';
    rm.textContent = '×';
    rm.setAttribute('aria-label', `Remove ${symbol} from watchlist`);
    rm.addEventListener('click', () => this.remove(symbol));
    const bell = document.createElement('button');
    bell.type = 'button';
    bell.className = 'btn-icon btn-bell';
    bell.append(bellIcon());
    bell.setAttribute('aria-label', `Set a price alert on ${symbol}`);
    bell.title = 'Price alert';
    bell.addEventListener('click', () => this.onAlert(symbol, this.rows.get(symbol)?.last));
    rmTd.className = 'row-actions';
    rmTd.append(bell, rm);
    tr.append(symTd, price, change, pct, sparkTd, rmTd);
    tr.classList.toggle('selected', symbol === this.selected);
    price.addEventListener('animationend', () => price.classList.remove('flash-up', 'flash-down'));
    const row = { tr, price, priceText, tick, change, pct, canvas, halted, series: new Series(), last: NaN };
    this.rows.set(symbol, row);
    return row;
  }

  /** quotes applies live quotes to the rows they belong to. */
  quotes(list) {
    for (const q of list) {
      const row = this.rows.get(q.symbol);
      if (!row) continue;
      const dir = Number.isFinite(row.last) ? direction(q.price - row.last) : '';
      row.last = q.price;
      row.priceText.textContent = money(q.price);
      row.price.dataset.seq = q.seq;
      row.halted.hidden = q.status !== 'halted'; // absent means open
      row.tr.classList.toggle('halted', q.status === 'halted');
      if (dir && !q.snapshot) {
        row.tick.textContent = arrow(dir === 'up' ? 1 : -1);
        row.tick.className = 'tick ' + dir;
        row.price.setAttribute('aria-label', `${money(q.price)}, ${dir}`);
        row.price.classList.remove('flash-up', 'flash-down');
        void row.price.offsetWidth; // restart the animation
        row.price.classList.add(dir === 'up' ? 'flash-up' : 'flash-down');
      }
      setChange(row.change, q.change);
      setChange(row.pct, undefined, q.change_pct);
      row.series.prevClose = q.prev_close;
      row.series.add(q.ts, q.price);
      this.dirty.add(q.symbol);
    }
    this.scheduleDraw();
  }

  scheduleDraw() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      for (const s of this.dirty) {
        const row = this.rows.get(s);
        if (row) draw(row.canvas, row.series, this.colors);
      }
      this.dirty.clear();
    });
  }

  /** select highlights the charted symbol's row. */
  select(symbol) {
    this.selected = symbol;
    for (const [sym, row] of this.rows) row.tr.classList.toggle('selected', sym === symbol);
  }

  async save(next) {
    this.error.textContent = '';
    try {
      const res = await api.setWatchlist(next);
      const saved = res && Array.isArray(res.symbols) ? res.symbols : next;
      const added = saved.filter((s) => !this.rows.has(s));
      this.apply(saved);
      for (const s of added) this.loadHistory(s);
      return true;
    } catch (err) {
      this.error.textContent = `Could not save the watchlist: ${err.detail || err.message}`;
      return false;
    }
  }

  add(symbol) {
    if (this.symbols.includes(symbol)) return Promise.resolve(true);
    return this.save([...this.symbols, symbol]);
  }

  remove(symbol) {
    // Move focus somewhere sensible before the row (and its button) goes away.
    const row = this.rows.get(symbol);
    const next = row && (row.tr.nextElementSibling || row.tr.previousElementSibling);
    this.save(this.symbols.filter((s) => s !== symbol)).then((ok) => {
      if (!ok) return;
      const target = next && next.querySelector('.btn-icon');
      (target || this.input).focus();
    });
  }

  // --- search (ARIA combobox with a listbox popup) ---

  search() {
    const q = this.input.value.trim().toLowerCase();
    if (!q) { this.closeList(); return; }
    const watched = new Set(this.symbols);
    const scored = [];
    for (const s of this.universe) {
      if (watched.has(s.symbol)) continue;
      const t = s.symbol.toLowerCase();
      const n = (s.name || '').toLowerCase();
      let score = -1;
      if (t === q) score = 0;
      else if (t.startsWith(q)) score = 1;
      else if (n.startsWith(q)) score = 2;
      else if (n.includes(q)) score = 3;
      else if (t.includes(q)) score = 4;
      if (score >= 0) scored.push([score, s]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1].symbol.localeCompare(b[1].symbol));
    this.results = scored.slice(0, MAX_RESULTS).map((x) => x[1]);
    this.active = this.results.length ? 0 : -1;
    this.renderList();
  }

  renderList() {
    const items = this.results.map((s, i) => {
      const li = document.createElement('li');
      li.id = `search-opt-${i}`;
      li.setAttribute('role', 'option');
      li.dataset.symbol = s.symbol;
      li.setAttribute('aria-selected', String(i === this.active));
      const t = document.createElement('span');
      t.className = 't';
      t.textContent = s.symbol;
      const n = document.createElement('span');
      n.className = 'n';
      n.textContent = s.name || '';
      li.append(t, n);
      return li;
    });
    if (!items.length) {
      const li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.setAttribute('aria-disabled', 'true');
      li.textContent = 'No matching symbol';
      items.push(li);
    }
    this.list.replaceChildren(...items);
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.updateActive();
  }

  updateActive() {
    this.list.querySelectorAll('li[data-symbol]').forEach((li, i) => li.setAttribute('aria-selected', String(i === this.active)));
    if (this.active >= 0) {
      this.input.setAttribute('aria-activedescendant', `search-opt-${this.active}`);
      const li = document.getElementById(`search-opt-${this.active}`);
      if (li) li.scrollIntoView({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
    }
  }

  closeList() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.results = [];
    this.active = -1;
  }

  onKey(ev) {
    const open = !this.list.hidden;
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        if (!open) { this.search(); return; }
        if (this.results.length) { this.active = (this.active + 1) % this.results.length; this.updateActive(); }
        break;
      case 'ArrowUp':
        ev.preventDefault();
        if (open && this.results.length) {
          this.active = (this.active - 1 + this.results.length) % this.results.length;
          this.updateActive();
        }
        break;
      case 'Enter': {
        ev.preventDefault();
        const s = this.results[this.active];
        if (s) this.pick(s.symbol);
        break;
      }
      case 'Escape':
        if (open) { ev.preventDefault(); this.closeList(); } else this.input.value = '';
        break;
      default:
        break;
    }
  }

  async pick(symbol) {
    this.closeList();
    this.input.value = '';
    await this.add(symbol);
  }

  /** clear empties the view (on logout). */
  clear() {
    this.rows.clear();
    this.symbols = [];
    this.body.replaceChildren();
    this.empty.hidden = true;
    this.error.textContent = '';
    this.closeList();
    this.input.value = '';
  }
}

function readColors() {
  const cs = getComputedStyle(document.documentElement);
  const v = (name) => cs.getPropertyValue(name).trim();
  return { up: v('--up'), down: v('--down'), muted: v('--muted') };
}

/** bellIcon is a small bell drawn in SVG (no emoji font needed). */
export function bellIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'bell');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M8 1.5a1 1 0 0 1 1 1v.6a4.5 4.5 0 0 1 3.5 4.4v2.8l1.3 1.7H2.2l1.3-1.7V7.5A4.5 4.5 0 0 1 7 3.1v-.6a1 1 0 0 1 1-1zM6.3 13h3.4a1.7 1.7 0 0 1-3.4 0z');
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
