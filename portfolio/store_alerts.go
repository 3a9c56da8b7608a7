package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// alertColumns are the columns scanAlert reads, in its order.
const alertColumns = `id, account_id, symbol, condition, threshold, status, created_at,
	COALESCE(triggered_price_cents, 0), COALESCE(triggered_seq, 0), COALESCE(triggered_at, 0)`

// CreateAlert records an active alert of the account at prices' current
// price and previous close. The symbol is normalized to upper case.
// Domain failures return *Error with code invalid_condition,
// unknown_symbol (also for a symbol prices does not know or has no price
// for), invalid_price, invalid_percent, already_triggered (the condition
// holds right now, so the alert would fire on the next tick),
// too_many_alerts (MaxActiveAlerts active already) or not_found (no such
// account), and record nothing.
func (s *Store) CreateAlert(ctx context.Context, accountID int64, req AlertRequest, prices PriceSource) (Alert, error) {
	req, err := req.normalize()
	if err != nil {
		return Alert{}, err
	}
	price, prevClose, ok := prices.LastPrice(req.Symbol)
	if !ok || price <= 0 {
		return Alert{}, fieldErrorf(CodeUnknownSymbol, "symbol", "unknown symbol %q", req.Symbol)
	}
	a := Alert{
		AccountID: accountID, Symbol: req.Symbol, Condition: req.Condition, Threshold: req.Threshold,
		Status: AlertActive,
	}
	if a.Holds(price, prevClose) {
		return Alert{}, Errorf(CodeAlreadyTriggered,
			"%s is at %s (previous close %s): an alert %s would fire at once",
			a.Symbol, formatDollars(price), formatDollars(prevClose), a.describe())
	}

	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return Alert{}, fmt.Errorf("create alert: %w", err)
	}
	defer rollback(tx)
	if _, err := queryCash(ctx, tx, accountID); err != nil {
		return Alert{}, fmt.Errorf("create alert: %w", err)
	}
	var active int
	if err := tx.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM alerts WHERE account_id = ? AND status = 'active'", accountID).Scan(&active); err != nil {
		return Alert{}, fmt.Errorf("create alert: count: %w", err)
	}
	if active >= MaxActiveAlerts {
		return Alert{}, Errorf(CodeTooManyAlerts,
			"an account may have at most %d active alerts; delete one first", MaxActiveAlerts)
	}
	now := s.nowMS()
	res, err := tx.ExecContext(ctx, `
		INSERT INTO alerts (account_id, symbol, condition, threshold, status, created_at)
		VALUES (?, ?, ?, ?, 'active', ?)`,
		accountID, a.Symbol, string(a.Condition), a.Threshold, now)
	if err != nil {
		return Alert{}, fmt.Errorf("create alert: insert: %w", err)
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return Alert{}, fmt.Errorf("create alert: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Alert{}, fmt.Errorf("create alert: commit: %w", err)
	}
	a.CreatedAt = fromMS(now)
	return a, nil
}

// describe says what an alert waits for, for messages: "above $190.00".
func (a Alert) describe() string {
	if a.Condition.Percent() {
		bp := a.Threshold
		sign := ""
		if bp < 0 {
			sign, bp = "-", -bp
		}
		return fmt.Sprintf("%s %s%d.%02d%%", a.Condition, sign, bp/100, bp%100)
	}
	return fmt.Sprintf("%s %s", a.Condition, formatDollars(a.Threshold))
}

// Alert page sizes.
const (
	DefaultAlertsLimit = 50
	MaxAlertsLimit     = 100
)

