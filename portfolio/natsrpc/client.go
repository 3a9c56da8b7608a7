package natsrpc

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/tickerd/tickerd/portfolio"
)

// Defaults of a Client.
const (
	DefaultTimeout  = 2 * time.Second // one request to the core
	DefaultCacheTTL = 3 * time.Second // longest a positive session check is reused
	maxCached       = 100_000         // entries before the cache is emptied
)

// Streams is what the events reach on an edge: its open streams.
// *web.Server implements it.
type Streams interface {
	CloseSession(sessionID string)
	PortfolioChanged(accountID int64)
	// AlertFiredOnCore is given the wire JSON of an account's alert that
	// fired on the core, as the core published it.
	AlertFiredOnCore(accountID int64, alert []byte)
}

// OpenSessions are the sessions of an edge's open streams, for Recheck.
// *web.Server implements it.
type OpenSessions interface {
	SessionIDs() []string
	CloseSession(sessionID string)
}

// Client is an edge's side: it authenticates tokens and reads holdings
// through the core, and turns the core's events into actions on the
// edge's streams. Its methods are safe for concurrent use.
type Client struct {
	nc      *nats.Conn
	cluster string
	timeout time.Duration
	ttl     time.Duration
	log     *slog.Logger
	now     func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cached // by SHA-256 of the token

	// flight makes concurrent requests for the same token, or the same
	// account's holdings, one request to the core: a reconnect storm of
	// one account's streams (many tabs, a program's many sockets) costs
	// the core one check, not one per socket.
	flight singleflight.Group

	latency *prometheus.HistogramVec
	lookups *prometheus.CounterVec
	alerts  prometheus.Counter
	subs    []*nats.Subscription
}

type cached struct {
	sess    portfolio.Session
	expires time.Time
}

// NewClient returns an edge's client on nc; zero timeout and ttl take the
// defaults.
func NewClient(nc *nats.Conn, cluster string, timeout, ttl time.Duration, log *slog.Logger) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		nc: nc, cluster: cluster, timeout: timeout, ttl: ttl, log: log, now: time.Now,
		cache: make(map[[32]byte]cached),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tickerd_cluster_rpc_seconds",
			Help:    "Time for the core to answer an edge's request, by method (auth, holdings, ping, sessions, backfill) and result (ok, error, unavailable).",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2},
		}, []string{"method", "result"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerd_cluster_session_checks_total",
			Help: "Session checks on this edge, by whether the short cache answered (hit) or the core did (miss).",
		}, []string{"cache"}),
		alerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickerd_cluster_alerts_received_total",
			Help: "Fired alerts this edge received from the core and handed to its streams.",
		}),
	}
}

// Observe records took, the time another request of this edge to the core
// took (e.g. the price feed's backfill), under method and result (ok,
// error, unavailable) in tickerd_cluster_rpc_seconds.
func (c *Client) Observe(method, result string, took time.Duration) {
	c.latency.WithLabelValues(method, result).Observe(took.Seconds())
}

// Collectors are the client's metrics.
func (c *Client) Collectors() []prometheus.Collector {
	return []prometheus.Collector{c.latency, c.lookups, c.alerts}
}

// Listen subscribes to the core's events: a revoked session is dropped from
// the cache and its streams closed; a changed account's portfolio streams
// are revalued; a fired alert goes to the account's alerts streams, once
// per message. Close unsubscribes.
func (c *Client) Listen(s Streams) error {
	sub, err := c.nc.Subscribe(c.cluster+revokedToken, func(m *nats.Msg) {
		var ev revokedEvent
		if json.Unmarshal(m.Data, &ev) != nil || ev.SessionID == "" {
			return
		}
		c.forget(ev.SessionID)
		s.CloseSession(ev.SessionID)
	})
	if err != nil {
		return fmt.Errorf("subscribe revocations: %w", err)
	}
	c.subs = append(c.subs, sub)
	sub, err = c.nc.Subscribe(c.cluster+".account.*.changed", func(m *nats.Msg) {
		id, ok := accountOf(m.Subject, ".changed")
		if ok {
			// A read already under way may predate the change: later
			// readers start their own.
			c.flight.Forget(holdingsKey(id))
			s.PortfolioChanged(id)
		}
	})
	if err != nil {
		return fmt.Errorf("subscribe account changes: %w", err)
	}
	c.subs = append(c.subs, sub)
	sub, err = c.nc.Subscribe(c.cluster+".account.*.alert", func(m *nats.Msg) {
		id, ok := accountOf(m.Subject, ".alert")
		if ok {
			c.alerts.Inc()
			s.AlertFiredOnCore(id, m.Data)
		}
	})
	if err != nil {
		return fmt.Errorf("subscribe fired alerts: %w", err)
	}
	c.subs = append(c.subs, sub)
	if err := c.nc.Flush(); err != nil { // the server has the subscriptions when Listen returns
		return fmt.Errorf("subscribe events: %w", err)
	}
	return nil
}

