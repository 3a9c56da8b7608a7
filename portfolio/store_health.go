package portfolio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrStorageUnavailable is wrapped by the error of a write refused because
// the database file was deleted or replaced while open: SQLite would still
// write to the open file, and everything written would be gone at the next
// start.
var ErrStorageUnavailable = errors.New("storage unavailable")

// healthTTL is how long the answers of the file check and of CheckWrite
// are reused.
const healthTTL = time.Second

// StorageUnavailable reports whether err means the database cannot take
// writes at all for now, whatever the request: the disk is full, the file
// is read-only, cannot be opened or gives I/O errors, or it was deleted or
// replaced while open (ErrStorageUnavailable). It is the environment's
// failure, not the request's, and may pass.
func StorageUnavailable(err error) bool {
	if errors.Is(err, ErrStorageUnavailable) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull, sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrIoErr:
			return true
		}
	}
	return false
}

// CheckWrite reports whether the database can take a write now: its file
// is still the one opened, and a write transaction (the header's
// user_version rewritten unchanged, which appends a page to the write-ahead
// log) commits. The answer is reused for a second, so a readiness probe may
// ask on every request. Errors for which StorageUnavailable is true mean
// writes will fail.
func (s *Store) CheckWrite(ctx context.Context) error {
	return s.writeCheck.get(func() error {
		if err := s.writable(); err != nil {
			return err
		}
		return s.touch(ctx)
	})
}

// touch commits the smallest write there is.
func (s *Store) touch(ctx context.Context) error {
	tx, err := s.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return fmt.Errorf("check write: %w", err)
	}
	defer rollback(tx)
	var v int64
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("check write: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return fmt.Errorf("check write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("check write: %w", err)
	}
	return nil
}

// writable returns an error wrapping ErrStorageUnavailable when the
// database's path no longer names the file the store opened (checked at
// most once a second). Every write calls it first.
func (s *Store) writable() error {
	return s.fileCheck.get(func() error {
		fi, err := os.Stat(s.path)
		if err != nil {
			return fmt.Errorf("%w: database file: %w", ErrStorageUnavailable, err)
		}
		if !os.SameFile(fi, s.opened) {
			return fmt.Errorf("%w: database file %s was replaced while open", ErrStorageUnavailable, s.path)
		}
		return nil
	})
}

// cachedCheck runs a check at most once per healthTTL and shares its
// answer meanwhile.
type cachedCheck struct {
	mu  sync.Mutex
	at  time.Time // of the last run; zero before the first
	err error
}

func (c *cachedCheck) get(check func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); c.at.IsZero() || now.Sub(c.at) >= healthTTL {
		c.err = check()
		c.at = time.Now()
	}
	return c.err
}
