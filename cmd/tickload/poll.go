package main

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// poller is one polling client's connection state: a keep-alive HTTP/1.1
// socket it reopens when the server closes it.
type poller struct {
	e      *env
	i      int
	st     *clientStats
	conn   *countingConn
	br     *bufio.Reader
	req    []byte // the request without If-None-Match and the final CRLF
	etag   string
	body   []byte
	newest int64 // newest ts seen so far, Unix ms; 0 before the first answer
}

// runPoll is one polling client: GET /api/v1/quotes?symbols=... every
// interval with If-None-Match. Each answer records staleness (receipt time
// minus the newest ts the client now holds); each quote newer than anything
// seen before counts as a delivered update, and its age is its latency.
func (e *env) runPoll(ctx context.Context, i int, st *clientStats) {
	full := e.request("/api/v1/quotes?symbols="+e.syms[i], i, "")
	p := &poller{e: e, i: i, st: st, req: full[:len(full)-2], body: make([]byte, 0, 4096)}
	defer p.closeConn()

	// Start at a random point of the interval so clients don't poll in step.
	rng := rand.New(rand.NewPCG(uint64(i), uint64(e.cfg.Seed)))
	timer := time.NewTimer(time.Duration(rng.Int64N(int64(e.cfg.Interval))))
	defer timer.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			if first {
				e.attempt(false)
			}
			return
		case <-timer.C:
		}
		start := time.Now()
		err := p.poll(ctx)
		if first {
			first = false
			e.attempt(err == nil)
			if err != nil {
				return
			}
			e.col.open.Add(1)
			defer e.col.open.Add(-1)
		}
		timer.Reset(max(e.cfg.Interval-time.Since(start), 0))
	}
}

// poll makes one request, reopening the connection if needed, and accounts
// for the answer. Errors are counted in st and returned.
func (p *poller) poll(ctx context.Context) error {
	if p.conn == nil {
		c, err := p.e.dialer.dial(ctx, p.i, p.e.clk)
		if err != nil {
			if ctx.Err() == nil {
				p.st.fail("dial")
			}
			return err
		}
		p.conn = c
		p.br = bufio.NewReaderSize(c, 2048)
	}
	_ = p.conn.SetDeadline(time.Now().Add(p.e.cfg.Timeout))
	req := p.req
	if p.etag != "" {
		req = append(append(append(req[:len(req):len(req)], "If-None-Match: "...), p.etag...), "\r\n"...)
	}
	req = append(req[:len(req):len(req)], "\r\n"...)
	if _, err := p.conn.Write(req); err != nil {
		return p.broken(ctx, "http_write", err)
	}
	resp, err := http.ReadResponse(p.br, nil)
	if err != nil {
		return p.broken(ctx, "http_read", err)
	}
	p.body, err = readAllInto(resp.Body, p.body[:0])
	resp.Body.Close()
	if err != nil {
		return p.broken(ctx, "http_read", err)
	}
	if resp.Close {
		p.closeConn()
		p.st.reconnects++
	}
	now := time.Now().UnixNano()
	ph := p.e.clk.now()
	p.st.requests[ph]++
	switch resp.StatusCode {
	case http.StatusOK:
		p.etag = resp.Header.Get("ETag")
		p.answer(now, ph)
	case http.StatusNotModified:
		p.st.notModified[ph]++
	default:
		p.st.fail("http_" + strconv.Itoa(resp.StatusCode))
		return errStatus
	}
	if ph == phaseMeasure && p.newest > 0 {
		p.e.stale[p.i%len(p.e.stale)].Record(time.Duration(now - p.newest*int64(time.Millisecond)))
	}
	return nil
}

// answer accounts for a 200 body: the first answer is the client's snapshot;
// later ones deliver the quotes newer than anything seen before (at most
// one per symbol per poll: polling conflates by nature).
func (p *poller) answer(now int64, ph phase) {
	prev := p.newest
	h := p.e.lat[p.i%len(p.e.lat)]
	n := 0
	scanQuotes(p.body, func(q scannedQuote) {
		ts := q.ts
		if ts > p.newest {
			p.newest = ts
		}
		if prev == 0 {
			p.st.snapshots++
			return
		}
		if ts > prev {
			n++
			if ph == phaseMeasure {
				h.Record(time.Duration(now - ts*int64(time.Millisecond)))
			}
		}
	})
	if n > 0 {
		p.st.quotes[ph] += int64(n)
		p.st.frames[ph]++
	}
}

type statusError struct{}

func (statusError) Error() string { return "unexpected HTTP status" }

var errStatus error = statusError{}

// broken closes a failed connection; the next poll opens a new one.
func (p *poller) broken(ctx context.Context, kind string, err error) error {
	p.closeConn()
	if ctx.Err() == nil && err != io.EOF {
		p.st.fail(kind)
	}
	if err == io.EOF && ctx.Err() == nil {
		p.st.reconnects++ // the server closed an idle keep-alive socket
	}
	return err
}

func (p *poller) closeConn() {
	if p.conn != nil {
		p.st.addBytes(p.conn)
		p.conn.Close()
		p.conn = nil
	}
}
