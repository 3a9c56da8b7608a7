package portfolio

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestAlertHolds(t *testing.T) {
	tests := []struct {
		cond       Condition
		threshold  int64
		price      int64
		prevClose  int64
		want       bool
		whyMatters string
	}{
		{Above, 19000, 18999, 18000, false, "one cent short"},
		{Above, 19000, 19000, 18000, true, "exactly at the threshold fires"},
		{Above, 19000, 19001, 18000, true, "past it"},
		{Below, 19000, 19001, 20000, false, "one cent short"},
		{Below, 19000, 19000, 20000, true, "exactly at the threshold fires"},
		{Below, 19000, 18999, 20000, true, "past it"},
		// +2.00 % of 100.00 is 102.00.
		{ChangePctAbove, 200, 10199, 10000, false, "+1.99 %"},
		{ChangePctAbove, 200, 10200, 10000, true, "exactly +2.00 %"},
		{ChangePctAbove, -100, 9900, 10000, true, "above -1 % at -1 %"},
		{ChangePctAbove, -100, 9899, 10000, false, "-1.01 % is not above -1 %"},
		// -3.00 % of 100.00 is 97.00.
		{ChangePctBelow, -300, 9701, 10000, false, "-2.99 %"},
		{ChangePctBelow, -300, 9700, 10000, true, "exactly -3.00 %"},
		{ChangePctBelow, 0, 10000, 10000, true, "unchanged is at or below 0 %"},
		// Exact, not rounded: 187.12 → 190.87 is +2.00401 %.
		{ChangePctAbove, 201, 19087, 18712, false, "+2.004 % < +2.01 %"},
		{ChangePctAbove, 200, 19087, 18712, true, "+2.004 % >= +2.00 %"},
		{ChangePctBelow, 200, 19087, 18712, false, "+2.004 % > +2.00 %"},
		{ChangePctBelow, 201, 19087, 18712, true, "+2.004 % <= +2.01 %"},
		{ChangePctBelow, -100, 9000, 0, false, "no previous close"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s %d at %d/%d", tt.cond, tt.threshold, tt.price, tt.prevClose)
		t.Run(name, func(t *testing.T) {
			a := Alert{Condition: tt.cond, Threshold: tt.threshold}
			if got := a.Holds(tt.price, tt.prevClose); got != tt.want {
				t.Errorf("Holds = %v, want %v (%s)", got, tt.want, tt.whyMatters)
			}
		})
	}
}

func bookAlert(id int64, symbol string, cond Condition, threshold int64) Alert {
	return Alert{ID: id, AccountID: 1, Symbol: symbol, Condition: cond, Threshold: threshold, Status: AlertActive}
}

func firedIDs(fs []Firing) []int64 {
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.Alert.ID
	}
	slices.Sort(ids)
	return ids
}

