package web

// registerDashboard serves the embedded dashboard at /. It is replaced by
// the dashboard's own file.
func (s *Server) registerDashboard() {}
