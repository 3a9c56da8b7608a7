// Package portfolio holds tickerd's domain: accounts, sessions, positions,
// trades and their valuation, and the SQLite store that keeps them.
package portfolio

import (
	"context"
	"time"
)

// CONTRACT STUB: the exported names and signatures below are fixed; the file
// is to be split into proper files and the bodies implemented.

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
	CodeNotFound           = "not_found"           // 404
	CodeInternal           = "internal"            // 500
)

// Error is a domain error with a stable code, a human message that can be
// shown to the user as is, and optionally the request field it concerns.
type Error struct {
	Code    string
	Message string
	Field   string // e.g. "password"; empty if not about one field
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error { panic("unimplemented") }

// ErrorCode returns the code of err if it wraps an *Error, else CodeInternal.
func ErrorCode(err error) string { panic("unimplemented") }

// PriceSource gives the latest price of a symbol. feed.Market implements it.
type PriceSource interface {
	// LastPrice returns the latest price and the previous close, in cents.
	LastPrice(symbol string) (price, prevClose int64, ok bool)
}

// Account is a user of tickerd.
type Account struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is an authenticated login. The token itself is never stored.
type Session struct {
	ID        string // hex of the token's SHA-256; safe to log
	AccountID int64
	Username  string
	ExpiresAt time.Time
}

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

// Position is a holding of one symbol.
type Position struct {
	Symbol    string
	Quantity  int64
	CostBasis int64 // total cost of the shares held, cents
}

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
	UnrealizedBP int64
	DayChange    int64
	DayChangeBP  int64
	Positions    []PositionValue // sorted by symbol
	AsOf         time.Time
}

// Options configure a Store.
type Options struct {
	StartingCash    int64         // cents; 0 means 10_000_000 ($100,000.00)
	SessionTTL      time.Duration // 0 means 24h
	HashConcurrency int           // password hashes at once; 0 means 1 per 2 CPUs, at least 1
	Now             func() time.Time
}

// Store keeps accounts, sessions, portfolios and trades in SQLite.
type Store struct{}

// Open opens (creating if needed) the database at path and applies migrations.
func Open(ctx context.Context, path string, opts Options) (*Store, error) { panic("unimplemented") }

// Close closes the database cleanly (WAL checkpoint).
func (s *Store) Close() error { panic("unimplemented") }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { panic("unimplemented") }

// Register creates an account with the starting cash.
func (s *Store) Register(ctx context.Context, username, password string) (Account, error) {
	panic("unimplemented")
}

// Login checks credentials and creates a session; token is returned once.
func (s *Store) Login(ctx context.Context, username, password string) (token string, sess Session, err error) {
	panic("unimplemented")
}

// Authenticate returns the live session for a token.
func (s *Store) Authenticate(ctx context.Context, token string) (Session, error) {
	panic("unimplemented")
}

// Logout revokes the session of a token at once.
func (s *Store) Logout(ctx context.Context, token string) (Session, error) { panic("unimplemented") }

// Account returns an account by id.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) { panic("unimplemented") }

// PlaceTrade fills req at prices' current price in one transaction.
func (s *Store) PlaceTrade(ctx context.Context, accountID int64, req TradeRequest, prices PriceSource) (Trade, error) {
	panic("unimplemented")
}

// Valuation values an account's holdings at prices' latest prices.
func (s *Store) Valuation(ctx context.Context, accountID int64, prices PriceSource) (Valuation, error) {
	panic("unimplemented")
}

// Holdings returns the account's cash and positions.
func (s *Store) Holdings(ctx context.Context, accountID int64) (cash int64, positions []Position, err error) {
	panic("unimplemented")
}

// Trades lists the account's trades newest first. cursor is "" for the first page.
func (s *Store) Trades(ctx context.Context, accountID int64, cursor string, limit int) (trades []Trade, next string, err error) {
	panic("unimplemented")
}

// Watchlist returns the account's watched symbols in the saved order.
func (s *Store) Watchlist(ctx context.Context, accountID int64) ([]string, error) {
	panic("unimplemented")
}

// SetWatchlist replaces the account's watched symbols.
func (s *Store) SetWatchlist(ctx context.Context, accountID int64, symbols []string) error {
	panic("unimplemented")
}