func TestAlertBookTick(t *testing.T) {
	at := time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)
	newBook := func() *AlertBook {
		b := NewAlertBook()
		for _, a := range []Alert{
			bookAlert(1, "AAPL", Above, 19000),
			bookAlert(2, "AAPL", Above, 19100),
			bookAlert(3, "AAPL", Above, 19000), // same threshold as 1
			bookAlert(4, "AAPL", Below, 18000),
			bookAlert(5, "AAPL", Below, 17900),
			bookAlert(6, "AAPL", ChangePctAbove, 200),
			bookAlert(7, "AAPL", ChangePctBelow, -300),
			bookAlert(8, "MSFT", Above, 10),
		} {
			b.Add(a)
		}
		return b
	}
	tests := []struct {
		name             string
		symbol           string
		price, prevClose int64
		want             []int64
	}{
		{"nothing in between", "AAPL", 18500, 18500, []int64{}},
		{"one cent under above", "AAPL", 18999, 18999, []int64{}},
		{"at above: both of that threshold", "AAPL", 19000, 19000, []int64{1, 3}},
		{"past every above", "AAPL", 20000, 20000, []int64{1, 2, 3}},
		{"at below", "AAPL", 18000, 18000, []int64{4}},
		{"past every below", "AAPL", 100, 100, []int64{4, 5}},
		{"pct above with price alerts quiet", "AAPL", 18564, 18200, []int64{6}},  // +2.0000 %
		{"pct above one cent short", "AAPL", 18563, 18200, []int64{}},            // +1.9945 %
		{"pct below", "AAPL", 18430, 19000, []int64{7}},                          // exactly -3 %
		{"pct below and price below", "AAPL", 17000, 19000, []int64{4, 5, 7}},    // -10.5 %
		{"pct above and price above", "AAPL", 19500, 19000, []int64{1, 2, 3, 6}}, // +2.6 %
		{"no previous close: pct alerts wait", "AAPL", 18500, 0, []int64{}},      // price alerts still work
		{"other symbol", "MSFT", 10, 10, []int64{8}},
		{"unknown symbol", "ZZZZ", 1, 1, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBook()
			n := b.Len()
			got := b.Tick(nil, tt.symbol, tt.price, tt.prevClose, 42, at)
			if ids := firedIDs(got); !slices.Equal(ids, tt.want) {
				t.Fatalf("fired %v, want %v", ids, tt.want)
			}
			for _, f := range got {
				if f.Price != tt.price || f.Seq != 42 || !f.Time.Equal(at) {
					t.Errorf("firing %+v does not carry the tick", f)
				}
				if !f.Alert.Holds(tt.price, tt.prevClose) {
					t.Errorf("alert %d fired but does not hold", f.Alert.ID)
				}
			}
			if b.Len() != n-len(tt.want) {
				t.Errorf("book holds %d, want %d", b.Len(), n-len(tt.want))
			}
			// Fired alerts left the book: the same tick fires nothing more.
			if again := b.Tick(nil, tt.symbol, tt.price, tt.prevClose, 43, at); len(again) != 0 {
				t.Errorf("second tick fired %v", firedIDs(again))
			}
		})
	}
}

func TestAlertBookIgnoresTriggered(t *testing.T) {
	b := NewAlertBook()
	a := bookAlert(1, "AAPL", Above, 1)
	a.Status = AlertTriggered
	b.Add(a)
	b.Add(bookAlert(2, "AAPL", Condition("sideways"), 1))
	if b.Len() != 0 {
		t.Fatalf("book holds %d, want 0", b.Len())
	}
}

func TestAlertBookRemove(t *testing.T) {
	b := NewAlertBook()
	for id := int64(1); id <= 5; id++ {
		b.Add(bookAlert(id, "AAPL", Above, 19000)) // all on one key
	}
	b.Add(bookAlert(1, "AAPL", Above, 1)) // duplicate id: ignored
	if !b.Remove(3) || b.Remove(3) || b.Remove(99) {
		t.Fatal("Remove reported wrongly")
	}
	if ids := firedIDs(b.Tick(nil, "AAPL", 19000, 19000, 1, time.Time{})); !slices.Equal(ids, []int64{1, 2, 4, 5}) {
		t.Fatalf("fired %v", ids)
	}
	if b.Len() != 0 || len(b.symbols) != 0 {
		t.Fatalf("book not empty: %d alerts, %d symbols", b.Len(), len(b.symbols))
	}
}

