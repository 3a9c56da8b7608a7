package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tickerd/tickerd/feed"
	"github.com/tickerd/tickerd/feed/natsfeed"
	"github.com/tickerd/tickerd/portfolio/natsrpc"
	"github.com/tickerd/tickerd/web"
)

// edgeStartTimeout bounds how long an edge waits at start for a core to
// answer on NATS.
const edgeStartTimeout = 10 * time.Second

// cluster holds the NATS parts of a core or an edge; all nil for -role all.
type cluster struct {
	ns        *server.Server // embedded NATS server (-nats-listen)
	nc        *nats.Conn
	responder *natsrpc.Responder // core
	client    *natsrpc.Client    // edge
}

// connect starts the embedded NATS server if asked and connects to NATS,
// naming the flag at fault when it cannot.
func (m *Main) connect() error {
	cl := m.Config.Cluster
	url := cl.NATSURL
	if cl.NATSListen != "" {
		ns, err := natsfeed.StartServer(cl.NATSListen)
		if err != nil {
			return fmt.Errorf("-nats-listen %s: %w", cl.NATSListen, err)
		}
		m.cluster.ns = ns
		m.log.Info("embedded NATS server", "url", ns.ClientURL())
		if url == "" {
			url = ns.ClientURL()
		}
	}
	nc, err := natsfeed.Connect(url, "tickerd-"+cl.Role, m.log)
	if err != nil {
		if cl.NATSURL == "" {
			return fmt.Errorf("-nats-listen: %w", err)
		}
		return fmt.Errorf("-nats-url: %w", err)
	}
	m.cluster.nc = nc
	m.log.Info("joined NATS", "url", nc.ConnectedUrlRedacted(), "cluster", cl.Name)
	return nil
}

// startCore joins NATS and makes the market publish there too. (Its seqs
// start at the current time in microseconds, as on every node: see
// newMarket.)
func (m *Main) startCore(mcfg *feed.MarketConfig) error {
	if err := m.connect(); err != nil {
		return err
	}
	pub := natsfeed.NewPublisher(m.cluster.nc, m.Config.Cluster.Name, m.log)
	mcfg.Publisher = feed.Publishers{mcfg.Publisher, pub}
	m.corePub = pub
	return nil
}

// serveCore answers the edges' requests and publishes account events and
// heartbeats, once the market exists. The edges' backfills read hub's
// replay history.
func (m *Main) serveCore(ctx context.Context, deps *web.Deps, hub *feed.Hub) error {
	m.corePub.SetMarket(m.market, hub)
	r, err := natsrpc.Serve(m.cluster.nc, m.Config.Cluster.Name, m.store, m.log)
	if err != nil {
		return err
	}
	m.cluster.responder = r
	deps.Events = r
	deps.Collectors = append(natsfeed.ConnCollectors(m.cluster.nc), m.corePub.Collectors()...)
	m.goRun(func() {
		if err := m.corePub.Serve(ctx); err != nil {
			m.done <- fmt.Errorf("cluster: %w", err)
		}
	})
	return nil
}

// startEdge joins NATS, fetches the market from the core and returns the
// web dependencies of an edge: a replica of the market feeding a local
// hub, sessions and holdings through the core, every other route
// forwarded to -core-url.
func (m *Main) startEdge(ctx, runCtx context.Context) (web.Deps, error) {
	cfg := m.Config
	if err := m.connect(); err != nil {
		return web.Deps{}, err
	}
	hub := feed.NewHub(cfg.Hub) // the same history as a core: a client moving between edges resumes by seq
	client := natsrpc.NewClient(m.cluster.nc, cfg.Cluster.Name, 0, 0, m.log)
	m.cluster.client = client
	sctx, cancel := context.WithTimeout(ctx, edgeStartTimeout)
	defer cancel()
	replica, err := natsfeed.NewReplica(sctx, natsfeed.ReplicaConfig{
		Conn: m.cluster.nc, Cluster: cfg.Cluster.Name, Hub: hub, Logger: m.log,
		Interest: &natsfeed.InterestConfig{Hub: hub, Linger: cfg.Cluster.EdgeLinger, Observe: client.Observe},
		Stopped:  func(reason string) { m.server.FeedStopped(reason) },
		Resumed: func(reason string) {
			m.server.FeedResumed(reason)
			m.recheckSessions()
		},
	})
	if errors.Is(err, natsfeed.ErrNoCore) {
		return web.Deps{}, fmt.Errorf("-nats-url: %w within %s; start -role core first, with the same -cluster-name", err, edgeStartTimeout)
	}
	if err != nil {
		return web.Deps{}, fmt.Errorf("-nats-url: %w", err)
	}
	m.log.Info("edge", "core_url", cfg.Cluster.CoreURL, "symbols", len(replica.Symbols()))
	m.goRun(func() {
		select { // Stopped and Resumed need the server
		case <-m.started:
			replica.Run(runCtx)
		case <-runCtx.Done():
		}
	})
	collectors := append(natsfeed.ConnCollectors(m.cluster.nc), replica.Collectors()...)
	return web.Deps{
		Sessions: client, Holdings: client, Market: replica, Hub: hub, Interest: replica,
		CoreURL: cfg.Cluster.CoreURL,
		Ready: func(ctx context.Context) error {
			if err := replica.Ready(ctx); err != nil {
				return err
			}
			if err := client.Ping(ctx); err != nil {
				return fmt.Errorf("the core is not answering: %w", err)
			}
			return nil
		},
		Collectors: append(collectors, client.Collectors()...),
		Logger:     m.log,
	}, nil
}

// recheckSessions closes the edge's streams whose session was revoked
// while it could not hear the core's events.
func (m *Main) recheckSessions() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.cluster.client.Recheck(ctx, m.server); err != nil {
		m.log.Warn("recheck sessions after the feed resumed", "err", err)
	}
}

// attach subscribes an edge to the core's account events, which reach the
// server's streams.
func (c *cluster) attach(s *web.Server) error {
	if c.client == nil {
		return nil
	}
	return c.client.Listen(s)
}

// close stops answering, drains the NATS connection and stops the embedded
// server.
func (c *cluster) close() {
	if c.responder != nil {
		c.responder.Close()
	}
	if c.client != nil {
		c.client.Close()
	}
	if c.nc != nil {
		_ = c.nc.Drain()
		for i := 0; i < 50 && !c.nc.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		c.nc.Close()
	}
	if c.ns != nil {
		c.ns.Shutdown()
		c.ns.WaitForShutdown()
	}
}
