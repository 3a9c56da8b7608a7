// Trade history: the account's fills, newest first, from
// GET /api/v1/portfolio/trades, one page at a time ("Load more" follows
// next_cursor). New fills are fetched when this tab places one, when
// another tab of this browser says it did (BroadcastChannel), and when a
// pushed valuation's cash differs from the last one seen (a fill anywhere:
// another tab, another device, a script against the API).

import { api } from './api.js';
import { count, money } from './format.js';

const PAGE = 10;
const CHANNEL = 'tickerd-trades';

const timeFmt = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium' });

/** TradeHistory renders the trades panel. */
export class TradeHistory {
  constructor() {
    this.body = document.getElementById('hist-body');
    this.empty = document.getElementById('hist-empty');
    this.more = document.getElementById('hist-more');
    this.error = document.getElementById('hist-error');
    this.ids = new Set();
    this.newest = 0;       // highest trade id shown
    this.cursor = null;    // next_cursor of the last page shown; null: no more
    this.cash = undefined; // cash of the last valuation seen
    this.gen = 0;          // bumped on clear: answers for a previous session are dropped
    this.active = false;   // between load (login) and clear (logout)
    this.queue = Promise.resolve();
    this.more.addEventListener('click', () => this.loadMore());
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
    if (this.channel) this.channel.onmessage = () => { if (this.active) this.refresh(); };
  }

  // run serializes fetches so that a refresh and a "load more" never
  // interleave their rows.
  run(fn) {
    const gen = this.gen;
    this.queue = this.queue.then(() => (gen === this.gen ? fn(gen) : undefined)).catch(() => {});
    return this.queue;
  }

  /** load shows the first page (after login). */
  load() {
    this.active = true;
    return this.run(async (gen) => {
      const page = await this.fetch(null, gen);
      if (!page) return;
      this.body.replaceChildren();
      this.ids.clear();
      this.newest = 0;
      this.append(page.trades, false);
      this.setCursor(page.next_cursor);
    });
  }

  /** refresh adds the fills newer than the newest shown. */
  refresh() {
    return this.run(async (gen) => {
      const page = await this.fetch(null, gen);
      if (!page) return;
      const fresh = page.trades.filter((t) => t.id > this.newest);
      if (!fresh.length) return;
      const wasEmpty = this.ids.size === 0;
      if (fresh.length === page.trades.length && this.newest > 0 && page.next_cursor) {
        // More fills than a page since the last look: start over from this page.
        this.body.replaceChildren();
        this.ids.clear();
        this.newest = 0;
        this.append(page.trades, true);
        this.setCursor(page.next_cursor);
        return;
      }
      this.prepend(fresh);
      if (wasEmpty) this.setCursor(page.next_cursor);
    });
  }

  loadMore() {
    if (!this.cursor) return Promise.resolve();
    this.more.disabled = true;
    return this.run(async (gen) => {
      const page = await this.fetch(this.cursor, gen);
      if (!page) return;
      this.append(page.trades, false);
      this.setCursor(page.next_cursor);
    }).finally(() => { this.more.disabled = false; });
  }

  async fetch(cursor, gen) {
    try {
      const page = await api.trades(PAGE, cursor);
      if (gen !== this.gen) return null;
      this.error.textContent = '';
      return { trades: Array.isArray(page && page.trades) ? page.trades : [], next_cursor: (page && page.next_cursor) || null };
    } catch (err) {
      if (gen === this.gen) this.error.textContent = `Could not load trades: ${err.detail || err.message}`;
      return null;
    }
  }

  /** filled records a fill placed in this tab and tells the other tabs. */
  filled() {
    if (this.channel) this.channel.postMessage({ type: 'filled' });
    return this.refresh();
  }

  /** valuation watches pushed valuations: a change of cash means a fill. */
  valuation(p) {
    if (!this.active || !p || typeof p.cash !== 'number') return;
    const before = this.cash;
    this.cash = p.cash;
    if (before !== undefined && before !== p.cash) this.refresh();
  }

  setCursor(next) {
    this.cursor = next || null;
    this.more.hidden = !this.cursor;
    this.empty.hidden = this.ids.size > 0;
  }

  append(trades, flash) {
    for (const t of trades) {
      if (this.ids.has(t.id)) continue;
      this.body.append(this.row(t, flash));
    }
    this.empty.hidden = this.ids.size > 0;
  }

  prepend(trades) {
    const rows = [];
    for (const t of trades) if (!this.ids.has(t.id)) rows.push(this.row(t, true));
    this.body.prepend(...rows);
    this.empty.hidden = this.ids.size > 0;
  }

  row(t, flash) {
    this.ids.add(t.id);
    this.newest = Math.max(this.newest, t.id);
    const tr = document.createElement('tr');
    tr.dataset.id = String(t.id);
    if (flash) tr.className = 'fresh';
    const when = new Date(t.time);
    const td = (text, cls, label) => {
      const el = document.createElement('td');
      el.textContent = text;
      if (cls) el.className = cls;
      if (label) el.dataset.label = label;
      return el;
    };
    const time = document.createElement('time');
    time.dateTime = t.time;
    time.title = Number.isNaN(when.getTime()) ? t.time : fullFmt.format(when);
    const today = new Date().toDateString() === when.toDateString();
    time.textContent = Number.isNaN(when.getTime()) ? t.time : (today ? '' : dayFmt.format(when) + ' ') + timeFmt.format(when);
    const timeTd = td('', 'hist-time');
    timeTd.append(time);
    const side = td(t.side === 'sell' ? 'Sell' : 'Buy', 'hist-side ' + (t.side === 'sell' ? 'sell' : 'buy'));
    tr.append(
      timeTd,
      side,
      td(t.symbol, 'hist-sym'),
      td(count(t.quantity), 'num', 'Qty'),
      td(money(t.price), 'num', 'Price'),
      td(money(t.amount), 'num', 'Amount'),
      td(money(t.cash_after), 'num hide-narrow', 'Cash after'),
    );
    return tr;
  }

  /** clear empties the panel (on logout). */
  clear() {
    this.gen++;
    this.active = false;
    this.body.replaceChildren();
    this.ids.clear();
    this.newest = 0;
    this.cursor = null;
    this.cash = undefined;
    this.more.hidden = true;
    this.empty.hidden = false;
    this.error.textContent = '';
  }
}
