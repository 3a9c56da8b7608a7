package feed

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"time"
)

// The random walk. Each symbol's log-price follows a geometric Brownian
// motion driven by a shared market factor and its own noise:
//
//	r = (mu - sigma²/2)·dt + sigma·(beta·dWm + sqrt(1-beta²)·Zi·sqrt(dt))
//
// where dt is the simulated time since the symbol's previous tick, in years,
// dWm is the market factor's increment over that same interval and Zi is a
// standard normal draw. Volatility and drift are annualised over a trading
// year of 252 sessions of 6.5 hours, so one simulated 6.5-hour stretch moves
// like a real trading day; the simulated market trades around the clock.
//
// Ticks of each symbol arrive as a Poisson process. All events are processed
// strictly in simulated-time order from a single PCG generator seeded from
// the seed, so the path depends only on the seed, never on when the process
// wakes up. Floats live only here; every price that leaves is whole cents.

// tradingYear is the simulated duration over which volatility and drift are
// annualised.
const tradingYear = 252 * 6.5 * 3600 * float64(time.Second)

// meanTickShares is the mean size of one tick's volume, in shares.
const meanTickShares = 250

// PCG stream constants, so the live path and the back-fill draw from
// independent generators derived from the same seed.
const (
	pcgStreamLive     = 0x7469636b6c697665 // "tick live"
	pcgStreamBackfill = 0x6261636b66696c6c // "backfill"
)

// sectorBeta is each sector's loading on the market factor; two symbols'
// returns correlate by the product of their loadings (about 0.4 to 0.56).
var sectorBeta = map[string]float64{
	"Technology":             0.75,
	"Financials":             0.75,
	"Communication Services": 0.72,
	"Consumer Discretionary": 0.72,
	"Industrials":            0.72,
	"Materials":              0.70,
	"Energy":                 0.65,
	"Health Care":            0.65,
	"Real Estate":            0.65,
	"Consumer Staples":       0.63,
	"Utilities":              0.63,
}

const defaultBeta = 0.7

// walkParams are the constant parameters of one symbol's walk.
type walkParams struct {
	drift float64 // (mu - sigma²/2), per year
	sigma float64
	beta  float64
	idio  float64 // sqrt(1 - beta²)
}

func newWalkParams(s Symbol) walkParams {
	beta, ok := sectorBeta[s.Sector]
	if !ok {
		beta = defaultBeta
	}
	return walkParams{
		drift: s.Drift - s.Volatility*s.Volatility/2,
		sigma: s.Volatility,
		beta:  beta,
		idio:  math.Sqrt(1 - beta*beta),
	}
}

// symbolWalk is the simulation's private state of one symbol.
type symbolWalk struct {
	walkParams
	logPrice   float64       // natural log of the price in cents
	lastAt     time.Duration // simulated time of the previous tick
	lastFactor float64       // market factor at lastAt
}

// marketSim owns the random walk and the schedule of ticks. It is not safe
// for concurrent use; Market guards it with simMu.
type marketSim struct {
	rng      *rand.Rand
	rate     float64       // ticks per symbol per simulated second
	now      time.Duration // simulated time since the market's start
	factor   float64       // market factor W(factorAt), in sqrt(years)
	factorAt time.Duration
	walks    []symbolWalk
	events   tickHeap

	sc     *scenarioRun // nil without a scenario
	status []simTick    // status changes due before the next tick, in order
}

// simTick is one tick as the walk produced it, or (change) a change of
// the symbol's trading status.
type simTick struct {
	sym    int
	at     time.Duration // simulated time since the market's start
	price  int64         // cents
	volume int64         // shares
	status QuoteStatus   // with change: the new status
	change bool
}

// newMarketSim starts the walk of syms; sc, when not nil, is the planned
// scenario.
func newMarketSim(syms []Symbol, seed int64, rate float64, sc *scenarioRun) *marketSim {
	s := &marketSim{
		rng:    rand.New(rand.NewPCG(uint64(seed), pcgStreamLive)),
		rate:   rate,
		walks:  make([]symbolWalk, len(syms)),
		events: make(tickHeap, 0, len(syms)),
		sc:     sc,
	}
	for i, sym := range syms {
		s.walks[i] = symbolWalk{walkParams: newWalkParams(sym), logPrice: math.Log(float64(sym.Price))}
		s.events = append(s.events, tickEvent{at: s.interarrival(i), sym: i})
	}
	heap.Init(&s.events)
	return s
}

