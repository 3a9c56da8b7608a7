package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSymbolsAreASCII: a ticker spelt with a non-ASCII letter that
// strings.ToUpper folds to ASCII ("ıbm", U+0131, becomes "IBM") names no
// symbol anywhere a client can send one: trades, the watchlist, quotes,
// candles and the SSE query (the WebSocket shares the SSE parser).
func TestSymbolsAreASCII(t *testing.T) {
	ts := startTestServer(t, Config{})
	token := ts.register(t, "ascii", "correct horse battery")
	const dotless = "\u0131bm"
	q := url.QueryEscape(dotless)
	tests := []struct {
		name, method, path string
		body               any
	}{
		{"trade", http.MethodPost, "/api/v1/portfolio/trades",
			`{"symbol":"` + dotless + `","side":"buy","quantity":1}`},
		{"watchlist", http.MethodPut, "/api/v1/watchlist", `{"symbols":["` + dotless + `"]}`},
		{"quotes", http.MethodGet, "/api/v1/quotes?symbols=" + q, nil},
		{"candles", http.MethodGet, "/api/v1/quotes/" + url.PathEscape(dotless) + "/candles", nil},
		{"sse", http.MethodGet, "/api/v1/stream?symbols=" + q, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.do(t, tt.method, tt.path, token, tt.body)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"code":"unknown_symbol"`) {
				t.Fatalf("%s %s: %d %s, want 422 unknown_symbol", tt.method, tt.path, resp.StatusCode, body)
			}
		})
	}
	// The ASCII spelling still works in any case.
	resp, body := ts.do(t, http.MethodGet, "/api/v1/quotes?symbols=ibm", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"symbol":"IBM"`) {
		t.Fatalf("quotes?symbols=ibm: %d %s", resp.StatusCode, body)
	}
}
