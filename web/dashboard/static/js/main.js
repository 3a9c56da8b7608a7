// tickerd dashboard: wires the views to the REST API and the live stream.

import { AlertsView } from './alerts.js';
import { api } from './api.js';
import { AuthView } from './auth.js';
import { ChartView } from './chart.js';
import { TradeHistory } from './history.js';
import { PausedBar } from './paused.js';
import { MarketView } from './market.js';
import { PortfolioView } from './portfolio.js';
import { ProtocolView } from './protocol.js';
import { Stream } from './stream.js';
import { TradeForm } from './trade.js';
import { WatchlistView } from './watchlist.js';

const STATE_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', offline: 'offline' };

class App {
  constructor() {
    this.appEl = document.getElementById('app');
    this.userEl = document.getElementById('user');
    this.connEl = document.getElementById('conn');
    this.connState = document.getElementById('conn-state');
    this.connLatency = document.getElementById('conn-latency');
    this.connReason = document.getElementById('conn-reason');
    this.universeLoaded = false;
    this.info = { via: '', reason: '', retryAt: 0 };
    this.state = 'offline';

    this.auth = new AuthView(document.getElementById('auth'), (u) => this.enter(u));
    this.portfolio = new PortfolioView((s) => this.select(s));
    this.alerts = new AlertsView((active) => this.chart.setAlerts(active));
    this.watch = new WatchlistView(() => this.subscribe(), (s) => this.select(s), (s, price) => this.alerts.prefill(s, price));
    this.chart = new ChartView();
    this.history = new TradeHistory();
    this.paused = new PausedBar(() => this.stream.retryNow());
    this.trade = new TradeForm(() => { this.refreshPortfolio(); this.history.filled(); });
    this.protocol = new ProtocolView(document.getElementById('protocol'));
    this.market = new MarketView(document.getElementById('market-banner'));
    this.stream = new Stream({
      state: (state, info) => this.setState(state, info),
      connected: (info) => this.connected(info),
      quotes: (list) => {
        this.watch.quotes(list);
        this.chart.quotes(list);
        this.protocol.quotes(list);
        this.market.quotes(list);
      },
      portfolio: (p) => { this.portfolio.render(p); this.history.valuation(p); },
      alert: (a) => this.alerts.fired(a),
      error: (f) => this.serverError(f),
      frame: (rec) => this.protocol.frame(rec),
      authLost: (reason) => this.leave(`Your session ended${reason ? ` (${reason})` : ''}. Log in again.`),
    });
    document.getElementById('logout').addEventListener('click', () => this.logout());
    setInterval(() => this.renderConn(), 1000);
  }

  async boot() {
    try {
      const me = await api.me();
      await this.enter(me.username);
    } catch (err) {
      this.leave(err.status === 401 || err.status === undefined ? '' : err.detail);
    }
  }

  async enter(username) {
    this.auth.hide();
    this.appEl.hidden = false;
    this.userEl.hidden = false;
    document.getElementById('user-name').textContent = username;
    const [universe, watchlist, portfolio] = await Promise.allSettled([
      this.universeLoaded ? Promise.resolve(null) : api.symbols(),
      api.watchlist(),
      api.portfolio(),
    ]);
    if (universe.status === 'fulfilled' && universe.value && Array.isArray(universe.value.symbols)) {
      this.watch.setUniverse(universe.value.symbols);
      this.trade.setUniverse(universe.value.symbols);
      this.universeLoaded = true;
    }
    if (portfolio.status === 'fulfilled') this.portfolio.render(portfolio.value);
    this.history.load();
    if (portfolio.status === 'fulfilled') this.history.valuation(portfolio.value);
    const symbols = watchlist.status === 'fulfilled' && watchlist.value && Array.isArray(watchlist.value.symbols) ? watchlist.value.symbols : [];
    this.watch.load(symbols);
    if (symbols.length && !this.chart.symbol) this.select(symbols[0]);
    this.alerts.load(username);
    this.stream.start();
    this.market.start();
  }

  leave(message) {
    this.stream.stop();
    this.market.stop();
    this.appEl.hidden = true;
    this.userEl.hidden = true;
    this.watch.clear();
    this.portfolio.clear();
    this.chart.clear();
    this.trade.clear();
    this.history.clear();
    this.paused.clear();
    this.alerts.clear();
    this.protocol.clear();
    this.setState('offline', { via: '', reason: '', retryAt: 0 });
    this.auth.show(message);
  }

  async logout() {
    this.stream.stop(); // before the server closes our socket with 4001
    try {
      await api.logout();
    } catch {
      // The session is dropped locally either way.
    }
    this.leave('');
  }

  select(symbol) {
    this.watch.select(symbol);
    this.portfolio.select(symbol);
    this.trade.setSymbol(symbol);
    this.chart.show(symbol); // sets chart.symbol at once, then loads the history
    this.subscribe();
  }

  subscribe() {
    const wanted = new Set(this.watch.symbols);
    if (this.chart.symbol) wanted.add(this.chart.symbol);
    for (const s of this.stream.symbols) if (!wanted.has(s)) this.protocol.forget(s);
    this.stream.setSymbols(wanted);
  }

  connected(info) {
    // The stream resumes each symbol where it left off (or restarts it with
    // a snapshot), so sequence checking carries on across reconnects.
    if (info.first) {
      this.protocol.reset();
      return;
    }
    // Back after a drop: refresh what the stream does not replay.
    this.refreshPortfolio();
    this.history.refresh();
    this.alerts.load(document.getElementById('user-name').textContent); // fired while disconnected
    this.chart.reload();
    this.watch.refreshHistory();
  }

  async refreshPortfolio() {
    try {
      this.portfolio.render(await api.portfolio());
    } catch (err) {
      if (err.status === 401) this.leave('Your session ended. Log in again.');
    }
  }

  serverError(frame) {
    const el = document.getElementById('wl-error');
    el.textContent = `Server: ${frame.message || 'error'} (${frame.code || 'error'})`;
  }

  setState(state, info) {
    this.state = state;
    this.info = info;
    this.connEl.dataset.state = state === 'connecting' ? 'reconnecting' : state;
    let text = STATE_TEXT[state] || state;
    if (state === 'live' && info.via === 'sse') text = 'live (SSE fallback)';
    if (this.connState.textContent !== text) this.connState.textContent = text;
    this.paused.update(state);
    this.renderConn();
  }

  renderConn() {
    const lat = this.stream.latency;
    this.connLatency.textContent = this.state === 'live' && Number.isFinite(lat) ? `${Math.round(lat)} ms` : '';
    let reason = this.info.reason || '';
    if ((this.state === 'reconnecting' || this.state === 'offline') && this.info.retryAt) {
      const secs = Math.max(0, Math.ceil((this.info.retryAt - Date.now()) / 1000));
      reason = (reason ? reason + ' · ' : '') + `retry in ${secs} s`;
    }
    this.connReason.textContent = reason;
  }
}

new App().boot();
