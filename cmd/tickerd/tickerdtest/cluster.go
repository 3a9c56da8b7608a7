package tickerdtest

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"
)

// FreeAddr returns a loopback host:port that was free a moment ago, for a
// port a test must know before the process starts (an embedded NATS
// server's, which edges need in their flags).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Exit runs the binary with args after the base flags, expecting it to
// exit by itself within d (a start-up error). It returns the exit code and
// everything the process wrote; a process still running after d fails the
// test.
func (p *Process) Exit(t testing.TB, d time.Duration, args ...string) (code int, output string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	argv := append(append([]string{"-addr", p.Addr}, baseFlags...), args...)
	cmd := exec.CommandContext(ctx, p.bin, argv...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("tickerd %v still running after %s:\n%s", args, d, out)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("run tickerd: %v", err)
	}
	return 0, string(out)
}
