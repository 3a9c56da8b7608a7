package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/stream"
)

// Deps are the services the HTTP surface uses, each as the narrowest
// interface that serves, so that a node without a database (an edge) can
// pass implementations that ask another node.
type Deps struct {
	// Store is the account database behind the REST API. An edge has
	// none: it leaves Store nil and sets CoreURL.
	Store Store
	// Sessions checks the tokens of streams; nil means Store.
	Sessions stream.Sessions
	// Holdings reads an account's cash and positions for the portfolio
	// channel; nil means Store.
	Holdings stream.Holdings
	Market   Market
	Hub      stream.Hub
	// Interest hears which symbols streams and quote reads are about to
	// use (an edge receiving ticks by interest); nil is a no-op.
	Interest stream.Interest
	// Events, when set, hears of every logout and every change to an
	// account (a fill, a watchlist), after it is committed.
	Events Events
	// CoreURL, when set, makes this server an edge: it serves the streams,
	// GET /api/v1/quotes, health and metrics itself and forwards every
	// other request to the node at CoreURL (e.g. "http://10.0.0.5:8080").
	CoreURL string
	// Ready, when set, is one more /readyz check; its error's text is the
	// problem's detail.
	Ready func(ctx context.Context) error
	// Alerts keeps the price alerts the REST API creates and deletes in
	// step with the one that evaluates ticks; nil serves no alert routes
	// (an edge forwards them to the core).
	Alerts *portfolio.AlertWatch
	// Collectors are extra metrics served with the server's own.
	Collectors []prometheus.Collector
	Logger     *slog.Logger // nil discards
}

// Store is what the REST API needs of the account database.
// *portfolio.Store implements it.
type Store interface {
	stream.Holdings
	stream.Sessions
	Ping(ctx context.Context) error
	CheckWrite(ctx context.Context) error
	Register(ctx context.Context, username, password string) (portfolio.Account, error)
	Account(ctx context.Context, id int64) (portfolio.Account, error)
	Login(ctx context.Context, username, password string) (token string, sess portfolio.Session, err error)
	Logout(ctx context.Context, token string) (portfolio.Session, error)
	Valuation(ctx context.Context, accountID int64, prices portfolio.PriceSource, clock portfolio.SessionClock) (portfolio.Valuation, error)
	PlaceTrade(ctx context.Context, accountID int64, req portfolio.TradeRequest, prices portfolio.PriceSource, clock portfolio.SessionClock) (portfolio.Trade, error)
	Trades(ctx context.Context, accountID int64, cursor string, limit int) ([]portfolio.Trade, string, error)
	Watchlist(ctx context.Context, accountID int64) ([]string, error)
	Alerts(ctx context.Context, accountID int64, status portfolio.AlertStatus, cursor string, limit int) ([]portfolio.Alert, string, error)
	SetWatchlist(ctx context.Context, accountID int64, symbols []string) error
}

// Market is what the HTTP surface needs of the price feed. *feed.Market
// implements it.
type Market interface {
	stream.Market
	Symbols() []feed.Symbol
	AllQuotes() []feed.Quote
	Halted(ticker string) bool
	Now() time.Time
	Candles(ticker string, from, to time.Time) ([]feed.Candle, bool)
	Running() bool
	Ticks() uint64
	// The simulation's settings and scenario, for GET /api/v1/market
	// (which an edge forwards to the core).
	Speed() float64
	TicksPerSecond() float64
	Scenario() *feed.Scenario
	Upcoming() []feed.ScheduledEvent
}

// Events is told of account changes the REST API commits, and of the
// alerts that fire, so that other nodes can act on them (close a
// logged-out session's streams, revalue an account's portfolio channel,
// push a fired alert to the account's alerts channel).
type Events interface {
	SessionRevoked(sessionID string)
	AccountChanged(accountID int64)
	// AlertFired is given the wire JSON of an alert of the account that
	// fired (a wire.Alert), after the alert watch recorded it.
	AlertFired(accountID int64, alert []byte)
}

var (
	_ Store  = (*portfolio.Store)(nil)
	_ Market = (*feed.Market)(nil)
)
