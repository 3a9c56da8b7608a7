package wire

import (
	"strconv"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// Position is the wire form of one valued holding.
type Position struct {
	Symbol          string  `json:"symbol"`
	Quantity        int64   `json:"quantity"`
	AvgCost         Money   `json:"avg_cost"`
	LastPrice       Money   `json:"last_price"`
	PrevClose       Money   `json:"prev_close"`
	MarketValue     Money   `json:"market_value"`
	CostBasis       Money   `json:"cost_basis"`
	UnrealizedPL    Money   `json:"unrealized_pl"`
	UnrealizedPLPct Percent `json:"unrealized_pl_pct"`
	DayChange       Money   `json:"day_change"`
	DayChangePct    Percent `json:"day_change_pct"`
}

// Portfolio is the wire form of a valuation, shared by GET /api/v1/portfolio
// and the streams' "portfolio" payload.
type Portfolio struct {
	Cash            Money      `json:"cash"`
	MarketValue     Money      `json:"market_value"`
	TotalValue      Money      `json:"total_value"`
	CostBasis       Money      `json:"cost_basis"`
	UnrealizedPL    Money      `json:"unrealized_pl"`
	UnrealizedPLPct Percent    `json:"unrealized_pl_pct"`
	DayChange       Money      `json:"day_change"`
	DayChangePct    Percent    `json:"day_change_pct"`
	AsOf            string     `json:"as_of"`
	Positions       []Position `json:"positions"`
}

// FromValuation converts a valuation to its wire form. Positions is never
// nil, so it encodes as an array.
func FromValuation(v portfolio.Valuation) Portfolio {
	out := Portfolio{
		Cash:            Money(v.Cash),
		MarketValue:     Money(v.MarketValue),
		TotalValue:      Money(v.TotalValue),
		CostBasis:       Money(v.CostBasis),
		UnrealizedPL:    Money(v.UnrealizedPL),
		UnrealizedPLPct: Percent(v.UnrealizedBP),
		DayChange:       Money(v.DayChange),
		DayChangePct:    Percent(v.DayChangeBP),
		AsOf:            Time(v.AsOf),
		Positions:       make([]Position, 0, len(v.Positions)),
	}
	for _, p := range v.Positions {
		out.Positions = append(out.Positions, Position{
			Symbol:          p.Symbol,
			Quantity:        p.Quantity,
			AvgCost:         Money(p.AvgCost),
			LastPrice:       Money(p.LastPrice),
			PrevClose:       Money(p.PrevClose),
			MarketValue:     Money(p.MarketValue),
			CostBasis:       Money(p.CostBasis),
			UnrealizedPL:    Money(p.UnrealizedPL),
			UnrealizedPLPct: Percent(p.UnrealizedBP),
			DayChange:       Money(p.DayChange),
			DayChangePct:    Percent(p.DayChangeBP),
		})
	}
	return out
}

// AppendJSON appends p as encoding/json would encode it, without
// reflection: GET /api/v1/portfolio answers with it on every request and
// the portfolio channel on every revaluation. TestPortfolioAppendJSON holds
// the two byte-for-byte equal for the strings a portfolio holds (symbols and
// timestamps); other strings are escaped differently (no HTML escaping) but
// decode to the same value.
func (p *Portfolio) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"cash":`...)
	dst = feed.AppendCents(dst, int64(p.Cash))
	dst = append(dst, `,"market_value":`...)
	dst = feed.AppendCents(dst, int64(p.MarketValue))
	dst = append(dst, `,"total_value":`...)
	dst = feed.AppendCents(dst, int64(p.TotalValue))
	dst = append(dst, `,"cost_basis":`...)
	dst = feed.AppendCents(dst, int64(p.CostBasis))
	dst = append(dst, `,"unrealized_pl":`...)
	dst = feed.AppendCents(dst, int64(p.UnrealizedPL))
	dst = append(dst, `,"unrealized_pl_pct":`...)
	dst = feed.AppendCents(dst, int64(p.UnrealizedPLPct))
	dst = append(dst, `,"day_change":`...)
	dst = feed.AppendCents(dst, int64(p.DayChange))
	dst = append(dst, `,"day_change_pct":`...)
	dst = feed.AppendCents(dst, int64(p.DayChangePct))
	dst = append(dst, `,"as_of":`...)
	dst = AppendString(dst, p.AsOf)
	dst = append(dst, `,"positions":`...)
	if p.Positions == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range p.Positions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = p.Positions[i].AppendJSON(dst)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// AppendJSON appends q as encoding/json would encode it (see
// Portfolio.AppendJSON).
func (q *Position) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"symbol":`...)
	dst = AppendString(dst, q.Symbol)
	dst = append(dst, `,"quantity":`...)
	dst = strconv.AppendInt(dst, q.Quantity, 10)
	dst = append(dst, `,"avg_cost":`...)
	dst = feed.AppendCents(dst, int64(q.AvgCost))
	dst = append(dst, `,"last_price":`...)
	dst = feed.AppendCents(dst, int64(q.LastPrice))
	dst = append(dst, `,"prev_close":`...)
	dst = feed.AppendCents(dst, int64(q.PrevClose))
	dst = append(dst, `,"market_value":`...)
	dst = feed.AppendCents(dst, int64(q.MarketValue))
	dst = append(dst, `,"cost_basis":`...)
	dst = feed.AppendCents(dst, int64(q.CostBasis))
	dst = append(dst, `,"unrealized_pl":`...)
	dst = feed.AppendCents(dst, int64(q.UnrealizedPL))
	dst = append(dst, `,"unrealized_pl_pct":`...)
	dst = feed.AppendCents(dst, int64(q.UnrealizedPLPct))
	dst = append(dst, `,"day_change":`...)
	dst = feed.AppendCents(dst, int64(q.DayChange))
	dst = append(dst, `,"day_change_pct":`...)
	dst = feed.AppendCents(dst, int64(q.DayChangePct))
	return append(dst, '}')
}
