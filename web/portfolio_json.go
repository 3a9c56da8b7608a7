package web

import (
	"strconv"

	"github.com/tickerd/tickerd/feed"
)

// AppendJSON appends p as encoding/json would encode it, without
// reflection: GET /api/v1/portfolio answers with it on every request and
// the portfolio channel on every revaluation. TestPortfolioAppendJSON holds
// the two byte-for-byte equal for the strings a portfolio holds (symbols and
// timestamps); other strings are escaped differently (no HTML escaping) but
// decode to the same value.
func (p *PortfolioJSON) AppendJSON(dst []byte) []byte {
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
	dst = appendJSONString(dst, p.AsOf)
	dst = append(dst, `,"positions":`...)
	if p.Positions == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range p.Positions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = p.Positions[i].appendJSON(dst)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func (q *positionJSON) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"symbol":`...)
	dst = appendJSONString(dst, q.Symbol)
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
