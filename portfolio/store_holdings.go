package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Holdings returns the account's cash and positions (sorted by symbol) as
// of one consistent moment, or *Error not_found for an unknown account.
func (s *Store) Holdings(ctx context.Context, accountID int64) (cash int64, positions []Position, err error) {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, nil, fmt.Errorf("holdings: %w", err)
	}
	defer rollback(tx)
	if cash, err = queryCash(ctx, tx, accountID); err != nil {
		return 0, nil, fmt.Errorf("holdings: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT symbol, quantity, cost_basis_cents FROM positions
		WHERE account_id = ? ORDER BY symbol`, accountID)
	if err != nil {
		return 0, nil, fmt.Errorf("holdings: %w", err)
	}
	defer rows.Close()
	positions = []Position{}
	for rows.Next() {
		var p Position
		if err := rows.Scan(&p.Symbol, &p.Quantity, &p.CostBasis); err != nil {
			return 0, nil, fmt.Errorf("holdings: %w", err)
		}
		positions = append(positions, p)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("holdings: %w", err)
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

// Valuation values an account's holdings at prices' latest prices (see
// Value), as of the store's clock.
func (s *Store) Valuation(ctx context.Context, accountID int64, prices PriceSource) (Valuation, error) {
	cash, positions, err := s.Holdings(ctx, accountID)
	if err != nil {
		return Valuation{}, fmt.Errorf("valuation: %w", err)
	}
	return Value(cash, positions, prices, s.now().UTC()), nil
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
