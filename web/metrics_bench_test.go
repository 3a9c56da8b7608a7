package web

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkRequestMetrics runs GET /healthz through the whole middleware
// stack in memory (no socket), with request metrics off and on: the
// difference is what metrics cost a request.
//
//	go test -run '^$' -bench RequestMetrics -benchmem ./web/
func BenchmarkRequestMetrics(b *testing.B) {
	for _, bc := range []struct {
		name string
		off  bool
	}{{"off", true}, {"on", false}} {
		b.Run(bc.name, func(b *testing.B) {
			s := newServer(Config{}, Deps{}, nil) // /healthz needs no store or market
			s.metrics.httpOff = bc.off
			h := s.app.Handler()
			var ctx fasthttp.RequestCtx
			ctx.Request.Header.SetMethod(fasthttp.MethodGet)
			ctx.Request.SetRequestURI("/healthz")
			b.ReportAllocs()
			for b.Loop() {
				ctx.Response.Reset()
				h(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d", ctx.Response.StatusCode())
				}
			}
		})
	}
}

// BenchmarkObserveHTTP is the metrics part alone, from parallel
// goroutines: a cached series lookup, a counter and a histogram.
func BenchmarkObserveHTTP(b *testing.B) {
	s := newServer(Config{}, Deps{}, nil)
	m := s.metrics
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.observeHTTP("GET", "/api/v1/quotes/:symbol/candles", 200, 300*time.Microsecond)
		}
	})
}
