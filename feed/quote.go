// Package feed produces prices: the simulated market, its minute candles and
// the Hub that fans ticks out to subscribers. It knows nothing about HTTP or
// sockets; transports live in package web.
package feed

import (
	"strconv"
)

// Quote is the latest state of one symbol. All prices are integer cents.
type Quote struct {
	Symbol    string `json:"symbol"`
	Price     int64  `json:"price"`      // last trade, cents
	PrevClose int64  `json:"prev_close"` // previous session's close, cents
	Open      int64  `json:"open"`       // this session's first price, cents
	High      int64  `json:"high"`       // this session's high, cents
	Low       int64  `json:"low"`        // this session's low, cents
	Volume    int64  `json:"volume"`     // shares traded this session
	TS        int64  `json:"ts"`         // wall-clock publish time, Unix ms; latency is measured from it
	Seq       uint64 `json:"seq"`        // per-symbol counter, +1 on every tick and every status change

	// Status is the symbol's trading status. It is StatusTrading, and left
	// out of the JSON, except while a scenario halts the symbol and on the
	// one quote that announces its reopening.
	Status QuoteStatus `json:"status,omitempty"`
}

// QuoteStatus is a symbol's trading status as quotes carry it.
type QuoteStatus uint8

// Trading statuses. Only scenarios halt symbols, so a market without one
// only ever has StatusTrading and its quotes never carry "status".
const (
	// StatusTrading: trading normally, nothing to announce; the JSON has no
	// "status" field.
	StatusTrading QuoteStatus = iota
	// StatusHalted: "status":"halted"; the symbol does not tick and trades
	// in it are refused until it reopens.
	StatusHalted
	// StatusOpen: "status":"open"; the symbol trades again. It marks the
	// quote that announces the reopening, and gives way to StatusTrading
	// on the next tick.
	StatusOpen
)

// String returns the status as the wire spells it ("" for StatusTrading).
func (s QuoteStatus) String() string {
	switch s {
	case StatusHalted:
		return "halted"
	case StatusOpen:
		return "open"
	}
	return ""
}

// MarshalText encodes the status as String does, for encoding/json.
func (s QuoteStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Change is the move since the previous close, in cents.
func (q Quote) Change() int64 { return q.Price - q.PrevClose }

// ChangeBP is the move since the previous close in basis points (hundredths
// of a percent), rounded half away from zero. It is 0 when PrevClose is 0.
func (q Quote) ChangeBP() int64 { return RatioBP(q.Change(), q.PrevClose) }

// RatioBP returns num/den in basis points (1% = 100), rounded half away from
// zero, using integer arithmetic only. It returns 0 when den is 0.
func RatioBP(num, den int64) int64 {
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
	bp := (num*10000*2 + den) / (den * 2)
	if neg {
		return -bp
	}
	return bp
}

// AppendJSON appends q as the JSON object of the wire protocol, with prices
// as exact decimal numbers (18712 cents → 187.12). A status other than
// StatusTrading adds "status"; snapshot adds "snapshot":true. It allocates
// nothing when dst has room.
func (q *Quote) AppendJSON(dst []byte, snapshot bool) []byte {
	dst = append(dst, `{"symbol":`...)
	dst = strconv.AppendQuote(dst, q.Symbol)
	dst = append(dst, `,"price":`...)
	dst = AppendCents(dst, q.Price)
	dst = append(dst, `,"change":`...)
	dst = AppendCents(dst, q.Change())
	dst = append(dst, `,"change_pct":`...)
	dst = AppendCents(dst, q.ChangeBP())
	dst = append(dst, `,"open":`...)
	dst = AppendCents(dst, q.Open)
	dst = append(dst, `,"high":`...)
	dst = AppendCents(dst, q.High)
	dst = append(dst, `,"low":`...)
	dst = AppendCents(dst, q.Low)
	dst = append(dst, `,"prev_close":`...)
	dst = AppendCents(dst, q.PrevClose)
	dst = append(dst, `,"volume":`...)
	dst = strconv.AppendInt(dst, q.Volume, 10)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, q.TS, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, q.Seq, 10)
	switch q.Status {
	case StatusHalted:
		dst = append(dst, `,"status":"halted"`...)
	case StatusOpen:
		dst = append(dst, `,"status":"open"`...)
	}
	if snapshot {
		dst = append(dst, `,"snapshot":true`...)
	}
	return append(dst, '}')
}

// AppendCents appends an integer amount of hundredths as a JSON decimal
// number with exactly two fraction digits: 18712 → 187.12, -5 → -0.05.
func AppendCents(dst []byte, c int64) []byte {
	if c < 0 {
		dst = append(dst, '-')
		if c == -c { // math.MinInt64 cannot be negated; never a real price
			return append(dst, "92233720368547758.08"...)
		}
		c = -c
	}
	dst = strconv.AppendInt(dst, c/100, 10)
	frac := c % 100
	return append(dst, '.', byte('0'+frac/10), byte('0'+frac%10))
}
