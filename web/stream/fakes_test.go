package stream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// fakeMarket is a market of fixed prices, in cents.
type fakeMarket map[string]int64

func (m fakeMarket) Lookup(t string) (feed.Symbol, bool) {
	_, ok := m[t]
	return feed.Symbol{Ticker: t}, ok
}

func (m fakeMarket) Quote(t string) (feed.Quote, bool) {
	p, ok := m[t]
	return feed.Quote{Symbol: t, Price: p, PrevClose: p, Seq: 1}, ok
}

func (m fakeMarket) SessionDay() int64 { return 20_000 }

func (m fakeMarket) LastPrice(t string) (int64, int64, bool) {
	p, ok := m[t]
	return p, p, ok
}

// fakeHoldings answers every account with the same cash and positions, or
// with err.
type fakeHoldings struct {
	mu        sync.Mutex
	cash      int64
	positions []portfolio.Position
	err       error
	calls     int
}

func (h *fakeHoldings) Holdings(context.Context, int64) (int64, []portfolio.Position, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	return h.cash, h.positions, h.err
}

// fakeSessions knows one token.
type fakeSessions struct{ token string }

func (s fakeSessions) Authenticate(_ context.Context, token string) (portfolio.Session, error) {
	if token != s.token {
		return portfolio.Session{}, portfolio.Errorf(portfolio.CodeUnauthorized, "invalid token")
	}
	return portfolio.Session{ID: "s1", AccountID: 1, Username: "ann", ExpiresAt: time.Now().Add(time.Hour)}, nil
}

// newTestRegistry is a registry over a real hub and the fakes above.
func newTestRegistry(tb testing.TB, cfg Config) (*Registry, *feed.Hub, *fakeHoldings) {
	tb.Helper()
	hub := feed.NewHub(feed.HubConfig{})
	h := &fakeHoldings{cash: 100_000}
	r := NewRegistry(cfg, Deps{
		Hub: hub, Market: fakeMarket{"AAPL": 19_000, "MSFT": 41_000, "KO": 6_000},
		Holdings: h, Sessions: fakeSessions{token: "good"},
	})
	return r, hub, h
}

// message is one thing a recordingFramer was asked to write.
type message struct {
	event string
	json  string
}

// recordingFramer is a framer that records what the writer asks of it.
type recordingFramer struct {
	msgs       []message
	heartbeats int
	closed     *int // the close code, once closed
	reason     string
	aborted    bool
	silent     bool  // heartbeat answers errSilent
	failWrites error // every message fails with it
}

func (f *recordingFramer) message(event string, b []byte) error {
	if f.failWrites != nil {
		return f.failWrites
	}
	f.msgs = append(f.msgs, message{event, string(b[frameHeadroom:])})
	return nil
}

func (f *recordingFramer) control() error { return nil }

func (f *recordingFramer) heartbeat(time.Time) error {
	if f.silent {
		return errSilent
	}
	f.heartbeats++
	return nil
}

func (f *recordingFramer) flush() error { return nil }

func (f *recordingFramer) close(code int, reason string) { f.closed, f.reason = &code, reason }

func (f *recordingFramer) abort() { f.aborted = true }

// events returns the names of the recorded messages, in order.
func (f *recordingFramer) events() string {
	names := make([]string, len(f.msgs))
	for i, m := range f.msgs {
		names[i] = m.event
	}
	return strings.Join(names, ",")
}

var errBroken = errors.New("broken pipe")
