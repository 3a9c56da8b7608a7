package natsfeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickerd/tickerd/feed"
)

// ReplicaConfig configures an edge's replica of the core's market.
type ReplicaConfig struct {
	Conn    *nats.Conn
	Cluster string
	// Hub receives every tick and, after a resync, the latest quotes.
	Hub feed.Publisher
	// Stopped is called (from the replica's goroutine) when quotes stop:
	// NATS is disconnected or the core's heartbeat is missing.
	Stopped func(reason string)
	// Resumed is called once quotes flow again and Hub holds the latest
	// quotes (after the core answered rpc.market).
	Resumed func(reason string)
	// Interest, when set, makes the replica receive only the ticks of the
	// symbols the edge's clients use (see Want); nil receives every
	// symbol's.
	Interest *InterestConfig
	Logger   *slog.Logger
}

// Replica is an edge's copy of the market: the universe and the latest
// quote of every symbol, kept by the ticks the core publishes, which it
// also hands to the local Hub. It is not ready while NATS is disconnected
// or the core is silent; when both come back it fetches every latest quote
// again, so the hub and its subscribers catch up without reconnecting.
type Replica struct {
	cfg ReplicaConfig
	log *slog.Logger

	mu      sync.RWMutex
	symbols []feed.Symbol
	index   map[string]int
	quotes  []feed.Quote         // parallel to symbols
	state   []symState           // parallel to symbols
	pending map[int][]feed.Quote // live ticks of symbols being filled, in arrival order

	in interest // the symbols received, with Interest

	up       atomic.Bool  // quotes are flowing
	lastBeat atomic.Int64 // Unix nanoseconds of the last heartbeat
	// sessionDay is the core market's simulated day, from its heartbeats.
	sessionDay atomic.Int64
	instance   atomic.Pointer[string] // the core instance the quotes were last fetched from
	beatInst   atomic.Pointer[string] // the core instance of the last heartbeat
	reason     atomic.Pointer[string] // why not up

	received atomic.Uint64 // ticks received
	resyncs  atomic.Uint64 // times every quote was fetched again
	stale    atomic.Uint64 // ticks dropped as older than the quote held
}

// Errors of NewReplica.
var ErrNoCore = errors.New("no core answered on NATS")

// NewReplica asks the core for the market (retrying while no core is
// subscribed, until ctx ends) and subscribes to its ticks and heartbeat.
// Run keeps it current.
func NewReplica(ctx context.Context, cfg ReplicaConfig) (*Replica, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Replica{cfg: cfg, log: log}
	down := "waiting for the core"
	r.reason.Store(&down)
	// Subscribe first (and wait until the server has the subscriptions),
	// then fetch: a tick published meanwhile is either in the answer or
	// arrives after it, never lost between the two.
	if cfg.Interest == nil {
		if _, err := cfg.Conn.Subscribe(cfg.Cluster+ticksToken+"*", r.onTick); err != nil {
			return nil, fmt.Errorf("subscribe ticks: %w", err)
		}
	} else {
		r.in = newInterest(*cfg.Interest)
	}
	if _, err := cfg.Conn.Subscribe(cfg.Cluster+heartbeatToken, r.onBeat); err != nil {
		return nil, fmt.Errorf("subscribe heartbeat: %w", err)
	}
	if err := cfg.Conn.FlushWithContext(ctx); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	for {
		rep, err := r.fetch(ctx)
		if err == nil {
			r.setUniverse(rep)
			break
		}
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (cluster %q): %v", ErrNoCore, cfg.Cluster, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	r.lastBeat.Store(time.Now().UnixNano())
	r.up.Store(true)
	return r, nil
}

// fetch asks the core for the whole market.
func (r *Replica) fetch(ctx context.Context) (marketReply, error) {
	var rep marketReply
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	msg, err := r.cfg.Conn.RequestWithContext(ctx, r.cfg.Cluster+marketToken, nil)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = nats.ErrTimeout
		}
		return rep, fmt.Errorf("request %s: %w", r.cfg.Cluster+marketToken, err)
	}
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return rep, fmt.Errorf("decode market: %w", err)
	}
	if rep.Error != "" {
		return rep, fmt.Errorf("core: %s", rep.Error)
	}
	return rep, nil
}

// setUniverse installs the first answer of the core.
func (r *Replica) setUniverse(rep marketReply) {
	syms := rep.Symbols
	sort.Slice(syms, func(i, j int) bool { return syms[i].Ticker < syms[j].Ticker })
	index := make(map[string]int, len(syms))
	quotes := make([]feed.Quote, len(syms))
	state := make([]symState, len(syms))
	for i, s := range syms {
		index[s.Ticker] = i
		quotes[i].Symbol = s.Ticker
		if r.cfg.Interest == nil {
			state[i] = symReceived
		}
	}
	r.mu.Lock()
	r.symbols, r.index, r.quotes, r.state = syms, index, quotes, state
	r.pending = make(map[int][]feed.Quote)
	r.mu.Unlock()
	r.instance.Store(&rep.Instance)
	r.sessionDay.Store(rep.SessionDay)
	r.apply(rep.Quotes, false)
}

