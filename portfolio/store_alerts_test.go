package portfolio

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCreateAlert(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s := MustOpenStore(t, Options{Now: clock.Now})
	acct := mustRegister(t, s, "alice")
	prices := newFakePrices()
	prices.set("AAPL", 18712, 18659)
	prices.set("NOPX", 0, 0)

	a, err := s.CreateAlert(ctx, acct.ID, AlertRequest{Symbol: " aapl ", Condition: Above, Threshold: 19000}, prices)
	if err != nil {
		t.Fatal(err)
	}
	want := Alert{ID: a.ID, AccountID: acct.ID, Symbol: "AAPL", Condition: Above, Threshold: 19000,
		Status: AlertActive, CreatedAt: clock.Now()}
	if a != want || a.ID <= 0 {
		t.Fatalf("created %+v, want %+v", a, want)
	}

	tests := []struct {
		name  string
		req   AlertRequest
		code  string
		field string
	}{
		{"unknown condition", AlertRequest{Symbol: "AAPL", Condition: "sideways", Threshold: 1}, CodeInvalidCondition, "condition"},
		{"unknown symbol", AlertRequest{Symbol: "ZZZZ", Condition: Above, Threshold: 20000}, CodeUnknownSymbol, "symbol"},
		{"malformed symbol", AlertRequest{Symbol: "", Condition: Above, Threshold: 20000}, CodeUnknownSymbol, "symbol"},
		{"symbol without a price", AlertRequest{Symbol: "NOPX", Condition: Above, Threshold: 20000}, CodeUnknownSymbol, "symbol"},
		{"zero price", AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: 0}, CodeInvalidPrice, "price"},
		{"negative price", AlertRequest{Symbol: "AAPL", Condition: Below, Threshold: -5}, CodeInvalidPrice, "price"},
		{"huge price", AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: MaxAlertPrice + 1}, CodeInvalidPrice, "price"},
		{"percent below -100", AlertRequest{Symbol: "AAPL", Condition: ChangePctBelow, Threshold: -10_000}, CodeInvalidPercent, "percent"},
		{"percent too large", AlertRequest{Symbol: "AAPL", Condition: ChangePctAbove, Threshold: MaxAlertBP + 1}, CodeInvalidPercent, "percent"},
		{"above, already above", AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: 18700}, CodeAlreadyTriggered, ""},
		{"above, exactly at the price", AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: 18712}, CodeAlreadyTriggered, ""},
		{"below, exactly at the price", AlertRequest{Symbol: "AAPL", Condition: Below, Threshold: 18712}, CodeAlreadyTriggered, ""},
		{"change above, already up more", AlertRequest{Symbol: "AAPL", Condition: ChangePctAbove, Threshold: 10}, CodeAlreadyTriggered, ""},
		{"change below, already below", AlertRequest{Symbol: "AAPL", Condition: ChangePctBelow, Threshold: 100}, CodeAlreadyTriggered, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateAlert(ctx, acct.ID, tt.req, prices)
			wantCode(t, err, tt.code, tt.field)
		})
	}
	_, err = s.CreateAlert(ctx, 9999, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: 20000}, prices)
	wantCode(t, err, CodeNotFound, "")

	// Only the first one was recorded.
	all, _, err := s.Alerts(ctx, acct.ID, "", "", 0)
	if err != nil || len(all) != 1 || all[0] != a {
		t.Fatalf("alerts = %+v, %v; want just %+v", all, err, a)
	}
}

