package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// LoadReport is the part of tickload's JSON report the benchmark uses; the
// field names follow tickload's. The whole report stays in its own file.
type LoadReport struct {
	WindowS float64 `json:"window_s"`
	Clients struct {
		Target    int   `json:"target"`
		Connected int64 `json:"connected"`
		Failed    int64 `json:"failed"`
		OpenAtEnd int64 `json:"open_at_end"`
	} `json:"clients"`
	Quotes struct {
		Window   int64   `json:"window"`
		PerS     float64 `json:"per_s"`
		PerFrame float64 `json:"per_frame"`
	} `json:"quotes"`
	Latency   Percentiles  `json:"latency_ms"`
	Staleness *Percentiles `json:"staleness_ms,omitempty"`
	Bytes     struct {
		PerQuote float64 `json:"per_quote"`
	} `json:"bytes"`
	HTTP *struct {
		Requests    int64   `json:"requests"`
		NotModified int64   `json:"not_modified"`
		PerS        float64 `json:"per_s"`
	} `json:"http,omitempty"`
	Errors  map[string]int64 `json:"errors"`
	ErrorsN int64            `json:"errors_total"`
	Closes  map[string]int64 `json:"closes_by_code"`
	Server  *struct {
		CPUPct     float64 `json:"cpu_pct"`
		CPUMsPer1k float64 `json:"cpu_ms_per_1k_quotes"`
		RSSPerConn float64 `json:"rss_per_conn_bytes"`
		End        struct {
			RSSBytes int64 `json:"rss_bytes"`
		} `json:"end"`
	} `json:"server,omitempty"`
	ToolCPUS float64 `json:"tool_cpu_s"`
	// Delivery is absent from reports of a tickload older than issue 11
	// and from polling runs.
	Delivery *Delivery `json:"delivery,omitempty"`
	// Scenario is the scenario event a -scenario-event run measured.
	Scenario *struct {
		Name  string `json:"name"`
		Event struct {
			Type    string   `json:"type"`
			Percent *float64 `json:"percent,omitempty"`
		} `json:"event"`
		RateEvents bool `json:"rate_events"` // a rate event overlapped the window
		Inside     bool `json:"inside"`      // the window ended before the event
	} `json:"scenario,omitempty"`
}

// Delivery is tickload's delivered-against-expected figures of a stream run.
type Delivery struct {
	Expected        float64 `json:"expected"`
	ExpectedNA      string  `json:"expected_na,omitempty"` // why expected is left out (a scenario's rate event)
	Delivered       int64   `json:"delivered"`
	DeliveredPct    float64 `json:"delivered_pct"`     // delivered / expected (subscriptions × tick rate × window)
	SeqGaps         int64   `json:"seq_gaps"`          // quotes whose seq jumped
	SeqMissing      int64   `json:"seq_missing"`       // ticks skipped in those jumps
	DeliveredSeqPct float64 `json:"delivered_seq_pct"` // delivered / (delivered + seq_missing)
	Dropped         int64   `json:"dropped"`           // ticks the server announced as dropped

	// The exact offer: the quotes the server produced in the window for the
	// subscriptions (by seq), and how many of them clients received. Older
	// tickload reports have neither.
	Offered             int64   `json:"offered"`
	OfferedDelivered    int64   `json:"offered_delivered"`
	DeliveredOfferedPct float64 `json:"delivered_offered_pct"` // offered_delivered / offered
	OfferedNA           string  `json:"offered_na,omitempty"`  // why offered is left out
}

// exactPct is delivered / offered (exact) in percent, and whether the
// report has it.
func (d *Delivery) exactPct() (float64, bool) {
	if d == nil || d.Offered == 0 || d.OfferedNA != "" {
		return 0, false
	}
	return d.DeliveredOfferedPct, true
}

// Percentiles of a latency histogram, in milliseconds.
type Percentiles struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
}

// readLoadReport decodes a tickload -json file.
func readLoadReport(path string) (*LoadReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tickload report: %w", err)
	}
	var r LoadReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode tickload report %s: %w", path, err)
	}
	return &r, nil
}

// cpuMsPer1k is the server's CPU per 1,000 delivered quotes, or 0 without
// a server sample.
func (r *LoadReport) cpuMsPer1k() float64 {
	if r == nil || r.Server == nil {
		return 0
	}
	return r.Server.CPUMsPer1k
}

// deliveredCell is delivered / offered of a stream run ("99.8 %"), or "—"
// for a report without delivery figures (polling, or an older tickload).
func deliveredCell(r *LoadReport) string {
	if r == nil || r.Delivery == nil {
		return "—"
	}
	if r.Delivery.ExpectedNA != "" {
		return "n/a"
	}
	return fmtF(r.Delivery.DeliveredPct, 1) + " %"
}

// offeredCell is the delivered / offered column of the push tables: the
// exact figure ("100.00 %") when tickload read the server's seqs around its
// window, else the nominal one marked "≈" ("≈ 98.1 %"), else "—".
func offeredCell(r *LoadReport) string {
	if r == nil {
		return "—"
	}
	if pct, ok := r.Delivery.exactPct(); ok {
		return fmtPct2(pct)
	}
	if c := deliveredCell(r); c != "—" && c != "n/a" {
		return "≈ " + c
	}
	return deliveredCell(r)
}
