package natsfeed

import (
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// ConnCollectors are the metrics of a node's NATS connection.
func ConnCollectors(nc *nats.Conn) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tickerd_cluster_nats_connected",
			Help: "1 while this node is connected to NATS, 0 while it is not.",
		}, func() float64 {
			if nc.IsConnected() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_nats_reconnects_total",
			Help: "Times this node reconnected to NATS.",
		}, func() float64 { return float64(nc.Stats().Reconnects) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_nats_in_bytes_total",
			Help: "Bytes this node received from NATS.",
		}, func() float64 { return float64(nc.Stats().InBytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_nats_out_bytes_total",
			Help: "Bytes this node sent to NATS.",
		}, func() float64 { return float64(nc.Stats().OutBytes) }),
	}
}

// Collectors are the core publisher's metrics.
func (p *Publisher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_ticks_published_total",
			Help: "Ticks the core handed to NATS.",
		}, func() float64 { return float64(p.published.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_ticks_publish_failed_total",
			Help: "Ticks the NATS client refused (e.g. its reconnect buffer was full).",
		}, func() float64 { return float64(p.failed.Load()) }),
	}
}

// Collectors are an edge replica's metrics.
func (r *Replica) Collectors() []prometheus.Collector {
	cs := r.feedCollectors()
	if r.cfg.Interest != nil {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tickerd_cluster_interest_symbols",
			Help: "Symbols whose ticks this edge receives: some stream or quote read used them within the linger period.",
		}, func() float64 { return float64(r.in.n.Load()) }))
	}
	return cs
}

func (r *Replica) feedCollectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_ticks_received_total",
			Help: "Ticks this edge received from the core.",
		}, func() float64 { return float64(r.received.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_ticks_stale_total",
			Help: "Ticks dropped because a newer quote of the symbol was already held.",
		}, func() float64 { return float64(r.stale.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tickerd_cluster_feed_resyncs_total",
			Help: "Times this edge fetched every latest quote again after an interruption.",
		}, func() float64 { return float64(r.resyncs.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tickerd_cluster_feed_up",
			Help: "1 while quotes flow from the core, 0 while the feed is interrupted.",
		}, func() float64 {
			if r.up.Load() {
				return 1
			}
			return 0
		}),
	}
}
