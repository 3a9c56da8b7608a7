package web

// The methods below let another node's events reach this server's open
// streams (cmd/tickerd wires them to the cluster's messages).

// CloseSession closes the streams of a session with 4001, as a logout on
// this node does.
func (s *Server) CloseSession(sessionID string) { s.streams.CloseSession(sessionID) }

// SessionIDs returns the sessions of the open streams.
func (s *Server) SessionIDs() []string { return s.streams.SessionIDs() }

// PortfolioChanged makes the account's portfolio streams reread its
// holdings and push a fresh valuation.
func (s *Server) PortfolioChanged(accountID int64) { s.streams.PortfolioChanged(accountID) }

// FeedStopped tells every open stream that quotes stopped (a feed frame);
// the streams stay open.
func (s *Server) FeedStopped(message string) { s.streams.FeedStopped(message) }

// FeedResumed tells every open stream that quotes flow again and sends
// each a fresh snapshot of its symbols.
func (s *Server) FeedResumed(message string) { s.streams.FeedResumed(message) }
