package portfolio

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the public API (REST problem "code" field)
// and never change once released.
const (
	CodeInvalidUsername    = "invalid_username"    // 422: username rules not met
	CodeInvalidPassword    = "invalid_password"    // 422: password rules not met
	CodeUsernameTaken      = "username_taken"      // 409
	CodeInvalidCredentials = "invalid_credentials" // 401: unknown user or wrong password
	CodeUnauthorized       = "unauthorized"        // 401: missing, bad, expired or revoked token
	CodeUnknownSymbol      = "unknown_symbol"      // 422
	CodeInvalidQuantity    = "invalid_quantity"    // 422: not a positive whole number (or too large)
	CodeInvalidSide        = "invalid_side"        // 422: side is not "buy" or "sell"
	CodeInsufficientCash   = "insufficient_cash"   // 422
	CodeInsufficientShares = "insufficient_shares" // 422
	CodeInvalidCursor      = "invalid_cursor"      // 400
	CodeInvalidWatchlist   = "invalid_watchlist"   // 422: too many or duplicate symbols
	CodeInvalidCondition   = "invalid_condition"   // 422: an alert condition that is not one of the four
	CodeInvalidPrice       = "invalid_price"       // 422: an alert price that is missing, not positive or too large
	CodeInvalidPercent     = "invalid_percent"     // 422: an alert percent that is missing or out of range
	CodeTooManyAlerts      = "too_many_alerts"     // 422: the account has MaxActiveAlerts active alerts
	CodeAlreadyTriggered   = "already_triggered"   // 422: the alert's condition already holds at the current price
	CodeNotFound           = "not_found"           // 404
	CodeInternal           = "internal"            // 500
)

// Error is a domain error with a stable code, a human message that can be
// shown to the user as is, and optionally the request field it concerns.
// Any error from this package that is not an *Error is internal: its text
// is for logs, not for users.
type Error struct {
	Code    string
	Message string
	Field   string // e.g. "password"; empty if not about one field
}

// Error returns the human message, so an *Error reads well in logs too.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// fieldErrorf is Errorf for an error about one request field.
func fieldErrorf(code, field, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Field = field
	return e
}

// ErrorCode returns the code of err if it wraps an *Error, else CodeInternal.
// It returns "" for a nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return CodeInternal
}
