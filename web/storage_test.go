package web

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitReadyz polls /readyz until it answers status (the write check is
// cached for a second) and returns the last body.
func waitReadyz(t *testing.T, ts *testServer, status int) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := ts.do(t, http.MethodGet, "/readyz", "", nil)
		if resp.StatusCode == status {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %s, want %d", resp.StatusCode, body, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDeletedDatabaseRefusesWrites: a database whose directory is deleted
// while the server runs keeps working on the open, unlinked file, so
// trades were acknowledged (201) and gone after a restart. Readiness now
// fails and writes are refused with 503 storage_unavailable.
func TestDeletedDatabaseRefusesWrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServerWith(t, Config{}, testServerOptions{DBPath: filepath.Join(dir, "tickerd.db")})
	token := ts.register(t, "gone", "correct horse battery")
	waitReadyz(t, ts, http.StatusOK)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	body := waitReadyz(t, ts, http.StatusServiceUnavailable)
	if !strings.Contains(string(body), `"code":"storage_unavailable"`) {
		t.Fatalf("/readyz: %s", body)
	}
	trade := map[string]any{"symbol": "AAPL", "side": "buy", "quantity": 1}
	resp, body := ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", token, trade)
	wantProblem(t, resp, body, http.StatusServiceUnavailable, codeStorageUnavailable, "")
	resp, body = ts.do(t, http.MethodPost, "/api/v1/auth/register", "",
		map[string]string{"username": "after", "password": "correct horse battery"})
	wantProblem(t, resp, body, http.StatusServiceUnavailable, codeStorageUnavailable, "")
	// Reads still work from the open file.
	resp, body = ts.do(t, http.MethodGet, "/api/v1/portfolio", token, nil)
	wantStatus(t, resp, body, http.StatusOK)
}

// TestFullDiskIsStorageUnavailable: on a full disk a write fails with
// SQLITE_FULL; it is answered 503 storage_unavailable (it was 500
// internal), readiness fails while the disk is full (it said ready), and
// both recover once there is room again. Needs root for a small tmpfs.
func TestFullDiskIsStorageUnavailable(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test mounts a tmpfs and must run as root in CI")
		}
		t.Skip("not root: cannot mount a 2 MB tmpfs to fill")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() }) // after the server's cleanup
	ts := startTestServerWith(t, Config{}, testServerOptions{DBPath: filepath.Join(mnt, "tickerd.db")})
	token := ts.register(t, "full", "correct horse battery")
	waitReadyz(t, ts, http.StatusOK)

	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	trade := map[string]any{"symbol": "AAPL", "side": "buy", "quantity": 1}
	refused := false
	for i := 0; i < 2000 && !refused; i++ {
		resp, body := ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", token, trade)
		switch resp.StatusCode {
		case http.StatusCreated:
		case http.StatusServiceUnavailable:
			wantProblem(t, resp, body, http.StatusServiceUnavailable, codeStorageUnavailable, "")
			refused = true
		default:
			t.Fatalf("trade %d on a full disk: %d %s", i, resp.StatusCode, body)
		}
	}
	if !refused {
		t.Fatal("2000 trades on a full disk all succeeded")
	}
	body := waitReadyz(t, ts, http.StatusServiceUnavailable)
	if !strings.Contains(string(body), `"code":"storage_unavailable"`) {
		t.Fatalf("/readyz on a full disk: %s", body)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitReadyz(t, ts, http.StatusOK)
	resp, body := ts.do(t, http.MethodPost, "/api/v1/portfolio/trades", token, trade)
	wantStatus(t, resp, body, http.StatusCreated)
}

// fillDisk writes path until its file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill disk: %v", err)
			}
			return
		}
	}
}
