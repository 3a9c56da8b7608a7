package feed

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

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
// Publish must not block on any consumer. The batch slice and its quotes are
// only valid during the call: the market reuses the memory for the next
// batch, so an implementation that keeps quotes must copy them.
// The in-process Hub implements it; a broker that fans out across nodes will
// implement it too.
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

	// SeqBase is every symbol's seq before its first tick (0 by default).
	// A market that replaces another one on the same subjects (a restarted
	// cluster core) starts above the seqs the old one published, so that
	// consumers that drop older seqs keep accepting its ticks.
	SeqBase uint64

	// Start is the simulated clock's reading at NewMarket; the zero value
	// means time.Now(). The price path does not depend on it; day boundaries
	// and candle times do (and, for events given as times of day, when a
	// scenario's events happen).
	Start time.Time

	// Scenario, when not nil, is applied in simulated time from Start; it
	// must name only symbols and sectors of Symbols (see Scenario.Check).
	Scenario *Scenario
}

// Defaults and bounds of MarketConfig.
const (
	DefaultTicksPerSecond = 2.0
	MaxTicksPerSecond     = 1000.0
	MaxSpeed              = 100000.0
)

// ErrMarketStarted is returned by a second call of Market.Run.
var ErrMarketStarted = errors.New("feed: market already started")

// Market simulates prices for a universe of symbols. Its read methods are
// safe for concurrent use with each other and with Run; they take a
// per-symbol read lock and never wait for a whole batch.
type Market struct {
	symbols []Symbol       // sorted by ticker; never modified
	index   map[string]int // ticker → position in symbols and tapes
	tapes   []symbolTape   // parallel to symbols
	pub     Publisher
	speed   float64
	rate    float64
	startNS int64 // simulated clock at NewMarket, Unix nanoseconds
	// maxStall is the longest stall beyond its planned sleep that one step
	// of Run catches up: the constant, but for tests.
	maxStall time.Duration

	scenario *Scenario        // nil without one; never modified
	plan     []ScheduledEvent // the scenario's events on the clock, by start; never modified

	simMu sync.Mutex // serialises Run's steps and Advance
	sim   *marketSim // guarded by simMu

	simNowNS atomic.Int64 // simulated clock after the last step, Unix nanoseconds
	ticks    atomic.Uint64
	lagNS    atomic.Int64 // simulated time lost to stalls Run did not catch up, ns
	started  atomic.Bool
	running  atomic.Bool
}

// symbolTape is the published state of one symbol: its latest quote and its
// minute candles. The simulation writes it; readers take mu.RLock.
type symbolTape struct {
	mu      sync.RWMutex
	quote   Quote
	day     int64 // simulated UTC day (days since the Unix epoch) of quote
	candles candleRing
}

// NewMarket validates cfg and returns a market whose quotes are at their
// starting values (price, previous close, open, high and low all equal the
// symbol's Price; volume 0, seq SeqBase); nothing moves until Run or Advance.
// The last six hours of minute candles are back-filled (see Candles).
func NewMarket(cfg MarketConfig) (*Market, error) {
	if len(cfg.Symbols) == 0 {
		return nil, errors.New("new market: empty universe")
	}
	speed, rate := cfg.Speed, cfg.TicksPerSecond
	if speed == 0 {
		speed = 1
	}
	if rate == 0 {
		rate = DefaultTicksPerSecond
	}
	if !(speed > 0 && speed <= MaxSpeed) {
		return nil, fmt.Errorf("new market: speed must be in (0, %v], got %v", MaxSpeed, cfg.Speed)
	}
	if !(rate > 0 && rate <= MaxTicksPerSecond) {
		return nil, fmt.Errorf("new market: ticks per second must be in (0, %v], got %v",
			MaxTicksPerSecond, cfg.TicksPerSecond)
	}

	syms := append([]Symbol(nil), cfg.Symbols...)
	sort.Slice(syms, func(i, j int) bool { return syms[i].Ticker < syms[j].Ticker })
	index := make(map[string]int, len(syms))
	for i, s := range syms {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("new market: %w", err)
		}
		if _, dup := index[s.Ticker]; dup {
			return nil, fmt.Errorf("new market: duplicate ticker %q", s.Ticker)
		}
		index[s.Ticker] = i
	}

	start := cfg.Start
	if start.IsZero() {
		start = time.Now()
	}
	var run *scenarioRun
	if cfg.Scenario != nil {
		if err := cfg.Scenario.Check(syms); err != nil {
			return nil, fmt.Errorf("new market: %w", err)
		}
		run = newScenarioRun(cfg.Scenario, syms, start.UnixNano())
	}
	m := &Market{
		symbols:  syms,
		index:    index,
		tapes:    make([]symbolTape, len(syms)),
		pub:      cfg.Publisher,
		speed:    speed,
		rate:     rate,
		startNS:  start.UnixNano(),
		maxStall: maxStall,
		sim:      newMarketSim(syms, cfg.Seed, rate, run),
		scenario: cfg.Scenario,
	}
	if run != nil {
		m.plan = planOf(run, start)
	}
	m.simNowNS.Store(m.startNS)
	nowMS := time.Now().UnixMilli()
	day := unixDay(start.UnixMilli())
	for i, s := range syms {
		t := &m.tapes[i]
		t.quote = Quote{Symbol: s.Ticker, Price: s.Price, PrevClose: s.Price,
			Open: s.Price, High: s.Price, Low: s.Price, TS: nowMS, Seq: cfg.SeqBase}
		t.day = day
	}
	m.backfill(cfg.Seed, rate)
	return m, nil
}

