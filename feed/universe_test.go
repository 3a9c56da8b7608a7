package feed

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tickerd/tickerd/data"
)

func TestLoadUniverseShipped(t *testing.T) {
	syms, err := LoadUniverse(bytes.NewReader(data.SymbolsCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(syms) < 50 {
		t.Fatalf("shipped universe has %d symbols, want at least 50", len(syms))
	}
	sectors := make(map[string]int)
	for _, s := range syms {
		sectors[s.Sector]++
		if s.Volatility < 0.15 || s.Volatility > 0.60 {
			t.Errorf("%s: volatility %v outside 0.15-0.60", s.Ticker, s.Volatility)
		}
		if s.Drift < 0.03 || s.Drift > 0.12 {
			t.Errorf("%s: drift %v outside 0.03-0.12", s.Ticker, s.Drift)
		}
		if _, ok := sectorBeta[s.Sector]; !ok {
			t.Errorf("%s: sector %q has no market beta", s.Ticker, s.Sector)
		}
	}
	if len(sectors) < 8 {
		t.Errorf("only %d sectors: %v", len(sectors), sectors)
	}
	if syms[0].Ticker != "AAPL" || syms[0].Price != 18712 {
		t.Errorf("first symbol %+v, want AAPL at 18712 cents", syms[0])
	}
}

func TestLoadUniverseGood(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "universe", "good.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := LoadUniverse(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Symbol{
		{Ticker: "AAPL", Name: "Apple Inc.", Sector: "Technology", Price: 18710, Volatility: 0.25, Drift: 0.09},
		{Ticker: "BRK.B", Name: "Berkshire Hathaway Inc., Class B", Sector: "Financials", Price: 41200, Volatility: 0.18, Drift: 0.07},
	}
	if len(syms) != len(want) {
		t.Fatalf("got %d symbols %+v, want %d", len(syms), syms, len(want))
	}
	for i := range want {
		if syms[i] != want[i] {
			t.Errorf("symbol %d = %+v, want %+v", i, syms[i], want[i])
		}
	}
}

func TestLoadUniverseBadRows(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error
	}{
		{"bad_header.csv", []string{"line 1", `"cost"`}},
		{"duplicate_ticker.csv", []string{"line 4", "duplicate", "line 2"}},
		{"lower_case_ticker.csv", []string{"line 3", `"msft"`}},
		{"zero_price.csv", []string{"line 3", "price must be positive"}},
		{"negative_price.csv", []string{"line 2", "price"}},
		{"three_decimals.csv", []string{"line 2", "two fraction digits"}},
		{"zero_volatility.csv", []string{"line 2", "volatility"}},
		{"volatility_too_high.csv", []string{"line 3", "volatility"}},
		{"drift_nan.csv", []string{"line 2", "drift"}},
		{"missing_field.csv", []string{"line 2", "number of fields"}},
		{"empty_name.csv", []string{"line 2", "empty name"}},
		{"header_only.csv", []string{"no symbols"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "universe", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			syms, err := LoadUniverse(bytes.NewReader(b))
			if err == nil {
				t.Fatalf("loaded %d symbols, want an error", len(syms))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := LoadUniverse(strings.NewReader("")); err == nil {
		t.Error("empty input loaded")
	}
}

func TestParseCents(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"187.12", 18712, true},
		{"187.1", 18710, true},
		{"187", 18700, true},
		{"0.05", 5, true},
		{".5", 50, true},
		{"0", 0, true},
		{"999999999999.99", 99999999999999, true},
		{"", 0, false},
		{".", 0, false},
		{"187.", 0, false},
		{"187.123", 0, false},
		{"-1.00", 0, false},
		{"+1.00", 0, false},
		{"1e3", 0, false},
		{"1,000.00", 0, false},
		{" 1.00", 0, false},
		{"1.0.0", 0, false},
		{"1234567890123.00", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCents(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
