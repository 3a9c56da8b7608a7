package main

import (
	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/portfolio"
)

// alertTap is the market's publisher: it hands each batch to the hub
// first, so fan-out never waits for alerts, then shows every tick to the
// alert watch, which never blocks either.
type alertTap struct {
	next  feed.Publisher
	watch *portfolio.AlertWatch
}

var _ feed.Publisher = alertTap{}

// Publish implements feed.Publisher.
func (t alertTap) Publish(batch []feed.Quote) {
	t.next.Publish(batch)
	for i := range batch {
		q := &batch[i]
		t.watch.Observe(q.Symbol, q.Price, q.PrevClose, q.Seq, q.TS)
	}
}
