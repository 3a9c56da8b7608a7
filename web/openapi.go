package web

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the OpenAPI 3.1 description of the REST API.
//
//go:embed openapi.yaml
var openAPIDoc []byte

// asyncAPIDoc is the AsyncAPI 3.0 description of the WebSocket and SSE
// streams.
//
//go:embed asyncapi.yaml
var asyncAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document (YAML).
func OpenAPI() []byte { return openAPIDoc }

// AsyncAPI returns the embedded AsyncAPI document of the streams (YAML).
func AsyncAPI() []byte { return asyncAPIDoc }

// registerOpenAPIRoutes serves the documents at /api/v1/openapi.yaml and
// /api/v1/asyncapi.yaml.
func (s *Server) registerOpenAPIRoutes(api fiber.Router) {
	for path, doc := range map[string][]byte{"/openapi.yaml": openAPIDoc, "/asyncapi.yaml": asyncAPIDoc} {
		api.Get(path, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, "application/yaml")
			return c.Send(doc)
		})
	}
}
