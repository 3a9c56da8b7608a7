package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// Register creates an account with the starting cash. The username is
// normalized first; rule violations return *Error invalid_username or
// invalid_password, an existing username returns *Error username_taken.
func (s *Store) Register(ctx context.Context, username, password string) (Account, error) {
	username = NormalizeUsername(username)
	if err := ValidateUsername(username); err != nil {
		return Account{}, err
	}
	if err := s.writable(); err != nil {
		return Account{}, fmt.Errorf("register: %w", err)
	}
	if err := ValidatePassword(username, password); err != nil {
		return Account{}, err
	}
	hash, err := s.hash.hash(ctx, password)
	if err != nil {
		return Account{}, fmt.Errorf("register: %w", err)
	}
	now := s.nowMS()
	res, err := s.writer.ExecContext(ctx,
		"INSERT INTO accounts (username, password_hash, cash_cents, created_at) VALUES (?, ?, ?, ?)",
		username, hash, s.startingCash, now)
	if isUniqueViolation(err) {
		return Account{}, fieldErrorf(CodeUsernameTaken, "username", "username %q is already taken", username)
	}
	if err != nil {
		return Account{}, fmt.Errorf("register: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Account{}, fmt.Errorf("register: %w", err)
	}
	return Account{ID: id, Username: username, CreatedAt: fromMS(now)}, nil
}

// Account returns an account by id, or *Error not_found.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(s.reader.QueryRowContext(ctx,
		"SELECT id, username, created_at FROM accounts WHERE id = ?", id))
	if err != nil {
		return Account{}, fmt.Errorf("account %d: %w", id, err)
	}
	return a, nil
}

// AccountByUsername returns the account with the (normalized) username, or
// *Error not_found.
func (s *Store) AccountByUsername(ctx context.Context, username string) (Account, error) {
	username = NormalizeUsername(username)
	a, err := scanAccount(s.reader.QueryRowContext(ctx,
		"SELECT id, username, created_at FROM accounts WHERE username = ?", username))
	if err != nil {
		return Account{}, fmt.Errorf("account %q: %w", username, err)
	}
	return a, nil
}

// ResetPassword sets a new password for an existing account and revokes all
// of its sessions. It applies the same password rules as Register and
// returns *Error not_found for an unknown username.
func (s *Store) ResetPassword(ctx context.Context, username, password string) error {
	username = NormalizeUsername(username)
	if err := ValidatePassword(username, password); err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	hash, err := s.hash.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	defer rollback(tx)
	var id int64
	err = tx.QueryRowContext(ctx, "UPDATE accounts SET password_hash = ? WHERE username = ? RETURNING id",
		hash, username).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fieldErrorf(CodeNotFound, "username", "no account named %q", username)
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE account_id = ?", id); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	return nil
}

func scanAccount(row *sql.Row) (Account, error) {
	var a Account
	var created int64
	err := row.Scan(&a.ID, &a.Username, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, Errorf(CodeNotFound, "account not found")
	}
	if err != nil {
		return Account{}, err
	}
	a.CreatedAt = fromMS(created)
	return a, nil
}

func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}
