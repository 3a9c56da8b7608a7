package main

import (
	"os"
	"runtime"

	"github.com/tickerd/tickerd/portfolio"
)

// hashProcs returns the store's HashBusy hook: while passwords are being
// hashed, Go gets one more processor per hashing worker; when hashing stops
// it goes back to what it was. With GOMAXPROCS set it returns nil and never
// changes it.
//
// argon2id is pure Go, so a hash holds a processor for its whole 30 ms;
// without the extra ones a login storm would leave the price feed and the
// requests a processor fewer. The workers' threads run at a lower priority
// (see package portfolio), so the kernel gives them only the time the rest
// leaves. The extra processors are not kept all the time: on 2 CPUs, three
// processors competing with a co-located load generator raised the REST
// p99 from about 9 to about 11.5 ms.
func hashProcs(hashConc int) func(busy bool) {
	if os.Getenv("GOMAXPROCS") != "" {
		return nil
	}
	if hashConc <= 0 {
		hashConc = portfolio.DefaultHashConcurrency()
	}
	var base int // GOMAXPROCS before hashing started
	return func(busy bool) {
		if busy {
			base = runtime.GOMAXPROCS(0)
			runtime.GOMAXPROCS(base + hashConc)
			return
		}
		runtime.GOMAXPROCS(base)
	}
}
