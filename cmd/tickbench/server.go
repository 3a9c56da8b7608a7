package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// server is one tickerd process on a fresh database in its own temp dir.
type server struct {
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:PORT
	pid  int
	args []string // as recorded: temp paths shown as $TMP
	log  *lockedBuffer
	dir  string
}

// baseServerArgs are the flags every benchmark server gets: a fixed market
// seed, quiet logs, and caps raised so that per-IP, per-account and login
// limits (which the load tool would otherwise hit by design) do not shape
// the figures.
func baseServerArgs(tickRate float64) []string {
	return []string{
		"-seed", "1",
		"-tick-rate", strconv.FormatFloat(tickRate, 'f', -1, 64),
		"-log-level", "warn",
		"-ws-max-conns-per-ip", "1000",
		"-max-conns-per-ip", "2000",
		"-ws-max-conns-per-user", "1000",
		"-login-per-ip-per-min", "1000000",
		"-login-per-user-per-min", "1000000",
		"-register-per-ip-per-min", "1000000",
	}
}

// startServer starts tickerd with base and extra flags on a free loopback
// port and a new database, and waits until /readyz answers 200.
func (b *bench) startServer(ctx context.Context, tickRate float64, extra ...string) (*server, error) {
	dir, err := os.MkdirTemp(b.tmp, "server-")
	if err != nil {
		return nil, fmt.Errorf("server dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	db := filepath.Join(dir, "tickerd.db")
	args := append([]string{"-addr", addr, "-db", db}, baseServerArgs(tickRate)...)
	args = append(args, b.universeArgs...)
	args = append(args, extra...)
	s := &server{url: "http://" + addr, log: &lockedBuffer{}, dir: dir}
	s.args = append([]string{"tickerd"}, args...)
	s.args[4] = "$TMP/tickerd.db"
	s.args[2] = "127.0.0.1:$PORT"
	if s.cmd, err = b.procs.start(ctx, s.log, s.log, b.tickerd, args...); err != nil {
		return nil, err
	}
	s.pid = s.cmd.Process.Pid
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		b.stopServer(s)
		return nil, err
	}
	return s, nil
}

// waitReady polls /readyz until it answers 200, the process exits or the
// deadline passes.
func (s *server) waitReady(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	hc := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if s.cmd.ProcessState != nil || processGone(s.pid) {
			return fmt.Errorf("tickerd exited before it was ready: %s", s.log.tail(800))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tickerd not ready after %s: %s", within, s.log.tail(800))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopServer ends the server (SIGTERM, then SIGKILL) and removes its
// database.
func (b *bench) stopServer(s *server) {
	if err := b.procs.stop(s.cmd, 20*time.Second); err != nil {
		b.logf("tickerd (pid %d) stop: %v", s.pid, err)
	}
	_ = os.RemoveAll(s.dir)
}

// command is the server's command line for the record.
func (s *server) command() string { return shellJoin(s.args) }

// problems returns the last few of the server's WARN and ERROR log lines.
func (s *server) problems() string {
	var keep []string
	n := 0
	for _, line := range strings.Split(s.log.tail(1<<20), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			n++
			if len(keep) < 5 {
				keep = append(keep, line)
			}
		}
	}
	if n > len(keep) {
		keep = append(keep, fmt.Sprintf("... %d such lines in all", n))
	}
	return strings.Join(keep, "\n")
}

// processGone reports whether pid has exited (or become a zombie).
func processGone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := fieldsAfterComm(string(data))
	return len(f) > 0 && f[0] == "Z"
}

// fieldsAfterComm splits /proc/PID/stat after the command name, which is
// in parentheses and may hold spaces: element 0 is field 3 (state).
func fieldsAfterComm(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
