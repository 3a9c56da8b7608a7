package portfolio

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Defaults of AlertWatch.
const (
	DefaultAlertQueue = 4096 // firings waiting to be recorded
	maxTriggerBatch   = 256  // firings recorded in one transaction
	triggerTimeout    = 10 * time.Second
)

// AlertWatch evaluates every account's active alerts against the ticks it
// is shown and records and announces the ones that fire. Ticks come in
// through Observe, on the market's goroutine, which it never blocks: fired
// alerts leave the book at once and wait in a bounded queue for Run, which
// marks them triggered in the store (one transaction per batch) and then
// announces each alert the store says was still active. So an alert is
// announced at most once, across restarts too, and one whose firing was not
// recorded (the queue was full, the store failed, the process stopped)
// stays active in the store and fires on a later tick. Create and Delete
// keep the book in step with the store. Its methods are safe for
// concurrent use.
type AlertWatch struct {
	store *Store
	book  *AlertBook
	queue chan Firing
	log   *slog.Logger

	scratch  []Firing // Observe's buffer; Observe is called by one goroutine at a time
	requeued atomic.Uint64
	fired    atomic.Uint64
}

// NewAlertWatch returns a watch over store's alerts with an empty book
// (Load fills it) and a queue of queueLen firings (0: DefaultAlertQueue).
// log may be nil.
func NewAlertWatch(store *Store, queueLen int, log *slog.Logger) *AlertWatch {
	if queueLen <= 0 {
		queueLen = DefaultAlertQueue
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AlertWatch{store: store, book: NewAlertBook(), queue: make(chan Firing, queueLen), log: log}
}

// Load puts every active alert of the store in the book.
func (w *AlertWatch) Load(ctx context.Context) error {
	alerts, err := w.store.ActiveAlerts(ctx)
	if err != nil {
		return fmt.Errorf("load alerts: %w", err)
	}
	for _, a := range alerts {
		w.book.Add(a)
	}
	return nil
}

// Create is Store.CreateAlert, then puts the alert in the book.
func (w *AlertWatch) Create(ctx context.Context, accountID int64, req AlertRequest, prices PriceSource) (Alert, error) {
	a, err := w.store.CreateAlert(ctx, accountID, req, prices)
	if err != nil {
		return Alert{}, err
	}
	w.book.Add(a)
	return a, nil
}

// Delete is Store.DeleteAlert, then takes the alert out of the book.
func (w *AlertWatch) Delete(ctx context.Context, accountID, id int64) (Alert, error) {
	a, err := w.store.DeleteAlert(ctx, accountID, id)
	if err != nil {
		return Alert{}, err
	}
	w.book.Remove(a.ID)
	return a, nil
}

// Observe shows the watch one tick of symbol: its price and previous close
// (cents), seq and time (Unix ms). It never blocks. Calls must not overlap
// (the market publishes from one goroutine).
func (w *AlertWatch) Observe(symbol string, price, prevClose int64, seq uint64, tsMS int64) {
	w.scratch = w.book.Tick(w.scratch[:0], symbol, price, prevClose, seq, time.UnixMilli(tsMS).UTC())
	for i, f := range w.scratch {
		select {
		case w.queue <- f:
		default:
			// Full: back in the book, so that a later tick fires it.
			w.book.Add(f.Alert)
			w.requeued.Add(1)
		}
		w.scratch[i] = Firing{}
	}
}

// AlertStats are the counters of an AlertWatch.
type AlertStats struct {
	Active   int    // alerts in the book
	Fired    uint64 // alerts recorded as triggered and announced
	Requeued uint64 // firings put back in the book because the queue was full
}

// Stats returns the watch's counters.
func (w *AlertWatch) Stats() AlertStats {
	return AlertStats{Active: w.book.Len(), Fired: w.fired.Load(), Requeued: w.requeued.Load()}
}

// Run records queued firings and calls announce with each alert the store
// marked triggered, until ctx is done; it returns ctx's error. A batch
// being recorded when ctx ends is finished first. announce must not block
// for long: the queue fills meanwhile.
func (w *AlertWatch) Run(ctx context.Context, announce func(Alert)) error {
	batch := make([]Firing, 0, maxTriggerBatch)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f := <-w.queue:
			batch = append(batch[:0], f)
		}
	more:
		for len(batch) < maxTriggerBatch {
			select {
			case f := <-w.queue:
				batch = append(batch, f)
			default:
				break more
			}
		}
		w.record(context.WithoutCancel(ctx), batch, announce)
		clear(batch)
	}
}

// record marks batch triggered and announces what the store returned; on
// failure the alerts go back in the book to fire on a later tick.
func (w *AlertWatch) record(ctx context.Context, batch []Firing, announce func(Alert)) {
	ctx, cancel := context.WithTimeout(ctx, triggerTimeout)
	defer cancel()
	fired, err := w.store.TriggerAlerts(ctx, batch)
	if err != nil {
		w.log.Error("recording fired alerts failed; they stay active", "alerts", len(batch), "err", err)
		for _, f := range batch {
			w.book.Add(f.Alert)
		}
		return
	}
	for _, a := range fired {
		w.fired.Add(1)
		announce(a)
	}
}
