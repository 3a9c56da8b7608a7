package main

import (
	"slices"
	"testing"
)

func TestLimitUniverse(t *testing.T) {
	all := []string{"A", "B", "C", "D"}
	tests := []struct {
		name    string
		n       int
		want    []string
		wantErr bool
	}{
		{"zero keeps all", 0, all, false},
		{"negative keeps all", -1, all, false},
		{"first two", 2, []string{"A", "B"}, false},
		{"exactly all", 4, all, false},
		{"more than the server has", 5, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := limitUniverse(all, tt.n)
			if (err != nil) != tt.wantErr {
				t.Fatalf("limitUniverse(%d) error = %v, want error %v", tt.n, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("limitUniverse(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}
