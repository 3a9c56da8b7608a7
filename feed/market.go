package feed

import (
	"context"
	"time"
)

// CONTRACT STUB: the signatures below are fixed; the bodies are to be
// implemented (simulation, candles, universe loading).

// Symbol is one instrument of the simulated universe.
type Symbol struct {
	Ticker     string  `json:"symbol"`
	Name       string  `json:"name"`
	Sector     string  `json:"sector"`
	Price      int64   `json:"-"` // starting price (previous close on day one), cents
	Volatility float64 `json:"-"` // annualised volatility, e.g. 0.25
	Drift      float64 `json:"-"` // annualised drift, e.g. 0.05
}

// Candle is one minute of OHLC for a symbol. Prices are cents.
type Candle struct {
	Start  int64 `json:"t"` // Unix milliseconds at the start of the minute
	Open   int64 `json:"o"`
	High   int64 `json:"h"`
	Low    int64 `json:"l"`
	Close  int64 `json:"c"`
	Volume int64 `json:"v"`
}

// Publisher receives each batch of ticks the market produces, in order.
// Publish must not block on any consumer. The in-process Hub implements it;
// a broker that fans out across nodes will implement it too.
type Publisher interface {
	Publish(batch []Quote)
}

// MarketConfig configures a simulated market.
type MarketConfig struct {
	Symbols        []Symbol  // the universe, usually from LoadUniverse
	Seed           int64     // same seed, same price path
	Speed          float64   // simulated seconds per real second; 0 means 1
	TicksPerSecond float64   // mean ticks per symbol per simulated second; 0 means 2
	Publisher      Publisher // receives every batch of ticks; may be nil
}

// Market simulates prices for a universe of symbols.
type Market struct{}

// NewMarket validates cfg and returns a market whose quotes are at their
// starting values; nothing moves until Run.
func NewMarket(cfg MarketConfig) (*Market, error) { panic("unimplemented") }

// Run produces ticks until ctx is done. It returns ctx.Err().
func (m *Market) Run(ctx context.Context) error { panic("unimplemented") }

// Running reports whether Run is producing ticks (for readiness checks).
func (m *Market) Running() bool { panic("unimplemented") }

// Symbols returns the universe in a stable order (by ticker).
func (m *Market) Symbols() []Symbol { panic("unimplemented") }

// Lookup returns the symbol with the given ticker (exact, upper case).
func (m *Market) Lookup(ticker string) (Symbol, bool) { panic("unimplemented") }

// Quote returns the latest quote of a symbol.
func (m *Market) Quote(ticker string) (Quote, bool) { panic("unimplemented") }

// LastPrice returns the latest price and previous close in cents.
// It satisfies portfolio.PriceSource.
func (m *Market) LastPrice(ticker string) (price, prevClose int64, ok bool) {
	panic("unimplemented")
}

// Candles returns the minute candles of a symbol whose start lies in
// [from, to), oldest first, including the current (still open) minute.
func (m *Market) Candles(ticker string, from, to time.Time) ([]Candle, bool) {
	panic("unimplemented")
}
