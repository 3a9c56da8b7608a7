package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// series is one line of a Prometheus text exposition: a name, its labels
// and a value.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is one scrape of a server's /metrics.
type metrics []series

// scrapeMetrics GETs base/metrics and parses it.
func scrapeMetrics(ctx context.Context, base string) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", base, err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: status %d", base, resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the text exposition format: comments are skipped, a
// line that does not parse is an error.
func parseMetrics(r io.Reader) (metrics, error) {
	var m metrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSeries(line)
		if err != nil {
			return nil, err
		}
		m = append(m, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return m, nil
}

// parseSeries parses `name{a="x",b="y"} value`; label values hold no
// escaped quotes in tickerd's metrics.
func parseSeries(line string) (series, error) {
	s := series{labels: map[string]string{}}
	head, value, ok := cutLast(line, " ")
	if !ok {
		return s, fmt.Errorf("metrics line %q: no value", line)
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return s, fmt.Errorf("metrics line %q: %w", line, err)
	}
	s.value = v
	name, rest, hasLabels := strings.Cut(head, "{")
	s.name = name
	if !hasLabels {
		return s, nil
	}
	rest, ok = strings.CutSuffix(rest, "}")
	if !ok {
		return s, fmt.Errorf("metrics line %q: unclosed labels", line)
	}
	for _, pair := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		s.labels[k] = strings.Trim(v, `"`)
	}
	return s, nil
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// matches reports whether s has every label=value pair of want, where a
// value starting with "!" means any value but that one.
func (s series) matches(want []string) bool {
	for _, w := range want {
		k, v, _ := strings.Cut(w, "=")
		if not, ok := strings.CutPrefix(v, "!"); ok {
			if s.labels[k] == not {
				return false
			}
		} else if s.labels[k] != v {
			return false
		}
	}
	return true
}

// sum adds the values of every series of name matching want.
func (m metrics) sum(name string, want ...string) float64 {
	var t float64
	for _, s := range m {
		if s.name == name && s.matches(want) {
			t += s.value
		}
	}
	return t
}

// Bucket is a histogram's cumulative count of observations at or below Le
// seconds.
type Bucket struct {
	Le    float64 `json:"le"`
	Count float64 `json:"count"`
}

// buckets sums histogram name's cumulative buckets over the series matching
// want, by upper bound, ascending; the +Inf bucket is left out (its count is
// the histogram's _count).
func (m metrics) buckets(name string, want ...string) []Bucket {
	by := map[float64]float64{}
	for _, s := range m {
		if s.name != name+"_bucket" || !s.matches(want) {
			continue
		}
		le, err := strconv.ParseFloat(s.labels["le"], 64)
		if err != nil || math.IsInf(le, 1) {
			continue
		}
		by[le] += s.value
	}
	out := make([]Bucket, 0, len(by))
	for le, c := range by {
		out = append(out, Bucket{Le: le, Count: c})
	}
	slices.SortFunc(out, func(a, b Bucket) int { return cmpFloat(a.Le, b.Le) })
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// subBuckets is after - before, bucket by bucket (same bounds).
func subBuckets(after, before []Bucket) []Bucket {
	out := slices.Clone(after)
	for i := range out {
		for _, b := range before {
			if b.Le == out[i].Le {
				out[i].Count -= b.Count
			}
		}
	}
	return out
}

// quantileBound is the upper bound of the bucket that holds quantile q of
// total observations, in seconds; +Inf when it lies above the last bucket,
// NaN when there are none.
func quantileBound(bs []Bucket, total, q float64) float64 {
	if total <= 0 {
		return math.NaN()
	}
	for _, b := range bs {
		if b.Count >= q*total {
			return b.Le
		}
	}
	return math.Inf(1)
}
