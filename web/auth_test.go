package web

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// loginCookie logs in and returns the session cookie login set.
func loginCookie(tb testing.TB, ts *testServer, user, pass string) *http.Cookie {
	tb.Helper()
	resp, body := ts.do(tb, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pass})
	wantStatus(tb, resp, body, 200)
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	tb.Fatalf("login set no %s cookie: %v", sessionCookie, resp.Header["Set-Cookie"])
	return nil
}

func TestSessionCookie(t *testing.T) {
	ts := startTestServer(t, Config{AllowedOrigins: []string{"https://app.example"}})
	ts.register(t, "dave", "correct horse battery")
	ck := loginCookie(t, ts, "dave", "correct horse battery")
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge <= 0 || ck.Secure {
		t.Fatalf("cookie attributes: %+v", ck)
	}

	trade := `{"symbol":"AAPL","side":"buy","quantity":1}`
	tests := []struct {
		name            string
		method, path    string
		body            string
		origin, referer string
		status          int
		code            string
	}{
		{"cookie read, no origin", "GET", "/api/v1/me", "", "", "", 200, ""},
		{"cookie read, foreign origin", "GET", "/api/v1/portfolio", "", "https://evil.example", "", 200, ""},
		{"cookie write, own origin", "POST", "/api/v1/portfolio/trades", trade, ts.URL, "", 201, ""},
		{"cookie write, allowed origin", "POST", "/api/v1/portfolio/trades", trade, "https://app.example", "", 201, ""},
		{"cookie write, foreign origin", "POST", "/api/v1/portfolio/trades", trade, "https://evil.example", "", 403, codeOriginForbidden},
		{"cookie write, null origin", "PUT", "/api/v1/watchlist", `{"symbols":[]}`, "null", "", 403, codeOriginForbidden},
		{"cookie write, no origin no referer", "POST", "/api/v1/portfolio/trades", trade, "", "", 403, codeOriginForbidden},
		{"cookie write, own referer", "PUT", "/api/v1/watchlist", `{"symbols":["AAPL"]}`, "", ts.URL + "/app", 200, ""},
		{"cookie write, foreign referer", "PUT", "/api/v1/watchlist", `{"symbols":[]}`, "", "https://evil.example/x", 403, codeOriginForbidden},
		{"cookie logout, foreign origin", "POST", "/api/v1/auth/logout", "", "https://evil.example", "", 403, codeOriginForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			req := ts.newRequest(t, tt.method, tt.path, body)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: ck.Value})
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				req.Header.Set("Referer", tt.referer)
			}
			resp, b := ts.send(t, req)
			if tt.code != "" {
				wantProblem(t, resp, b, tt.status, tt.code, "")
				return
			}
			wantStatus(t, resp, b, tt.status)
		})
	}

	// A Bearer write skips the Origin check: it cannot be forged by a page.
	tok := ts.login(t, "dave", "correct horse battery")
	req := ts.newRequest(t, "POST", "/api/v1/portfolio/trades", trade)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Origin", "https://evil.example")
	resp, b := ts.send(t, req)
	wantStatus(t, resp, b, 201)

	// Logout by cookie from the own origin revokes the session and clears the cookie.
	req = ts.newRequest(t, "POST", "/api/v1/auth/logout", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: ck.Value})
	req.Header.Set("Origin", ts.URL)
	resp, b = ts.send(t, req)
	wantStatus(t, resp, b, 204)
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || (c.Name == sessionCookie && c.Value == "" && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("logout did not clear the cookie: %v", resp.Header["Set-Cookie"])
	}
	req = ts.newRequest(t, "GET", "/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: ck.Value})
	resp, b = ts.send(t, req)
	wantProblem(t, resp, b, 401, "unauthorized", "")
}

func TestSecureCookie(t *testing.T) {
	ts := startTestServer(t, Config{SecureCookies: true})
	ts.register(t, "erin", "correct horse battery")
	if ck := loginCookie(t, ts, "erin", "correct horse battery"); !ck.Secure {
		t.Fatalf("cookie not Secure: %+v", ck)
	}
}

func TestLoginRateLimit(t *testing.T) {
	ts := startTestServer(t, Config{LoginPerIPPerMin: 100, LoginPerUserPerMin: 3})
	bad := map[string]string{"username": "frank", "password": "wrong password!"}
	for i := 0; i < 3; i++ {
		resp, body := ts.do(t, "POST", "/api/v1/auth/login", "", bad)
		wantProblem(t, resp, body, 401, "invalid_credentials", "")
	}
	resp, body := ts.do(t, "POST", "/api/v1/auth/login", "", bad)
	wantProblem(t, resp, body, 429, codeRateLimited, "")
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After = %q", resp.Header.Get("Retry-After"))
	}
	// The limit is per username (case-insensitive): another name still answers.
	upper := map[string]string{"username": "FRANK", "password": "wrong password!"}
	resp, body = ts.do(t, "POST", "/api/v1/auth/login", "", upper)
	wantProblem(t, resp, body, 429, codeRateLimited, "")
	other := map[string]string{"username": "grace", "password": "wrong password!"}
	resp, body = ts.do(t, "POST", "/api/v1/auth/login", "", other)
	wantProblem(t, resp, body, 401, "invalid_credentials", "")

	// Per IP: a low IP limit trips whatever the usernames.
	ts2 := startTestServer(t, Config{LoginPerIPPerMin: 2, LoginPerUserPerMin: 100})
	for i, want := range []int{401, 401, 429} {
		creds := map[string]string{"username": "user" + strconv.Itoa(i), "password": "wrong password!"}
		resp, body := ts2.do(t, "POST", "/api/v1/auth/login", "", creds)
		wantStatus(t, resp, body, want)
	}
}

