package natsfeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/tickerd/tickerd/feed"
)

// fakeMarket is the core's market as the publisher reads it.
type fakeMarket struct {
	mu     sync.Mutex
	quotes []feed.Quote
	day    int64 // SessionDay
}

func (m *fakeMarket) Symbols() []feed.Symbol {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]feed.Symbol, len(m.quotes))
	for i, q := range m.quotes {
		out[i] = feed.Symbol{Ticker: q.Symbol, Name: q.Symbol + " Inc."}
	}
	return out
}

func (m *fakeMarket) AllQuotes() []feed.Quote {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]feed.Quote(nil), m.quotes...)
}

func (m *fakeMarket) Ticks() uint64 { return 0 }

func (m *fakeMarket) SessionDay() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.day
}

func (m *fakeMarket) Quote(sym string) (feed.Quote, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.quotes {
		if q.Symbol == sym {
			return q, true
		}
	}
	return feed.Quote{}, false
}

// set records q as the latest quote of its symbol.
func (m *fakeMarket) set(q feed.Quote) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.quotes {
		if m.quotes[i].Symbol == q.Symbol {
			m.quotes[i] = q
		}
	}
}

// recorder is the edge's hub: it keeps every quote handed to it.
type recorder struct {
	mu     sync.Mutex
	quotes []feed.Quote
}

func (r *recorder) Publish(batch []feed.Quote) {
	r.mu.Lock()
	r.quotes = append(r.quotes, batch...)
	r.mu.Unlock()
}

func (r *recorder) all() []feed.Quote {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]feed.Quote(nil), r.quotes...)
}

// testNATS runs an embedded server and returns it with a connection for
// the core and one for the edge, all closed when the test ends.
func testNATS(t *testing.T) (*server.Server, *nats.Conn, *nats.Conn) {
	t.Helper()
	ns, err := StartServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	core, err := Connect(ns.ClientURL(), "core", nil)
	if err != nil {
		t.Fatal(err)
	}
	edge, err := Connect(ns.ClientURL(), "edge", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		core.Close()
		edge.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns, core, edge
}

func quote(sym string, seq uint64, price int64) feed.Quote {
	return feed.Quote{Symbol: sym, Price: price, PrevClose: 10000, Open: 10000, High: max(price, 10000),
		Low: min(price, 10000), Volume: int64(seq) * 10, TS: 1764000000000 + int64(seq), Seq: seq}
}

func TestTickPayloadRoundTrip(t *testing.T) {
	for _, q := range []feed.Quote{
		quote("AAPL", 1, 18712),
		quote("BRK.B", 1<<62, 1),
		{Symbol: `A"B`, Price: -5, Seq: 0},
	} {
		b, err := encodeQuote(&q)
		if err != nil {
			t.Fatal(err)
		}
		var got feed.Quote
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got != q {
			t.Fatalf("round trip: %+v, want %+v", got, q)
		}
	}
}

// Every tick the core publishes reaches the edge's hub, in order, without
// gaps, and the replica keeps the latest quote per symbol.
func TestReplicaHandsEveryTickInOrder(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, coreNC, edgeNC := testNATS(t)
	market := &fakeMarket{quotes: []feed.Quote{quote("AAPL", 100, 10000), quote("MSFT", 200, 10000)}}
	pub := NewPublisher(coreNC, "test", nil)
	pub.SetMarket(market, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan struct{})
	go func() { defer close(served); _ = pub.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	hub := &recorder{}
	r := newTestReplica(t, edgeNC, hub, nil)
	if q, ok := r.Quote("MSFT"); !ok || q.Seq != 200 {
		t.Fatalf("MSFT after start: %+v %v", q, ok)
	}
	const n = 2000
	for i := uint64(1); i <= n; i++ {
		pub.Publish([]feed.Quote{quote("AAPL", 100+i, 10000+int64(i)), quote("MSFT", 200+i, 10000-int64(i%50))})
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Ticks() < 2*n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.Ticks() != 2*n {
		t.Fatalf("edge received %d ticks of %d (published %d, refused %d, dropped by NATS %v)",
			r.Ticks(), 2*n, pub.Published(), pub.Failed(), dropped(edgeNC))
	}
	next := map[string]uint64{"AAPL": 101, "MSFT": 201}
	for _, q := range hub.all()[2:] { // after the two start-up quotes
		if q.Seq != next[q.Symbol] {
			t.Fatalf("%s: seq %d, want %d", q.Symbol, q.Seq, next[q.Symbol])
		}
		next[q.Symbol]++
	}
	if q, _ := r.Quote("AAPL"); q.Seq != 100+n || q.Price != 10000+n {
		t.Fatalf("latest AAPL %+v", q)
	}
	if _, ok := r.Lookup("NOPE"); ok {
		t.Fatal("unknown symbol found")
	}
	edgeNC.Close()
}

// A core that stops its heartbeat stops the feed (not ready); a new core
// instance resumes it, and the hub receives the new core's quotes.
func TestReplicaStopsAndResumes(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, coreNC, edgeNC := testNATS(t)
	market := &fakeMarket{quotes: []feed.Quote{quote("AAPL", 1, 10000)}}
	serve := func() (*Publisher, func()) {
		pub := NewPublisher(coreNC, "test", nil)
		pub.SetMarket(market, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = pub.Serve(ctx) }()
		return pub, func() { cancel(); <-done }
	}
	_, stop := serve()
	events := make(chan string, 10)
	hub := &recorder{}
	r := newTestReplica(t, edgeNC, hub, events)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); r.Run(ctx) }()
	defer func() { cancel(); <-ran }()

	stop()
	select {
	case ev := <-events:
		if ev != "stopped: price feed interrupted: the core is not answering" {
			t.Fatalf("event %q", ev)
		}
	case <-time.After(BeatTimeout + 2*time.Second):
		t.Fatal("feed not stopped after the heartbeat ended")
	}
	if r.Running() || r.Ready(context.Background()) == nil {
		t.Fatal("replica ready without a core")
	}
	market.set(quote("AAPL", 50, 12345))
	_, stop = serve()
	defer stop()
	select {
	case ev := <-events:
		if ev != "resumed: price feed resumed" {
			t.Fatalf("event %q", ev)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("feed not resumed")
	}
	if r.Ready(context.Background()) != nil {
		t.Fatal("not ready after resuming")
	}
	got := hub.all()
	if last := got[len(got)-1]; last.Seq != 50 || last.Price != 12345 {
		t.Fatalf("hub's last quote after resuming: %+v", last)
	}
}

func TestNewReplicaWithoutCore(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, _, edgeNC := testNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := NewReplica(ctx, ReplicaConfig{Conn: edgeNC, Cluster: "test"})
	if !errors.Is(err, ErrNoCore) {
		t.Fatalf("err = %v, want ErrNoCore", err)
	}
}

func TestStartServerAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := StartServer(ln.Addr().String()); err == nil {
		t.Fatal("started on a port in use")
	}
	if _, err := StartServer("nonsense"); err == nil {
		t.Fatal("started on a malformed address")
	}
}

func TestConnectFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	if _, err := Connect("nats://"+addr, "t", nil); err == nil {
		t.Fatal("connected to nothing")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Connect took %s to fail", d)
	}
}

