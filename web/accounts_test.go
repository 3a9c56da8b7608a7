package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Account B can never read or change A's data through any endpoint.
func TestIDOR(t *testing.T) {
	ts := startTestServer(t, Config{})
	a := ts.register(t, "anna", "correct horse battery")
	b := ts.register(t, "boris", "correct horse battery")

	// B trades first, so that B has a trade older than A's.
	resp, body := ts.do(t, "POST", "/api/v1/portfolio/trades", b, map[string]any{"symbol": "KO", "side": "buy", "quantity": 2})
	wantStatus(t, resp, body, 201)
	bTrade := decode[wireTrade](t, body)
	for _, qty := range []int{3, 4} {
		resp, body = ts.do(t, "POST", "/api/v1/portfolio/trades", a, map[string]any{"symbol": "NVDA", "side": "buy", "quantity": qty})
		wantStatus(t, resp, body, 201)
	}
	resp, body = ts.do(t, "PUT", "/api/v1/watchlist", a, map[string]any{"symbols": []string{"NVDA", "AMD"}})
	wantStatus(t, resp, body, 200)

	// B's view contains nothing of A's.
	for _, path := range []string{"/api/v1/me", "/api/v1/portfolio", "/api/v1/portfolio/trades", "/api/v1/watchlist"} {
		resp, body := ts.do(t, "GET", path, b, nil)
		wantStatus(t, resp, body, 200)
		if strings.Contains(string(body), "NVDA") || strings.Contains(string(body), "anna") {
			t.Fatalf("B sees A's data at %s: %s", path, body)
		}
	}
	// A's trade cursor does not open A's trades to B. A cursor is a place
	// in the sequence of all trades: B's page after it holds B's own trades
	// older than that place (B's KO buy), and never A's older NVDA buy,
	// which is what the same cursor shows A.
	resp, body = ts.do(t, "GET", "/api/v1/portfolio/trades?limit=1", a, nil)
	wantStatus(t, resp, body, 200)
	page := decode[wireTrades](t, body)
	if len(page.Trades) != 1 || page.NextCursor == nil {
		t.Fatalf("A's first page = %s, want one trade and a next cursor", body)
	}
	first, cursor := page.Trades[0], *page.NextCursor
	resp, body = ts.do(t, "GET", "/api/v1/portfolio/trades?cursor="+cursor, a, nil)
	wantStatus(t, resp, body, 200)
	if page := decode[wireTrades](t, body); len(page.Trades) != 1 || page.Trades[0].Symbol != "NVDA" || page.Trades[0].Quantity != 3 {
		t.Fatalf("A's page after its cursor = %s, want A's first NVDA buy", body)
	}
	resp, body = ts.do(t, "GET", "/api/v1/portfolio/trades?cursor="+cursor, b, nil)
	wantStatus(t, resp, body, 200)
	page = decode[wireTrades](t, body)
	if len(page.Trades) != 1 || page.Trades[0] != bTrade || page.NextCursor != nil {
		t.Fatalf("B's page after A's cursor = %s, want only B's own trade %+v", body, bTrade)
	}
	// B selling A's shares fails and changes neither account.
	resp, body = ts.do(t, "POST", "/api/v1/portfolio/trades", b, map[string]any{"symbol": "NVDA", "side": "sell", "quantity": 7})
	wantProblem(t, resp, body, 422, "insufficient_shares", "")
	// B's writes land in B's account only.
	resp, body = ts.do(t, "PUT", "/api/v1/watchlist", b, map[string]any{"symbols": []string{"KO"}})
	wantStatus(t, resp, body, 200)
	resp, body = ts.do(t, "POST", "/api/v1/auth/logout", b, nil)
	wantStatus(t, resp, body, 204)

	resp, body = ts.do(t, "GET", "/api/v1/watchlist", a, nil)
	wantStatus(t, resp, body, 200)
	if got := strings.Join(decode[watchlistJSON](t, body).Symbols, ","); got != "NVDA,AMD" {
		t.Fatalf("A's watchlist = %s", got)
	}
	resp, body = ts.do(t, "GET", "/api/v1/portfolio", a, nil)
	wantStatus(t, resp, body, 200)
	pf := decode[wirePortfolio](t, body)
	if len(pf.Positions) != 1 || pf.Positions[0].Quantity != 7 || cents(t, pf.Cash) != cents(t, first.CashAfter) {
		t.Fatalf("A's portfolio changed: %s", body)
	}
	// B's logout did not end A's session.
	resp, body = ts.do(t, "GET", "/api/v1/me", a, nil)
	wantStatus(t, resp, body, 200)
}

