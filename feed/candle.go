package feed

import (
	"math"
	"math/rand/v2"
	"time"
)

const (
	// CandleSlots is how many one-minute candles each symbol keeps (8 hours).
	CandleSlots = 480
	// BackfillSpan is the simulated history NewMarket generates.
	BackfillSpan = 6 * time.Hour
	// backfillStep is the sampling interval of the back-filled path.
	backfillStep = 10 * time.Second

	minuteMS = int64(time.Minute / time.Millisecond)
)

// candleRing holds a symbol's most recent minute candles in a fixed array
// indexed by minute number modulo CandleSlots; it never grows.
type candleRing struct {
	slots  [CandleSlots]Candle
	newest int64 // minute number (Unix minutes) of the newest candle
	filled bool  // whether any candle was added
}

// add records a trade at simMS (Unix milliseconds, simulated time).
// Trades must arrive in time order; one older than the newest minute
// updates its candle only if that is still held.
func (r *candleRing) add(simMS, price, volume int64) {
	minute := floorDiv(simMS, minuteMS)
	c := &r.slots[floorMod(minute, CandleSlots)]
	start := minute * minuteMS
	if !r.filled || minute > r.newest {
		r.newest, r.filled = minute, true
		*c = Candle{Start: start, Open: price, High: price, Low: price, Close: price, Volume: volume}
		return
	}
	if c.Start != start || c.Open == 0 {
		return // too old, or a minute that had no candle: history is not rewritten
	}
	c.High = max(c.High, price)
	c.Low = min(c.Low, price)
	c.Close = price
	c.Volume += volume
}

// appendRange appends the held candles whose start lies in [fromMS, toMS),
// oldest first.
func (r *candleRing) appendRange(dst []Candle, fromMS, toMS int64) []Candle {
	if !r.filled || fromMS >= toMS {
		return dst
	}
	lo := max(r.newest-CandleSlots+1, -floorDiv(-fromMS, minuteMS)) // ceil(from/minute)
	hi := min(r.newest, -floorDiv(-toMS, minuteMS)-1)               // last start < to
	for k := lo; k <= hi; k++ {
		c := &r.slots[floorMod(k, CandleSlots)]
		if c.Start == k*minuteMS && c.Open != 0 {
			dst = append(dst, *c)
		}
	}
	return dst
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// backfill fills the candles of the BackfillSpan before the market's start
// with the same kind of correlated walk, sampled every 10 simulated seconds,
// ending at each symbol's starting price: the walk is generated backwards
// from the start. It draws from its own generator derived from seed, so it
// neither depends on nor disturbs the live path.
func (m *Market) backfill(seed int64, rate float64) {
	const n = int(BackfillSpan / backfillStep)
	rng := rand.New(rand.NewPCG(uint64(seed), pcgStreamBackfill))
	dt := float64(backfillStep) / tradingYear
	sqdt := math.Sqrt(dt)

	factor := make([]float64, n) // market factor increment from step k to k+1
	for k := range factor {
		factor[k] = rng.NormFloat64() * sqdt
	}
	meanVolume := meanTickShares * rate * backfillStep.Seconds()
	prices := make([]int64, n)
	startMS := m.startNS / int64(time.Millisecond)
	stepMS := int64(backfillStep / time.Millisecond)
	for i, s := range m.symbols {
		p := newWalkParams(s)
		logPrice := math.Log(float64(s.Price)) // at the start
		for k := n - 1; k >= 0; k-- {
			r := p.drift*dt + p.sigma*(p.beta*factor[k]+p.idio*rng.NormFloat64()*sqdt)
			logPrice -= r // now the price at step k, BackfillSpan-k·step before start
			prices[k] = snapCents(math.Exp(logPrice))
		}
		t := &m.tapes[i]
		t.mu.Lock()
		for k, price := range prices {
			at := startMS - int64(n-k)*stepMS
			t.candles.add(at, price, 1+int64(rng.ExpFloat64()*meanVolume))
		}
		t.mu.Unlock()
	}
}
