package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// families is one scrape, parsed.
type families map[string]*dto.MetricFamily

// scrape GETs /metrics from ts and parses the text format.
func scrape(tb testing.TB, ts *testServer) families {
	tb.Helper()
	resp, err := ts.Client.Get(ts.URL + metricsPath)
	if err != nil {
		tb.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		tb.Fatalf("scrape: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// value returns the value of the series of name whose labels include want
// (label=value pairs), and whether it exists. A histogram's value is its
// sample count.
func (f families) value(name string, want ...string) (float64, bool) {
	fam := f[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// must returns the series' value, failing if it is missing.
func (f families) must(tb testing.TB, name string, want ...string) float64 {
	tb.Helper()
	v, ok := f.value(name, want...)
	if !ok {
		tb.Fatalf("no series %s%v in the scrape", name, want)
	}
	return v
}

// labelValues lists every value label takes across the family name.
func (f families) labelValues(name, label string) []string {
	var out []string
	for _, m := range f[name].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				out = append(out, lp.GetValue())
			}
		}
	}
	return out
}

// waitMetric scrapes until cond holds for the series' value, within 10 s.
func waitMetric(tb testing.TB, ts *testServer, cond func(float64) bool, name string, want ...string) families {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := scrape(tb, ts)
		if v, ok := f.value(name, want...); ok && cond(v) {
			return f
		}
		if time.Now().After(deadline) {
			v, ok := f.value(name, want...)
			tb.Fatalf("%s%v = %v (present %v), condition not met within 10s", name, want, v, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func atLeast(n float64) func(float64) bool { return func(v float64) bool { return v >= n } }

// TestMetricsAfterTraffic drives REST, login failures, trades, a WebSocket
// and an SSE client through a real server and checks that each series
// exists and moved, and that labels stay bounded.
func TestMetricsAfterTraffic(t *testing.T) {
	ts := startTestServer(t, Config{LoginPerUserPerMin: 2})
	tok := ts.register(t, "mira", "correct horse battery") // 1 of 2 logins

	before := scrape(t, ts)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "tickerd_feed_ticks_total", "tickerd_market_clock_lag_seconds_total", "tickerd_alerts_active", "tickerd_alerts_fired_total"} {
		before.must(t, name)
	}
	if v := before.must(t, "tickerd_login_failures_total", "reason", loginBadCredentials); v != 0 {
		t.Fatalf("login failures before any: %v", v)
	}

	// REST, including 4xx answers and unknown routes.
	wrong := map[string]string{"username": "mira", "password": "wrong password!"}
	resp, _ := ts.do(t, http.MethodPost, "/api/v1/auth/login", "", wrong)
	wantCode(t, resp, http.StatusUnauthorized)
	resp, _ = ts.do(t, http.MethodPost, "/api/v1/auth/login", "", wrong)
	wantCode(t, resp, http.StatusTooManyRequests)
	for _, sym := range []string{"AAPL", "MSFT", "ZZZZ"} {
		ts.do(t, http.MethodGet, "/api/v1/quotes/"+sym+"/candles", "", nil)
	}
	for _, p := range []string{"/api/v1/nope", "/api/v1/nope/AAPL", "/no/such/page"} {
		resp, _ = ts.do(t, http.MethodGet, p, "", nil)
		wantCode(t, resp, http.StatusNotFound)
	}
	resp, _ = ts.do(t, http.MethodGet, "/api/v1/me", "", nil)
	wantCode(t, resp, http.StatusUnauthorized)
	resp, _ = ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", tok, map[string]any{"symbol": "AAPL", "side": "buy", "quantity": 2})
	wantCode(t, resp, http.StatusCreated)
	resp, _ = ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", tok, map[string]any{"symbol": "AAPL", "side": "sell", "quantity": 500})
	wantCode(t, resp, http.StatusUnprocessableEntity)

	// A WebSocket client subscribed to two symbols, receiving ticks.
	ws := mustDialWS(t, ts, tok)
	send(t, ws, `{"type":"subscribe","id":1,"symbols":["AAPL","MSFT"]}`)
	for ticks := 0; ticks < 2; {
		if f := readUntil(t, ws, "quotes"); !strings.Contains(string(f.Raw), `"snapshot":true`) {
			ticks++
		}
	}
	// An SSE client on one symbol.
	sse := openSSE(t, ts, tok, "/api/v1/stream?symbols=KO")
	nextEvent(t, sse, "quotes")

	f := waitMetric(t, ts, atLeast(1), "tickerd_stream_frames_written_total", "transport", "sse")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64 // exact
	}{
		{"tickerd_streams_open", []string{"transport", "ws"}, 1},
		{"tickerd_streams_open", []string{"transport", "sse"}, 1},
		{"tickerd_stream_subscriptions", nil, 3},
		{"tickerd_hub_subscribers", nil, 2},
		{"tickerd_login_failures_total", []string{"reason", loginBadCredentials}, 1},
		{"tickerd_login_failures_total", []string{"reason", loginRateLimited}, 1},
		{"tickerd_trades_total", []string{"side", "buy", "outcome", "filled"}, 1},
		{"tickerd_trades_total", []string{"side", "sell", "outcome", "insufficient_shares"}, 1},
		{"tickerd_http_requests_total", []string{"route", "/api/v1/quotes/:symbol/candles", "status", "200"}, 2},
		{"tickerd_http_requests_total", []string{"route", "/api/v1/quotes/:symbol/candles", "status", "422"}, 1},
		{"tickerd_http_requests_total", []string{"route", unmatchedRoute, "status", "404"}, 3},
		{"tickerd_http_requests_total", []string{"route", "/api/v1/me", "status", "401"}, 1},
		{"tickerd_http_requests_total", []string{"method", "POST", "route", "/api/v1/auth/login", "status", "429"}, 1},
		{"tickerd_http_requests_total", []string{"route", "/api/v1/ws", "status", "101"}, 1},
		{"tickerd_http_request_duration_seconds", []string{"method", "GET", "route", "/api/v1/quotes/:symbol/candles"}, 3},
	} {
		if got := f.must(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"tickerd_quotes_published_total", "tickerd_quotes_delivered_total", "tickerd_feed_ticks_total"} {
		if got, was := f.must(t, name), before.must(t, name); got <= was {
			t.Errorf("%s did not move: %v then %v", name, was, got)
		}
	}
	for _, tr := range []string{"ws", "sse"} {
		frames := f.must(t, "tickerd_stream_frames_written_total", "transport", tr)
		bytes := f.must(t, "tickerd_stream_bytes_written_total", "transport", tr)
		if frames < 1 || bytes < 50*frames {
			t.Errorf("%s: %v frames, %v bytes written", tr, frames, bytes)
		}
	}
	f.must(t, "tickerd_quotes_conflated_total")
	f.must(t, "tickerd_stream_slow_client_closes_total", "transport", "ws")
	f.must(t, "tickerd_hub_lagging_subscribers_total")

	// Bounded labels: route patterns only, never a raw path, never /metrics.
	for _, route := range f.labelValues("tickerd_http_requests_total", "route") {
		if strings.Contains(route, "AAPL") || strings.Contains(route, "nope") || route == metricsPath {
			t.Errorf("route label %q", route)
		}
	}

	// Closes by code: the client's normal close, then logout ending the
	// SSE stream with 4001.
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	waitMetric(t, ts, atLeast(1), "tickerd_stream_closes_total", "transport", "ws", "code", "1000")
	resp, _ = ts.do(t, http.MethodPost, "/api/v1/auth/logout", tok, nil)
	wantCode(t, resp, http.StatusNoContent)
	waitMetric(t, ts, atLeast(1), "tickerd_stream_closes_total", "transport", "sse", "code", "4001")
	// A close is counted in the same step the stream stops being open, so
	// the scrape that shows both closes shows no stream open.
	f = waitMetric(t, ts, func(v float64) bool { return v == 0 }, "tickerd_streams_open", "transport", "ws")
	if v := f.must(t, "tickerd_streams_open", "transport", "sse"); v != 0 {
		t.Errorf("sse streams open after its close was counted: %v", v)
	}
	if v := f.must(t, "tickerd_stream_subscriptions"); v != 0 {
		t.Errorf("subscriptions after every stream closed: %v", v)
	}

	// Scrapes are logged at debug level only.
	for _, line := range strings.Split(ts.Logs.String(), "\n") {
		var rec struct{ Level, Msg, Route string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && rec.Route == metricsPath && rec.Level != "DEBUG" {
			t.Errorf("scrape logged at %s: %s", rec.Level, line)
		}
	}
}

func wantCode(tb testing.TB, resp *http.Response, code int) {
	tb.Helper()
	if resp.StatusCode != code {
		tb.Fatalf("%s %s: %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, code)
	}
}

// TestMetricsOff: with MetricsOff the API listener has no /metrics (and
// the 404 is measured as an unmatched route), while Server.Metrics still
// renders the registry for another listener.
func TestMetricsOff(t *testing.T) {
	ts := startTestServer(t, Config{MetricsOff: true})
	resp, _ := ts.do(t, http.MethodGet, metricsPath, "", nil)
	wantCode(t, resp, http.StatusNotFound)

	rec := httptest.NewRecorder()
	ts.Server.Metrics().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metricsPath, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("Metrics handler: %d", rec.Code)
	}
	body := rec.Body.String()
	if !strings.Contains(body, `tickerd_http_requests_total{method="GET",route="unmatched",status="404"} 1`+"\n") {
		t.Errorf("the refused /metrics request is not counted as unmatched:\n%s", body)
	}
}
