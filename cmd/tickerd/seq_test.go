package main

import (
	"testing"
	"time"

	"github.com/tickerd/tickerd/cmd/tickerd/tickerdtest"
)

// TestSeqRisesAcrossRestart: a restarted server numbers its ticks above
// the previous run's, so a client resuming with an old seq is never
// replayed the new run's ticks as if they were the ones it missed. The
// first run ticks fast for a while and the second is read at once, so
// with seqs counted from zero per run the second would be behind.
func TestSeqRisesAcrossRestart(t *testing.T) {
	p := tickerdtest.New(t, "-tick-rate", "50")
	p.Start(t)
	time.Sleep(time.Second)
	before := quoteSeq(t, p.URL, "AAPL")
	p.Stop(t)
	p.Start(t)
	if after := quoteSeq(t, p.URL, "AAPL"); after <= before {
		t.Fatalf("AAPL seq after restart = %d, want above the first run's %d", after, before)
	}
}
