package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/tickerd/tickerd/web/wire"
)

// handle answers one client message. Every failure is an error frame; the
// connection stays up.
func (c *wsConn) handle(raw []byte) {
	var m clientMessage
	if err := decodeClientMessage(raw, &m); err != nil {
		c.fail(nil, CodeInvalidJSON, jsonErrorText(err))
		return
	}
	if !validID(m.ID) {
		c.fail(nil, CodeInvalidField, "id must be a number or a string")
		return
	}
	switch m.Type {
	case "":
		c.fail(m.ID, CodeMissingField, `"type" is required`)
	case "ping":
		c.reply(func(b []byte) []byte { return appendPong(b, m.ID) })
	case "subscribe":
		c.subscribe(&m)
	case "unsubscribe":
		c.unsubscribe(&m)
	case "auth":
		c.fail(m.ID, CodeAlreadyAuthed, "this connection is already authenticated")
	default:
		c.fail(m.ID, CodeUnknownType, fmt.Sprintf("unknown message type %q", m.Type))
	}
}

// decodeClientMessage decodes one client message into m. Keys are matched
// exactly: a key repeated, or a known field's name spelt in another case
// ("SYMBOLS", "ſymbols"), is an error rather than a second value; other
// unknown keys are ignored.
func decodeClientMessage(raw []byte, m *clientMessage) error {
	if err := wire.CheckKeys(raw, m, true); err != nil {
		return err
	}
	return json.Unmarshal(raw, m)
}

// jsonErrorText explains why a message did not decode.
func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var key *wire.KeyError
	switch {
	case errors.As(err, &key) && key.Duplicate:
		return fmt.Sprintf("field %q appears more than once", key.Key)
	case errors.As(err, &key):
		return fmt.Sprintf("unknown field %q (field names are case-sensitive)", key.Key)
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return "a message must be a JSON object"
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	}
	return "malformed JSON"
}

// fail queues an error frame.
func (c *wsConn) fail(id json.RawMessage, code, message string) {
	c.reply(func(b []byte) []byte { return appendError(b, id, code, message) })
}

// subscribe adds symbols and channels, all or nothing.
func (c *wsConn) subscribe(m *clientMessage) {
	req := Request{Symbols: m.Symbols, Channels: m.Channels, MaxRateMS: m.MaxRateMS}
	if m.Since != nil {
		req.Since = make(map[string]string, len(m.Since))
		for sym, seq := range m.Since {
			req.Since[sym] = string(seq)
		}
	}
	sub, err := c.reg.Check(req, c.symbols)
	if err != nil {
		c.fail(m.ID, err.Code, err.Message)
		return
	}
	if err := c.reg.deps.want(sub.Symbols); err != nil {
		c.reg.log.Warn("subscribe", "err", err)
		c.fail(m.ID, CodeNotReady, NotReadyText)
		return
	}
	for _, sym := range sub.Symbols {
		c.symbols[sym] = struct{}{}
	}
	newPortfolio := sub.Portfolio && !c.st.portfolio.Load()
	// The reply goes out before the snapshots Subscribe makes pending.
	c.st.replyMu.Lock()
	c.queueSubscriptionsLocked(m.ID, sub.Portfolio || c.st.portfolio.Load(), sub.Alerts || c.st.alerts.Load())
	if sub.Alerts {
		c.st.alerts.Store(true) // alerts fired from now on follow the reply
	}
	c.st.sub.SubscribeSince(sub.Symbols, sub.Every, sub.Since, c.reg.deps.Market.Quote)
	c.st.setQuotesLocked(c.symbols, sub.Every)
	c.st.replyMu.Unlock()
	if newPortfolio {
		c.st.portfolio.Store(true)
		c.st.sub.MarkDirty() // push a first valuation now
	}
	c.st.sub.Wake()
}

// unsubscribe removes symbols and channels, all or nothing.
func (c *wsConn) unsubscribe(m *clientMessage) {
	sub, err := c.reg.parse(Request{Symbols: m.Symbols, Channels: m.Channels})
	if err != nil {
		c.fail(m.ID, err.Code, err.Message)
		return
	}
	for _, sym := range sub.Symbols {
		delete(c.symbols, sym)
	}
	c.st.replyMu.Lock()
	c.st.sub.Unsubscribe(sub.Symbols)
	c.st.setQuotesLocked(c.symbols, c.st.every)
	if sub.Alerts {
		c.st.alerts.Store(false) // none queued after the reply
	}
	c.queueSubscriptionsLocked(m.ID, c.st.portfolio.Load() && !sub.Portfolio, c.st.alerts.Load())
	c.st.replyMu.Unlock()
	if sub.Portfolio {
		c.st.portfolio.Store(false)
	}
	c.st.sub.Wake()
}

// queueSubscriptionsLocked queues the whole current set; replyMu is held.
func (c *wsConn) queueSubscriptionsLocked(id json.RawMessage, portfolio, alerts bool) {
	syms := make([]string, 0, len(c.symbols))
	for sym := range c.symbols {
		syms = append(syms, sym)
	}
	slices.Sort(syms)
	c.st.symbols.Store(int32(len(syms)))
	channels := []string{}
	if alerts {
		channels = append(channels, ChannelAlerts)
	}
	if portfolio {
		channels = append(channels, ChannelPortfolio)
	}
	c.reg.queueReply(c.st, func(b []byte) []byte { return appendSubscriptions(b, id, syms, channels) })
}
