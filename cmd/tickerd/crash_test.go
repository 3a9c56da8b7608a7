package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
	"github.com/tickerd/tickerd/feed"
)

// crashTrade is a trade as the API reports it, money in cents.
type crashTrade struct {
	ID        int64
	Symbol    string
	Side      string
	Quantity  int64
	Price     int64
	Amount    int64
	CashAfter int64
}

func (tr *crashTrade) UnmarshalJSON(b []byte) error {
	var full struct {
		ID        int64       `json:"id"`
		Symbol    string      `json:"symbol"`
		Side      string      `json:"side"`
		Quantity  int64       `json:"quantity"`
		Price     json.Number `json:"price"`
		Amount    json.Number `json:"amount"`
		CashAfter json.Number `json:"cash_after"`
	}
	if err := json.Unmarshal(b, &full); err != nil {
		return err
	}
	*tr = crashTrade{ID: full.ID, Symbol: full.Symbol, Side: full.Side, Quantity: full.Quantity}
	var err error
	for _, f := range []struct {
		dst *int64
		v   json.Number
	}{{&tr.Price, full.Price}, {&tr.Amount, full.Amount}, {&tr.CashAfter, full.CashAfter}} {
		if *f.dst, err = feed.ParseCents(string(f.v)); err != nil {
			return err
		}
	}
	return nil
}

// crashClient is one account's REST client.
type crashClient struct {
	base, user, token string
	http              *http.Client
}

func (c *crashClient) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *crashClient) login(t *testing.T) {
	t.Helper()
	c.token = ""
	st, b, err := c.do("POST", "/api/v1/auth/login", map[string]string{"username": c.user, "password": "correct horse battery"})
	var out struct{ Token string }
	if err != nil || st != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("login %s: %d %s %v", c.user, st, b, err)
	}
	c.token = out.Token
}

// trades lists every trade of the account, oldest first.
func (c *crashClient) trades(t *testing.T) []crashTrade {
	t.Helper()
	var all []crashTrade
	cursor := ""
	for {
		st, b, err := c.do("GET", "/api/v1/portfolio/trades?limit=100&cursor="+url.QueryEscape(cursor), nil)
		var page struct {
			Trades     []crashTrade `json:"trades"`
			NextCursor *string      `json:"next_cursor"`
		}
		if err != nil || st != http.StatusOK {
			t.Fatalf("%s: list trades: %d %s %v", c.user, st, b, err)
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("%s: trades page %s: %v", c.user, b, err)
		}
		all = append(all, page.Trades...)
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	slices.Reverse(all)
	return all
}

// The books survive a crash: accounts buy and sell concurrently over REST
// against the real binary, which is killed with SIGKILL mid-load and
// restarted on the same database. Every trade acknowledged with 201 is
// listed afterwards exactly as acknowledged, and cash, positions and cost
// basis equal a replay of the listed trades, to the cent.
func TestBooksSurviveKillMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const (
		accounts    = 4
		startCash   = int64(1_000_000_00)
		minAcked    = 200                    // before the kill, at least
		loadFor     = 500 * time.Millisecond // of load before the kill, at least
		loadTimeout = 10 * time.Second
	)
	symbols := []string{"AAPL", "MSFT", "KO"}
	p := tickerdtest.New(t, "-starting-cash", "1000000.00")
	p.Start(t)

	clients := make([]*crashClient, accounts)
	for i := range clients {
		c := &crashClient{base: p.URL, user: fmt.Sprintf("crash%d", i),
			http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
		if st, b, err := c.do("POST", "/api/v1/auth/register", map[string]string{"username": c.user, "password": "correct horse battery"}); err != nil || st != http.StatusCreated {
			t.Fatalf("register %s: %d %s %v", c.user, st, b, err)
		}
		c.login(t)
		clients[i] = c
	}

	// One buyer and one seller per account, on the same few positions.
	var (
		mu     sync.Mutex
		acked  = map[int64]crashTrade{} // by trade id
		owner  = map[int64]int{}        // trade id → account index
		nAcked atomic.Int64
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	for i, c := range clients {
		for _, side := range []string{"buy", "sell"} {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, 1))
				for {
					select {
					case <-stop:
						return
					default:
					}
					body := map[string]any{"symbol": symbols[rng.IntN(len(symbols))], "side": side, "quantity": 1 + rng.IntN(3)}
					st, b, err := c.do("POST", "/api/v1/portfolio/trades", body)
					if err != nil {
						return // the server is gone
					}
					if st != http.StatusCreated {
						continue // insufficient shares and the like
					}
					var tr crashTrade
					if err := json.Unmarshal(b, &tr); err != nil {
						t.Errorf("201 body %s: %v", b, err)
						return
					}
					mu.Lock()
					acked[tr.ID], owner[tr.ID] = tr, i
					mu.Unlock()
					nAcked.Add(1)
				}
			}(uint64(i*2 + len(side)))
		}
	}
	loadStart := time.Now()
	deadline := loadStart.Add(loadTimeout)
	for (nAcked.Load() < minAcked || time.Since(loadStart) < loadFor) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.Kill(t) // mid-load: requests are in flight
	close(stop)
	wg.Wait()
	if n := nAcked.Load(); n < minAcked {
		t.Fatalf("only %d trades acknowledged in %s", n, loadTimeout)
	}

	p.Start(t)
	total := 0
	for i, c := range clients {
		c.http.CloseIdleConnections()
		c.login(t)
		trades := c.trades(t)
		total += len(trades)
		listed := map[int64]crashTrade{}
		for _, tr := range trades {
			listed[tr.ID] = tr
		}
		mu.Lock()
		for id, tr := range acked {
			if owner[id] != i {
				continue
			}
			if got, ok := listed[id]; !ok {
				t.Errorf("%s: acknowledged trade %d (%+v) is missing after the crash", c.user, id, tr)
			} else if got != tr {
				t.Errorf("%s: trade %d listed as %+v, acknowledged as %+v", c.user, id, got, tr)
			}
		}
		mu.Unlock()
		reconcile(t, c, trades, startCash)
	}
	t.Logf("%d trades acknowledged before SIGKILL, %d on the books after restart", nAcked.Load(), total)
}

