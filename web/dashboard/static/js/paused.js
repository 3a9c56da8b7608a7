// Stale prices: once the stream has been live, losing it leaves the last
// prices on screen. They are dimmed (body[data-prices="stale"]) and a bar
// says since when they are paused, with a button that reconnects at once.

/** PausedBar marks prices stale while the stream is down; onRetry() reconnects now. */
export class PausedBar {
  constructor(onRetry) {
    this.el = document.getElementById('paused');
    this.since = document.getElementById('paused-since');
    this.button = document.getElementById('paused-retry');
    this.wasLive = false;
    this.pausedAt = 0;
    this.button.addEventListener('click', () => {
      this.button.disabled = true; // until the attempt is over (the next state)
      onRetry();
    });
  }

  /** update follows the stream's state ("live", "connecting", "reconnecting", "offline"). */
  update(state) {
    if (state === 'live') {
      this.wasLive = true;
      this.pausedAt = 0;
      this.el.hidden = true;
      delete document.body.dataset.prices;
      return;
    }
    if (state !== 'connecting') this.button.disabled = false;
    if (!this.wasLive || this.pausedAt) return; // no prices yet, or already marked
    this.pausedAt = Date.now();
    const at = new Date(this.pausedAt);
    const p = (n) => String(n).padStart(2, '0');
    this.since.textContent = `${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
    this.since.dateTime = at.toISOString();
    this.el.hidden = false;
    document.body.dataset.prices = 'stale';
  }

  /** clear forgets the session (on logout): no prices, nothing stale. */
  clear() {
    this.wasLive = false;
    this.pausedAt = 0;
    this.el.hidden = true;
    this.button.disabled = false;
    delete document.body.dataset.prices;
  }
}
