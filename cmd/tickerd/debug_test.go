package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDebugAddrMustBeLoopback(t *testing.T) {
	tests := []struct {
		addr    string
		wantErr bool
	}{
		{"", false}, // off, the default
		{"127.0.0.1:6060", false},
		{"[::1]:6060", false},
		{"localhost:6060", false},
		{"0.0.0.0:6060", true},
		{":6060", true},
		{"192.168.1.10:6060", true},
		{"[::]:6060", true},
		{"example.com:6060", true},
		{"6060", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			c, err := parseConfig(nil, env("TICKERD_DEBUG_ADDR", tt.addr), io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c.DebugAddr != tt.addr {
				t.Fatalf("DebugAddr = %q", c.DebugAddr)
			}
		})
	}
}

func TestMetricsFlag(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantOff bool
	}{{nil, false}, {[]string{"-metrics=false"}, true}} {
		c, err := parseConfig(tt.args, env(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.Web.MetricsOff != tt.wantOff {
			t.Errorf("%v: MetricsOff = %v", tt.args, c.Web.MetricsOff)
		}
	}
}

// With -metrics=false the API listener has no /metrics; the loopback
// debug listener serves the metrics and pprof.
func TestDebugListenerServesMetricsAndPprof(t *testing.T) {
	var stderr bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, &stderr
	m.Getenv = env("TICKERD_DB", filepath.Join(t.TempDir(), "tickerd.db"), "TICKERD_ADDR", "127.0.0.1:0")
	if err := m.ParseFlags(context.Background(), []string{"-debug-addr", "127.0.0.1:0", "-metrics=false"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("http://" + m.Addr() + "/metrics"); code != http.StatusNotFound {
		t.Errorf("API listener /metrics with -metrics=false: %d, want 404", code)
	}
	dbg := "http://" + m.DebugAddr()
	if !strings.HasPrefix(m.DebugAddr(), "127.0.0.1:") {
		t.Fatalf("debug listener on %q", m.DebugAddr())
	}
	code, body := get(dbg + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "tickerd_feed_ticks_total") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("debug /metrics: %d\n%.500s", code, body)
	}
	if code, body := get(dbg + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("debug /debug/pprof/: %d", code)
	}
}

// -debug-mutex-fraction turns on mutex profiling while the debug listener
// runs, so /debug/pprof/mutex has samples; Close turns it off again.
func TestDebugMutexProfile(t *testing.T) {
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	m.Getenv = env("TICKERD_DB", filepath.Join(t.TempDir(), "tickerd.db"), "TICKERD_ADDR", "127.0.0.1:0")
	args := []string{"-debug-addr", "127.0.0.1:0", "-debug-mutex-fraction", "7", "-debug-block-rate", "1000"}
	if err := m.ParseFlags(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != 7 {
		t.Errorf("mutex profile fraction while running = %d, want 7", got)
	}
	resp, err := http.Get("http://" + m.DebugAddr() + "/debug/pprof/mutex?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "sampling period=7") {
		t.Errorf("/debug/pprof/mutex: %.300s", b)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != 0 {
		t.Errorf("mutex profile fraction after Close = %d, want 0", got)
	}
}
