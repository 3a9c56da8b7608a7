package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// PlaceTrade fills req at prices' current price in one transaction: the
// account's cash, its position and the trade record change together or not
// at all. The fill is recorded in the position as one of clock's current
// session (see Position.DaySession), for the day change of Value. The symbol is normalized to upper case. Domain failures return
// *Error with code invalid_side, invalid_quantity, unknown_symbol,
// insufficient_cash, insufficient_shares or not_found (no such account),
// and change nothing.
func (s *Store) PlaceTrade(ctx context.Context, accountID int64, req TradeRequest, prices PriceSource, clock SessionClock) (Trade, error) {
	req, err := req.normalize()
	if err != nil {
		return Trade{}, err
	}
	price, _, ok := prices.LastPrice(req.Symbol)
	if !ok || price <= 0 {
		return Trade{}, fieldErrorf(CodeUnknownSymbol, "symbol", "unknown symbol %q", req.Symbol)
	}
	amount, ok := mulChecked(req.Quantity, price)
	if !ok {
		return Trade{}, fieldErrorf(CodeInvalidQuantity, "quantity", "order value is too large")
	}
	t := Trade{
		AccountID: accountID, Symbol: req.Symbol, Side: req.Side, Quantity: req.Quantity,
		Price: price, Amount: amount,
	}

	if err := s.writable(); err != nil {
		return Trade{}, fmt.Errorf("place trade: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock is held from here
	if err != nil {
		return Trade{}, fmt.Errorf("place trade: %w", err)
	}
	defer rollback(tx)
	if err := s.fill(ctx, tx, &t, clock.SessionDay()); err != nil {
		return Trade{}, err
	}
	if err := tx.Commit(); err != nil {
		return Trade{}, fmt.Errorf("place trade: commit: %w", err)
	}
	return t, nil
}

// fill applies t to the account inside tx as a fill of session and records
// it, setting t's ID, CashAfter and Time.
func (s *Store) fill(ctx context.Context, tx *sql.Tx, t *Trade, session int64) error {
	var cash int64
	err := tx.QueryRowContext(ctx, "SELECT cash_cents FROM accounts WHERE id = ?", t.AccountID).Scan(&cash)
	if errors.Is(err, sql.ErrNoRows) {
		return Errorf(CodeNotFound, "account not found")
	}
	if err != nil {
		return fmt.Errorf("place trade: read cash: %w", err)
	}
	var held, basis, daySession, dayOpen, dayNet int64
	err = tx.QueryRowContext(ctx, `
		SELECT quantity, cost_basis_cents, day_session, day_open_quantity, day_net_cents
		FROM positions WHERE account_id = ? AND symbol = ?`,
		t.AccountID, t.Symbol).Scan(&held, &basis, &daySession, &dayOpen, &dayNet)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("place trade: read position: %w", err)
	}
	if daySession != session { // the session's first fill: today starts from here
		daySession, dayOpen, dayNet = session, held, 0
	}
	if dayNet > math.MaxInt64/2 || dayNet < math.MinInt64/2 {
		return fieldErrorf(CodeInvalidQuantity, "quantity", "position would be too large")
	}

	switch t.Side {
	case Buy:
		if cash < t.Amount {
			return Errorf(CodeInsufficientCash,
				"insufficient cash: buying %d %s at %s needs %s, available %s",
				t.Quantity, t.Symbol, formatDollars(t.Price), formatDollars(t.Amount), formatDollars(cash))
		}
		if held > math.MaxInt64-t.Quantity || basis > math.MaxInt64-t.Amount {
			return fieldErrorf(CodeInvalidQuantity, "quantity", "position would be too large")
		}
		cash -= t.Amount
		held += t.Quantity
		basis += t.Amount
		dayNet += t.Amount
	case Sell:
		if held < t.Quantity {
			return fieldErrorf(CodeInsufficientShares, "quantity",
				"insufficient shares: cannot sell %d %s, holding %d", t.Quantity, t.Symbol, held)
		}
		if cash > math.MaxInt64-t.Amount {
			return fieldErrorf(CodeInvalidQuantity, "quantity", "order value is too large")
		}
		cash += t.Amount
		dayNet -= t.Amount
		basis -= soldBasis(basis, t.Quantity, held)
		held -= t.Quantity
	}

	if _, err := tx.ExecContext(ctx, "UPDATE accounts SET cash_cents = ? WHERE id = ?", cash, t.AccountID); err != nil {
		return fmt.Errorf("place trade: update cash: %w", err)
	}
	if held == 0 {
		_, err = tx.ExecContext(ctx, "DELETE FROM positions WHERE account_id = ? AND symbol = ?", t.AccountID, t.Symbol)
	} else {
		_, err = tx.ExecContext(ctx, `
			INSERT INTO positions (account_id, symbol, quantity, cost_basis_cents,
				day_session, day_open_quantity, day_net_cents)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id, symbol) DO UPDATE
			SET quantity = excluded.quantity, cost_basis_cents = excluded.cost_basis_cents,
				day_session = excluded.day_session, day_open_quantity = excluded.day_open_quantity,
				day_net_cents = excluded.day_net_cents`,
			t.AccountID, t.Symbol, held, basis, daySession, dayOpen, dayNet)
	}
	if err != nil {
		return fmt.Errorf("place trade: update position: %w", err)
	}

	now := s.nowMS()
	res, err := tx.ExecContext(ctx, `
		INSERT INTO trades (account_id, symbol, side, quantity, price_cents, amount_cents, cash_after_cents, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.AccountID, t.Symbol, string(t.Side), t.Quantity, t.Price, t.Amount, cash, now)
	if err != nil {
		return fmt.Errorf("place trade: insert trade: %w", err)
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("place trade: %w", err)
	}
	t.CashAfter = cash
	t.Time = fromMS(now)
	return nil
}

// soldBasis is the part of basis that leaves a position of held shares when
// qty of them are sold: basis*qty/held rounded half up, computed in 128 bits
// so it cannot overflow; selling everything removes all of it.
func soldBasis(basis, qty, held int64) int64 {
	if qty >= held {
		return basis
	}
	hi, lo := bits.Mul64(uint64(basis), uint64(qty))
	q, r := bits.Div64(hi, lo, uint64(held)) // q <= basis since qty < held
	if 2*r >= uint64(held) {
		q++
	}
	return int64(q)
}

// Trade page sizes.
const (
	DefaultTradesLimit = 50
	MaxTradesLimit     = 100
)

// Trades lists the account's trades newest first. cursor is "" for the first
// page, else the next value of the previous page; next is "" on the last
// page. limit <= 0 means DefaultTradesLimit and a limit above
// MaxTradesLimit is clamped to it. A cursor this package did not make
// returns *Error invalid_cursor.
func (s *Store) Trades(ctx context.Context, accountID int64, cursor string, limit int) (trades []Trade, next string, err error) {
	if limit <= 0 {
		limit = DefaultTradesLimit
	}
	limit = min(limit, MaxTradesLimit)
	before := int64(math.MaxInt64)
	if cursor != "" {
		if before, err = decodeCursor(cursor); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.reader.QueryContext(ctx, `
		SELECT id, symbol, side, quantity, price_cents, amount_cents, cash_after_cents, created_at
		FROM trades WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
		accountID, before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("trades: %w", err)
	}
	defer rows.Close()
	trades = make([]Trade, 0, limit)
	for rows.Next() {
		t := Trade{AccountID: accountID}
		var side string
		var created int64
		if err := rows.Scan(&t.ID, &t.Symbol, &side, &t.Quantity, &t.Price, &t.Amount, &t.CashAfter, &created); err != nil {
			return nil, "", fmt.Errorf("trades: %w", err)
		}
		t.Side, t.Time = Side(side), fromMS(created)
		trades = append(trades, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("trades: %w", err)
	}
	if len(trades) > limit {
		trades = trades[:limit]
		next = encodeCursor(trades[limit-1].ID)
	}
	return trades, next, nil
}
