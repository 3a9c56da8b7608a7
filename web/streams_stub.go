package web

// CONTRACT STUB, replaced by the stream implementation:
//   newStreamRegistry(s *Server) *streamRegistry      called once in New
//   (s *Server) registerStreamRoutes(api fiber.Router) GET /ws, GET /stream under /api/v1
//   (r *streamRegistry) closeSession(sessionID string) close that session's sockets with 4001
//   (r *streamRegistry) shutdown(ctx)                  close every socket with 1001, wait for handlers

type streamRegistry struct{}