// interarrival draws the simulated time until symbol i's next tick.
func (s *marketSim) interarrival(i int) time.Duration {
	rate := s.rate
	if s.sc != nil {
		rate = min(rate*s.sc.rateMult[i], MaxTicksPerSecond)
	}
	d := time.Duration(s.rng.ExpFloat64() / rate * float64(time.Second))
	return max(d, 1)
}

// nextAt returns the simulated time of the next scheduled tick, scenario
// transition or status change.
func (s *marketSim) nextAt() time.Duration {
	if len(s.status) > 0 {
		return s.now
	}
	at := s.events[0].at
	if s.sc != nil {
		if t, ok := s.sc.nextAt(); ok {
			at = min(at, t)
		}
	}
	return at
}

// next produces the earliest tick or status change due at or before until
// and reports whether there was one. When there is none it moves the clock
// to until. Scenario transitions due at the same time as a tick come first.
func (s *marketSim) next(until time.Duration) (simTick, bool) {
	for {
		if len(s.status) > 0 {
			tk := s.status[0]
			s.status = s.status[1:]
			if len(s.status) == 0 {
				s.status = nil
			}
			return tk, true
		}
		ev := s.events[0]
		if s.sc != nil {
			if at, ok := s.sc.nextAt(); ok && at <= ev.at && at <= until {
				s.sc.applyNext(s)
				continue
			}
		}
		if ev.at > until {
			s.now = max(s.now, until)
			return simTick{}, false
		}
		return s.tick(ev), true
	}
}

// tick moves ev's symbol one step and schedules its next tick.
func (s *marketSim) tick(ev tickEvent) simTick {
	s.now = ev.at
	s.advanceFactor(ev.at)

	w := &s.walks[ev.sym]
	dt := float64(ev.at-w.lastAt) / tradingYear
	dWm := s.factor - w.lastFactor
	drift, sigma, extra := w.drift, w.sigma, 0.0
	if s.sc != nil {
		if m := s.sc.volMult[ev.sym]; m != 1 {
			drift += sigma * sigma * (1 - m*m) / 2 // keep the mean: mu - (m·sigma)²/2
			sigma *= m
		}
		extra = s.sc.shockMove(ev.sym, w.lastAt, ev.at) + s.sc.takeGap(ev.sym)
	}
	r := drift*dt + sigma*(w.beta*dWm+w.idio*s.rng.NormFloat64()*math.Sqrt(dt)) + extra
	w.logPrice += r
	w.lastAt, w.lastFactor = ev.at, s.factor
	price := snapCents(math.Exp(w.logPrice))
	volume := 1 + int64(s.rng.ExpFloat64()*meanTickShares)

	s.events[0].at = ev.at + s.interarrival(ev.sym)
	heap.Fix(&s.events, 0)
	return simTick{sym: ev.sym, at: ev.at, price: price, volume: volume}
}

// advanceFactor moves the market factor's Brownian path forward to at.
func (s *marketSim) advanceFactor(at time.Duration) {
	if at <= s.factorAt {
		return
	}
	dt := float64(at-s.factorAt) / tradingYear
	s.factor += s.rng.NormFloat64() * math.Sqrt(dt)
	s.factorAt = at
}

// tickEvent is a symbol's next scheduled tick.
type tickEvent struct {
	at  time.Duration
	sym int
}

// tickHeap is a min-heap of tickEvents by time, then symbol index, so that
// the processing order is fully determined.
type tickHeap []tickEvent

func (h tickHeap) Len() int { return len(h) }
func (h tickHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].sym < h[j].sym
}
func (h tickHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *tickHeap) Push(x any)   { *h = append(*h, x.(tickEvent)) }
func (h *tickHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
