package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

type wireQuote struct {
	Symbol    string      `json:"symbol"`
	Price     json.Number `json:"price"`
	PrevClose json.Number `json:"prev_close"`
	TS        int64       `json:"ts"`
	Seq       uint64      `json:"seq"`
}

func TestSymbols(t *testing.T) {
	ts := startTestServer(t, Config{})
	resp, body := ts.do(t, "GET", "/api/v1/symbols", "", nil)
	wantStatus(t, resp, body, 200)
	out := decode[struct {
		Symbols []struct{ Symbol, Name, Sector string } `json:"symbols"`
	}](t, body)
	if len(out.Symbols) < 50 || out.Symbols[0].Name == "" || out.Symbols[0].Sector == "" {
		t.Fatalf("symbols = %s", body)
	}
}

func TestQuotesETag(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{TickRate: 50})
	get := func(etag string) (*http.Response, []byte) {
		req := ts.newRequest(t, "GET", "/api/v1/quotes?symbols=aapl,MSFT,AAPL", nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		return ts.send(t, req)
	}
	resp, body := get("")
	wantStatus(t, resp, body, 200)
	qs := decode[struct {
		Quotes []wireQuote `json:"quotes"`
	}](t, body).Quotes
	if len(qs) != 2 || qs[0].Symbol != "AAPL" || qs[1].Symbol != "MSFT" {
		t.Fatalf("quotes = %s", body)
	}
	cents(t, qs[0].Price)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	// Until a tick moves one of them, the same ETag answers 304.
	// Poll until a new seq appears: then the ETag must change and a
	// stale If-None-Match must get 200.
	deadline := time.Now().Add(10 * time.Second)
	saw304 := false
	for {
		resp, body = get(etag)
		if resp.StatusCode == http.StatusNotModified {
			saw304 = true
			if len(body) != 0 || resp.Header.Get("ETag") != etag {
				t.Fatalf("304 with body %q or ETag %q", body, resp.Header.Get("ETag"))
			}
		} else {
			wantStatus(t, resp, body, 200)
			next := decode[struct {
				Quotes []wireQuote `json:"quotes"`
			}](t, body).Quotes
			if resp.Header.Get("ETag") == etag {
				t.Fatal("200 with the same ETag")
			}
			if next[0].Seq == qs[0].Seq && next[1].Seq == qs[1].Seq {
				t.Fatalf("ETag changed but seqs did not: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("quotes never changed within 10s")
		}
	}
	_ = saw304 // ticks at 50/s may outrun a poll; 304 is proven below on a quiet market
}

func TestQuotesNotModified(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{TickRate: 0.0001}) // KO will not tick
	resp, body := ts.do(t, "GET", "/api/v1/quotes?symbols=KO", "", nil)
	wantStatus(t, resp, body, 200)
	tag := resp.Header.Get("ETag")
	for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag, "*"} {
		req := ts.newRequest(t, "GET", "/api/v1/quotes?symbols=KO", nil)
		req.Header.Set("If-None-Match", inm)
		resp, body := ts.send(t, req)
		wantStatus(t, resp, body, http.StatusNotModified)
	}
	req := ts.newRequest(t, "GET", "/api/v1/quotes?symbols=KO,PEP", nil)
	req.Header.Set("If-None-Match", tag)
	resp, body = ts.send(t, req)
	wantStatus(t, resp, body, http.StatusOK) // other symbols, other validator
}

func TestQuotesAll(t *testing.T) {
	ts := startTestServer(t, Config{})
	resp, body := ts.do(t, "GET", "/api/v1/quotes", "", nil)
	wantStatus(t, resp, body, 200)
	qs := decode[struct {
		Quotes []wireQuote `json:"quotes"`
	}](t, body).Quotes
	if len(qs) != len(ts.Market.Symbols()) {
		t.Fatalf("%d quotes, want the whole universe (%d)", len(qs), len(ts.Market.Symbols()))
	}
}

