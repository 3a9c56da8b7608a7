package natsfeed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tickerd/tickerd/feed"
)

// HeartbeatInterval is how often the core says it is alive. An edge counts
// the core gone after BeatTimeout without one.
const (
	HeartbeatInterval = 500 * time.Millisecond
	BeatTimeout       = 3 * time.Second
)

// Market is what the core's publisher reads of the simulated market.
// *feed.Market implements it.
type Market interface {
	Symbols() []feed.Symbol
	AllQuotes() []feed.Quote
	Quote(ticker string) (feed.Quote, bool)
	Ticks() uint64
	// SessionDay is the simulated trading day (portfolio.SessionClock),
	// which edges need to value day changes as the core does.
	SessionDay() int64
}

// History is the core's replay history, which rpc.backfill answers from.
// *feed.Hub implements it.
type History interface {
	Recent(symbol string) []feed.Quote
}

var (
	_ Market  = (*feed.Market)(nil)
	_ History = (*feed.Hub)(nil)
)

// Publisher is the core's side of the feed: it publishes every tick on
// <cluster>.ticks.<SYMBOL>, a heartbeat on <cluster>.core.heartbeat, and
// answers <cluster>.rpc.market with the universe and the latest quotes.
type Publisher struct {
	nc       *nats.Conn
	cluster  string
	market   Market
	history  History
	log      *slog.Logger
	instance string

	mu sync.Mutex // serialises Publish

	published atomic.Uint64
	failed    atomic.Uint64
}

var _ feed.Publisher = (*Publisher)(nil)

// NewPublisher returns the core's publisher on nc. SetMarket must be
// called before Serve.
func NewPublisher(nc *nats.Conn, cluster string, log *slog.Logger) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Publisher{nc: nc, cluster: cluster, log: log, instance: hex.EncodeToString(id[:])}
}

// SetMarket names the market whose state rpc.market answers with, and the
// history rpc.backfill adds to its latest quotes (nil: none). (The market
// is created with the publisher as one of its Publishers, hence after it.)
func (p *Publisher) SetMarket(m Market, h History) { p.market, p.history = m, h }

// Publish implements feed.Publisher: one NATS message per quote. It never
// waits for a subscriber; while NATS is unreachable the client library
// buffers messages up to its reconnect buffer, then drops them (counted).
func (p *Publisher) Publish(batch []feed.Quote) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range batch {
		q := &batch[i]
		b, err := encodeQuote(q)
		if err == nil {
			err = p.nc.Publish(TicksSubject(p.cluster, q.Symbol), b)
		}
		if err != nil {
			if p.failed.Add(1) == 1 {
				p.log.Warn("publish tick", "err", err)
			}
			continue
		}
		p.published.Add(1)
	}
}

// Serve answers rpc.market and rpc.backfill and publishes heartbeats
// until ctx is done.
func (p *Publisher) Serve(ctx context.Context) error {
	for token, answer := range map[string]nats.MsgHandler{marketToken: p.answerMarket, backfillToken: p.answerBackfill} {
		sub, err := p.nc.Subscribe(p.cluster+token, answer)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", p.cluster+token, err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := p.nc.FlushWithContext(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("subscribe rpc", "err", err)
	}
	p.beat()
	t := time.NewTicker(HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.beat()
		}
	}
}

func (p *Publisher) beat() {
	b, _ := json.Marshal(heartbeat{Instance: p.instance, Ticks: p.market.Ticks(), SessionDay: p.market.SessionDay()})
	_ = p.nc.Publish(p.cluster+heartbeatToken, b)
}

func (p *Publisher) answerMarket(m *nats.Msg) {
	b, err := json.Marshal(marketReply{Instance: p.instance, Symbols: p.market.Symbols(), Quotes: p.market.AllQuotes(),
		SessionDay: p.market.SessionDay()})
	if err != nil {
		b, _ = json.Marshal(marketReply{Error: "encode market: " + err.Error()})
	}
	if err := m.Respond(b); err != nil {
		p.log.Warn("answer rpc.market", "err", err)
	}
}

// answerBackfill answers rpc.backfill: each known symbol's held ticks,
// then its latest quote when the history does not end with it, as many
// symbols as fit in half of NATS's largest message.
func (p *Publisher) answerBackfill(m *nats.Msg) {
	var req backfillRequest
	rep := backfillReply{Instance: p.instance}
	if err := json.Unmarshal(m.Data, &req); err != nil {
		rep = backfillReply{Error: "decode backfill request: " + err.Error()}
	}
	budget := int(p.nc.MaxPayload() / 2)
	for i, sym := range req.Symbols {
		ticks := p.backfillOf(sym, req.LatestOnly)
		// About 200 bytes a tick (144 of payload and a symbol's fields).
		if budget -= 200 * len(ticks); budget < 0 && len(rep.Ticks) > 0 {
			rep.Next = i
			break
		}
		rep.Ticks = append(rep.Ticks, ticks...)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		b, _ = json.Marshal(backfillReply{Error: "encode backfill: " + err.Error()})
	}
	if err := m.Respond(b); err != nil {
		p.log.Warn("answer rpc.backfill", "err", err)
	}
}

// backfillOf returns sym's held ticks (unless latestOnly) and latest
// quote, oldest first.
func (p *Publisher) backfillOf(sym string, latestOnly bool) []feed.Quote {
	q, ok := p.market.Quote(sym)
	if !ok {
		return nil
	}
	var held []feed.Quote
	if p.history != nil && !latestOnly {
		held = p.history.Recent(sym)
	}
	if len(held) == 0 || held[len(held)-1].Seq < q.Seq {
		held = append(held, q)
	}
	return held
}

// Published and Failed count ticks handed to NATS and ticks NATS refused.
func (p *Publisher) Published() uint64 { return p.published.Load() }

// Failed counts ticks the NATS client refused (e.g. its reconnect buffer
// was full).
func (p *Publisher) Failed() uint64 { return p.failed.Load() }