// Symbols returns a copy of the universe in a stable order (by ticker).
func (m *Market) Symbols() []Symbol {
	return append([]Symbol(nil), m.symbols...)
}

// Lookup returns the symbol with the given ticker (exact, upper case).
func (m *Market) Lookup(ticker string) (Symbol, bool) {
	i, ok := m.index[ticker]
	if !ok {
		return Symbol{}, false
	}
	return m.symbols[i], true
}

// Quote returns the latest quote of a symbol.
func (m *Market) Quote(ticker string) (Quote, bool) {
	i, ok := m.index[ticker]
	if !ok {
		return Quote{}, false
	}
	return m.tapes[i].load(), true
}

// Quotes returns the latest quotes of the given tickers, in the given order,
// skipping tickers that are not in the universe.
func (m *Market) Quotes(tickers []string) []Quote {
	out := make([]Quote, 0, len(tickers))
	for _, t := range tickers {
		if i, ok := m.index[t]; ok {
			out = append(out, m.tapes[i].load())
		}
	}
	return out
}

// AllQuotes returns the latest quote of every symbol, by ticker.
func (m *Market) AllQuotes() []Quote {
	out := make([]Quote, len(m.tapes))
	for i := range m.tapes {
		out[i] = m.tapes[i].load()
	}
	return out
}

// LastPrice returns the latest price and previous close in cents.
// It satisfies portfolio.PriceSource.
func (m *Market) LastPrice(ticker string) (price, prevClose int64, ok bool) {
	i, ok := m.index[ticker]
	if !ok {
		return 0, 0, false
	}
	t := &m.tapes[i]
	t.mu.RLock()
	price, prevClose = t.quote.Price, t.quote.PrevClose
	t.mu.RUnlock()
	return price, prevClose, true
}

// Now returns the market's simulated clock as of its last step. With Speed 1
// it follows the wall clock while Run is in progress.
func (m *Market) Now() time.Time {
	return time.Unix(0, m.simNowNS.Load())
}

// SessionDay returns the current session: the UTC day of the simulated
// clock (Now), in days since the Unix epoch. A symbol's quote rolls its
// PrevClose over at its first tick of a new day. It satisfies
// portfolio.SessionClock.
func (m *Market) SessionDay() int64 {
	return unixDay(m.simNowNS.Load() / int64(time.Millisecond))
}

// Ticks returns the number of ticks produced since NewMarket.
func (m *Market) Ticks() uint64 { return m.ticks.Load() }

// Candles returns the minute candles of a symbol whose start lies in
// [from, to), oldest first, including the current (still open) minute.
// Candle times are simulated time. At most the last 480 minutes are kept;
// NewMarket back-fills the six hours before its start with a path ending at
// each symbol's starting price.
func (m *Market) Candles(ticker string, from, to time.Time) ([]Candle, bool) {
	i, ok := m.index[ticker]
	if !ok {
		return nil, false
	}
	t := &m.tapes[i]
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.candles.appendRange(nil, from.UnixMilli(), to.UnixMilli()), true
}

func (t *symbolTape) load() Quote {
	t.mu.RLock()
	q := t.quote
	t.mu.RUnlock()
	return q
}

// unixDay returns the UTC day number (days since the Unix epoch) of a time
// in Unix milliseconds.
func unixDay(ms int64) int64 {
	return floorDiv(ms, 24*60*60*1000)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// snapCents puts a price given as a float number of cents onto the cent
// grid, never below one cent.
func snapCents(c float64) int64 {
	if !(c >= 1) { // also NaN
		return 1
	}
	if c >= math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(math.Round(c))
}
