package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one run, printed as a table and written as JSON.
// Rates and per-quote figures cover the measurement window only (after all
// clients have connected), unless a field says "total".
type Report struct {
	Config    Config       `json:"config"`
	Started   time.Time    `json:"started"`
	WindowS   float64      `json:"window_s"`
	Clients   ClientCounts `json:"clients"`
	Accounts  int          `json:"accounts"`
	OpenFiles OpenFiles    `json:"open_files"`
	Quotes    QuoteCounts  `json:"quotes"`
	Scenario  *ScenarioRun `json:"scenario,omitempty"` // with -scenario-event: the event the window covers
	Delivery  *Delivery    `json:"delivery,omitempty"` // ws/sse: delivered against expected, and what went missing
	// TickRateFrom says where Delivery's tick rate came from: "-tick-rate"
	// or "GET /api/v1/market" (its ticks_per_second times its speed).
	TickRateFrom string      `json:"tick_rate_from,omitempty"`
	Latency      Percentiles `json:"latency_ms"` // ws/sse: tick ts to receipt; poll: age of each new quote
	// ws/sse, without the server's clock: each tick's receipts measured
	// from its first receipt by any client (the fan-out's spread), and
	// that first receipt measured from ts (which ts's truncation to the
	// millisecond inflates by up to 1 ms).
	Spread       *Percentiles     `json:"spread_ms,omitempty"`
	FirstLatency *Percentiles     `json:"first_latency_ms,omitempty"`
	Staleness    *Percentiles     `json:"staleness_ms,omitempty"` // poll: receipt minus newest ts held, per answer
	Bytes        ByteCounts       `json:"bytes"`
	HTTP         *HTTPCounts      `json:"http,omitempty"` // poll only
	Errors       map[string]int64 `json:"errors"`         // by kind; empty means a clean run
	ErrorsN      int64            `json:"errors_total"`
	Closes       map[int]int64    `json:"closes_by_code"`    // WebSocket closes the server sent during the run
	Server       *ServerUsage     `json:"server,omitempty"`  // with -server-pid
	ToolCPUS     float64          `json:"tool_cpu_s"`        // the load tool's own CPU over the whole run
	ToolCPU      ToolCPU          `json:"tool_cpu_window"`   // the load tool's own CPU in the window
	Forward      *ForwardStats    `json:"forward,omitempty"` // with -centrifugo: the ticks relayed to it
}

// ToolCPU is what the load tool itself cost in the window, to judge how much
// it competes with the server for the machine.
type ToolCPU struct {
	S          float64 `json:"s"`
	Pct        float64 `json:"pct"`          // of one core
	UsPerFrame float64 `json:"us_per_frame"` // per frame, event or answer carrying updates
}

// ClientCounts says how many clients were asked for and how they fared.
type ClientCounts struct {
	Target      int   `json:"target"`
	Connected   int64 `json:"connected"`     // connected at least once
	Failed      int64 `json:"failed"`        // never connected
	OpenAtStart int64 `json:"open_at_start"` // connected when the window opened
	OpenAtEnd   int64 `json:"open_at_end"`   // still connected when it closed
}

// OpenFiles is the load tool's descriptor limit after raising it.
type OpenFiles struct {
	Soft    uint64 `json:"soft"`
	Hard    uint64 `json:"hard"`
	Warning string `json:"warning,omitempty"`
}

// QuoteCounts counts delivered quotes.
type QuoteCounts struct {
	Total     int64   `json:"total"`     // updates over the whole run, ramp included
	Snapshots int64   `json:"snapshots"` // snapshot quotes (not in latency)
	Window    int64   `json:"window"`    // updates inside the window
	PerS      float64 `json:"per_s"`     // Window / window_s
	Frames    int64   `json:"frames"`    // frames/events/answers carrying updates, in the window
	PerFrame  float64 `json:"per_frame"` // updates per frame, in the window
}

