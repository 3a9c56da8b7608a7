package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/tickerd/tickerd/feed"
)

// wireAlert is an alert as the API writes it.
type wireAlert struct {
	ID             int64        `json:"id"`
	Symbol         string       `json:"symbol"`
	Condition      string       `json:"condition"`
	Price          *json.Number `json:"price"`
	Percent        *json.Number `json:"percent"`
	Status         string       `json:"status"`
	CreatedAt      string       `json:"created_at"`
	TriggeredPrice *json.Number `json:"triggered_price"`
	Seq            *uint64      `json:"seq"`
	TriggeredAt    *string      `json:"triggered_at"`
}

// bracketAlerts creates alerts one cent above and one cent below the
// symbol's price, so that one of them fires on the next move; it retries
// when the price moves under it.
func bracketAlerts(t *testing.T, ts *testServer, token, symbol string) (above, below wireAlert) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		price, _, _ := ts.Market.LastPrice(symbol)
		resp, body := ts.do(t, http.MethodPost, "/api/v1/alerts", token, map[string]any{
			"symbol": symbol, "condition": "above", "price": json.Number(feed.AppendCents(nil, price+1))})
		if resp.StatusCode != http.StatusCreated {
			if attempt < 20 && decode[problem](t, body).Code == "already_triggered" {
				continue
			}
			t.Fatalf("create above: %d %s", resp.StatusCode, body)
		}
		above = decode[wireAlert](t, body)
		resp, body = ts.do(t, http.MethodPost, "/api/v1/alerts", token, map[string]any{
			"symbol": symbol, "condition": "below", "price": json.Number(feed.AppendCents(nil, price-1))})
		if resp.StatusCode != http.StatusCreated {
			if attempt < 20 && decode[problem](t, body).Code == "already_triggered" {
				// The price moved down past it: above may fire or not, start over.
				ts.do(t, http.MethodDelete, "/api/v1/alerts/"+jsonInt(above.ID), token, nil)
				continue
			}
			t.Fatalf("create below: %d %s", resp.StatusCode, body)
		}
		return above, decode[wireAlert](t, body)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestAlertsFireOverWebSocketAndSSE: an alert just beside the price fires
// within seconds and reaches every stream of the account subscribed to the
// alerts channel, WebSocket and SSE alike, with the tick that fired it;
// streams not subscribed, and other accounts, get nothing; the REST list
// shows it triggered.
func TestAlertsFireOverWebSocketAndSSE(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{Speed: 10})
	token := ts.register(t, "alert-ann", "correct horse battery")
	otherToken := ts.register(t, "alert-bob", "correct horse battery")

	ws := mustDialWS(t, ts, token)
	send(t, ws, `{"type":"subscribe","id":1,"channels":["alerts","portfolio"]}`)
	if f := readFrame(t, ws); f.Type != "subscriptions" || !slices.Equal(f.Channels, []string{"alerts", "portfolio"}) {
		t.Fatalf("reply %s", f.Raw)
	}
	quiet := mustDialWS(t, ts, token) // same account, alerts not subscribed
	send(t, quiet, `{"type":"subscribe","id":1,"channels":["portfolio"]}`)
	readFrame(t, quiet)
	other := mustDialWS(t, ts, otherToken) // another account
	send(t, other, `{"type":"subscribe","id":1,"channels":["alerts"]}`)
	readFrame(t, other)
	sse := openSSE(t, ts, token, "/api/v1/stream?channels=alerts")

	above, below := bracketAlerts(t, ts, token, "AAPL")
	if above.Status != "active" || above.Price == nil || above.Percent != nil || above.TriggeredAt != nil || above.Seq != nil {
		t.Fatalf("created %+v", above)
	}

	f := readUntil(t, ws, "alert")
	got := decode[wireAlert](t, f.Data)
	if got.ID != above.ID && got.ID != below.ID {
		t.Fatalf("alert frame %s is not one of %d, %d", f.Raw, above.ID, below.ID)
	}
	if got.Status != "triggered" || got.TriggeredPrice == nil || got.Seq == nil || *got.Seq == 0 || got.TriggeredAt == nil {
		t.Fatalf("alert frame %s lacks the tick", f.Raw)
	}
	trig, _ := feedCents(t, *got.TriggeredPrice)
	thr, _ := feedCents(t, *got.Price)
	if got.Condition == "above" && trig < thr || got.Condition == "below" && trig > thr {
		t.Fatalf("alert %s fired at %d, threshold %d", got.Condition, trig, thr)
	}

	ev := nextEvent(t, sse, "alert")
	if ev.data != string(f.Raw) {
		t.Fatalf("SSE alert %s differs from the WebSocket's %s", ev.data, f.Raw)
	}
	for name, conn := range map[string]*websocket.Conn{"unsubscribed stream": quiet, "other account": other} {
		deadline := time.Now().Add(300 * time.Millisecond)
		for {
			f, err := tryReadFrame(conn, time.Until(deadline))
			if err != nil {
				break // timeout: nothing more
			}
			if f.Type == "alert" {
				t.Fatalf("%s got %s", name, f.Raw)
			}
		}
	}

	resp, body := ts.do(t, http.MethodGet, "/api/v1/alerts?status=triggered", token, nil)
	wantStatus(t, resp, body, http.StatusOK)
	list := decode[struct{ Alerts []json.RawMessage }](t, body)
	if !slices.ContainsFunc(list.Alerts, func(a json.RawMessage) bool { return string(a) == string(f.Data) }) {
		t.Fatalf("triggered list %s lacks %s", body, f.Data)
	}
}

// feedCents reads a money number exactly.
func feedCents(t *testing.T, n json.Number) (int64, bool) {
	t.Helper()
	c, err := feed.ParseCents(n.String())
	if err != nil {
		t.Fatalf("money %q: %v", n, err)
	}
	return c, true
}
