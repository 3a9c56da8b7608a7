package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Spreads say how each client's K symbols are drawn from the universe.
const (
	spreadUniform    = "uniform"     // K distinct symbols at random per client (seeded)
	spreadRoundRobin = "round-robin" // client i takes symbols i*K .. i*K+K-1 (mod universe): even load
	spreadSame       = "same"        // every client takes the first K symbols: a hot set
)

// assignSymbols returns, for each of n clients, its symbols joined by commas
// (the form both the subscribe frame and the query string need). Clients with
// the same set share one string.
func assignSymbols(universe []string, n, k int, spread string, seed int64) ([]string, error) {
	if k > len(universe) {
		return nil, fmt.Errorf("-symbols %d exceeds the universe of %d", k, len(universe))
	}
	out := make([]string, n)
	if k <= 0 {
		return out, nil
	}
	switch spread {
	case spreadSame:
		s := strings.Join(universe[:k], ",")
		for i := range out {
			out[i] = s
		}
	case spreadRoundRobin:
		// Consecutive clients start K symbols apart, so with n*K a multiple of
		// the universe every symbol has the same number of subscribers.
		cache := make(map[int]string)
		for i := range out {
			start := (i * k) % len(universe)
			if s, ok := cache[start]; ok {
				out[i] = s
				continue
			}
			pick := make([]string, k)
			for j := range pick {
				pick[j] = universe[(start+j)%len(universe)]
			}
			cache[start] = strings.Join(pick, ",")
			out[i] = cache[start]
		}
	case spreadUniform:
		rng := rand.New(rand.NewPCG(uint64(seed), 0x7469636b6c6f6164))
		idx := make([]int, len(universe))
		pick := make([]string, k)
		for i := range out {
			for j := range idx {
				idx[j] = j
			}
			for j := range k { // partial Fisher-Yates
				r := j + rng.IntN(len(idx)-j)
				idx[j], idx[r] = idx[r], idx[j]
				pick[j] = universe[idx[j]]
			}
			out[i] = strings.Join(pick, ",")
		}
	default:
		return nil, fmt.Errorf("unknown -spread %q (want %s, %s or %s)", spread, spreadUniform, spreadRoundRobin, spreadSame)
	}
	return out, nil
}
