package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Defaults for zero Options fields.
const (
	DefaultStartingCash = 10_000_000 // cents: $100,000.00
	DefaultSessionTTL   = 24 * time.Hour
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY.
const busyTimeoutMS = 5000

// Options configure a Store.
type Options struct {
	StartingCash    int64         // cents; 0 means 10_000_000 ($100,000.00)
	SessionTTL      time.Duration // 0 means 24h
	HashConcurrency int           // password hashes at once; 0 means 1 per 2 CPUs, at least 1
	Now             func() time.Time
	// HashBusy, if set, is called with true when password hashing starts
	// after a pause and with false when no hash is running or waiting
	// any more, never concurrently.
	HashBusy func(busy bool)

	// hashParams overrides the argon2id cost (tests only); zero means the
	// OWASP defaults.
	hashParams argonParams
}

// Store keeps accounts, sessions, portfolios and trades in SQLite. All
// writes go through one writer connection in IMMEDIATE transactions; reads
// use a separate pool of query-only connections. A Store is safe for
// concurrent use. A write the database cannot take whatever the request (a
// full disk, a read-only or unreadable file, the file deleted while open)
// fails with an error for which StorageUnavailable is true.
type Store struct {
	writer *sql.DB
	reader *sql.DB
	hash   *hasher

	startingCash int64
	sessionTTL   time.Duration
	now          func() time.Time

	stmts readStmts // prepared on the reader pool

	path       string      // of the database file
	opened     os.FileInfo // of the file at path when it was opened
	fileCheck  cachedCheck // writable
	writeCheck cachedCheck // CheckWrite

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database at path and applies migrations.
// The parent directory is created if missing. A database whose schema is
// newer than this binary knows is refused with an error wrapping
// ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open database: need a file path, got %q", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{
		startingCash: opts.StartingCash,
		sessionTTL:   opts.SessionTTL,
		now:          opts.Now,
	}
	if s.startingCash <= 0 {
		s.startingCash = DefaultStartingCash
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.writer, err = sql.Open("sqlite3", dsn(path, "_txlock=immediate")); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)
	// The writer must exist (and the file be in WAL mode) before the
	// read-only pool opens it.
	if err := s.writer.PingContext(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.path = path
	if s.opened, err = os.Stat(path); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	if s.reader, err = sql.Open("sqlite3", dsn(path, "_query_only=on")); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	readers := max(4, 2*runtime.NumCPU())
	s.reader.SetMaxOpenConns(readers)
	s.reader.SetMaxIdleConns(readers)
	if err := s.stmts.prepare(ctx, s.reader); err != nil {
		s.stmts.close()
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if s.hash, err = newHasher(opts.hashParams, opts.HashConcurrency, opts.HashBusy); err != nil {
		s.stmts.close()
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

// dsn builds a go-sqlite3 data source name whose pragmas every pooled
// connection applies when it opens.
func dsn(path string, extra string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return fmt.Sprintf("file:%s?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=%d&_synchronous=NORMAL&%s",
		escaped, busyTimeoutMS, extra)
}

// Close checkpoints the write-ahead log into the database file, closes
// both pools and stops the password hashing workers. It is safe to call more
// than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		s.stmts.close()
		if err := s.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close readers: %w", err))
		}
		if _, err := s.writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, fmt.Errorf("checkpoint: %w", err))
		}
		if err := s.writer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close writer: %w", err))
		}
		s.hash.close()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Ping checks that the database answers, on both the reader pool and the
// writer connection.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// nowMS is the store clock in Unix milliseconds, the unit of every stored time.
func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// fromMS converts a stored time to a UTC time.Time.
func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// readStmts are the hot read queries, prepared once per pooled connection
// instead of once per call.
type readStmts struct {
	authenticate *sql.Stmt
	holdings     *sql.Stmt
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	var err error
	if r.authenticate, err = db.PrepareContext(ctx, authenticateQuery); err != nil {
		return fmt.Errorf("prepare authenticate: %w", err)
	}
	if r.holdings, err = db.PrepareContext(ctx, holdingsQuery); err != nil {
		return fmt.Errorf("prepare holdings: %w", err)
	}
	return nil
}

func (r *readStmts) close() {
	for _, st := range []*sql.Stmt{r.authenticate, r.holdings} {
		if st != nil {
			st.Close()
		}
	}
}

// rollback ends tx if it was not committed; it is meant for defer.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }
