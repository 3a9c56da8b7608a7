package portfolio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestUsernameRules(t *testing.T) {
	s := MustOpenStore(t)
	tests := []struct {
		username string
		ok       bool
	}{
		{"alice", true},
		{"  Bobby ", true}, // normalized to "bobby"
		{"bob_1.x-y", true},
		{"abc", true},
		{strings.Repeat("a", 32), true},
		{"ab", false},
		{strings.Repeat("a", 33), false},
		{"1alice", false},
		{"_alice", false},
		{"al ice", false},
		{"alicé", false},
		{"al!ce", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			name := tt.username
			a, err := s.Register(context.Background(), name, "correct horse battery")
			if tt.ok {
				if err != nil {
					t.Fatalf("Register(%q): %v", name, err)
				}
				if a.Username != NormalizeUsername(name) || a.ID <= 0 {
					t.Errorf("account = %+v", a)
				}
				return
			}
			wantCode(t, err, CodeInvalidUsername, "username")
		})
	}
}

func TestPasswordRules(t *testing.T) {
	s := MustOpenStore(t)
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"8 chars", "abcdefgh", true},
		{"128 chars", strings.Repeat("x", 128), true},
		{"8 runes 16 bytes", "éééééééé", true},
		{"7 chars", "abcdefg", false},
		{"7 runes many bytes", "ééééééé", false},
		{"129 chars", strings.Repeat("x", 129), false},
		{"the username", "carolina", false},
		{"the username upper case", "CAROLINA", false},
		{"invalid utf8", "abcdefgh\xff", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Register(context.Background(), "carolina", tt.password)
			if tt.ok {
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				// Free the username for the next case.
				if _, err := s.writer.Exec("DELETE FROM accounts WHERE username = 'carolina'"); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, CodeInvalidPassword, "password")
		})
	}
}

func TestRegisterDuplicateUsername(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	mustRegister(t, s, "alice")
	for _, name := range []string{"alice", "ALICE", " Alice"} {
		_, err := s.Register(ctx, name, "another password")
		wantCode(t, err, CodeUsernameTaken, "username")
	}
	var n int
	if err := s.reader.QueryRow("SELECT COUNT(*) FROM accounts").Scan(&n); err != nil || n != 1 {
		t.Fatalf("accounts = %d, %v", n, err)
	}
}

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s := MustOpenStore(t, Options{Now: clock.Now, SessionTTL: time.Hour})
	a := mustRegister(t, s, "Alice")
	if a.Username != "alice" || !a.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("account = %+v", a)
	}
	if got, err := s.Account(ctx, a.ID); err != nil || got != a {
		t.Fatalf("Account = %+v, %v; want %+v", got, err, a)
	}
	if got, err := s.AccountByUsername(ctx, "ALICE"); err != nil || got != a {
		t.Fatalf("AccountByUsername = %+v, %v", got, err)
	}
	if cash, err := s.Cash(ctx, a.ID); err != nil || cash != DefaultStartingCash {
		t.Fatalf("Cash = %d, %v", cash, err)
	}

	token, sess, err := s.Login(ctx, " ALICE", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 || strings.ContainsAny(token, "+/=") {
		t.Errorf("token %q is not 32 bytes of unpadded base64url", token)
	}
	want := Session{ID: tokenID(token), AccountID: a.ID, Username: "alice", ExpiresAt: clock.Now().Add(time.Hour)}
	if sess != want {
		t.Fatalf("session = %+v, want %+v", sess, want)
	}
	if got, err := s.Authenticate(ctx, token); err != nil || got != want {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}

	// The token is never stored: only its SHA-256.
	rows, err := s.reader.Query("SELECT token_hash || ' ' || account_id FROM sessions")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row, token) {
			t.Errorf("token stored in plain text: %q", row)
		}
		if !strings.HasPrefix(row, sess.ID+" ") {
			t.Errorf("row %q, want hash %s", row, sess.ID)
		}
	}
	rows.Close()

	// A second session is independent; logout revokes only its own.
	token2, _, err := s.Login(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	ended, err := s.Logout(ctx, token)
	if err != nil || ended != want {
		t.Fatalf("Logout = %+v, %v; want %+v", ended, err, want)
	}
	_, err = s.Authenticate(ctx, token)
	wantCode(t, err, CodeUnauthorized, "")
	_, err = s.Logout(ctx, token)
	wantCode(t, err, CodeUnauthorized, "")
	if _, err := s.Authenticate(ctx, token2); err != nil {
		t.Fatalf("other session: %v", err)
	}

	// Expiry.
	clock.Advance(time.Hour - time.Millisecond)
	if _, err := s.Authenticate(ctx, token2); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	clock.Advance(time.Millisecond)
	_, err = s.Authenticate(ctx, token2)
	wantCode(t, err, CodeUnauthorized, "")
	_, err = s.Logout(ctx, token2)
	wantCode(t, err, CodeUnauthorized, "")

	for _, bad := range []string{"", "nonsense", strings.Repeat("a", 10_000), sess.ID} {
		_, err := s.Authenticate(ctx, bad)
		wantCode(t, err, CodeUnauthorized, "")
	}
}

