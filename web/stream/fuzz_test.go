package stream

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// codePattern is what every error code looks like: the client matches on it.
var codePattern = regexp.MustCompile(`^[a-z][a-z_]*$`)

// fuzzMaxSymbols is a small cap so that the fuzzer reaches too_many_symbols.
const fuzzMaxSymbols = 2

// checkSubscription holds for every subscription the rules accept.
func checkSubscription(t *testing.T, r *Registry, sub Subscription, current map[string]struct{}) {
	t.Helper()
	n := len(current)
	for i, sym := range sub.Symbols {
		if _, ok := r.deps.Market.Lookup(sym); !ok || sym != strings.ToUpper(sym) {
			t.Fatalf("accepted symbol %q is not a known upper-case ticker", sym)
		}
		if slices.Contains(sub.Symbols[:i], sym) {
			t.Fatalf("accepted symbols %q repeat %q", sub.Symbols, sym)
		}
		if _, have := current[sym]; !have {
			n++
		}
	}
	for sym := range sub.Since {
		if !slices.Contains(sub.Symbols, sym) {
			t.Fatalf("since names %q, not among the accepted symbols %q", sym, sub.Symbols)
		}
	}
	if n > r.cfg.MaxSymbols {
		t.Fatalf("subscription brings the stream to %d symbols, cap %d", n, r.cfg.MaxSymbols)
	}
	if sub.Every < 0 || sub.Every > MaxRateMSLimit*time.Millisecond {
		t.Fatalf("accepted interval %v", sub.Every)
	}
}

// checkError holds for every refusal.
func checkError(t *testing.T, e *Error) {
	t.Helper()
	if !codePattern.MatchString(e.Code) || e.Message == "" {
		t.Fatalf("refusal without a code or message: %+v", e)
	}
}