// reconcile replays trades (oldest first) and compares the result with the
// account's portfolio: cash, and each position's quantity and cost basis.
func reconcile(t *testing.T, c *crashClient, trades []crashTrade, startCash int64) {
	t.Helper()
	type pos struct{ qty, basis int64 }
	cash, books := startCash, map[string]*pos{}
	for _, tr := range trades {
		if tr.Amount != tr.Price*tr.Quantity {
			t.Errorf("%s: trade %d amount %d ≠ %d × %d", c.user, tr.ID, tr.Amount, tr.Quantity, tr.Price)
		}
		p := books[tr.Symbol]
		if p == nil {
			p = &pos{}
			books[tr.Symbol] = p
		}
		switch tr.Side {
		case "buy":
			cash -= tr.Amount
			p.qty += tr.Quantity
			p.basis += tr.Amount
		case "sell":
			cash += tr.Amount
			p.basis -= soldBasisOf(p.basis, tr.Quantity, p.qty)
			p.qty -= tr.Quantity
		}
		if p.qty < 0 || tr.CashAfter != cash {
			t.Errorf("%s: after trade %d: %d %s held, cash after %d, replay says %d", c.user, tr.ID, p.qty, tr.Symbol, tr.CashAfter, cash)
		}
	}

	st, b, err := c.do("GET", "/api/v1/portfolio", nil)
	var pf struct {
		Cash      json.Number `json:"cash"`
		Positions []struct {
			Symbol    string      `json:"symbol"`
			Quantity  int64       `json:"quantity"`
			CostBasis json.Number `json:"cost_basis"`
		} `json:"positions"`
	}
	if err != nil || st != http.StatusOK || json.Unmarshal(b, &pf) != nil {
		t.Fatalf("%s: portfolio: %d %s %v", c.user, st, b, err)
	}
	if got, _ := feed.ParseCents(string(pf.Cash)); got != cash {
		t.Errorf("%s: cash %s, replay of %d trades gives %d cents", c.user, pf.Cash, len(trades), cash)
	}
	held := map[string]bool{}
	for _, p := range pf.Positions {
		held[p.Symbol] = true
		want := books[p.Symbol]
		basis, _ := feed.ParseCents(string(p.CostBasis))
		if want == nil || p.Quantity != want.qty || basis != want.basis {
			t.Errorf("%s: position %s: %d shares, basis %s; replay gives %+v", c.user, p.Symbol, p.Quantity, p.CostBasis, want)
		}
	}
	for sym, p := range books {
		if p.qty != 0 && !held[sym] {
			t.Errorf("%s: replay holds %d %s, the portfolio none", c.user, p.qty, sym)
		}
	}
}

// soldBasisOf is the cost basis that selling qty of held shares removes:
// the proportional share, rounded half up (as the store computes it).
func soldBasisOf(basis, qty, held int64) int64 {
	if qty >= held {
		return basis
	}
	hi, lo := bits.Mul64(uint64(basis), uint64(qty))
	q, r := bits.Div64(hi, lo, uint64(held))
	if 2*r >= uint64(held) {
		q++
	}
	return int64(q)
}