// Delivery says whether clients received every tick, over the window. The
// seq figures are exact (each quote of a symbol has seq one above the last).
// Offered is exact too: the quotes the server produced in the window for
// the subscriptions of the clients connected when it opened, from each
// symbol's seq at its start and end; DeliveredOfferedPct is the figure to
// judge delivery by. Expected is nominal: it rests on the assumed tick
// rate, and since ticks are random the server's actual number differs from
// it by a few percent over a short window. Expected assumes a constant
// rate; when a scenario's rate event overlaps the window it is left out (0)
// and ExpectedNA says why.
type Delivery struct {
	TickRate        float64 `json:"tick_rate_assumed"`          // ticks per symbol per real second, an assumption
	Subscriptions   int64   `json:"subscriptions"`              // clients open when the window opened × symbols each
	Expected        float64 `json:"expected"`                   // subscriptions × tick rate × window
	ExpectedNA      string  `json:"expected_na,omitempty"`      // why Expected and DeliveredPct are left out
	Delivered       int64   `json:"delivered"`                  // quotes in the window, snapshots excluded
	DeliveredPct    float64 `json:"delivered_pct"`              // delivered / expected, in percent
	SeqGaps         int64   `json:"seq_gaps"`                   // quotes whose seq was more than one above the last of their symbol
	SeqMissing      int64   `json:"seq_missing"`                // ticks skipped in those gaps
	DeliveredSeqPct float64 `json:"delivered_seq_pct"`          // delivered / (delivered + seq_missing), in percent
	Dropped         int64   `json:"dropped"`                    // ticks the server announced as dropped ("dropped":N)
	Unannounced     int64   `json:"unannounced"`                // skipped ticks beyond what "dropped" announced
	SeqBackwards    int64   `json:"seq_backwards"`              // quotes not above their symbol's last seq (never expected)
	ServerConflated *int64  `json:"server_conflated,omitempty"` // tickerd_quotes_conflated_total over the window, all clients

	Offered             int64   `json:"offered"`               // quotes the server produced in the window for the subscriptions, by seq
	OfferedDelivered    int64   `json:"offered_delivered"`     // of those, quotes clients received (window and settling time)
	DeliveredOfferedPct float64 `json:"delivered_offered_pct"` // offered_delivered / offered, in percent
	OfferedNA           string  `json:"offered_na,omitempty"`  // why Offered is left out
}

// Percentiles of a histogram, in milliseconds.
type Percentiles struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
}

// ByteCounts are bytes read at the socket: HTTP headers, chunk and WebSocket
// framing included.
type ByteCounts struct {
	Total    int64   `json:"total"`
	Window   int64   `json:"window"`
	PerQuote float64 `json:"per_quote"` // window bytes / window updates
}

// HTTPCounts are the polling requests.
type HTTPCounts struct {
	Requests    int64   `json:"requests"` // answered in the window
	NotModified int64   `json:"not_modified"`
	PerS        float64 `json:"per_s"`
	Reconnects  int64   `json:"reconnects"` // whole run
}

// ServerUsage is the server's CPU and memory from /proc.
type ServerUsage struct {
	PID        int        `json:"pid"`
	Baseline   procSample `json:"baseline"`    // idle: before the logins and any client
	PreConnect procSample `json:"pre_connect"` // after the logins, before any client
	Start      procSample `json:"start"`       // when the window opened
	End        procSample `json:"end"`         // when it closed
	CPUS       float64    `json:"cpu_s"`       // CPU seconds in the window
	CPUPct     float64    `json:"cpu_pct"`     // of one core
	CPUMsPer1k float64    `json:"cpu_ms_per_1k_quotes"`
	RSSPerConn float64    `json:"rss_per_conn_bytes"` // (end - baseline) / open connections
}

func percentiles(h *Histogram) Percentiles {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return Percentiles{
		Count: h.Count(), Mean: ms(h.Mean()),
		P50: ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max()),
	}
}

