package stream

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	r, _, _ := newTestRegistry(t, Config{MaxSymbols: 3})
	ms := func(v int64) *int64 { return &v }
	tests := []struct {
		name    string
		req     Request
		current []string
		code    string // "" means accepted
		want    Subscription
	}{
		{"symbols normalised and de-duplicated", Request{Symbols: []string{" aapl", "MSFT", "AAPL "}},
			nil, "", Subscription{Symbols: []string{"AAPL", "MSFT"}}},
		{"portfolio only", Request{Channels: []string{"portfolio"}}, nil, "", Subscription{Symbols: []string{}, Portfolio: true}},
		{"alerts only", Request{Channels: []string{"alerts"}}, nil, "", Subscription{Symbols: []string{}, Alerts: true}},
		{"both channels", Request{Channels: []string{"alerts", "portfolio"}}, nil, "", Subscription{Symbols: []string{}, Portfolio: true, Alerts: true}},
		{"rate", Request{Symbols: []string{"KO"}, MaxRateMS: ms(250)}, nil, "",
			Subscription{Symbols: []string{"KO"}, Every: 250 * time.Millisecond}},
		{"nothing named", Request{}, nil, CodeMissingField, Subscription{}},
		{"rate negative", Request{Symbols: []string{"KO"}, MaxRateMS: ms(-1)}, nil, CodeInvalidField, Subscription{}},
		{"rate too long", Request{Symbols: []string{"KO"}, MaxRateMS: ms(MaxRateMSLimit + 1)}, nil, CodeInvalidField, Subscription{}},
		{"empty symbol", Request{Symbols: []string{"AAPL", " "}}, nil, CodeInvalidField, Subscription{}},
		{"unknown symbol", Request{Symbols: []string{"AAPL", "XYZ"}}, nil, CodeUnknownSymbol, Subscription{}},
		{"non-ASCII folding to a ticker", Request{Symbols: []string{"m\u017fft"}}, nil, CodeUnknownSymbol, Subscription{}},
		{"unknown channel", Request{Channels: []string{"news"}}, nil, CodeUnknownChannel, Subscription{}},
		{"too many with current", Request{Symbols: []string{"KO", "MSFT"}}, []string{"AAPL", "NVDA"}, CodeTooManySymbols, Subscription{}},
		{"since", Request{Symbols: []string{"aapl", "KO"}, Since: map[string]string{" AAPL": "4211", "ko": "0"}}, nil, "",
			Subscription{Symbols: []string{"AAPL", "KO"}, Since: map[string]uint64{"AAPL": 4211, "KO": 0}}},
		{"since of a symbol not asked for", Request{Symbols: []string{"AAPL"}, Since: map[string]string{"KO": "1"}}, nil, CodeInvalidField, Subscription{}},
		{"since unknown symbol", Request{Symbols: []string{"AAPL"}, Since: map[string]string{"XYZ": "1"}}, nil, CodeInvalidField, Subscription{}},
		{"since twice after folding case", Request{Symbols: []string{"AAPL"}, Since: map[string]string{"AAPL": "1", "aapl": "2"}}, nil, CodeInvalidField, Subscription{}},
		{"since negative", Request{Symbols: []string{"AAPL"}, Since: map[string]string{"AAPL": "-1"}}, nil, CodeInvalidField, Subscription{}},
		{"since not an integer", Request{Symbols: []string{"AAPL"}, Since: map[string]string{"AAPL": "1.5"}}, nil, CodeInvalidField, Subscription{}},
		{"since a string", Request{Symbols: []string{"AAPL"}, Since: map[string]string{"AAPL": `"1"`}}, nil, CodeInvalidField, Subscription{}},
		{"current ones not counted twice", Request{Symbols: []string{"AAPL", "KO"}}, []string{"AAPL", "MSFT"}, "",
			Subscription{Symbols: []string{"AAPL", "KO"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := map[string]struct{}{}
			for _, s := range tt.current {
				cur[s] = struct{}{}
			}
			got, err := r.Check(tt.req, cur)
			if tt.code != "" {
				if err == nil || err.Code != tt.code {
					t.Fatalf("Check = %+v, %v; want code %s", got, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if !slices.Equal(got.Symbols, tt.want.Symbols) || got.Portfolio != tt.want.Portfolio || got.Every != tt.want.Every ||
				!maps.Equal(got.Since, tt.want.Since) {
				t.Fatalf("Check = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestQueryRequest(t *testing.T) {
	req, err := QueryRequest("AAPL,msft", " portfolio ,", "500", "AAPL:12,msft:0")
	if err != nil || !slices.Equal(req.Symbols, []string{"AAPL", "msft"}) ||
		!slices.Equal(req.Channels, []string{"portfolio"}) || req.MaxRateMS == nil || *req.MaxRateMS != 500 ||
		len(req.Since) != 2 || req.Since["AAPL"] != "12" || req.Since["msft"] != "0" {
		t.Fatalf("QueryRequest = %+v, %v", req, err)
	}
	if _, err := QueryRequest("AAPL", "", "soon", ""); err == nil || err.Code != CodeInvalidField || err.Field != "max_rate_ms" {
		t.Fatalf("non-integer max_rate_ms: %v", err)
	}
	for _, since := range []string{"AAPL", "AAPL:1,AAPL:2", "AAPL:1,"} {
		if _, err := QueryRequest("AAPL", "", "", since); err == nil || err.Code != CodeInvalidField || err.Field != "since" {
			t.Errorf("since=%s: %v, want invalid_field", since, err)
		}
	}
	if req, _ := QueryRequest("", "", "", ""); req.Symbols != nil || req.Channels != nil || req.MaxRateMS != nil {
		t.Fatalf("empty query = %+v, want nothing named", req)
	}
}
