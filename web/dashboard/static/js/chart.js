// The candle chart of one symbol: one-minute candles from the history
// endpoint, the current minute's candle extended by live ticks. Uses the
// lightweight-charts library when it was bundled (make assets).

import { api } from './api.js';
import { money, setChange } from './format.js';

const MINUTE = 60;
const BAR_SPACING = 6;  // pixels per candle, the library's default
const RIGHT_OFFSET = 3; // empty bars right of the newest candle

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
    this.shown = 0;     // candles in the series
    this.loading = 0;   // generation counter: a late history answer for an old symbol is dropped
    this.pending = [];  // ticks that arrive while history loads
    this.alerts = [];   // the account's active alerts
    this.lines = [];    // price lines drawn for the charted symbol's alerts
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
      // The first candle and its time label start inside the pane (no
      // scrolling into the empty time before the history), and the newest
      // candle keeps a few bars of room from the price scale.
      timeScale: {
        ...this.theme().timeScale, timeVisible: true, secondsVisible: false, tickMarkFormatter: timeFmt,
        fixLeftEdge: true, rightOffset: RIGHT_OFFSET, barSpacing: BAR_SPACING, lockVisibleTimeRangeOnResize: true,
      },
      // Margins keep the highest and lowest candles off the scale's edges,
      // and an edge label is drawn only when it fits whole.
      rightPriceScale: { ...this.theme().rightPriceScale, scaleMargins: { top: 0.12, bottom: 0.08 }, entireTextOnly: true },
    });
    // The last price is in the card's header; on the scale its label would
    // cover a price label, so only its dotted line is drawn.
    this.series = this.chart.addSeries(LC.CandlestickSeries, { ...this.candleColors(), lastValueVisible: false, priceLineVisible: true });
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
    this.shown = 0;
    this.drawAlerts();
    await this.reload();
  }

  /** setAlerts draws the active price thresholds of the charted symbol as lines. */
  setAlerts(alerts) {
    this.alerts = alerts;
    this.drawAlerts();
  }

  drawAlerts() {
    if (!this.series) return;
    for (const l of this.lines) this.series.removePriceLine(l);
    this.lines = [];
    const color = getComputedStyle(document.documentElement).getPropertyValue('--warn').trim();
    for (const a of this.alerts) {
      if (a.symbol !== this.symbol || typeof a.price !== 'number') continue;
      this.lines.push(this.series.createPriceLine({
        price: a.price, color, lineWidth: 1, lineStyle: window.LightweightCharts.LineStyle.Dashed,
        axisLabelVisible: true, title: a.condition === 'above' ? 'alert ≥' : 'alert ≤',
      }));
    }
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
    // Only the candles that fit are drawn, so the view starts at the first
    // one: the library keeps the first time label inside the pane only
    // there (with fixLeftEdge); a view starting mid-history cuts it off.
    this.setCandles(data.slice(-this.fits()));
    for (const q of this.pending) this.tick(q);
    this.pending = [];
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
      this.shown++;
      if (this.shown > this.fits()) {
        // A new minute: drop the oldest candle so the view still starts at the first.
        const data = this.series.data().slice(-(this.fits() - 1));
        this.setCandles([...data, { ...this.last }]);
        return;
      }
      // A new minute that still fits: the view is fitted again, or the
      // library scrolls it and the first candle leaves the pane.
      this.series.update({ ...this.last });
      this.chart.timeScale().fitContent();
      return;
    }
    this.series.update({ ...this.last });
  }

  /** fits is how many candles fit the pane at the default spacing. */
  fits() {
    const width = (this.chart && this.chart.timeScale().width()) || this.el.clientWidth - 70; // before the first layout: less a price scale
    return Math.max(10, Math.floor(width / BAR_SPACING) - RIGHT_OFFSET);
  }

  setCandles(data) {
    this.series.setData(data);
    this.shown = data.length;
    this.last = data.length ? { ...data[data.length - 1] } : null;
    this.chart.timeScale().fitContent();
  }

  /** clear forgets the symbol (on logout). */
  clear() {
    this.symbol = '';
    this.title.textContent = 'Chart';
    this.quoteEl.textContent = '';
    if (this.series) this.series.setData([]);
    this.alerts = [];
    this.drawAlerts();
    this.last = null;
    this.shown = 0;
    this.el.hidden = true;
    this.msg.textContent = 'Select a symbol in the watchlist or positions to see its chart.';
    this.msg.hidden = false;
  }
}