// WriteJSON writes the report, indented, to path.
func (r *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteTable prints the report for a person.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	c := r.Config
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	row("mode", "%s  %d clients x %d symbols (%s), ramp %s, window %.1fs", c.Mode, c.Clients, c.Symbols, c.Spread, c.Ramp, r.WindowS)
	if c.Mode == modePoll {
		row("interval", "%s", c.Interval)
	}
	row("clients", "%d connected, %d failed, %d open at end (%d accounts)", r.Clients.Connected, r.Clients.Failed, r.Clients.OpenAtEnd, r.Accounts)
	row("quotes", "%.0f/s in window (%d), %d total, %d snapshots, %.1f per frame", r.Quotes.PerS, r.Quotes.Window, r.Quotes.Total, r.Quotes.Snapshots, r.Quotes.PerFrame)
	if sc := r.Scenario; sc != nil {
		ev := sc.Event
		inside := "the window lay inside it"
		if !sc.Inside {
			inside = "the window outlasted it"
		}
		row("scenario", "%s: market-wide %s%s from %s to %s simulated; window opened after %.1fs, %s",
			sc.Name, ev.Type, eventSize(ev), ev.Start.Format(time.TimeOnly), ev.End.Format(time.TimeOnly), sc.WaitedS, inside)
	}
	if d := r.Delivery; d != nil {
		writeDelivery(row, d, r.TickRateFrom)
	}
	l := r.Latency
	name := "latency ms"
	if c.Mode == modePoll {
		name = "update age ms"
	}
	pctRow(row, name, &l, "")
	pctRow(row, "spread ms", r.Spread, "; receipt minus the tick's first receipt")
	pctRow(row, "first ms", r.FirstLatency, "; first receipt minus ts")
	if f := r.Forward; f != nil {
		pctRow(row, "forward ms", &f.Hop, fmt.Sprintf("; ts to Centrifugo's answer (%d ticks relayed, %d batches failed)", f.Ticks, f.Failed))
	}
	pctRow(row, "staleness ms", r.Staleness, "")
	row("bytes", "%.1f per quote (%d in window, socket level)", r.Bytes.PerQuote, r.Bytes.Window)
	if h := r.HTTP; h != nil {
		row("http", "%d requests (%.0f/s), %d not modified, %d reconnects", h.Requests, h.PerS, h.NotModified, h.Reconnects)
	}
	if s := r.Server; s != nil {
		row("server cpu", "%.2f s in window (%.0f%% of a core), %.2f ms per 1,000 quotes", s.CPUS, s.CPUPct, s.CPUMsPer1k)
		row("server rss", "%.1f MiB baseline, %.1f MiB end, %.0f B per connection",
			float64(s.Baseline.RSSBytes)/(1<<20), float64(s.End.RSSBytes)/(1<<20), s.RSSPerConn)
	}
	row("tool cpu", "%.2f s; in window %.2f s (%.0f%% of a core), %.2f µs per frame",
		r.ToolCPUS, r.ToolCPU.S, r.ToolCPU.Pct, r.ToolCPU.UsPerFrame)
	row("errors", "%d%s", r.ErrorsN, formatCounts(r.Errors))
	if len(r.Closes) > 0 {
		m := make(map[string]int64, len(r.Closes))
		for k, v := range r.Closes {
			m[fmt.Sprint(k)] = v
		}
		row("closes", "%s", formatCounts(m))
	}
	if r.OpenFiles.Warning != "" {
		row("warning", "%s", r.OpenFiles.Warning)
	}
	return tw.Flush()
}

func formatCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf("  %s=%d", k, m[k])
	}
	return s
}

// eventSize is an event's percent or factor, for the table.
func eventSize(ev MarketEvent) string {
	switch {
	case ev.Percent != nil:
		return fmt.Sprintf(" %+g%%", *ev.Percent)
	case ev.Factor != nil:
		return fmt.Sprintf(" ×%g", *ev.Factor)
	}
	return ""
}

// pctRow prints percentiles p, if any, with a note after the count.
func pctRow(row func(k, format string, a ...any), name string, p *Percentiles, note string) {
	if p != nil {
		row(name, "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (n=%d%s)", p.P50, p.P90, p.P99, p.P999, p.Max, p.Count, note)
	}
}

// writeDelivery prints the delivery rows: delivered against the nominal
// expectation and against the exact offer, and what went missing.
func writeDelivery(row func(k, format string, a ...any), d *Delivery, rateFrom string) {
	if d.ExpectedNA != "" {
		row("delivery", "%d delivered, expected n/a (%s), %.3f%% of ticks by seq",
			d.Delivered, d.ExpectedNA, d.DeliveredSeqPct)
	} else {
		row("delivery", "%d of %.0f expected (%.2f%%; assumes a constant %g ticks/symbol/s from %s), %.3f%% of ticks by seq",
			d.Delivered, d.Expected, d.DeliveredPct, d.TickRate, rateFrom, d.DeliveredSeqPct)
	}
	if d.OfferedNA != "" {
		row("offered", "n/a (%s)", d.OfferedNA)
	} else {
		row("offered", "%d delivered of %d offered (%.3f%%; the server's quotes in the window, by seq)",
			d.OfferedDelivered, d.Offered, d.DeliveredOfferedPct)
	}
	conflated := "n/a"
	if d.ServerConflated != nil {
		conflated = fmt.Sprint(*d.ServerConflated)
	}
	row("missing", "%d seq gaps (%d ticks), %d announced dropped, %d unannounced, %d backwards; server conflated %s",
		d.SeqGaps, d.SeqMissing, d.Dropped, d.Unannounced, d.SeqBackwards, conflated)
}