func TestCreateAlertLimit(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	acct := mustRegister(t, s, "alice")
	other := mustRegister(t, s, "bob")
	prices := newFakePrices()
	prices.set("AAPL", 10000, 10000)
	var last Alert
	for i := range MaxActiveAlerts {
		var err error
		if last, err = s.CreateAlert(ctx, acct.ID, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: int64(20000 + i)}, prices); err != nil {
			t.Fatalf("alert %d: %v", i, err)
		}
	}
	req := AlertRequest{Symbol: "AAPL", Condition: Below, Threshold: 5000}
	_, err := s.CreateAlert(ctx, acct.ID, req, prices)
	wantCode(t, err, CodeTooManyAlerts, "")
	if _, err := s.CreateAlert(ctx, other.ID, req, prices); err != nil {
		t.Fatalf("another account's limit is its own: %v", err)
	}
	// A triggered alert no longer counts.
	if _, err := s.TriggerAlerts(ctx, []Firing{{Alert: last, Price: 30000, Seq: 1, Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAlert(ctx, acct.ID, req, prices); err != nil {
		t.Fatalf("after one fired: %v", err)
	}
}

func TestAlertsPagingAndStatus(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	acct := mustRegister(t, s, "alice")
	other := mustRegister(t, s, "bob")
	prices := newFakePrices()
	prices.set("AAPL", 10000, 10000)
	var ids []int64
	for i := range 7 {
		a, err := s.CreateAlert(ctx, acct.ID, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: int64(20000 + i)}, prices)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if _, err := s.CreateAlert(ctx, other.ID, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: 20000}, prices); err != nil {
		t.Fatal(err)
	}
	// Alerts 1, 3 and 5 (by position) fire.
	var firings []Firing
	for _, i := range []int{1, 3, 5} {
		firings = append(firings, Firing{Alert: Alert{ID: ids[i]}, Price: 30000, Seq: uint64(100 + i), Time: time.UnixMilli(1_700_000_000_000)})
	}
	if _, err := s.TriggerAlerts(ctx, firings); err != nil {
		t.Fatal(err)
	}

	page := func(status AlertStatus, limit int) [][]int64 {
		t.Helper()
		var pages [][]int64
		cursor := ""
		for {
			got, next, err := s.Alerts(ctx, acct.ID, status, cursor, limit)
			if err != nil {
				t.Fatal(err)
			}
			var p []int64
			for _, a := range got {
				if a.AccountID != acct.ID || (status != "" && a.Status != status) {
					t.Fatalf("alert %+v in a %q listing", a, status)
				}
				p = append(p, a.ID)
			}
			pages = append(pages, p)
			if next == "" {
				return pages
			}
			cursor = next
		}
	}
	eq := func(got [][]int64, want ...[]int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("pages %v, want %v", got, want)
		}
		for i := range got {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("pages %v, want %v", got, want)
			}
			for j := range got[i] {
				if got[i][j] != want[i][j] {
					t.Fatalf("pages %v, want %v", got, want)
				}
			}
		}
	}
	eq(page("", 3), []int64{ids[6], ids[5], ids[4]}, []int64{ids[3], ids[2], ids[1]}, []int64{ids[0]})
	eq(page(AlertActive, 2), []int64{ids[6], ids[4]}, []int64{ids[2], ids[0]})
	eq(page(AlertTriggered, 10), []int64{ids[5], ids[3], ids[1]})

	trig, _, err := s.Alerts(ctx, acct.ID, AlertTriggered, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if a := trig[0]; a.TriggeredPrice != 30000 || a.TriggeredSeq != 105 || a.TriggeredAt.UnixMilli() != 1_700_000_000_000 {
		t.Fatalf("triggered alert %+v lost the tick", a)
	}
	_, _, err = s.Alerts(ctx, acct.ID, "", "garbage", 0)
	wantCode(t, err, CodeInvalidCursor, "cursor")
}

func TestDeleteAlert(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	alice := mustRegister(t, s, "alice")
	bob := mustRegister(t, s, "bob")
	prices := newFakePrices()
	prices.set("AAPL", 10000, 10000)
	a, err := s.CreateAlert(ctx, alice.ID, AlertRequest{Symbol: "AAPL", Condition: Below, Threshold: 9000}, prices)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.DeleteAlert(ctx, bob.ID, a.ID)
	wantCode(t, err, CodeNotFound, "")
	_, err = s.DeleteAlert(ctx, alice.ID, a.ID+100)
	wantCode(t, err, CodeNotFound, "")
	got, err := s.DeleteAlert(ctx, alice.ID, a.ID)
	if err != nil || got != a {
		t.Fatalf("delete = %+v, %v; want %+v", got, err, a)
	}
	_, err = s.DeleteAlert(ctx, alice.ID, a.ID)
	wantCode(t, err, CodeNotFound, "")
	// A deleted alert cannot fire.
	fired, err := s.TriggerAlerts(ctx, []Firing{{Alert: a, Price: 1, Seq: 1, Time: time.Now()}})
	if err != nil || len(fired) != 0 {
		t.Fatalf("trigger deleted = %v, %v", fired, err)
	}
}

