package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Both edges deliver the core's ticks: the same seqs with the same prices,
// in order. Today's hub conflates a symbol's ticks that arrive together
// (two ticks of one symbol in one market step reach the edge microseconds
// apart), so a gap is allowed here as long as both edges show the same
// (seq, price) for every seq both saw; that the edge hands every tick to
// its hub, in order, is checked by feed/natsfeed's tests.
func TestClusterSameTicksOnBothEdges(t *testing.T) {
	c := startCluster(t, 2, "-universe-size", "5", "-tick-rate", "4")
	tok := account(t, c.edges[0].URL, "ticks")
	syms := []string{"AAPL", "MSFT"}
	seen := make([]map[string][]wsQuote, 2)
	conns := make([]*wsClient, 2)
	for i, e := range c.edges {
		conns[i] = mustWS(t, e.URL, tok)
		conns[i].send(t, map[string]any{"type": "subscribe", "id": 1, "symbols": syms})
		seen[i] = map[string][]wsQuote{}
	}
	errs := make(chan error, 2)
	for i := range conns {
		go func(i int) {
			deadline := time.Now().Add(4 * time.Second)
			for time.Now().Before(deadline) {
				f, err := conns[i].next(time.Until(deadline))
				if errors.Is(err, errNoFrame) {
					break
				}
				if err != nil {
					errs <- err
					return
				}
				if f.Type != "quotes" {
					continue
				}
				var qs []wsQuote
				if err := json.Unmarshal(f.Data, &qs); err != nil {
					errs <- err
					return
				}
				for _, q := range qs {
					seen[i][q.Symbol] = append(seen[i][q.Symbol], q)
				}
			}
			errs <- nil
		}(i)
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	for _, sym := range syms {
		byEdge := make([]map[uint64]float64, 2)
		gaps := 0
		for i := range seen {
			qs := seen[i][sym]
			if len(qs) < 5 {
				t.Fatalf("edge %d saw %d quotes of %s in 4 s", i, len(qs), sym)
			}
			if !qs[0].Snapshot {
				t.Errorf("edge %d: first %s quote is not a snapshot", i, sym)
			}
			byEdge[i] = map[uint64]float64{}
			for j, q := range qs {
				byEdge[i][q.Seq] = q.Price
				if j > 0 && q.Seq <= qs[j-1].Seq {
					t.Errorf("edge %d %s: seq %d after %d (out of order)", i, sym, q.Seq, qs[j-1].Seq)
				}
				if j > 0 && q.Seq > qs[j-1].Seq+1 {
					gaps++
				}
			}
		}
		common := 0
		for seq, p := range byEdge[0] {
			if p1, ok := byEdge[1][seq]; ok {
				common++
				if p1 != p {
					t.Errorf("%s seq %d: price %v on edge 0, %v on edge 1", sym, seq, p, p1)
				}
			}
		}
		if common < 5 {
			t.Errorf("%s: only %d seqs seen on both edges", sym, common)
		}
		t.Logf("%s: %d and %d quotes, %d seqs on both edges, %d conflation gaps", sym,
			len(seen[0][sym]), len(seen[1][sym]), common, gaps)
	}
}

// A logout through edge A closes the session's sockets on edge B with
// 4001 within 1 s; the token is then refused on every edge, on the upgrade
// (401) and as a first message (4001); an unknown token likewise.
func TestClusterLogoutReachesOtherEdge(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.edges[0], c.edges[1]
	tok := account(t, a.URL, "leaver")
	onB := mustWS(t, b.URL, tok)
	onA := mustWS(t, a.URL, tok)

	res := post(t, a.URL+"/api/v1/auth/logout", tok, "")
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout via edge A: %d", res.StatusCode)
	}
	start := time.Now()
	if code := onB.closeCode(t, time.Second); code != 4001 {
		t.Fatalf("socket on edge B closed with %d, want 4001", code)
	}
	t.Logf("edge B closed the socket %s after the logout answered", time.Since(start).Round(time.Millisecond))
	if code := onA.closeCode(t, time.Second); code != 4001 {
		t.Fatalf("socket on edge A closed with %d, want 4001", code)
	}

	for _, e := range c.edges {
		for name, token := range map[string]string{"revoked": tok, "unknown": "no-such-token-0123456789"} {
			if _, status, err := dialWS(e.URL, token); err == nil || status != http.StatusUnauthorized {
				t.Errorf("%s: %s token on the upgrade: status %d, err %v; want 401", e.Addr, name, status, err)
			}
			raw, _, err := dialWS(e.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			conn := newWSClient(raw)
			conn.send(t, map[string]string{"type": "auth", "token": token})
			if code := conn.closeCode(t, 3*time.Second); code != 4001 {
				t.Errorf("%s: %s token as first message: close %d, want 4001", e.Addr, name, code)
			}
			raw.Close()
		}
	}
}

// A session that expires closes its sockets on an edge with 4001, at the
// expiry the core gave.
func TestClusterExpiredSessionOnEdge(t *testing.T) {
	c := startCluster(t, 1, "-session-ttl", "2s")
	tok := account(t, c.edges[0].URL, "brief")
	conn := mustWS(t, c.edges[0].URL, tok)
	if code := conn.closeCode(t, 4*time.Second); code != 4001 {
		t.Fatalf("close %d, want 4001", code)
	}
	if _, status, _ := dialWS(c.edges[0].URL, tok); status != http.StatusUnauthorized {
		t.Fatalf("expired token on the upgrade: %d, want 401", status)
	}
}

// A trade placed through edge A shows in the portfolio channel of a
// socket on edge B within 1 s.
func TestClusterTradeReachesOtherEdge(t *testing.T) {
	c := startCluster(t, 2)
	tok := account(t, c.edges[0].URL, "trader")
	onB := mustWS(t, c.edges[1].URL, tok)
	onB.send(t, map[string]any{"type": "subscribe", "id": 1, "channels": []string{"portfolio"}})
	first := onB.waitFrame(t, 3*time.Second, "a first valuation", func(f frame) bool { return f.Type == "portfolio" })
	if strings.Contains(string(first.Data), `"AAPL"`) {
		t.Fatalf("new account already holds AAPL: %s", first.Raw)
	}
	res := post(t, c.edges[0].URL+"/api/v1/portfolio/trades", tok, `{"symbol":"AAPL","side":"buy","quantity":3}`)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("trade via edge A: %d", res.StatusCode)
	}
	start := time.Now()
	onB.waitFrame(t, time.Second, "a valuation with the AAPL position", func(f frame) bool {
		return f.Type == "portfolio" && strings.Contains(string(f.Data), `"AAPL"`)
	})
	t.Logf("edge B revalued %s after the trade answered", time.Since(start).Round(time.Millisecond))
}

