package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// runStorm is scenario 6: WebSocket quote latency on a fresh server, once
// quiet (the baseline) and once while workers send logins back to back for
// the whole measurement window. The server keeps its default bound on
// concurrent password hashes.
func (b *bench) runStorm(ctx context.Context) {
	sz := b.sz
	st := &Storm{Ran: time.Now().UTC()}
	defer func() { b.res.Storm = st }()
	spec := loadSpec{name: "storm-baseline", mode: "ws", clients: sz.stormClients, symbols: sz.symbols,
		ramp: sz.ramp(sz.stormClients), duration: sz.duration}
	st.Baseline = b.serveAndLoad(ctx, spec, 2)

	spec.name = "storm-logins"
	srv, err := b.startServer(ctx, 2)
	if err != nil {
		st.Storm = spec.run(2)
		st.Storm.Err = err.Error()
		return
	}
	defer b.stopServer(srv)
	api := newAPIClient(srv.url, sz.stormWorkers)
	users := make([]string, sz.stormWorkers)
	for i := range users {
		users[i] = fmt.Sprintf("storm%03d", i)
		if err := api.register(ctx, users[i], benchPassword); err != nil {
			st.Storm = spec.run(2)
			st.Storm.Err = fmt.Sprintf("storm accounts: %v", err)
			return
		}
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	rec := &loginRecorder{byStatus: map[string]int64{}}
	var t0 time.Time
	start := func() {
		t0 = time.Now()
		for _, u := range users {
			wg.Go(func() { rec.hammer(sctx, api, u) })
		}
	}
	st.Storm = b.runLoad(ctx, srv, spec, 2, start)
	stop()
	wg.Wait()
	st.Logins = rec.stats(len(users), time.Since(t0))
	b.logf("storm: %d logins (%.1f/s), p50 %.0f ms, p99 %.0f ms, by status %v",
		st.Logins.Total, st.Logins.PerS, st.Logins.P50Ms, st.Logins.P99Ms, st.Logins.ByStatus)
}

// loginRecorder collects the storm's login latencies and statuses.
type loginRecorder struct {
	mu       sync.Mutex
	lat      []time.Duration
	byStatus map[string]int64
}

// hammer logs user in again and again until ctx ends.
func (r *loginRecorder) hammer(ctx context.Context, api *apiClient, user string) {
	for ctx.Err() == nil {
		t := time.Now()
		status, _, err := api.login(ctx, user, benchPassword)
		d := time.Since(t)
		if ctx.Err() != nil {
			return // cut short by the end of the window: not a sample
		}
		key := strconv.Itoa(status)
		if err != nil {
			key = "error"
		}
		r.mu.Lock()
		r.byStatus[key]++
		r.lat = append(r.lat, d)
		r.mu.Unlock()
	}
}

func (r *loginRecorder) stats(workers int, window time.Duration) LoginStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := LoginStats{Workers: workers, Accounts: workers, ByStatus: r.byStatus, Total: int64(len(r.lat)), OK: r.byStatus["200"]}
	if window > 0 {
		s.PerS = float64(s.Total) / window.Seconds()
	}
	if len(r.lat) == 0 {
		return s
	}
	slices.Sort(r.lat)
	q := func(p float64) float64 {
		return float64(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]) / float64(time.Millisecond)
	}
	s.P50Ms, s.P99Ms, s.MaxMs = q(0.50), q(0.99), q(1)
	return s
}