func TestCandles(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{TickRate: 50})
	// Wait for AAPL's first tick so the current minute has a candle.
	deadline := time.Now().Add(10 * time.Second)
	for q, _ := ts.Market.Quote("AAPL"); q.Seq == 0; q, _ = ts.Market.Quote("AAPL") {
		if time.Now().After(deadline) {
			t.Fatal("AAPL never ticked")
		}
		time.Sleep(10 * time.Millisecond)
	}
	now := time.Now()
	tests := []struct {
		name, query string
		wantAny     bool
	}{
		{"default window", "", true},
		{"rfc3339", "?from=" + now.Add(-time.Hour).UTC().Format(time.RFC3339) + "&to=" + now.Add(time.Minute).UTC().Format(time.RFC3339), true},
		{"unix ms", fmt.Sprintf("?from=%d&to=%d", now.Add(-time.Hour).UnixMilli(), now.Add(time.Minute).UnixMilli()), true},
		{"window in the past", "?from=1000&to=2000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.do(t, "GET", "/api/v1/quotes/aapl/candles"+tt.query, "", nil)
			wantStatus(t, resp, body, 200)
			out := decode[struct {
				Symbol   string `json:"symbol"`
				Interval string `json:"interval"`
				Candles  []struct {
					T          int64
					O, H, L, C json.Number
					V          int64
				} `json:"candles"`
			}](t, body)
			if out.Symbol != "AAPL" || out.Interval != "1m" || (len(out.Candles) > 0) != tt.wantAny {
				t.Fatalf("candles = %s", body)
			}
			for _, k := range out.Candles {
				if cents(t, k.L) > cents(t, k.O) || cents(t, k.H) < cents(t, k.C) || k.T%60000 != 0 {
					t.Fatalf("bad candle %+v", k)
				}
			}
		})
	}
}

func TestHealth(t *testing.T) {
	ts := startTestServer(t, Config{})
	resp, body := ts.do(t, "GET", "/healthz", "", nil)
	wantStatus(t, resp, body, 200)
	if string(body) != `{"status":"ok"}` {
		t.Fatalf("healthz = %s", body)
	}
	resp, body = ts.do(t, "GET", "/readyz", "", nil)
	wantStatus(t, resp, body, 200)
	ready := decode[map[string]any](t, body)
	if ready["status"] != "ready" {
		t.Fatalf("readyz = %s", body)
	}
	// With the database closed, readiness fails with a 503 problem.
	if err := ts.Store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body = ts.do(t, "GET", "/readyz", "", nil)
	wantProblem(t, resp, body, 503, codeNotReady, "")
}

// TestCandlesDefaultWindowFollowsMarketClock: candles are kept in simulated
// time, so at -speed 3600 the default window (no from, no to) must end at
// the market's clock, hours ahead of the wall clock, and include the
// newest minute.
func TestCandlesDefaultWindowFollowsMarketClock(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{Speed: 3600, TickRate: 2})
	// Half an hour of simulated time takes half a second of wall time with
	// the CPU to spare, but several seconds under -race on a loaded machine.
	deadline := time.Now().Add(30 * time.Second)
	for time.Until(ts.Market.Now()) < 30*time.Minute {
		if time.Now().After(deadline) {
			t.Fatalf("market clock %v did not run ahead of the wall clock", ts.Market.Now())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, body := ts.do(t, "GET", "/api/v1/quotes/AAPL/candles", "", nil)
	wantStatus(t, resp, body, 200)
	var out struct {
		Candles []struct {
			T int64 `json:"t"`
		} `json:"candles"`
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Candles) == 0 {
		t.Fatalf("candles = %s (%v)", body, err)
	}
	newest := time.UnixMilli(out.Candles[len(out.Candles)-1].T)
	if lag := ts.Market.Now().Sub(newest); lag > 2*time.Minute {
		t.Fatalf("newest candle starts at %v, %v behind the market clock %v", newest, lag, ts.Market.Now())
	}
}
