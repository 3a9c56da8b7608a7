// The live stream: one WebSocket to /api/v1/ws, reconnected with exponential
// backoff and full jitter, with Server-Sent Events as the fallback when a
// WebSocket cannot be opened. It keeps the wanted subscription set and
// re-sends it after every reconnect with the last seq it saw of each symbol
// (since), so the server replays the ticks missed meanwhile.

import { api } from './api.js';

const WS_PATH = '/api/v1/ws';
const SSE_PATH = '/api/v1/stream';
const BACKOFF_BASE_MS = 500;
// The cap bounds how long the page stays stale after the server is back:
// at most this plus a connect. Full jitter keeps reconnecting tabs spread out.
const BACKOFF_CAP_MS = 5000;
const SSE_AFTER_FAILURES = 3; // WebSocket failures before open that start the SSE fallback
const OFFLINE_AFTER_FAILURES = 8;
const PONG_TIMEOUT_MS = 10000;
const CONNECT_TIMEOUT_MS = 10000; // a socket neither open nor closed by then counts as failed

/**
 * Stream delivers frames to the handlers:
 *   state(state, info)   state is "connecting" | "live" | "reconnecting" | "offline";
 *                        info = {via: "ws"|"sse"|"", reason, retryInMs}
 *   connected(info)      after (re)connecting: {via, first}; refresh snapshots here
 *   quotes(list, via)    quote objects, snapshots flagged with snapshot:true
 *   portfolio(data)      the account's valuation
 *   alert(data)          one of the account's price alerts fired
 *   error(frame)         an error frame from the server
 *   frame(record)        {dir: "in"|"out", type, size, t, via} for every frame
 *   authLost(reason)     the session is gone (close 4001 or 401): log in again
 */
export class Stream {
  constructor(handlers) {
    this.h = handlers;
    this.symbols = new Set();      // wanted
    this.channels = new Set(['portfolio', 'alerts']);
    this.sent = new Set();         // what the server confirmed on the WebSocket
    this.seen = new Map();         // symbol → highest seq received: the resume point
    this.ws = null;
    this.wsLive = false;
    this.sse = null;
    this.sseLive = false;
    this.sseKey = '';
    this.failures = 0;             // consecutive failed connects
    this.preOpenFailures = 0;      // consecutive WebSockets that never opened
    this.everConnected = false;
    this.timer = 0;
    this.pingTimer = 0;
    this.pongTimer = 0;
    this.nextID = 1;
    this.stopped = true;
    this.latency = NaN;            // smoothed tick latency, ms
    this.reason = '';
    this.onOnline = () => this.retryNow();
    this.onOffline = () => this.setState();
    // A tab coming back to the foreground tries at once instead of waiting
    // out a backoff that was chosen while nobody was looking.
    this.onFocus = () => { if (!this.live) this.retryNow(); };
    this.onVisible = () => { if (document.visibilityState === 'visible' && !this.live) this.retryNow(); };
  }

  /** start opens the connection; call once after login. */
  start() {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('focus', this.onFocus);
    document.addEventListener('visibilitychange', this.onVisible);
    this.setState('connecting');
    this.connectWS();
  }