// apply takes the quotes newer than the ones held and hands them to the
// hub, in one batch. Quotes of symbols not received are dropped; live
// ticks of a symbol being filled wait for its backfill (fill).
func (r *Replica) apply(qs []feed.Quote, live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applyLocked(qs, live)
}

// applyLocked is apply; caller holds r.mu.
func (r *Replica) applyLocked(qs []feed.Quote, live bool) {
	fresh := qs[:0:0]
	for _, q := range qs {
		i, ok := r.index[q.Symbol]
		if !ok {
			continue
		}
		switch {
		case r.state[i] == symDropped:
			continue
		case r.state[i] == symFilling && live:
			r.pending[i] = append(r.pending[i], q)
			continue
		}
		if q.Seq <= r.quotes[i].Seq && r.quotes[i].Seq != 0 {
			r.stale.Add(1)
			continue
		}
		r.quotes[i] = q
		fresh = append(fresh, q)
	}
	// Under mu, so the hub sees each symbol's quotes in seq order.
	if len(fresh) > 0 && r.cfg.Hub != nil {
		r.cfg.Hub.Publish(fresh)
	}
}

func (r *Replica) onTick(m *nats.Msg) {
	r.mu.RLock()
	known := r.index != nil
	r.mu.RUnlock()
	if !known { // before the first answer of the core, which will hold it
		return
	}
	var q feed.Quote
	if err := json.Unmarshal(m.Data, &q); err != nil {
		r.log.Warn("undecodable tick", "subject", m.Subject, "err", err)
		return
	}
	r.received.Add(1)
	r.apply([]feed.Quote{q}, true)
}

func (r *Replica) onBeat(m *nats.Msg) {
	var hb heartbeat
	if err := json.Unmarshal(m.Data, &hb); err != nil {
		return
	}
	r.lastBeat.Store(time.Now().UnixNano())
	r.beatInst.Store(&hb.Instance)
	r.sessionDay.Store(hb.SessionDay)
}

// Run watches NATS and the core's heartbeat until ctx is done: it marks
// the feed stopped when either is lost and, once both are back, fetches
// every latest quote again and marks it resumed. With Interest it also
// applies the ticks received (they wait until Run starts) and releases the
// symbols no stream has held for the linger period.
func (r *Replica) Run(ctx context.Context) {
	if r.cfg.Interest != nil {
		done := make(chan struct{})
		go func() { defer close(done); r.deliver(ctx) }()
		defer func() { <-done }()
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.check(ctx)
			if r.cfg.Interest != nil {
				r.sweep(now)
			}
		}
	}
}

// check is one step of Run.
func (r *Replica) check(ctx context.Context) {
	reason := ""
	switch {
	case !r.cfg.Conn.IsConnected():
		reason = "price feed interrupted: lost the connection to NATS"
	case time.Since(time.Unix(0, r.lastBeat.Load())) > BeatTimeout:
		reason = "price feed interrupted: the core is not answering"
	}
	inst := r.instance.Load()
	restarted := false
	if reason == "" && r.up.Load() {
		restarted = r.coreRestarted(inst)
		if !restarted {
			return
		}
	}
	if reason != "" {
		if r.up.Swap(false) {
			r.reason.Store(&reason)
			r.log.Warn("feed stopped", "reason", reason)
			if r.cfg.Stopped != nil {
				r.cfg.Stopped(reason)
			}
		}
		return
	}
	got, err := r.resync(ctx)
	if err != nil {
		msg := "price feed interrupted: " + err.Error()
		r.reason.Store(&msg)
		return
	}
	r.instance.Store(&got)
	r.beatInst.Store(&got) // a heartbeat of the old instance still queued must not count
	r.resyncs.Add(1)
	r.up.Store(true)
	why := "price feed resumed"
	if restarted {
		why = "price feed resumed: the core restarted"
	}
	r.log.Info("feed resumed", "instance", got)
	if r.cfg.Resumed != nil {
		r.cfg.Resumed(why)
	}
}

// resync fetches the latest quotes again, of every symbol or, with
// Interest, of the symbols received (with their history, which fills the
// gap the interruption left when the core still holds it). It returns the
// core's instance.
func (r *Replica) resync(ctx context.Context) (string, error) {
	if r.cfg.Interest != nil {
		return r.in.refill(ctx, r)
	}
	rep, err := r.fetch(ctx)
	if err != nil {
		return "", err
	}
	r.apply(rep.Quotes, false)
	return rep.Instance, nil
}

// coreRestarted reports whether heartbeats now come from another core
// instance than the one the quotes were fetched from.
func (r *Replica) coreRestarted(fetched *string) bool {
	beat := r.beatInst.Load()
	return beat != nil && fetched != nil && *beat != *fetched
}
