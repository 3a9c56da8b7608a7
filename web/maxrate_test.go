package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// max_rate_ms over real streams: at most one quote per symbol per interval,
// the latest value winning (docs/PROTOCOL.md, section 2 and section 7).

const (
	maxRateTicks = 100 // ticks per symbol per second
	maxRateMS    = 250 // the max_rate_ms the tests ask for
	maxRateEvery = maxRateMS * time.Millisecond
	maxRateRun   = 1400 * time.Millisecond // time for five or six intervals
)

// rateQuote is a quote as a client received it, with the seq the market
// reported for its symbol right after.
type rateQuote struct {
	wsQuote
	at     time.Time // when the client read it
	market uint64    // GET /api/v1/quotes seq just after
}

// marketSeq returns the seq of the symbol's latest quote over REST.
func marketSeq(t *testing.T, ts *testServer, symbol string) uint64 {
	t.Helper()
	resp, body := ts.do(t, http.MethodGet, "/api/v1/quotes?symbols="+symbol, "", nil)
	wantStatus(t, resp, body, http.StatusOK)
	qs := decode[struct{ Quotes []wsQuote }](t, body).Quotes
	if len(qs) != 1 {
		t.Fatalf("GET /api/v1/quotes?symbols=%s = %s", symbol, body)
	}
	return qs[0].Seq
}

// checkMaxRate requires quotes, one symbol's in arrival order, to be at
// least every apart (less a tolerance for delivery jitter), their seqs to
// increase and to skip the ticks in between (conflation, not a queue), and
// each to be the market's latest: no more than half an interval's ticks
// behind what GET /api/v1/quotes reported right after it arrived (holding
// the oldest tick of the interval would be a whole interval's ticks behind).
func checkMaxRate(t *testing.T, quotes []rateQuote, every time.Duration) {
	t.Helper()
	const jitter = 50 * time.Millisecond
	maxLag := uint64(maxRateTicks * every.Seconds() / 2)
	if len(quotes) < 4 {
		t.Fatalf("%d quotes in %v at max_rate_ms=%d, want at least 4", len(quotes), maxRateRun, every.Milliseconds())
	}
	for i, q := range quotes {
		if q.market < q.Seq || q.market-q.Seq > maxLag {
			t.Errorf("quote %d has seq %d, the market's latest right after was %d: want at most %d behind", i, q.Seq, q.market, maxLag)
		}
		if i == 0 {
			continue
		}
		prev := quotes[i-1]
		if gap := q.at.Sub(prev.at); gap < every-jitter {
			t.Errorf("quotes %d and %d arrived %v apart, want at least %v", i-1, i, gap.Round(time.Millisecond), every)
		}
		if q.Seq < prev.Seq+2 {
			t.Errorf("quote %d has seq %d after %d: want later ticks conflated, newer seqs only", i, q.Seq, prev.Seq)
		}
	}
	if t.Failed() {
		for i, q := range quotes {
			t.Logf("quote %d: seq %d at +%v, market seq %d", i, q.Seq, q.at.Sub(quotes[0].at).Round(time.Millisecond), q.market)
		}
	}
}

// TestWSMaxRate: a subscribe with max_rate_ms limits its symbols to one
// quote per interval, the latest; a symbol subscribed without it on the
// same connection gets every tick.
func TestWSMaxRate(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{TickRate: maxRateTicks})
	token := ts.register(t, "rita", "correct horse battery")
	conn := mustDialWS(t, ts, token)
	send(t, conn, `{"type":"subscribe","id":1,"symbols":["MSFT"]}`)
	send(t, conn, `{"type":"subscribe","id":2,"symbols":["AAPL"],"max_rate_ms":`+strconv.Itoa(maxRateMS)+`}`)

	var limited []rateQuote
	unlimited := 0
	for end := time.Now().Add(maxRateRun); time.Now().Before(end); {
		f, err := tryReadFrame(conn, time.Until(end))
		if err != nil {
			break // the read deadline: the run is over
		}
		switch f.Type {
		case "subscriptions":
		case "quotes":
			at := time.Now()
			for _, q := range f.quotes(t) {
				switch q.Symbol {
				case "AAPL":
					limited = append(limited, rateQuote{wsQuote: q, at: at, market: marketSeq(t, ts, "AAPL")})
				case "MSFT":
					unlimited++
				default:
					t.Fatalf("quote of %s, which was not subscribed: %s", q.Symbol, f.Raw)
				}
			}
		default:
			t.Fatalf("unexpected frame %s", f.Raw)
		}
	}
	checkMaxRate(t, limited, maxRateEvery)
	if unlimited < 3*len(limited) {
		t.Errorf("MSFT, subscribed without max_rate_ms, got %d quotes to AAPL's %d: want every tick", unlimited, len(limited))
	}
}

// TestSSEMaxRate: max_rate_ms on an event stream limits each of its
// symbols to one quote per interval, the latest.
func TestSSEMaxRate(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{TickRate: maxRateTicks})
	token := ts.register(t, "sam", "correct horse battery")
	events := openSSE(t, ts, token, "/api/v1/stream?symbols=AAPL,MSFT&max_rate_ms="+strconv.Itoa(maxRateMS))

	quotes := map[string][]rateQuote{}
	timeout := time.After(maxRateRun)
	for done := false; !done; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.event != "quotes" {
				continue
			}
			at := time.Now()
			var frame struct{ Data []wsQuote }
			if err := json.Unmarshal([]byte(ev.data), &frame); err != nil {
				t.Fatalf("quotes event %s: %v", ev.data, err)
			}
			for _, q := range frame.Data {
				quotes[q.Symbol] = append(quotes[q.Symbol], rateQuote{wsQuote: q, at: at, market: marketSeq(t, ts, q.Symbol)})
			}
		case <-timeout:
			done = true
		}
	}
	for _, sym := range []string{"AAPL", "MSFT"} {
		t.Run(sym, func(t *testing.T) { checkMaxRate(t, quotes[sym], maxRateEvery) })
	}
	if len(quotes) != 2 {
		t.Errorf("quotes of %d symbols, want AAPL and MSFT only", len(quotes))
	}
}
