package stream

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

// trackedCloseCodes are the close codes tickerd sends or commonly
// receives; any other code is counted as "other".
var trackedCloseCodes = [...]int{CloseNormal, CloseGoingAway, closeAbnormal, CloseInvalidPayload, ClosePolicyViolation,
	CloseMessageTooBig, CloseInternal, CloseTooSlow, CloseUnauthorized, CloseHeartbeatTimeout}

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

// counters are counted on the write path with plain atomics (no label
// lookups) and turned into series at scrape time.
type counters struct {
	frames [numTransports]atomic.Uint64
	bytes  [numTransports]atomic.Uint64
	closes [numTransports][len(trackedCloseCodes) + 1]atomic.Uint64
}

// frame counts one data frame (or SSE event) of n payload bytes.
func (c *counters) frame(t transport, n int) {
	if n <= 0 {
		return
	}
	c.frames[t].Add(1)
	c.bytes[t].Add(uint64(n))
}

// close counts a stream that ended with code (1006: without a close frame).
func (c *counters) close(t transport, code int) {
	c.closes[t][closeIndex(code)].Add(1)
}

// Stats is a snapshot of the open streams.
type Stats struct {
	OpenWS, OpenSSE int // open streams by transport
	Symbols         int // symbols subscribed, summed over the open streams
}

// closeCounts are the stream closes by transport and trackedCloseCodes slot.
type closeCounts [numTransports][len(trackedCloseCodes) + 1]uint64

// Stats returns the open streams as of one moment.
func (r *Registry) Stats() Stats {
	s, _ := r.snapshot()
	return s
}

// snapshot returns the open streams and the closes as of one moment: leave
// removes a stream and counts its close under the same lock, so no stream
// is ever both open and closed in a snapshot.
func (r *Registry) snapshot() (Stats, closeCounts) {
	var s Stats
	var closes closeCounts
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range closes {
		for i := range closes[t] {
			closes[t][i] = r.count.closes[t][i].Load()
		}
	}
	for st := range r.streams {
		if st.transport == transportSSE {
			s.OpenSSE++
		} else {
			s.OpenWS++
		}
		s.Symbols += int(st.symbols.Load())
	}
	return s, closes
}

// collector reports the streams, the hub and the stream counters at
// scrape time.
type collector struct {
	r *Registry

	open, subscriptions, hubSubscribers     *prometheus.Desc
	published, delivered, conflated, lagged *prometheus.Desc
	frames, bytes, closes, slowCloses       *prometheus.Desc
}

// Collector returns the streams' metrics (and the hub's, which only the
// streams consume) for the server's Prometheus registry.
func (r *Registry) Collector() prometheus.Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &collector{
		r:              r,
		open:           d("tickerd_streams_open", "Open price streams by transport (ws, sse).", "transport"),
		subscriptions:  d("tickerd_stream_subscriptions", "Symbols subscribed, summed over the open streams."),
		hubSubscribers: d("tickerd_hub_subscribers", "Subscribers registered with the hub (one per open stream)."),
		published:      d("tickerd_quotes_published_total", "Quotes the hub received from the feed."),
		delivered:      d("tickerd_quotes_delivered_total", "Quotes handed to stream writers (each counted once per receiving stream)."),
		conflated:      d("tickerd_quotes_conflated_total", "Ticks dropped before the stream wrote them: the client was behind, or asked for max_rate_ms."),
		lagged:         d("tickerd_hub_lagging_subscribers_total", "Subscribers the hub gave up on as too slow (their streams close with 1013)."),
		frames:         d("tickerd_stream_frames_written_total", "Data frames (WebSocket text messages, SSE events) written, by transport.", "transport"),
		bytes:          d("tickerd_stream_bytes_written_total", "Payload bytes of the data frames written, by transport (framing excluded).", "transport"),
		closes:         d("tickerd_stream_closes_total", "Streams ended, by transport and close code (1006: no close frame; other: any code not listed).", "transport", "code"),
		slowCloses:     d("tickerd_stream_slow_client_closes_total", "Streams closed because the client fell behind (close 1013), by transport.", "transport"),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.subscriptions, c.hubSubscribers, c.published, c.delivered,
		c.conflated, c.lagged, c.frames, c.bytes, c.closes, c.slowCloses} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	s, closes := c.r.snapshot()
	hub := c.r.deps.Hub.Stats()
	gauge(c.subscriptions, float64(s.Symbols))
	gauge(c.hubSubscribers, float64(hub.Subscribers))
	counter(c.published, hub.Published)
	counter(c.delivered, hub.Delivered)
	counter(c.conflated, hub.Conflated)
	counter(c.lagged, hub.Lagged)

	open := [numTransports]int{s.OpenWS, s.OpenSSE}
	sc := &c.r.count
	slow := closeIndex(CloseTooSlow)
	for t := transportWS; t < numTransports; t++ {
		name := t.String()
		gauge(c.open, float64(open[t]), name)
		counter(c.frames, sc.frames[t].Load(), name)
		counter(c.bytes, sc.bytes[t].Load(), name)
		counter(c.slowCloses, closes[t][slow], name)
		for i := range closes[t] {
			code := "other"
			if i < len(trackedCloseCodes) {
				code = strconv.Itoa(trackedCloseCodes[i])
			}
			counter(c.closes, closes[t][i], name, code)
		}
	}
}
