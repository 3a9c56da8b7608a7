package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
)

// readyTimeout bounds the database check of /readyz.
const readyTimeout = 2 * time.Second

// registerHealthRoutes: /healthz (the process answers) and /readyz (the
// database answers and takes writes, the feed is running and, on a node
// of a cluster, Deps.Ready passes).
func (s *Server) registerHealthRoutes(r fiber.Router) {
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
}

func (s *Server) handleHealthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) handleReadyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	checks := fiber.Map{}
	if s.store != nil {
		if err := s.store.Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness: database", "err", err)
			return writeProblem(c, codeNotReady, "database is not reachable")
		}
		if err := s.store.CheckWrite(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness: database write", "err", err)
			if portfolio.StorageUnavailable(err) {
				return writeProblem(c, codeStorageUnavailable, "database cannot take writes")
			}
			return writeProblem(c, codeNotReady, "database cannot take writes")
		}
		checks["database"] = "ok"
	}
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			return writeProblem(c, codeNotReady, err.Error())
		}
		checks["cluster"] = "ok"
	}
	if !s.market.Running() {
		return writeProblem(c, codeNotReady, "price feed is not running")
	}
	checks["feed"] = "ok"
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}
