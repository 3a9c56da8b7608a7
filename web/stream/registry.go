// Package stream is everything after a price stream's handshake: the
// registry of open WebSocket and SSE connections with their caps, the
// subscription rules both transports share, one transport-neutral writer
// step, the WebSocket reader and framer, the SSE framer, and the streams'
// metrics. The web package authenticates and upgrades a request, then hands
// the connection to a Registry.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// ErrShuttingDown is returned for a stream opened after Shutdown began.
var ErrShuttingDown = errors.New("server is shutting down")

// Registry tracks every open stream so that logout, trades and shutdown can
// reach them, and enforces the connection caps. Its methods are safe for
// concurrent use.
type Registry struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	frames framePool
	count  counters

	mu         sync.Mutex
	closing    bool
	streams    map[*stream]struct{}
	perAccount map[int64]int
	perIP      map[string]int
	wg         sync.WaitGroup // one per stream between enter and leave
}

// NewRegistry returns an empty registry; cfg's zero fields take defaults.
func NewRegistry(cfg Config, deps Deps) *Registry {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{
		cfg:        cfg.WithDefaults(),
		deps:       deps,
		log:        log,
		streams:    make(map[*stream]struct{}),
		perAccount: make(map[int64]int),
		perIP:      make(map[string]int),
	}
}

// Config returns the limits in force, defaults applied.
func (r *Registry) Config() Config { return r.cfg }

// enter registers a new stream; it fails only while shutting down.
// onSignal and onPublish, if not nil, are the subscriber's
// feed.SubscriberOptions.OnSignal and OnPublish.
func (r *Registry) enter(t transport, ip string, onSignal, onPublish func()) (*stream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, ErrShuttingDown
	}
	st := &stream{transport: t, ip: ip, sub: r.deps.Hub.NewSubscriber(feed.SubscriberOptions{
		SlowWindow: r.cfg.SlowClientWindow, OnSignal: onSignal, OnPublish: onPublish,
	})}
	r.streams[st] = struct{}{}
	r.wg.Add(1)
	return st, nil
}

// admitIP counts st against its IP's cap, returning the close reason if
// the cap is reached.
func (r *Registry) admitIP(st *stream) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perIP[st.ip] >= r.cfg.MaxConnsPerIP {
		return "too many connections from this address"
	}
	r.perIP[st.ip]++
	st.ipCounted = true
	return ""
}

// authenticate binds st to sess and counts it against the account's cap,
// returning the close reason if the cap is reached.
func (r *Registry) authenticate(st *stream, sess portfolio.Session) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perAccount[sess.AccountID] >= r.cfg.MaxConnsPerUser {
		return "too many connections for this account"
	}
	r.perAccount[sess.AccountID]++
	st.sess.Store(&sess)
	return ""
}

// leave unregisters st and its subscriber and counts how it ended, in one
// step under the lock, so a metrics scrape never sees a stream both closed
// and open. The stream's goroutines must have finished.
func (r *Registry) leave(st *stream) {
	st.sub.Close()
	r.mu.Lock()
	delete(r.streams, st)
	if st.ipCounted {
		if r.perIP[st.ip]--; r.perIP[st.ip] <= 0 {
			delete(r.perIP, st.ip)
		}
	}
	if sess, ok := st.session(); ok {
		if r.perAccount[sess.AccountID]--; r.perAccount[sess.AccountID] <= 0 {
			delete(r.perAccount, sess.AccountID)
		}
	}
	if st.endCode != 0 {
		r.count.close(st.transport, st.endCode)
	}
	r.mu.Unlock()
	r.wg.Done()
}

// each calls f for every stream matching keep, outside the registry lock.
func (r *Registry) each(keep func(*stream) bool, f func(*stream)) {
	r.mu.Lock()
	var list []*stream
	for st := range r.streams {
		if keep(st) {
			list = append(list, st)
		}
	}
	r.mu.Unlock()
	for _, st := range list {
		f(st)
	}
}

// CloseSession closes the streams of a session with 4001 (logout).
func (r *Registry) CloseSession(sessionID string) {
	r.each(func(st *stream) bool {
		sess, ok := st.session()
		return ok && sess.ID == sessionID
	}, func(st *stream) { st.requestClose(CloseUnauthorized, "logged out") })
}

// SessionIDs returns the distinct sessions of the open authenticated
// streams, in no order.
func (r *Registry) SessionIDs() []string {
	seen := map[string]bool{}
	r.mu.Lock()
	for st := range r.streams {
		if sess, ok := st.session(); ok {
			seen[sess.ID] = true
		}
	}
	r.mu.Unlock()
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	return ids
}

// PortfolioChanged makes the account's portfolio streams reread the
// holdings and push a fresh valuation (a trade filled). Trades are placed
// through this process's REST API only, so it sees every change.
func (r *Registry) PortfolioChanged(accountID int64) {
	r.each(func(st *stream) bool {
		sess, ok := st.session()
		return ok && sess.AccountID == accountID && st.portfolio.Load()
	}, func(st *stream) {
		st.holdingsStale.Store(true)
		st.sub.MarkDirty()
	})
}

// ShuttingDown reports whether Shutdown has begun.
func (r *Registry) ShuttingDown() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}

// Shutdown refuses new streams, closes every WebSocket with 1001 and ends
// every SSE stream, and waits for their goroutines until ctx is done.
func (r *Registry) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.each(func(*stream) bool { return true }, func(st *stream) {
		st.requestClose(CloseGoingAway, "server shutting down")
	})
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
