package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// Centrifugo mode (-centrifugo URL) loads a Centrifugo server with the same
// workload as tickerd's, to compare the two on one machine with one tool.
// tickerd (-url) still runs the market and answers everything but the
// stream: the universe, the logins, the seqs that bound the ticks offered.
// A forwarder in the tool relays every tick of that market to Centrifugo's
// HTTP API, one channel per symbol, the quote's JSON as the publication's
// data; the clients connect to Centrifugo, speak its JSON protocol and
// subscribe to their symbols' channels, and every figure is computed as for
// tickerd. Centrifugo's latency therefore includes the forwarder's hop
// (reported as forward_ms), and its CPU includes its HTTP API's.

// validateCentrifugo checks -centrifugo: a loopback-style http URL with a
// port, in ws mode with symbols and no scenario event.
func (cfg *Config) validateCentrifugo() error {
	if cfg.Centrifugo == "" {
		return nil
	}
	if cfg.Mode != modeWS || cfg.Symbols == 0 || cfg.ScenarioEvent != "" {
		return fmt.Errorf("-centrifugo needs -mode ws with symbols and no -scenario-event")
	}
	if cu, err := url.Parse(cfg.Centrifugo); err != nil || cu.Scheme != "http" || cu.Port() == "" {
		return fmt.Errorf("-centrifugo %q: want http://127.0.0.1:PORT", cfg.Centrifugo)
	}
	return nil
}

// useCentrifugo points the ws clients at Centrifugo when -centrifugo is
// set (validated).
func (e *env) useCentrifugo() {
	if e.cfg.Centrifugo == "" {
		return
	}
	cu, _ := url.Parse(e.cfg.Centrifugo)
	e.centrifugo = true
	e.wsURL = "ws://" + cu.Host + centrifugoWSPath
	e.wsDialer = &dialer{server: cu.Host, sourceIPs: e.cfg.SourceIPs, timeout: e.cfg.Timeout}
}

// centrifugoWSPath is Centrifugo's WebSocket endpoint.
const centrifugoWSPath = "/connection/websocket"

// centrifugoSubscribe is client i's first frame: the connect command, then
// one subscribe command per symbol (Centrifugo reads commands separated by
// newlines in one frame, in order). Centrifugo runs with anonymous clients
// allowed, as tickerd's load accounts are none of its concern.
func centrifugoSubscribe(syms string) []byte {
	b := []byte(`{"id":1,"connect":{}}`)
	if syms == "" {
		return b
	}
	for n, s := range strings.Split(syms, ",") {
		b = append(b, '\n')
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(n+2), 10)
		b = append(b, `,"subscribe":{"channel":`...)
		b = strconv.AppendQuote(b, s)
		b = append(b, `}}`...)
	}
	return b
}

// centrifugoPing reports whether frame holds Centrifugo's ping (an empty
// object, alone or as one of the frame's lines), which a client must
// answer with the same within the pong timeout or be disconnected.
func centrifugoPing(frame []byte) bool {
	for line := range bytes.SplitSeq(frame, []byte{'\n'}) {
		if bytes.Equal(line, centrifugoPong) {
			return true
		}
	}
	return false
}

// centrifugoPong is a client's answer to a ping.
var centrifugoPong = []byte(`{}`)

var (
	keyCentrifugoError      = []byte(`"error":{"code":`)
	keyCentrifugoDisconnect = []byte(`"disconnect":{"code":`)
)

// centrifugoFrame accounts for one frame of Centrifugo's protocol: the
// quotes in its publications (each push's data is a quote of tickerd's,
// which scanQuotes finds inside the push), an error reply, or a
// disconnect push (whose code is counted like a close).
func (e *env) centrifugoFrame(i int, frame []byte, st *clientStats) {
	if j := bytes.Index(frame, keyCentrifugoError); j >= 0 {
		code, _, _ := parseInt(frame, j+len(keyCentrifugoError))
		st.fail("centrifugo_error_" + strconv.FormatInt(code, 10))
	}
	if j := bytes.Index(frame, keyCentrifugoDisconnect); j >= 0 {
		code, _, _ := parseInt(frame, j+len(keyCentrifugoDisconnect))
		st.closed(int(code))
	}
	e.countQuotes(i, frame, st)
}

