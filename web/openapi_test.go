package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		tb.Fatalf("load openapi.yaml: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		tb.Fatalf("openapi.yaml is %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("openapi.yaml is invalid: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentValid(t *testing.T) {
	doc := loadOpenAPI(t)
	// Every problem code the server can produce is in the Problem enum.
	enum := map[string]bool{}
	for _, v := range doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum {
		enum[v.(string)] = true
	}
	for code := range codeStatus {
		if !enum[code] {
			t.Errorf("problem code %q missing from the Problem schema's enum", code)
		}
	}
}

// TestOpenAPIResponses sends real requests covering every REST operation,
// success and error answers, requires each to get the status (and problem
// code) it is meant to provoke, and validates each response against the
// document: undocumented statuses, missing fields, extra fields and wrong
// types all fail.
func TestOpenAPIResponses(t *testing.T) {
	doc := loadOpenAPI(t)
	// A scenario halts KO from the start, so the quotes carry a status and
	// the market has events to show.
	ts := startTestServerWith(t, Config{BodyLimit: 2048, LoginPerUserPerMin: 2},
		testServerOptions{Scenario: testScenario(t, `
name: contract
description: KO halted for an hour, then the market falls
events:
  - {at: 0s, type: halt, symbol: KO, duration: 1h}
  - {at: 2h, type: shock, percent: -5, duration: 10m}
  - {at: 3h, type: gap, sector: Energy, percent: 4}
`)})
	waitFor(t, "KO halted", func() bool { return ts.Market.Halted("KO") })
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}

	tok := ts.register(t, "olga", "correct horse battery")
	ck := loginCookie(t, ts, "olga", "correct horse battery")
	ts.register(t, "limited", "correct horse battery") // uses 1 of its 2 logins

	covered := map[string]map[int]bool{}
	// check sends a request, requires the intended status (and, for an
	// error, the problem code) and validates the answer against the
	// document.
	check := func(name, method, path, token string, body any, edit func(*http.Request), status int, code string) *http.Response {
		t.Helper()
		req := ts.newRequest(t, method, path, body)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if edit != nil {
			edit(req)
		}
		resp, respBody := ts.send(t, req)
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d\nbody: %s", name, resp.StatusCode, status, respBody)
		}
		if code != "" {
			if got := decode[problem](t, respBody).Code; got != code {
				t.Errorf("%s: problem code %q, want %q", name, got, code)
			}
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s: %s %s not in the document: %v", name, method, path, err)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		in.SetBodyBytes(respBody)
		if route.Operation.Responses.Status(resp.StatusCode) == nil {
			// ValidateResponse skips 304 and redirects; check they are documented.
			t.Errorf("%s: status %d not documented for %s", name, resp.StatusCode, route.Operation.OperationID)
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s: %d response does not match the document: %v\nbody: %s", name, resp.StatusCode, err, respBody)
		}
		op := route.Operation.OperationID
		if covered[op] == nil {
			covered[op] = map[int]bool{}
		}
		covered[op][resp.StatusCode] = true
		return resp
	}
	trade := func(side string, qty any) map[string]any {
		return map[string]any{"symbol": "AAPL", "side": side, "quantity": qty}
	}
	foreign := func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: ck.Value})
		r.Header.Set("Origin", "https://evil.example")
	}
	creds := map[string]string{"username": "pablo", "password": "correct horse battery"}

	check("register", "POST", "/api/v1/auth/register", "", creds, nil, http.StatusCreated, "")
	check("register taken", "POST", "/api/v1/auth/register", "", creds, nil, http.StatusConflict, "username_taken")
	check("register bad name", "POST", "/api/v1/auth/register", "", map[string]string{"username": "1x", "password": "correct horse"}, nil, http.StatusUnprocessableEntity, "invalid_username")
	check("register unknown field", "POST", "/api/v1/auth/register", "", `{"username":"x","password":"y","z":1}`, nil, http.StatusBadRequest, "unknown_field")
	check("register media type", "POST", "/api/v1/auth/register", "", creds, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, http.StatusUnsupportedMediaType, "unsupported_media_type")
	check("register too large", "POST", "/api/v1/auth/register", "", `{"username":"`+strings.Repeat("a", 4096)+`"}`, nil, http.StatusRequestEntityTooLarge, "body_too_large")
	check("login", "POST", "/api/v1/auth/login", "", creds, nil, http.StatusOK, "")
	check("login wrong", "POST", "/api/v1/auth/login", "", map[string]string{"username": "pablo", "password": "wrong password"}, nil, http.StatusUnauthorized, "invalid_credentials")
	check("login limited", "POST", "/api/v1/auth/login", "", map[string]string{"username": "limited", "password": "wrong password"}, nil, http.StatusUnauthorized, "invalid_credentials")
	check("login limited 429", "POST", "/api/v1/auth/login", "", map[string]string{"username": "limited", "password": "wrong password"}, nil, http.StatusTooManyRequests, "rate_limited")
	check("login malformed", "POST", "/api/v1/auth/login", "", `{`, nil, http.StatusBadRequest, "invalid_json")
	check("me", "GET", "/api/v1/me", tok, nil, nil, http.StatusOK, "")
	check("me anonymous", "GET", "/api/v1/me", "", nil, nil, http.StatusUnauthorized, "unauthorized")
	check("buy", "POST", "/api/v1/portfolio/trades", tok, trade("buy", 3), nil, http.StatusCreated, "")
	check("trade halted", "POST", "/api/v1/portfolio/trades", tok, map[string]any{"symbol": "ko", "side": "buy", "quantity": 1}, nil, http.StatusUnprocessableEntity, "market_halted")
	check("sell too many", "POST", "/api/v1/portfolio/trades", tok, trade("sell", 300), nil, http.StatusUnprocessableEntity, "insufficient_shares")
	check("trade bad json", "POST", "/api/v1/portfolio/trades", tok, `{"symbol":`, nil, http.StatusBadRequest, "invalid_json")
	check("trade foreign origin", "POST", "/api/v1/portfolio/trades", "", trade("buy", 1), foreign, http.StatusForbidden, "origin_forbidden")
	check("trade anonymous", "POST", "/api/v1/portfolio/trades", "", trade("buy", 1), nil, http.StatusUnauthorized, "unauthorized")
	check("portfolio", "GET", "/api/v1/portfolio", tok, nil, nil, http.StatusOK, "")
	check("portfolio anonymous", "GET", "/api/v1/portfolio", "", nil, nil, http.StatusUnauthorized, "unauthorized")
	check("trades", "GET", "/api/v1/portfolio/trades?limit=1", tok, nil, nil, http.StatusOK, "")
	check("trades bad cursor", "GET", "/api/v1/portfolio/trades?cursor=%25%25", tok, nil, nil, http.StatusBadRequest, "invalid_cursor")
	check("trades anonymous", "GET", "/api/v1/portfolio/trades", "", nil, nil, http.StatusUnauthorized, "unauthorized")
	check("watchlist put", "PUT", "/api/v1/watchlist", tok, map[string]any{"symbols": []string{"AAPL", "KO"}}, nil, http.StatusOK, "")
	check("watchlist put unknown", "PUT", "/api/v1/watchlist", tok, map[string]any{"symbols": []string{"ZZZZ"}}, nil, http.StatusUnprocessableEntity, "unknown_symbol")
	check("watchlist put foreign", "PUT", "/api/v1/watchlist", "", map[string]any{"symbols": []string{}}, foreign, http.StatusForbidden, "origin_forbidden")
	check("watchlist get", "GET", "/api/v1/watchlist", tok, nil, nil, http.StatusOK, "")
	check("watchlist anonymous", "GET", "/api/v1/watchlist", "", nil, nil, http.StatusUnauthorized, "unauthorized")
	// Alerts: thresholds far from the price, so none fires during the test.
	price, _, _ := ts.Market.LastPrice("AAPL")
	dollars := func(cents int64) json.Number { return json.Number(feed.AppendCents(nil, cents)) }
	alert := func(cond string, field string, v any) map[string]any {
		return map[string]any{"symbol": "AAPL", "condition": cond, field: v}
	}
	check("alert create", "POST", "/api/v1/alerts", tok, alert("above", "price", dollars(price*3)), nil, http.StatusCreated, "")
	check("alert create pct", "POST", "/api/v1/alerts", tok, alert("change_pct_below", "percent", -90), nil, http.StatusCreated, "")
	check("alert already true", "POST", "/api/v1/alerts", tok, alert("above", "price", dollars(price/3)), nil, http.StatusUnprocessableEntity, "already_triggered")
	check("alert no price", "POST", "/api/v1/alerts", tok, map[string]any{"symbol": "AAPL", "condition": "below"}, nil, http.StatusBadRequest, "missing_field")
	check("alert no symbol", "POST", "/api/v1/alerts", tok, map[string]any{"condition": "below", "price": 1}, nil, http.StatusBadRequest, "missing_field")
	check("alert zero price", "POST", "/api/v1/alerts", tok, alert("below", "price", 0), nil, http.StatusUnprocessableEntity, "invalid_price")
	check("alert three decimals", "POST", "/api/v1/alerts", tok, alert("below", "price", json.Number("1.005")), nil, http.StatusUnprocessableEntity, "invalid_price")
	check("alert percent with above", "POST", "/api/v1/alerts", tok, alert("above", "percent", 2), nil, http.StatusUnprocessableEntity, "invalid_percent")
	check("alert percent out of range", "POST", "/api/v1/alerts", tok, alert("change_pct_below", "percent", -100), nil, http.StatusUnprocessableEntity, "invalid_percent")
	check("alert condition", "POST", "/api/v1/alerts", tok, alert("sideways", "price", 1), nil, http.StatusUnprocessableEntity, "invalid_condition")
	check("alert unknown symbol", "POST", "/api/v1/alerts", tok, map[string]any{"symbol": "ZZZZ", "condition": "above", "price": 1}, nil, http.StatusUnprocessableEntity, "unknown_symbol")
	check("alert bad json", "POST", "/api/v1/alerts", tok, `{"symbol":`, nil, http.StatusBadRequest, "invalid_json")
	check("alert foreign origin", "POST", "/api/v1/alerts", "", alert("above", "price", 1), foreign, http.StatusForbidden, "origin_forbidden")
	check("alert anonymous", "POST", "/api/v1/alerts", "", alert("above", "price", 1), nil, http.StatusUnauthorized, "unauthorized")
	check("alerts", "GET", "/api/v1/alerts", tok, nil, nil, http.StatusOK, "")
	check("alerts active page", "GET", "/api/v1/alerts?status=active&limit=1", tok, nil, nil, http.StatusOK, "")
	check("alerts bad status", "GET", "/api/v1/alerts?status=fired", tok, nil, nil, http.StatusBadRequest, "invalid_parameter")
	check("alerts bad cursor", "GET", "/api/v1/alerts?cursor=%25%25", tok, nil, nil, http.StatusBadRequest, "invalid_cursor")
	check("alerts anonymous", "GET", "/api/v1/alerts", "", nil, nil, http.StatusUnauthorized, "unauthorized")
	_, listBody := ts.do(t, "GET", "/api/v1/alerts", tok, nil)
	alertID := strconv.FormatInt(decode[struct {
		Alerts []struct{ ID int64 } `json:"alerts"`
	}](t, listBody).Alerts[0].ID, 10)
	other := ts.register(t, "quinn", "correct horse battery")
	check("alert delete other account", "DELETE", "/api/v1/alerts/"+alertID, other, nil, nil, http.StatusNotFound, "not_found")
	check("alert delete", "DELETE", "/api/v1/alerts/"+alertID, tok, nil, nil, http.StatusNoContent, "")
	check("alert delete again", "DELETE", "/api/v1/alerts/"+alertID, tok, nil, nil, http.StatusNotFound, "not_found")
	check("alert delete malformed", "DELETE", "/api/v1/alerts/x", tok, nil, nil, http.StatusNotFound, "not_found")
	check("alert delete foreign", "DELETE", "/api/v1/alerts/1", "", nil, foreign, http.StatusForbidden, "origin_forbidden")
	check("alert delete anonymous", "DELETE", "/api/v1/alerts/1", "", nil, nil, http.StatusUnauthorized, "unauthorized")
	for i := range portfolio.MaxActiveAlerts {
		if resp, body := ts.do(t, "POST", "/api/v1/alerts", other, alert("above", "price", dollars(price*3+int64(i)))); resp.StatusCode != http.StatusCreated {
			t.Fatalf("alert %d: %d %s", i, resp.StatusCode, body)
		}
	}
	check("alert too many", "POST", "/api/v1/alerts", other, alert("below", "price", dollars(price/3)), nil, http.StatusUnprocessableEntity, "too_many_alerts")
	check("symbols", "GET", "/api/v1/symbols", "", nil, nil, http.StatusOK, "")
	etag := check("quotes", "GET", "/api/v1/quotes?symbols=AAPL,MSFT", "", nil, nil, http.StatusOK, "").Header.Get("ETag")
	check("quotes all", "GET", "/api/v1/quotes", "", nil, nil, http.StatusOK, "")
	check("quotes 304", "GET", "/api/v1/quotes?symbols=AAPL,MSFT", "", nil, func(r *http.Request) { r.Header.Set("If-None-Match", "*") }, http.StatusNotModified, "")
	check("quotes stale etag", "GET", "/api/v1/quotes?symbols=AAPL,MSFT", "", nil, func(r *http.Request) { r.Header.Set("If-None-Match", etag+"x") }, http.StatusOK, "")
	check("quotes unknown", "GET", "/api/v1/quotes?symbols=ZZZZ", "", nil, nil, http.StatusUnprocessableEntity, "unknown_symbol")
	check("quotes empty", "GET", "/api/v1/quotes?symbols=,", "", nil, nil, http.StatusBadRequest, "invalid_parameter")
	check("candles", "GET", "/api/v1/quotes/AAPL/candles", "", nil, nil, http.StatusOK, "")
	check("candles bad from", "GET", "/api/v1/quotes/AAPL/candles?from=soon", "", nil, nil, http.StatusBadRequest, "invalid_parameter")
	check("candles unknown", "GET", "/api/v1/quotes/ZZZZ/candles", "", nil, nil, http.StatusUnprocessableEntity, "unknown_symbol")
	check("market", "GET", "/api/v1/market", "", nil, nil, http.StatusOK, "")
	check("openapi", "GET", "/api/v1/openapi.yaml", "", nil, nil, http.StatusOK, "")
	check("asyncapi", "GET", "/api/v1/asyncapi.yaml", "", nil, nil, http.StatusOK, "")
	check("healthz", "GET", "/healthz", "", nil, nil, http.StatusOK, "")
	check("readyz", "GET", "/readyz", "", nil, nil, http.StatusOK, "")
	check("metrics", "GET", "/metrics", "", nil, nil, http.StatusOK, "")
	check("logout", "POST", "/api/v1/auth/logout", tok, nil, nil, http.StatusNoContent, "")
	check("logout again", "POST", "/api/v1/auth/logout", tok, nil, nil, http.StatusUnauthorized, "unauthorized")
	check("logout foreign", "POST", "/api/v1/auth/logout", "", nil, foreign, http.StatusForbidden, "origin_forbidden")

	// Every REST operation of the document was exercised (the streams have
	// their own tests).
	var missing []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "websocket" || op.OperationID == "eventStream" {
				continue
			}
			if covered[op.OperationID] == nil {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations never exercised: %v", missing)
	}

	// Errors raised outside any operation (unknown route, wrong method)
	// are problems of the documented schema too.
	problemSchema := doc.Components.Schemas["Problem"].Value
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/nope"}, {"DELETE", "/api/v1/watchlist"}} {
		resp, body := ts.do(t, c.method, c.path, tok, nil)
		var v any = decode[map[string]any](t, body)
		if err := problemSchema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil || resp.StatusCode < 400 {
			t.Errorf("%s %s: %d %s does not match Problem: %v", c.method, c.path, resp.StatusCode, body, err)
		}
	}

	// Last, because it closes the database: readiness failure.
	if err := ts.Store.Close(); err != nil {
		t.Fatal(err)
	}
	check("readyz down", "GET", "/readyz", "", nil, nil, http.StatusServiceUnavailable, "not_ready")
}
