package natsrpc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/tickerd/tickerd/portfolio"
)

// fakeAccounts is the core's store: one valid token.
type fakeAccounts struct {
	mu      sync.Mutex
	calls   int
	revoked bool
	pingErr error
	// gate, when set, holds every Authenticate and Holdings until it is
	// closed, so that requests overlap.
	gate     chan struct{}
	holdings int
}

var testSession = portfolio.Session{ID: "sess-1", AccountID: 7, Username: "alice",
	ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}

func (a *fakeAccounts) Authenticate(_ context.Context, token string) (portfolio.Session, error) {
	if a.gate != nil {
		<-a.gate
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if token != "good" || a.revoked {
		return portfolio.Session{}, portfolio.Errorf(portfolio.CodeUnauthorized, "not signed in")
	}
	return testSession, nil
}

// heldAAPL was held before today's session (1 share) and traded in it, so
// the edge needs its day fields to value its day change.
var heldAAPL = portfolio.Position{Symbol: "AAPL", Quantity: 3, CostBasis: 56100,
	DaySession: 20_422, DayOpenQty: 1, DayNetCash: 37_400}

func (a *fakeAccounts) Holdings(_ context.Context, id int64) (int64, []portfolio.Position, error) {
	if a.gate != nil {
		<-a.gate
	}
	a.mu.Lock()
	a.holdings++
	a.mu.Unlock()
	if id != 7 {
		return 0, nil, errors.New("disk on fire")
	}
	return 12345, []portfolio.Position{heldAAPL}, nil
}

func (a *fakeAccounts) Ping(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pingErr
}

func (a *fakeAccounts) LiveSessions(_ context.Context, ids []string) (map[string]bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	live := map[string]bool{}
	for _, id := range ids {
		if id == testSession.ID && !a.revoked {
			live[id] = true
		}
	}
	return live, nil
}

func (a *fakeAccounts) authCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// streams records what the events asked of an edge's streams.
type streams struct {
	closed  chan string
	changed chan int64
	alerts  chan firedAlert
}

type firedAlert struct {
	accountID int64
	alert     string
}

func (s *streams) CloseSession(id string)    { s.closed <- id }
func (s *streams) PortfolioChanged(id int64) { s.changed <- id }
func (s *streams) AlertFiredOnCore(id int64, alert []byte) {
	s.alerts <- firedAlert{id, string(alert)}
}

// setup runs an embedded NATS server, a responder on fake accounts and a
// client listening for events.
func setup(t *testing.T) (*fakeAccounts, *Responder, *Client, *streams) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	coreNC, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	edgeNC, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	accts := &fakeAccounts{}
	r, err := Serve(coreNC, "test", accts, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(edgeNC, "test", time.Second, 3*time.Second, nil)
	st := &streams{closed: make(chan string, 4), changed: make(chan int64, 4), alerts: make(chan firedAlert, 4)}
	if err := c.Listen(st); err != nil {
		t.Fatal(err)
	}
	if err := edgeNC.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		r.Close()
		coreNC.Close()
		edgeNC.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return accts, r, c, st
}

func TestAuthenticateCachesAndRevocationDrops(t *testing.T) {
	accts, r, c, st := setup(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		sess, err := c.Authenticate(ctx, "good")
		if err != nil || sess != testSession {
			t.Fatalf("authenticate: %+v %v", sess, err)
		}
	}
	if n := accts.authCalls(); n != 1 {
		t.Fatalf("core asked %d times, want 1 (then the cache)", n)
	}

	accts.mu.Lock()
	accts.revoked = true
	accts.mu.Unlock()
	r.SessionRevoked(testSession.ID)
	select {
	case id := <-st.closed:
		if id != testSession.ID {
			t.Fatalf("closed %q", id)
		}
	case <-time.After(time.Second):
		t.Fatal("revocation did not reach the streams")
	}
	_, err := c.Authenticate(ctx, "good")
	if portfolio.ErrorCode(err) != portfolio.CodeUnauthorized {
		t.Fatalf("revoked token: %v, want unauthorized", err)
	}
}

func TestAuthenticateNeverCachesRefusals(t *testing.T) {
	accts, _, c, _ := setup(t)
	for i := 0; i < 2; i++ {
		if _, err := c.Authenticate(context.Background(), "bad"); portfolio.ErrorCode(err) != portfolio.CodeUnauthorized {
			t.Fatalf("bad token: %v", err)
		}
	}
	if n := accts.authCalls(); n != 2 {
		t.Fatalf("core asked %d times, want 2", n)
	}
}

func TestCacheExpires(t *testing.T) {
	accts, _, c, _ := setup(t)
	now := time.Now()
	c.now = func() time.Time { return now }
	if _, err := c.Authenticate(context.Background(), "good"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(DefaultCacheTTL + time.Millisecond)
	if _, err := c.Authenticate(context.Background(), "good"); err != nil {
		t.Fatal(err)
	}
	if n := accts.authCalls(); n != 2 {
		t.Fatalf("core asked %d times, want 2 (the entry expired)", n)
	}
}

func TestHoldingsPingAndEvents(t *testing.T) {
	accts, r, c, st := setup(t)
	ctx := context.Background()
	cash, pos, err := c.Holdings(ctx, 7)
	if err != nil || cash != 12345 || len(pos) != 1 || pos[0] != heldAAPL {
		t.Fatalf("holdings: %d %+v %v", cash, pos, err)
	}
	if _, _, err := c.Holdings(ctx, 8); portfolio.ErrorCode(err) != portfolio.CodeInternal || err.Error() == "disk on fire" {
		t.Fatalf("internal error leaked or lost: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	accts.mu.Lock()
	accts.pingErr = errors.New("database gone")
	accts.mu.Unlock()
	if err := c.Ping(ctx); portfolio.ErrorCode(err) != CodeUnavailable {
		t.Fatalf("ping with the database gone: %v", err)
	}
	r.AccountChanged(42)
	select {
	case id := <-st.changed:
		if id != 42 {
			t.Fatalf("changed %d", id)
		}
	case <-time.After(time.Second):
		t.Fatal("account change did not reach the streams")
	}
}

// A fired alert reaches the edge's streams once, with the account of its
// subject and the core's payload unchanged.
func TestAlertFiredReachesEdgeOnce(t *testing.T) {
	_, r, c, st := setup(t)
	const alert = `{"id":3,"symbol":"AAPL","condition":"above","status":"triggered"}`
	r.AlertFired(42, []byte(alert))
	select {
	case got := <-st.alerts:
		if got != (firedAlert{42, alert}) {
			t.Fatalf("got %+v", got)
		}
	case <-time.After(time.Second):
		t.Fatal("fired alert did not reach the streams")
	}
	r.AlertFired(43, []byte(`{"id":4}`)) // same subscription, so it comes after any duplicate
	select {
	case got := <-st.alerts:
		if got != (firedAlert{43, `{"id":4}`}) {
			t.Fatalf("got %+v after the first alert, want account 43's", got)
		}
	case <-time.After(time.Second):
		t.Fatal("second fired alert did not reach the streams")
	}
	var m dto.Metric
	if err := c.alerts.Write(&m); err != nil || m.GetCounter().GetValue() != 2 {
		t.Fatalf("tickerd_cluster_alerts_received_total %v (%v), want 2", m.GetCounter().GetValue(), err)
	}
}

func TestAccountOf(t *testing.T) {
	tests := []struct {
		subject, suffix string
		id              int64
		ok              bool
	}{
		{"c.account.7.changed", ".changed", 7, true},
		{"c.account.42.alert", ".alert", 42, true},
		{"c.account.42.alert", ".changed", 0, false},
		{"c.account.x.alert", ".alert", 0, false},
	}
	for _, tt := range tests {
		id, ok := accountOf(tt.subject, tt.suffix)
		if id != tt.id || ok != tt.ok {
			t.Errorf("accountOf(%q, %q) = %d, %v; want %d, %v", tt.subject, tt.suffix, id, ok, tt.id, tt.ok)
		}
	}
}

func TestCoreGone(t *testing.T) {
	_, r, c, _ := setup(t)
	r.Close()
	start := time.Now()
	_, err := c.Authenticate(context.Background(), "good")
	if portfolio.ErrorCode(err) != CodeUnavailable {
		t.Fatalf("no core: %v, want %s", err, CodeUnavailable)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("took %s", d)
	}
}

// openSessions is an edge's streams for Recheck.
type openSessions struct {
	ids    []string
	closed []string
}

func (o *openSessions) SessionIDs() []string   { return o.ids }
func (o *openSessions) CloseSession(id string) { o.closed = append(o.closed, id) }

// A revocation the edge missed (it was cut off from NATS) is caught by
// Recheck: the session's streams close and its cached check is dropped.
func TestRecheckClosesMissedRevocations(t *testing.T) {
	accts, _, c, _ := setup(t)
	ctx := context.Background()
	if _, err := c.Authenticate(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	open := &openSessions{ids: []string{testSession.ID, "gone-1", "gone-2"}}
	if err := c.Recheck(ctx, open); err != nil {
		t.Fatal(err)
	}
	if len(open.closed) != 2 || open.closed[0] != "gone-1" || open.closed[1] != "gone-2" {
		t.Fatalf("closed %v, want the two unknown sessions", open.closed)
	}
	accts.mu.Lock()
	accts.revoked = true // logged out while the edge heard nothing
	accts.mu.Unlock()
	open = &openSessions{ids: []string{testSession.ID}}
	if err := c.Recheck(ctx, open); err != nil {
		t.Fatal(err)
	}
	if len(open.closed) != 1 {
		t.Fatalf("closed %v, want the revoked session", open.closed)
	}
	if _, err := c.Authenticate(ctx, "good"); portfolio.ErrorCode(err) != portfolio.CodeUnauthorized {
		t.Fatalf("revoked token still cached: %v", err)
	}
}
