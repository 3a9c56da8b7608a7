package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// decode unmarshals a response body or fails the test.
func decode[T any](tb testing.TB, body []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("decode %T from %s: %v", v, body, err)
	}
	return v
}

// wantStatus fails the test unless resp has the status.
func wantStatus(tb testing.TB, resp *http.Response, body []byte, status int) {
	tb.Helper()
	if resp.StatusCode != status {
		tb.Fatalf("%s %s: status %d, want %d; body %s",
			resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
}

// cents parses a JSON money number (a json.Number with two decimals) into
// cents exactly.
func cents(tb testing.TB, n json.Number) int64 {
	tb.Helper()
	s := n.String()
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) < 4 || s[len(s)-3] != '.' {
		tb.Fatalf("money %q is not a number with exactly two decimals", n)
	}
	v, err := strconv.ParseInt(s[:len(s)-3]+s[len(s)-2:], 10, 64)
	if err != nil {
		tb.Fatalf("money %q: %v", n, err)
	}
	if neg {
		v = -v
	}
	return v
}

type wireTrade struct {
	ID        int64       `json:"id"`
	Symbol    string      `json:"symbol"`
	Side      string      `json:"side"`
	Quantity  int64       `json:"quantity"`
	Price     json.Number `json:"price"`
	Amount    json.Number `json:"amount"`
	CashAfter json.Number `json:"cash_after"`
	Time      string      `json:"time"`
}

type wirePortfolio struct {
	Cash        json.Number `json:"cash"`
	MarketValue json.Number `json:"market_value"`
	TotalValue  json.Number `json:"total_value"`
	CostBasis   json.Number `json:"cost_basis"`
	Positions   []struct {
		Symbol      string      `json:"symbol"`
		Quantity    int64       `json:"quantity"`
		AvgCost     json.Number `json:"avg_cost"`
		LastPrice   json.Number `json:"last_price"`
		MarketValue json.Number `json:"market_value"`
		CostBasis   json.Number `json:"cost_basis"`
	} `json:"positions"`
}

type wireTrades struct {
	Trades     []wireTrade `json:"trades"`
	NextCursor *string     `json:"next_cursor"`
}

func TestLifecycle(t *testing.T) {
	ts := startTestServer(t, Config{})
	tok := ts.register(t, "alice", "correct horse battery")

	resp, body := ts.do(t, "GET", "/api/v1/me", tok, nil)
	wantStatus(t, resp, body, 200)
	me := decode[map[string]any](t, body)
	if me["username"] != "alice" || me["session_expires_at"] == "" {
		t.Fatalf("me = %s", body)
	}

	resp, body = ts.do(t, "GET", "/api/v1/portfolio", tok, nil)
	wantStatus(t, resp, body, 200)
	pf := decode[wirePortfolio](t, body)
	if cents(t, pf.Cash) != 10_000_000 || len(pf.Positions) != 0 {
		t.Fatalf("new portfolio = %s", body)
	}

	// Buy twice, sell once; each fill must move cash by exactly its amount.
	cash := int64(10_000_000)
	steps := []struct {
		side string
		qty  int64
	}{{"buy", 10}, {"buy", 5}, {"sell", 3}}
	var ids []int64
	for _, st := range steps {
		resp, body = ts.do(t, "POST", "/api/v1/portfolio/trades", tok,
			map[string]any{"symbol": "AAPL", "side": st.side, "quantity": st.qty})
		wantStatus(t, resp, body, 201)
		tr := decode[wireTrade](t, body)
		price, amount := cents(t, tr.Price), cents(t, tr.Amount)
		if tr.Symbol != "AAPL" || tr.Side != st.side || tr.Quantity != st.qty || amount != price*st.qty {
			t.Fatalf("trade = %s", body)
		}
		if st.side == "buy" {
			cash -= amount
		} else {
			cash += amount
		}
		if got := cents(t, tr.CashAfter); got != cash {
			t.Fatalf("cash_after = %d, want %d", got, cash)
		}
		ids = append(ids, tr.ID)
	}

	resp, body = ts.do(t, "GET", "/api/v1/portfolio", tok, nil)
	wantStatus(t, resp, body, 200)
	pf = decode[wirePortfolio](t, body)
	if cents(t, pf.Cash) != cash || len(pf.Positions) != 1 || pf.Positions[0].Quantity != 12 {
		t.Fatalf("portfolio after trades = %s (want cash %d, 12 AAPL)", body, cash)
	}
	p := pf.Positions[0]
	if cents(t, p.MarketValue) != cents(t, p.LastPrice)*12 {
		t.Fatalf("market value %s != 12 × %s", p.MarketValue, p.LastPrice)
	}
	if cents(t, pf.TotalValue) != cents(t, pf.Cash)+cents(t, pf.MarketValue) {
		t.Fatalf("total %s != cash %s + market value %s", pf.TotalValue, pf.Cash, pf.MarketValue)
	}

	// Trades: newest first, paginated with a cursor.
	resp, body = ts.do(t, "GET", "/api/v1/portfolio/trades?limit=2", tok, nil)
	wantStatus(t, resp, body, 200)
	page1 := decode[wireTrades](t, body)
	if len(page1.Trades) != 2 || page1.Trades[0].ID != ids[2] || page1.Trades[1].ID != ids[1] || page1.NextCursor == nil {
		t.Fatalf("page 1 = %s, ids %v", body, ids)
	}
	resp, body = ts.do(t, "GET", "/api/v1/portfolio/trades?limit=2&cursor="+*page1.NextCursor, tok, nil)
	wantStatus(t, resp, body, 200)
	page2 := decode[wireTrades](t, body)
	if len(page2.Trades) != 1 || page2.Trades[0].ID != ids[0] || page2.NextCursor != nil {
		t.Fatalf("page 2 = %s", body)
	}

	// Watchlist round trip (lower case is accepted and normalised).
	resp, body = ts.do(t, "PUT", "/api/v1/watchlist", tok, map[string]any{"symbols": []string{"msft", "AAPL"}})
	wantStatus(t, resp, body, 200)
	resp, body = ts.do(t, "GET", "/api/v1/watchlist", tok, nil)
	wantStatus(t, resp, body, 200)
	if got := fmt.Sprint(decode[watchlistJSON](t, body).Symbols); got != "[MSFT AAPL]" {
		t.Fatalf("watchlist = %s", got)
	}

	// Logout revokes at once.
	resp, body = ts.do(t, "POST", "/api/v1/auth/logout", tok, nil)
	wantStatus(t, resp, body, 204)
	resp, body = ts.do(t, "GET", "/api/v1/me", tok, nil)
	wantStatus(t, resp, body, 401)
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
}
