package stream

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// newTestWriter registers an authenticated stream and a writer over a
// recordingFramer.
func newTestWriter(t *testing.T, cfg Config, quiet bool) (*writer, *recordingFramer, *feed.Hub, *fakeHoldings) {
	t.Helper()
	r, hub, h := newTestRegistry(t, cfg)
	st, err := r.enter(transportWS, "ip", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.authenticate(st, session("s1", 1))
	t.Cleanup(func() { r.leave(st) })
	f := &recordingFramer{}
	return newWriter(r, st, f, quiet, time.Now()), f, hub, h
}

func TestWriterRepliesBeforeTheirQuotes(t *testing.T) {
	w, f, _, _ := newTestWriter(t, Config{}, false)
	w.st.replyMu.Lock()
	w.reg.queueReply(w.st, func(b []byte) []byte { return appendPong(b, nil) })
	w.st.sub.Subscribe([]string{"AAPL", "KO"}, 0, w.reg.deps.Market.Quote)
	w.st.replyMu.Unlock()
	if _, ok := w.pass(time.Now()); !ok {
		t.Fatal("pass ended the stream")
	}
	if got := f.events(); got != "reply,quotes" {
		t.Fatalf("wrote %s, want reply,quotes", got)
	}
	var frame struct {
		Type string `json:"type"`
		Data []struct {
			Symbol   string `json:"symbol"`
			Snapshot bool   `json:"snapshot"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(f.msgs[1].json), &frame); err != nil || frame.Type != "quotes" ||
		len(frame.Data) != 2 || !frame.Data[0].Snapshot {
		t.Fatalf("quotes frame %s: %+v %v", f.msgs[1].json, frame, err)
	}
}

func TestWriterCloses(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		wantReply  bool
		wantFrame  int // the code handed to the framer
		wantCount  int // the code counted
		wantReason string
	}{
		{"policy violation after its errors", ClosePolicyViolation, true, ClosePolicyViolation, ClosePolicyViolation, "rate"},
		{"too slow skips the backlog", CloseTooSlow, false, CloseTooSlow, CloseTooSlow, "rate"},
		{"peer gone", -1, true, -1, closeAbnormal, "rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, f, _, _ := newTestWriter(t, Config{}, false)
			w.st.replyMu.Lock()
			w.reg.queueReply(w.st, func(b []byte) []byte { return appendError(b, nil, CodeRateLimited, "slow down") })
			w.st.replyMu.Unlock()
			w.st.requestClose(tt.code, tt.wantReason)
			if _, ok := w.pass(time.Now()); ok {
				t.Fatal("pass after a close request did not end the stream")
			}
			if got := len(f.msgs) == 1; got != tt.wantReply {
				t.Errorf("queued reply written: %v, want %v", got, tt.wantReply)
			}
			if f.closed == nil || *f.closed != tt.wantFrame || w.st.endCode != tt.wantCount {
				t.Errorf("closed with %v (counted %d), want %d (counted %d)", f.closed, w.st.endCode, tt.wantFrame, tt.wantCount)
			}
		})
	}
}

func TestWriterLaggingClosesTooSlow(t *testing.T) {
	w, f, hub, _ := newTestWriter(t, Config{SlowClientWindow: 10 * time.Millisecond}, false)
	w.st.sub.Subscribe([]string{"AAPL"}, 0, nil)
	hub.Publish([]feed.Quote{{Symbol: "AAPL", Price: 1, Seq: 1}})
	time.Sleep(30 * time.Millisecond) // the quote waits past the window, untaken
	hub.Publish([]feed.Quote{{Symbol: "AAPL", Price: 2, Seq: 2}})
	if _, ok := w.pass(time.Now()); ok {
		t.Fatal("a lagging subscriber's stream was not ended")
	}
	if f.closed == nil || *f.closed != CloseTooSlow || len(f.msgs) != 0 {
		t.Fatalf("closed %v after %d messages, want 1013 and nothing written", f.closed, len(f.msgs))
	}
}

func TestWriterHeartbeat(t *testing.T) {
	const hb = time.Second
	t.Run("periodic", func(t *testing.T) {
		w, f, _, _ := newTestWriter(t, Config{Heartbeat: hb}, false)
		w.st.sub.Subscribe([]string{"AAPL"}, 0, w.reg.deps.Market.Quote)
		start := w.nextBeat.Add(-hb)
		wake, _ := w.pass(start.Add(hb)) // quotes and a due ping in one pass
		if f.heartbeats != 1 || !wake.Equal(start.Add(2*hb)) {
			t.Fatalf("heartbeats %d, next wake %v; want 1 and one heartbeat later", f.heartbeats, wake.Sub(start))
		}
	})
	t.Run("quiet only", func(t *testing.T) {
		w, f, _, _ := newTestWriter(t, Config{Heartbeat: hb}, true)
		w.st.sub.Subscribe([]string{"AAPL"}, 0, w.reg.deps.Market.Quote)
		start := w.nextBeat.Add(-hb)
		w.pass(start.Add(hb)) // data went out: no keep-alive due
		if f.heartbeats != 0 {
			t.Fatalf("keep-alive sent in a pass that wrote quotes")
		}
		w.pass(start.Add(2*hb + time.Millisecond)) // a quiet heartbeat later
		if f.heartbeats != 1 {
			t.Fatalf("keep-alives %d after a quiet heartbeat, want 1", f.heartbeats)
		}
	})
	t.Run("silent client", func(t *testing.T) {
		w, f, _, _ := newTestWriter(t, Config{Heartbeat: hb}, false)
		f.silent = true
		if _, ok := w.pass(w.nextBeat); ok || f.closed == nil || *f.closed != CloseHeartbeatTimeout {
			t.Fatalf("silent client: closed %v, want 4002", f.closed)
		}
	})
}

func TestWriterSessionExpiry(t *testing.T) {
	w, f, _, _ := newTestWriter(t, Config{Heartbeat: time.Hour}, false)
	exp := time.Now().Add(time.Minute)
	sess := session("s1", 1)
	sess.ExpiresAt = exp
	w.st.sess.Store(&sess)
	if wake, ok := w.pass(time.Now()); !ok || !wake.Equal(exp) {
		t.Fatalf("wake %v, %v; want the session's expiry %v", wake, ok, exp)
	}
	if _, ok := w.pass(exp); ok || f.closed == nil || *f.closed != CloseUnauthorized || f.reason != "session expired" {
		t.Fatalf("at expiry: closed %v %q, want 4001 session expired", f.closed, f.reason)
	}
}

func TestWriterPortfolio(t *testing.T) {
	w, f, _, h := newTestWriter(t, Config{}, false)
	h.positions = []portfolio.Position{{Symbol: "KO", Quantity: 10, CostBasis: 50_000}}
	w.st.portfolio.Store(true)
	w.st.sub.MarkDirty()
	now := time.Now()
	w.pass(now)
	if f.events() != "portfolio" || !strings.Contains(f.msgs[0].json, `"cash":1000.00`) ||
		!strings.Contains(f.msgs[0].json, `"market_value":600.00`) {
		t.Fatalf("first pass wrote %v", f.msgs)
	}

	w.st.sub.MarkDirty() // a tick within the throttle: the push waits
	wake, _ := w.pass(now.Add(100 * time.Millisecond))
	if len(f.msgs) != 1 || !wake.Equal(now.Add(portfolioInterval)) {
		t.Fatalf("throttled push: %d messages, wake in %v; want 1 and %v", len(f.msgs), wake.Sub(now), portfolioInterval)
	}

	// The store fails: the client is told once, and the valuation is
	// retried with backoff, not on every pass.
	h.err = errBroken
	w.st.holdingsStale.Store(true)
	failed := now.Add(portfolioInterval)
	wake, _ = w.pass(failed)
	if f.events() != "portfolio,error" || !strings.Contains(f.msgs[1].json, `"code":"internal"`) || h.calls != 2 {
		t.Fatalf("after a failed valuation: %v, %d store reads", f.msgs, h.calls)
	}
	if d := wake.Sub(failed); d < portfolioRetryMin/2 || d > portfolioRetryMin {
		t.Fatalf("first retry in %v, want %v to %v", d, portfolioRetryMin/2, portfolioRetryMin)
	}
	w.st.sub.MarkDirty() // a tick before the retry is due asks nothing of the store
	w.pass(wake.Add(-time.Millisecond))
	if h.calls != 2 || len(f.msgs) != 2 {
		t.Fatalf("before the retry was due: %d store reads, %v", h.calls, f.msgs)
	}
	failedAgain := wake
	wake, _ = w.pass(failedAgain) // fails again: no second error message, a longer wait
	if h.calls != 3 || len(f.msgs) != 2 {
		t.Fatalf("second failure: %d store reads, %v; want 3 and no new message", h.calls, f.msgs)
	}
	if d := wake.Sub(failedAgain); d < portfolioRetryMin || d > 2*portfolioRetryMin {
		t.Fatalf("second retry in %v, want %v to %v", d, portfolioRetryMin, 2*portfolioRetryMin)
	}
	h.err = nil
	w.pass(wake)
	if f.events() != "portfolio,error,portfolio" || h.calls != 4 {
		t.Fatalf("retry: wrote %s with %d store reads, want a fresh valuation from a fourth read", f.events(), h.calls)
	}
	if w.portfolio.failures != 0 || !w.portfolio.retryAt.IsZero() {
		t.Fatalf("backoff kept after a success: %d failures, retry at %v", w.portfolio.failures, w.portfolio.retryAt)
	}

	w.st.portfolio.Store(false)
	w.st.sub.MarkDirty()
	w.pass(wake.Add(portfolioInterval))
	if len(f.msgs) != 3 {
		t.Fatalf("a valuation was pushed after the channel was dropped: %v", f.msgs)
	}
}

func TestRetryDelay(t *testing.T) {
	for _, tt := range []struct {
		failures int
		lo, hi   time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{6, 15 * time.Second, 30 * time.Second},
		{7, 15 * time.Second, 30 * time.Second},
		{1000, 15 * time.Second, 30 * time.Second},
	} {
		for range 200 {
			if d := retryDelay(tt.failures); d < tt.lo || d > tt.hi {
				t.Fatalf("retryDelay(%d) = %v, want %v to %v", tt.failures, d, tt.lo, tt.hi)
			}
		}
	}
}

func TestWriterFailedWrite(t *testing.T) {
	w, f, _, _ := newTestWriter(t, Config{}, false)
	f.failWrites = errBroken
	w.st.sub.Subscribe([]string{"AAPL"}, 0, w.reg.deps.Market.Quote)
	if _, ok := w.pass(time.Now()); ok || !f.aborted || w.st.endCode != closeAbnormal {
		t.Fatalf("after a failed write: ok %v, aborted %v, counted %d; want ended, aborted, 1006", ok, f.aborted, w.st.endCode)
	}
}
