package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// fakeServer speaks just enough of tickerd's protocol (symbols, register,
// login, WebSocket, SSE, polled quotes) to test the clients' accounting
// exactly: one tape ticks every symbol every tickEvery, seq one above the
// last (all symbols share it); every stream sends every tick in order with
// ts = now (but for gapEvery and mute), and GET /api/v1/quotes answers the
// tape's seq. It serves a conflation counter too.
type fakeServer struct {
	t         *testing.T
	url       string
	tickEvery time.Duration
	closeWith int          // when non-zero, every WebSocket is closed with this code after its first tick
	gapEvery  atomic.Int64 // when non-zero, every gapEvery-th WebSocket tick skips a seq and announces "dropped":1
	mute      atomic.Bool  // while set, streams send nothing (the tape goes on): ticks never delivered

	scrapes atomic.Int64 // GET /metrics served; the conflation counter is 7 per scrape

	pongs atomic.Int64 // pongs answering the fake's heartbeat pings

	start    time.Time         // the simulated clock reads start + speed × (now - start)
	speed    float64           // GET /api/v1/market's speed; 1 unless setScenario
	scenario string            // name; "" serves no scenario
	events   []fakeMarketEvent // in real time

	tmu     sync.Mutex
	tapeSeq int64         // the tape's last seq
	tapeMS  int64         // when it ticked, Unix ms
	ticked  chan struct{} // closed at the next tick

	mu    sync.Mutex
	users map[string]bool
	wg    sync.WaitGroup
	done  chan struct{}
}

var fakeUniverse = []string{"AAA", "BBB", "CCC", "DDD", "EEE", "FFF"}

func startFake(t *testing.T, tickEvery time.Duration, closeWith int) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{t: t, url: "http://" + ln.Addr().String(), tickEvery: tickEvery, closeWith: closeWith,
		users: map[string]bool{}, done: make(chan struct{}), start: time.Now(), speed: 1,
		tapeSeq: 1, tapeMS: time.Now().UnixMilli(), ticked: make(chan struct{})}
	f.wg.Go(f.runTape)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/symbols", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		b.WriteString(`{"symbols":[`)
		for i, s := range fakeUniverse {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"symbol":%q,"name":"x","sector":"y"}`, s)
		}
		b.WriteString(`]}`)
		w.Write([]byte(b.String()))
	})
	mux.HandleFunc("POST /api/v1/auth/register", f.register)
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var c struct{ Username string }
		_ = json.NewDecoder(r.Body).Decode(&c)
		fmt.Fprintf(w, `{"token":"tok-%s"}`, c.Username)
	})
	mux.HandleFunc("GET /api/v1/ws", f.ws)
	mux.HandleFunc("GET /api/v1/stream", f.sse)
	mux.HandleFunc("GET /api/v1/quotes", f.quotes)
	mux.HandleFunc("GET /api/v1/market", f.market)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE tickerd_quotes_conflated_total counter\ntickerd_quotes_conflated_total %d\n", 7*f.scrapes.Add(1))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(f.done)
		srv.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) register(w http.ResponseWriter, r *http.Request) {
	var c struct{ Username, Password string }
	_ = json.NewDecoder(r.Body).Decode(&c)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.users[c.Username] {
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"code":"username_taken"}`))
		return
	}
	f.users[c.Username] = true
	w.WriteHeader(http.StatusCreated)
}

func authorized(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-")
}

// frame is a quotes frame of the given symbols at ts and seq; dropped > 0
// announces that many dropped ticks.
func frame(syms []string, ts, seq, dropped int64, snapshot bool) []byte {
	b := []byte(`{"type":"quotes","data":[`)
	for i, s := range syms {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"symbol":%q,"price":1.00,"ts":%d,"seq":%d`, s, ts, seq)
		if snapshot {
			b = append(b, `,"snapshot":true`...)
		}
		if dropped > 0 {
			b = fmt.Appendf(b, `,"dropped":%d`, dropped)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func (f *fakeServer) ws(w http.ResponseWriter, r *http.Request) {
	if !authorized(r) {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	// A small write buffer makes the library fragment every quotes frame.
	up := websocket.Upgrader{WriteBufferSize: 64}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.wg.Add(1)
	defer f.wg.Done()
	defer c.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"welcome","user":"u","heartbeat_s":20}`))
	var sub struct {
		Symbols []string `json:"symbols"`
	}
	if err := c.ReadJSON(&sub); err != nil {
		return
	}
	seq, _ := f.tape()
	_ = c.WriteMessage(websocket.TextMessage, frame(sub.Symbols, time.Now().UnixMilli()-5000, seq, 0, true))
	c.SetPongHandler(func(data string) error {
		if data == "hb" {
			f.pongs.Add(1)
		}
		return nil
	})
	go func() { // the reader: sees the client's close
		for {
			if _, _, err := c.NextReader(); err != nil {
				c.Close()
				return
			}
		}
	}()
	var dropped int64
	for {
		if !f.next(&seq, nil) {
			return
		}
		if g := f.gapEvery.Load(); g > 0 && seq%g == 0 {
			dropped++
			continue
		}
		if f.mute.Load() {
			continue
		}
		if err := c.WriteMessage(websocket.TextMessage, frame(sub.Symbols, time.Now().UnixMilli(), seq, dropped, false)); err != nil {
			return
		}
		dropped = 0
		if err := c.WriteControl(websocket.PingMessage, []byte("hb"), time.Now().Add(time.Second)); err != nil {
			return
		}
		if f.closeWith != 0 {
			msg := websocket.FormatCloseMessage(f.closeWith, "policy")
			_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		}
	}
}

