package natsfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/tickerd/tickerd/feed"
)

// fakeHistory is the core's replay history: ticks 5..10 of AAPL.
type fakeHistory struct{}

func (fakeHistory) Recent(sym string) []feed.Quote {
	if sym != "AAPL" {
		return nil
	}
	var out []feed.Quote
	for seq := uint64(5); seq <= 10; seq++ {
		out = append(out, quote("AAPL", seq, 10000+int64(seq)))
	}
	return out
}

// backfillSpy records the symbols of every rpc.backfill request.
type backfillSpy struct {
	mu   sync.Mutex
	asks [][]string
}

func (s *backfillSpy) listen(t *testing.T, nc *nats.Conn) {
	t.Helper()
	sub, err := nc.Subscribe("test"+backfillToken, func(m *nats.Msg) {
		var req backfillRequest
		_ = json.Unmarshal(m.Data, &req)
		s.mu.Lock()
		s.asks = append(s.asks, req.Symbols)
		s.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

func (s *backfillSpy) all() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.asks...)
}

// An edge with Interest receives no tick until Want; Want fills the
// symbol's latest quote and history from the core, once; a symbol no
// stream holds is released after the linger period and its data dropped;
// a resync after a core restart asks for the symbols received only.
func TestReplicaByInterest(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, coreNC, edgeNC := testNATS(t)
	market := &fakeMarket{quotes: []feed.Quote{quote("AAPL", 10, 10010), quote("MSFT", 10, 20000)}}
	serve := func() func() {
		pub := NewPublisher(coreNC, "test", nil)
		pub.SetMarket(market, fakeHistory{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = pub.Serve(ctx) }()
		return func() { cancel(); <-done }
	}
	stop := serve()
	spy := &backfillSpy{}
	spy.listen(t, coreNC)

	hub := feed.NewHub(feed.HubConfig{ReplayTicks: 100, ReplayWindow: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var backfills atomic.Int64
	r, err := NewReplica(ctx, ReplicaConfig{Conn: edgeNC, Cluster: "test", Hub: hub,
		Interest: &InterestConfig{Hub: hub, Linger: 300 * time.Millisecond,
			Observe: func(method, result string, _ time.Duration) {
				if method == "backfill" && result == "ok" {
					backfills.Add(1)
				}
			}}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(runCtx) }()
	defer func() { stopRun(); <-ran }()
	s := hub.NewSubscriber(feed.SubscriberOptions{SlowWindow: time.Hour})
	defer s.Close()
	s.SetWatch([]string{"AAPL"}) // a stream holds AAPL
	publish := func(seq uint64) {
		b, _ := encodeQuote(&feed.Quote{Symbol: "AAPL", Seq: seq, Price: 1})
		_ = coreNC.Publish(TicksSubject("test", "AAPL"), b)
		b, _ = encodeQuote(&feed.Quote{Symbol: "MSFT", Seq: seq, Price: 1})
		_ = coreNC.Publish(TicksSubject("test", "MSFT"), b)
		_ = coreNC.Flush()
	}
	publish(9)
	time.Sleep(100 * time.Millisecond)
	if _, ok := r.Quote("AAPL"); ok || r.Ticks() != 0 {
		t.Fatalf("before Want: quote held %v, %d ticks received", ok, r.Ticks())
	}

	if err := r.Want(ctx, []string{"AAPL", "NOPE"}); err != nil {
		t.Fatal(err)
	}
	if q, ok := r.Quote("AAPL"); !ok || q.Seq != 10 || q.Price != 10010 {
		t.Fatalf("AAPL after Want: %+v %v", q, ok)
	}
	if got := seqsOf(hub.Recent("AAPL")); !equalSeqs(got, []uint64{5, 6, 7, 8, 9, 10}) {
		t.Fatalf("edge's AAPL history after Want = %v, want 5..10", got)
	}
	publish(11)
	waitFor(t, "AAPL tick 11", func() bool { q, _ := r.Quote("AAPL"); return q.Seq == 11 })
	if r.Ticks() != 1 {
		t.Fatalf("received %d ticks, want AAPL's only", r.Ticks())
	}
	if err := r.Want(ctx, []string{"AAPL"}); err != nil || backfills.Load() != 1 {
		t.Fatalf("Want of a symbol received: %v, %d backfills (want 1)", err, backfills.Load())
	}

	if err := r.Want(ctx, []string{"MSFT"}); err != nil {
		t.Fatal(err)
	}
	s.SetWatch([]string{"MSFT"}) // the stream now holds MSFT, and no stream AAPL
	waitFor(t, "AAPL released", func() bool { return r.Interest() == 1 })
	if _, ok := r.Quote("AAPL"); ok || len(hub.Recent("AAPL")) != 0 {
		t.Fatal("AAPL's data kept after its release")
	}

	waitFor(t, "copy of both backfills", func() bool { return len(spy.all()) == 2 })
	before := len(spy.all())
	stop()
	stop = serve() // a new core instance: the edge resyncs
	defer func() { stop() }()
	waitFor(t, "resync request", func() bool { return len(spy.all()) > before })
	if ask := spy.all()[before]; len(ask) != 1 || ask[0] != "MSFT" {
		t.Fatalf("resync asked for %v, want [MSFT] (the symbols received)", ask)
	}
	edgeNC.Close()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func seqsOf(qs []feed.Quote) []uint64 {
	out := make([]uint64, len(qs))
	for i, q := range qs {
		out[i] = q.Seq
	}
	return out
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// longHistory is a core's history of n ticks per symbol, ending at seq n.
type longHistory int

func (h longHistory) Recent(sym string) []feed.Quote {
	out := make([]feed.Quote, int(h))
	for i := range out {
		out[i] = quote(sym, uint64(i+1), 10000)
	}
	return out
}

// Histories too large for one NATS message arrive in several replies,
// none of them lost.
func TestReplicaBackfillInParts(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, coreNC, edgeNC := testNATS(t)
	const n = 3000 // 3,000 ticks of ~150 bytes: two symbols exceed half of the 1 MiB limit
	market := &fakeMarket{quotes: []feed.Quote{quote("AAPL", n, 10000), quote("MSFT", n, 10000), quote("NVDA", n, 10000)}}
	pub := NewPublisher(coreNC, "test", nil)
	pub.SetMarket(market, longHistory(n))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan struct{})
	go func() { defer close(served); _ = pub.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	hub := feed.NewHub(feed.HubConfig{ReplayTicks: n, ReplayWindow: time.Minute})
	var requests atomic.Int64
	sctx, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	r, err := NewReplica(sctx, ReplicaConfig{Conn: edgeNC, Cluster: "test", Hub: hub,
		Interest: &InterestConfig{Hub: hub, Observe: func(string, string, time.Duration) { requests.Add(1) }}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Want(sctx, []string{"AAPL", "MSFT", "NVDA"}); err != nil {
		t.Fatal(err)
	}
	for _, sym := range []string{"AAPL", "MSFT", "NVDA"} {
		if got := len(hub.Recent(sym)); got != n {
			t.Fatalf("%s: %d ticks held after Want, want %d", sym, got, n)
		}
	}
	if requests.Load() < 2 {
		t.Fatalf("%d requests, want the backfill in parts", requests.Load())
	}
	edgeNC.Close()
}

// A Want of more than maxHistorySymbols symbols (a read of the whole
// universe) fetches their latest quotes only.
func TestReplicaWantManyFetchesLatestOnly(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, coreNC, edgeNC := testNATS(t)
	market := &fakeMarket{}
	var syms []string
	for i := range maxHistorySymbols + 1 {
		sym := fmt.Sprintf("S%03d", i)
		syms = append(syms, sym)
		market.quotes = append(market.quotes, quote(sym, 10, 10000))
	}
	pub := NewPublisher(coreNC, "test", nil)
	pub.SetMarket(market, longHistory(10))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	served := make(chan struct{})
	go func() { defer close(served); _ = pub.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	hub := feed.NewHub(feed.HubConfig{ReplayTicks: 100, ReplayWindow: time.Minute})
	r, err := NewReplica(ctx, ReplicaConfig{Conn: edgeNC, Cluster: "test", Hub: hub, Interest: &InterestConfig{Hub: hub}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Want(ctx, syms); err != nil {
		t.Fatal(err)
	}
	for _, sym := range syms {
		if got := seqsOf(hub.Recent(sym)); !equalSeqs(got, []uint64{10}) {
			t.Fatalf("%s held %v, want the latest quote only", sym, got)
		}
	}
	edgeNC.Close()
}