// Close unsubscribes from the events.
func (c *Client) Close() {
	for _, s := range c.subs {
		_ = s.Unsubscribe()
	}
}

// accountOf reads the id of <cluster>.account.<id><suffix>.
func accountOf(subject, suffix string) (int64, bool) {
	rest, ok := strings.CutSuffix(subject, suffix)
	if !ok {
		return 0, false
	}
	i := strings.LastIndexByte(rest, '.')
	id, err := strconv.ParseInt(rest[i+1:], 10, 64)
	return id, err == nil
}

// Authenticate returns the live session of token. A positive answer of the
// core is reused for at most the cache TTL (never past the session's
// expiry) unless a revocation drops it first; negative answers are never
// cached. It returns a *portfolio.Error: unauthorized for a bad token,
// CodeUnavailable when the core does not answer.
func (c *Client) Authenticate(ctx context.Context, token string) (portfolio.Session, error) {
	key := sha256.Sum256([]byte(token))
	now := c.now()
	c.mu.Lock()
	e, ok := c.cache[key]
	if ok && now.Before(e.expires) {
		c.mu.Unlock()
		c.lookups.WithLabelValues("hit").Inc()
		return e.sess, nil
	}
	c.mu.Unlock()
	c.lookups.WithLabelValues("miss").Inc()
	v, err := c.shared(ctx, "auth:"+string(key[:]), func(ctx context.Context) (any, error) {
		return c.authenticate(ctx, key, token, now)
	})
	if err != nil {
		return portfolio.Session{}, err
	}
	return v.(portfolio.Session), nil
}

// authenticate asks the core about token (whose SHA-256 is key) and caches
// a positive answer, once for all who asked about the same token meanwhile.
func (c *Client) authenticate(ctx context.Context, key [32]byte, token string, now time.Time) (portfolio.Session, error) {
	var rep authReply
	if err := c.request(ctx, "auth", c.cluster+authToken, authRequest{Token: token}, &rep); err != nil {
		return portfolio.Session{}, err
	}
	if rep.Error != nil {
		return portfolio.Session{}, &portfolio.Error{Code: rep.Error.Code, Message: rep.Error.Message}
	}
	if rep.Session == nil {
		return portfolio.Session{}, portfolio.Errorf(portfolio.CodeInternal, "the core answered without a session")
	}
	sess := portfolio.Session{ID: rep.Session.ID, AccountID: rep.Session.AccountID,
		Username: rep.Session.Username, ExpiresAt: rep.Session.ExpiresAt}
	until := now.Add(c.ttl)
	if sess.ExpiresAt.Before(until) {
		until = sess.ExpiresAt
	}
	c.mu.Lock()
	if len(c.cache) >= maxCached {
		clear(c.cache)
	}
	c.cache[key] = cached{sess: sess, expires: until}
	c.mu.Unlock()
	return sess, nil
}

// forget drops the cached checks of a session.
func (c *Client) forget(sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.cache {
		if e.sess.ID == sessionID {
			delete(c.cache, k)
		}
	}
}