// forwarder relays the market of the server at -url to Centrifugo: one
// WebSocket client of the server subscribed to the whole universe hands
// each tick to one of fwdWorkers publishers, chosen by symbol so that a
// symbol's ticks stay in order; each publisher sends what has queued up
// as one HTTP API batch, so that Centrifugo is asked as often as it can
// answer. (One publisher in series fell seconds behind at 10,000 clients,
// each call waiting for its fan-out on two busy cores.)
type forwarder struct {
	api    string // Centrifugo's batch endpoint
	key    string
	hc     *http.Client
	in     [fwdWorkers]chan fwdTick
	hop    Histogram // a tick's ts to Centrifugo's answer to its batch
	ticks  atomic.Int64
	failed atomic.Int64
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// fwdWorkers is how many batches the forwarder has in flight at most.
const fwdWorkers = 8

// fwdTick is one tick to publish: its channel and data.
type fwdTick struct {
	symbol, quote []byte
	ts            int64 // Unix ms
}

// ForwardStats is what the forwarder did, in Centrifugo mode.
type ForwardStats struct {
	Ticks  int64       `json:"ticks"`  // ticks published to Centrifugo, ramp included
	Failed int64       `json:"failed"` // batches Centrifugo refused or did not answer
	Hop    Percentiles `json:"hop_ms"` // a tick's ts to Centrifugo's answer to its batch (an upper bound of what forwarding adds)
}

// startForwarder, in Centrifugo mode, connects to the server as one client
// (with the first account's token), subscribes to universe and relays its
// ticks until stop or ctx ends. It returns once the subscription is made;
// outside Centrifugo mode it returns nil, which stop accepts.
func (e *env) startForwarder(ctx context.Context, universe []string) (*forwarder, error) {
	if !e.centrifugo {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &forwarder{
		api: strings.TrimSuffix(e.cfg.Centrifugo, "/") + "/api/batch", key: e.cfg.CentrifugoKey, cancel: cancel,
		hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: fwdWorkers}},
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+e.token(0))
	hdr.Set("Origin", e.origin)
	d := websocket.Dialer{HandshakeTimeout: e.cfg.Timeout}
	conn, _, err := d.DialContext(ctx, "ws://"+e.host+"/api/v1/ws", hdr)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, tickerdSubscribe(strings.Join(universe, ","))); err != nil {
		cancel()
		_ = conn.Close()
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	for w := range f.in {
		f.in[w] = make(chan fwdTick, 4096)
		f.done.Go(func() { f.publisher(ctx, f.in[w]) })
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	f.done.Go(func() {
		defer stop()
		for {
			_, frame, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if string(frameType(frame)) != "quotes" {
				continue
			}
			eachTick(frame, func(t fwdTick) {
				h := fnv.New32a()
				_, _ = h.Write(t.symbol)
				select {
				case f.in[h.Sum32()%fwdWorkers] <- t:
				case <-ctx.Done():
				}
			})
		}
	})
	return f, nil
}

// publisher sends the ticks of in, each time all that queued up while it
// waited for Centrifugo (up to 256), as one batch.
func (f *forwarder) publisher(ctx context.Context, in <-chan fwdTick) {
	var body []byte
	for {
		var t fwdTick
		select {
		case <-ctx.Done():
			return
		case t = <-in:
		}
		batch := []fwdTick{t}
	more:
		for len(batch) < 256 {
			select {
			case t = <-in:
				batch = append(batch, t)
			default:
				break more
			}
		}
		body = appendBatch(body[:0], batch)
		f.publish(ctx, body, batch)
	}
}

// publish sends one batch and records the hop of its oldest tick.
func (f *forwarder) publish(ctx context.Context, body []byte, batch []fwdTick) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.api, bytes.NewReader(body))
	if err != nil {
		f.failed.Add(1)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", f.key)
	resp, err := f.hc.Do(req)
	if err != nil {
		f.failed.Add(1)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Contains(answer, []byte(`"error"`)) {
		f.failed.Add(1)
		return
	}
	now := time.Now().UnixNano()
	for _, t := range batch {
		f.hop.Record(time.Duration(now - t.ts*int64(time.Millisecond)))
	}
	f.ticks.Add(int64(len(batch)))
}

// eachTick calls fn for each quote of a tickerd quotes frame but snapshots
// (which were published as ticks), with copies of its symbol and JSON.
func eachTick(frame []byte, fn func(fwdTick)) {
	scanQuotes(frame, func(q scannedQuote) {
		if q.snapshot || q.symbol == nil || q.json == nil {
			return
		}
		fn(fwdTick{symbol: bytes.Clone(q.symbol), quote: bytes.Clone(q.json), ts: q.ts})
	})
}

// appendBatch appends to dst Centrifugo's batch request publishing each
// tick on its symbol's channel, the quote's JSON as data.
func appendBatch(dst []byte, batch []fwdTick) []byte {
	dst = append(dst, `{"commands":[`...)
	for n, t := range batch {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"publish":{"channel":"`...)
		dst = append(dst, t.symbol...)
		dst = append(dst, `","data":`...)
		dst = append(dst, t.quote...)
		dst = append(dst, `}}`...)
	}
	return append(dst, `]}`...)
}

// stop ends the forwarder and returns its figures; nil for a nil
// forwarder. It may be called more than once.
func (f *forwarder) stop() *ForwardStats {
	if f == nil {
		return nil
	}
	f.cancel()
	f.done.Wait()
	return &ForwardStats{Ticks: f.ticks.Load(), Failed: f.failed.Load(), Hop: percentiles(&f.hop)}
}
