// Small intraday price lines drawn on a canvas: minute closes from the candle
// history followed by the live ticks.

const KEEP_MS = 7 * 3600 * 1000;
const MAX_POINTS = 1200;

/** Series is one symbol's sparkline data: [t ms, price] points in time order. */
export class Series {
  constructor() {
    this.points = [];
    this.prevClose = NaN;
  }

  /** setCandles replaces history older than the live ticks with minute closes. */
  setCandles(candles) {
    const hist = candles.map((c) => [c.t, c.c]);
    const lastHist = hist.length ? hist[hist.length - 1][0] : -Infinity;
    const live = this.points.filter((p) => p[0] > lastHist);
    this.points = hist.concat(live);
    this.trim();
  }

  /** add appends a tick; out-of-order ticks are dropped. */
  add(t, price) {
    const last = this.points[this.points.length - 1];
    if (last && t < last[0]) return;
    this.points.push([t, price]);
    this.trim();
  }

  trim() {
    const cutoff = (this.points.length ? this.points[this.points.length - 1][0] : 0) - KEEP_MS;
    let drop = 0;
    while (drop < this.points.length && this.points[drop][0] < cutoff) drop++;
    if (this.points.length - drop > MAX_POINTS) drop = this.points.length - MAX_POINTS;
    if (drop) this.points.splice(0, drop);
  }
}

/** draw renders series onto canvas in up/down colour relative to the previous close. */
export function draw(canvas, series, colors) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 90;
  const h = canvas.clientHeight || 26;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const pts = series.points;
  if (pts.length < 2) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, p] of pts) { if (p < lo) lo = p; if (p > hi) hi = p; }
  const base = series.prevClose;
  if (Number.isFinite(base)) { lo = Math.min(lo, base); hi = Math.max(hi, base); }
  if (hi === lo) { hi += 0.01; lo -= 0.01; }
  const t0 = pts[0][0];
  const t1 = pts[pts.length - 1][0];
  const span = Math.max(1, t1 - t0);
  const pad = 2;
  const x = (t) => pad + ((t - t0) / span) * (w - 2 * pad);
  const y = (p) => pad + (1 - (p - lo) / (hi - lo)) * (h - 2 * pad);
  if (Number.isFinite(base)) {
    ctx.strokeStyle = colors.muted;
    ctx.globalAlpha = 0.6;
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 2]);
    ctx.beginPath();
    ctx.moveTo(pad, Math.round(y(base)) + 0.5);
    ctx.lineTo(w - pad, Math.round(y(base)) + 0.5);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }
  const last = pts[pts.length - 1][1];
  ctx.strokeStyle = Number.isFinite(base) && last < base ? colors.down : colors.up;
  ctx.lineWidth = 1.5;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  pts.forEach(([t, p], i) => (i ? ctx.lineTo(x(t), y(p)) : ctx.moveTo(x(t), y(p))));
  ctx.stroke();
}
