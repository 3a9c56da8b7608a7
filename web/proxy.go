package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/proxy"
	"github.com/valyala/fasthttp"
)

// Timeouts of requests an edge forwards to the core. The core answers
// every REST route in well under a second; a minute covers a slow
// password hash under load without pinning a connection forever.
const (
	coreTimeout       = 60 * time.Second
	coreMaxConns      = 128 // connections to the core; under the core's default per-IP cap
	coreMaxIdleTiming = 30 * time.Second
)

// coreProxy forwards an edge's requests to the core node.
type coreProxy struct {
	base   string // scheme://host:port without a trailing slash
	client *fasthttp.Client
	log    *slog.Logger
}

func newCoreProxy(base string, log *slog.Logger) *coreProxy {
	return &coreProxy{
		base: strings.TrimRight(base, "/"),
		client: &fasthttp.Client{
			Name:                     "tickerd-edge",
			MaxConnsPerHost:          coreMaxConns,
			MaxIdleConnDuration:      coreMaxIdleTiming,
			ReadTimeout:              coreTimeout,
			WriteTimeout:             coreTimeout,
			NoDefaultUserAgentHeader: true,
			DisablePathNormalizing:   true,
			MaxResponseBodySize:      16 << 20,
			StreamResponseBody:       false,
		},
		log: log,
	}
}

// registerEdgeRoutes is an edge's route table: the streams and the latest
// quotes are served here from the ticks this node receives; every other
// route (REST, OpenAPI, the dashboard) is forwarded to the core.
func (s *Server) registerEdgeRoutes(api fiber.Router) {
	api.Get("/quotes", s.handleQuotes)
	s.registerStreamRoutes(api)
	if s.extraRoutes != nil {
		s.extraRoutes(api)
	}
	s.app.Use(s.forward)
}

// forward sends the request to the core and its answer back. The core
// sees the same X-Request-ID, the original Host (so its Origin checks
// hold) and the client's address as the only X-Forwarded-For entry; it
// trusts that header only from addresses in its Config.TrustedProxies.
func (s *Server) forward(c *fiber.Ctx) error {
	req := c.Request()
	req.Header.Set(headerRequestID, requestID(c))
	req.Header.Set(fiber.HeaderXForwardedFor, c.IP())
	req.UseHostHeader = true
	if err := proxy.DoTimeout(c, s.core.base+c.OriginalURL(), coreTimeout, s.core.client); err != nil {
		s.log.WarnContext(c.UserContext(), "forward to core", "request_id", requestID(c), "err", err)
		c.Response().Reset()
		c.Set(headerRequestID, requestID(c))
		return newProblem(codeNotReady, "", "the core server is not reachable; try again shortly")
	}
	return nil
}
