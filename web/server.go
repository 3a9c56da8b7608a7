// Package web is tickerd's HTTP surface: the REST API, the WebSocket and SSE
// price streams, and the embedded dashboard. Fiber types stop here.
package web

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// Config is the HTTP surface's configuration. Zero values mean defaults.
type Config struct {
	AllowedOrigins []string      // extra origins allowed for WebSocket upgrades and cookie-authenticated writes
	BodyLimit      int           // max request body bytes; 0 means 64 KiB
	ShutdownGrace  time.Duration // how long in-flight requests may take on shutdown; 0 means 10s
	SecureCookies  bool          // set the Secure attribute on the session cookie (behind TLS)

	LoginPerIPPerMin   int // login attempts per client IP per minute; 0 means 20
	LoginPerUserPerMin int // login attempts per username per minute; 0 means 10

	// WebSocket and SSE limits (announced in the welcome frame).
	WSHeartbeat        time.Duration // server ping interval; 0 means 20s
	WSMaxSymbols       int           // symbols per connection; 0 means 200
	WSMaxMessageBytes  int           // inbound frame limit; 0 means 4096
	WSMaxMessagesPerS  int           // inbound messages per second; 0 means 20
	WSMaxConnsPerUser  int           // 0 means 20
	WSMaxConnsPerIP    int           // 0 means 100
	WSSlowClientWindow time.Duration // how long a client may stay behind before close 1013; 0 means 10s
}

// Deps are the services the HTTP surface uses.
type Deps struct {
	Store  *portfolio.Store
	Market *feed.Market
	Hub    *feed.Hub
	Logger *slog.Logger
}

// Server is tickerd's HTTP server.
type Server struct {
	cfg    Config
	store  *portfolio.Store
	market *feed.Market
	hub    *feed.Hub
	log    *slog.Logger
	app    *fiber.App

	// streams tracks open WebSocket and SSE connections (ws_*.go, sse.go):
	// logout closes a session's streams with 4001, Shutdown with 1001.
	streams *streamRegistry
}

// New builds the server and registers every route.
func New(cfg Config, deps Deps) *Server {
	panic("unimplemented")
}

// Handler exposes the Fiber app for tests (app.Test) and embedding.
func (s *Server) Handler() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections, closes WebSockets with 1001 and
// waits for in-flight requests until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	panic("unimplemented")
}