func TestAuthenticateAndOriginHelpers(t *testing.T) {
	var ts *testServer
	ts = startTestServerWith(t, Config{AllowedOrigins: []string{"https://app.example/"}}, testServerOptions{
		ExtraRoutes: func(api fiber.Router) {
			api.Get("/test/whoami", func(c *fiber.Ctx) error {
				sess, err := ts.Server.authenticate(c)
				switch {
				case err == errNoCredentials:
					return c.SendString("none")
				case err != nil:
					return err
				}
				return c.SendString(sess.Username + " " + strconv.FormatBool(ts.Server.originAllowed(c)))
			})
		},
	})
	tok := ts.register(t, "heidi", "correct horse battery")
	tests := []struct {
		name, auth, cookie, origin, want string
		status                           int
	}{
		{"none", "", "", "", "none", 200},
		{"bearer", "Bearer " + tok, "", "", "heidi true", 200},
		{"bearer lower-case scheme", "bearer " + tok, "", "", "heidi true", 200},
		{"cookie", "", tok, "", "heidi true", 200},
		{"bearer wins over cookie", "Bearer " + tok, "garbage", "", "heidi true", 200},
		{"own origin", "Bearer " + tok, "", "SELF", "heidi true", 200},
		{"allowed origin", "Bearer " + tok, "", "https://app.example", "heidi true", 200},
		{"foreign origin", "Bearer " + tok, "", "https://evil.example", "heidi false", 200},
		{"basic auth", "Basic YTpi", "", "", "", 401},
		{"bad token", "Bearer nope", "", "", "", 401},
		{"bad cookie", "", "nope", "", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ts.newRequest(t, "GET", "/api/v1/test/whoami", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tt.cookie})
			}
			if tt.origin != "" {
				req.Header.Set("Origin", strings.Replace(tt.origin, "SELF", ts.URL, 1))
			}
			resp, body := ts.send(t, req)
			if tt.status != 200 {
				wantProblem(t, resp, body, tt.status, "unauthorized", "")
				return
			}
			wantStatus(t, resp, body, 200)
			if string(body) != tt.want {
				t.Fatalf("got %q, want %q", body, tt.want)
			}
		})
	}
}

// TestLoginUsernameSpellings: the login limiter and login key on the same
// normalized username, so ASCII re-spellings of a name share its budget,
// and a Unicode look-alike (a no-break space, the Kelvin sign) is not the
// account at all: with the right password it is still 401.
func TestLoginUsernameSpellings(t *testing.T) {
	ts := startTestServer(t, Config{LoginPerIPPerMin: 100, LoginPerUserPerMin: 3})
	ts.register(t, "kate", "correct horse battery") // one login spent
	for _, name := range []string{"\u00a0kate", "\u212Aate"} {
		creds := map[string]string{"username": name, "password": "correct horse battery"}
		resp, body := ts.do(t, "POST", "/api/v1/auth/login", "", creds)
		wantProblem(t, resp, body, 401, "invalid_credentials", "")
	}
	for i, name := range []string{" kate", "KATE\t", " Kate "} {
		creds := map[string]string{"username": name, "password": "wrong password!"}
		resp, body := ts.do(t, "POST", "/api/v1/auth/login", "", creds)
		want := 401
		if i == 2 {
			want = 429 // the registration's login, then two wrong ones: kate's budget of 3 is spent
		}
		wantStatus(t, resp, body, want)
	}
}

// TestRegisterRateLimit: registrations are limited per client IP like
// logins (one IP created ~62 accounts a second): over the limit is 429
// rate_limited with Retry-After, counted in
// tickerd_register_failures_total{reason="rate_limited"}; other addresses
// and logins are not affected.
func TestRegisterRateLimit(t *testing.T) {
	ts := startTestServer(t, Config{RegisterPerIPPerMin: 3})
	for i, want := range []int{201, 201, 409, 429, 429} {
		name := "reg" + strconv.Itoa(min(i, 1))
		creds := map[string]string{"username": name, "password": "correct horse battery"}
		resp, body := ts.do(t, "POST", "/api/v1/auth/register", "", creds)
		if want == 429 {
			wantProblem(t, resp, body, 429, codeRateLimited, "")
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
				t.Fatalf("Retry-After = %q", resp.Header.Get("Retry-After"))
			}
			continue
		}
		wantStatus(t, resp, body, want)
	}
	if v, _ := scrape(t, ts).value("tickerd_register_failures_total", "reason", "rate_limited"); v != 2 {
		t.Fatalf("tickerd_register_failures_total{reason=rate_limited} = %v, want 2", v)
	}
	ts.login(t, "reg0", "correct horse battery") // logins have their own limit

	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}, Timeout: 5 * time.Second}
	other := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
	defer other.CloseIdleConnections()
	resp, err := other.Post(ts.URL+"/api/v1/auth/register", "application/json",
		strings.NewReader(`{"username":"elsewhere","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register from 127.0.0.3: %d", resp.StatusCode)
	}
}
