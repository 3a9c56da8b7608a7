// Package natsfeed carries the price feed of a tickerd cluster over NATS:
// the core publishes every tick and a heartbeat and answers for the whole
// market; an edge keeps a replica of the latest quotes, fed into its own
// Hub. It also connects to NATS and runs an embedded NATS server. Subjects
// and payloads are documented in docs/CLUSTER.md.
package natsfeed

import (
	"encoding/json"

	"github.com/tickerd/tickerd/feed"
)

// Subjects, each under the cluster's name: <cluster>.ticks.<SYMBOL>,
// <cluster>.core.heartbeat, <cluster>.rpc.market, <cluster>.rpc.backfill.
const (
	ticksToken     = ".ticks."
	heartbeatToken = ".core.heartbeat"
	marketToken    = ".rpc.market"
	backfillToken  = ".rpc.backfill"
)

// TicksSubject is the subject of one symbol's ticks.
func TicksSubject(cluster, symbol string) string { return cluster + ticksToken + symbol }

// encodeQuote is a tick's payload: q as encoding/json writes feed.Quote
// (its struct tags; prices in integer cents), so a field added to Quote
// crosses the wire without a change here.
func encodeQuote(q *feed.Quote) ([]byte, error) { return json.Marshal(q) }

// heartbeat is the core's periodic sign of life. Instance changes when the
// core restarts.
type heartbeat struct {
	Instance   string `json:"instance"`
	Ticks      uint64 `json:"ticks"`
	SessionDay int64  `json:"session_day"` // the market's simulated day (feed.Market.SessionDay)
}

// marketReply answers <cluster>.rpc.market: the universe and every latest
// quote. Error is set instead when the core cannot answer.
type marketReply struct {
	Instance string        `json:"instance"`
	Symbols  []feed.Symbol `json:"symbols"`
	Quotes   []feed.Quote  `json:"quotes"`
	// SessionDay is the market's simulated day, as in the heartbeat.
	SessionDay int64  `json:"session_day"`
	Error      string `json:"error,omitempty"`
}

// backfillRequest asks <cluster>.rpc.backfill for some symbols' ticks;
// with LatestOnly, for their latest quotes alone (no history).
type backfillRequest struct {
	Symbols    []string `json:"symbols"`
	LatestOnly bool     `json:"latest_only,omitempty"`
}

// backfillReply answers <cluster>.rpc.backfill: for each symbol asked
// (unknown ones are left out), the ticks the core holds for replay and its
// latest quote, oldest first, so an edge that starts receiving the symbol
// serves its snapshot and its resumes as the core would. When all of them
// would not fit in one NATS message, Next is the index in the request's
// symbols of the first one left out: the edge asks again from there.
// Error is set instead when the core cannot answer.
type backfillReply struct {
	Instance string       `json:"instance"`
	Ticks    []feed.Quote `json:"ticks"`
	Next     int          `json:"next,omitempty"`
	Error    string       `json:"error,omitempty"`
}
