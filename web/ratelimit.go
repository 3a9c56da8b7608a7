package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimiterKeys bounds the memory of one limiter. When it is full even
// after evicting idle keys, new keys are refused until some expire: login
// then fails closed instead of growing without bound.
const maxLimiterKeys = 1 << 16

// limiter is a per-key token bucket: perWindow events per window, with a
// burst of perWindow. Keys idle long enough to have refilled are evicted.
type limiter struct {
	mu        sync.Mutex
	limit     rate.Limit
	burst     int
	idle      time.Duration // a key unused this long is full again
	keys      map[string]*limiterEntry
	lastSweep time.Time
	maxKeys   int
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perWindow int, window time.Duration) *limiter {
	return &limiter{
		limit:   rate.Limit(float64(perWindow) / window.Seconds()),
		burst:   perWindow,
		idle:    window,
		keys:    make(map[string]*limiterEntry),
		maxKeys: maxLimiterKeys,
	}
}

// allow records one event for key at now. It returns 0 when the event is
// allowed, else how long to wait before the next one may be.
func (l *limiter) allow(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idle {
		l.sweep(now)
	}
	e, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.maxKeys {
			l.sweep(now)
			if len(l.keys) >= l.maxKeys {
				return l.idle
			}
		}
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.keys[key] = e
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

// sweep forgets keys idle for a whole window: their bucket is full again,
// so forgetting them changes no decision.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, e := range l.keys {
		if now.Sub(e.seen) >= l.idle {
			delete(l.keys, k)
		}
	}
}

// size returns the number of keys held (for tests).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
