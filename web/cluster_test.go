package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/wire"
)

// recordedEvents is a Deps.Events that keeps what it was told.
type recordedEvents struct {
	mu      sync.Mutex
	revoked []string
	changed []int64
	alerts  []recordedAlert
}

type recordedAlert struct {
	accountID int64
	alert     string
}

func (e *recordedEvents) AlertFired(id int64, alert []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.alerts = append(e.alerts, recordedAlert{id, string(alert)})
}

func (e *recordedEvents) firedAlerts() []recordedAlert {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]recordedAlert(nil), e.alerts...)
}

func (e *recordedEvents) SessionRevoked(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.revoked = append(e.revoked, id)
}

func (e *recordedEvents) AccountChanged(id int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.changed = append(e.changed, id)
}

// Logout, a fill and a watchlist change are reported to Deps.Events once
// committed; refused requests are not.
func TestEventsAfterCommittedChanges(t *testing.T) {
	ev := &recordedEvents{}
	ts := startTestServerWith(t, Config{}, testServerOptions{Events: ev})
	tok := ts.register(t, "eve", "correct horse 1")
	resp, body := ts.do(t, http.MethodGet, "/api/v1/me", tok, nil)
	var me struct{ ID int64 }
	if err := json.Unmarshal(body, &me); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("me: %d %s", resp.StatusCode, body)
	}
	if resp, body := ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", tok, `{"symbol":"AAPL","side":"buy","quantity":1}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("trade: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", tok, `{"symbol":"AAPL","side":"sell","quantity":5}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("oversell: %d", resp.StatusCode)
	}
	if resp, body := ts.do(t, http.MethodPut, "/api/v1/watchlist", tok, `{"symbols":["MSFT"]}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("watchlist: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.do(t, http.MethodPost, "/api/v1/auth/logout", tok, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	sum := sha256.Sum256([]byte(tok))
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.changed) != 2 || ev.changed[0] != me.ID || ev.changed[1] != me.ID {
		t.Errorf("account changes %v, want [%d %d]", ev.changed, me.ID, me.ID)
	}
	if len(ev.revoked) != 1 || ev.revoked[0] != hex.EncodeToString(sum[:]) {
		t.Errorf("revocations %v, want the session of the token", ev.revoked)
	}
}

// X-Forwarded-For names the client only when the peer is a trusted proxy,
// and then its first valid address.
func TestTrustedProxies(t *testing.T) {
	ipRoute := func(api fiber.Router) { api.Get("/test/ip", func(c *fiber.Ctx) error { return c.SendString(c.IP()) }) }
	tests := []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"no proxies: header ignored", nil, "203.0.113.9", "127.0.0.1"},
		{"trusted peer", []string{"127.0.0.1"}, "203.0.113.9", "203.0.113.9"},
		{"trusted range, first valid entry", []string{"127.0.0.0/8"}, "junk, 203.0.113.9, 10.0.0.1", "203.0.113.9"},
		{"trusted peer without the header", []string{"127.0.0.1"}, "", "127.0.0.1"},
		{"untrusted peer: header ignored", []string{"10.0.0.0/8"}, "203.0.113.9", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startTestServerWith(t, Config{TrustedProxies: tt.trusted}, testServerOptions{ExtraRoutes: ipRoute})
			req := ts.newRequest(t, http.MethodGet, "/api/v1/test/ip", nil)
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			if _, body := ts.send(t, req); string(body) != tt.want {
				t.Fatalf("client IP %q, want %q", body, tt.want)
			}
		})
	}
}

// fakeCore records what an edge forwards and answers 200 with the path.
type fakeCore struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
	body []string
}

func newFakeCore(t *testing.T) *fakeCore {
	fc := &fakeCore{}
	fc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fc.mu.Lock()
		fc.seen = append(fc.seen, r)
		fc.body = append(fc.body, string(b))
		fc.mu.Unlock()
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "core: "+r.Method+" "+r.URL.RequestURI())
	}))
	t.Cleanup(fc.Close)
	return fc
}

func (fc *fakeCore) last() (*http.Request, string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if len(fc.seen) == 0 {
		return nil, ""
	}
	return fc.seen[len(fc.seen)-1], fc.body[len(fc.body)-1]
}

// startEdge serves an edge on loopback whose core is coreURL: no store,
// the market and hub of a feed.Market that is not running.
func startEdge(t *testing.T, coreURL string) string {
	t.Helper()
	syms := []feed.Symbol{{Ticker: "AAPL", Name: "Apple", Sector: "Tech", Price: 18712, Volatility: 0.2}}
	hub := feed.NewHub(feed.HubConfig{})
	market, err := feed.NewMarket(feed.MarketConfig{Symbols: syms, Seed: 1, Publisher: hub})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{}, Deps{Sessions: refuseAll{}, Holdings: refuseAll{}, Market: market, Hub: hub, CoreURL: coreURL})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

// refuseAll is an edge's session and holdings source that knows no one.
type refuseAll struct{}

func (refuseAll) Authenticate(context.Context, string) (portfolio.Session, error) {
	return portfolio.Session{}, portfolio.Errorf(portfolio.CodeUnauthorized, "not signed in")
}

func (refuseAll) Holdings(context.Context, int64) (int64, []portfolio.Position, error) {
	return 0, nil, portfolio.Errorf(portfolio.CodeNotFound, "no account")
}

// An edge answers the latest quotes itself and forwards everything else to
// the core: method, path and query, body, the request id and Host kept, and
// the client's own address as the only X-Forwarded-For entry.
func TestEdgeForwardsToCore(t *testing.T) {
	core := newFakeCore(t)
	edge := startEdge(t, core.URL)
	host := strings.TrimPrefix(edge, "http://")

	req, _ := http.NewRequest(http.MethodPost, edge+"/api/v1/portfolio/trades?x=1", strings.NewReader(`{"symbol":"AAPL"}`))
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Request-ID", "req-42")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot || string(b) != "core: POST /api/v1/portfolio/trades?x=1" {
		t.Fatalf("forwarded answer: %d %q", res.StatusCode, b)
	}
	if id := res.Header.Get("X-Request-ID"); id != "req-42" {
		t.Errorf("answer's request id %q", id)
	}
	seen, body := core.last()
	if got := seen.Header.Get("X-Forwarded-For"); got != "127.0.0.1" {
		t.Errorf("core saw X-Forwarded-For %q, want only the client's address", got)
	}
	if got := seen.Header.Get("X-Request-ID"); got != "req-42" {
		t.Errorf("core saw request id %q", got)
	}
	if seen.Host != host {
		t.Errorf("core saw Host %q, want the edge's %q", seen.Host, host)
	}
	if body != `{"symbol":"AAPL"}` {
		t.Errorf("core saw body %q", body)
	}

	for _, path := range []string{"/", "/api/v1/symbols", "/api/v1/quotes/AAPL/candles", "/api/v1/openapi.yaml"} {
		res, err := http.Get(edge + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusTeapot {
			t.Errorf("GET %s: %d, want it forwarded", path, res.StatusCode)
		}
	}
	res, err = http.Get(edge + "/api/v1/quotes?symbols=AAPL")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"symbol":"AAPL"`) {
		t.Fatalf("local quotes: %d %s", res.StatusCode, b)
	}
}

