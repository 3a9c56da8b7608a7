// Package natsrpc carries a tickerd cluster's account traffic over NATS:
// the core answers session checks and holdings for edges (request/reply)
// and publishes account events (a logout, a fill or watchlist change, a
// fired alert); an
// edge asks through a Client, which caches positive session checks for a
// few seconds and drops them the moment a revocation arrives. It depends
// on package portfolio and NATS only; cmd/tickerd wires it to web.
// Subjects and payloads are documented in docs/CLUSTER.md.
package natsrpc

import (
	"strconv"
	"time"

	"github.com/tickerd/tickerd/portfolio"
)

// Subjects under the cluster's name.
const (
	authToken     = ".rpc.auth"
	holdingsToken = ".rpc.holdings"
	pingToken     = ".rpc.ping"
	sessionsToken = ".rpc.sessions"
	revokedToken  = ".session.revoked"
)

// changedSubject is <cluster>.account.<id>.changed.
func changedSubject(cluster string, accountID int64) string {
	return cluster + ".account." + strconv.FormatInt(accountID, 10) + ".changed"
}

// alertSubject is <cluster>.account.<id>.alert.
func alertSubject(cluster string, accountID int64) string {
	return cluster + ".account." + strconv.FormatInt(accountID, 10) + ".alert"
}

// CodeUnavailable is the code of the error a Client returns when the core
// does not answer: web maps it to 503 not_ready.
const CodeUnavailable = "not_ready"

// wireError is a *portfolio.Error on the wire.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type authRequest struct {
	Token string `json:"token"`
}

type sessionJSON struct {
	ID        string    `json:"id"`
	AccountID int64     `json:"account_id"`
	Username  string    `json:"username"`
	ExpiresAt time.Time `json:"expires_at"`
}

type authReply struct {
	Session *sessionJSON `json:"session,omitempty"`
	Error   *wireError   `json:"error,omitempty"`
}

type holdingsRequest struct {
	AccountID int64 `json:"account_id"`
}

// positionJSON is a portfolio.Position. The day_ fields are its fills in
// the core's session day_session (absent from a core that predates them:
// the edge then values the day change from the previous close).
type positionJSON struct {
	Symbol     string `json:"symbol"`
	Quantity   int64  `json:"quantity"`
	CostBasis  int64  `json:"cost_basis"`
	DaySession int64  `json:"day_session,omitempty"`
	DayOpenQty int64  `json:"day_open_quantity,omitempty"`
	DayNetCash int64  `json:"day_net,omitempty"`
}

type holdingsReply struct {
	Cash      int64          `json:"cash"`
	Positions []positionJSON `json:"positions"`
	Error     *wireError     `json:"error,omitempty"`
}

type sessionsRequest struct {
	IDs []string `json:"ids"`
}

type sessionsReply struct {
	Live  []string   `json:"live"`
	Error *wireError `json:"error,omitempty"`
}

type revokedEvent struct {
	SessionID string `json:"session_id"`
}

type changedEvent struct {
	AccountID int64 `json:"account_id"`
}

// toWireError turns a store error into what an edge may see: the code and
// message of a *portfolio.Error, or a generic internal error.
func toWireError(err error) *wireError {
	code := portfolio.ErrorCode(err)
	msg := "internal error on the core"
	if code != portfolio.CodeInternal {
		msg = err.Error()
	}
	return &wireError{Code: code, Message: msg}
}
