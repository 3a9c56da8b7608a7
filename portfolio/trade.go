package portfolio

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxTradeQuantity is the largest number of shares one trade may move.
const MaxTradeQuantity = 1_000_000

// Side is the direction of a trade.
type Side string

// Trade sides.
const (
	Buy  Side = "buy"
	Sell Side = "sell"
)

// TradeRequest is what a client asks for.
type TradeRequest struct {
	Symbol   string
	Side     Side
	Quantity int64
}

// Trade is one filled order.
type Trade struct {
	ID        int64
	AccountID int64
	Symbol    string
	Side      Side
	Quantity  int64
	Price     int64 // fill price per share, cents
	Amount    int64 // Quantity*Price, cents
	CashAfter int64 // account cash after the fill, cents
	Time      time.Time
}

// normalize returns req with its symbol upper-cased and trimmed, or an
// *Error naming the first field that is wrong.
func (req TradeRequest) normalize() (TradeRequest, error) {
	req.Symbol = NormalizeSymbol(req.Symbol)
	if !ValidSymbol(req.Symbol) {
		return req, fieldErrorf(CodeUnknownSymbol, "symbol", "unknown symbol %q", req.Symbol)
	}
	if req.Side != Buy && req.Side != Sell {
		return req, fieldErrorf(CodeInvalidSide, "side", "side must be %q or %q", Buy, Sell)
	}
	if req.Quantity <= 0 || req.Quantity > MaxTradeQuantity {
		return req, fieldErrorf(CodeInvalidQuantity, "quantity",
			"quantity must be a whole number of shares from 1 to %d", MaxTradeQuantity)
	}
	return req, nil
}

// NormalizeSymbol returns the canonical form of a ticker: surrounding ASCII
// white space trimmed and ASCII letters upper-cased. Tickers are ASCII: any
// other byte is left as it is, so that a name like "ıbm" (dotless i, which
// strings.ToUpper folds to "I") never becomes a listed ticker.
func NormalizeSymbol(symbol string) string {
	b := []byte(strings.Trim(symbol, " \t\r\n"))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// ValidSymbol reports whether a normalized symbol has the shape of a ticker:
// 1 to 10 characters of A-Z, 0-9, '.' and '-'. It says nothing about
// whether the market lists it.
func ValidSymbol(symbol string) bool {
	if len(symbol) == 0 || len(symbol) > 10 {
		return false
	}
	for i := 0; i < len(symbol); i++ {
		c := symbol[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// mulChecked returns a*b for non-negative a and b, and false on overflow.
func mulChecked(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if a != 0 && b > math.MaxInt64/a {
		return 0, false
	}
	return a * b, true
}

// formatDollars formats cents as "$1,234.56" for messages.
func formatDollars(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents)
	}
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	b.WriteString(sign)
	b.WriteByte('$')
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	frac := u % 100
	b.WriteByte('.')
	b.WriteByte(byte('0' + frac/10))
	b.WriteByte(byte('0' + frac%10))
	return b.String()
}