func newTestReplica(t *testing.T, nc *nats.Conn, hub feed.Publisher, events chan<- string) *Replica {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg := ReplicaConfig{Conn: nc, Cluster: "test", Hub: hub}
	if events != nil {
		cfg.Stopped = func(reason string) { events <- "stopped: " + reason }
		cfg.Resumed = func(reason string) { events <- "resumed: " + reason }
	}
	r, err := NewReplica(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dropped counts the messages the edge's subscriptions dropped as a slow
// consumer.
func dropped(nc *nats.Conn) string {
	return fmt.Sprintf("%+v", nc.Stats())
}

// An edge values day changes on the core's simulated day: it has it from
// the market fetch and follows it through the heartbeats.
func TestReplicaFollowsSessionDay(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the server shuts down
	_, coreNC, edgeNC := testNATS(t)
	market := &fakeMarket{quotes: []feed.Quote{quote("AAPL", 1, 10000)}, day: 20_422}
	pub := NewPublisher(coreNC, "test", nil)
	pub.SetMarket(market, nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = pub.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	r := newTestReplica(t, edgeNC, &recorder{}, nil)
	if got := r.SessionDay(); got != 20_422 {
		t.Fatalf("session day after start = %d, want 20422", got)
	}
	market.mu.Lock()
	market.day = 20_423 // the simulated clock passed midnight
	market.mu.Unlock()
	deadline := time.Now().Add(3 * HeartbeatInterval)
	for r.SessionDay() != 20_423 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.SessionDay(); got != 20_423 {
		t.Fatalf("session day %v after the core's day changed = %d, want 20423", 3*HeartbeatInterval, got)
	}
	edgeNC.Close()
}
