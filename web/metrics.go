package web

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// metricsPath is where the API listener serves the metrics, unless
// Config.MetricsOff.
const metricsPath = "/metrics"

// unmatchedRoute is the route label of requests no route matched (404,
// 405): raw paths never become label values, so cardinality stays bounded.
const unmatchedRoute = "unmatched"

// Login failure reasons (label values of tickerd_login_failures_total).
const (
	loginBadCredentials = "bad_credentials"
	loginRateLimited    = "rate_limited"
)

// Registration failure reasons (label values of
// tickerd_register_failures_total).
const registerRateLimited = "rate_limited"

// metrics is the server's Prometheus registry and the instruments the
// request path feeds. Everything else (hub, market, streams) is read at
// scrape time from counters those parts keep anyway.
type metrics struct {
	reg *prometheus.Registry

	requests  *prometheus.CounterVec   // method, route, status
	latency   *prometheus.HistogramVec // method, route
	trades    *prometheus.CounterVec   // side, outcome
	logins    *prometheus.CounterVec   // reason
	registers *prometheus.CounterVec   // reason

	// httpOff skips request accounting (benchmarks compare with it).
	httpOff bool

	mu     sync.RWMutex
	series map[httpKey]*httpSeries // label lookups done once per combination

	handler http.Handler // renders reg
}

// httpKey identifies one combination of request labels.
type httpKey struct {
	method, route string
	status        int
}

// httpSeries are the instruments of one label combination, resolved once.
type httpSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// latencyBuckets suit an in-process SQLite API: most answers take well
// under a millisecond, password hashing tens of milliseconds.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// newMetrics builds the registry of s: request instruments, trades, login
// failures, the scrape-time views of the market, hub and streams, and the
// Go runtime and process collectors.
func newMetrics(s *Server, extra []prometheus.Collector) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerd_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status (upgrades and event streams count once, when they start).",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tickerd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		trades: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerd_trades_total",
			Help: "Trade requests by side (buy, sell, invalid) and outcome (filled, or the problem code that refused it).",
		}, []string{"side", "outcome"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerd_login_failures_total",
			Help: "Refused logins by reason: bad_credentials (unknown user or wrong password) or rate_limited.",
		}, []string{"reason"}),
		registers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerd_register_failures_total",
			Help: "Registrations refused before any work, by reason: rate_limited (the per-IP limit).",
		}, []string{"reason"}),
		series: make(map[httpKey]*httpSeries),
	}
	for _, side := range []string{string(portfolio.Buy), string(portfolio.Sell)} {
		m.trades.WithLabelValues(side, "filled")
	}
	m.logins.WithLabelValues(loginBadCredentials)
	m.logins.WithLabelValues(loginRateLimited)
	m.registers.WithLabelValues(registerRateLimited)

	m.reg.MustRegister(
		m.requests, m.latency, m.trades, m.logins, m.registers,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_feed_ticks_total",
			Help: "Quotes the simulated market has produced (rate() gives ticks per second).",
		}, func() float64 { return float64(s.market.Ticks()) }),
		s.streams.Collector(),
	)
	if c, ok := s.market.(clockLagger); ok { // the market runs here, not on a core
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_market_clock_lag_seconds_total",
			Help: "Simulated seconds the market did not play because the process stalled beyond what one step catches up (ticks it never produced).",
		}, func() float64 { return c.ClockLag().Seconds() }))
	}
	if s.alerts != nil { // an edge evaluates no alerts: its core does
		m.reg.MustRegister(alertCollectors(s.alerts)...)
	}
	m.reg.MustRegister(connCollectors(s.conns)...)
	m.reg.MustRegister(extra...)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:            m.reg, // counts its own failures
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2, // a scrape storm gets 503s, not the CPU
	})
	return m
}

// clockLagger is a market that counts the simulated time it lost to stalls
// (*feed.Market; a replica of another node's market does not).
type clockLagger interface {
	ClockLag() time.Duration
}

var _ clockLagger = (*feed.Market)(nil)

