package web

import (
	"container/list"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tickerd/tickerd/portfolio"
)

// maxLimiterKeys bounds the memory of one limiter. A new key never waits
// for room: when the table is full the least recently used key is
// forgotten (see limiter).
const maxLimiterKeys = 1 << 16

// maxLimiterKeyLen bounds the bytes one key keeps; longer keys are cut.
// Usernames are at most portfolio.MaxUsernameLen bytes, so only names that
// cannot exist share a cut key.
const maxLimiterKeyLen = 64

// expirePerCall bounds how many expired keys one call forgets: more than
// the one key a call can add, so expired keys never pile up, and a call
// never does work in proportion to the table.
const expirePerCall = 4

// limiter is a per-key token bucket: perWindow events per window, with a
// burst of perWindow. Its memory is bounded without a failure mode that
// reaches other keys: keys are kept in least-recently-used order, keys
// idle for a whole window (their bucket is full again, so forgetting them
// changes no decision) are dropped a few at a time from the cold end, and
// when the table is still full a new key takes the place of the least
// recently used one. That only forgets a throttle, and only after
// maxLimiterKeys other keys have been used more recently; with the
// per-IP check first (loginWait), one IP can add only its per-IP quota of
// username keys per window, so it cannot flush the table by itself, and no
// key is ever refused because of other keys. Every call is O(1).
type limiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	idle    time.Duration            // a key unused this long is full again
	keys    map[string]*list.Element // of *limiterEntry
	lru     list.List                // *limiterEntry, least recently used first
	maxKeys int
	evicted int // keys forgotten before their bucket was full again (for tests)
}

type limiterEntry struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perWindow int, window time.Duration) *limiter {
	return &limiter{
		limit:   rate.Limit(float64(perWindow) / window.Seconds()),
		burst:   perWindow,
		idle:    window,
		keys:    make(map[string]*list.Element),
		maxKeys: maxLimiterKeys,
	}
}

// allow records one event for key at now. It returns 0 when the event is
// allowed, else how long to wait before the next one may be.
func (l *limiter) allow(key string, now time.Time) time.Duration {
	if len(key) > maxLimiterKeyLen {
		key = key[:maxLimiterKeyLen]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	var e *limiterEntry
	if el, ok := l.keys[key]; ok {
		l.lru.MoveToBack(el)
		e = el.Value.(*limiterEntry)
	} else {
		for len(l.keys) >= l.maxKeys {
			l.forget(l.lru.Front(), now)
		}
		// A copy, so that the key does not pin the request's buffer.
		e = &limiterEntry{key: strings.Clone(key), lim: rate.NewLimiter(l.limit, l.burst)}
		l.keys[e.key] = l.lru.PushBack(e)
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return l.idle
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// expire forgets up to expirePerCall keys idle for a whole window, from
// the cold end of the list.
func (l *limiter) expire(now time.Time) {
	for range expirePerCall {
		el := l.lru.Front()
		if el == nil || now.Sub(el.Value.(*limiterEntry).seen) < l.idle {
			return
		}
		l.forget(el, now)
	}
}

// forget drops the key of el.
func (l *limiter) forget(el *list.Element, now time.Time) {
	e := l.lru.Remove(el).(*limiterEntry)
	delete(l.keys, e.key)
	if now.Sub(e.seen) < l.idle {
		l.evicted++
	}
}

// size returns the number of keys held (for tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// loginWait applies the login limits to one attempt: per client IP first,
// then per username. An attempt the IP limit refuses never reaches the
// username limit, so it neither spends that user's attempts nor adds a key
// to its table. It returns 0 when the attempt may proceed, else how long
// to wait.
func (s *Server) loginWait(ip, username string, now time.Time) time.Duration {
	if w := s.loginPerIP.allow("ip:"+ip, now); w > 0 {
		return w
	}
	return s.loginPerUser.allow("user:"+portfolio.NormalizeUsername(username), now)
}
