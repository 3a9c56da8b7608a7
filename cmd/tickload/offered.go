package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The exact offered figure. The server's ticks are random, so the nominal
// "subscriptions × tick rate × window" misses the ticks it really produced
// by a few percent either way. Every quote of a symbol (tick or status
// change) has seq one above the last, so the server's seqs as the window
// opens (s0) and as it closes (s1) say exactly what it offered each
// subscription: s1 - s0 quotes. What a client received of those is counted
// from its own seqs (symbolSeq.deliveredIn), after a short settling time in
// which ticks still in flight arrive.

// windowSeqs are the server's seq of every symbol as the window opened and
// closed; err says why they are missing.
type windowSeqs struct {
	s0, s1 map[string]int64
	err    error
}

// newWindowSeqs is ready to read the seqs of a stream mode's window; poll
// mode has no offered figure.
func newWindowSeqs(mode string) *windowSeqs {
	if mode == modePoll {
		return &windowSeqs{err: errors.New("not read in poll mode")}
	}
	return &windowSeqs{}
}

// windowClient is a client that was connected when its stats were
// collected after the window opened, and the seqs it saw.
type windowClient struct {
	client int
	syms   []symbolSeq
}

// serverSeqs reads every symbol's seq from GET /api/v1/quotes, which needs
// no session.
func (rc *restClient) serverSeqs(ctx context.Context) (map[string]int64, error) {
	status, body, err := rc.do(ctx, 0, http.MethodGet, "/api/v1/quotes", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/quotes: status %d: %s", status, bytes.TrimSpace(body))
	}
	var v struct {
		Quotes []struct {
			Symbol string `json:"symbol"`
			Seq    int64  `json:"seq"`
		} `json:"quotes"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("GET /api/v1/quotes: %w", err)
	}
	out := make(map[string]int64, len(v.Quotes))
	for _, q := range v.Quotes {
		out[q.Symbol] = q.Seq
	}
	return out, nil
}

// read stores the server's seqs in *into unless an earlier read failed.
func (w *windowSeqs) read(ctx context.Context, rc *restClient, into *map[string]int64) {
	if w.err == nil {
		*into, w.err = rc.serverSeqs(ctx)
	}
}

// settle keeps the clients reading for d after the window, so that ticks
// the server produced in the window and still in flight are received.
func settle(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// exact fills d's offered figures: what the server produced in the window
// for the subscriptions of every client connected when it opened, and how
// much of it those clients received.
func (e *env) exact(d *Delivery, w *windowSeqs, clients []windowClient) {
	if w.err != nil {
		d.OfferedNA = w.err.Error()
		return
	}
	for _, c := range clients {
		if e.syms[c.client] == "" {
			continue // an idle connection
		}
		for _, sym := range strings.Split(e.syms[c.client], ",") {
			s0, ok0 := w.s0[sym]
			s1, ok1 := w.s1[sym]
			if !ok0 || !ok1 {
				d.OfferedNA = fmt.Sprintf("symbol %s missing from GET /api/v1/quotes", sym)
				d.Offered, d.OfferedDelivered = 0, 0
				return
			}
			d.Offered += s1 - s0
			for i := range c.syms {
				if c.syms[i].symbol == sym {
					d.OfferedDelivered += c.syms[i].deliveredIn(s0, s1)
					break
				}
			}
		}
	}
	d.DeliveredOfferedPct = 100 * ratio(float64(d.OfferedDelivered), float64(d.Offered))
}
