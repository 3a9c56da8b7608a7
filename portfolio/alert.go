package portfolio

import (
	"math"
	"time"
)

// MaxActiveAlerts is the most active alerts one account may have.
const MaxActiveAlerts = 100

// Bounds of an alert's threshold.
const (
	MaxAlertPrice = 100_000_000_00 // cents: $100,000,000.00
	MinAlertBP    = -9_999         // change_pct_*: -99.99 %
	MaxAlertBP    = 100_000        // change_pct_*: +1,000.00 %
)

// Condition says when an alert fires.
type Condition string

// Alert conditions. An alert fires on the first tick at which its condition
// holds; the boundary counts: "above 190.00" fires at a price of exactly
// 190.00.
const (
	Above          Condition = "above"            // price >= threshold (cents)
	Below          Condition = "below"            // price <= threshold (cents)
	ChangePctAbove Condition = "change_pct_above" // change since the previous close >= threshold (basis points)
	ChangePctBelow Condition = "change_pct_below" // change since the previous close <= threshold (basis points)
)

// Percent reports whether c compares the change since the previous close
// (threshold in basis points) rather than the price (threshold in cents).
func (c Condition) Percent() bool { return c == ChangePctAbove || c == ChangePctBelow }

// Valid reports whether c is one of the four conditions.
func (c Condition) Valid() bool {
	return c == Above || c == Below || c == ChangePctAbove || c == ChangePctBelow
}

// AlertStatus is where an alert is in its life: active until it fires once,
// then triggered for good.
type AlertStatus string

// Alert statuses.
const (
	AlertActive    AlertStatus = "active"
	AlertTriggered AlertStatus = "triggered"
)

// AlertRequest is an alert as a client asks for it.
type AlertRequest struct {
	Symbol    string
	Condition Condition
	Threshold int64 // cents for Above and Below, basis points for the change_pct conditions
}

// Alert is a price alert of one account on one symbol.
type Alert struct {
	ID        int64
	AccountID int64
	Symbol    string
	Condition Condition
	Threshold int64 // cents for Above and Below, basis points for the change_pct conditions
	Status    AlertStatus
	CreatedAt time.Time

	// Set once triggered: the tick that fired it.
	TriggeredPrice int64 // cents
	TriggeredSeq   uint64
	TriggeredAt    time.Time
}

// Firing is one alert whose condition a tick met: the alert and the tick's
// price (cents), per-symbol seq and time.
type Firing struct {
	Alert Alert
	Price int64
	Seq   uint64
	Time  time.Time
}

// normalize returns req with its symbol normalized, or an *Error naming the
// first field that is wrong: invalid_condition, unknown_symbol,
// invalid_price (cents not in 1..MaxAlertPrice) or invalid_percent (basis
// points not in MinAlertBP..MaxAlertBP).
func (req AlertRequest) normalize() (AlertRequest, error) {
	req.Symbol = NormalizeSymbol(req.Symbol)
	if !req.Condition.Valid() {
		return req, fieldErrorf(CodeInvalidCondition, "condition",
			"condition must be one of %q, %q, %q or %q", Above, Below, ChangePctAbove, ChangePctBelow)
	}
	if !ValidSymbol(req.Symbol) {
		return req, fieldErrorf(CodeUnknownSymbol, "symbol", "unknown symbol %q", req.Symbol)
	}
	if req.Condition.Percent() {
		if req.Threshold < MinAlertBP || req.Threshold > MaxAlertBP {
			return req, fieldErrorf(CodeInvalidPercent, "percent",
				"percent must be a number from -99.99 to 1000.00 with at most two decimals")
		}
	} else if req.Threshold <= 0 || req.Threshold > MaxAlertPrice {
		return req, fieldErrorf(CodeInvalidPrice, "price",
			"price must be a positive amount of at most %s with at most two decimals", formatDollars(MaxAlertPrice))
	}
	return req, nil
}

// Holds reports whether a's condition holds at price, given the symbol's
// previous close (both cents). The change_pct conditions compare the exact
// change, not a rounded one, and never hold without a positive previous
// close.
func (a Alert) Holds(price, prevClose int64) bool {
	switch a.Condition {
	case Above:
		return price >= a.Threshold
	case Below:
		return price <= a.Threshold
	case ChangePctAbove:
		floor, _, ok := changeBP(price, prevClose)
		return ok && a.Threshold <= floor
	case ChangePctBelow:
		_, ceil, ok := changeBP(price, prevClose)
		return ok && a.Threshold >= ceil
	}
	return false
}

// changeBP returns the exact change from prevClose to price in basis
// points, (price-prevClose)*10000/prevClose, rounded down and up. ok is
// false without a positive previous close.
func changeBP(price, prevClose int64) (floor, ceil int64, ok bool) {
	if prevClose <= 0 {
		return 0, 0, false
	}
	// Prices are cents far below 2^63/10^4; clamp to stay exact anyway.
	const limit = math.MaxInt64 / 10_000
	num := max(min(price-prevClose, limit), -limit) * 10_000
	floor, rem := num/prevClose, num%prevClose
	if rem < 0 {
		floor--
	}
	ceil = floor
	if rem != 0 {
		ceil++
	}
	return floor, ceil, true
}