// Data survives a restart of the server on the same database file.
func TestPersistenceAcrossRestart(t *testing.T) {
	ts := startTestServer(t, Config{})
	tok := ts.register(t, "judy", "correct horse battery")
	resp, body := ts.do(t, "POST", "/api/v1/portfolio/trades", tok, map[string]any{"symbol": "KO", "side": "buy", "quantity": 4})
	wantStatus(t, resp, body, 201)
	tr := decode[wireTrade](t, body)
	resp, body = ts.do(t, "PUT", "/api/v1/watchlist", tok, map[string]any{"symbols": []string{"KO", "PEP"}})
	wantStatus(t, resp, body, 200)
	ts.Stop()

	ts2 := startTestServerWith(t, Config{}, testServerOptions{DBPath: ts.DBPath, Seed: 99})
	resp, body = ts2.do(t, "GET", "/api/v1/me", tok, nil)
	wantStatus(t, resp, body, 200) // the session survives too
	resp, body = ts2.do(t, "GET", "/api/v1/portfolio/trades", tok, nil)
	wantStatus(t, resp, body, 200)
	trades := decode[wireTrades](t, body).Trades
	if len(trades) != 1 || trades[0].ID != tr.ID || trades[0].Price != tr.Price {
		t.Fatalf("trades after restart = %s, want %+v", body, tr)
	}
	resp, body = ts2.do(t, "GET", "/api/v1/watchlist", tok, nil)
	wantStatus(t, resp, body, 200)
	if got := strings.Join(decode[watchlistJSON](t, body).Symbols, ","); got != "KO,PEP" {
		t.Fatalf("watchlist after restart = %s", got)
	}
	resp, body = ts2.do(t, "GET", "/api/v1/portfolio", tok, nil)
	wantStatus(t, resp, body, 200)
	if pf := decode[wirePortfolio](t, body); cents(t, pf.Cash) != cents(t, tr.CashAfter) {
		t.Fatalf("cash after restart = %s, want %s", pf.Cash, tr.CashAfter)
	}
	// And a fresh login works against the reopened store.
	ts2.login(t, "judy", "correct horse battery")
}

// 200 concurrent buys over HTTP on one account never overdraw, and cash
// plus the recorded trades agree to the cent.
func TestConcurrentBuys(t *testing.T) {
	ts := startTestServer(t, Config{})
	tok := ts.register(t, "kate", "correct horse battery")
	// Each buy is about 1/60 of the cash: some fill, the rest are refused.
	q, ok := ts.Market.Quote("AAPL")
	if !ok {
		t.Fatal("no AAPL quote")
	}
	qty := 10_000_000 / 60 / q.Price
	if qty < 1 {
		qty = 1
	}

	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := ts.newRequest(t, "POST", "/api/v1/portfolio/trades", map[string]any{"symbol": "AAPL", "side": "buy", "quantity": qty})
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := ts.Client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusCreated] == 0 || statuses[http.StatusCreated]+statuses[http.StatusUnprocessableEntity] != n {
		t.Fatalf("statuses = %v, want only 201 and 422 and some of each", statuses)
	}

	var trades []wireTrade
	cursor := ""
	for {
		resp, body := ts.do(t, "GET", "/api/v1/portfolio/trades?limit=100&cursor="+cursor, tok, nil)
		wantStatus(t, resp, body, 200)
		page := decode[wireTrades](t, body)
		trades = append(trades, page.Trades...)
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(trades) != statuses[http.StatusCreated] {
		t.Fatalf("%d trades recorded, %d buys answered 201", len(trades), statuses[http.StatusCreated])
	}
	var spent, shares int64
	for _, tr := range trades {
		spent += cents(t, tr.Amount)
		shares += tr.Quantity
	}
	resp, body := ts.do(t, "GET", "/api/v1/me", tok, nil)
	wantStatus(t, resp, body, 200)
	id := decode[accountJSON](t, body).ID
	cash, positions, err := ts.Store.Holdings(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if cash < 0 || cash != 10_000_000-spent {
		t.Fatalf("cash %d, want 10,000,000 - %d spent = %d (never negative)", cash, spent, 10_000_000-spent)
	}
	if len(positions) != 1 || positions[0].Quantity != shares || positions[0].CostBasis != spent {
		t.Fatalf("positions %+v, want %d shares costing %d", positions, shares, spent)
	}
	// Newest trade's cash_after is the account's cash.
	if got := cents(t, trades[0].CashAfter); got != cash {
		t.Fatalf("latest cash_after %d != cash %d", got, cash)
	}
}
