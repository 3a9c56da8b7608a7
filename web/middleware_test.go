package web

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestPanicBecomes500AndServerKeepsServing(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{
		ExtraRoutes: func(api fiber.Router) {
			api.Get("/test/panic", func(c *fiber.Ctx) error { panic("boom in handler") })
		},
	})
	for i := 0; i < 3; i++ {
		resp, body := ts.do(t, "GET", "/api/v1/test/panic", "", nil)
		p := wantProblem(t, resp, body, 500, codeInternal, "")
		if strings.Contains(p.Detail, "boom") {
			t.Fatalf("panic value leaked to the client: %s", body)
		}
		resp, body = ts.do(t, "GET", "/healthz", "", nil)
		wantStatus(t, resp, body, 200)
	}
	logs := ts.Logs.String()
	if !strings.Contains(logs, "boom in handler") || !strings.Contains(logs, "middleware_test.go") {
		t.Fatalf("panic not logged with its stack:\n%s", logs)
	}
}

func TestRequestIDAndLogHygiene(t *testing.T) {
	ts := startTestServer(t, Config{})
	const password = "s3cret-Passw0rd-xyz"
	tok := ts.register(t, "ivan", password)

	req := ts.newRequest(t, "GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Request-ID", "client-id.42")
	resp, body := ts.send(t, req)
	wantStatus(t, resp, body, 200)
	if got := resp.Header.Get("X-Request-ID"); got != "client-id.42" {
		t.Fatalf("sane X-Request-ID not echoed: %q", got)
	}

	req = ts.newRequest(t, "GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "bad id\twith <junk>")
	resp, body = ts.send(t, req)
	wantStatus(t, resp, body, 200)
	if got := resp.Header.Get("X-Request-ID"); len(got) != 32 || strings.Contains(got, "junk") {
		t.Fatalf("insane X-Request-ID not replaced: %q", got)
	}

	ck := loginCookie(t, ts, "ivan", password)
	logs := ts.Logs.String()
	for _, secret := range []string{password, tok, ck.Value} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret appears in the logs:\n%s", logs)
		}
	}
	for _, want := range []string{`"request_id":"client-id.42"`, `"route":"/api/v1/me"`, `"method":"GET"`, `"status":200`, `"duration"`, `"bytes"`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("request log lacks %s:\n%s", want, logs)
		}
	}
}
