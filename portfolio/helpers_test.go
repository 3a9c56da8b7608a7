package portfolio

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// cheapArgon keeps tests fast; TestRealArgonParams covers the real ones.
var cheapArgon = argonParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// MustOpenStore opens a Store on a new file in a temp dir with cheap password
// hashing, and closes it when the test ends.
func MustOpenStore(tb testing.TB, opts ...Options) *Store {
	tb.Helper()
	return MustOpenStoreAt(tb, filepath.Join(tb.TempDir(), "tickerd.db"), opts...)
}

// MustOpenStoreAt is MustOpenStore on a given path.
func MustOpenStoreAt(tb testing.TB, path string, opts ...Options) *Store {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.hashParams == (argonParams{}) {
		o.hashParams = cheapArgon
	}
	s, err := Open(context.Background(), path, o)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return s
}

// mustRegister creates an account and fails the test on error.
func mustRegister(tb testing.TB, s *Store, username string) Account {
	tb.Helper()
	a, err := s.Register(context.Background(), username, "correct horse battery")
	if err != nil {
		tb.Fatalf("register %s: %v", username, err)
	}
	return a
}

// wantCode fails the test unless err is an *Error with the code (and field,
// if field is not empty).
func wantCode(tb testing.TB, err error, code, field string) {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error = %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code {
		tb.Fatalf("code = %q (%v), want %q", e.Code, e, code)
	}
	if field != "" && e.Field != field {
		tb.Fatalf("field = %q, want %q", e.Field, field)
	}
	if e.Message == "" {
		tb.Fatalf("empty message for %s", code)
	}
}

// fakePrices is a PriceSource and SessionClock with fixed prices and
// session, safe for concurrent use.
type fakePrices struct {
	mu      sync.Mutex
	prices  map[string][2]int64 // symbol -> price, prev close
	session int64
}

func newFakePrices() *fakePrices { return &fakePrices{prices: map[string][2]int64{}, session: 20_000} }

func (f *fakePrices) SessionDay() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.session
}

func (f *fakePrices) setSession(day int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.session = day
}

func (f *fakePrices) set(symbol string, price, prevClose int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prices[symbol] = [2]int64{price, prevClose}
}

func (f *fakePrices) LastPrice(symbol string) (price, prevClose int64, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.prices[symbol]
	return p[0], p[1], ok
}

// todays is a position opened in the fake prices' session: bought from
// nothing, with net the cost of its buys minus the proceeds of its sells.
func todays(symbol string, qty, basis, net int64) Position {
	return Position{Symbol: symbol, Quantity: qty, CostBasis: basis,
		DaySession: newFakePrices().SessionDay(), DayNetCash: net}
}

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
