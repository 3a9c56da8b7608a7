package main

import (
	"runtime"
	"testing"

	"github.com/tickerd/tickerd/portfolio"
)

// TestHashProcs: while passwords are being hashed Go has one processor more
// per hashing worker, and afterwards exactly as many as before; with
// GOMAXPROCS set in the environment there is no hook and nothing changes.
func TestHashProcs(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	tests := []struct {
		name  string
		env   string // $GOMAXPROCS
		conc  int    // -hash-concurrency
		extra int    // processors added while hashing; -1 means no hook
	}{
		{"one worker", "", 1, 1},
		{"three workers", "", 3, 3},
		{"default workers", "", 0, portfolio.DefaultHashConcurrency()},
		{"GOMAXPROCS set", "2", 3, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMAXPROCS", tt.env)
			runtime.GOMAXPROCS(2)
			busy := hashProcs(tt.conc)
			if tt.extra < 0 {
				if busy != nil {
					t.Fatal("hashProcs returned a hook although GOMAXPROCS is set")
				}
				return
			}
			if busy == nil {
				t.Fatal("hashProcs returned no hook")
			}
			// Each spell of hashing starts from the processors of its time.
			for _, base := range []int{2, 5} {
				runtime.GOMAXPROCS(base)
				busy(true)
				if got := runtime.GOMAXPROCS(0); got != base+tt.extra {
					t.Fatalf("while hashing from %d: GOMAXPROCS = %d, want %d", base, got, base+tt.extra)
				}
				busy(false)
				if got := runtime.GOMAXPROCS(0); got != base {
					t.Fatalf("after hashing: GOMAXPROCS = %d, want %d again", got, base)
				}
			}
		})
	}
}
