package natsrpc

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tickerd/tickerd/portfolio"
)

// BenchmarkAuthenticateThroughCore is an edge's session check when the
// cache misses: a NATS round trip to a responder on a real SQLite store
// (the core's cost per new stream), many checks in flight at once.
func BenchmarkAuthenticateThroughCore(b *testing.B) {
	ctx := context.Background()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		b.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		b.Fatal("nats server not ready")
	}
	defer ns.Shutdown()
	store, err := portfolio.Open(ctx, filepath.Join(b.TempDir(), "t.db"), portfolio.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Register(ctx, "alice", "correct horse 1"); err != nil {
		b.Fatal(err)
	}
	token, _, err := store.Login(ctx, "alice", "correct horse 1")
	if err != nil {
		b.Fatal(err)
	}
	coreNC, _ := nats.Connect(ns.ClientURL())
	edgeNC, _ := nats.Connect(ns.ClientURL())
	defer coreNC.Close()
	defer edgeNC.Close()
	r, err := Serve(coreNC, "bench", store, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	c := NewClient(edgeNC, "bench", 0, 0, nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var rep authReply
			if err := c.request(ctx, "auth", "bench"+authToken, authRequest{Token: token}, &rep); err != nil || rep.Session == nil {
				b.Errorf("auth: %v %+v", err, rep.Error)
				return
			}
		}
	})
}
