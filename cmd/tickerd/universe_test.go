package main

import (
	"strings"
	"testing"
)

func TestLoadUniverse(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		size    int
		want    []string // tickers, in file order; nil means "check count only"
		wantLen int
		wantErr string
	}{
		{name: "embedded, all", wantLen: -1},
		{name: "embedded, first 50", size: 50, wantLen: 50},
		{name: "file", path: "testdata/universe.csv", want: []string{"AAA", "BBB", "CCC"}},
		{name: "file, first 2", path: "testdata/universe.csv", size: 2, want: []string{"AAA", "BBB"}},
		{name: "size above count keeps all", path: "testdata/universe.csv", size: 10, want: []string{"AAA", "BBB", "CCC"}},
		{name: "missing file", path: "testdata/nope.csv", wantErr: "nope.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			syms, err := loadUniverse(tt.path, tt.size)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want != nil:
				var got []string
				for _, s := range syms {
					got = append(got, s.Ticker)
				}
				if strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Fatalf("tickers = %v, want %v", got, tt.want)
				}
			case tt.wantLen == -1:
				if len(syms) < 50 {
					t.Fatalf("embedded universe has %d symbols, want at least 50", len(syms))
				}
			case len(syms) != tt.wantLen:
				t.Fatalf("got %d symbols, want %d", len(syms), tt.wantLen)
			}
		})
	}
}