// Start-up errors name the flag at fault and never hang.
func TestClusterStartupErrors(t *testing.T) {
	c := startCluster(t, 0)
	unreachable := "nats://" + freeAddr(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"edge without nats url", []string{"-role", "edge", "-core-url", c.core.URL}, 2, "-nats-url"},
		{"edge without core url", []string{"-role", "edge", "-nats-url", c.nats}, 2, "-core-url"},
		{"unreachable nats", []string{"-role", "edge", "-nats-url", unreachable, "-core-url", c.core.URL}, 1, "-nats-url"},
		{"core on unreachable nats", []string{"-role", "core", "-nats-url", unreachable, "-db", t.TempDir() + "/x.db"}, 1, "-nats-url"},
		{"nats listen in use", []string{"-role", "core", "-nats-listen", strings.TrimPrefix(c.nats, "nats://"), "-db", t.TempDir() + "/y.db"}, 1, "-nats-listen"},
		{"edge linger not positive", []string{"-role", "edge", "-nats-url", c.nats, "-core-url", c.core.URL, "-edge-linger", "0s"}, 2, "-edge-linger"},
		{"no core on nats", []string{"-role", "edge", "-nats-url", c.nats, "-core-url", c.core.URL, "-cluster-name", "other"}, 1, "start -role core first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, out := c.core.Exit(t, 20*time.Second, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want %d with %q in:\n%s", code, tt.wantCode, tt.want, out)
			}
			t.Logf("failed in %s: %s", time.Since(start).Round(time.Millisecond), lastLine(out))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