func (f *fakeServer) sse(w http.ResponseWriter, r *http.Request) {
	if !authorized(r) {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	syms := strings.Split(r.URL.Query().Get("symbols"), ",")
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	seq, _ := f.tape()
	fmt.Fprintf(w, "event: quotes\ndata: %s\n\n", frame(syms, time.Now().UnixMilli()-5000, seq, 0, true))
	fl.Flush()
	for f.next(&seq, r.Context().Done()) {
		if f.mute.Load() {
			continue
		}
		fmt.Fprintf(w, ": heartbeat\n\nevent: quotes\ndata: %s\n\n", frame(syms, time.Now().UnixMilli(), seq, 0, false))
		fl.Flush()
	}
}

// quotes answers the tape's seq and the time of its last tick for the
// symbols asked (all without ?symbols=, which needs no session, as on the
// real server), with the seq as ETag.
func (f *fakeServer) quotes(w http.ResponseWriter, r *http.Request) {
	syms := fakeUniverse
	if q := r.URL.Query().Get("symbols"); q != "" {
		if !authorized(r) {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		syms = strings.Split(q, ",")
	}
	seq, ts := f.tape()
	etag := `"` + strconv.FormatInt(seq, 10) + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Write(append([]byte(`{"quotes":`), frame(syms, ts, seq, 0, false)[len(`{"type":"quotes","data":`):]...))
}

// runTape ticks the tape every tickEvery until the fake stops.
func (f *fakeServer) runTape() {
	tick := time.NewTicker(f.tickEvery)
	defer tick.Stop()
	for {
		select {
		case <-f.done:
			return
		case <-tick.C:
		}
		f.tmu.Lock()
		f.tapeSeq++
		f.tapeMS = time.Now().UnixMilli()
		close(f.ticked)
		f.ticked = make(chan struct{})
		f.tmu.Unlock()
	}
}

// tape returns the tape's last seq and when it ticked.
func (f *fakeServer) tape() (seq, ms int64) {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	return f.tapeSeq, f.tapeMS
}

// next advances *seq by one, waiting for the tape to get there; false when
// the fake or stop is done.
func (f *fakeServer) next(seq *int64, stop <-chan struct{}) bool {
	for {
		f.tmu.Lock()
		now, ticked := f.tapeSeq, f.ticked
		f.tmu.Unlock()
		if now > *seq {
			*seq++
			return true
		}
		select {
		case <-f.done:
			return false
		case <-stop:
			return false
		case <-ticked:
		}
	}
}

// fakeMarketEvent is a scenario event of the fake market, in real time.
type fakeMarketEvent struct {
	typ, scope string
	start, end time.Time
}

// setScenario makes GET /api/v1/market describe a scenario named name,
// played at speed, with events.
func (f *fakeServer) setScenario(name string, speed float64, events ...fakeMarketEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scenario, f.speed, f.events = name, speed, events
}

// market serves GET /api/v1/market: the clock, the fake's tick rate (per
// simulated second) and the scenario's events not yet over.
func (f *fakeServer) market(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	sim := func(t time.Time) string {
		return f.start.Add(time.Duration(float64(t.Sub(f.start)) * f.speed)).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	out := map[string]any{
		"clock": sim(now), "speed": f.speed, "halted": []string{}, "scenario": nil,
		"ticks_per_second": float64(time.Second) / float64(f.tickEvery) / f.speed,
	}
	if f.scenario != "" {
		var evs []map[string]any
		for _, e := range f.events {
			if !e.end.After(now) {
				continue
			}
			evs = append(evs, map[string]any{"type": e.typ, "scope": e.scope, "start": sim(e.start), "end": sim(e.end),
				"active": !now.Before(e.start), "percent": -9.0, "duration_s": e.end.Sub(e.start).Seconds() * f.speed})
		}
		out["scenario"] = map[string]any{"name": f.scenario, "description": "", "events": evs}
	}
	_ = json.NewEncoder(w).Encode(out)
}
