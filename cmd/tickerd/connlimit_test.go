package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// Issue 10, High: idle TCP connections past the open-file limit made accept
// fail with EMFILE, which ended Serve and the process. Under a limit of
// 1,024 descriptors, 1,100 idle sockets must leave the server running and
// answering, with the refusals counted.
func TestIdleSocketsPastFileLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("prlimit is needed for this test in CI")
		}
		t.Skip("prlimit not installed")
	}
	p := tickerdtest.New(t)
	p.Wrap = []string{prlimit, "--nofile=1024:1024"}
	p.Start(t)

	// 300 sockets from one address (past the per-IP cap) and 800 from
	// eight others (past the total cap derived from the limit).
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	dial := func(src byte, n int) {
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, src)}}
		for range n {
			c, err := d.Dial("tcp", p.Addr)
			if err != nil {
				// The listener is gone: wait (a while) for the process to
				// finish exiting, so that its log says why.
				for end := time.Now().Add(15 * time.Second); p.Running() && time.Now().Before(end); {
					time.Sleep(100 * time.Millisecond)
				}
				t.Fatalf("dial from 127.0.0.%d after %d sockets: %v (tickerd running: %v)\n%s",
					src, len(conns), err, p.Running(), p.Log())
			}
			conns = append(conns, c)
		}
	}
	dial(2, 300)
	for src := byte(10); src < 18; src++ {
		dial(src, 100)
	}

	// Give the server time to accept (or refuse) every one of them.
	time.Sleep(2 * time.Second)
	if !p.Running() {
		t.Fatalf("tickerd exited with %d idle sockets open:\n%s", len(conns), p.Log())
	}

	// A fresh request from another address gets through: silent sockets
	// are closed under pressure once silent for a few seconds.
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, err := rawGet(p.Addr, "/healthz")
		if err == nil && status == http.StatusOK {
			break
		}
		if !p.Running() {
			t.Fatalf("tickerd exited:\n%s", p.Log())
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz still failing after 20s: status %d, %v", status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	status, body, err := rawGet(p.Addr, "/metrics")
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", status, err)
	}
	perIP := metricValue(body, `tickerd_connections_refused_total{reason="per_ip"}`)
	total := metricValue(body, `tickerd_connections_refused_total{reason="total"}`)
	evicted := metricValue(body, `tickerd_connections_evicted_total`)
	if perIP < 300-256 || total < 1 || evicted < 1 {
		t.Fatalf("refused per_ip %v (want >= 44), total %v (want > 0), evicted %v (want > 0)", perIP, total, evicted)
	}
	if !p.Running() {
		t.Fatal("tickerd exited")
	}

	// With the sockets still open, SIGTERM ends it cleanly and quickly.
	start := time.Now()
	p.Stop(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopping took %v", d)
	}
	for _, bad := range []string{"too many open files", "deadline exceeded", "request failed"} {
		if strings.Contains(p.Log(), bad) {
			t.Errorf("server log has %q:\n%s", bad, p.Log())
		}
	}
}

// rawGet sends one GET on a new connection and reads the answer, which may
// be a refusal the server wrote before reading the request.
func rawGet(addr, path string) (int, string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: tickerd\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, "", err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// metricValue returns the value of the series named exactly by series
// (name and labels as Prometheus renders them), or -1 when it is absent.
func metricValue(exposition, series string) float64 {
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if ok && name == series {
			v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}