// FuzzSSEQuery: the SSE query parameters, read and checked as the
// handshake does, always give either a subscription within the rules or a
// coded error, never a panic.
func FuzzSSEQuery(f *testing.F) {
	for _, s := range [][4]string{
		{"AAPL", "", "", ""}, {"aapl, msft", "portfolio", "500", ""}, {"", "portfolio", "", ""},
		{"AAPL,AAPL,aapl", "", "0", ""}, {"AAPL,MSFT,KO", "", "", ""}, {"NOPE", "", "", ""},
		{"AAPL,,MSFT", "", "", ""}, {"AAPL", "news", "", ""}, {"AAPL", "", "-1", ""}, {"AAPL", "", "60001", ""},
		{"AAPL", "", "1e3", ""}, {"AAPL", "", "99999999999999999999", ""}, {"", "", "", ""}, {" ", ",", "", ""},
		{"ıbm", "", "", ""}, {"\xff\xfe", "portfolio,portfolio", "60000", ""},
		{"AAPL,MSFT", "", "", "AAPL:4211,msft:0"}, {"AAPL", "", "", "MSFT:1"}, {"AAPL", "", "", "AAPL:-1"},
		{"AAPL", "", "", "AAPL:1,AAPL:2"}, {"AAPL", "", "", "AAPL"}, {"AAPL", "", "", "AAPL:18446744073709551616"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	r, _, _ := newTestRegistry(f, Config{MaxSymbols: fuzzMaxSymbols})
	f.Fuzz(func(t *testing.T, symbols, channels, maxRateMS, since string) {
		req, qerr := QueryRequest(symbols, channels, maxRateMS, since)
		if qerr != nil {
			checkError(t, qerr)
			return
		}
		sub, err := r.Check(req, nil)
		if err != nil {
			checkError(t, err)
			if len(sub.Symbols) != 0 || sub.Portfolio {
				t.Fatalf("a refused request still subscribes: %+v", sub)
			}
			return
		}
		checkSubscription(t, r, sub, nil)
		if len(sub.Symbols) == 0 && !sub.Portfolio {
			t.Fatal("an accepted subscription names nothing")
		}
	})
}

// FuzzWSClientMessages feeds client messages, one per line of the input,
// to one authenticated WebSocket connection's handler, as its reader does.
// Every message must get exactly one reply that is a JSON object: a pong,
// the subscription set (within max_symbols), or an error with a code, in
// UTF-8 when the message was; the handler never panics and never closes the
// connection.
func FuzzWSClientMessages(f *testing.F) {
	for _, s := range []string{
		`{"type":"subscribe","symbols":["AAPL"]}`,
		`{"type":"subscribe","id":1,"symbols":["aapl"," MSFT "],"channels":["portfolio"],"max_rate_ms":250}` + "\n" +
			`{"type":"unsubscribe","id":"x","symbols":["AAPL"]}` + "\n" + `{"type":"subscribe","symbols":["KO"]}`,
		`{"type":"subscribe","symbols":["AAPL","MSFT","KO"]}`,
		`{"type":"subscribe","symbols":["AAPL","MSFT"],"since":{"AAPL":4211,"msft":0}}`,
		`{"type":"subscribe","symbols":["AAPL"],"since":{"KO":1}}`, `{"type":"subscribe","symbols":["AAPL"],"since":{"AAPL":-1}}`,
		`{"type":"subscribe","symbols":["AAPL"],"since":{"AAPL":1,"AAPL":2}}`, `{"type":"subscribe","symbols":["AAPL"],"since":[1]}`,
		`{"type":"unsubscribe","channels":["portfolio"]}`,
		`{"type":"ping","id":"p1"}`, `{"type":"ping","id":-1.5e3}`, `{"type":"ping","id":{"a":1}}`,
		`{"type":"auth","token":"good"}`, `{"type":"nope"}`, `{}`, `[]`, `null`, `"x"`, `{"type":1}`,
		`{"type":"subscribe"}`, `{"type":"subscribe","symbols":[""]}`, `{"type":"subscribe","symbols":"AAPL"}`,
		`{"type":"subscribe","symbols":["AAPL"],"max_rate_ms":-1}`, `{"type":"subscribe","channels":["news"]}`,
		`{"type":"subscribe","symbols":["ıbm"]}`, `{"type":"ping","id":"\ud800"}`, "{\"type\":\"ping\",\"id\":\"\xff\"}",
		`{"type":"ping"} trailing`, `{"type":"subscribe","symbols":["AAPL"],"max_rate_ms":1e400}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	r, _, _ := newTestRegistry(f, Config{MaxSymbols: fuzzMaxSymbols})
	f.Fuzz(func(t *testing.T, input []byte) {
		st, err := r.enter(transportWS, "192.0.2.1", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.leave(st)
		c := &wsConn{reg: r, st: st, cfg: r.cfg, symbols: make(map[string]struct{})}
		for _, msg := range bytes.Split(input, []byte("\n")) {
			c.handle(msg)
			if _, _, closing := st.closeRequested(); closing {
				t.Fatalf("message %q closed the connection", msg)
			}
			st.replyMu.Lock()
			replies := st.replies
			st.replies = nil
			st.replyMu.Unlock()
			if len(replies) != 1 {
				t.Fatalf("message %q: %d replies, want 1", msg, len(replies))
			}
			frame := (*replies[0])[frameHeadroom:]
			var reply struct {
				Type    string   `json:"type"`
				Code    string   `json:"code"`
				Message string   `json:"message"`
				Symbols []string `json:"symbols"`
			}
			if utf8.Valid(msg) && !utf8.Valid(frame) {
				t.Fatalf("message %q: reply %q is not UTF-8, as a text frame must be", msg, frame)
			}
			if err := json.Unmarshal(frame, &reply); err != nil {
				t.Fatalf("message %q: reply %q is not JSON: %v", msg, frame, err)
			}
			switch reply.Type {
			case "pong":
			case "subscriptions":
				if len(reply.Symbols) > r.cfg.MaxSymbols || len(c.symbols) != len(reply.Symbols) {
					t.Fatalf("message %q: subscriptions %q (connection holds %d)", msg, reply.Symbols, len(c.symbols))
				}
			case "error":
				checkError(t, &Error{Code: reply.Code, Message: reply.Message})
			default:
				t.Fatalf("message %q: reply %q", msg, frame)
			}
			r.frames.put(replies[0])
		}
	})
}