// With the core unreachable, a forwarded request is 503 not_ready, and a
// refused session on the edge is 401.
func TestEdgeWithoutCore(t *testing.T) {
	core := newFakeCore(t)
	edge := startEdge(t, core.URL)
	core.Close()
	res, err := http.Get(edge + "/api/v1/symbols")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"not_ready"`) || res.Header.Get("X-Request-ID") == "" {
		t.Fatalf("core down: %d %s (request id %q)", res.StatusCode, b, res.Header.Get("X-Request-ID"))
	}
	req, _ := http.NewRequest(http.MethodGet, edge+"/api/v1/stream?symbols=AAPL", nil)
	req.Header.Set("Authorization", "Bearer nope")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream with a refused token: %d", res.StatusCode)
	}
}

// FeedStopped and FeedResumed reach open streams as feed frames; after
// a resumption every subscribed symbol gets a fresh snapshot and the
// portfolio channel a fresh valuation.
func TestFeedFrames(t *testing.T) {
	ts := startTestServer(t, Config{})
	tok := ts.register(t, "stat", "correct horse 1")
	conn := mustDialWS(t, ts, tok)
	send(t, conn, `{"type":"subscribe","id":1,"symbols":["AAPL","MSFT"],"channels":["portfolio"]}`)
	readUntil(t, conn, "quotes")
	readUntil(t, conn, "portfolio")
	events := openSSE(t, ts, tok, "/api/v1/stream?symbols=AAPL")
	nextEvent(t, events, "quotes")

	ts.Server.FeedStopped("price feed interrupted: test")
	f := readUntil(t, conn, "feed")
	if !strings.Contains(string(f.Raw), `"state":"down"`) || f.Message != "price feed interrupted: test" {
		t.Fatalf("feed frame %s", f.Raw)
	}
	if ev := nextEvent(t, events, "feed"); !strings.Contains(ev.data, `"state":"down"`) {
		t.Fatalf("SSE feed event %s", ev.data)
	}

	ts.Server.FeedResumed("price feed resumed")
	f = readUntil(t, conn, "feed")
	if !strings.Contains(string(f.Raw), `"state":"up"`) {
		t.Fatalf("feed frame %s", f.Raw)
	}
	snap := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(snap) < 2 && time.Now().Before(deadline) {
		for _, q := range readUntil(t, conn, "quotes").quotes(t) {
			if q.Snapshot {
				snap[q.Symbol] = true
			}
		}
	}
	if !snap["AAPL"] || !snap["MSFT"] {
		t.Fatalf("snapshots after resuming: %v", snap)
	}
	readUntil(t, conn, "portfolio") // revalued from freshly read holdings
	if ev := nextEvent(t, events, "feed"); !strings.Contains(ev.data, `"state":"up"`) {
		t.Fatalf("SSE feed event %s", ev.data)
	}
	for {
		ev := nextEvent(t, events, "quotes")
		if strings.Contains(ev.data, `"snapshot":true`) {
			break
		}
	}
}

// accountID returns the id of token's account (GET /api/v1/me).
func (ts *testServer) accountID(tb testing.TB, token string) int64 {
	tb.Helper()
	resp, body := ts.do(tb, http.MethodGet, "/api/v1/me", token, nil)
	var me struct{ ID int64 }
	if err := json.Unmarshal(body, &me); err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("me: %d %s", resp.StatusCode, body)
	}
	return me.ID
}

// A fired alert is handed to Deps.Events once, as the wire JSON the
// stream's alert message carries, with the alert's account.
func TestFiredAlertReachesEvents(t *testing.T) {
	ev := &recordedEvents{}
	ts := startTestServerWith(t, Config{}, testServerOptions{Speed: 10, Events: ev})
	token := ts.register(t, "alert-eve", "correct horse battery")
	id := ts.accountID(t, token)
	ws := mustDialWS(t, ts, token)
	send(t, ws, `{"type":"subscribe","id":1,"channels":["alerts"]}`)
	readFrame(t, ws)
	bracketAlerts(t, ts, token, "AAPL")
	f := readUntil(t, ws, "alert")

	deadline := time.Now().Add(time.Second)
	for len(ev.firedAlerts()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := ev.firedAlerts()
	if len(got) == 0 || got[0] != (recordedAlert{id, string(f.Data)}) {
		t.Fatalf("events got %+v, want account %d with %s", got, id, f.Data)
	}
	time.Sleep(200 * time.Millisecond) // a duplicate would come right after
	seen := map[recordedAlert]bool{}
	for _, a := range ev.firedAlerts() {
		if seen[a] {
			t.Fatalf("alert handed to events twice: %s", a.alert)
		}
		seen[a] = true
	}
}

// An alert fired on another node reaches the account's streams subscribed
// to alerts with the node's JSON unchanged; another account's do not get
// it, and a payload that is not a JSON object is dropped.
func TestAlertFiredOnCore(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "remote-ann", "correct horse battery")
	otherToken := ts.register(t, "remote-bob", "correct horse battery")
	id := ts.accountID(t, token)
	ws := mustDialWS(t, ts, token)
	send(t, ws, `{"type":"subscribe","id":1,"channels":["alerts"]}`)
	readFrame(t, ws)
	other := mustDialWS(t, ts, otherToken)
	send(t, other, `{"type":"subscribe","id":1,"channels":["alerts"]}`)
	readFrame(t, other)

	ts.Server.AlertFiredOnCore(id, []byte(`[1,2]`))
	ts.Server.AlertFiredOnCore(id, []byte(`{"id":9`))
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	alert, err := json.Marshal(wire.FromAlert(portfolio.Alert{ID: 9, AccountID: id, Symbol: "AAPL",
		Condition: portfolio.Above, Threshold: 19000, Status: portfolio.AlertTriggered, CreatedAt: at,
		TriggeredPrice: 19001, TriggeredSeq: 77, TriggeredAt: at.Add(time.Minute)}))
	if err != nil {
		t.Fatal(err)
	}
	ts.Server.AlertFiredOnCore(id, alert)
	f := readUntil(t, ws, "alert")
	if string(f.Data) != string(alert) {
		t.Fatalf("alert frame %s, want data %s", f.Raw, alert)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for {
		f, err := tryReadFrame(other, time.Until(deadline))
		if err != nil {
			break // timeout: nothing more
		}
		if f.Type == "alert" {
			t.Fatalf("other account got %s", f.Raw)
		}
	}
}