// Alerts lists the account's alerts of the given status ("" for all)
// newest first, paged like Trades: cursor is "" for the first page, else
// the next value of the previous page; next is "" on the last page. limit
// <= 0 means DefaultAlertsLimit, and a limit above MaxAlertsLimit is
// clamped to it. A cursor this package did not make returns *Error
// invalid_cursor.
func (s *Store) Alerts(ctx context.Context, accountID int64, status AlertStatus, cursor string, limit int) (alerts []Alert, next string, err error) {
	if limit <= 0 {
		limit = DefaultAlertsLimit
	}
	limit = min(limit, MaxAlertsLimit)
	before := int64(math.MaxInt64)
	if cursor != "" {
		if before, err = decodeCursor(cursor); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE account_id = ? AND id < ? AND (? = '' OR status = ?) ORDER BY id DESC LIMIT ?`,
		accountID, before, string(status), string(status), limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("alerts: %w", err)
	}
	alerts, err = scanAlerts(rows, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("alerts: %w", err)
	}
	if len(alerts) > limit {
		alerts = alerts[:limit]
		next = encodeCursor(alerts[limit-1].ID)
	}
	return alerts, next, nil
}

// ActiveAlerts returns every active alert of every account, for loading an
// AlertBook.
func (s *Store) ActiveAlerts(ctx context.Context) ([]Alert, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("active alerts: %w", err)
	}
	alerts, err := scanAlerts(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("active alerts: %w", err)
	}
	return alerts, nil
}

// DeleteAlert deletes one of the account's alerts, active or triggered,
// and returns it as it was. An id that is not the account's returns
// *Error not_found, whether or not it exists.
func (s *Store) DeleteAlert(ctx context.Context, accountID, id int64) (Alert, error) {
	rows, err := s.writer.QueryContext(ctx,
		`DELETE FROM alerts WHERE id = ? AND account_id = ? RETURNING `+alertColumns, id, accountID)
	if err != nil {
		return Alert{}, fmt.Errorf("delete alert: %w", err)
	}
	alerts, err := scanAlerts(rows, 1)
	if err != nil {
		return Alert{}, fmt.Errorf("delete alert: %w", err)
	}
	if len(alerts) == 0 {
		return Alert{}, Errorf(CodeNotFound, "no alert %d", id)
	}
	return alerts[0], nil
}

// TriggerAlerts marks the alerts of firings triggered with the price, seq
// and time of the tick that fired each, all in one transaction, and
// returns those that were still active, in the order of firings. An alert
// that was deleted or already triggered (by an earlier call, before a
// restart, or by a racing one) is left as it is and not returned, so each
// alert is returned by at most one call ever.
func (s *Store) TriggerAlerts(ctx context.Context, firings []Firing) ([]Alert, error) {
	if len(firings) == 0 {
		return nil, nil
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("trigger alerts: %w", err)
	}
	defer rollback(tx)
	stmt, err := tx.PrepareContext(ctx, `UPDATE alerts
		SET status = 'triggered', triggered_price_cents = ?, triggered_seq = ?, triggered_at = ?
		WHERE id = ? AND status = 'active' RETURNING `+alertColumns)
	if err != nil {
		return nil, fmt.Errorf("trigger alerts: %w", err)
	}
	defer stmt.Close()
	fired := make([]Alert, 0, len(firings))
	for _, f := range firings {
		if f.Seq > math.MaxInt64 {
			return nil, fmt.Errorf("trigger alerts: seq %d out of range", f.Seq)
		}
		rows, err := stmt.QueryContext(ctx, f.Price, int64(f.Seq), f.Time.UnixMilli(), f.Alert.ID)
		if err != nil {
			return nil, fmt.Errorf("trigger alerts: %w", err)
		}
		got, err := scanAlerts(rows, 1)
		if err != nil {
			return nil, fmt.Errorf("trigger alerts: %w", err)
		}
		fired = append(fired, got...)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("trigger alerts: commit: %w", err)
	}
	return fired, nil
}

// scanAlerts reads rows of alertColumns and closes them; capHint sizes the
// result.
func scanAlerts(rows *sql.Rows, capHint int) ([]Alert, error) {
	defer rows.Close()
	alerts := make([]Alert, 0, capHint)
	for rows.Next() {
		var a Alert
		var cond, status string
		var created, trigAt, trigSeq int64
		if err := rows.Scan(&a.ID, &a.AccountID, &a.Symbol, &cond, &a.Threshold, &status, &created,
			&a.TriggeredPrice, &trigSeq, &trigAt); err != nil {
			return nil, err
		}
		a.Condition, a.Status, a.CreatedAt = Condition(cond), AlertStatus(status), fromMS(created)
		if a.Status == AlertTriggered {
			a.TriggeredSeq, a.TriggeredAt = uint64(trigSeq), fromMS(trigAt)
		}
		alerts = append(alerts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return nil, err
	}
	return alerts, nil
}
