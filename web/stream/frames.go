package stream

import (
	"encoding/json"
	"strconv"
	"sync"

	"github.com/tickerd/tickerd/web/wire"
)

// Error codes of WebSocket error frames (docs/PROTOCOL.md lists them).
// Refused SSE subscriptions are answered by the web package as problems
// carrying these codes or invalid_parameter.
const (
	CodeInvalidJSON    = "invalid_json"          // not a JSON object, or a field of the wrong type
	CodeMissingField   = "missing_field"         // a required field is absent or empty
	CodeInvalidField   = "invalid_field"         // a field has an impossible value
	CodeUnknownType    = "unknown_type"          // the type is not one the server knows
	CodeUnknownSymbol  = "unknown_symbol"        // a symbol is not in the universe
	CodeUnknownChannel = "unknown_channel"       // a channel other than "portfolio"
	CodeTooManySymbols = "too_many_symbols"      // the subscription would exceed max_symbols
	CodeRateLimited    = "rate_limited"          // more than max_messages_per_s
	CodeAlreadyAuthed  = "already_authenticated" // an auth message on an authenticated connection
	CodeInternal       = "internal"              // the server failed; the request may be retried
	CodeNotReady       = "not_ready"             // the quotes are unavailable for now (an edge cannot reach the core)
)

// ChannelPortfolio is the one channel besides symbols: the account's
// valuation, pushed when a held symbol ticks or a trade fills.
const ChannelPortfolio = "portfolio"

// MaxRateMSLimit is the largest max_rate_ms a subscription may ask for.
const MaxRateMSLimit = 60_000

// Message envelopes and their SSE event names.
const (
	quotesPrefix    = `{"type":"quotes","data":[`
	quotesSuffix    = `]}`
	portfolioPrefix = `{"type":"portfolio","data":`
	portfolioSuffix = `}`
	eventQuotes     = "quotes"
	eventPortfolio  = "portfolio"
	eventError      = "error"
	eventReply      = "reply" // WebSocket replies; SSE streams have none
	eventFeed       = "feed"
	// NotReadyText explains a not_ready error: the quotes of a symbol
	// could not be fetched.
	NotReadyText         = "the quotes of these symbols cannot be fetched now; try again shortly"
	portfolioFailureText = "portfolio valuation failed; it is retried until it succeeds"
)

// Frame buffers.
const (
	frameHeadroom    = 10       // room kept in front of a message: the longest WebSocket frame header
	maxPooledFrame   = 64 << 10 // a rare huge frame is not kept in the pool
	maxQueuedReplies = 64       // replies the client has not let us write yet: beyond this it is too slow
)

// framePool recycles the buffers frames are built in. Idle connections
// hold none.
type framePool struct{ p sync.Pool }

func (fp *framePool) get() *[]byte {
	if v := fp.p.Get(); v != nil {
		b := v.(*[]byte)
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

// getFrame returns a buffer holding frameHeadroom bytes for a header.
func (fp *framePool) getFrame() *[]byte {
	b := fp.get()
	*b = append(*b, make([]byte, frameHeadroom)...)
	return b
}

// put recycles b, unless a rare huge frame would pin memory in the pool.
func (fp *framePool) put(b *[]byte) {
	if cap(*b) <= maxPooledFrame {
		fp.p.Put(b)
	}
}

// clientMessage is any client → server message; which fields matter
// depends on Type. Unknown fields are ignored; keys are case-sensitive
// (decodeClientMessage).
type clientMessage struct {
	Type      string                     `json:"type"`
	ID        json.RawMessage            `json:"id"`
	Token     string                     `json:"token"`
	Symbols   []string                   `json:"symbols"`
	Channels  []string                   `json:"channels"`
	MaxRateMS *int64                     `json:"max_rate_ms"`
	Since     map[string]json.RawMessage `json:"since"`
}

// validID reports whether a raw id may be echoed: absent, a number or a
// string.
func validID(id json.RawMessage) bool {
	if len(id) == 0 {
		return true
	}
	c := id[0]
	return c == '"' || c == '-' || (c >= '0' && c <= '9')
}

// appendFrameStart appends {"type":"<typ>" and, when present, ,"id":<id>.
func appendFrameStart(dst []byte, typ string, id json.RawMessage) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, '"')
	if len(id) > 0 {
		dst = append(dst, `,"id":`...)
		dst = append(dst, id...)
	}
	return dst
}

// appendWelcome: {"type":"welcome","user":...,"heartbeat_s":...,"limits":{...}}.
func appendWelcome(dst []byte, user string, c Config) []byte {
	dst = appendFrameStart(dst, "welcome", nil)
	dst = append(dst, `,"user":`...)
	dst = wire.AppendString(dst, user)
	dst = append(dst, `,"heartbeat_s":`...)
	dst = strconv.AppendInt(dst, int64(c.Heartbeat.Seconds()), 10)
	dst = append(dst, `,"limits":{"max_symbols":`...)
	dst = strconv.AppendInt(dst, int64(c.MaxSymbols), 10)
	dst = append(dst, `,"max_message_bytes":`...)
	dst = strconv.AppendInt(dst, int64(c.MaxMessageBytes), 10)
	dst = append(dst, `,"max_messages_per_s":`...)
	dst = strconv.AppendInt(dst, int64(c.MaxMessagesPerS), 10)
	return append(dst, "}}"...)
}

// appendSubscriptions: the whole current set after a change.
func appendSubscriptions(dst []byte, id json.RawMessage, symbols, channels []string) []byte {
	dst = appendFrameStart(dst, "subscriptions", id)
	dst = append(dst, `,"symbols":`...)
	dst = wire.AppendStrings(dst, symbols)
	dst = append(dst, `,"channels":`...)
	dst = wire.AppendStrings(dst, channels)
	return append(dst, '}')
}

// appendError: {"type":"error","id":...,"code":...,"message":...}.
func appendError(dst []byte, id json.RawMessage, code, message string) []byte {
	dst = appendFrameStart(dst, "error", id)
	dst = append(dst, `,"code":`...)
	dst = wire.AppendString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = wire.AppendString(dst, message)
	return append(dst, '}')
}

// appendPong answers a ping message.
func appendPong(dst []byte, id json.RawMessage) []byte {
	return append(appendFrameStart(dst, "pong", id), '}')
}

// appendClose: the SSE close event's data, {"type":"close","code":...,"reason":...}.
func appendClose(dst []byte, code int, reason string) []byte {
	dst = appendFrameStart(dst, "close", nil)
	dst = append(dst, `,"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `,"reason":`...)
	dst = wire.AppendString(dst, reason)
	return append(dst, '}')
}