func TestTriggerAlertsOnce(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	acct := mustRegister(t, s, "alice")
	prices := newFakePrices()
	prices.set("AAPL", 10000, 10000)
	a, err := s.CreateAlert(ctx, acct.ID, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: 10100}, prices)
	if err != nil {
		t.Fatal(err)
	}
	// Racing callers: exactly one gets it.
	var wg sync.WaitGroup
	results := make([][]Alert, 8)
	for i := range results {
		wg.Go(func() {
			fired, err := s.TriggerAlerts(ctx, []Firing{{Alert: a, Price: 10100 + int64(i), Seq: uint64(i + 1), Time: time.Now()}})
			if err != nil {
				t.Error(err)
			}
			results[i] = fired
		})
	}
	wg.Wait()
	n := 0
	for _, r := range results {
		n += len(r)
		for _, got := range r {
			if got.ID != a.ID || got.Status != AlertTriggered || got.TriggeredSeq == 0 {
				t.Errorf("fired %+v", got)
			}
		}
	}
	if n != 1 {
		t.Fatalf("fired %d times, want once", n)
	}
}

// TestAlertWatchFiresOnceAcrossRestart: an alert fires, is recorded and
// announced; after a restart (store reopened, book reloaded) the same and
// later ticks fire nothing, and an alert that was active at the restart
// still fires.
func TestAlertWatchFiresOnceAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickerd.db")
	prices := newFakePrices()
	prices.set("AAPL", 10000, 10000)

	run := func(t *testing.T, create bool, ticks [][2]int64) []Alert {
		s := MustOpenStoreAt(t, path)
		if create {
			acct := mustRegister(t, s, "alice")
			w := NewAlertWatch(s, 0, nil)
			for _, th := range []int64{10100, 10500} {
				if _, err := w.Create(ctx, acct.ID, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: th}, prices); err != nil {
					t.Fatal(err)
				}
			}
		}
		w := NewAlertWatch(s, 0, nil)
		if err := w.Load(ctx); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var got []Alert
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- w.Run(rctx, func(a Alert) {
				mu.Lock()
				got = append(got, a)
				mu.Unlock()
			})
		}()
		for i, tk := range ticks {
			w.Observe("AAPL", tk[0], tk[1], uint64(i+1), 1_700_000_000_000+int64(i))
		}
		// Wait for the queue to drain.
		deadline := time.Now().Add(5 * time.Second)
		for len(w.queue) > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got
	}

	first := run(t, true, [][2]int64{{10050, 10000}, {10200, 10000}, {10300, 10000}})
	if len(first) != 1 || first[0].Threshold != 10100 || first[0].TriggeredPrice != 10200 || first[0].TriggeredSeq != 2 {
		t.Fatalf("first run announced %+v", first)
	}
	second := run(t, false, [][2]int64{{10200, 10000}, {10300, 10000}})
	if len(second) != 0 {
		t.Fatalf("after restart announced %+v, want nothing", second)
	}
	third := run(t, false, [][2]int64{{10600, 10000}})
	if len(third) != 1 || third[0].Threshold != 10500 {
		t.Fatalf("the alert still active at the restart: announced %+v", third)
	}
}

func TestAlertWatchQueueFull(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	acct := mustRegister(t, s, "alice")
	prices := newFakePrices()
	prices.set("AAPL", 10000, 10000)
	w := NewAlertWatch(s, 1, nil) // no Run yet: the queue holds one
	for _, th := range []int64{10100, 10200} {
		if _, err := w.Create(ctx, acct.ID, AlertRequest{Symbol: "AAPL", Condition: Above, Threshold: th}, prices); err != nil {
			t.Fatal(err)
		}
	}
	w.Observe("AAPL", 10300, 10000, 1, 0) // never blocks
	if st := w.Stats(); st.Requeued != 1 || st.Active != 1 {
		t.Fatalf("stats %+v, want 1 requeued and back in the book", st)
	}
	var got []Alert
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(rctx, func(a Alert) { got = append(got, a) })
	}()
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Fired < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	w.Observe("AAPL", 10300, 10000, 2, 0) // the put-back one fires now
	for w.Stats().Fired < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if len(got) != 2 {
		t.Fatalf("announced %d, want 2", len(got))
	}
}
