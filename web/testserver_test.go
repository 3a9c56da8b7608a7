package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/data"
	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/stream"
)

// testServer is a whole tickerd on a real loopback listener: a temp SQLite
// file, a running market publishing to a hub, and the HTTP server.
type testServer struct {
	URL    string // "http://127.0.0.1:port"
	Addr   string // "127.0.0.1:port"
	DBPath string
	Server *Server
	Store  *portfolio.Store
	Market *feed.Market
	Hub    *feed.Hub
	Alerts *portfolio.AlertWatch
	Client *http.Client
	Logs   *syncBuffer // everything the server logged (JSON lines)

	stop func()
}

// testServerOptions tune startTestServerWith.
type testServerOptions struct {
	DBPath      string                 // reuse a database file; "" means a new one in tb.TempDir()
	ExtraRoutes func(api fiber.Router) // test-only routes
	Seed        int64                  // 0 means 1
	TickRate    float64                // ticks per symbol per second; 0 means 20
	Speed       float64                // simulated seconds per real second; 0 means 1
	Events      Events                 // Deps.Events; nil means none
	Scenario    *feed.Scenario         // a scenario for the market; nil means none
	Interest    stream.Interest        // Deps.Interest; nil means none
	WriteDelay  time.Duration          // the hub's WriteDelay
}

// startTestServer starts a server with cfg on 127.0.0.1:0. Cleanup shuts
// it down in order (HTTP, market, database) and waits for each.
func startTestServer(tb testing.TB, cfg Config) *testServer {
	tb.Helper()
	return startTestServerWith(tb, cfg, testServerOptions{})
}

func startTestServerWith(tb testing.TB, cfg Config, opts testServerOptions) *testServer {
	tb.Helper()
	if opts.DBPath == "" {
		opts.DBPath = filepath.Join(tb.TempDir(), "tickerd.db")
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.TickRate == 0 {
		opts.TickRate = 20
	}
	ctx := context.Background()
	store, err := portfolio.Open(ctx, opts.DBPath, portfolio.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	syms, err := feed.LoadUniverse(bytes.NewReader(data.SymbolsCSV))
	if err != nil {
		tb.Fatalf("load universe: %v", err)
	}
	hub := feed.NewHub(feed.HubConfig{ReplayTicks: feed.DefaultReplayTicks, ReplayWindow: feed.DefaultReplayWindow,
		WriteDelay: opts.WriteDelay})
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	alerts := portfolio.NewAlertWatch(store, 0, logger)
	if err := alerts.Load(ctx); err != nil {
		tb.Fatalf("load alerts: %v", err)
	}
	market, err := feed.NewMarket(feed.MarketConfig{
		Symbols: syms, Seed: opts.Seed, TicksPerSecond: opts.TickRate, Speed: opts.Speed,
		Publisher: alertTap{next: hub, watch: alerts}, Scenario: opts.Scenario,
	})
	if err != nil {
		tb.Fatalf("new market: %v", err)
	}
	srv := newServer(cfg, Deps{Store: store, Market: market, Hub: hub, Events: opts.Events, Logger: logger, Alerts: alerts, Interest: opts.Interest}, opts.ExtraRoutes)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	mctx, stopMarket := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		_ = market.Run(mctx)
	}()
	go func() {
		defer wg.Done()
		_ = alerts.Run(mctx, srv.AlertFired)
	}()
	serveDone := make(chan error, 1)
	go func() {
		defer wg.Done()
		serveDone <- srv.Serve(ln)
	}()

	ts := &testServer{
		URL:    "http://" + ln.Addr().String(),
		Addr:   ln.Addr().String(),
		DBPath: opts.DBPath,
		Server: srv,
		Store:  store,
		Market: market,
		Hub:    hub,
		Alerts: alerts,
		Client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Logs:   logs,
	}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			ts.Client.CloseIdleConnections()
			if err := srv.Shutdown(sctx); err != nil {
				tb.Errorf("shutdown: %v", err)
			}
			if err := <-serveDone; err != nil {
				tb.Errorf("serve: %v", err)
			}
			stopMarket()
			wg.Wait()
			if err := store.Close(); err != nil {
				tb.Errorf("close store: %v", err)
			}
		})
	}
	tb.Cleanup(ts.stop)
	ts.waitRunning(tb)
	return ts
}

// Stop shuts the server down now (Cleanup then does nothing).
func (ts *testServer) Stop() { ts.stop() }

// waitRunning polls until the market ticks, so quotes are live.
func (ts *testServer) waitRunning(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ts.Market.Running() {
		if time.Now().After(deadline) {
			tb.Fatal("market did not start running within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// register creates an account and logs it in, returning its token.
func (ts *testServer) register(tb testing.TB, username, password string) (token string) {
	tb.Helper()
	creds := map[string]string{"username": username, "password": password}
	resp, body := ts.do(tb, http.MethodPost, "/api/v1/auth/register", "", creds)
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("register %s: %d %s", username, resp.StatusCode, body)
	}
	return ts.login(tb, username, password)
}

// login logs in and returns the token.
func (ts *testServer) login(tb testing.TB, username, password string) string {
	tb.Helper()
	creds := map[string]string{"username": username, "password": password}
	resp, body := ts.do(tb, http.MethodPost, "/api/v1/auth/login", "", creds)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("login %s: %d %s", username, resp.StatusCode, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		tb.Fatalf("login %s: bad body %s (%v)", username, body, err)
	}
	return out.Token
}

// do sends a request with an optional Bearer token and JSON body (a
// string or []byte is sent as is) and returns the response and its body.
func (ts *testServer) do(tb testing.TB, method, path, token string, body any) (*http.Response, []byte) {
	tb.Helper()
	req := ts.newRequest(tb, method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return ts.send(tb, req)
}

// newRequest builds a request to the server; body as in do.
func (ts *testServer) newRequest(tb testing.TB, method, path string, body any) *http.Request {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// send sends req and reads the whole response.
func (ts *testServer) send(tb testing.TB, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := ts.Client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return resp, b
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// alertTap shows every tick to the alert watch after the hub has it, as
// cmd/tickerd wires it.
type alertTap struct {
	next  feed.Publisher
	watch *portfolio.AlertWatch
}

func (t alertTap) Publish(batch []feed.Quote) {
	t.next.Publish(batch)
	for i := range batch {
		q := &batch[i]
		t.watch.Observe(q.Symbol, q.Price, q.PrevClose, q.Seq, q.TS)
	}
}
