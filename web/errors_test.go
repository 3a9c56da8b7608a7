package web

import (
	"net/http"
	"strings"
	"testing"
)

// wantProblem fails unless the response is a problem+json with status and
// code (and field, when given) whose type, title and status agree.
func wantProblem(tb testing.TB, resp *http.Response, body []byte, status int, code, field string) problem {
	tb.Helper()
	wantStatus(tb, resp, body, status)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, body)
	}
	p := decode[problem](tb, body)
	if p.Code != code || p.Status != status || p.Type != problemTypePrefix+code || p.Title == "" || p.Detail == "" {
		tb.Fatalf("problem = %+v, want status %d code %s", p, status, code)
	}
	if field != "" && p.Field != field {
		tb.Fatalf("problem field = %q, want %q (%s)", p.Field, field, body)
	}
	if p.RequestID == "" || p.RequestID != resp.Header.Get("X-Request-ID") {
		tb.Fatalf("problem request_id %q, header %q", p.RequestID, resp.Header.Get("X-Request-ID"))
	}
	return p
}

func TestErrorCodes(t *testing.T) {
	ts := startTestServer(t, Config{BodyLimit: 1024, RegisterPerIPPerMin: 1000})
	tok := ts.register(t, "errors", "correct horse battery")
	ts.register(t, "taken", "correct horse battery")
	ts.do(t, "POST", "/api/v1/portfolio/trades", tok, map[string]any{"symbol": "MSFT", "side": "buy", "quantity": 1})

	big := `{"username":"` + strings.Repeat("x", 2048) + `","password":"p"}`
	tests := []struct {
		name          string
		method, path  string
		auth          bool
		body          any
		contentType   string // overrides application/json when set
		status        int
		code, field   string
		detailContain string
	}{
		{"malformed json", "POST", "/api/v1/auth/register", false, `{"username":`, "", 400, codeInvalidJSON, "", ""},
		{"not an object", "POST", "/api/v1/auth/register", false, `[1,2]`, "", 400, codeInvalidJSON, "", ""},
		{"wrong type", "POST", "/api/v1/auth/register", false, `{"username":5,"password":"x"}`, "", 400, codeInvalidJSON, "username", ""},
		{"empty body", "POST", "/api/v1/auth/login", false, ``, "", 400, codeInvalidJSON, "", ""},
		{"null body", "POST", "/api/v1/auth/login", false, `null`, "", 400, codeInvalidJSON, "", "object"},
		{"null register body", "POST", "/api/v1/auth/register", false, ` null `, "", 400, codeInvalidJSON, "", "object"},
		{"null trade body", "POST", "/api/v1/portfolio/trades", true, `null`, "", 400, codeInvalidJSON, "", "object"},
		{"null watchlist body", "PUT", "/api/v1/watchlist", true, `null`, "", 400, codeInvalidJSON, "", "object"},
		{"string body", "POST", "/api/v1/auth/login", false, `"x"`, "", 400, codeInvalidJSON, "", "object"},
		{"trailing data", "POST", "/api/v1/auth/login", false, `{"username":"a","password":"b"} {}`, "", 400, codeInvalidJSON, "", "after"},
		{"unknown field", "POST", "/api/v1/auth/register", false, `{"username":"bob","password":"correct horse","admin":true}`, "", 400, codeUnknownField, "admin", `"admin"`},
		{"key in another case", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"MSFT","side":"buy","quantity":1,"SYMBOL":"AAPL"}`, "", 400, codeUnknownField, "SYMBOL", ""},
		{"key folded by Unicode", "POST", "/api/v1/portfolio/trades", true, `{"ſymbol":"AAPL","side":"buy","quantity":1}`, "", 400, codeUnknownField, "ſymbol", ""},
		{"capitalised key", "POST", "/api/v1/auth/login", false, `{"Username":"taken","password":"correct horse"}`, "", 400, codeUnknownField, "Username", ""},
		{"duplicate key", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"MSFT","side":"buy","quantity":1,"symbol":"AAPL"}`, "", 400, codeInvalidJSON, "symbol", "more than once"},
		{"duplicate watchlist key", "PUT", "/api/v1/watchlist", true, `{"symbols":["AAPL"],"symbols":["MSFT"]}`, "", 400, codeInvalidJSON, "symbols", ""},
		{"unknown trade field", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy","quantity":1,"price":1}`, "", 400, codeUnknownField, "price", ""},
		{"wrong content type", "POST", "/api/v1/auth/register", false, `{"username":"bob","password":"correct horse"}`, "text/plain", 415, codeUnsupportedMediaType, "", ""},
		{"missing content type", "PUT", "/api/v1/watchlist", true, `{"symbols":[]}`, "-", 415, codeUnsupportedMediaType, "", ""},
		{"body too large", "POST", "/api/v1/auth/register", false, big, "", 413, codeBodyTooLarge, "", ""},
		{"no credentials", "GET", "/api/v1/portfolio", false, nil, "", 401, "unauthorized", "", ""},
		{"bad token", "GET", "/api/v1/me", false, nil, "", 401, "unauthorized", "", ""},
		{"unknown route", "GET", "/api/v1/nope", false, nil, "", 404, codeNotFound, "", ""},
		{"wrong method", "DELETE", "/api/v1/portfolio", true, nil, "", 405, codeMethodNotAllowed, "", ""},
		{"short username", "POST", "/api/v1/auth/register", false, map[string]string{"username": "ab", "password": "correct horse"}, "", 422, "invalid_username", "username", ""},
		{"short password", "POST", "/api/v1/auth/register", false, map[string]string{"username": "bobby", "password": "short"}, "", 422, "invalid_password", "password", ""},
		{"username taken", "POST", "/api/v1/auth/register", false, map[string]string{"username": "taken", "password": "correct horse"}, "", 409, "username_taken", "username", ""},
		{"wrong password", "POST", "/api/v1/auth/login", false, map[string]string{"username": "taken", "password": "wrong password"}, "", 401, "invalid_credentials", "", ""},
		{"insufficient cash", "POST", "/api/v1/portfolio/trades", true, map[string]any{"symbol": "AAPL", "side": "buy", "quantity": 1_000_000}, "", 422, "insufficient_cash", "", ""},
		{"insufficient shares", "POST", "/api/v1/portfolio/trades", true, map[string]any{"symbol": "MSFT", "side": "sell", "quantity": 2}, "", 422, "insufficient_shares", "", ""},
		{"trade unknown symbol", "POST", "/api/v1/portfolio/trades", true, map[string]any{"symbol": "NOPE", "side": "buy", "quantity": 1}, "", 422, "unknown_symbol", "", ""},
		{"zero quantity", "POST", "/api/v1/portfolio/trades", true, map[string]any{"symbol": "AAPL", "side": "buy", "quantity": 0}, "", 422, "invalid_quantity", "", ""},
		{"negative quantity", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy","quantity":-3}`, "", 422, "invalid_quantity", "", ""},
		{"fractional quantity", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy","quantity":1.5}`, "", 422, "invalid_quantity", "quantity", ""},
		{"string quantity", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy","quantity":"10"}`, "", 422, "invalid_quantity", "quantity", ""},
		{"exponent quantity", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy","quantity":1e2}`, "", 422, "invalid_quantity", "quantity", ""},
		{"missing quantity", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy"}`, "", 400, "missing_field", "quantity", ""},
		{"null quantity", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","side":"buy","quantity":null}`, "", 400, "missing_field", "quantity", ""},
		{"missing symbol", "POST", "/api/v1/portfolio/trades", true, `{"side":"buy","quantity":1}`, "", 400, "missing_field", "symbol", ""},
		{"missing side", "POST", "/api/v1/portfolio/trades", true, `{"symbol":"AAPL","quantity":1}`, "", 400, "missing_field", "side", ""},
		{"login missing password", "POST", "/api/v1/auth/login", false, `{"username":"errors"}`, "", 400, "missing_field", "password", ""},
		{"register missing username", "POST", "/api/v1/auth/register", false, `{"password":"correct horse battery"}`, "", 400, "missing_field", "username", ""},
		{"invalid side", "POST", "/api/v1/portfolio/trades", true, map[string]any{"symbol": "AAPL", "side": "short", "quantity": 1}, "", 422, "invalid_side", "", ""},
		{"bad limit", "GET", "/api/v1/portfolio/trades?limit=0", true, nil, "", 400, codeInvalidParameter, "limit", ""},
		{"limit over the maximum", "GET", "/api/v1/portfolio/trades?limit=101", true, nil, "", 400, codeInvalidParameter, "limit", "from 1 to 100"},
		{"bad cursor", "GET", "/api/v1/portfolio/trades?cursor=!!!", true, nil, "", 400, "invalid_cursor", "", ""},
		{"watchlist unknown symbol", "PUT", "/api/v1/watchlist", true, map[string]any{"symbols": []string{"AAPL", "ZZZZ"}}, "", 422, "unknown_symbol", "symbols", `"ZZZZ"`},
		{"watchlist duplicate", "PUT", "/api/v1/watchlist", true, map[string]any{"symbols": []string{"AAPL", "AAPL"}}, "", 422, "invalid_watchlist", "", ""},
		{"watchlist missing symbols", "PUT", "/api/v1/watchlist", true, `{}`, "", 400, "missing_field", "symbols", ""},
		{"quotes unknown symbol", "GET", "/api/v1/quotes?symbols=AAPL,ZZZZ", false, nil, "", 422, "unknown_symbol", "symbols", `"ZZZZ"`},
		{"quotes empty entry", "GET", "/api/v1/quotes?symbols=AAPL,,MSFT", false, nil, "", 400, codeInvalidParameter, "symbols", ""},
		{"candles unknown symbol", "GET", "/api/v1/quotes/ZZZZ/candles", false, nil, "", 422, "unknown_symbol", "symbol", ""},
		{"candles bad from", "GET", "/api/v1/quotes/AAPL/candles?from=yesterday", false, nil, "", 400, codeInvalidParameter, "from", "RFC 3339"},
		{"candles bad to", "GET", "/api/v1/quotes/AAPL/candles?to=2025-13-01T00:00:00Z", false, nil, "", 400, codeInvalidParameter, "to", ""},
		{"candles from after to", "GET", "/api/v1/quotes/AAPL/candles?from=2000&to=1000", false, nil, "", 400, codeInvalidParameter, "from", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ts.newRequest(t, tt.method, tt.path, tt.body)
			switch tt.contentType {
			case "":
			case "-":
				req.Header.Del("Content-Type")
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.auth {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			if tt.name == "bad token" {
				req.Header.Set("Authorization", "Bearer not-a-token")
			}
			resp, body := ts.send(t, req)
			p := wantProblem(t, resp, body, tt.status, tt.code, tt.field)
			if tt.detailContain != "" && !strings.Contains(p.Detail, tt.detailContain) {
				t.Errorf("detail %q does not contain %q", p.Detail, tt.detailContain)
			}
			switch tt.status {
			case 401:
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
				}
			case 405:
				if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") {
					t.Errorf("Allow = %q, want GET listed", allow)
				}
			}
		})
	}

	// None of the refused trades changed anything: one MSFT buy only.
	resp, body := ts.do(t, "GET", "/api/v1/portfolio/trades", tok, nil)
	wantStatus(t, resp, body, 200)
	if n := len(decode[wireTrades](t, body).Trades); n != 1 {
		t.Fatalf("%d trades after refused ones, want 1: %s", n, body)
	}
}

// Login answers identically for an unknown user and a wrong password.
func TestLoginSameAnswerUnknownUser(t *testing.T) {
	ts := startTestServer(t, Config{})
	ts.register(t, "carol", "correct horse battery")
	r1, b1 := ts.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "carol", "password": "wrong password!"})
	r2, b2 := ts.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "wrong password!"})
	p1 := wantProblem(t, r1, b1, 401, "invalid_credentials", "")
	p2 := wantProblem(t, r2, b2, 401, "invalid_credentials", "")
	if p1.Detail != p2.Detail || p1.Field != p2.Field || r1.Header.Get("WWW-Authenticate") != r2.Header.Get("WWW-Authenticate") {
		t.Fatalf("answers differ:\n%s\n%s", b1, b2)
	}
}
