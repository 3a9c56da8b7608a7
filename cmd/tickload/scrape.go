package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
)

// metricConflated counts the ticks the server dropped for clients that were
// behind (or asked for max_rate_ms), over all its clients.
const metricConflated = "tickerd_quotes_conflated_total"

// counter reads one unlabelled counter from the server's Prometheus text at
// /metrics.
func (rc *restClient) counter(ctx context.Context, name string) (float64, error) {
	status, body, err := rc.do(ctx, 0, http.MethodGet, "/metrics", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: status %d", status)
	}
	return parseCounter(body, name)
}

// parseCounter finds "name value" in Prometheus text exposition.
func parseCounter(text []byte, name string) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	prefix := []byte(name + " ")
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		fields := bytes.Fields(line[len(prefix):])
		if len(fields) == 0 {
			break
		}
		v, err := strconv.ParseFloat(string(fields[0]), 64)
		if err != nil {
			return 0, fmt.Errorf("metric %s: %w", name, err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("metric %s not found", name)
}
