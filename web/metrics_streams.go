package web

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// transport tells the two stream transports apart in metrics.
type transport int

const (
	transportWS transport = iota
	transportSSE
	numTransports
)

func (t transport) String() string {
	if t == transportSSE {
		return "sse"
	}
	return "ws"
}

// closeAbnormal is the code counted for a stream that ended without a
// close frame (the peer vanished or a write failed), as RFC 6455 reports it.
const closeAbnormal = 1006

// trackedCloseCodes are the close codes tickerd sends or commonly
// receives; any other code is counted as "other".
var trackedCloseCodes = [...]int{1000, 1001, closeAbnormal, 1008, 1009, 1011, 1013, closeUnauthorized, closeHeartbeatTimeout}

// closeIndex returns the slot of code in trackedCloseCodes, or the
// "other" slot after them.
func closeIndex(code int) int {
	for i, c := range trackedCloseCodes {
		if c == code {
			return i
		}
	}
	return len(trackedCloseCodes)
}

// streamCounters are counted on the write path with plain atomics (no
// label lookups) and turned into series at scrape time.
type streamCounters struct {
	frames [numTransports]atomic.Uint64
	bytes  [numTransports]atomic.Uint64
	closes [numTransports][len(trackedCloseCodes) + 1]atomic.Uint64
}

// streamStats is what the metrics collector reads of one open stream.
type streamStats struct {
	sse     atomic.Bool  // an SSE stream; otherwise a WebSocket
	symbols atomic.Int32 // symbols subscribed
}

// setSymbols records how many symbols the stream is subscribed to.
func (st *stream) setSymbols(n int) { st.stats.symbols.Store(int32(n)) }

// markSSE records that the stream is an SSE stream.
func (st *stream) markSSE() { st.stats.sse.Store(true) }

// countFrame counts one data frame (or SSE event) of n payload bytes.
func (r *streamRegistry) countFrame(t transport, n int) {
	if n <= 0 {
		return
	}
	c := &r.srv.metrics.streams
	c.frames[t].Add(1)
	c.bytes[t].Add(uint64(n))
}

// countClose counts a stream the server ended or saw end, by close code;
// code -1 (no close frame) counts as 1006.
func (r *streamRegistry) countClose(t transport, code int) {
	if code < 0 {
		code = closeAbnormal
	}
	r.srv.metrics.streams.closes[t][closeIndex(code)].Add(1)
}

// streamCollector reports the streams, the hub and the stream counters at
// scrape time. One scrape holds the registry lock once, for a pass over the
// open streams.
type streamCollector struct {
	s *Server

	open, subscriptions, hubSubscribers     *prometheus.Desc
	published, delivered, conflated, lagged *prometheus.Desc
	frames, bytes, closes, slowCloses       *prometheus.Desc
}

func newStreamCollector(s *Server) *streamCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &streamCollector{
		s:              s,
		open:           d("tickerd_streams_open", "Open price streams by transport (ws, sse).", "transport"),
		subscriptions:  d("tickerd_stream_subscriptions", "Symbols subscribed, summed over the open streams."),
		hubSubscribers: d("tickerd_hub_subscribers", "Subscribers registered with the hub (one per open stream)."),
		published:      d("tickerd_quotes_published_total", "Quotes the hub received from the feed."),
		delivered:      d("tickerd_quotes_delivered_total", "Quotes handed to stream writers (each counted once per receiving stream)."),
		conflated:      d("tickerd_quotes_conflated_total", "Undelivered quotes replaced by a newer quote of the same symbol before the stream wrote them."),
		lagged:         d("tickerd_hub_lagging_subscribers_total", "Subscribers the hub gave up on as too slow (their streams close with 1013)."),
		frames:         d("tickerd_stream_frames_written_total", "Data frames (WebSocket text messages, SSE events) written, by transport.", "transport"),
		bytes:          d("tickerd_stream_bytes_written_total", "Payload bytes of the data frames written, by transport (framing excluded).", "transport"),
		closes:         d("tickerd_stream_closes_total", "Streams ended, by transport and close code (1006: no close frame; other: any code not listed).", "transport", "code"),
		slowCloses:     d("tickerd_stream_slow_client_closes_total", "Streams closed because the client fell behind (close 1013), by transport.", "transport"),
	}
}

// Describe implements prometheus.Collector.
func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.subscriptions, c.hubSubscribers, c.published, c.delivered,
		c.conflated, c.lagged, c.frames, c.bytes, c.closes, c.slowCloses} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	var open [numTransports]int
	symbols := 0
	r := c.s.streams
	r.mu.Lock()
	for st := range r.streams {
		t := transportWS
		if st.stats.sse.Load() {
			t = transportSSE
		}
		open[t]++
		symbols += int(st.stats.symbols.Load())
	}
	r.mu.Unlock()

	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	hub := c.s.hub.Stats()
	gauge(c.subscriptions, float64(symbols))
	gauge(c.hubSubscribers, float64(hub.Subscribers))
	counter(c.published, hub.Published)
	counter(c.delivered, hub.Delivered)
	counter(c.conflated, hub.Conflated)
	counter(c.lagged, hub.Lagged)

	sc := &c.s.metrics.streams
	slow := closeIndex(1013)
	for t := transportWS; t < numTransports; t++ {
		name := t.String()
		gauge(c.open, float64(open[t]), name)
		counter(c.frames, sc.frames[t].Load(), name)
		counter(c.bytes, sc.bytes[t].Load(), name)
		counter(c.slowCloses, sc.closes[t][slow].Load(), name)
		for i := range sc.closes[t] {
			code := "other"
			if i < len(trackedCloseCodes) {
				code = strconv.Itoa(trackedCloseCodes[i])
			}
			counter(c.closes, sc.closes[t][i].Load(), name, code)
		}
	}
}

// ssePortfolioLen is the size of the SSE portfolio event carrying payload.
func ssePortfolioLen(payload []byte) int {
	return len("event: portfolio\ndata: ") + len(portfolioPrefix) + len(payload) + len(portfolioSuffix) + len("\n\n")
}
