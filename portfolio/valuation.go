package portfolio

import (
	"sort"
	"time"
)

// PriceSource gives the latest price of a symbol. feed.Market implements it.
type PriceSource interface {
	// LastPrice returns the latest price and the previous close, in cents.
	LastPrice(symbol string) (price, prevClose int64, ok bool)
}

// SessionClock names the market's current trading session. feed.Market
// implements it. Fills record the session they happen in, and a valuation
// counts them as today's only while that session is still the current one.
type SessionClock interface {
	// SessionDay returns the current session's key: the day of the
	// market's clock (UTC), in days since the Unix epoch. It never goes
	// back. 0 means the session is not known: every position then changes
	// from the previous close.
	SessionDay() int64
}

// Position is a holding of one symbol.
type Position struct {
	Symbol    string
	Quantity  int64
	CostBasis int64 // total cost of the shares held, cents

	// The position's fills in session DaySession (0: none recorded):
	// DayOpenQty shares were held before that session's first fill, and
	// DayNetCash is the cost of the session's buys minus the proceeds of
	// its sells, cents (negative when it sold more than it bought).
	DaySession int64
	DayOpenQty int64
	DayNetCash int64
}

// dayBasis is what the position's day change is measured from in session:
// the shares held at the session's start at prevClose plus today's net
// cash into the position, or Quantity*prevClose when it was not traded in
// session.
func (p Position) dayBasis(session, prevClose int64) int64 {
	if p.DaySession == 0 || p.DaySession != session {
		return p.Quantity * prevClose
	}
	return p.DayOpenQty*prevClose + p.DayNetCash
}

// AvgCost is the average cost per share in cents, rounded half up.
func (p Position) AvgCost() int64 { return roundDiv(p.CostBasis, p.Quantity) }

// PositionValue is a position valued at the latest price.
type PositionValue struct {
	Symbol       string
	Quantity     int64
	AvgCost      int64 // CostBasis/Quantity rounded, cents
	CostBasis    int64
	LastPrice    int64
	PrevClose    int64
	MarketValue  int64
	UnrealizedPL int64
	UnrealizedBP int64 // basis points of CostBasis
	DayChange    int64 // MarketValue - DayBasis
	DayChangeBP  int64 // basis points of DayBasis (0 when DayBasis <= 0)
	DayBasis     int64 // held at the session's start * PrevClose + today's buys - today's sells
}

// Valuation is an account's portfolio valued at the latest prices.
type Valuation struct {
	Cash         int64
	MarketValue  int64 // sum of positions
	TotalValue   int64 // Cash + MarketValue
	CostBasis    int64
	UnrealizedPL int64
	UnrealizedBP int64           // basis points of CostBasis
	DayChange    int64           // sum of the positions' day changes
	DayChangeBP  int64           // basis points of TotalValue-DayChange: the day's starting value, net of today's trades
	Positions    []PositionValue // sorted by symbol
	AsOf         time.Time
}

// Value values cash and positions at prices' latest prices. A position's
// day change is measured the brokers' way: from the previous close for the
// shares held when session (the market's current session, see
// SessionClock) began, and from their price for the shares bought in it,
// with the proceeds of its sales counted in; a position not traded in
// session changes by (LastPrice-PrevClose)*Quantity. A position whose price
// is missing is valued at its average cost with no day change. All figures
// are exact integer cents; ratios are rounded half away from zero.
func Value(cash int64, positions []Position, prices PriceSource, session int64, asOf time.Time) Valuation {
	v := Valuation{Cash: cash, Positions: make([]PositionValue, 0, len(positions)), AsOf: asOf}
	for _, p := range positions {
		pv := valuePosition(p, prices, session)
		v.Positions = append(v.Positions, pv)
		v.MarketValue += pv.MarketValue
		v.CostBasis += pv.CostBasis
		v.UnrealizedPL += pv.UnrealizedPL
		v.DayChange += pv.DayChange
	}
	sort.Slice(v.Positions, func(i, j int) bool { return v.Positions[i].Symbol < v.Positions[j].Symbol })
	v.TotalValue = v.Cash + v.MarketValue
	v.UnrealizedBP = ratioBP(v.UnrealizedPL, v.CostBasis)
	v.DayChangeBP = ratioBP(v.DayChange, v.TotalValue-v.DayChange)
	return v
}

func valuePosition(p Position, prices PriceSource, session int64) PositionValue {
	pv := PositionValue{Symbol: p.Symbol, Quantity: p.Quantity, CostBasis: p.CostBasis, AvgCost: p.AvgCost()}
	last, prev, ok := prices.LastPrice(p.Symbol)
	priced := ok && last > 0
	if !priced {
		last, prev = pv.AvgCost, pv.AvgCost
	}
	if prev <= 0 {
		prev = last
	}
	pv.LastPrice, pv.PrevClose = last, prev
	pv.MarketValue = last * p.Quantity
	pv.UnrealizedPL = pv.MarketValue - p.CostBasis
	pv.UnrealizedBP = ratioBP(pv.UnrealizedPL, p.CostBasis)
	pv.DayBasis = pv.MarketValue
	if priced {
		pv.DayBasis = p.dayBasis(session, prev)
	}
	pv.DayChange = pv.MarketValue - pv.DayBasis
	if pv.DayBasis > 0 {
		pv.DayChangeBP = ratioBP(pv.DayChange, pv.DayBasis)
	}
	return pv
}

// roundDiv returns num/den rounded half away from zero; 0 when den is 0.
func roundDiv(num, den int64) int64 {
	if den == 0 {
		return 0
	}
	neg := (num < 0) != (den < 0)
	if num < 0 {
		num = -num
	}
	if den < 0 {
		den = -den
	}
	q := num / den
	if (num%den)*2 >= den {
		q++
	}
	if neg {
		return -q
	}
	return q
}

// ratioBP returns num/den in basis points (1% = 100), rounded half away from
// zero, using integer arithmetic only. It returns 0 when den is 0. It is the
// same rounding as the feed's quote change percentages (feed.RatioBP).
func ratioBP(num, den int64) int64 { return roundDiv(num*10000, den) }
