package portfolio

import (
	"context"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

// snapshot is everything a trade may change for one account.
type snapshot struct {
	Cash      int64
	Positions []Position
	Trades    int
}

func takeSnapshot(t *testing.T, s *Store, accountID int64) snapshot {
	t.Helper()
	cash, positions, err := s.Holdings(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.reader.QueryRow("SELECT COUNT(*) FROM trades WHERE account_id = ?", accountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return snapshot{cash, positions, n}
}

func TestTradeLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s := MustOpenStore(t, Options{Now: clock.Now})
	a := mustRegister(t, s, "alice")
	prices := newFakePrices()

	steps := []struct {
		name      string
		req       TradeRequest
		price     int64
		cashAfter int64
		position  Position // Quantity 0: no position left
		avgCost   int64
	}{
		{"buy", TradeRequest{" aapl ", Buy, 10}, 18712,
			10_000_000 - 187_120, todays("AAPL", 10, 187_120, 187_120), 18712},
		{"buy more at another price", TradeRequest{"AAPL", Buy, 5}, 19001,
			9_812_880 - 95_005, todays("AAPL", 15, 282_125, 282_125), 18808}, // 18808.33
		{"partial sell", TradeRequest{"AAPL", Sell, 4}, 19500,
			9_717_875 + 78_000, todays("AAPL", 11, 282_125-75_233, 282_125-78_000), 18808}, // 282125*4/15 = 75233.3
		{"sell all", TradeRequest{"AAPL", Sell, 11}, 18000,
			9_795_875 + 198_000, Position{}, 0},
	}
	for i, st := range steps {
		prices.set("AAPL", st.price, 18000)
		clock.Advance(1500 * time.Millisecond)
		tr, err := s.PlaceTrade(ctx, a.ID, st.req, prices, prices)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want := Trade{ID: tr.ID, AccountID: a.ID, Symbol: "AAPL", Side: st.req.Side, Quantity: st.req.Quantity,
			Price: st.price, Amount: st.price * st.req.Quantity, CashAfter: st.cashAfter, Time: clock.Now()}
		if tr != want || tr.ID != int64(i+1) {
			t.Fatalf("%s: trade = %+v, want %+v", st.name, tr, want)
		}
		got := takeSnapshot(t, s, a.ID)
		wantPos := []Position{}
		if st.position.Quantity != 0 {
			wantPos = []Position{st.position}
			if got := st.position.AvgCost(); got != st.avgCost {
				t.Errorf("%s: avg cost = %d, want %d", st.name, got, st.avgCost)
			}
		}
		if want := (snapshot{st.cashAfter, wantPos, i + 1}); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: state = %+v, want %+v", st.name, got, want)
		}
	}
	if cash, _ := s.Cash(ctx, a.ID); cash != 9_993_875 {
		t.Fatalf("final cash %d", cash)
	}
}

func TestTradeErrorsChangeNothing(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	a := mustRegister(t, s, "alice")
	prices := newFakePrices()
	prices.set("AAPL", 18712, 18659)
	prices.set("MSFT", 41000, 40000)
	prices.set("HUGE", math.MaxInt64/2, 1)
	prices.set("ZERO", 0, 0)
	if _, err := s.PlaceTrade(ctx, a.ID, TradeRequest{"AAPL", Buy, 7}, prices, prices); err != nil {
		t.Fatal(err)
	}
	// A trigger makes the last statement of a trade fail, after cash and
	// position were already updated inside the transaction.
	if _, err := s.writer.Exec(`CREATE TRIGGER boom BEFORE INSERT ON trades WHEN NEW.symbol = 'MSFT'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name      string
		ctx       context.Context
		accountID int64
		req       TradeRequest
		code      string // "" means an internal error
		field     string
		msg       []string
	}{
		{"bad side", ctx, a.ID, TradeRequest{"AAPL", "hold", 1}, CodeInvalidSide, "side", nil},
		{"empty side", ctx, a.ID, TradeRequest{"AAPL", "", 1}, CodeInvalidSide, "side", nil},
		{"zero quantity", ctx, a.ID, TradeRequest{"AAPL", Buy, 0}, CodeInvalidQuantity, "quantity", nil},
		{"negative quantity", ctx, a.ID, TradeRequest{"AAPL", Sell, -1}, CodeInvalidQuantity, "quantity", nil},
		{"too many shares", ctx, a.ID, TradeRequest{"AAPL", Buy, MaxTradeQuantity + 1}, CodeInvalidQuantity, "quantity", nil},
		{"overflowing amount", ctx, a.ID, TradeRequest{"HUGE", Buy, 3}, CodeInvalidQuantity, "quantity", nil},
		{"unknown symbol", ctx, a.ID, TradeRequest{"ZZZZ", Buy, 1}, CodeUnknownSymbol, "symbol", []string{"ZZZZ"}},
		{"malformed symbol", ctx, a.ID, TradeRequest{"A'; DROP", Buy, 1}, CodeUnknownSymbol, "symbol", nil},
		{"empty symbol", ctx, a.ID, TradeRequest{"", Buy, 1}, CodeUnknownSymbol, "symbol", nil},
		{"zero price", ctx, a.ID, TradeRequest{"ZERO", Buy, 1}, CodeUnknownSymbol, "symbol", nil},
		{"insufficient cash", ctx, a.ID, TradeRequest{"AAPL", Buy, 600}, CodeInsufficientCash, "",
			[]string{"$112,272.00", "$98,690.16"}},
		{"insufficient shares", ctx, a.ID, TradeRequest{"AAPL", Sell, 8}, CodeInsufficientShares, "quantity",
			[]string{"8", "holding 7"}},
		{"sell not held", ctx, a.ID, TradeRequest{"MSFT", Sell, 1}, CodeInsufficientShares, "quantity", nil},
		{"unknown account", ctx, a.ID + 100, TradeRequest{"AAPL", Buy, 1}, CodeNotFound, "", nil},
		{"cancelled context", cancelled, a.ID, TradeRequest{"AAPL", Buy, 1}, "", "", nil},
		{"failure after partial writes", ctx, a.ID, TradeRequest{"MSFT", Buy, 2}, "", "", []string{"boom"}},
	}
	before := takeSnapshot(t, s, a.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := s.PlaceTrade(tt.ctx, tt.accountID, tt.req, prices, prices)
			if err == nil {
				t.Fatalf("trade filled: %+v", tr)
			}
			if tt.code == "" {
				if ErrorCode(err) != CodeInternal {
					t.Fatalf("error %v has code %s, want internal", err, ErrorCode(err))
				}
			} else {
				wantCode(t, err, tt.code, tt.field)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q lacks %q", err, m)
				}
			}
			if after := takeSnapshot(t, s, a.ID); !reflect.DeepEqual(after, before) {
				t.Fatalf("state changed: %+v, was %+v", after, before)
			}
		})
	}
}

func TestSoldBasis(t *testing.T) {
	tests := []struct{ basis, qty, held, want int64 }{
		{100, 1, 3, 33},  // 33.33
		{200, 1, 3, 67},  // 66.67
		{1, 1, 2, 1},     // 0.5 rounds up
		{3, 1, 2, 2},     // 1.5
		{150, 1, 2, 75},  // exact
		{101, 3, 3, 101}, // everything
		{0, 1, 5, 0},     // free shares
		{282125, 4, 15, 75233},
	}
	for _, tt := range tests {
		if got := soldBasis(tt.basis, tt.qty, tt.held); got != tt.want {
			t.Errorf("soldBasis(%d, %d, %d) = %d, want %d", tt.basis, tt.qty, tt.held, got, tt.want)
		}
	}
	// Products beyond 64 bits are still exact.
	basis, qty, held := int64(math.MaxInt64/3), int64(999_999), int64(1_000_000)
	num := new(big.Int).Mul(big.NewInt(basis), big.NewInt(qty))
	num.Add(num, big.NewInt(held/2))
	want := num.Quo(num, big.NewInt(held)).Int64()
	if got := soldBasis(basis, qty, held); got != want {
		t.Errorf("large soldBasis = %d, want %d", got, want)
	}
}

func TestFormatDollars(t *testing.T) {
	tests := map[int64]string{
		0: "$0.00", 5: "$0.05", 99: "$0.99", 100: "$1.00", 123456: "$1,234.56",
		10_000_000: "$100,000.00", 100_000_000_000: "$1,000,000,000.00", -250: "-$2.50",
	}
	for cents, want := range tests {
		if got := formatDollars(cents); got != want {
			t.Errorf("formatDollars(%d) = %q, want %q", cents, got, want)
		}
	}
}

// TestTradeAtTheLimits: a buy that costs exactly the account's cash fills
// and leaves it at zero, and selling exactly the shares held fills and
// removes the position; one cent or one share beyond is refused.
func TestTradeAtTheLimits(t *testing.T) {
	type fill struct {
		req   TradeRequest
		price int64
	}
	tests := []struct {
		name      string
		before    []fill // filled first, at their prices
		trade     fill
		code      string // "" means the trade fills
		cash      int64  // afterwards
		positions []Position
	}{
		{"buy with exactly all the cash", nil,
			fill{TradeRequest{"AAPL", Buy, 800}, 12_500}, "",
			0, []Position{todays("AAPL", 800, DefaultStartingCash, DefaultStartingCash)}},
		{"buy one cent beyond the cash", nil,
			fill{TradeRequest{"AAPL", Buy, 1}, DefaultStartingCash + 1}, CodeInsufficientCash,
			DefaultStartingCash, []Position{}},
		{"spend the last cent", []fill{{TradeRequest{"AAPL", Buy, 1}, DefaultStartingCash - 1}},
			fill{TradeRequest{"KO", Buy, 1}, 1}, "",
			0, []Position{todays("AAPL", 1, DefaultStartingCash-1, DefaultStartingCash-1), todays("KO", 1, 1, 1)}},
		{"sell exactly all the shares", []fill{{TradeRequest{"AAPL", Buy, 7}, 18_712}},
			fill{TradeRequest{"AAPL", Sell, 7}, 19_000}, "",
			DefaultStartingCash - 7*18_712 + 7*19_000, []Position{}},
		{"sell one share beyond the position", []fill{{TradeRequest{"AAPL", Buy, 7}, 18_712}},
			fill{TradeRequest{"AAPL", Sell, 8}, 19_000}, CodeInsufficientShares,
			DefaultStartingCash - 7*18_712, []Position{todays("AAPL", 7, 7*18_712, 7*18_712)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpenStore(t)
			a := mustRegister(t, s, "alice")
			prices := newFakePrices()
			for _, f := range tt.before {
				prices.set(f.req.Symbol, f.price, f.price)
				if _, err := s.PlaceTrade(ctx, a.ID, f.req, prices, prices); err != nil {
					t.Fatalf("setup %+v: %v", f.req, err)
				}
			}
			prices.set(tt.trade.req.Symbol, tt.trade.price, tt.trade.price)
			tr, err := s.PlaceTrade(ctx, a.ID, tt.trade.req, prices, prices)
			switch {
			case tt.code != "":
				wantCode(t, err, tt.code, "")
			case err != nil:
				t.Fatalf("refused: %v", err)
			case tr.CashAfter != tt.cash:
				t.Fatalf("trade's cash_after = %d, want %d", tr.CashAfter, tt.cash)
			}
			want := snapshot{tt.cash, tt.positions, len(tt.before)}
			if tt.code == "" {
				want.Trades++
			}
			if got := takeSnapshot(t, s, a.ID); !reflect.DeepEqual(got, want) {
				t.Fatalf("state = %+v, want %+v", got, want)
			}
		})
	}
}

// TestNormalizeSymbol: tickers are ASCII. Only ASCII letters are
// upper-cased and only ASCII white space trimmed, so no Unicode folding turns
// a foreign name into a listed ticker ("ıbm" would be "IBM" under
// strings.ToUpper).
func TestNormalizeSymbol(t *testing.T) {
	tests := []struct {
		in, want string
		valid    bool
	}{
		{"aapl", "AAPL", true},
		{" brk.b\t", "BRK.B", true},
		{"ıbm", "ıBM", false},             // U+0131 dotless i
		{"\u00a0IBM", "\u00a0IBM", false}, // no-break space is not trimmed
		{"ＩＢＭ", "ＩＢＭ", false},             // fullwidth letters
		{"ibm\u017f", "IBM\u017f", false}, // long s
		{"i\u0307bm", "I\u0307BM", false}, // combining dot above
		{"", "", false},
	}
	for _, tt := range tests {
		got := NormalizeSymbol(tt.in)
		if got != tt.want || ValidSymbol(got) != tt.valid {
			t.Errorf("NormalizeSymbol(%q) = %q (valid %v), want %q (valid %v)",
				tt.in, got, ValidSymbol(got), tt.want, tt.valid)
		}
	}
}
