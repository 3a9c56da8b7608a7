package web

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// acceptAll runs l.Accept until it fails, handing each connection to the
// returned channel, which is closed when Accept has failed.
func acceptAll(l net.Listener) <-chan net.Conn {
	out := make(chan net.Conn, 64)
	go func() {
		defer close(out)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			out <- c
		}
	}()
	return out
}

// dialFrom opens a TCP connection to addr from the loopback source address src.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readRefusal reads what a refused connection received: the status and
// problem code of its canned answer, then EOF.
func readRefusal(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read refusal: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("refusal content type %q", ct)
	}
	code := ""
	if i := strings.Index(string(body), `"code":"`); i >= 0 {
		code, _, _ = strings.Cut(string(body[i+len(`"code":"`):]), `"`)
	}
	return resp.StatusCode, code
}

func TestListenerCaps(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs := newConns(4, 2)
	l := newListener(inner, cs, slog.New(slog.DiscardHandler))
	accepted := acceptAll(l)
	defer func() {
		_ = l.Close()
		for c := range accepted {
			_ = c.Close()
		}
	}()
	addr := inner.Addr().String()
	next := func() net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no connection accepted")
			return nil
		}
	}

	dialFrom(t, "127.0.0.2", addr)
	dialFrom(t, "127.0.0.2", addr)
	s1, s2 := next(), next()

	// A third from the same address is refused with 429 and closed.
	a3 := dialFrom(t, "127.0.0.2", addr)
	if st, code := readRefusal(t, a3); st != http.StatusTooManyRequests || code != codeTooManyConnections {
		t.Fatalf("per-IP refusal = %d %q", st, code)
	}

	// Two more from another address fill the total cap of 4; a fifth is 503.
	dialFrom(t, "127.0.0.3", addr)
	dialFrom(t, "127.0.0.3", addr)
	next()
	next()
	a6 := dialFrom(t, "127.0.0.4", addr)
	if st, code := readRefusal(t, a6); st != http.StatusServiceUnavailable || code != codeServerBusy {
		t.Fatalf("total refusal = %d %q", st, code)
	}
	if got := [2]uint64{cs.refusedTotal.Load(), cs.refusedPerIP.Load()}; got != [2]uint64{1, 1} {
		t.Fatalf("refused total, per_ip = %v, want [1 1]", got)
	}

	// Closing a connection twice frees exactly one slot.
	_ = s1.Close()
	_ = s1.Close()
	if open, _ := cs.stats(); open != 3 {
		t.Fatalf("open = %d after closing one of 4, want 3", open)
	}
	if n := cs.openFrom(netip.MustParseAddr("127.0.0.2")); n != 1 {
		t.Fatalf("open from 127.0.0.2 = %d, want 1", n)
	}
	dialFrom(t, "127.0.0.4", addr)
	next()
	_ = s2.Close()
	if n := cs.openFrom(netip.MustParseAddr("127.0.0.2")); n != 0 || cs.addrs() != 2 {
		t.Fatalf("per-IP table holds %d addresses (%d open from 127.0.0.2), want 127.0.0.2 gone", cs.addrs(), n)
	}
}

// emfileListener fails its first fails accepts (every one while always is
// set) with EMFILE, as a process out of descriptors does, then delegates.
type emfileListener struct {
	net.Listener
	fails  atomic.Int32
	always atomic.Bool
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.always.Load() || l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestListenerBacksOffOnEMFILE(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &emfileListener{Listener: inner}
	fake.fails.Store(4)
	cs := newConns(100, 100)
	cs.grace = 0
	l := newListener(fake, cs, slog.New(slog.DiscardHandler))
	defer l.Close()

	// A silent connection admitted earlier is closed to free a descriptor.
	silent := &trackedConn{Conn: nopConn{}, t: cs}
	cs.mu.Lock()
	silent.in, silent.elem, silent.since = &cs.fresh, cs.fresh.PushBack(silent), time.Now()
	cs.open++
	cs.mu.Unlock()

	dialFrom(t, "127.0.0.1", inner.Addr().String())
	start := time.Now()
	got, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept after EMFILE: %v", err)
	}
	defer got.Close()
	// 5 + 10 + 20 + 40 ms of backoff before the fifth try succeeds.
	if d := time.Since(start); d < 75*time.Millisecond {
		t.Fatalf("Accept retried after %v, want a backoff of at least 75ms", d)
	}
	if n := cs.refusedEMFILE.Load(); n != 4 {
		t.Fatalf("emfile refusals = %d, want 4", n)
	}
	if n := cs.evicted.Load(); n != 1 {
		t.Fatalf("evicted = %d, want the silent connection", n)
	}

	// Close ends a backoff in progress.
	fake.always.Store(true)
	done := make(chan error, 1)
	go func() { _, err := l.Accept(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	_ = l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Accept still backing off after Close")
	}
}

type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

func TestAcceptBackoffDoublesToOneSecond(t *testing.T) {
	var d time.Duration
	var got []time.Duration
	for range 10 {
		d = nextAcceptBackoff(d)
		got = append(got, d)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoff %d = %v, want %v", i, got[i], want[i]*time.Millisecond)
		}
	}
}

func TestMaxConnsFor(t *testing.T) {
	for _, tt := range []struct {
		soft uint64
		want int
	}{
		{1024, 922}, {20000, 18000}, {256, 192}, {64, 1}, {1 << 40, 1<<30 - 1<<30/10},
	} {
		if got := maxConnsFor(tt.soft); got != tt.want {
			t.Errorf("maxConnsFor(%d) = %d, want %d", tt.soft, got, tt.want)
		}
	}
}
