package portfolio

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

func TestWatchlist(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	a := mustRegister(t, s, "alice")
	if wl, err := s.Watchlist(ctx, a.ID); err != nil || wl == nil || len(wl) != 0 {
		t.Fatalf("new watchlist = %#v, %v", wl, err)
	}
	fifty := make([]string, MaxWatchlist)
	for i := range fifty {
		fifty[i] = fmt.Sprintf("S%02d", i)
	}
	tests := []struct {
		name string
		in   []string
		want []string // nil: invalid_watchlist
	}{
		{"order kept, normalized", []string{" msft", "AAPL", "brk.b", "X-1"}, []string{"MSFT", "AAPL", "BRK.B", "X-1"}},
		{"replaced", []string{"TSLA"}, []string{"TSLA"}},
		{"fifty", fifty, fifty},
		{"empty", []string{}, []string{}},
		{"fifty one", append(append([]string{}, fifty...), "ONEMORE"), nil},
		{"duplicate", []string{"AAPL", "MSFT", "aapl"}, nil},
		{"blank", []string{"AAPL", " "}, nil},
		{"too long", []string{"ABCDEFGHIJK"}, nil},
		{"bad characters", []string{"AA PL"}, nil},
		{"sql", []string{"A');--"}, nil},
	}
	current := []string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetWatchlist(ctx, a.ID, tt.in)
			if tt.want == nil {
				wantCode(t, err, CodeInvalidWatchlist, "symbols")
			} else if err != nil {
				t.Fatal(err)
			} else {
				current = tt.want
			}
			got, err := s.Watchlist(ctx, a.ID)
			if err != nil || !reflect.DeepEqual(got, current) {
				t.Fatalf("watchlist = %v, %v; want %v", got, err, current)
			}
		})
	}
	wantCode(t, s.SetWatchlist(ctx, 999, []string{"AAPL"}), CodeNotFound, "")
}