  /** stop closes everything and forgets the session's connection state. */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('focus', this.onFocus);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.timer);
    this.stopHeartbeat();
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(1000, 'bye'); }
    this.closeSSE();
    this.wsLive = false;
    this.sent.clear();
    this.seen.clear();
    this.latency = NaN;
    this.everConnected = false;
    this.failures = this.preOpenFailures = 0;
  }

  /** setSymbols replaces the wanted symbol set and tells the server the difference. */
  setSymbols(list) {
    this.symbols = new Set(list);
    for (const s of this.seen.keys()) if (!this.symbols.has(s)) this.seen.delete(s);
    if (this.wsLive) this.syncSymbols();
    if (this.sse) this.openSSE(); // reopens only when the set changed
  }

  /** live reports whether quotes are flowing (over either transport). */
  get live() { return this.wsLive || this.sseLive; }

  /** via is the transport in use: "ws", "sse" or "". */
  get via() { return this.wsLive ? 'ws' : this.sseLive ? 'sse' : ''; }

  // --- WebSocket ---

  connectWS() {
    if (this.stopped || this.ws) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.wsFailed(false, 1006, '');
      return;
    }
    this.ws = ws;
    let opened = false;
    const openTimer = setTimeout(() => {
      if (this.ws !== ws || opened) return;
      this.ws = null;
      ws.onclose = null;
      ws.close();
      this.h.frame({ dir: 'event', type: 'ws open timed out', size: 0, t: Date.now(), via: 'ws' });
      this.wsFailed(false, 1006, '');
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      opened = true;
      clearTimeout(openTimer);
      this.h.frame({ dir: 'event', type: 'ws open', size: 0, t: Date.now(), via: 'ws' });
    };
    ws.onmessage = (ev) => { if (this.ws === ws) this.receive(ev.data, 'ws', ''); };
    ws.onclose = (ev) => {
      clearTimeout(openTimer);
      if (this.ws !== ws) return;
      const why = ev.reason ? `ws close ${ev.code}: ${ev.reason}` : `ws close ${ev.code}`;
      this.h.frame({ dir: 'event', type: opened ? why : `ws failed (${ev.code})`, size: 0, t: Date.now(), via: 'ws' });
      this.ws = null;
      this.wsLive = false;
      this.sent.clear();
      this.stopHeartbeat();
      this.wsFailed(opened, ev.code, ev.reason);
    };
  }

  async wsFailed(opened, code, reason) {
    if (this.stopped) return;
    if (code === 4001) { this.lost(reason); return; }
    this.reason = (code === 1008 || code === 1013 || code === 1009) ? (reason || `closed (${code})`) : '';
    if (opened) {
      this.preOpenFailures = 0;
    } else {
      this.preOpenFailures++;
      // The browser hides why an upgrade failed: ask the REST API whether the
      // session is still valid and whether the server is reachable at all.
      try {
        await api.me();
        if (this.stopped) return;
        this.startSSE(); // server up, WebSocket refused: use SSE meanwhile
      } catch (err) {
        if (this.stopped) return;
        if (err.status === 401) { this.lost('not logged in'); return; }
        if (this.preOpenFailures >= SSE_AFTER_FAILURES) this.startSSE();
      }
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.failures, 16));
    const delay = Math.floor(Math.random() * ceiling); // full jitter
    this.failures++;
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this.connectWS(), delay);
    this.setState();
  }

  /** retryNow skips the backoff wait: connect now, unless an attempt is under way. */
  retryNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.failures = 0;
    this.retryAt = 0;
    this.h.frame({ dir: 'event', type: 'retry now', size: 0, t: Date.now(), via: 'ws' });
    if (!this.live) this.setState('connecting');
    this.connectWS();
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    if (msg.id === undefined) msg.id = this.nextID++;
    const text = JSON.stringify(msg);
    this.ws.send(text);
    this.h.frame({ dir: 'out', type: msg.type, size: text.length, t: Date.now(), via: 'ws' });
    return true;
  }

  syncSymbols() {
    const add = [...this.symbols].filter((s) => !this.sent.has(s));
    const drop = [...this.sent].filter((s) => !this.symbols.has(s));
    if (add.length) this.send({ type: 'subscribe', symbols: add, ...this.since(add) });
    if (drop.length) this.send({ type: 'unsubscribe', symbols: drop });
    for (const s of add) this.sent.add(s);
    for (const s of drop) this.sent.delete(s);
  }

  /** since is the resume point of symbols as a subscribe field: {since: {SYM: seq}} or {}. */
  since(symbols) {
    const since = {};
    let any = false;
    for (const s of symbols) {
      if (this.seen.has(s)) { since[s] = this.seen.get(s); any = true; }
    }
    return any ? { since } : {};
  }

  welcome(frame) {
    const first = !this.everConnected;
    this.wsLive = true;
    this.everConnected = true;
    this.failures = 0;
    this.preOpenFailures = 0;
    this.reason = '';
    this.sent.clear();
    this.send({ type: 'subscribe', channels: [...this.channels] });
    this.syncSymbols();
    this.startHeartbeat((frame.heartbeat_s || 20) * 1000);
    this.closeSSE();
    this.setState();
    this.h.connected({ via: 'ws', first });
  }

  // An application-level ping: the browser answers the server's pings itself
  // and never tells us, so this is how a half-open connection gets noticed.
  startHeartbeat(every) {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => { if (this.ws) this.ws.close(4000, 'no pong'); }, PONG_TIMEOUT_MS);
    }, every);
  }

  stopHeartbeat() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  // --- Server-Sent Events fallback ---

  startSSE() {
    if (this.stopped || this.sse || this.wsLive) return;
    this.openSSE();
  }

  openSSE() {
    const qs = new URLSearchParams();
    if (this.symbols.size) qs.set('symbols', [...this.symbols].join(','));
    qs.set('channels', [...this.channels].join(','));
    const key = qs.toString();
    if (this.sse && key === this.sseKey) return;
    this.closeSSE();
    this.sseKey = key;
    const since = this.since(this.symbols).since;
    if (since) qs.set('since', Object.entries(since).map(([s, seq]) => `${s}:${seq}`).join(','));
    const es = new EventSource(SSE_PATH + '?' + qs.toString());
    this.sse = es;
    const onData = (name) => (ev) => { if (this.sse === es) this.receive(ev.data, 'sse', name); };
    es.onopen = () => {
      if (this.sse !== es) return;
      this.h.frame({ dir: 'event', type: 'sse open', size: 0, t: Date.now(), via: 'sse' });
      const first = !this.everConnected;
      this.sseLive = true;
      this.everConnected = true;
      this.setState();
      this.h.connected({ via: 'sse', first });
    };
    es.onmessage = onData('');
    for (const name of ['quotes', 'portfolio', 'alert', 'close']) es.addEventListener(name, onData(name));
    es.onerror = (ev) => {
      if (this.sse !== es) return;
      if (ev.data) { this.receive(ev.data, 'sse', 'error'); return; }
      // Let the WebSocket loop decide when to try again.
      this.h.frame({ dir: 'event', type: 'sse error', size: 0, t: Date.now(), via: 'sse' });
      this.closeSSE();
      this.setState();
    };
  }

  sseClosed(code, reason) {
    this.h.frame({ dir: 'event', type: `sse close ${code}${reason ? ': ' + reason : ''}`, size: 0, t: Date.now(), via: 'sse' });
    if (code === 4001) { this.lost(reason); return; }
    this.reason = reason || '';
    this.closeSSE();
    this.setState();
  }

  closeSSE() {
    if (this.sse) this.sse.close();
    this.sse = null;
    this.sseLive = false;
    this.sseKey = '';
  }

  // --- Frames ---

  receive(text, via, eventName) {
    const now = Date.now();
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      this.h.frame({ dir: 'in', type: '(not JSON)', size: text.length, t: now, via });
      return;
    }
    if (Array.isArray(msg)) msg = { type: eventName || 'quotes', data: msg };
    else if (msg && typeof msg === 'object' && typeof msg.type !== 'string') msg = { type: eventName || 'unknown', data: msg };
    if (!msg || typeof msg !== 'object') return;
    this.h.frame({ dir: 'in', type: msg.type, size: text.length, t: now, via, count: Array.isArray(msg.data) ? msg.data.length : 0 });
    switch (msg.type) {
      case 'welcome':
        if (via === 'ws') this.welcome(msg);
        break;
      case 'subscriptions':
        if (Array.isArray(msg.symbols)) this.sent = new Set(msg.symbols);
        break;
      case 'quotes':
        if (Array.isArray(msg.data)) {
          this.remember(msg.data);
          this.measure(msg.data, now);
          this.h.quotes(msg.data, via);
        }
        break;
      case 'portfolio':
        if (msg.data && typeof msg.data === 'object') this.h.portfolio(msg.data);
        break;
      case 'alert':
        if (msg.data && typeof msg.data === 'object') this.h.alert(msg.data);
        break;
      case 'pong':
        clearTimeout(this.pongTimer);
        break;
      case 'error':
        this.h.error(msg);
        break;
      case 'close': // the SSE stream's last event: why the server ends it
        if (via === 'sse') this.sseClosed(msg.code, msg.reason);
        break;
      default:
        break; // unknown types are ignored, as the protocol asks
    }
  }

  // remember keeps the highest seq of each wanted symbol; a snapshot (the
  // server could not resume it, e.g. after a restart: resumed:false) starts
  // the symbol afresh.
  remember(quotes) {
    for (const q of quotes) {
      if (typeof q.seq !== 'number' || !this.symbols.has(q.symbol)) continue;
      const prev = this.seen.get(q.symbol);
      if (prev === undefined || q.seq > prev || q.snapshot) this.seen.set(q.symbol, q.seq);
    }
  }

  measure(quotes, now) {
    for (const q of quotes) {
      if (q.snapshot || typeof q.ts !== 'number') continue;
      const lat = Math.max(0, now - q.ts);
      this.latency = Number.isNaN(this.latency) ? lat : this.latency * 0.9 + lat * 0.1;
    }
  }

  setState(forced) {
    let state;
    if (forced) state = forced;
    else if (this.live) state = 'live';
    else if (!navigator.onLine || this.failures >= OFFLINE_AFTER_FAILURES) state = 'offline';
    else state = 'reconnecting';
    this.h.state(state, { via: this.via, reason: this.reason, retryAt: this.retryAt || 0 });
  }

  lost(reason) {
    this.stop();
    this.h.authLost(reason);
  }
}
