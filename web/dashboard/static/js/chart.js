// The candle chart of one symbol: one-minute candles from the history
// endpoint, the current minute's candle extended by live ticks. Uses the
// lightweight-charts library when it was bundled (make assets).

import { api } from './api.js';
import { money, setChange } from './format.js';

const MINUTE = 60;

/** ChartView shows one symbol at a time. */
export class ChartView {
  constructor() {
    this.el = document.getElementById('chart');
    this.msg = document.getElementById('chart-msg');
    this.title = document.getElementById('chart-title');
    this.quoteEl = document.getElementById('chart-quote');
    this.symbol = '';
    this.chart = null;
    this.series = null;
    this.last = null;   // the newest candle shown {time, open, high, low, close}
    this.loading = 0;   // generation counter: a late history answer for an old symbol is dropped
    this.pending = [];  // ticks that arrive while history loads
    this.dark = matchMedia('(prefers-color-scheme: dark)');
    this.dark.addEventListener('change', () => this.chart && this.chart.applyOptions(this.theme()));
  }

  /** available reports whether the chart library was bundled. */
  get available() { return typeof window.LightweightCharts === 'object' && window.LightweightCharts !== null; }

  theme() {
    const cs = getComputedStyle(document.documentElement);
    const v = (n) => cs.getPropertyValue(n).trim();
    return {
      layout: { background: { type: 'solid', color: v('--card') }, textColor: v('--muted'), attributionLogo: false },
      grid: { vertLines: { color: v('--line') }, horzLines: { color: v('--line') } },
      rightPriceScale: { borderColor: v('--line') },
      timeScale: { borderColor: v('--line') },
    };
  }

  candleColors() {
    const cs = getComputedStyle(document.documentElement);
    const up = cs.getPropertyValue('--up').trim();
    const down = cs.getPropertyValue('--down').trim();
    return { upColor: up, downColor: down, wickUpColor: up, wickDownColor: down, borderVisible: false };
  }

  ensureChart() {
    if (this.chart) return true;
    if (!this.available) {
      this.msg.textContent = 'The chart library is not bundled in this build: run "make assets" and restart the server.';
      this.msg.hidden = false;
      this.el.hidden = true;
      return false;
    }
    const LC = window.LightweightCharts;
    const timeFmt = (t) => new Date(t * 1000).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit', hour12: false });
    this.chart = LC.createChart(this.el, {
      autoSize: true,
      ...this.theme(),
      localization: { locale: 'en-US', timeFormatter: timeFmt, priceFormatter: (p) => money(p) },
      timeScale: { ...this.theme().timeScale, timeVisible: true, secondsVisible: false, tickMarkFormatter: timeFmt },
    });
    this.series = this.chart.addSeries(LC.CandlestickSeries, this.candleColors());
    this.dark.addEventListener('change', () => this.series && this.series.applyOptions(this.candleColors()));
    return true;
  }

  /** show switches the chart to symbol and loads its history. */
  async show(symbol) {
    this.symbol = symbol;
    this.title.textContent = `${symbol} · 1 min`;
    this.quoteEl.textContent = '';
    this.el.hidden = false;
    if (!this.ensureChart()) return;
    this.msg.hidden = true;
    this.el.setAttribute('aria-label', `${symbol} price chart, one-minute candles`);
    this.series.setData([]);
    this.last = null;
    await this.reload();
  }

  /** reload refetches the history (after a reconnect, to fill what was missed). */
  async reload() {
    if (!this.symbol || !this.series) return;
    const gen = ++this.loading;
    const symbol = this.symbol;
    this.pending = [];
    let res;
    try {
      res = await api.candles(symbol);
    } catch (err) {
      if (gen !== this.loading) return;
      this.loading = 0;
      this.msg.textContent = `Could not load ${symbol} history: ${err.detail || err.message}`;
      this.msg.hidden = false;
      return;
    }
    if (gen !== this.loading) return;
    this.loading = 0;
    const data = (res && Array.isArray(res.candles) ? res.candles : []).map((c) => ({
      time: Math.floor(c.t / 1000), open: c.o, high: c.h, low: c.l, close: c.c,
    }));
    this.series.setData(data);
    this.last = data.length ? { ...data[data.length - 1] } : null;
    for (const q of this.pending) this.tick(q);
    this.pending = [];
    this.chart.timeScale().scrollToRealTime();
  }

  /** quotes extends the current candle with the charted symbol's ticks. */
  quotes(list) {
    for (const q of list) {
      if (q.symbol !== this.symbol) continue;
      this.quoteEl.replaceChildren();
      const price = document.createElement('span');
      price.textContent = money(q.price) + ' ';
      const chg = document.createElement('span');
      setChange(chg, q.change, q.change_pct);
      this.quoteEl.append(price, chg);
      if (!this.series) continue;
      if (this.loading) this.pending.push(q);
      else this.tick(q);
    }
  }

  tick(q) {
    const time = Math.floor(q.ts / 1000 / MINUTE) * MINUTE;
    const p = q.price;
    if (this.last && time < this.last.time) return; // older than what is drawn
    if (this.last && time === this.last.time) {
      this.last.high = Math.max(this.last.high, p);
      this.last.low = Math.min(this.last.low, p);
      this.last.close = p;
    } else {
      this.last = { time, open: p, high: p, low: p, close: p };
    }
    this.series.update({ ...this.last });
  }

  /** clear forgets the symbol (on logout). */
  clear() {
    this.symbol = '';
    this.title.textContent = 'Chart';
    this.quoteEl.textContent = '';
    if (this.series) this.series.setData([]);
    this.last = null;
    this.el.hidden = true;
    this.msg.textContent = 'Select a symbol in the watchlist or positions to see its chart.';
    this.msg.hidden = false;
  }
}
