package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOpenCreatesParentDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "tickerd.db")
	s := MustOpenStoreAt(t, path)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
}

func TestOpenRefusesNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(context.Background(), path, Options{hashParams: cheapArgon}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickerd.db")
	for i := 0; i < 3; i++ {
		s := MustOpenStoreAt(t, path)
		var versions, latest int
		if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&versions, &latest); err != nil {
			t.Fatal(err)
		}
		if versions != LatestSchemaVersion() || latest != LatestSchemaVersion() || latest < 1 {
			t.Fatalf("open %d: %d migration rows up to %d, want %d", i, versions, latest, LatestSchemaVersion())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickerd.db")
	s := MustOpenStoreAt(t, path)
	future := LatestSchemaVersion() + 7
	if _, err := s.writer.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)", future); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, path, Options{hashParams: cheapArgon})
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a database from a newer version")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("error %v does not wrap ErrSchemaTooNew", err)
	}
	for _, v := range []int{future, LatestSchemaVersion()} {
		if !strings.Contains(err.Error(), "version "+strconv.Itoa(v)) && !strings.Contains(err.Error(), "to "+strconv.Itoa(v)) {
			t.Errorf("error %q does not name version %d", err, v)
		}
	}
}

// TestPragmasOnEveryConnection holds several connections of each pool at
// once, so each is a distinct connection, and checks each one's pragmas.
func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	check := func(name string, db *sql.DB, n int, queryOnly int) {
		t.Helper()
		var conns []*sql.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < n; i++ {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			var mode string
			var fk, busy, sync, qo int
			for _, q := range []struct {
				pragma string
				dst    any
			}{
				{"journal_mode", &mode}, {"foreign_keys", &fk}, {"busy_timeout", &busy},
				{"synchronous", &sync}, {"query_only", &qo},
			} {
				if err := c.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(q.dst); err != nil {
					t.Fatalf("%s conn %d: PRAGMA %s: %v", name, i, q.pragma, err)
				}
			}
			if mode != "wal" || fk != 1 || busy != busyTimeoutMS || sync != 1 || qo != queryOnly {
				t.Errorf("%s conn %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d query_only=%d",
					name, i, mode, fk, busy, sync, qo)
			}
		}
	}
	check("writer", s.writer, 1, 0)
	check("reader", s.reader, 4, 1)

	if _, err := s.reader.ExecContext(ctx, "DELETE FROM accounts"); err == nil {
		t.Error("reader pool accepted a write")
	}
	// Foreign keys are enforced: a session for no account is refused.
	if _, err := s.writer.ExecContext(ctx,
		"INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ('x', 999, 0, 1)"); err == nil {
		t.Error("foreign key not enforced")
	}
}

func TestNoRealColumns(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	rows, err := s.reader.QueryContext(ctx, `
		SELECT m.name, p.name, p.type FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			t.Fatal(err)
		}
		n++
		if typ != "INTEGER" && typ != "TEXT" {
			t.Errorf("%s.%s has type %s", table, col, typ)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d columns found", n)
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tickerd.db")
	prices := newFakePrices()
	prices.set("AAPL", 18712, 18659)

	s := MustOpenStoreAt(t, path)
	a := mustRegister(t, s, "alice")
	token, _, err := s.Login(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	trade, err := s.PlaceTrade(ctx, a.ID, TradeRequest{Symbol: "aapl", Side: Buy, Quantity: 3}, prices, prices)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetWatchlist(ctx, a.ID, []string{"msft", "AAPL"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL not checkpointed on Close: %d bytes", fi.Size())
	}

	s = MustOpenStoreAt(t, path)
	sess, err := s.Authenticate(ctx, token)
	if err != nil || sess.AccountID != a.ID {
		t.Fatalf("session after reopen: %+v, %v", sess, err)
	}
	cash, positions, err := s.Holdings(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cash != DefaultStartingCash-3*18712 || len(positions) != 1 ||
		positions[0] != todays("AAPL", 3, 3*18712, 3*18712) {
		t.Errorf("holdings after reopen: %d %+v", cash, positions)
	}
	trades, _, err := s.Trades(ctx, a.ID, "", 0)
	if err != nil || len(trades) != 1 || trades[0] != trade {
		t.Errorf("trades after reopen: %+v, %v; want %+v", trades, err, trade)
	}
	wl, err := s.Watchlist(ctx, a.ID)
	if err != nil || strings.Join(wl, ",") != "MSFT,AAPL" {
		t.Errorf("watchlist after reopen: %v, %v", wl, err)
	}
	if _, _, err := s.Login(ctx, "alice", "correct horse battery"); err != nil {
		t.Errorf("login after reopen: %v", err)
	}
}

// TestDeletedOrReplacedFileRefusesWrites: once the database's path no
// longer names the file the store opened (deleted, or replaced by another
// file), writes fail with ErrStorageUnavailable instead of going to a file
// nobody will open again, and CheckWrite says so; reads go on.
func TestDeletedOrReplacedFileRefusesWrites(t *testing.T) {
	for _, replace := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "db")
		path := filepath.Join(dir, "tickerd.db")
		s := MustOpenStoreAt(t, path)
		ctx := context.Background()
		a := mustRegister(t, s, "before")
		if err := s.CheckWrite(ctx); err != nil {
			t.Fatalf("CheckWrite on a healthy database: %v", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if replace {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(healthTTL) // past the cached answers
		if err := s.CheckWrite(ctx); !StorageUnavailable(err) || !errors.Is(err, ErrStorageUnavailable) {
			t.Fatalf("replace=%v: CheckWrite = %v, want storage unavailable", replace, err)
		}
		if _, err := s.Register(ctx, "after", "correct horse battery"); !StorageUnavailable(err) {
			t.Fatalf("replace=%v: Register = %v, want storage unavailable", replace, err)
		}
		if err := s.SetWatchlist(ctx, a.ID, []string{"AAPL"}); !StorageUnavailable(err) {
			t.Fatalf("replace=%v: SetWatchlist = %v, want storage unavailable", replace, err)
		}
		if _, err := s.Account(ctx, a.ID); err != nil {
			t.Fatalf("replace=%v: a read: %v", replace, err)
		}
	}
}
