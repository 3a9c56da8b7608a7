package web

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the OpenAPI 3.1 description of the REST API.
//
//go:embed openapi.yaml
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document (YAML).
func OpenAPI() []byte { return openAPIDoc }

// registerOpenAPIRoutes serves the document at /api/v1/openapi.yaml.
func (s *Server) registerOpenAPIRoutes(api fiber.Router) {
	api.Get("/openapi.yaml", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/yaml")
		return c.Send(openAPIDoc)
	})
}
