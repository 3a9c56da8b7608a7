// Display formatting. Values arrive from the server as exact two-decimal
// dollar amounts and percentages; this module only turns them into text.

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSigned = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' });
const pctSigned = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** money formats dollars as "$1,234.56". */
export const money = (v) => (isNum(v) ? usd.format(v) : '–');

/** signedMoney formats a change as "+$1,234.56" / "-$0.42" / "$0.00". */
export const signedMoney = (v) => (isNum(v) ? usdSigned.format(v) : '–');

/** signedPct formats a percentage (0.28 means 0.28 %) as "+0.28%". */
export const signedPct = (v) => (isNum(v) ? pctSigned.format(v) + '%' : '–');

/** count formats a whole number with thousands separators. */
export const count = (v) => (isNum(v) ? int.format(v) : '–');

/** oneDecimal formats rates such as frames per second. */
export const oneDecimal = (v) => (isNum(v) ? dec1.format(v) : '–');

/** direction is "up", "down" or "" for the sign of v. */
export const direction = (v) => (v > 0 ? 'up' : v < 0 ? 'down' : '');

/** arrow is a text arrow for the sign of v, so colour is never the only signal. */
export const arrow = (v) => (v > 0 ? '▲' : v < 0 ? '▼' : '');

/** clockTime formats Unix milliseconds as local HH:MM:SS.mmm. */
export function clockTime(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * setChange writes "▲ +$1.23 (+0.45%)"-style text into el and colours it.
 * Either part may be omitted by passing undefined.
 */
export function setChange(el, abs, pct) {
  const v = isNum(abs) ? abs : pct;
  const parts = [];
  if (isNum(abs)) parts.push(signedMoney(abs));
  if (isNum(pct)) parts.push(isNum(abs) ? `(${signedPct(pct)})` : signedPct(pct));
  const a = arrow(v);
  el.textContent = (a ? a + ' ' : '') + (parts.length ? parts.join(' ') : '–');
  el.classList.toggle('up', v > 0);
  el.classList.toggle('down', v < 0);
}
