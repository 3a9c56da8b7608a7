package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tickerd/tickerd/feed"
)

// An alert created through edge A that fires on the core reaches a socket
// of its account on edge B subscribed to alerts, once, with the payload
// GET /api/v1/alerts?status=triggered lists; a socket of another account
// on edge B subscribed to alerts gets nothing.
func TestClusterAlertReachesOtherEdge(t *testing.T) {
	c := startCluster(t, 2, "-tick-rate", "20", "-speed", "10")
	a, b := c.edges[0], c.edges[1]
	tok := account(t, a.URL, "alerter")
	otherTok := account(t, a.URL, "bystander")
	onB := mustWS(t, b.URL, tok)
	onB.send(t, map[string]any{"type": "subscribe", "id": 1, "channels": []string{"alerts"}})
	onB.waitFrame(t, 3*time.Second, "the subscriptions reply", func(f frame) bool { return f.Type == "subscriptions" })
	otherOnB := mustWS(t, b.URL, otherTok)
	otherOnB.send(t, map[string]any{"type": "subscribe", "id": 1, "channels": []string{"alerts"}})
	otherOnB.waitFrame(t, 3*time.Second, "the subscriptions reply", func(f frame) bool { return f.Type == "subscriptions" })

	ids := bracketAlert(t, a.URL, tok, "AAPL")
	f := onB.waitFrame(t, 10*time.Second, "an alert frame", func(f frame) bool { return f.Type == "alert" })
	var got struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(f.Data, &got); err != nil {
		t.Fatalf("alert frame %s: %v", f.Raw, err)
	}
	if !slices.Contains(ids, got.ID) || got.Status != "triggered" {
		t.Fatalf("alert frame %s, want one of %v triggered", f.Raw, ids)
	}

	var list struct{ Alerts []json.RawMessage }
	getJSON(t, a.URL+"/api/v1/alerts?status=triggered", tok, &list)
	if !slices.ContainsFunc(list.Alerts, func(a json.RawMessage) bool { return string(a) == string(f.Data) }) {
		t.Fatalf("triggered list %s lacks %s", list.Alerts, f.Data)
	}

	// Once: no second frame of the same alert; and nothing for the other account.
	deadline := time.Now().Add(time.Second)
	for {
		f2, err := onB.next(time.Until(deadline))
		if errors.Is(err, errNoFrame) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f2.Type == "alert" && string(f2.Data) == string(f.Data) {
			t.Fatalf("alert %d delivered twice on edge B", got.ID)
		}
	}
	if f, err := otherOnB.next(200 * time.Millisecond); !errors.Is(err, errNoFrame) {
		t.Fatalf("other account's socket got %s (%v)", f.Raw, err)
	}
}

// bracketAlert creates, through base, alerts one cent above and one cent
// below symbol's latest price, so that one fires on the next move; it
// retries when the price moves past one first. It returns the ids of all
// the alerts it created (an early one may fire too).
func bracketAlert(t *testing.T, base, token, symbol string) []int64 {
	t.Helper()
	var ids []int64
	for attempt, pair := 0, 0; pair < 2; attempt++ {
		if attempt == 20 {
			t.Fatalf("could not place alerts beside %s's price in 20 attempts", symbol)
		}
		var qs struct {
			Quotes []struct {
				Symbol string      `json:"symbol"`
				Price  json.Number `json:"price"`
			}
		}
		getJSON(t, base+"/api/v1/quotes?symbols="+symbol, "", &qs)
		if len(qs.Quotes) != 1 || qs.Quotes[0].Symbol != symbol {
			t.Fatalf("quotes of %s: %+v", symbol, qs)
		}
		price, err := feed.ParseCents(qs.Quotes[0].Price.String())
		if err != nil {
			t.Fatal(err)
		}
		pair = 0
		for _, p := range []struct {
			cond  string
			cents int64
		}{{"above", price + 1}, {"below", price - 1}} {
			body := `{"symbol":"` + symbol + `","condition":"` + p.cond + `","price":` + string(feed.AppendCents(nil, p.cents)) + `}`
			res := post(t, base+"/api/v1/alerts", token, body)
			var out struct {
				ID   int64  `json:"id"`
				Code string `json:"code"`
			}
			err := json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if res.StatusCode == http.StatusUnprocessableEntity && out.Code == "already_triggered" {
				break // the price moved past it: start over beside the new price
			}
			if res.StatusCode != http.StatusCreated || err != nil {
				t.Fatalf("create %s alert via %s: %d %v", p.cond, base, res.StatusCode, err)
			}
			ids = append(ids, out.ID)
			pair++
		}
	}
	return ids
}

// getJSON GETs url (with a bearer token when given) and decodes a 200
// answer into v.
func getJSON(t *testing.T, url, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
