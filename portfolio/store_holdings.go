package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// holdingsQuery reads cash and positions in one statement, hence from one
// consistent snapshot, without a transaction round trip.
const holdingsQuery = `
	SELECT a.cash_cents, p.symbol, p.quantity, p.cost_basis_cents,
		p.day_session, p.day_open_quantity, p.day_net_cents
	FROM accounts a LEFT JOIN positions p ON p.account_id = a.id
	WHERE a.id = ? ORDER BY p.symbol`

// Holdings returns the account's cash and positions (sorted by symbol) as
// of one consistent moment, or *Error not_found for an unknown account.
func (s *Store) Holdings(ctx context.Context, accountID int64) (cash int64, positions []Position, err error) {
	rows, err := s.stmts.holdings.QueryContext(ctx, accountID)
	if err != nil {
		return 0, nil, fmt.Errorf("holdings: %w", err)
	}
	defer rows.Close()
	found := false
	positions = []Position{}
	for rows.Next() {
		found = true
		var sym sql.NullString
		var qty, basis, daySession, dayOpen, dayNet sql.NullInt64
		if err := rows.Scan(&cash, &sym, &qty, &basis, &daySession, &dayOpen, &dayNet); err != nil {
			return 0, nil, fmt.Errorf("holdings: %w", err)
		}
		if sym.Valid {
			positions = append(positions, Position{Symbol: sym.String, Quantity: qty.Int64, CostBasis: basis.Int64,
				DaySession: daySession.Int64, DayOpenQty: dayOpen.Int64, DayNetCash: dayNet.Int64})
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("holdings: %w", err)
	}
	if !found {
		return 0, nil, fmt.Errorf("holdings: %w", Errorf(CodeNotFound, "account not found"))
	}
	return cash, positions, nil
}

// Cash returns the account's cash in cents, or *Error not_found.
func (s *Store) Cash(ctx context.Context, accountID int64) (int64, error) {
	cash, err := queryCash(ctx, s.reader, accountID)
	if err != nil {
		return 0, fmt.Errorf("cash: %w", err)
	}
	return cash, nil
}

// Valuation values an account's holdings at prices' latest prices in
// clock's current session (see Value), as of the store's clock.
func (s *Store) Valuation(ctx context.Context, accountID int64, prices PriceSource, clock SessionClock) (Valuation, error) {
	cash, positions, err := s.Holdings(ctx, accountID)
	if err != nil {
		return Valuation{}, fmt.Errorf("valuation: %w", err)
	}
	return Value(cash, positions, prices, clock.SessionDay(), s.now().UTC()), nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func queryCash(ctx context.Context, q queryRower, accountID int64) (int64, error) {
	var cash int64
	err := q.QueryRowContext(ctx, "SELECT cash_cents FROM accounts WHERE id = ?", accountID).Scan(&cash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Errorf(CodeNotFound, "account not found")
	}
	return cash, err
}
