package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// Issue 10, item 4: with a database it may not write (the real binary as
// nobody on a file owned by root, which root itself would ignore),
// /readyz said ready and register, login and trade answered 500. The
// server must report 503 storage_unavailable for both.
func TestReadOnlyDatabaseIsStorageUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("this test runs the server as nobody with setpriv and needs root in CI (setpriv: %v)", err)
		}
		t.Skip("needs root and setpriv to run the server as another user")
	}
	p := tickerdtest.New(t)
	p.Start(t) // as root: creates and migrates the database
	postStatus(t, p.URL+"/api/v1/auth/register", `{"username":"alice","password":"correct horse battery"}`, http.StatusCreated)
	p.Stop(t)

	// The database stays root's and 0644; its directory lets nobody create
	// the write-ahead log and shared-memory files, as a read-only install
	// with a writable run directory would.
	dir := filepath.Dir(p.DBPath())
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(p.DBPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Wrap = []string{setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"}
	p.StartAlive(t)

	status, body := getBody(t, p.URL+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"storage_unavailable"`) {
		t.Fatalf("/readyz on a read-only database: %d %s", status, body)
	}
	body = postStatus(t, p.URL+"/api/v1/auth/register", `{"username":"bob","password":"correct horse battery"}`, http.StatusServiceUnavailable)
	if !strings.Contains(body, `"code":"storage_unavailable"`) {
		t.Fatalf("register on a read-only database: %s", body)
	}
	body = postStatus(t, p.URL+"/api/v1/auth/login", `{"username":"alice","password":"correct horse battery"}`, http.StatusServiceUnavailable)
	if !strings.Contains(body, `"code":"storage_unavailable"`) {
		t.Fatalf("login on a read-only database: %s", body)
	}
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postStatus(t *testing.T, url, body string, want int) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s, want %d", url, resp.StatusCode, b, want)
	}
	return string(b)
}
