// Header totals and the positions table, rendered from a portfolio valuation
// (GET /api/v1/portfolio once, then every push on the "portfolio" channel).

import { arrow, count, direction, money, setChange } from './format.js';

/** PortfolioView renders valuations; onSelect(symbol) opens a symbol's chart. */
export class PortfolioView {
  constructor(onSelect) {
    this.onSelect = onSelect;
    this.summary = document.getElementById('summary');
    this.total = document.getElementById('sum-total');
    this.day = document.getElementById('sum-day');
    this.upl = document.getElementById('sum-upl');
    this.cash = document.getElementById('sum-cash');
    this.body = document.getElementById('pos-body');
    this.empty = document.getElementById('pos-empty');
    this.rows = new Map(); // symbol -> {tr, cells}
    this.selected = '';
    this.asOf = 0;
  }

  /** symbols lists the symbols held. */
  symbols() { return [...this.rows.keys()]; }

  /** render applies one valuation; older ones (by as_of) are ignored. */
  render(p) {
    if (!p || typeof p !== 'object') return;
    const asOf = Date.parse(p.as_of);
    if (asOf < this.asOf) return;
    if (!Number.isNaN(asOf)) this.asOf = asOf;
    this.summary.hidden = false;
    this.total.textContent = money(p.total_value);
    setChange(this.day, p.day_change, p.day_change_pct);
    setChange(this.upl, p.unrealized_pl, p.unrealized_pl_pct);
    this.cash.textContent = money(p.cash);

    const positions = Array.isArray(p.positions) ? p.positions : [];
    const seen = new Set();
    let prev = null;
    for (const pos of positions) {
      seen.add(pos.symbol);
      let row = this.rows.get(pos.symbol);
      if (!row) row = this.addRow(pos.symbol);
      // Keep the server's order.
      const want = prev ? prev.nextSibling : this.body.firstChild;
      if (want !== row.tr) this.body.insertBefore(row.tr, want);
      prev = row.tr;
      const c = row.cells;
      c.qty.textContent = count(pos.quantity);
      c.avg.textContent = money(pos.avg_cost);
      const moved = direction(pos.last_price - row.last);
      c.last.textContent = (moved ? arrow(pos.last_price - row.last) + ' ' : '') + money(pos.last_price);
      c.last.classList.toggle('up', moved === 'up');
      c.last.classList.toggle('down', moved === 'down');
      row.last = pos.last_price;
      c.value.textContent = money(pos.market_value);
      setChange(c.pl, pos.unrealized_pl, pos.unrealized_pl_pct);
    }
    for (const [sym, row] of this.rows) {
      if (!seen.has(sym)) { row.tr.remove(); this.rows.delete(sym); }
    }
    this.empty.hidden = this.rows.size > 0;
  }

  addRow(symbol) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = symbol;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'sym-btn';
    btn.textContent = symbol;
    btn.setAttribute('aria-label', `Show chart for ${symbol}`);
    btn.addEventListener('click', () => this.onSelect(symbol));
    const symTd = document.createElement('td');
    symTd.append(btn);
    const mk = (label) => { const td = document.createElement('td'); td.className = 'num'; td.dataset.label = label; return td; };
    const cells = { qty: mk('Qty'), avg: mk('Avg cost'), last: mk('Last'), value: mk('Market value'), pl: mk('Unrealized P&L') };
    tr.append(symTd, cells.qty, cells.avg, cells.last, cells.value, cells.pl);
    tr.classList.toggle('selected', symbol === this.selected);
    const row = { tr, cells, last: NaN };
    this.rows.set(symbol, row);
    return row;
  }

  /** select highlights the charted symbol's row. */
  select(symbol) {
    this.selected = symbol;
    for (const [sym, row] of this.rows) row.tr.classList.toggle('selected', sym === symbol);
  }

  /** clear empties the view (on logout). */
  clear() {
    this.rows.clear();
    this.body.replaceChildren();
    this.empty.hidden = false;
    this.summary.hidden = true;
    this.asOf = 0;
  }
}
