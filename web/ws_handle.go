package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// handle answers one client message. Every failure is an error frame; the
// connection stays up.
func (c *wsConn) handle(raw []byte) {
	var m clientMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		c.fail(nil, wsInvalidJSON, jsonErrorText(err))
		return
	}
	if !validID(m.ID) {
		c.fail(nil, wsInvalidField, "id must be a number or a string")
		return
	}
	switch m.Type {
	case "":
		c.fail(m.ID, wsMissingField, `"type" is required`)
	case "ping":
		c.reply(func(b []byte) []byte { return appendPong(b, m.ID) })
	case "subscribe":
		c.subscribe(&m)
	case "unsubscribe":
		c.unsubscribe(&m)
	case "auth":
		c.fail(m.ID, wsAlreadyAuthed, "this connection is already authenticated")
	default:
		c.fail(m.ID, wsUnknownType, fmt.Sprintf("unknown message type %q", m.Type))
	}
}

// jsonErrorText explains a decoding error the way the REST API does.
func jsonErrorText(err error) string { return jsonProblem(err).detail }

// fail queues an error frame.
func (c *wsConn) fail(id json.RawMessage, code, message string) {
	c.reply(func(b []byte) []byte { return appendError(b, id, code, message) })
}

// checkSymbols upper-cases and de-duplicates symbols, failing on the first
// unknown one.
func (c *wsConn) checkSymbols(m *clientMessage) ([]string, bool) {
	out := make([]string, 0, len(m.Symbols))
	for _, raw := range m.Symbols {
		sym := strings.ToUpper(strings.TrimSpace(raw))
		if _, ok := c.srv.market.Lookup(sym); !ok {
			c.fail(m.ID, wsUnknownSymbol, fmt.Sprintf("unknown symbol %q", raw))
			return nil, false
		}
		if !slices.Contains(out, sym) {
			out = append(out, sym)
		}
	}
	return out, true
}

// checkChannels accepts only "portfolio"; it reports whether it was named.
func (c *wsConn) checkChannels(m *clientMessage) (portfolio, ok bool) {
	for _, ch := range m.Channels {
		if ch != channelPortfolio {
			c.fail(m.ID, wsUnknownChannel, fmt.Sprintf("unknown channel %q (known: %q)", ch, channelPortfolio))
			return false, false
		}
		portfolio = true
	}
	return portfolio, true
}

// subscribe adds symbols and channels, all or nothing.
func (c *wsConn) subscribe(m *clientMessage) {
	if len(m.Symbols) == 0 && len(m.Channels) == 0 {
		c.fail(m.ID, wsMissingField, `subscribe needs "symbols" or "channels"`)
		return
	}
	var every time.Duration
	if m.MaxRateMS != nil {
		if *m.MaxRateMS < 0 || *m.MaxRateMS > maxRateMSLimit {
			c.fail(m.ID, wsInvalidField, fmt.Sprintf("max_rate_ms must be between 0 and %d", maxRateMSLimit))
			return
		}
		every = time.Duration(*m.MaxRateMS) * time.Millisecond
	}
	syms, ok := c.checkSymbols(m)
	if !ok {
		return
	}
	wantPortfolio, ok := c.checkChannels(m)
	if !ok {
		return
	}
	n := len(c.symbols)
	for _, sym := range syms {
		if _, have := c.symbols[sym]; !have {
			n++
		}
	}
	if n > c.lim.maxSymbols {
		c.fail(m.ID, wsTooManySymbols, fmt.Sprintf("at most %d symbols per connection (this would make %d)", c.lim.maxSymbols, n))
		return
	}
	for _, sym := range syms {
		c.symbols[sym] = struct{}{}
	}
	newPortfolio := wantPortfolio && !c.st.portfolio.Load()
	// The reply goes out before the snapshots Subscribe makes pending.
	c.opMu.Lock()
	c.queueSubscriptionsLocked(m.ID, wantPortfolio || c.st.portfolio.Load())
	c.st.sub.Subscribe(syms, every, c.srv.market.Quote)
	c.opMu.Unlock()
	if newPortfolio {
		c.st.portfolio.Store(true)
		c.st.sub.MarkDirty() // push a first valuation now
	}
	c.st.sub.Wake()
}

// unsubscribe removes symbols and channels, all or nothing.
func (c *wsConn) unsubscribe(m *clientMessage) {
	if len(m.Symbols) == 0 && len(m.Channels) == 0 {
		c.fail(m.ID, wsMissingField, `unsubscribe needs "symbols" or "channels"`)
		return
	}
	syms, ok := c.checkSymbols(m)
	if !ok {
		return
	}
	dropPortfolio, ok := c.checkChannels(m)
	if !ok {
		return
	}
	for _, sym := range syms {
		delete(c.symbols, sym)
	}
	c.opMu.Lock()
	c.st.sub.Unsubscribe(syms)
	c.queueSubscriptionsLocked(m.ID, c.st.portfolio.Load() && !dropPortfolio)
	c.opMu.Unlock()
	if dropPortfolio {
		c.st.portfolio.Store(false)
	}
	c.st.sub.Wake()
}

// queueSubscriptionsLocked queues the whole current set; opMu is held.
func (c *wsConn) queueSubscriptionsLocked(id json.RawMessage, portfolio bool) {
	syms := make([]string, 0, len(c.symbols))
	for sym := range c.symbols {
		syms = append(syms, sym)
	}
	slices.Sort(syms)
	c.st.setSymbols(len(syms))
	channels := []string{}
	if portfolio {
		channels = append(channels, channelPortfolio)
	}
	c.queueLocked(func(b []byte) []byte { return appendSubscriptions(b, id, syms, channels) })
}
