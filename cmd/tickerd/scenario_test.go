package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestScenarioFlag(t *testing.T) {
	c, err := parseConfig(nil, env("TICKERD_SCENARIO", "x.yaml"), io.Discard)
	if err != nil || c.Scenario != "x.yaml" {
		t.Fatalf("TICKERD_SCENARIO: %q, %v", c.Scenario, err)
	}
	c, err = parseConfig([]string{"-scenario", "y.json"}, env("TICKERD_SCENARIO", "x.yaml"), io.Discard)
	if err != nil || c.Scenario != "y.json" {
		t.Fatalf("-scenario: %q, %v", c.Scenario, err)
	}
}

// startWithScenario runs tickerd with -scenario file and returns Run's error.
func startWithScenario(t *testing.T, file string) (*Main, error) {
	t.Helper()
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, &bytes.Buffer{}
	m.Getenv = env("TICKERD_DB", filepath.Join(t.TempDir(), "t.db"), "TICKERD_ADDR", "127.0.0.1:0")
	if err := m.ParseFlags(context.Background(), []string{"-scenario", file, "-seed", "5"}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	t.Cleanup(func() { _ = m.Close() })
	return m, err
}

// A bad scenario stops the start with an error naming the file, the line
// and the field; a good one is served at /api/v1/market.
func TestRunScenario(t *testing.T) {
	_, err := startWithScenario(t, "testdata/bad-scenario.yaml")
	want := `scenario testdata/bad-scenario.yaml: line 5: events[0].symbol: unknown symbol "NOPE"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run: %v, want %q", err, want)
	}
	if _, err := startWithScenario(t, "testdata/none.yaml"); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Fatalf("Run with a missing file: %v", err)
	}

	m, err := startWithScenario(t, "../../data/scenarios/halted-stock.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + m.Addr() + "/api/v1/market")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Scenario struct {
			Name   string
			Events []json.RawMessage
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Scenario.Name != "halted-stock" || len(got.Scenario.Events) != 4 {
		t.Fatalf("market: %+v, %v", got, err)
	}
}
