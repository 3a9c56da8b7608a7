package portfolio

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHashWorkersRunAtLowerPriority finds the hashing workers' threads by
// their niceness in /proc: one per worker while the store is open.
func TestHashWorkersRunAtLowerPriority(t *testing.T) {
	before := threadsWithNice(t, hashNice)
	s := MustOpenStore(t, Options{HashConcurrency: 2})
	// The workers lower their own thread's priority as they start, which a
	// loaded machine may schedule a moment after Open returns.
	deadline := time.Now().Add(5 * time.Second)
	got := threadsWithNice(t, hashNice) - before
	for got != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		got = threadsWithNice(t, hashNice) - before
	}
	if got != 2 {
		t.Fatalf("%d threads at nice %d with 2 hash workers", got, hashNice)
	}
	s.Close()
}

// threadsWithNice counts this process's threads whose niceness is nice.
func threadsWithNice(t *testing.T, nice int) int {
	t.Helper()
	stats, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after the parenthesised command: state is field 3, nice 19.
		rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if v, err := strconv.Atoi(rest[19-3]); err == nil && v == nice {
			n++
		}
	}
	return n
}
