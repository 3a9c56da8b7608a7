// Package tickerdtest runs the real tickerd binary for end-to-end tests:
// built from this module, on a free loopback port and a temp database.
package tickerdtest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Flags every test server gets: a fixed market seed, prices that move
// five times a second, and quiet logs.
var baseFlags = []string{"-seed", "1", "-tick-rate", "5", "-log-level", "warn"}

// Process is one tickerd binary with a fixed address and database, so a
// test can kill it and start it again on both.
type Process struct {
	Addr string // loopback host:port
	URL  string // "http://" + Addr

	// Wrap, when set before Start, runs the binary under another command,
	// e.g. {"prlimit", "--nofile=1024:1024"}; that command must exec the
	// binary, so PID stays the server's.
	Wrap []string

	bin, db, logPath string
	args             []string
	cmd              *exec.Cmd
	done             chan struct{} // closed when cmd has exited
}

// New builds cmd/tickerd into a temp dir and picks a free loopback port;
// Start runs it, with args after the base flags. When the test ends a
// running process is stopped, and if the test failed the tail of the
// server's log is logged.
func New(t testing.TB, args ...string) *Process {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tickerd")
	build := exec.Command("go", "build", "-o", bin, "github.com/tickerd/tickerd/cmd/tickerd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build tickerd: %v\n%s", err, out)
	}
	return newProcess(t, bin, dir, args)
}

// Sibling is New for another process of the same binary (a node of the
// same cluster), without building it again.
func (p *Process) Sibling(t testing.TB, args ...string) *Process {
	t.Helper()
	return newProcess(t, p.bin, t.TempDir(), args)
}

func newProcess(t testing.TB, bin, dir string, args []string) *Process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	p := &Process{
		Addr: addr, URL: "http://" + addr,
		bin: bin, db: filepath.Join(dir, "tickerd.db"), logPath: filepath.Join(dir, "server.log"),
		args: append(append([]string{"-addr", addr, "-db", filepath.Join(dir, "tickerd.db")}, baseFlags...), args...),
	}
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			if out, err := os.ReadFile(p.logPath); err == nil {
				t.Logf("server log (tail):\n%s", tail(string(out), 4000))
			}
		}
	})
	return p
}

// Start starts the process and waits until /readyz answers 200. Its output
// is appended to the server log, across restarts.
func (p *Process) Start(t testing.TB) {
	t.Helper()
	p.start(t, "/readyz")
}

// StartAlive is Start waiting only for /healthz: for a server expected not
// to be ready.
func (p *Process) StartAlive(t testing.TB) {
	t.Helper()
	p.start(t, "/healthz")
}

// DBPath is the database file the process runs on.
func (p *Process) DBPath() string { return p.db }

func (p *Process) start(t testing.TB, probe string) {
	t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	argv := append(append(append([]string(nil), p.Wrap...), p.bin), p.args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tickerd: %v", err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(p.done)

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get(p.URL + probe)
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("tickerd exited during start-up:\n%s", tail(p.log(), 4000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("tickerd: no 200 from %s on %s after 30s: %v", probe, p.Addr, err)
		}
	}
}

// Running reports whether the process started by Start has not exited.
func (p *Process) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Log is everything the process has written to stdout and stderr so far.
func (p *Process) Log() string { return p.log() }

// PID is the running process's id, for sampling it from /proc.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Kill ends the process with SIGKILL: no graceful close frames, as in a
// crash.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	p.end(t, syscall.SIGKILL, 10*time.Second)
}

// Stop shuts the process down with SIGTERM, as an operator would, and
// kills it if it has not exited after 15 s. It does nothing if the process
// is not running.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	p.end(t, syscall.SIGTERM, 15*time.Second)
}

func (p *Process) end(t testing.TB, sig syscall.Signal, within time.Duration) {
	t.Helper()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(within):
		t.Errorf("tickerd did not exit within %s of %v", within, sig)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

func (p *Process) log() string {
	out, _ := os.ReadFile(p.logPath)
	return string(out)
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
