package web

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(3, time.Minute)
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 3; i++ {
		if d := l.allow("k", now); d != 0 {
			t.Fatalf("attempt %d refused (%v)", i+1, d)
		}
	}
	d := l.allow("k", now)
	if d <= 0 || d > 20*time.Second {
		t.Fatalf("4th attempt wait = %v, want (0, 20s]", d)
	}
	if l.allow("other", now) != 0 {
		t.Fatal("another key is limited too")
	}
	// A refused attempt consumes nothing: after the wait, one passes.
	if got := l.allow("k", now.Add(d)); got != 0 {
		t.Fatalf("after waiting %v still refused (%v)", d, got)
	}
}

func TestLimiterMemoryBounded(t *testing.T) {
	l := newLimiter(5, time.Minute)
	l.maxKeys = 100
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 100; i++ {
		l.allow(fmt.Sprint("ip", i), now)
	}
	// Full, none idle: a new key fails closed instead of growing the map.
	if d := l.allow("new", now.Add(time.Second)); d == 0 {
		t.Fatal("new key admitted past maxKeys")
	}
	if n := l.size(); n != 100 {
		t.Fatalf("size = %d, want 100", n)
	}
	// A window later the idle keys are evicted and new keys are admitted.
	later := now.Add(time.Minute + time.Second)
	if d := l.allow("new", later); d != 0 {
		t.Fatalf("new key refused after eviction (%v)", d)
	}
	if n := l.size(); n != 1 {
		t.Fatalf("size after sweep = %d, want 1", n)
	}
}
