package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// An edge receives the ticks of the symbols its clients use only: none
// while it has no streams; a first subscription gets the core's latest
// quote at once, then every tick in order; a client moving to the other
// edge resumes from the core's history; after the linger period without a
// stream the edge stops receiving the symbol.
func TestClusterEdgeTicksByInterest(t *testing.T) {
	c := startCluster(t, 0, "-universe-size", "20", "-tick-rate", "4")
	for range 2 {
		e := c.core.Sibling(t, "-role", "edge", "-nats-url", c.nats, "-core-url", c.core.URL, "-edge-linger", "1s")
		e.Start(t)
		c.edges = append(c.edges, e)
	}
	a, b := c.edges[0].URL, c.edges[1].URL
	time.Sleep(time.Second) // the core ticks meanwhile
	if n := edgeMetric(t, a, "tickerd_cluster_ticks_received_total"); n != 0 {
		t.Fatalf("edge without streams received %v ticks", n)
	}
	if n := edgeMetric(t, a, "tickerd_cluster_interest_symbols"); n != 0 {
		t.Fatalf("edge without streams is interested in %v symbols", n)
	}
	tok := account(t, a, "interest")

	coreSeq := quoteSeq(t, c.core.URL, "AAPL")
	ws := mustWS(t, a, tok)
	ws.send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": []string{"AAPL"}})
	got := ws.quotesFor(t, "AAPL", 2*time.Second)
	if !got[0].Snapshot || got[0].Seq < coreSeq {
		t.Fatalf("first quote %+v, want a snapshot at seq >= %d (the core's latest)", got[0], coreSeq)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("seq %d after %d: a gap or disorder", got[i].Seq, got[i-1].Seq)
		}
	}
	if len(got) < 3 {
		t.Fatalf("only %d quotes of AAPL in 2 s", len(got))
	}
	last := got[len(got)-1].Seq
	_ = ws.conn.Close()

	time.Sleep(500 * time.Millisecond) // ticks the client misses
	moved := mustWS(t, b, tok)
	moved.send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": []string{"AAPL"}, "since": map[string]uint64{"AAPL": last}})
	resumed := moved.quotesFor(t, "AAPL", time.Second)
	if resumed[0].Snapshot || resumed[0].Seq != last+1 {
		t.Fatalf("resume after seq %d on the other edge: first quote %+v, want seq %d replayed", last, resumed[0], last+1)
	}
	_ = moved.conn.Close()

	waitMetric(t, a, "tickerd_cluster_interest_symbols", 0, 5*time.Second)
	before := edgeMetric(t, a, "tickerd_cluster_ticks_received_total")
	time.Sleep(time.Second)
	if after := edgeMetric(t, a, "tickerd_cluster_ticks_received_total"); after != before {
		t.Fatalf("edge still receives ticks after the linger period: %v then %v", before, after)
	}
}

// quotesFor collects the quotes of sym for d; it fails without any.
func (c *wsClient) quotesFor(t *testing.T, sym string, d time.Duration) []wsQuote {
	t.Helper()
	var out []wsQuote
	deadline := time.Now().Add(d)
	for {
		f, err := c.next(time.Until(deadline))
		if err != nil {
			break
		}
		if f.Type == "error" {
			t.Fatalf("error frame %s", f.Raw)
		}
		if f.Type != "quotes" {
			continue
		}
		for _, q := range f.quotes(t) {
			if q.Symbol == sym {
				out = append(out, q)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no quote of %s within %s", sym, d)
	}
	return out
}

// quoteSeq reads sym's latest seq through base's REST API.
func quoteSeq(t *testing.T, base, sym string) uint64 {
	t.Helper()
	status, body := getStatus(t, base+"/api/v1/quotes?symbols="+sym)
	if status != http.StatusOK {
		t.Fatalf("GET quotes: %d %s", status, body)
	}
	var out struct{ Quotes []wsQuote }
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Quotes) != 1 {
		t.Fatalf("quotes %s: %v", body, err)
	}
	return out.Quotes[0].Seq
}

// edgeMetric reads one series of base's /metrics (-1 when absent).
func edgeMetric(t *testing.T, base, series string) float64 {
	t.Helper()
	status, body := getStatus(t, base+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", status)
	}
	return metricValue(body, series)
}

// waitMetric waits until series reads want.
func waitMetric(t *testing.T, base, series string, want float64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		v := edgeMetric(t, base, series)
		if v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %v after %s, want %v", series, v, d, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The portfolio channel alone makes an edge receive the held symbols: the
// first valuation prices them at the core's latest quote, not at zero.
func TestClusterPortfolioChannelWantsHeldSymbols(t *testing.T) {
	c := startCluster(t, 1, "-universe-size", "20", "-tick-rate", "4")
	edge := c.edges[0].URL
	tok := account(t, edge, "holder")
	res := post(t, edge+"/api/v1/portfolio/trades", tok, `{"symbol":"MSFT","side":"buy","quantity":2}`)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("buy through the edge: %d", res.StatusCode)
	}
	if n := edgeMetric(t, edge, "tickerd_cluster_interest_symbols"); n != 0 {
		t.Fatalf("interest before any stream: %v", n)
	}
	ws := mustWS(t, edge, tok)
	ws.send(t, map[string]any{"type": "subscribe", "id": 1, "channels": []string{"portfolio"}})
	f := ws.waitFrame(t, 5*time.Second, "a portfolio frame", func(f frame) bool { return f.Type == "portfolio" })
	var v struct {
		Positions []struct {
			Symbol    string  `json:"symbol"`
			LastPrice float64 `json:"last_price"`
		} `json:"positions"`
	}
	if err := json.Unmarshal(f.Data, &v); err != nil || len(v.Positions) != 1 {
		t.Fatalf("portfolio %s: %v", f.Raw, err)
	}
	if p := v.Positions[0]; p.Symbol != "MSFT" || p.LastPrice <= 0 {
		t.Fatalf("position %+v, want MSFT at a price", p)
	}
	if n := edgeMetric(t, edge, "tickerd_cluster_interest_symbols"); n != 1 {
		t.Fatalf("interest with a portfolio stream holding MSFT: %v symbols, want 1", n)
	}
}
