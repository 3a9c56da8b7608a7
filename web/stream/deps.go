package stream

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// Deps are what the streams need from the rest of tickerd, each as the
// narrowest interface that serves. feed.Hub, feed.Market and
// portfolio.Store implement them.
type Deps struct {
	Hub      Hub
	Market   Market
	Holdings Holdings
	Sessions Sessions
	// Interest hears which symbols a stream is about to use; nil (a
	// single node, a core: every symbol is at hand) is a no-op.
	Interest Interest
	Logger   *slog.Logger // nil discards
}

// Interest is told the symbols a stream is about to subscribe or value,
// before it does: an edge that receives ticks by interest fetches the
// latest quote and history of the ones it lacks. It fails when they cannot
// be fetched in time.
type Interest interface {
	Want(ctx context.Context, symbols []string) error
}

// wantTimeout bounds Want: the core's own RPC timeout with a margin.
const wantTimeout = 3 * time.Second

// Want makes the quotes of symbols ready for a read that serves them
// (Deps.Interest; nothing without one). It fails when they cannot be
// fetched in time.
func (r *Registry) Want(symbols []string) error { return r.deps.want(symbols) }

// want calls Interest, if any.
func (d *Deps) want(symbols []string) error {
	if d.Interest == nil || len(symbols) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), wantTimeout)
	defer cancel()
	if err := d.Interest.Want(ctx, symbols); err != nil {
		return fmt.Errorf("fetch quotes: %w", err)
	}
	return nil
}

// Hub is the fan-out the streams subscribe to.
type Hub interface {
	NewSubscriber(feed.SubscriberOptions) *feed.Subscriber
	Stats() feed.HubStats
}

// Market answers which symbols exist, their latest quote (a subscription's
// snapshot), their prices and the current session (portfolio valuations).
type Market interface {
	portfolio.PriceSource
	portfolio.SessionClock
	Lookup(ticker string) (feed.Symbol, bool)
	Quote(ticker string) (feed.Quote, bool)
}

// Holdings reads an account's cash and positions for the portfolio channel.
type Holdings interface {
	Holdings(ctx context.Context, accountID int64) (cash int64, positions []portfolio.Position, err error)
}

// Sessions authenticates the token of a WebSocket's auth message. It
// returns a *portfolio.Error with code unauthorized for a token that is
// unknown, expired or revoked.
type Sessions interface {
	Authenticate(ctx context.Context, token string) (portfolio.Session, error)
}

var (
	_ Hub      = (*feed.Hub)(nil)
	_ Market   = (*feed.Market)(nil)
	_ Holdings = (*portfolio.Store)(nil)
	_ Sessions = (*portfolio.Store)(nil)
)
