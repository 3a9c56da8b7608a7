package web

import (
	"encoding/json"
	"strconv"
)

// Error codes of WebSocket error frames (PROTOCOL.md lists them).
const (
	wsInvalidJSON       = "invalid_json"          // not a JSON object, or a field of the wrong type
	wsMissingField      = "missing_field"         // a required field is absent or empty
	wsInvalidField      = "invalid_field"         // a field has an impossible value
	wsUnknownType       = "unknown_type"          // the type is not one the server knows
	wsUnknownSymbol     = "unknown_symbol"        // a symbol is not in the universe
	wsUnknownChannel    = "unknown_channel"       // a channel other than "portfolio"
	wsTooManySymbols    = "too_many_symbols"      // the subscription would exceed max_symbols
	wsRateLimited       = "rate_limited"          // more than max_messages_per_s
	wsAlreadyAuthed     = "already_authenticated" // an auth message on an authenticated connection
	wsInternal          = "internal"              // the server failed; the request may be retried
	channelPortfolio    = "portfolio"
	maxRateMSLimit      = 60_000
	upgradeRequiredCode = "upgrade_required" // 426 problem: GET /api/v1/ws without a WebSocket handshake
)

// clientMessage is any client → server message; which fields matter
// depends on Type. Unknown fields are ignored.
type clientMessage struct {
	Type      string          `json:"type"`
	ID        json.RawMessage `json:"id"`
	Token     string          `json:"token"`
	Symbols   []string        `json:"symbols"`
	Channels  []string        `json:"channels"`
	MaxRateMS *int64          `json:"max_rate_ms"`
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

// appendJSONString appends s as a JSON string. s is valid UTF-8 (it came
// from encoding/json or from the server itself).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func appendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

// appendWelcome: {"type":"welcome","user":...,"heartbeat_s":...,"limits":{...}}.
func appendWelcome(dst []byte, user string, l streamLimits) []byte {
	dst = appendFrameStart(dst, "welcome", nil)
	dst = append(dst, `,"user":`...)
	dst = appendJSONString(dst, user)
	dst = append(dst, `,"heartbeat_s":`...)
	dst = strconv.AppendInt(dst, int64(l.heartbeat.Seconds()), 10)
	dst = append(dst, `,"limits":{"max_symbols":`...)
	dst = strconv.AppendInt(dst, int64(l.maxSymbols), 10)
	dst = append(dst, `,"max_message_bytes":`...)
	dst = strconv.AppendInt(dst, int64(l.maxMessageBytes), 10)
	dst = append(dst, `,"max_messages_per_s":`...)
	dst = strconv.AppendInt(dst, int64(l.maxMessagesPerS), 10)
	return append(dst, "}}"...)
}

// appendSubscriptions: the whole current set after a change.
func appendSubscriptions(dst []byte, id json.RawMessage, symbols, channels []string) []byte {
	dst = appendFrameStart(dst, "subscriptions", id)
	dst = append(dst, `,"symbols":`...)
	dst = appendStrings(dst, symbols)
	dst = append(dst, `,"channels":`...)
	dst = appendStrings(dst, channels)
	return append(dst, '}')
}

// appendError: {"type":"error","id":...,"code":...,"message":...}.
func appendError(dst []byte, id json.RawMessage, code, message string) []byte {
	dst = appendFrameStart(dst, "error", id)
	dst = append(dst, `,"code":`...)
	dst = appendJSONString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, message)
	return append(dst, '}')
}

// appendPong answers a ping message.
func appendPong(dst []byte, id json.RawMessage) []byte {
	return append(appendFrameStart(dst, "pong", id), '}')
}
