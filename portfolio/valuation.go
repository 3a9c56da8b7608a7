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

// Position is a holding of one symbol.
type Position struct {
	Symbol    string
	Quantity  int64
	CostBasis int64 // total cost of the shares held, cents
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
	DayChange    int64 // (LastPrice-PrevClose)*Quantity
	DayChangeBP  int64 // basis points of PrevClose*Quantity
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
	DayChangeBP  int64           // basis points of yesterday's total value, TotalValue-DayChange
	Positions    []PositionValue // sorted by symbol
	AsOf         time.Time
}

// Value values cash and positions at prices' latest prices. A position whose
// price is missing is valued at its average cost with no day change. All
// figures are exact integer cents; ratios are rounded half away from zero.
func Value(cash int64, positions []Position, prices PriceSource, asOf time.Time) Valuation {
	v := Valuation{Cash: cash, Positions: make([]PositionValue, 0, len(positions)), AsOf: asOf}
	var prevValue int64
	for _, p := range positions {
		pv := valuePosition(p, prices)
		v.Positions = append(v.Positions, pv)
		v.MarketValue += pv.MarketValue
		v.CostBasis += pv.CostBasis
		v.UnrealizedPL += pv.UnrealizedPL
		v.DayChange += pv.DayChange
		prevValue += pv.PrevClose * pv.Quantity
	}
	sort.Slice(v.Positions, func(i, j int) bool { return v.Positions[i].Symbol < v.Positions[j].Symbol })
	v.TotalValue = v.Cash + v.MarketValue
	v.UnrealizedBP = ratioBP(v.UnrealizedPL, v.CostBasis)
	v.DayChangeBP = ratioBP(v.DayChange, v.TotalValue-v.DayChange)
	return v
}

func valuePosition(p Position, prices PriceSource) PositionValue {
	pv := PositionValue{Symbol: p.Symbol, Quantity: p.Quantity, CostBasis: p.CostBasis, AvgCost: p.AvgCost()}
	last, prev, ok := prices.LastPrice(p.Symbol)
	if !ok || last <= 0 {
		last, prev = pv.AvgCost, pv.AvgCost
	}
	if prev <= 0 {
		prev = last
	}
	pv.LastPrice, pv.PrevClose = last, prev
	pv.MarketValue = last * p.Quantity
	pv.UnrealizedPL = pv.MarketValue - p.CostBasis
	pv.UnrealizedBP = ratioBP(pv.UnrealizedPL, p.CostBasis)
	pv.DayChange = (last - prev) * p.Quantity
	pv.DayChangeBP = ratioBP(pv.DayChange, prev*p.Quantity)
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
