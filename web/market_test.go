package web

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickerd/tickerd/feed"
)

// testScenario parses a scenario document (NewMarket checks it against the
// universe).
func testScenario(tb testing.TB, doc string) *feed.Scenario {
	tb.Helper()
	sc, err := feed.ParseScenario("test.yaml", []byte(doc))
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

func TestMarketEndpoint(t *testing.T) {
	plain := startTestServer(t, Config{})
	resp, body := plain.do(t, "GET", "/api/v1/market", "", nil)
	got := decode[map[string]any](t, body)
	if resp.StatusCode != http.StatusOK || got["scenario"] != nil || len(got["halted"].([]any)) != 0 ||
		got["speed"] != 1.0 || got["ticks_per_second"] != 20.0 {
		t.Fatalf("without a scenario: %d %s", resp.StatusCode, body)
	}
	if _, err := time.Parse(time.RFC3339, got["clock"].(string)); err != nil {
		t.Errorf("clock: %v", err)
	}

	ts := startTestServerWith(t, Config{}, testServerOptions{Scenario: testScenario(t, `
name: endpoint
description: KO halted, then an Energy gap
events:
  - {at: 3h, type: gap, sector: Energy, percent: 4}
  - {at: 0s, type: halt, symbol: KO, duration: 1h}
`)})
	waitFor(t, "KO halted", func() bool { return ts.Market.Halted("KO") })
	_, body = ts.do(t, "GET", "/api/v1/market", "", nil)
	var m marketJSON
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Scenario == nil || m.Scenario.Name != "endpoint" || len(m.Halted) != 1 || m.Halted[0] != "KO" {
		t.Fatalf("with a scenario: %s", body)
	}
	evs := m.Scenario.Events
	if len(evs) != 2 || evs[0].Type != "halt" || !evs[0].Active || evs[0].Scope != "symbol" || evs[0].Symbol != "KO" ||
		evs[0].Duration != 3600 || evs[1].Type != "gap" || evs[1].Active || evs[1].Scope != "sector" ||
		evs[1].Percent == nil || *evs[1].Percent != 4 || evs[1].Start != evs[1].End {
		t.Fatalf("events: %s", body)
	}
}

// TestWSHaltStatus: a halt and its end reach a subscriber at once as
// quotes with the new status, though the symbol does not tick.
func TestWSHaltStatus(t *testing.T) {
	// The account is made on a first server (password hashing is slow on
	// a busy machine); its session still holds on the second, whose
	// scenario clock starts when it does, so the client subscribes well
	// before the halt.
	db := filepath.Join(t.TempDir(), "tickerd.db")
	first := startTestServerWith(t, Config{}, testServerOptions{DBPath: db})
	token := first.register(t, "halts", "correct horse battery")
	first.Stop()
	ts := startTestServerWith(t, Config{}, testServerOptions{DBPath: db, TickRate: 0.0001, Scenario: testScenario(t, `
events:
  - {at: 2s, type: halt, symbol: KO, duration: 1s}
`)})
	conn := mustDialWS(t, ts, token)
	defer conn.Close()
	send(t, conn, `{"type":"subscribe","symbols":["KO"]}`)

	type statusQuote struct {
		Seq      uint64 `json:"seq"`
		Status   string `json:"status"`
		Snapshot bool   `json:"snapshot"`
	}
	var got []statusQuote
	for len(got) < 3 {
		f := readUntil(t, conn, "quotes")
		var qs []statusQuote
		if err := json.Unmarshal(f.Data, &qs); err != nil {
			t.Fatal(err)
		}
		got = append(got, qs...)
	}
	if !got[0].Snapshot || got[0].Status != "" || got[1].Status != "halted" || got[1].Seq != got[0].Seq+1 ||
		got[2].Status != "open" || got[2].Seq != got[0].Seq+2 {
		t.Fatalf("quotes %+v, want the snapshot, then halted, then open", got)
	}
}
