package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// CONTRACT STUB, replaced by the stream implementation:
//   newStreamRegistry(s *Server) *streamRegistry      called once in New
//   (s *Server) registerStreamRoutes(api fiber.Router) GET /ws, GET /stream under /api/v1
//   (r *streamRegistry) closeSession(sessionID string) close that session's sockets with 4001
//   (r *streamRegistry) shutdown(ctx)                  close every socket with 1001, wait for handlers
//   (r *streamRegistry) portfolioChanged(accountID)    a trade changed the account's holdings

type streamRegistry struct{}

func newStreamRegistry(s *Server) *streamRegistry { return &streamRegistry{} }

func (s *Server) registerStreamRoutes(api fiber.Router) {}

func (r *streamRegistry) closeSession(sessionID string) {}

func (r *streamRegistry) shutdown(ctx context.Context) error { return nil }

func (r *streamRegistry) portfolioChanged(accountID int64) {}
