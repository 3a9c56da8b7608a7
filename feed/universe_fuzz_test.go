package feed

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// FuzzLoadUniverse: any symbols file either loads or is refused with an
// error, never a panic; a universe that loads has only valid, unique
// symbols, makes a market, and written back as CSV loads to the same.
func FuzzLoadUniverse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "universe", "*.csv"))
	files = append(files, filepath.Join("..", "data", "symbols.csv"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "ticker,name,sector,price,volatility,drift\n",
		"ticker,name,sector,price,volatility,drift\nA,a,s,0.01,0.1,0\n",
		"TICKER,Name,Sector,Price,Volatility,Drift\r\nA,a,s,1,1e-9,-0.99\r\n",
		"ticker,name,sector,price,volatility,drift\nA,a,s,1,NaN,0\n",
		"ticker,name,sector,price,volatility,drift\nA,a,s,92233720368547758.07,1,0\n",
		"ticker,name,sector,price,volatility,drift\nA,\"a\"\"b\nc\",s,1.5,1,0\n",
		"ticker,name,sector,price,volatility,drift\nA,a,s,1,1,0,extra\n",
		"ticker,name,sector,price,volatility,drift\nıBM,a,s,1,1,0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		syms, err := LoadUniverse(bytes.NewReader(in))
		if err != nil {
			if len(syms) != 0 {
				t.Fatalf("refused file returned %d symbols", len(syms))
			}
			return
		}
		if len(syms) == 0 {
			t.Fatal("accepted an empty universe")
		}
		seen := map[string]bool{}
		var out bytes.Buffer
		w := csv.NewWriter(&out)
		_ = w.Write(universeHeader)
		for _, s := range syms {
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted invalid symbol %+v: %v", s, err)
			}
			if seen[s.Ticker] {
				t.Fatalf("accepted duplicate ticker %q", s.Ticker)
			}
			seen[s.Ticker] = true
			_ = w.Write([]string{s.Ticker, s.Name, s.Sector, string(AppendCents(nil, s.Price)),
				strconv.FormatFloat(s.Volatility, 'g', -1, 64), strconv.FormatFloat(s.Drift, 'g', -1, 64)})
		}
		w.Flush()
		again, err := LoadUniverse(&out)
		if err != nil {
			t.Fatalf("universe written back does not load: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(syms, again) {
			t.Fatalf("universe written back loads differently:\n%+v\n%+v", syms, again)
		}
		if _, err := NewMarket(MarketConfig{Symbols: syms, Seed: 1}); err != nil {
			t.Fatalf("accepted universe makes no market: %v", err)
		}
	})
}
