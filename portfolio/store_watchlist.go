package portfolio

import (
	"context"
	"fmt"
)

// Watchlist returns the account's watched symbols in the saved order; an
// empty (never nil) slice if it watches none.
func (s *Store) Watchlist(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx,
		"SELECT symbol FROM watchlist WHERE account_id = ? ORDER BY position", accountID)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	defer rows.Close()
	symbols := []string{}
	for rows.Next() {
		var sym string
		if err := rows.Scan(&sym); err != nil {
			return nil, fmt.Errorf("watchlist: %w", err)
		}
		symbols = append(symbols, sym)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	return symbols, nil
}

// SetWatchlist replaces the account's watched symbols atomically, after
// NormalizeWatchlist (whose *Error invalid_watchlist it returns). An
// unknown account returns *Error not_found.
func (s *Store) SetWatchlist(ctx context.Context, accountID int64, symbols []string) error {
	symbols, err := NormalizeWatchlist(symbols)
	if err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return fmt.Errorf("set watchlist: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set watchlist: %w", err)
	}
	defer rollback(tx)
	if _, err := queryCash(ctx, tx, accountID); err != nil {
		return fmt.Errorf("set watchlist: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM watchlist WHERE account_id = ?", accountID); err != nil {
		return fmt.Errorf("set watchlist: %w", err)
	}
	for i, sym := range symbols {
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO watchlist (account_id, symbol, position) VALUES (?, ?, ?)", accountID, sym, i); err != nil {
			return fmt.Errorf("set watchlist: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set watchlist: %w", err)
	}
	return nil
}
