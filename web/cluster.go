package web

import (
	"encoding/json"

	"github.com/tickerd/tickerd/web/wire"
)

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

// AlertFiredOnCore pushes an alert of the account that fired on another
// node, given as its wire JSON (a wire.Alert), to the account's streams
// subscribed to the alerts channel. JSON that is not one object is dropped,
// so a bad message never reaches a client.
func (s *Server) AlertFiredOnCore(accountID int64, alert []byte) {
	if len(alert) == 0 || alert[0] != '{' || !json.Valid(alert) {
		s.log.Warn("dropped a fired alert that is not a JSON object", "account_id", accountID)
		return
	}
	s.streams.AlertFired(accountID, wire.AppendAlertData(nil, alert))
}

// FeedStopped tells every open stream that quotes stopped (a feed frame);
// the streams stay open.
func (s *Server) FeedStopped(message string) { s.streams.FeedStopped(message) }

// FeedResumed tells every open stream that quotes flow again and sends
// each a fresh snapshot of its symbols.
func (s *Server) FeedResumed(message string) { s.streams.FeedResumed(message) }
