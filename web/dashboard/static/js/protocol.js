// The protocol view: the last frames in and out, frame and quote rates, and
// per-symbol sequence gaps (a tick whose seq is not the previous one plus one).

import { clockTime, count, oneDecimal } from './format.js';

const KEEP_FRAMES = 50;
const KEEP_GAPS = 100;

/** ProtocolView records frames always and renders them while its panel is open. */
export class ProtocolView {
  constructor(root) {
    this.root = root;
    this.ratesEl = root.querySelector('#proto-rates');
    this.framesEl = root.querySelector('#proto-frames');
    this.gapsEl = root.querySelector('#proto-gaps');
    this.gapsEmpty = root.querySelector('#proto-gaps-empty');
    this.frames = [];
    this.gaps = [];
    this.lastSeq = new Map();
    this.frameCount = 0;
    this.quoteCount = 0;
    this.windowStart = performance.now();
    this.dirty = false;
    root.addEventListener('toggle', () => this.render());
    this.interval = setInterval(() => this.tick(), 1000);
  }

  /** frame records one frame (see Stream's frame handler). */
  frame(rec) {
    this.frames.push(rec);
    if (this.frames.length > KEEP_FRAMES) this.frames.shift();
    if (rec.dir === 'in') this.frameCount++;
    this.dirty = true;
  }

  /** quotes checks sequence numbers; snapshots restart a symbol's sequence. */
  quotes(list) {
    this.quoteCount += list.length;
    for (const q of list) {
      if (typeof q.seq !== 'number') continue;
      const prev = this.lastSeq.get(q.symbol);
      if (!q.snapshot && prev !== undefined && q.seq !== prev + 1 && q.seq > prev) {
        this.gaps.push({ symbol: q.symbol, expected: prev + 1, got: q.seq, t: Date.now() });
        if (this.gaps.length > KEEP_GAPS) this.gaps.shift();
        this.renderGaps();
      }
      if (prev === undefined || q.snapshot || q.seq > prev) this.lastSeq.set(q.symbol, q.seq);
    }
  }

  /** reset forgets sequence state: call on every new connection or resubscribe. */
  reset() { this.lastSeq.clear(); }

  /** forget drops one symbol's sequence state (after unsubscribing it). */
  forget(symbol) { this.lastSeq.delete(symbol); }

  /** clear drops everything (on logout). */
  clear() {
    this.frames = [];
    this.gaps = [];
    this.lastSeq.clear();
    this.framesEl.replaceChildren();
    this.renderGaps();
  }

  tick() {
    const now = performance.now();
    const secs = (now - this.windowStart) / 1000;
    this.fps = this.frameCount / secs;
    this.qps = this.quoteCount / secs;
    this.frameCount = this.quoteCount = 0;
    this.windowStart = now;
    this.ratesEl.textContent = `${oneDecimal(this.fps)} frames/s · ${oneDecimal(this.qps)} quotes/s · ${count(this.gaps.length)} gaps`;
    this.render();
  }

  render() {
    if (!this.root.open || !this.dirty) return;
    this.dirty = false;
    const rows = [];
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i];
      const tr = document.createElement('tr');
      const dir = f.dir === 'in' ? '↓ in' : f.dir === 'out' ? '↑ out' : '• conn';
      const type = f.count ? `${f.type} ×${f.count}` : f.type;
      const size = f.dir === 'event' ? '' : count(f.size);
      tr.append(cell(dir, f.dir), cell(f.via === 'sse' && f.dir === 'in' ? `${type} (sse)` : type), cell(size, 'num'), cell(clockTime(f.t), 'num'));
      rows.push(tr);
    }
    this.framesEl.replaceChildren(...rows);
  }

  renderGaps() {
    const items = this.gaps.slice(-20).reverse().map((g) => {
      const li = document.createElement('li');
      li.textContent = `${clockTime(g.t)} ${g.symbol}: expected ${g.expected}, got ${g.got} (${g.got - g.expected} missed)`;
      return li;
    });
    this.gapsEl.replaceChildren(...items);
    this.gapsEmpty.hidden = this.gaps.length > 0;
  }
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
