package web

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// connCollectors are the scrape-time views of the connection caps (conns.go).
func connCollectors(t *conns) []prometheus.Collector {
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tickerd_connections_open",
			Help: "TCP connections open on the API listener (HTTP, WebSocket and SSE).",
		}, func() float64 { open, _ := t.stats(); return float64(open) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tickerd_connections_max",
			Help: "The cap on open connections (-max-conns); 0 means none.",
		}, func() float64 { _, maxTotal := t.stats(); return float64(maxTotal) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_connections_evicted_total",
			Help: "Idle connections closed to make room when open connections passed nine tenths of the cap, or accept ran out of descriptors.",
		}, func() float64 { return float64(t.evicted.Load()) }),
	}
	for _, r := range []struct {
		reason string
		n      *atomic.Uint64
	}{{reasonTotal, &t.refusedTotal}, {reasonPerIP, &t.refusedPerIP}, {reasonEMFILE, &t.refusedEMFILE}} {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "tickerd_connections_refused_total",
			Help:        "Connections refused by reason: total (-max-conns reached), per_ip (-max-conns-per-ip reached) or emfile (accept failed for lack of descriptors and was retried later).",
			ConstLabels: prometheus.Labels{"reason": r.reason},
		}, func() float64 { return float64(r.n.Load()) }))
	}
	return cs
}
