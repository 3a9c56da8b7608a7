package natsfeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickerd/tickerd/feed"
)

// An edge that receives ticks by interest: it subscribes to
// <cluster>.ticks.<SYMBOL> when a client first uses the symbol, fills the
// symbol's latest quote and history from the core (rpc.backfill), and
// unsubscribes once no stream has held it for InterestConfig.Linger.

// DefaultLinger is how long an edge keeps receiving a symbol no stream
// holds: the replay window, so a client reconnecting to the same edge
// resumes from the edge's own history.
const DefaultLinger = feed.DefaultReplayWindow

// rpcTimeout bounds every request to the core, as natsrpc's do.
const rpcTimeout = 2 * time.Second

// maxHistorySymbols is the most symbols one Want or resync fetches with
// their history; more (a read of the whole universe) fetch the latest
// quotes only, so that it stays a few round trips. A resume of such a
// symbol on this edge then gets a fresh snapshot until the edge has held
// its ticks for a while.
const maxHistorySymbols = 64

// symState is whether a replica receives a symbol's ticks.
type symState uint8

const (
	symDropped  symState = iota // not subscribed; its quote is stale
	symFilling                  // subscribed, the backfill not applied yet: live ticks wait
	symReceived                 // subscribed and current
)

// Watcher is what interest asks of the edge's hub. *feed.Hub implements it.
type Watcher interface {
	// Watched reports whether a stream holds symbol.
	Watched(symbol string) bool
	// Forget drops what is held of symbol, unless a stream holds it.
	Forget(symbol string) bool
}

var _ Watcher = (*feed.Hub)(nil)

// InterestConfig makes a replica receive only the symbols in use.
type InterestConfig struct {
	// Hub tells which symbols streams hold; it is the replica's Hub.
	Hub Watcher
	// Linger is how long a symbol no stream holds stays received; 0 is
	// DefaultLinger.
	Linger time.Duration
	// Observe, when set, is told how long each backfill took and its
	// result (ok, error, unavailable).
	Observe func(method, result string, took time.Duration)
}

// interest is the set of symbols a replica receives.
type interest struct {
	cfg  InterestConfig
	mu   sync.Mutex // serialises Want, sweep and refill
	subs map[string]*nats.Subscription
	used map[string]time.Time // when a stream or a read last used the symbol
	n    atomic.Int64         // len(subs)
	// ticks receives the messages of every symbol's subscription, in the
	// order NATS delivered them, so one goroutine (Run's) applies them
	// rather than one per subscription.
	ticks chan *nats.Msg
}

// ticksBuffer is how many tick messages wait for Run before NATS drops
// more (as a slow consumer): several seconds of a 5,000-symbol feed.
const ticksBuffer = 1 << 16

func newInterest(cfg InterestConfig) interest {
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	return interest{cfg: cfg, subs: make(map[string]*nats.Subscription), used: make(map[string]time.Time),
		ticks: make(chan *nats.Msg, ticksBuffer)}
}

// deliver applies the ticks of the symbols received until ctx is done.
func (r *Replica) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.in.ticks:
			r.onTick(m)
		}
	}
}

