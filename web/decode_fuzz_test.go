package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/tickerd/tickerd/portfolio"
)

// The request bodies a client can send, by the fuzz input's kind byte.
const (
	bodyCredentials = iota // register and login
	bodyTrade
	bodyWatchlist
	bodyKinds
)

// watchlistBody mirrors the body handleSetWatchlist decodes.
type watchlistBody struct {
	Symbols *[]string `json:"symbols"`
}

func newBody(kind uint8) any {
	switch kind % bodyKinds {
	case bodyCredentials:
		return &credentialsBody{}
	case bodyTrade:
		return &tradeBody{}
	default:
		return &watchlistBody{}
	}
}

var problemCodePattern = regexp.MustCompile(`^[a-z][a-z_]*$`)

// decodeBody runs decodeJSON on a request with contentType and body.
func decodeBody(app *fiber.App, contentType string, body []byte, dst any) error {
	var fctx fasthttp.RequestCtx
	fctx.Request.Header.SetMethod(fiber.MethodPost)
	fctx.Request.Header.SetContentType(contentType)
	fctx.Request.SetBody(body)
	c := app.AcquireCtx(&fctx)
	defer app.ReleaseCtx(c)
	return decodeJSON(c, dst)
}

// FuzzDecodeJSON: any Content-Type and body, decoded into each REST body
// type, either decodes or is refused with a coded 4xx problem, never a
// panic or a 500; a body that decodes encodes back to one that decodes to
// the same value; a trade's quantity is an integer or invalid_quantity.
func FuzzDecodeJSON(f *testing.F) {
	const ct = "application/json"
	for _, s := range []struct {
		kind uint8
		ct   string
		body string
	}{
		{bodyCredentials, ct, `{"username":"ann","password":"correct horse battery"}`},
		{bodyCredentials, ct + "; charset=utf-8", `{"username":"ann"}`},
		{bodyCredentials, "text/plain", `{"username":"ann"}`},
		{bodyCredentials, "", `{}`},
		{bodyCredentials, ct, `{"username":"ann","password":"x","extra":1}`},
		{bodyCredentials, ct, `{"username":"ann","USERNAME":"bob"}`},
		{bodyCredentials, ct, `{"username":"ann","username":"bob"}`},
		{bodyCredentials, ct, `{"ſsername":"ann"}`},
		{bodyCredentials, ct, `null`},
		{bodyCredentials, ct, `[]`},
		{bodyCredentials, ct, `{"username":1}`},
		{bodyCredentials, ct, `{"username":"\ud800"}`},
		{bodyCredentials, ct, "{\"username\":\"\xff\"}"},
		{bodyCredentials, ct, `{} {}`},
		{bodyCredentials, ct, `   `},
		{bodyCredentials, ct, `{"username":"ann"`},
		{bodyTrade, ct, `{"symbol":"AAPL","side":"buy","quantity":10}`},
		{bodyTrade, ct, `{"symbol":"msft","side":"sell","quantity":"10"}`},
		{bodyTrade, ct, `{"symbol":"AAPL","side":"buy","quantity":1.5}`},
		{bodyTrade, ct, `{"symbol":"AAPL","side":"buy","quantity":1e3}`},
		{bodyTrade, ct, `{"symbol":"AAPL","side":"buy","quantity":-0}`},
		{bodyTrade, ct, `{"symbol":"AAPL","side":"buy","quantity":99999999999999999999}`},
		{bodyTrade, ct, `{"symbol":"AAPL","side":"buy","quantity":null}`},
		{bodyTrade, ct, `{"symbol":"ıbm","side":"buy","quantity":{"a":[1,2]}}`},
		{bodyWatchlist, ct, `{"symbols":["AAPL","MSFT"]}`},
		{bodyWatchlist, ct, `{"symbols":[]}`},
		{bodyWatchlist, ct, `{"symbols":null}`},
		{bodyWatchlist, ct, `{"symbols":"AAPL"}`},
		{bodyWatchlist, ct, `{"symbols":[1]}`},
	} {
		f.Add(s.kind, s.ct, []byte(s.body))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, kind uint8, contentType string, body []byte) {
		dst := newBody(kind)
		err := decodeBody(app, contentType, body, dst)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("refusal %v (%T) is not a problem", err, err)
			}
			if st := statusOf(ae.code); st < 400 || st > 499 || !problemCodePattern.MatchString(ae.code) {
				t.Fatalf("refusal code %q has status %d", ae.code, st)
			}
			return
		}
		if tb, ok := dst.(*tradeBody); ok {
			if _, err := parseQuantity(tb.Quantity); err != nil {
				var ae *apiError
				if !errors.As(err, &ae) || ae.code != portfolio.CodeInvalidQuantity {
					t.Fatalf("quantity %q: %v", tb.Quantity, err)
				}
			}
		}
		again, err := json.Marshal(dst)
		if err != nil {
			t.Fatalf("accepted body %q does not encode: %v", body, err)
		}
		dst2 := newBody(kind)
		if err := decodeBody(app, "application/json", again, dst2); err != nil {
			t.Fatalf("accepted body %q re-encoded as %q is refused: %v", body, again, err)
		}
		if tb, ok := dst.(*tradeBody); ok { // a raw quantity re-encodes compacted, and absent as null
			var q bytes.Buffer
			if len(tb.Quantity) == 0 || json.Compact(&q, tb.Quantity) != nil {
				q.WriteString("null")
			}
			tb.Quantity = q.Bytes()
		}
		if !reflect.DeepEqual(dst, dst2) {
			t.Fatalf("body %q decodes to %+v, its re-encoding %q to %+v", body, dst, again, dst2)
		}
	})
}