func TestLoginExpiredSessionsAreDeleted(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s := MustOpenStore(t, Options{Now: clock.Now, SessionTTL: time.Minute})
	mustRegister(t, s, "alice")
	for i := 0; i < 3; i++ {
		if _, _, err := s.Login(ctx, "alice", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	if _, _, err := s.Login(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.reader.QueryRow("SELECT COUNT(*) FROM sessions").Scan(&n); err != nil || n != 1 {
		t.Fatalf("sessions = %d, %v; want only the live one", n, err)
	}
}

func TestLoginSameErrorForUnknownUserAndWrongPassword(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	mustRegister(t, s, "alice")
	var msgs []string
	for _, c := range [][2]string{
		{"alice", "wrong password"},
		{"mallory", "correct horse battery"},
		{"not a valid name!", "x"},
	} {
		token, _, err := s.Login(ctx, c[0], c[1])
		wantCode(t, err, CodeInvalidCredentials, "")
		if token != "" {
			t.Errorf("token issued for %v", c)
		}
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs {
		if m != "invalid username or password" {
			t.Errorf("message %q differs", m)
		}
	}
}

func TestRealArgonParams(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir()+"/real.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Register(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := s.reader.QueryRow("SELECT password_hash FROM accounts WHERE id = ?", a.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, "correct horse") {
		t.Fatalf("hash = %q", hash)
	}
	p, salt, key, err := parsePHC(hash)
	if err != nil || p != defaultArgonParams || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("parsed %+v salt %d key %d: %v", p, len(salt), len(key), err)
	}
	if _, _, err := s.Login(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Login(ctx, "alice", "correct horse batterY")
	wantCode(t, err, CodeInvalidCredentials, "")
}

func TestHashUpgradedOnLogin(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/t.db"
	s := MustOpenStoreAt(t, path)
	a := mustRegister(t, s, "alice")
	s.Close()
	stronger := cheapArgon
	stronger.Time = 2
	s = MustOpenStoreAt(t, path, Options{hashParams: stronger})
	if _, _, err := s.Login(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := s.reader.QueryRow("SELECT password_hash FROM accounts WHERE id = ?", a.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hash, "t=2,") {
		t.Fatalf("hash not upgraded: %s", hash)
	}
	if _, _, err := s.Login(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatalf("login with upgraded hash: %v", err)
	}
}

// TestHashingQueuesOnContext shows a login waits for a hashing worker and
// gives up when its context ends instead of hashing anyway.
func TestHashingQueuesOnContext(t *testing.T) {
	s := MustOpenStore(t, Options{HashConcurrency: 1})
	mustRegister(t, s, "alice")
	// Occupy the only worker: it hashes, then waits to hand the key over.
	busy := make(chan []byte)
	s.hash.jobs <- hashJob{password: []byte("x"), salt: make([]byte, 16), p: s.hash.params, out: busy}
	// An unknown user waits for a slot too: it costs a hash like a known one.
	for _, user := range []string{"alice", "mallory"} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, _, err := s.Login(ctx, user, "correct horse battery")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Login(%s) with no free slot = %v, want deadline exceeded", user, err)
		}
		if ErrorCode(err) != CodeInternal {
			t.Errorf("code = %s", ErrorCode(err))
		}
	}
	<-busy
	if _, _, err := s.Login(context.Background(), "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
}

func TestResetPassword(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	mustRegister(t, s, "demo")
	token, _, err := s.Login(ctx, "demo", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(ctx, "DEMO", "new password 1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(ctx, token)
	wantCode(t, err, CodeUnauthorized, "")
	_, _, err = s.Login(ctx, "demo", "correct horse battery")
	wantCode(t, err, CodeInvalidCredentials, "")
	if _, _, err := s.Login(ctx, "demo", "new password 1"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.ResetPassword(ctx, "nobody", "new password 1"), CodeNotFound, "")
	wantCode(t, s.ResetPassword(ctx, "demo", "short"), CodeInvalidPassword, "password")
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("disk on fire"), CodeInternal},
		{Errorf(CodeNotFound, "gone %d", 1), CodeNotFound},
		{errors.Join(errors.New("ctx"), Errorf(CodeInsufficientCash, "x")), CodeInsufficientCash},
		{&Error{Message: "no code"}, CodeInternal},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if e := Errorf(CodeNotFound, "gone %d", 1); e.Error() != "gone 1" || e.Field != "" {
		t.Errorf("Errorf = %+v", e)
	}
}

// TestHashBusyBracketsHashing: HashBusy reports true before a hash runs and
// false once none is running or waiting.
func TestHashBusyBracketsHashing(t *testing.T) {
	var mu sync.Mutex
	var calls []bool
	s := MustOpenStore(t, Options{HashBusy: func(busy bool) {
		mu.Lock()
		calls = append(calls, busy)
		mu.Unlock()
	}})
	mu.Lock()
	calls = nil // opening the store hashed the dummy password
	mu.Unlock()
	mustRegister(t, s, "alice")
	if _, _, err := s.Login(context.Background(), "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 4 || !calls[0] || calls[1] || !calls[2] || calls[3] {
		t.Fatalf("HashBusy calls = %v, want [true false true false]", calls)
	}
}

// LiveSessions tells live sessions from logged-out, expired and unknown ones.
func TestLiveSessions(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	mustRegister(t, s, "alice")
	var ids []string
	for range 3 {
		tok, sess, err := s.Login(ctx, "alice", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sess.ID)
		if len(ids) == 2 {
			if _, err := s.Logout(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	live, err := s.LiveSessions(ctx, append(ids, "unknown"))
	if err != nil {
		t.Fatal(err)
	}
	if !live[ids[0]] || live[ids[1]] || !live[ids[2]] || live["unknown"] || len(live) != 2 {
		t.Fatalf("live = %v for %v (the second logged out)", live, ids)
	}
	if live, err := s.LiveSessions(ctx, nil); err != nil || len(live) != 0 {
		t.Fatalf("no ids: %v %v", live, err)
	}
	if _, err := s.LiveSessions(ctx, make([]string, MaxLiveSessionsQuery+1)); err == nil {
		t.Fatal("too many ids accepted")
	}
}

// TestNormalizeUsername: the one username normalization trims ASCII spaces
// and tabs and lower-cases ASCII letters; nothing else is folded.
func TestNormalizeUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{" Alice\t", "alice"},
		{"BOB_1.X-Y", "bob_1.x-y"},
		{"\u212Aate", "\u212Aate"},         // Kelvin sign: strings.ToLower makes it "k"
		{"\u00a0victim", "\u00a0victim"},   // no-break space: strings.TrimSpace drops it
		{"victim\u2003", "victim\u2003"},   // em space
		{"\u0130stanbul", "\u0130stanbul"}, // dotted capital I
		{"ｖｉｃｔｉｍ", "ｖｉｃｔｉｍ"},               // fullwidth: NFKC would make it "victim"
		{"victim\n", "victim\n"},           // only spaces and tabs are trimmed
	}
	for _, tt := range tests {
		if got := NormalizeUsername(tt.in); got != tt.want {
			t.Errorf("NormalizeUsername(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestUsernameSpellingsReachOneAccount: ASCII case and surrounding spaces
// reach the account; Unicode look-alikes that case mapping or white-space
// trimming used to fold (the Kelvin sign, a no-break space) reach no
// account and cannot be registered.
func TestUsernameSpellingsReachOneAccount(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	const pw = "correct horse battery"
	for _, name := range []string{"victim", "kate"} {
		if _, err := s.Register(ctx, name, pw); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{" victim", "victim\t", "VICTIM", " Kate "} {
		if _, _, err := s.Login(ctx, name, pw); err != nil {
			t.Errorf("Login(%q): %v", name, err)
		}
	}
	for _, name := range []string{"\u00a0victim", "victim\u00a0", "\u212Aate", "\u2003victim"} {
		_, _, err := s.Login(ctx, name, pw)
		wantCode(t, err, CodeInvalidCredentials, "")
		_, err = s.Register(ctx, name, pw)
		wantCode(t, err, CodeInvalidUsername, "username")
	}
}

// TestLoginBeforeQueuedRegistrations: password hashing serves a waiting
// login before any waiting registration, so a flood of registrations delays
// a login by the hashes already running, not by every one queued. (In one
// queue the login waited for all of them.)
func TestLoginBeforeQueuedRegistrations(t *testing.T) {
	// HashBusy is set so that the hasher counts the hashes pending.
	s := MustOpenStore(t, Options{HashConcurrency: 1, HashBusy: func(bool) {},
		hashParams: argonParams{Memory: 4 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	mustRegister(t, s, "alice")
	pending := func() int {
		s.hash.busyMu.Lock()
		defer s.hash.busyMu.Unlock()
		return s.hash.pending
	}
	waitPending := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for pending() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d hashes waiting, want %d", pending(), n)
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // into the channel send
	}

	// Occupy the only worker: it hashes, then waits to hand the key over.
	busy := make(chan []byte)
	s.hash.jobs <- hashJob{password: []byte("x"), salt: make([]byte, 16), p: s.hash.params, out: busy}

	const floods = 8
	var mu sync.Mutex
	registered := 0
	var wg sync.WaitGroup
	for i := range floods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Register(context.Background(), fmt.Sprintf("flood%d", i), "correct horse battery"); err != nil {
				t.Error(err)
			}
			mu.Lock()
			registered++
			mu.Unlock()
		}()
	}
	waitPending(floods)
	type done struct {
		at         time.Time
		registered int
	}
	loginDone := make(chan done, 1)
	go func() {
		if _, _, err := s.Login(context.Background(), "alice", "correct horse battery"); err != nil {
			t.Error(err)
		}
		mu.Lock()
		loginDone <- done{time.Now(), registered}
		mu.Unlock()
	}()
	waitPending(floods + 1)
	released := time.Now()
	<-busy
	d := <-loginDone
	wg.Wait()
	before := d.registered
	t.Logf("login done %v after the worker came free, with %d registrations queued; %d of them finished first",
		d.at.Sub(released), floods, before)
	if before > 2 {
		t.Fatalf("%d of %d queued registrations were hashed before the waiting login", before, floods)
	}
}