// TestAlertBookMatchesScan checks the book against the obvious scan of
// every alert on random ticks, including new sessions (changing previous
// closes).
func TestAlertBookMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conds := []Condition{Above, Below, ChangePctAbove, ChangePctBelow}
	b := NewAlertBook()
	live := map[int64]Alert{}
	for id := int64(1); id <= 2000; id++ {
		c := conds[rng.IntN(4)]
		th := 9000 + rng.Int64N(2000)
		if c.Percent() {
			th = rng.Int64N(2001) - 1000
		}
		a := bookAlert(id, fmt.Sprint("S", rng.IntN(3)), c, th)
		b.Add(a)
		live[id] = a
	}
	for id := int64(1); id <= 2000; id += 7 {
		b.Remove(id)
		delete(live, id)
	}
	for i := range 3000 {
		sym := fmt.Sprint("S", rng.IntN(3))
		price, prev := 9000+rng.Int64N(2000), 9500+rng.Int64N(1000)
		var want []int64
		for id, a := range live {
			if a.Symbol == sym && a.Holds(price, prev) {
				want = append(want, id)
				delete(live, id)
			}
		}
		slices.Sort(want)
		got := firedIDs(b.Tick(nil, sym, price, prev, uint64(i), time.Time{}))
		if !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("tick %d %s %d/%d: fired %v, want %v", i, sym, price, prev, got, want)
		}
	}
	if b.Len() != len(live) {
		t.Fatalf("book holds %d, scan %d", b.Len(), len(live))
	}
}

// BenchmarkAlertBookTick is one tick against a book of 10,000 active
// alerts over 50 symbols that the tick does not fire (the common case).
func BenchmarkAlertBookTick(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	book := NewAlertBook()
	conds := []Condition{Above, Below, ChangePctAbove, ChangePctBelow}
	for id := int64(1); id <= 10_000; id++ {
		c := conds[id%4]
		var th int64
		switch c {
		case Above:
			th = 11_000 + rng.Int64N(5000) // above 110.00: the ticks stay under
		case Below:
			th = 5000 + rng.Int64N(4000) // below 90.00
		case ChangePctAbove:
			th = 1000 + rng.Int64N(1000) // +10 % and more
		case ChangePctBelow:
			th = -1000 - rng.Int64N(1000)
		}
		book.Add(bookAlert(id, fmt.Sprint("SYM", id%50), c, th))
	}
	syms := make([]string, 50)
	for i := range syms {
		syms[i] = fmt.Sprint("SYM", i)
	}
	var dst []Firing
	at := time.Now()
	b.ResetTimer()
	for i := range b.N {
		dst = book.Tick(dst[:0], syms[i%50], 10_000+int64(i%100), 10_000, uint64(i), at)
	}
	if len(dst) != 0 || book.Len() != 10_000 {
		b.Fatalf("fired %d", book.Len())
	}
}

// BenchmarkAlertWatchObserve is what the market's goroutine pays per tick
// for alerts: AlertWatch.Observe against 10,000 active alerts over 50
// symbols, none of which the tick fires.
func BenchmarkAlertWatchObserve(b *testing.B) {
	w := NewAlertWatch(nil, 0, nil)
	for id := int64(1); id <= 10_000; id++ {
		th := 20_000 + id // above 200.00: the ticks stay under
		cond := Above
		if id%2 == 0 {
			th, cond = 5_000-id%4000, Below
		}
		w.book.Add(bookAlert(id, fmt.Sprint("SYM", id%50), cond, th))
	}
	syms := make([]string, 50)
	for i := range syms {
		syms[i] = fmt.Sprint("SYM", i)
	}
	b.ResetTimer()
	for i := range b.N {
		w.Observe(syms[i%50], 10_000+int64(i%100), 10_000, uint64(i), 1_700_000_000_000)
	}
	if w.book.Len() != 10_000 {
		b.Fatalf("book holds %d", w.book.Len())
	}
}

// BenchmarkAlertBookFire is a tick that fires one alert (and the Add that
// puts the next one in), against 10,000 active alerts over 50 symbols.
func BenchmarkAlertBookFire(b *testing.B) {
	book := NewAlertBook()
	for id := int64(1); id <= 10_000; id++ {
		book.Add(bookAlert(id, fmt.Sprint("SYM", id%50), Above, 20_000+id))
	}
	var dst []Firing
	b.ResetTimer()
	for i := range b.N {
		id := int64(100_000 + i)
		book.Add(bookAlert(id, "SYM7", Above, 10_000))
		dst = book.Tick(dst[:0], "SYM7", 10_000, 10_000, uint64(i), time.Time{})
		if len(dst) != 1 {
			b.Fatalf("fired %d", len(dst))
		}
	}
}
