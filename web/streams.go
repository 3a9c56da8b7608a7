package web

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// Defaults of the stream part of Config.
const (
	DefaultWSHeartbeat        = 20 * time.Second
	DefaultWSMaxSymbols       = 200
	DefaultWSMaxMessageBytes  = 4096
	DefaultWSMaxMessagesPerS  = 20
	DefaultWSMaxConnsPerUser  = 20
	DefaultWSMaxConnsPerIP    = 100
	DefaultWSSlowClientWindow = 10 * time.Second
)

// Fixed protocol timings.
const (
	authTimeout       = 5 * time.Second        // to send the auth message when the upgrade had no credentials
	writeWait         = 10 * time.Second       // for one frame to be written (streamLimits.writeWait)
	storeTimeout      = 10 * time.Second       // for a store call made by a stream
	closeGrace        = 2 * time.Second        // for the peer to answer our close frame
	portfolioInterval = 250 * time.Millisecond // at most 4 portfolio pushes a second
	silentHeartbeats  = 3                      // heartbeats without any frame from the client before closing
)

// WebSocket close codes beyond RFC 6455's.
const (
	closeUnauthorized     = 4001 // no, invalid, revoked or expired credentials
	closeHeartbeatTimeout = 4002 // the client stayed silent for 3 heartbeats
)

// streamLimits are the stream settings of Config with defaults applied.
type streamLimits struct {
	heartbeat       time.Duration
	maxSymbols      int
	maxMessageBytes int
	maxMessagesPerS int
	maxConnsPerUser int
	maxConnsPerIP   int
	slowWindow      time.Duration
	writeWait       time.Duration // set per connection from streamRegistry.writeWait
}

func limitsOf(c Config) streamLimits {
	pick := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	pickD := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	return streamLimits{
		heartbeat:       pickD(c.WSHeartbeat, DefaultWSHeartbeat),
		maxSymbols:      pick(c.WSMaxSymbols, DefaultWSMaxSymbols),
		maxMessageBytes: pick(c.WSMaxMessageBytes, DefaultWSMaxMessageBytes),
		maxMessagesPerS: pick(c.WSMaxMessagesPerS, DefaultWSMaxMessagesPerS),
		maxConnsPerUser: pick(c.WSMaxConnsPerUser, DefaultWSMaxConnsPerUser),
		maxConnsPerIP:   pick(c.WSMaxConnsPerIP, DefaultWSMaxConnsPerIP),
		slowWindow:      pickD(c.WSSlowClientWindow, DefaultWSSlowClientWindow),
	}
}

var errShuttingDown = errors.New("server is shutting down")

// streamRegistry tracks every open WebSocket and SSE stream so that logout,
// trades and shutdown can reach them, and enforces the connection caps.
type streamRegistry struct {
	srv    *Server
	limits streamLimits
	frames framePool
	// authWait is how long an unauthenticated WebSocket may take to send
	// its auth message (authTimeout; shortened by tests).
	authWait atomic.Int64
	// writeWait is how long one frame may take to be written (writeWait;
	// shortened by tests).
	writeWait atomic.Int64

	mu         sync.Mutex
	closing    bool
	streams    map[*stream]struct{}
	perAccount map[int64]int
	perIP      map[string]int
	wg         sync.WaitGroup // one per stream between enter and leave
}

func newStreamRegistry(s *Server) *streamRegistry {
	r := &streamRegistry{
		srv:        s,
		limits:     limitsOf(s.cfg),
		streams:    make(map[*stream]struct{}),
		perAccount: make(map[int64]int),
		perIP:      make(map[string]int),
	}
	r.authWait.Store(int64(authTimeout))
	r.writeWait.Store(int64(writeWait))
	return r
}

// stream is the transport-independent state of one WebSocket or SSE
// connection: its subscriber, session and pending close request.
type stream struct {
	reg *streamRegistry
	ip  string
	sub *feed.Subscriber

	portfolio     atomic.Bool // the client subscribed to the portfolio channel
	holdingsStale atomic.Bool // a trade filled since the writer last read the holdings
	stats         streamStats // transport and symbol count, read by the metrics collector

	sess       atomic.Pointer[portfolio.Session] // set once authenticated
	closeAsked atomic.Bool                       // a close was requested: the writer's per-flush check
	ipCounted  bool                              // guarded by the registry's mu

	mu          sync.Mutex
	closeCode   int // non-zero once a close was requested; -1 means end without a close frame
	closeReason string
}

