package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickerd/tickerd/internal/testcert"
)

func TestTLSFlags(t *testing.T) {
	cert := testcert.New(t, time.Time{}, time.Time{})
	for _, tc := range []struct {
		name      string
		args, env []string
		wantErr   string
	}{
		{name: "cert without key", args: []string{"-tls-cert", cert.CertFile}, wantErr: "-tls-cert needs -tls-key"},
		{name: "key without cert", env: []string{"TICKERD_TLS_KEY", cert.KeyFile}, wantErr: "-tls-key needs -tls-cert"},
		{name: "both by env", env: []string{"TICKERD_TLS_CERT", cert.CertFile, "TICKERD_TLS_KEY", cert.KeyFile}},
		{name: "both by flag", args: []string{"-tls-cert", cert.CertFile, "-tls-key", cert.KeyFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, env(tc.env...), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.TLSCert != cert.CertFile || c.TLSKey != cert.KeyFile {
				t.Fatalf("config %q %q, err %v", c.TLSCert, c.TLSKey, err)
			}
		})
	}
}

// A certificate that does not load stops start-up with an error naming
// the file, before the database is opened or the address bound.
func TestRunBadCertificate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(bad, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := testcert.New(t, time.Time{}, time.Time{})
	m := NewMain()
	m.Stdout, m.Stderr, m.Getenv = io.Discard, io.Discard, env()
	db := filepath.Join(dir, "tickerd.db")
	if err := m.ParseFlags(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", db,
		"-tls-cert", bad, "-tls-key", good.KeyFile}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	_ = m.Close()
	if err == nil || !strings.Contains(err.Error(), "load TLS certificate") || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v, want a TLS certificate error naming %s", err, bad)
	}
	if _, serr := os.Stat(db); !os.IsNotExist(serr) {
		t.Fatalf("database created despite the bad certificate (stat: %v)", serr)
	}
}

// With both flags the binary serves HTTPS, says so, and sends HSTS.
func TestRunTLS(t *testing.T) {
	cert := testcert.New(t, time.Time{}, time.Time{})
	var stdout bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.Getenv = &stdout, io.Discard, env("TICKERD_TLS_CERT", cert.CertFile, "TICKERD_TLS_KEY", cert.KeyFile)
	if err := m.ParseFlags(context.Background(), []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "t.db")}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.Contains(stdout.String(), "https://"+m.Addr()+"/") {
		t.Fatalf("stdout does not give the https URL: %q", stdout.String())
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cert.ClientConfig()}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + m.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("readyz over https: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
}
