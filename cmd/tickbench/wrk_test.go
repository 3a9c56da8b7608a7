package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		file string
		want REST
	}{
		{"wrk.txt", REST{Requests: 52370, ReqPerS: 26144.02, P50Ms: 2.53, P90Ms: 9.51, P99Ms: 19.54}},
		{"wrk-errors.txt", REST{Requests: 182000, ReqPerS: 18200.5, P50Ms: 0.85, P90Ms: 2, P99Ms: 1020,
			Non2xx: 42, SockErrors: "connect 0, read 3, write 0, timeout 12"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var got REST
			if err := parseWrk(string(data), &got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseWrk = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
	if err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n", &REST{}); err == nil {
		t.Error("parseWrk accepted output without figures")
	}
}

func TestFormat(t *testing.T) {
	ints := map[int64]string{0: "0", 999: "999", 1000: "1,000", 200000: "200,000", 1234567: "1,234,567", -15000: "-15,000"}
	for n, want := range ints {
		if got := fmtInt(n); got != want {
			t.Errorf("fmtInt(%d) = %q, want %q", n, got, want)
		}
	}
	ms := map[float64]string{4.191: "4.19", 42.04: "42.0", 180.4: "180", 1020: "1,020"}
	for v, want := range ms {
		if got := fmtMs(v); got != want {
			t.Errorf("fmtMs(%v) = %q, want %q", v, got, want)
		}
	}
}
