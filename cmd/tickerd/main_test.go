package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		check   func(t *testing.T, c config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			if c.Addr != "127.0.0.1:8080" || c.DB != "data/tickerd.db" || c.TickRate != 2 || c.Speed != 1 ||
				c.StartingCash != 10_000_000 || c.SessionTTL != 24*time.Hour || c.Demo || c.Seed != 0 ||
				c.LogFormat != "text" || c.Web.BodyLimit != 64<<10 || c.Web.Stream.MaxSymbols != 200 ||
				c.Web.MaxConns != 0 || c.Web.MaxConnsPerIP != 256 ||
				c.Hub.ReplayTicks != 1024 || c.Hub.ReplayWindow != time.Minute || c.Hub.WriteDelay != 0 {
				t.Fatalf("defaults: %+v", c)
			}
		}},
		{name: "env sets", env: []string{"TICKERD_ADDR", "127.0.0.1:9999", "TICKERD_SEED", "42", "TICKERD_STARTING_CASH", "2500.5",
			"TICKERD_ALLOWED_ORIGINS", "https://a.example, https://b.example", "TICKERD_DEMO", "true", "TICKERD_TICK_RATE", "4",
			"TICKERD_SESSION_TTL", "2h", "TICKERD_LOG_FORMAT", "json", "TICKERD_WS_MAX_SYMBOLS", "50"},
			check: func(t *testing.T, c config) {
				if c.Addr != "127.0.0.1:9999" || c.Seed != 42 || c.StartingCash != 250050 || !c.Demo || c.TickRate != 4 ||
					c.SessionTTL != 2*time.Hour || c.LogFormat != "json" || c.Web.Stream.MaxSymbols != 50 ||
					strings.Join(c.Web.AllowedOrigins, "|") != "https://a.example|https://b.example" {
					t.Fatalf("env: %+v", c)
				}
			}},
		{name: "flag beats env", args: []string{"-addr", "127.0.0.1:1", "--seed=7"}, env: []string{"TICKERD_ADDR", "127.0.0.1:2", "TICKERD_SEED", "8"},
			check: func(t *testing.T, c config) {
				if c.Addr != "127.0.0.1:1" || c.Seed != 7 {
					t.Fatalf("flag did not win: %+v", c)
				}
			}},
		{name: "exact cents", args: []string{"-starting-cash", "$1234.05"}, check: func(t *testing.T, c config) {
			if c.StartingCash != 123405 {
				t.Fatalf("starting cash = %d", c.StartingCash)
			}
		}},
		{name: "replay history", args: []string{"-replay-ticks", "64"}, env: []string{"TICKERD_REPLAY_WINDOW", "30s"},
			check: func(t *testing.T, c config) {
				if c.Hub.ReplayTicks != 64 || c.Hub.ReplayWindow != 30*time.Second {
					t.Fatalf("replay: %+v", c.Hub)
				}
			}},
		{name: "write delay", env: []string{"TICKERD_WRITE_DELAY", "5ms"}, check: func(t *testing.T, c config) {
			if c.Hub.WriteDelay != 5*time.Millisecond {
				t.Fatalf("write delay = %v", c.Hub.WriteDelay)
			}
		}},
		{name: "write delay too long", args: []string{"-write-delay", "1s"}, wantErr: "-write-delay must be between 0 and 100ms"},
		{name: "negative write delay", args: []string{"-write-delay", "-1ms"}, wantErr: "-write-delay"},
		{name: "connection caps", args: []string{"-max-conns", "5000"}, env: []string{"TICKERD_MAX_CONNS_PER_IP", "1000"},
			check: func(t *testing.T, c config) {
				if c.Web.MaxConns != 5000 || c.Web.MaxConnsPerIP != 1000 {
					t.Fatalf("caps: %d, %d", c.Web.MaxConns, c.Web.MaxConnsPerIP)
				}
			}},
		{name: "profile rates", args: []string{"-debug-addr", "127.0.0.1:0", "-debug-mutex-fraction", "10"},
			env: []string{"TICKERD_DEBUG_BLOCK_RATE", "1000"}, check: func(t *testing.T, c config) {
				if c.MutexRate != 10 || c.BlockRate != 1000 {
					t.Fatalf("rates: %d, %d", c.MutexRate, c.BlockRate)
				}
			}},
		{name: "profile rate without debug addr", args: []string{"-debug-mutex-fraction", "10"}, wantErr: "-debug-addr"},
		{name: "negative block rate", args: []string{"-debug-addr", "127.0.0.1:0", "-debug-block-rate", "-1"}, wantErr: "debug-block-rate"},
		{name: "negative max conns", env: []string{"TICKERD_MAX_CONNS", "-1"}, wantErr: "max-conns"},
		{name: "zero max conns per ip", args: []string{"-max-conns-per-ip", "0"}, wantErr: "max-conns-per-ip"},
		{name: "bad env names the variable", env: []string{"TICKERD_SEED", "abc"}, wantErr: "TICKERD_SEED"},
		{name: "bad env duration", env: []string{"TICKERD_SESSION_TTL", "forever"}, wantErr: "TICKERD_SESSION_TTL"},
		{name: "bad env bool", env: []string{"TICKERD_DEMO", "maybe"}, wantErr: "TICKERD_DEMO"},
		{name: "three decimals", args: []string{"-starting-cash", "1.005"}, wantErr: "two decimals"},
		{name: "negative cash", env: []string{"TICKERD_STARTING_CASH", "-5"}, wantErr: "TICKERD_STARTING_CASH"},
		{name: "bad log format", args: []string{"-log-format", "xml"}, wantErr: "log-format"},
		{name: "bad log level", env: []string{"TICKERD_LOG_LEVEL", "loud"}, wantErr: "log-level"},
		{name: "zero tick rate", args: []string{"-tick-rate", "0"}, wantErr: "tick-rate"},
		{name: "negative replay ticks", args: []string{"-replay-ticks", "-1"}, wantErr: "replay-ticks"},
		{name: "zero replay window", env: []string{"TICKERD_REPLAY_WINDOW", "0s"}, wantErr: "replay-window"},
		{name: "negative universe", env: []string{"TICKERD_UNIVERSE_SIZE", "-1"}, wantErr: "universe-size"},
		{name: "role defaults to all", check: func(t *testing.T, c config) {
			if c.Cluster.Role != "all" || c.Cluster.Name != "tickerd" || c.Cluster.NATSURL != "" || len(c.Web.TrustedProxies) != 0 {
				t.Fatalf("cluster defaults: %+v", c.Cluster)
			}
		}},
		{name: "edge from env", env: []string{"TICKERD_ROLE", "edge", "TICKERD_NATS_URL", "nats://127.0.0.1:4222",
			"TICKERD_CORE_URL", "http://127.0.0.1:8080", "TICKERD_CLUSTER_NAME", "prod-1", "TICKERD_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"},
			check: func(t *testing.T, c config) {
				if c.Cluster.Role != "edge" || c.Cluster.Name != "prod-1" || strings.Join(c.Web.TrustedProxies, "|") != "10.0.0.0/8|127.0.0.1" {
					t.Fatalf("edge: %+v %v", c.Cluster, c.Web.TrustedProxies)
				}
			}},
		{name: "core with embedded nats", args: []string{"-role", "core", "-nats-listen", "127.0.0.1:4222"}, check: func(t *testing.T, c config) {
			if c.Cluster.NATSListen != "127.0.0.1:4222" {
				t.Fatalf("core: %+v", c.Cluster)
			}
		}},
		{name: "unknown role", args: []string{"-role", "leader"}, wantErr: "-role"},
		{name: "edge without nats url", args: []string{"-role", "edge", "-core-url", "http://127.0.0.1:8080"}, wantErr: "-nats-url"},
		{name: "edge without core url", args: []string{"-role", "edge", "-nats-url", "nats://127.0.0.1:4222"}, wantErr: "-core-url"},
		{name: "edge with bad core url", args: []string{"-role", "edge", "-nats-url", "nats://x:1", "-core-url", "127.0.0.1:8080"}, wantErr: "-core-url"},
		{name: "edge with embedded nats", args: []string{"-role", "edge", "-nats-listen", "127.0.0.1:4222"}, wantErr: "-nats-listen"},
		{name: "edge with demo", args: []string{"-role", "edge", "-nats-url", "nats://x:1", "-core-url", "http://x:1", "-demo"}, wantErr: "-demo"},
		{name: "core without nats", args: []string{"-role", "core"}, wantErr: "-nats-url"},
		{name: "edge linger on a core", args: []string{"-role", "core", "-nats-listen", ":4222", "-edge-linger", "5s"}, wantErr: "-edge-linger"},
		{name: "edge linger on one process", env: []string{"TICKERD_EDGE_LINGER", "5s"}, wantErr: "-edge-linger"},
		{name: "edge linger on an edge", args: []string{"-role", "edge", "-nats-url", "nats://x:1", "-core-url", "http://x:1", "-edge-linger", "5s"}, check: func(t *testing.T, c config) {
			if c.Cluster.EdgeLinger != 5*time.Second {
				t.Fatalf("edge linger %s, want 5s", c.Cluster.EdgeLinger)
			}
		}},
		{name: "nats flag without role", args: []string{"-nats-url", "nats://127.0.0.1:4222"}, wantErr: "-role"},
		{name: "cluster name with a dot", args: []string{"-role", "core", "-nats-listen", ":4222", "-cluster-name", "a.b"}, wantErr: "-cluster-name"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "nope"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, env(tt.env...), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	m := NewMain()
	m.Stderr, m.Getenv = &out, env()
	if err := m.ParseFlags(context.Background(), []string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	help := out.String()
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		line := regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(f.Name) + `\s+` + envName(f.Name) + `\s+\S+\s+\S`)
		if !line.MatchString(help) {
			t.Errorf("--help lacks a line for -%s with %s, default and meaning", f.Name, envName(f.Name))
		}
	})
	for _, want := range []string{"127.0.0.1:8080", "data/tickerd.db", "100000.00", "environment variable"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// Run serves, -demo prints working credentials, Close shuts down cleanly,
// and a second run on the same file keeps the demo password and its
// sessions, saying where the password is kept.
func TestRunDemoAndClose(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "tickerd.db")
	run := func(args ...string) (addr, stdout string, m *Main) {
		var out, stderr bytes.Buffer
		m = NewMain()
		m.Stdout, m.Stderr, m.Getenv = &out, &stderr, env("TICKERD_DB", db, "TICKERD_ADDR", "127.0.0.1:0")
		if err := m.ParseFlags(context.Background(), append([]string{"-demo", "-tick-rate", "20", "-log-format", "json"}, args...)); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "http://"+m.Addr()+"/") {
			t.Fatalf("stdout lacks the URL:\n%s", out.String())
		}
		for _, secret := range regexp.MustCompile(`password ([A-Z2-7]{26})`).FindAllStringSubmatch(out.String(), -1) {
			if strings.Contains(stderr.String(), secret[1]) {
				t.Fatal("the demo password was logged")
			}
		}
		return m.Addr(), out.String(), m
	}

	addr, out, m := run()
	match := regexp.MustCompile(`username demo, password (\S+)`).FindStringSubmatch(out)
	if match == nil {
		t.Fatalf("stdout lacks the new demo password:\n%s", out)
	}
	pw1 := match[1]
	if fi, err := os.Stat(db + ".demo-password"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo password file: %v %v, want mode 0600", fi, err)
	}
	base := "http://" + addr
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	tok := login(t, base, pw1, 200)
	req, _ := http.NewRequest("GET", base+"/api/v1/portfolio", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pf struct {
		Positions []json.RawMessage `json:"positions"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&pf)
	resp.Body.Close()
	if len(pf.Positions) < 3 {
		t.Fatalf("demo portfolio has %d positions", len(pf.Positions))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after Close")
	}

	// A restart keeps the password and the session of the first run.
	addr, out, m2 := run()
	if !strings.Contains(out, "password unchanged (kept in "+db+".demo-password)") || strings.Contains(out, pw1) {
		t.Fatalf("second start printed:\n%s\nwant the file named, not the password", out)
	}
	base = "http://" + addr
	req, _ = http.NewRequest("GET", base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the first run's session after a restart: %v %v, want 200", resp, err)
	}
	login(t, base, pw1, 200)
	if err := m2.Close(); err != nil {
		t.Fatal(err)
	}

	// -demo-password sets the password; it is kept while it is given.
	addr, out, m3 := run("-demo-password", "correct horse battery staple")
	defer m3.Close()
	if strings.Contains(out, "correct horse") {
		t.Fatalf("the given password was printed:\n%s", out)
	}
	login(t, "http://"+addr, pw1, 401)
	login(t, "http://"+addr, "correct horse battery staple", 200)
}

func login(t *testing.T, base, password string, want int) string {
	t.Helper()
	body := `{"username":"demo","password":"` + password + `"}`
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("login status %d, want %d", resp.StatusCode, want)
	}
	var out struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Token
}
