package stream

import "time"

// Config holds the stream limits; the welcome frame announces the ones a
// client must respect. Zero values mean the defaults below.
type Config struct {
	Heartbeat        time.Duration // server ping (SSE: keep-alive) interval
	MaxSymbols       int           // symbols per connection
	MaxMessageBytes  int           // inbound WebSocket frame limit
	MaxMessagesPerS  int           // inbound WebSocket messages per second
	MaxConnsPerUser  int           // open streams per account
	MaxConnsPerIP    int           // open streams per client address
	SlowClientWindow time.Duration // how long a client may stay behind before close 1013

	// AuthTimeout is how long a WebSocket upgraded without credentials may
	// take to send its auth message.
	AuthTimeout time.Duration
	// WriteWait is how long one frame may take to reach the socket before
	// the connection is dropped.
	WriteWait time.Duration
}

// Defaults of Config.
const (
	DefaultHeartbeat        = 20 * time.Second
	DefaultMaxSymbols       = 200
	DefaultMaxMessageBytes  = 4096
	DefaultMaxMessagesPerS  = 20
	DefaultMaxConnsPerUser  = 20
	DefaultMaxConnsPerIP    = 100
	DefaultSlowClientWindow = 10 * time.Second
	DefaultAuthTimeout      = 5 * time.Second
	DefaultWriteWait        = 10 * time.Second
)

// WithDefaults returns c with every zero (or negative) field set to its
// default. It is the only place the defaults are applied.
func (c Config) WithDefaults() Config {
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pickD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pickD(&c.Heartbeat, DefaultHeartbeat)
	pick(&c.MaxSymbols, DefaultMaxSymbols)
	pick(&c.MaxMessageBytes, DefaultMaxMessageBytes)
	pick(&c.MaxMessagesPerS, DefaultMaxMessagesPerS)
	pick(&c.MaxConnsPerUser, DefaultMaxConnsPerUser)
	pick(&c.MaxConnsPerIP, DefaultMaxConnsPerIP)
	pickD(&c.SlowClientWindow, DefaultSlowClientWindow)
	pickD(&c.AuthTimeout, DefaultAuthTimeout)
	pickD(&c.WriteWait, DefaultWriteWait)
	return c
}

// Fixed protocol timings.
const (
	storeTimeout      = 10 * time.Second       // for a store call made by a stream
	closeGrace        = 2 * time.Second        // for the peer to answer our close frame
	portfolioInterval = 250 * time.Millisecond // at most 4 portfolio pushes a second
	silentHeartbeats  = 3                      // heartbeats without any frame from the client before closing
	sseRetryMS        = 3000                   // reconnection delay suggested to EventSource clients
)

// Close codes beyond RFC 6455's, and the RFC's that streams send. SSE
// streams report the same codes in their close event.
const (
	CloseNormal           = 1000
	CloseGoingAway        = 1001 // server shutting down
	closeAbnormal         = 1006 // counted for a stream that ended without a close frame
	CloseInvalidPayload   = 1007 // a text message that is not valid UTF-8 (RFC 6455 section 8.1)
	ClosePolicyViolation  = 1008 // connection caps, message rate
	CloseMessageTooBig    = 1009
	CloseInternal         = 1011
	CloseTooSlow          = 1013 // the client fell too far behind
	CloseUnauthorized     = 4001 // no, invalid, revoked or expired credentials
	CloseHeartbeatTimeout = 4002 // the client stayed silent for 3 heartbeats
)
