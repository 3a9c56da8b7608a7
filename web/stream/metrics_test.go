package stream

import "testing"

// BenchmarkCountFrame is what a stream writer pays per frame written.
func BenchmarkCountFrame(b *testing.B) {
	var c counters
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.frame(transportWS, 1200)
		}
	})
}

func TestCloseIndex(t *testing.T) {
	tests := []struct{ code, want int }{
		{1000, 0}, {1001, 1}, {1006, 2}, {1007, 3}, {1013, 7}, {4001, 8}, {4002, 9}, {4999, 10}, {0, 10},
	}
	for _, tt := range tests {
		if got := closeIndex(tt.code); got != tt.want {
			t.Errorf("closeIndex(%d) = %d, want %d", tt.code, got, tt.want)
		}
	}
}