// Recheck asks the core which sessions of the edge's open streams are
// still live and closes (and forgets) the others. A revocation published
// while this edge was cut off from NATS never reached it; an edge calls
// Recheck when it is back, so such a session's streams close then, not at
// its expiry.
func (c *Client) Recheck(ctx context.Context, s OpenSessions) error {
	ids := s.SessionIDs()
	for len(ids) > 0 {
		n := min(len(ids), portfolio.MaxLiveSessionsQuery)
		batch := ids[:n]
		ids = ids[n:]
		var rep sessionsReply
		if err := c.request(ctx, "sessions", c.cluster+sessionsToken, sessionsRequest{IDs: batch}, &rep); err != nil {
			return err
		}
		if rep.Error != nil {
			return &portfolio.Error{Code: rep.Error.Code, Message: rep.Error.Message}
		}
		live := make(map[string]bool, len(rep.Live))
		for _, id := range rep.Live {
			live[id] = true
		}
		for _, id := range batch {
			if !live[id] {
				c.forget(id)
				s.CloseSession(id)
			}
		}
	}
	return nil
}

// Holdings reads an account's cash and positions from the core.
// Concurrent reads of one account share a request, unless the account
// changed since the shared one started.
func (c *Client) Holdings(ctx context.Context, accountID int64) (int64, []portfolio.Position, error) {
	v, err := c.shared(ctx, holdingsKey(accountID), func(ctx context.Context) (any, error) {
		cash, pos, err := c.holdings(ctx, accountID)
		return holdings{cash, pos}, err
	})
	if err != nil {
		return 0, nil, err
	}
	h := v.(holdings)
	// Each caller gets its own slice: callers may sort or keep theirs.
	return h.cash, slices.Clone(h.positions), nil
}

// holdings is one answer of the core to a holdings read.
type holdings struct {
	cash      int64
	positions []portfolio.Position
}

// shared runs fn once for all concurrent callers with the same key. fn is
// not bound to any one caller's context (the request's own timeout bounds
// it); a caller whose ctx ends stops waiting for it.
func (c *Client) shared(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := c.flight.DoChan(key, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// holdingsKey is the flight key of an account's holdings read.
func holdingsKey(accountID int64) string { return "holdings:" + strconv.FormatInt(accountID, 10) }

// holdings reads an account's cash and positions from the core.
func (c *Client) holdings(ctx context.Context, accountID int64) (int64, []portfolio.Position, error) {
	var rep holdingsReply
	if err := c.request(ctx, "holdings", c.cluster+holdingsToken, holdingsRequest{AccountID: accountID}, &rep); err != nil {
		return 0, nil, err
	}
	if rep.Error != nil {
		return 0, nil, &portfolio.Error{Code: rep.Error.Code, Message: rep.Error.Message}
	}
	pos := make([]portfolio.Position, len(rep.Positions))
	for i, p := range rep.Positions {
		pos[i] = portfolio.Position{Symbol: p.Symbol, Quantity: p.Quantity, CostBasis: p.CostBasis,
			DaySession: p.DaySession, DayOpenQty: p.DayOpenQty, DayNetCash: p.DayNetCash}
	}
	return rep.Cash, pos, nil
}

// Ping checks that the core answers and its database does.
func (c *Client) Ping(ctx context.Context) error {
	var rep struct {
		Error *wireError `json:"error"`
	}
	if err := c.request(ctx, "ping", c.cluster+pingToken, struct{}{}, &rep); err != nil {
		return err
	}
	if rep.Error != nil {
		return &portfolio.Error{Code: rep.Error.Code, Message: rep.Error.Message}
	}
	return nil
}

// request sends req to subject and decodes the reply into rep, within the
// client's timeout. A core that is gone or silent is a CodeUnavailable
// *portfolio.Error.
func (c *Client) request(ctx context.Context, method, subject string, req, rep any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	msg, err := c.nc.RequestWithContext(ctx, subject, body)
	if err != nil {
		c.latency.WithLabelValues(method, "unavailable").Observe(time.Since(start).Seconds())
		if !errors.Is(err, context.Canceled) {
			c.log.Warn("request to core", "method", method, "err", err)
		}
		return portfolio.Errorf(CodeUnavailable, "the core server is not answering; try again shortly")
	}
	if err := json.Unmarshal(msg.Data, rep); err != nil {
		c.latency.WithLabelValues(method, "error").Observe(time.Since(start).Seconds())
		return fmt.Errorf("decode %s reply: %w", method, err)
	}
	c.latency.WithLabelValues(method, "ok").Observe(time.Since(start).Seconds())
	return nil
}
