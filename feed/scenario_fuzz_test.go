package feed

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseScenario: any document either parses into events that each pass
// Validate, or is refused with an error that names the file; the parser
// never panics, and a parsed scenario checked against the built-in universe
// either passes or is refused the same way.
func FuzzParseScenario(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "data", "scenarios", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "name: x\n", "events: []\n", "events: {}\n", "- 1\n", "name: [1]\nevents: []\n",
		"events:\n  - {at: 1m, type: halt, symbol: AAPL, duration: 5m}\n",
		"events:\n  - {at: 14:30, type: gap, symbol: AAPL, percent: -12}\n",
		"events:\n  - {at: -1m, type: shock, percent: -9, duration: 3m}\n",
		"events:\n  - {at: 1m, type: rate, factor: 1e308, duration: 1h}\n",
		"events:\n  - {at: 1m, type: volatility, sector: Tech, factor: NaN, duration: 1s}\n",
		`{"events":[{"at":"1m","type":"dance"}]}`,
		"events:\n  - &a {at: 1m, type: halt, symbol: AAPL, duration: 5m}\n  - *a\n",
	} {
		f.Add([]byte(s))
	}
	syms, err := LoadUniverse(bytes.NewReader(mustReadFile(f, filepath.Join("..", "data", "symbols.csv"))))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sc, err := ParseScenario("fuzz.yaml", in)
		if err != nil {
			if sc != nil {
				t.Fatalf("refused document returned a scenario: %v", err)
			}
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for i, e := range sc.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("parsed event %d does not validate: %v", i, err)
			}
		}
		if err := sc.Check(syms); err != nil && !strings.Contains(err.Error(), "fuzz.yaml") {
			t.Fatalf("check error does not name the file: %v", err)
		}
	})
}

func mustReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
