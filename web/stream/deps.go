package stream

import (
	"context"
	"log/slog"

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
	Logger   *slog.Logger // nil discards
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
