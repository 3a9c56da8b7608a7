package stream

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickerd/tickerd/portfolio"
)

func session(id string, account int64) portfolio.Session {
	return portfolio.Session{ID: id, AccountID: account, Username: "u", ExpiresAt: time.Now().Add(time.Hour)}
}

func TestRegistryCaps(t *testing.T) {
	r, hub, _ := newTestRegistry(t, Config{MaxConnsPerIP: 2, MaxConnsPerUser: 1})
	a, _ := r.enter(transportWS, "10.0.0.1", nil, nil)
	b, _ := r.enter(transportSSE, "10.0.0.1", nil, nil)
	c, _ := r.enter(transportWS, "10.0.0.1", nil, nil)
	if r.admitIP(a) != "" || r.admitIP(b) != "" {
		t.Fatal("the first two streams of an IP were refused")
	}
	if reason := r.admitIP(c); reason == "" {
		t.Fatal("a third stream from one IP was admitted past the cap of 2")
	}
	if r.authenticate(a, session("s1", 7)) != "" {
		t.Fatal("the first stream of an account was refused")
	}
	if reason := r.authenticate(b, session("s2", 7)); reason == "" {
		t.Fatal("a second stream of one account was admitted past the cap of 1")
	}
	if got := r.Stats(); got.OpenWS != 2 || got.OpenSSE != 1 {
		t.Fatalf("Stats = %+v, want 2 ws and 1 sse open", got)
	}
	r.leave(a)
	d, _ := r.enter(transportWS, "10.0.0.1", nil, nil)
	if r.admitIP(d) != "" || r.authenticate(d, session("s3", 7)) != "" {
		t.Fatal("a stream that left still counts against its IP or account")
	}
	for _, st := range []*stream{b, c, d} {
		r.leave(st)
	}
	if got := r.Stats(); got != (Stats{}) || hub.Stats().Subscribers != 0 {
		t.Fatalf("after every stream left: Stats = %+v, hub subscribers %d", got, hub.Stats().Subscribers)
	}
}

func TestRegistryReachesStreams(t *testing.T) {
	r, _, _ := newTestRegistry(t, Config{})
	mine, _ := r.enter(transportWS, "ip", nil, nil)
	other, _ := r.enter(transportWS, "ip", nil, nil)
	r.authenticate(mine, session("s1", 1))
	r.authenticate(other, session("s2", 2))
	mine.portfolio.Store(true)
	other.portfolio.Store(true)

	r.PortfolioChanged(1)
	if !mine.holdingsStale.Load() || other.holdingsStale.Load() {
		t.Fatal("PortfolioChanged(1) did not mark exactly account 1's portfolio stream stale")
	}
	r.CloseSession("s1")
	if code, reason, ok := mine.closeRequested(); !ok || code != CloseUnauthorized || reason != "logged out" {
		t.Fatalf("CloseSession: close request %d %q %v, want 4001 logged out", code, reason, ok)
	}
	if _, _, ok := other.closeRequested(); ok {
		t.Fatal("CloseSession closed another session's stream")
	}
}

func TestRegistryShutdown(t *testing.T) {
	r, _, _ := newTestRegistry(t, Config{})
	st, _ := r.enter(transportSSE, "ip", nil, nil)
	ended := make(chan struct{})
	go func() { // the stream's writer: ends when asked, then leaves
		defer close(ended)
		for {
			<-st.sub.Notify()
			if code, _, ok := st.closeRequested(); ok {
				st.endCode = code
				r.leave(st)
				return
			}
		}
	}()
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	<-ended
	if !r.ShuttingDown() {
		t.Fatal("ShuttingDown is false after Shutdown")
	}
	if _, err := r.enter(transportWS, "ip", nil, nil); err != ErrShuttingDown {
		t.Fatalf("enter after Shutdown: %v, want ErrShuttingDown", err)
	}
	_, closes := r.snapshot()
	if n := closes[transportSSE][closeIndex(CloseGoingAway)]; n != 1 {
		t.Fatalf("closes with 1001 counted: %d, want 1", n)
	}

	r2, _, _ := newTestRegistry(t, Config{})
	r2.enter(transportWS, "ip", nil, nil) // never leaves
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r2.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown with a stuck stream: %v, want the context's error", err)
	}
}

// TestSnapshotNeverOpenAndClosed: a stream is counted as closed in the same
// step it stops being open, so every snapshot adds up.
func TestSnapshotNeverOpenAndClosed(t *testing.T) {
	r, _, _ := newTestRegistry(t, Config{})
	const n = 200
	var entered atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			entered.Add(1)
			st, _ := r.enter(transportWS, "ip", nil, nil)
			st.endCode = CloseNormal
			r.leave(st)
		}
	}()
	for {
		s, closes := r.snapshot()
		closed := closes[transportWS][closeIndex(CloseNormal)]
		if seen := entered.Load(); closed+uint64(s.OpenWS) > uint64(seen) {
			t.Fatalf("snapshot: %d open and %d closed of %d streams entered", s.OpenWS, closed, seen)
		}
		select {
		case <-done:
			if _, closes := r.snapshot(); closes[transportWS][closeIndex(CloseNormal)] != n {
				t.Fatalf("closes counted: %d, want %d", closes[transportWS][closeIndex(CloseNormal)], n)
			}
			return
		default:
		}
	}
}