// enter registers a new stream; it fails only while shutting down.
// onSignal, if not nil, is the subscriber's feed.SubscriberOptions.OnSignal.
func (r *streamRegistry) enter(ip string, onSignal func()) (*stream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, errShuttingDown
	}
	st := &stream{reg: r, ip: ip, sub: r.srv.hub.NewSubscriber(feed.SubscriberOptions{
		SlowWindow: r.limits.slowWindow, OnSignal: onSignal,
	})}
	r.streams[st] = struct{}{}
	r.wg.Add(1)
	return st, nil
}

// admitIP counts st against its IP's cap, returning the close reason if
// the cap is reached.
func (r *streamRegistry) admitIP(st *stream) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perIP[st.ip] >= r.limits.maxConnsPerIP {
		return "too many connections from this address"
	}
	r.perIP[st.ip]++
	st.ipCounted = true
	return ""
}

// authenticate binds st to sess and counts it against the account's cap,
// returning the close reason if the cap is reached.
func (r *streamRegistry) authenticate(st *stream, sess portfolio.Session) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perAccount[sess.AccountID] >= r.limits.maxConnsPerUser {
		return "too many connections for this account"
	}
	r.perAccount[sess.AccountID]++
	st.sess.Store(&sess)
	return ""
}

// leave unregisters st and its subscriber. The stream's goroutines must
// have finished.
func (r *streamRegistry) leave(st *stream) {
	st.sub.Close()
	r.mu.Lock()
	delete(r.streams, st)
	if st.ipCounted {
		if r.perIP[st.ip]--; r.perIP[st.ip] <= 0 {
			delete(r.perIP, st.ip)
		}
	}
	if sess, ok := st.session(); ok {
		if r.perAccount[sess.AccountID]--; r.perAccount[sess.AccountID] <= 0 {
			delete(r.perAccount, sess.AccountID)
		}
	}
	r.mu.Unlock()
	r.wg.Done()
}

// each calls f for every stream matching keep, outside the registry lock.
func (r *streamRegistry) each(keep func(*stream) bool, f func(*stream)) {
	r.mu.Lock()
	var list []*stream
	for st := range r.streams {
		if keep(st) {
			list = append(list, st)
		}
	}
	r.mu.Unlock()
	for _, st := range list {
		f(st)
	}
}

// closeSession closes the streams of a session with 4001 (logout).
func (r *streamRegistry) closeSession(sessionID string) {
	r.each(func(st *stream) bool {
		sess, ok := st.session()
		return ok && sess.ID == sessionID
	}, func(st *stream) { st.requestClose(closeUnauthorized, "logged out") })
}

// portfolioChanged makes the account's portfolio streams reread the
// holdings and push a fresh valuation (a trade filled). Trades are placed
// through this process's REST API only, so it sees every change.
func (r *streamRegistry) portfolioChanged(accountID int64) {
	r.each(func(st *stream) bool {
		sess, ok := st.session()
		return ok && sess.AccountID == accountID && st.portfolio.Load()
	}, func(st *stream) {
		st.holdingsStale.Store(true)
		st.sub.MarkDirty()
	})
}

// shutdown refuses new streams, closes every WebSocket with 1001 and ends
// every SSE stream, and waits for their goroutines until ctx is done.
func (r *streamRegistry) shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.each(func(*stream) bool { return true }, func(st *stream) {
		st.requestClose(1001, "server shutting down")
	})
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// session returns the stream's session once authenticated.
func (st *stream) session() (portfolio.Session, bool) {
	if p := st.sess.Load(); p != nil {
		return *p, true
	}
	return portfolio.Session{}, false
}

// requestClose asks the stream's writer to close with code and reason; the
// first request wins. code -1 ends the stream without a close frame.
func (st *stream) requestClose(code int, reason string) {
	st.mu.Lock()
	if st.closeCode == 0 {
		st.closeCode, st.closeReason = code, reason
		st.closeAsked.Store(true)
	}
	st.mu.Unlock()
	st.sub.Wake()
}

// closeRequested returns the pending close request, if any.
func (st *stream) closeRequested() (code int, reason string, ok bool) {
	if !st.closeAsked.Load() {
		return 0, "", false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.closeCode, st.closeReason, st.closeCode != 0
}
