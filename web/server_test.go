package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// A chunked body (no Content-Length) over the limit is a 413 problem too.
func TestChunkedBodyTooLarge(t *testing.T) {
	ts := startTestServer(t, Config{BodyLimit: 1024})
	req := ts.newRequest(t, "POST", "/api/v1/auth/register", nil)
	// Twice the limit, and small enough that the client sends the whole
	// request in one write: a larger body could still be on its way when
	// the server answers and closes, failing the client's write (EPIPE)
	// before it reads the 413.
	req.Body = io.NopCloser(strings.NewReader(`{"username":"` + strings.Repeat("a", 2048) + `"}`))
	req.ContentLength = -1 // sent chunked
	req.Header.Set("Content-Type", "application/json")
	resp, body := ts.send(t, req)
	wantProblem(t, resp, body, 413, codeBodyTooLarge, "")
	// The server is fine afterwards.
	resp, body = ts.do(t, "GET", "/healthz", "", nil)
	wantStatus(t, resp, body, 200)
}

// Shutdown lets an in-flight request finish, then refuses new connections.
func TestShutdownFinishesInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	ts := startTestServerWith(t, Config{}, testServerOptions{
		ExtraRoutes: func(api fiber.Router) {
			api.Get("/test/slow", func(c *fiber.Ctx) error {
				close(entered)
				<-release
				return c.SendString("finished")
			})
		},
	})
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(ts.URL + "/api/v1/test/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b), err}
	}()
	<-entered

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- ts.Server.Shutdown(ctx)
	}()
	// Poll until the listener is closed: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
		resp, err := c.Get(ts.URL + "/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections during shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) before the in-flight request finished", err)
	default:
	}
	close(release)
	r := <-done
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
