package web

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/tickerd/tickerd/internal/testcert"
)

// startTLSTestServer is a test server speaking only TLS with a certificate
// generated for the test; its URL and Client are https and trust it.
func startTLSTestServer(t *testing.T) (*testServer, testcert.Cert) {
	t.Helper()
	cert := testcert.New(t, time.Time{}, time.Time{})
	ts := startTestServer(t, Config{TLS: TLSConfig(cert.Pair)})
	ts.URL = "https://" + ts.Addr
	ts.Client.Transport = &http.Transport{TLSClientConfig: cert.ClientConfig(), MaxIdleConnsPerHost: 64}
	return ts, cert
}

// With Config.TLS the server speaks HTTPS and WSS on its listener: REST
// login sets a Secure cookie, every response carries HSTS, a WSS client
// subscribes and receives quotes, the Origin check knows its own https
// origin, and the dashboard's CSP allows wss only.
func TestTLSServesHTTPSAndWSS(t *testing.T) {
	ts, cert := startTLSTestServer(t)
	token := ts.register(t, "tess", "correct horse battery")

	resp, body := ts.do(t, http.MethodPost, "/api/v1/auth/login", "",
		map[string]string{"username": "tess", "password": "correct horse battery"})
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("login over https: %d (tls %v) %s", resp.StatusCode, resp.TLS != nil, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.Secure || !cookie.HttpOnly {
		t.Fatalf("session cookie %v: want Secure and HttpOnly (Set-Cookie %q)", cookie, resp.Header.Values("Set-Cookie"))
	}
	for _, path := range []string{"/api/v1/auth/login", "/healthz", "/api/v1/me", "/no-such-page"} {
		resp := resp
		if path != "/api/v1/auth/login" {
			resp, _ = ts.do(t, http.MethodGet, path, "", nil)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != hstsValue {
			t.Errorf("GET %s (%d): Strict-Transport-Security %q, want %q", path, resp.StatusCode, got, hstsValue)
		}
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("negotiated TLS version %x", resp.TLS.Version)
	}

	// The dashboard page lets scripts connect back over wss only.
	resp, _ = ts.do(t, http.MethodGet, "/", "", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "wss://127.0.0.1") || strings.Contains(csp, "ws://") {
		t.Fatalf("CSP over TLS: %q", csp)
	}

	// WSS with the Bearer token: subscribe and receive quotes.
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, TLSClientConfig: cert.ClientConfig()}
	h := http.Header{"Authorization": {"Bearer " + token}}
	conn, resp, err := d.Dial("wss://"+ts.Addr+"/api/v1/ws", h)
	if err != nil {
		t.Fatalf("wss dial: %v (%v)", err, resp)
	}
	defer conn.Close()
	readUntil(t, conn, "welcome")
	send(t, conn, `{"type":"subscribe","symbols":["AAPL"]}`)
	readUntil(t, conn, "subscriptions")
	if qs := readUntil(t, conn, "quotes").quotes(t); len(qs) == 0 || qs[0].Symbol != "AAPL" {
		t.Fatalf("quotes over wss: %+v", qs)
	}

	// SSE over https.
	req := ts.newRequest(t, http.MethodGet, "/api/v1/stream?symbols=MSFT", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	sseResp, err := ts.Client.Do(req)
	if err != nil {
		t.Fatalf("sse over https: %v", err)
	}
	sc := bufio.NewScanner(sseResp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: quotes") {
	}
	sseResp.Body.Close()
	if sc.Err() != nil || sseResp.StatusCode != http.StatusOK {
		t.Fatalf("sse over https: %d, %v", sseResp.StatusCode, sc.Err())
	}

	// The cookie from a page of this https origin upgrades; the same host
	// over plain http is another origin and is refused.
	for _, tc := range []struct {
		origin string
		ok     bool
	}{{"https://" + ts.Addr, true}, {"http://" + ts.Addr, false}} {
		h := http.Header{"Cookie": {sessionCookie + "=" + cookie.Value}, "Origin": {tc.origin}}
		c, resp, err := d.Dial("wss://"+ts.Addr+"/api/v1/ws", h)
		if tc.ok {
			if err != nil {
				t.Fatalf("origin %s: %v (%v)", tc.origin, err, resp)
			}
			readUntil(t, c, "welcome")
			c.Close()
			continue
		}
		if err == nil {
			c.Close()
			t.Fatalf("origin %s: upgraded, want refusal", tc.origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %s: %v (%v), want 403", tc.origin, err, resp)
		}
	}

	// A cookie-authenticated write from the https origin passes the CSRF check.
	req = ts.newRequest(t, http.MethodPost, "/api/v1/auth/logout", nil)
	req.Header.Set("Cookie", sessionCookie+"="+cookie.Value)
	req.Header.Set("Origin", "https://"+ts.Addr)
	if resp, body := ts.send(t, req); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout with https origin: %d %s", resp.StatusCode, body)
	}
}

// TLS 1.1 and older are refused in the handshake, and plain HTTP on the
// TLS port gets no HTTP answer.
func TestTLSRefusesOldVersionsAndPlainHTTP(t *testing.T) {
	ts, cert := startTLSTestServer(t)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := cert.ClientConfig()
		cfg.MinVersion, cfg.MaxVersion = v, v
		conn, err := tls.Dial("tcp", ts.Addr, cfg)
		if err == nil {
			conn.Close()
			t.Fatalf("TLS version %x: handshake succeeded", v)
		}
	}
	cfg := cert.ClientConfig()
	cfg.MaxVersion = tls.VersionTLS12
	conn, err := tls.Dial("tcp", ts.Addr, cfg)
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	conn.Close()

	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + ts.Addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered 200 on the TLS listener")
		}
	}
}

// A keep-alive TLS connection between requests is tracked as idle (so it
// can be closed under pressure), like a plain one.
func TestTLSKeepAliveTrackedAsIdle(t *testing.T) {
	ts, _ := startTLSTestServer(t)
	if resp, _ := ts.do(t, http.MethodGet, "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	waitFor(t, "the connection to be idle", func() bool {
		c := ts.Server.conns
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.idle.Len() == 1 && c.open == 1
	})
}

func TestLoadTLSConfig(t *testing.T) {
	good := testcert.New(t, time.Time{}, time.Time{})
	cfg, err := LoadTLSConfig(good.CertFile, good.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.CipherSuites != nil || len(cfg.Certificates) != 1 {
		t.Fatalf("config: min %x, suites %v, %d certificates", cfg.MinVersion, cfg.CipherSuites, len(cfg.Certificates))
	}
	expired := testcert.New(t, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	other := testcert.New(t, time.Time{}, time.Time{})
	for _, tc := range []struct {
		name, cert, key, want string
	}{
		{"missing file", good.CertFile + ".nope", good.KeyFile, "no such file"},
		{"key as cert", good.KeyFile, good.KeyFile, "load TLS certificate"},
		{"mismatched key", good.CertFile, other.KeyFile, "private key does not match"},
		{"expired", expired.CertFile, expired.KeyFile, "expired"},
	} {
		if _, err := LoadTLSConfig(tc.cert, tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
