// The market banner: what a scenario is doing to the whole market now
// (halts, shocks, volatility, tick rate), from GET /api/v1/market. It polls
// every few seconds and at once when a quote's trading status changes.

import { api } from './api.js';

const POLL_MS = 5000;

const clock = (iso) => new Date(iso).toISOString().slice(11, 19);
const pct = (v) => (v > 0 ? '+' : v < 0 ? '−' : '') + Math.abs(v) + '%';

/** describe is one active market-wide event in words, with when it ends. */
function describe(e) {
  const until = ` until ${clock(e.end)} UTC`;
  switch (e.type) {
    case 'halt': return `Trading halted market-wide${until}`;
    case 'shock': return `Market ${e.percent < 0 ? 'sell-off' : 'rally'} ${pct(e.percent)} in progress${until}`;
    case 'volatility': return `Volatility ×${e.factor}${until}`;
    case 'rate': return `Tick rate ×${e.factor}${until}`;
    default: return '';
  }
}

/** MarketView shows the banner for market-wide scenario events. */
export class MarketView {
  constructor(el) {
    this.el = el;
    this.timer = 0;
    this.pending = 0;
    this.running = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.refresh();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.pending);
    this.timer = this.pending = 0;
    this.el.hidden = true;
  }

  /** quotes refreshes the banner soon after a quote announces a halt or a reopening. */
  quotes(list) {
    if (!this.running || this.pending || !list.some((q) => q.status)) return;
    this.pending = setTimeout(() => { this.pending = 0; this.refresh(); }, 200);
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      this.render(await api.market());
    } catch {
      // The banner is a hint; the next poll tries again.
    }
    if (this.running) this.timer = setTimeout(() => this.refresh(), POLL_MS);
  }

  render(m) {
    if (!this.running) return;
    const sc = m && m.scenario;
    const lines = sc ? sc.events.filter((e) => e.active && e.scope === 'market').map(describe).filter(Boolean) : [];
    this.el.hidden = lines.length === 0;
    if (lines.length === 0) return;
    this.el.textContent = '';
    const name = document.createElement('strong');
    name.textContent = `Scenario ${sc.name}: `;
    this.el.append(name, lines.join(' · '));
    this.el.dataset.events = sc.events.filter((e) => e.active && e.scope === 'market').map((e) => e.type).join(' ');
  }
}