// alertCollectors are the price alerts' metrics, read at scrape time.
func alertCollectors(w *portfolio.AlertWatch) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tickerd_alerts_active",
			Help: "Price alerts waiting for their condition, across all accounts.",
		}, func() float64 { return float64(w.Stats().Active) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_alerts_fired_total",
			Help: "Price alerts recorded as triggered and pushed.",
		}, func() float64 { return float64(w.Stats().Fired) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_alerts_requeued_total",
			Help: "Fired alerts put back to fire on a later tick because the queue to the database was full.",
		}, func() float64 { return float64(w.Stats().Requeued) }),
	}
}

// Metrics returns the handler that renders the server's metrics in the
// Prometheus text format, for mounting on another listener (such as the
// loopback debug listener). It is safe for concurrent use.
func (s *Server) Metrics() http.Handler { return s.metrics.handler }

// registerMetricsRoute serves GET /metrics on the API listener unless
// Config.MetricsOff.
func (s *Server) registerMetricsRoute(r fiber.Router) {
	if s.cfg.MetricsOff {
		return
	}
	h := adaptor.HTTPHandler(s.Metrics())
	r.Get(metricsPath, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return h(c)
	})
}

// observeHTTP records one answered request. route is a route pattern or
// unmatchedRoute. After the first request of a combination it is two
// atomic adds and a map lookup under a read lock.
func (m *metrics) observeHTTP(method, route string, status int, d time.Duration) {
	if m.httpOff {
		return
	}
	k := httpKey{method: methodLabel(method), route: route, status: status}
	m.mu.RLock()
	ser := m.series[k]
	m.mu.RUnlock()
	if ser == nil {
		ser = m.resolve(k)
	}
	ser.requests.Inc()
	ser.latency.Observe(d.Seconds())
}

// resolve looks up (and caches) the instruments of k.
func (m *metrics) resolve(k httpKey) *httpSeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ser := m.series[k]; ser != nil {
		return ser
	}
	ser := &httpSeries{
		requests: m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.status)),
		latency:  m.latency.WithLabelValues(k.method, k.route),
	}
	m.series[k] = ser
	return ser
}

// methodLabel keeps the method label to the methods the API knows. It
// returns constants: Fiber's method string aliases a reused buffer.
func methodLabel(m string) string {
	for _, known := range [...]string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete,
		fiber.MethodHead, fiber.MethodPatch, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "other"
}

// routeLabel returns the pattern of the route that answered c (e.g.
// /api/v1/quotes/:symbol/candles), or unmatchedRoute when none did.
func routeLabel(c *fiber.Ctx, status int) string {
	r := c.Route()
	switch {
	case r == nil || len(r.Handlers) == 0: // Fiber's stand-in when routing never ran
		return unmatchedRoute
	case r.Path == "/" && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed):
		return unmatchedRoute // only the catch-all middleware ran
	}
	return r.Path
}

// countTrade records a trade request's outcome: "filled" or the code of
// the problem that refused it.
func (m *metrics) countTrade(side portfolio.Side, err error) {
	s := string(side)
	if side != portfolio.Buy && side != portfolio.Sell {
		s = "invalid"
	}
	m.trades.WithLabelValues(s, outcomeOf(err)).Inc()
}

// outcomeOf maps a handler's error onto a bounded set of label values:
// "filled", a problem code, or "internal".
func outcomeOf(err error) string {
	if err == nil {
		return "filled"
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code
	}
	var pe *portfolio.Error
	if errors.As(err, &pe) {
		if _, known := codeStatus[pe.Code]; known {
			return pe.Code
		}
	}
	if portfolio.StorageUnavailable(err) {
		return codeStorageUnavailable
	}
	return codeInternal
}

// countRegisterFailure records a refused registration.
func (m *metrics) countRegisterFailure(reason string) {
	m.registers.WithLabelValues(reason).Inc()
}

// countLoginFailure records a refused login.
func (m *metrics) countLoginFailure(reason string) {
	m.logins.WithLabelValues(reason).Inc()
}
