package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Login checks credentials and creates a session; token is returned once and
// only its SHA-256 is stored. An unknown username and a wrong password both
// return *Error invalid_credentials after the same amount of hashing work.
// Expired sessions are cleaned up on the way.
func (s *Store) Login(ctx context.Context, username, password string) (token string, sess Session, err error) {
	username = NormalizeUsername(username)
	var id int64
	var hash string
	err = s.reader.QueryRowContext(ctx,
		"SELECT id, password_hash FROM accounts WHERE username = ?", username).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.hash.verifyDummy(ctx, password); err != nil {
			return "", Session{}, fmt.Errorf("login: %w", err)
		}
		return "", Session{}, errInvalidCredentials()
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("login: %w", err)
	}
	ok, err := s.hash.verify(ctx, password, hash)
	if err != nil {
		return "", Session{}, fmt.Errorf("login %d: %w", id, err)
	}
	if !ok {
		return "", Session{}, errInvalidCredentials()
	}

	token, tokenHash, err := newToken()
	if err != nil {
		return "", Session{}, fmt.Errorf("login: %w", err)
	}
	now := s.now()
	expires := now.Add(s.sessionTTL)
	if err := s.insertSession(ctx, id, tokenHash, now, expires); err != nil {
		return "", Session{}, fmt.Errorf("login: %w", err)
	}
	if s.hash.outdated(hash) {
		s.rehash(ctx, id, hash, password)
	}
	return token, Session{ID: tokenHash, AccountID: id, Username: username, ExpiresAt: fromMS(expires.UnixMilli())}, nil
}

func (s *Store) insertSession(ctx context.Context, accountID int64, tokenHash string, now, expires time.Time) error {
	if err := s.writable(); err != nil {
		return err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer rollback(tx)
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= ?", now.UnixMilli()); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
		tokenHash, accountID, now.UnixMilli(), expires.UnixMilli()); err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return tx.Commit()
}

// rehash upgrades a password hash made with older parameters. Failure is
// harmless (the old hash still works), so it is not reported.
func (s *Store) rehash(ctx context.Context, accountID int64, oldHash, password string) {
	newHash, err := s.hash.hash(ctx, password)
	if err != nil {
		return
	}
	_, _ = s.writer.ExecContext(ctx,
		"UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?", newHash, accountID, oldHash)
}

// authenticateQuery finds a live session and its account.
const authenticateQuery = `
	SELECT s.account_id, a.username, s.expires_at
	FROM sessions s JOIN accounts a ON a.id = s.account_id
	WHERE s.token_hash = ? AND s.expires_at > ?`

// Authenticate returns the live session for a token, or *Error unauthorized
// if the token is unknown, expired or revoked.
func (s *Store) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > maxTokenLen {
		return Session{}, errUnauthorized()
	}
	sess := Session{ID: tokenID(token)}
	var expires int64
	err := s.stmts.authenticate.QueryRowContext(ctx, sess.ID, s.nowMS()).Scan(&sess.AccountID, &sess.Username, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errUnauthorized()
	}
	if err != nil {
		return Session{}, fmt.Errorf("authenticate: %w", err)
	}
	sess.ExpiresAt = fromMS(expires)
	return sess, nil
}

// Logout revokes the session of a token at once and returns the session it
// ended, so callers can close what belongs to it. An unknown, expired or
// already revoked token returns *Error unauthorized.
func (s *Store) Logout(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > maxTokenLen {
		return Session{}, errUnauthorized()
	}
	sess := Session{ID: tokenID(token)}
	if err := s.writable(); err != nil {
		return Session{}, fmt.Errorf("logout: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, fmt.Errorf("logout: %w", err)
	}
	defer rollback(tx)
	var expires int64
	err = tx.QueryRowContext(ctx, `
		SELECT s.account_id, a.username, s.expires_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.token_hash = ?`, sess.ID).Scan(&sess.AccountID, &sess.Username, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errUnauthorized()
	}
	if err != nil {
		return Session{}, fmt.Errorf("logout: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", sess.ID); err != nil {
		return Session{}, fmt.Errorf("logout: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Session{}, fmt.Errorf("logout: %w", err)
	}
	if expires <= s.nowMS() {
		return Session{}, errUnauthorized()
	}
	sess.ExpiresAt = fromMS(expires)
	return sess, nil
}

// MaxLiveSessionsQuery is the most session ids LiveSessions takes at once.
const MaxLiveSessionsQuery = 500

// LiveSessions returns which of the session ids (Session.ID) still belong
// to a live session: not logged out and not expired. It takes at most
// MaxLiveSessionsQuery ids.
func (s *Store) LiveSessions(ctx context.Context, ids []string) (map[string]bool, error) {
	live := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return live, nil
	}
	if len(ids) > MaxLiveSessionsQuery {
		return nil, fmt.Errorf("live sessions: %d ids, at most %d", len(ids), MaxLiveSessionsQuery)
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, s.nowMS())
	for _, id := range ids {
		args = append(args, id)
	}
	q := "SELECT token_hash FROM sessions WHERE expires_at > ? AND token_hash IN (?" +
		strings.Repeat(",?", len(ids)-1) + ")"
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("live sessions: %w", err)
		}
		live[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	return live, nil
}