// Want makes the replica receive the ticks of symbols (unknown ones are
// ignored) before it returns: a symbol it did not receive is subscribed
// and filled from the core with its latest quote and recent history, so a
// subscription that follows gets a current snapshot and resumes as on the
// core. A symbol already received costs no round trip. It fails when the
// core does not answer within 2 s. Without Interest it does nothing.
func (r *Replica) Want(ctx context.Context, symbols []string) error {
	if r.cfg.Interest == nil {
		return nil
	}
	in := &r.in
	now := time.Now()
	in.mu.Lock()
	defer in.mu.Unlock()
	var missing []string
	for _, sym := range symbols {
		if _, ok := in.subs[sym]; ok {
			in.used[sym] = now
			continue
		}
		if _, ok := r.Lookup(sym); ok {
			missing = append(missing, sym)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := r.subscribe(ctx, missing); err != nil {
		return err
	}
	for _, sym := range missing {
		in.used[sym] = now
	}
	return nil
}

// subscribe subscribes to syms' ticks, then fills them from the core:
// ticks published meanwhile are either in the answer or arrive after the
// subscription, and wait until the answer is applied. Caller holds in.mu.
func (r *Replica) subscribe(ctx context.Context, syms []string) error {
	in := &r.in
	r.setState(syms, symFilling)
	undo := func() {
		for _, sym := range syms {
			if sub, ok := in.subs[sym]; ok {
				_ = sub.Unsubscribe()
				delete(in.subs, sym)
			}
		}
		r.setState(syms, symDropped)
	}
	for _, sym := range syms {
		sub, err := r.cfg.Conn.ChanSubscribe(TicksSubject(r.cfg.Cluster, sym), in.ticks)
		if err != nil {
			undo()
			return fmt.Errorf("subscribe %s: %w", sym, err)
		}
		in.subs[sym] = sub
	}
	fctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	if err := r.cfg.Conn.FlushWithContext(fctx); err != nil {
		undo()
		return fmt.Errorf("subscribe ticks: %w", err)
	}
	if _, err := r.fill(ctx, syms); err != nil {
		undo()
		return err
	}
	in.n.Store(int64(len(in.subs)))
	return nil
}

// fill asks the core for syms' history and latest quotes, applies them,
// then the live ticks that arrived meanwhile, and marks syms received. It
// returns the core's instance.
func (r *Replica) fill(ctx context.Context, syms []string) (string, error) {
	rep, err := r.backfill(ctx, syms)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applyLocked(rep.Ticks, false)
	r.receivedLocked(syms)
	return rep.Instance, nil
}

// receivedLocked marks syms received and applies the live ticks that
// waited for them. Caller holds r.mu.
func (r *Replica) receivedLocked(syms []string) {
	for _, sym := range syms {
		i, ok := r.index[sym]
		if !ok {
			continue
		}
		r.state[i] = symReceived
		if p := r.pending[i]; len(p) > 0 {
			delete(r.pending, i)
			r.applyLocked(p, false)
		}
	}
}

// setState sets syms' state, forgetting live ticks waiting for a dropped
// one.
func (r *Replica) setState(syms []string, st symState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sym := range syms {
		if i, ok := r.index[sym]; ok {
			r.state[i] = st
			if st == symDropped {
				delete(r.pending, i)
			}
		}
	}
}

// backfill requests <cluster>.rpc.backfill for syms, again for the rest
// as long as the core answers for part of them.
func (r *Replica) backfill(ctx context.Context, syms []string) (backfillReply, error) {
	var all backfillReply
	latestOnly := len(syms) > maxHistorySymbols
	for len(syms) > 0 {
		rep, err := r.backfillOnce(ctx, syms, latestOnly)
		if err != nil {
			return all, err
		}
		all.Instance = rep.Instance
		all.Ticks = append(all.Ticks, rep.Ticks...)
		if rep.Next <= 0 || rep.Next >= len(syms) {
			break
		}
		syms = syms[rep.Next:]
	}
	if len(syms) == 0 { // refill with nothing received: ask for the instance only
		return r.backfillOnce(ctx, nil, true)
	}
	return all, nil
}

// backfillOnce is one request of backfill.
func (r *Replica) backfillOnce(ctx context.Context, syms []string, latestOnly bool) (backfillReply, error) {
	var rep backfillReply
	req, _ := json.Marshal(backfillRequest{Symbols: syms, LatestOnly: latestOnly})
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	start := time.Now()
	msg, err := r.cfg.Conn.RequestWithContext(ctx, r.cfg.Cluster+backfillToken, req)
	if err == nil {
		err = json.Unmarshal(msg.Data, &rep)
		if err == nil && rep.Error != "" {
			err = fmt.Errorf("core: %s", rep.Error)
		}
	}
	r.observe(time.Since(start), err)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = nats.ErrTimeout
		}
		return rep, fmt.Errorf("request %s: %w", r.cfg.Cluster+backfillToken, err)
	}
	return rep, nil
}

func (r *Replica) observe(took time.Duration, err error) {
	obs := r.cfg.Interest.Observe
	if obs == nil {
		return
	}
	result := "ok"
	switch {
	case errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		result = "unavailable"
	case err != nil:
		result = "error"
	}
	obs("backfill", result, took)
}

// refill is resync with Interest: it fetches the history and latest quote
// of every symbol received, holding back live ticks meanwhile, so the gap
// an interruption left is filled when the core still holds the ticks.
func (in *interest) refill(ctx context.Context, r *Replica) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	syms := make([]string, 0, len(in.subs))
	for sym := range in.subs {
		syms = append(syms, sym)
	}
	r.setState(syms, symFilling)
	inst, err := r.fill(ctx, syms)
	if err != nil {
		r.mu.Lock()
		r.receivedLocked(syms) // keep the live ticks that arrived
		r.mu.Unlock()
		return "", err
	}
	return inst, nil
}

// sweep unsubscribes the symbols no stream has held for the linger
// period, marking their data stale.
func (r *Replica) sweep(now time.Time) {
	in := &r.in
	in.mu.Lock()
	defer in.mu.Unlock()
	for sym, sub := range in.subs {
		if in.cfg.Hub.Watched(sym) {
			in.used[sym] = now
			continue
		}
		if now.Sub(in.used[sym]) < in.cfg.Linger || !r.drop(sym) {
			continue
		}
		if err := sub.Unsubscribe(); err != nil {
			r.log.Warn("unsubscribe ticks", "symbol", sym, "err", err)
		}
		delete(in.subs, sym)
		delete(in.used, sym)
	}
	in.n.Store(int64(len(in.subs)))
}

// drop marks sym stale and makes the hub forget it, unless a stream
// subscribed it meanwhile.
func (r *Replica) drop(sym string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.index[sym]
	if !ok || !r.cfg.Interest.Hub.Forget(sym) {
		return false
	}
	r.state[i] = symDropped
	r.quotes[i] = feed.Quote{Symbol: sym}
	delete(r.pending, i)
	return true
}
