// Package natsfeed carries the price feed of a tickerd cluster over NATS:
// the core publishes every tick and a heartbeat and answers for the whole
// market; an edge keeps a replica of the latest quotes, fed into its own
// Hub. It also connects to NATS and runs an embedded NATS server. Subjects
// and payloads are documented in docs/CLUSTER.md.
package natsfeed

import (
	"strconv"

	"github.com/tickerd/tickerd/feed"
)

// Subjects, each under the cluster's name: <cluster>.ticks.<SYMBOL>,
// <cluster>.core.heartbeat, <cluster>.rpc.market.
const (
	ticksToken     = ".ticks."
	heartbeatToken = ".core.heartbeat"
	marketToken    = ".rpc.market"
)

// TicksSubject is the subject of one symbol's ticks.
func TicksSubject(cluster, symbol string) string { return cluster + ticksToken + symbol }

// appendQuote appends q as the JSON of feed.Quote's fields (prices in
// integer cents), the payload of a tick.
func appendQuote(dst []byte, q *feed.Quote) []byte {
	dst = append(dst, `{"symbol":`...)
	dst = strconv.AppendQuote(dst, q.Symbol)
	dst = append(dst, `,"price":`...)
	dst = strconv.AppendInt(dst, q.Price, 10)
	dst = append(dst, `,"prev_close":`...)
	dst = strconv.AppendInt(dst, q.PrevClose, 10)
	dst = append(dst, `,"open":`...)
	dst = strconv.AppendInt(dst, q.Open, 10)
	dst = append(dst, `,"high":`...)
	dst = strconv.AppendInt(dst, q.High, 10)
	dst = append(dst, `,"low":`...)
	dst = strconv.AppendInt(dst, q.Low, 10)
	dst = append(dst, `,"volume":`...)
	dst = strconv.AppendInt(dst, q.Volume, 10)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, q.TS, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, q.Seq, 10)
	return append(dst, '}')
}

// heartbeat is the core's periodic sign of life. Instance changes when the
// core restarts.
type heartbeat struct {
	Instance string `json:"instance"`
	Ticks    uint64 `json:"ticks"`
}

// marketReply answers <cluster>.rpc.market: the universe and every latest
// quote. Error is set instead when the core cannot answer.
type marketReply struct {
	Instance string        `json:"instance"`
	Symbols  []feed.Symbol `json:"symbols"`
	Quotes   []feed.Quote  `json:"quotes"`
	Error    string        `json:"error,omitempty"`
}
