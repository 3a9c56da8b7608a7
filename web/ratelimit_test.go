package web

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(3, time.Minute)
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 3; i++ {
		if d := l.allow("k", now); d != 0 {
			t.Fatalf("attempt %d refused (%v)", i+1, d)
		}
	}
	d := l.allow("k", now)
	if d <= 0 || d > 20*time.Second {
		t.Fatalf("4th attempt wait = %v, want (0, 20s]", d)
	}
	if l.allow("other", now) != 0 {
		t.Fatal("another key is limited too")
	}
	// A refused attempt consumes nothing: after the wait, one passes.
	if got := l.allow("k", now.Add(d)); got != 0 {
		t.Fatalf("after waiting %v still refused (%v)", d, got)
	}
}

// Issue 10, High: a full table refused every new key, so once 65,536
// usernames had been tried within a minute nobody new could log in.
func TestLimiterFullTableAdmitsNewKeys(t *testing.T) {
	l := newLimiter(5, time.Minute)
	l.maxKeys = 100
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 100; i++ {
		l.allow(fmt.Sprint("k", i), now)
	}
	l.allow("k0", now) // k0 is now the most recently used, k1 the least

	if d := l.allow("new", now.Add(time.Second)); d != 0 {
		t.Fatalf("a new key is refused when the table is full (wait %v)", d)
	}
	if n := l.size(); n != 100 {
		t.Fatalf("size = %d, want 100", n)
	}
	if l.evicted != 1 {
		t.Fatalf("evicted = %d, want 1", l.evicted)
	}
	// The least recently used key was forgotten, the most recent one kept.
	for range 5 {
		l.allow("k0", now.Add(time.Second))
	}
	if d := l.allow("k0", now.Add(time.Second)); d == 0 {
		t.Fatal("k0 lost its throttle: the wrong key was forgotten")
	}
	if d := l.allow("k1", now.Add(time.Second)); d != 0 {
		t.Fatal("k1 (least recently used) was kept instead")
	}
}

// Keys idle for a whole window are dropped a few per call, oldest first.
func TestLimiterExpiresIdleKeys(t *testing.T) {
	l := newLimiter(5, time.Minute)
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 100; i++ {
		l.allow(fmt.Sprint("k", i), now)
	}
	later := now.Add(time.Minute)
	for i := 0; i < 30; i++ {
		l.allow("hot", later)
	}
	if n := l.size(); n != 1 {
		t.Fatalf("size = %d after 30 calls a window later, want 1 (hot)", n)
	}
	if l.evicted != 0 {
		t.Fatalf("evicted = %d: expired keys counted as evicted", l.evicted)
	}
}

func TestLimiterCutsLongKeys(t *testing.T) {
	l := newLimiter(1, time.Minute)
	now := time.Unix(1_700_000_000, 0)
	long := strings.Repeat("x", 10_000)
	l.allow(long, now)
	for k := range l.keys {
		if len(k) > maxLimiterKeyLen {
			t.Fatalf("key of %d bytes kept", len(k))
		}
	}
	if d := l.allow(long+"y", now); d == 0 {
		t.Fatal("keys equal in their first bytes should share a bucket")
	}
}

// 70,000 logins with distinct usernames from one IP in about 5 s create no
// username keys past the IP's quota, and lock nobody else out.
func TestLoginFloodFromOneIP(t *testing.T) {
	s := &Server{loginPerIP: newLimiter(20, time.Minute), loginPerUser: newLimiter(10, time.Minute)}
	now := time.Unix(1_700_000_000, 0)
	refused := 0
	for i := range 70_000 {
		if s.loginWait("192.0.2.1", "user"+strconv.Itoa(i), now.Add(time.Duration(i)*70*time.Microsecond)) > 0 {
			refused++
		}
	}
	if refused < 70_000-21 {
		t.Fatalf("%d of 70,000 attempts refused; the IP limit is 20 a minute", refused)
	}
	if n := s.loginPerUser.size(); n > 21 {
		t.Fatalf("%d username keys after the IP limit refused all but ~20 attempts", n)
	}
	if d := s.loginWait("198.51.100.7", "alice", now.Add(5*time.Second)); d != 0 {
		t.Fatalf("alice, from another IP, must wait %v", d)
	}
}

// The same flood from 70,000 addresses (one each) keeps both tables within
// their bound and still locks nobody out.
func TestLoginFloodFromManyIPsStaysBounded(t *testing.T) {
	s := &Server{loginPerIP: newLimiter(20, time.Minute), loginPerUser: newLimiter(10, time.Minute)}
	now := time.Unix(1_700_000_000, 0)
	for i := range 70_000 {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
		s.loginWait(ip, "user"+strconv.Itoa(i), now.Add(time.Duration(i)*70*time.Microsecond))
	}
	if ni, nu := s.loginPerIP.size(), s.loginPerUser.size(); ni > maxLimiterKeys || nu > maxLimiterKeys {
		t.Fatalf("tables hold %d IPs and %d usernames, bound %d", ni, nu, maxLimiterKeys)
	}
	if d := s.loginWait("198.51.100.7", "alice", now.Add(5*time.Second)); d != 0 {
		t.Fatalf("alice must wait %v", d)
	}
}

// BenchmarkLimiterNewKey measures a new key on a full table of keys all
// used within the window: the worst case. Its time per call must not grow
// with the table (compare keys=1k with keys=65k).
func BenchmarkLimiterNewKey(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 16} {
		b.Run(fmt.Sprintf("keys=%dk", n>>10), func(b *testing.B) {
			l := newLimiter(10, time.Minute)
			l.maxKeys = n
			now := time.Unix(1_700_000_000, 0)
			keys := make([]string, 2*n) // a ring twice the table: every key is new again when it comes round
			for i := range keys {
				keys[i] = "user:" + strconv.Itoa(i)
			}
			for i := range n {
				l.allow(keys[i], now)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				l.allow(keys[(n+i)%len(keys)], now)
			}
		})
	}
}

// Over HTTP: a flood of logins with distinct usernames from one address
// (past a lowered table bound) does not stop a correct login from another.
func TestLoginFloodLocksNobodyOutHTTP(t *testing.T) {
	ts := startTestServer(t, Config{LoginPerIPPerMin: 5})
	// Registered but not seen by the limiter within the window.
	creds := map[string]string{"username": "victim", "password": "correct horse battery"}
	if resp, body := ts.do(t, "POST", "/api/v1/auth/register", "", creds); resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	l := ts.Server.loginPerUser
	l.mu.Lock()
	l.maxKeys = 500
	l.mu.Unlock()

	limited := 0
	for i := range 600 {
		creds := map[string]string{"username": "nobody" + strconv.Itoa(i), "password": "wrong password"}
		resp, body := ts.do(t, "POST", "/api/v1/auth/login", "", creds)
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if limited < 590 {
		t.Fatalf("only %d of 600 attempts rate limited", limited)
	}

	// The victim logs in from 127.0.0.2.
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	other := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
	defer other.CloseIdleConnections()
	resp, err := other.Post(ts.URL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"victim","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("victim's login from 127.0.0.2: %d (Retry-After %q) %s",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := l.size(); n > 10 {
		t.Fatalf("%d username keys; the IP limit let only a few attempts through", n)
	}
}
