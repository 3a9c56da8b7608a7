package stream

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tickerd/tickerd/portfolio"
)

// Request is a subscription change as a client asks for it: the fields of
// a WebSocket subscribe or unsubscribe message, or the SSE query.
type Request struct {
	Symbols   []string
	Channels  []string
	MaxRateMS *int64            // nil: not given
	Since     map[string]string // symbol → the last seq the client saw, as it wrote it
}

// Subscription is a Request that passed the rules.
type Subscription struct {
	Symbols   []string          // upper-cased, known, without duplicates, in request order
	Portfolio bool              // the portfolio channel was named
	Alerts    bool              // the alerts channel was named
	Every     time.Duration     // at most one quote per symbol per interval; 0 means every tick
	Since     map[string]uint64 // resume these symbols after the seq given; nil means none
}

// Error is a Request the rules refuse: one of this package's Code*
// constants, the field it is about, and a message for the client.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func refuse(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// QueryRequest reads the SSE query (?symbols=AAPL,MSFT&channels=portfolio
// &max_rate_ms=500&since=AAPL:4211,MSFT:88) into a Request; empty parameters
// are absent ones.
func QueryRequest(symbols, channels, maxRateMS, since string) (Request, *Error) {
	var req Request
	if symbols != "" {
		req.Symbols = strings.Split(symbols, ",")
	}
	for _, ch := range strings.Split(channels, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			req.Channels = append(req.Channels, ch)
		}
	}
	if maxRateMS != "" {
		ms, err := strconv.ParseInt(maxRateMS, 10, 64)
		if err != nil {
			return req, refuse(CodeInvalidField, "max_rate_ms",
				"max_rate_ms must be an integer between 0 and %d", MaxRateMSLimit)
		}
		req.MaxRateMS = &ms
	}
	if since != "" {
		req.Since = make(map[string]string)
		for _, pair := range strings.Split(since, ",") {
			sym, seq, ok := strings.Cut(pair, ":")
			if _, dup := req.Since[sym]; !ok || dup {
				return req, refuse(CodeInvalidField, "since",
					"since must be SYMBOL:SEQ pairs separated by commas, each symbol once")
			}
			req.Since[sym] = seq
		}
	}
	return req, nil
}

// Check applies the subscription rules to req, all or nothing: something
// must be named, max_rate_ms lies in [0, MaxRateMSLimit], every symbol is
// a known ticker (case and surrounding space ignored), every channel is
// "portfolio", and current (the symbols the connection already has; nil
// for none) plus the new symbols stay within MaxSymbols.
func (r *Registry) Check(req Request, current map[string]struct{}) (Subscription, *Error) {
	sub, err := r.parse(req)
	if err != nil {
		return sub, err
	}
	n := len(current)
	for _, sym := range sub.Symbols {
		if _, have := current[sym]; !have {
			n++
		}
	}
	if n > r.cfg.MaxSymbols {
		return Subscription{}, refuse(CodeTooManySymbols, "symbols",
			"at most %d symbols per connection (this would make %d)", r.cfg.MaxSymbols, n)
	}
	return sub, nil
}

// parse applies every rule of Check but the symbol count (an unsubscribe
// has none). A refused request gives the zero Subscription.
func (r *Registry) parse(req Request) (Subscription, *Error) {
	var sub Subscription
	if len(req.Symbols) == 0 && len(req.Channels) == 0 {
		return sub, refuse(CodeMissingField, "symbols", `"symbols" or "channels" is required`)
	}
	if ms := req.MaxRateMS; ms != nil {
		if *ms < 0 || *ms > MaxRateMSLimit {
			return sub, refuse(CodeInvalidField, "max_rate_ms",
				"max_rate_ms must be an integer between 0 and %d", MaxRateMSLimit)
		}
		sub.Every = time.Duration(*ms) * time.Millisecond
	}
	syms, err := r.checkSymbols(req.Symbols)
	if err != nil {
		return Subscription{}, err
	}
	for _, ch := range req.Channels {
		switch ch {
		case ChannelPortfolio:
			sub.Portfolio = true
		case ChannelAlerts:
			sub.Alerts = true
		default:
			return Subscription{}, refuse(CodeUnknownChannel, "channels", "unknown channel %q (known: %q, %q)",
				ch, ChannelPortfolio, ChannelAlerts)
		}
	}
	sub.Symbols = syms
	if sub.Since, err = checkSince(req.Since, syms); err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

// checkSince reads the seqs a resuming client gives: each names one of
// symbols (already normalized; case and surrounding space ignored here too)
// and is a decimal integer in the range of a seq.
func checkSince(since map[string]string, symbols []string) (map[string]uint64, *Error) {
	if len(since) == 0 {
		return nil, nil
	}
	out := make(map[string]uint64, len(since))
	for raw, text := range since {
		sym := portfolio.NormalizeSymbol(raw)
		if !slices.Contains(symbols, sym) {
			return nil, refuse(CodeInvalidField, "since", "since names %q, which is not among the symbols of the request", raw)
		}
		if _, dup := out[sym]; dup {
			return nil, refuse(CodeInvalidField, "since", "since names %q more than once", sym)
		}
		seq, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return nil, refuse(CodeInvalidField, "since", "since of %q must be a seq (a non-negative integer)", sym)
		}
		out[sym] = seq
	}
	return out, nil
}

// checkSymbols normalizes (portfolio.NormalizeSymbol: ASCII only) and
// de-duplicates symbols, failing on the first
// empty or unknown one.
func (r *Registry) checkSymbols(symbols []string) ([]string, *Error) {
	out := make([]string, 0, len(symbols))
	for _, raw := range symbols {
		sym := portfolio.NormalizeSymbol(raw)
		if sym == "" {
			return nil, refuse(CodeInvalidField, "symbols", "symbols must not contain empty entries")
		}
		if _, ok := r.deps.Market.Lookup(sym); !ok {
			return nil, refuse(CodeUnknownSymbol, "symbols", "unknown symbol %q", raw)
		}
		if !slices.Contains(out, sym) {
			out = append(out, sym)
		}
	}
	return out, nil
}
