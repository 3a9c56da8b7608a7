package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fussyInterest is a Deps.Interest that cannot fetch MSFT, as an edge
// whose core does not answer.
type fussyInterest struct {
	mu     sync.Mutex
	wanted [][]string
}

func (f *fussyInterest) Want(_ context.Context, symbols []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wanted = append(f.wanted, append([]string(nil), symbols...))
	if slices.Contains(symbols, "MSFT") {
		return errors.New("request rpc.backfill: nats: timeout")
	}
	return nil
}

func (f *fussyInterest) asked(sym string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.wanted {
		if slices.Contains(w, sym) {
			return true
		}
	}
	return false
}

// Streams and quote reads tell Deps.Interest their symbols first; when it
// fails, a WebSocket subscribe gets a not_ready error frame and subscribes
// nothing, an SSE stream and GET /api/v1/quotes get 503 not_ready.
func TestInterestBeforeSubscribing(t *testing.T) {
	in := &fussyInterest{}
	ts := startTestServerWith(t, Config{}, testServerOptions{Interest: in})
	tok := ts.register(t, "ivy", "correct horse 1")

	conn := mustDialWS(t, ts, tok)
	send(t, conn, `{"type":"subscribe","id":1,"symbols":["MSFT"]}`)
	if f := readFrame(t, conn); f.Type != "error" || f.Code != "not_ready" || string(f.ID) != "1" {
		t.Fatalf("subscribe MSFT: %s, want a not_ready error frame with id 1", f.Raw)
	}
	send(t, conn, `{"type":"subscribe","id":2,"symbols":["AAPL"]}`)
	if subs := readUntil(t, conn, "subscriptions"); !slices.Equal(subs.Symbols, []string{"AAPL"}) {
		t.Fatalf("subscriptions %s, want [AAPL] only", subs.Raw)
	}
	if !in.asked("AAPL") {
		t.Fatal("AAPL subscribed without Want")
	}

	resp, body := ts.do(t, http.MethodGet, "/api/v1/stream?symbols=AAPL,MSFT", tok, nil)
	wantProblem(t, resp, body, http.StatusServiceUnavailable, "not_ready", "")
	resp, body = ts.do(t, http.MethodGet, "/api/v1/quotes?symbols=MSFT", "", nil)
	wantProblem(t, resp, body, http.StatusServiceUnavailable, "not_ready", "")
	resp, body = ts.do(t, http.MethodGet, "/api/v1/quotes?symbols=AAPL", "", nil)
	wantStatus(t, resp, body, http.StatusOK)
}

// panickyInterest panics when asked for KO.
type panickyInterest struct{}

func (panickyInterest) Want(_ context.Context, symbols []string) error {
	if slices.Contains(symbols, "KO") {
		panic("boom in subscribe")
	}
	return nil
}

// A panic while a WebSocket message is handled closes that connection with
// 1011 and logs the stack; the server and its other connections go on.
func TestPanicInWSHandlerClosesOnlyItsConnection(t *testing.T) {
	ts := startTestServerWith(t, Config{}, testServerOptions{Interest: panickyInterest{}})
	tok := ts.register(t, "pam", "correct horse 1")

	bystander := mustDialWS(t, ts, tok)
	send(t, bystander, `{"type":"subscribe","id":1,"symbols":["AAPL"]}`)
	readUntil(t, bystander, "subscriptions")

	conn := mustDialWS(t, ts, tok)
	send(t, conn, `{"type":"subscribe","id":1,"symbols":["KO"]}`)
	expectClose(t, conn, 1011, "internal error")

	send(t, bystander, `{"type":"ping","id":2}`)
	if f := readUntil(t, bystander, "pong"); string(f.ID) != "2" {
		t.Fatalf("pong %s, want id 2", f.Raw)
	}
	logs := ts.Logs.String()
	if !strings.Contains(logs, "boom in subscribe") || !strings.Contains(logs, "interest_test.go") {
		t.Fatalf("panic not logged with its stack:\n%s", logs)
	}
}
