package main

import "fmt"

// limitUniverse keeps the server's first n symbols, so that a run can offer
// K of a fixed-size pool (e.g. 10 of 50) whatever the server's universe
// holds. n <= 0 keeps them all.
func limitUniverse(universe []string, n int) ([]string, error) {
	if n <= 0 {
		return universe, nil
	}
	if n > len(universe) {
		return nil, fmt.Errorf("-universe %d exceeds the server's %d symbols", n, len(universe))
	}
	return universe[:n], nil
}
