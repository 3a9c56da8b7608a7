package natsrpc

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestConcurrentRequestsShareOne: many sockets of one session (or one
// account) arriving at once, as after an edge restart, cost the core one
// session check and one holdings read.
func TestConcurrentRequestsShareOne(t *testing.T) {
	accts, _, c, _ := setup(t)
	accts.gate = make(chan struct{})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := c.Authenticate(context.Background(), "good")
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, pos, err := c.Holdings(context.Background(), 7)
			if err == nil && (len(pos) != 1 || pos[0] != heldAAPL) {
				t.Errorf("positions = %+v", pos)
			}
			errs <- err
		}()
	}
	time.Sleep(200 * time.Millisecond) // every caller is waiting on the first request
	close(accts.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	accts.mu.Lock()
	defer accts.mu.Unlock()
	if accts.calls != 1 || accts.holdings != 1 {
		t.Fatalf("core answered %d session checks and %d holdings reads for %d concurrent callers each, want 1 and 1",
			accts.calls, accts.holdings, n)
	}
}

// TestSharedRequestLeavesWhenCallerCancels: a caller whose context ends
// stops waiting; the others still get the answer.
func TestSharedRequestLeavesWhenCallerCancels(t *testing.T) {
	accts, _, c, _ := setup(t)
	accts.gate = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(ctx, "good")
		done <- err
	}()
	other := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(context.Background(), "good")
		other <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Fatalf("canceled caller got %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("a canceled caller still waits for the shared request")
	}
	close(accts.gate)
	if err := <-other; err != nil {
		t.Fatalf("the other caller: %v", err)
	}
}
