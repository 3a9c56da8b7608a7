package feed

import (
	"math"
	"testing"
	"time"
)

func TestMarketTickRate(t *testing.T) {
	const span = time.Hour
	tests := []struct {
		name string
		rate float64 // configured; 0 means the default
		want float64
	}{
		{"default", 0, 2},
		{"four", 4, 4},
		{"half", 0.5, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			syms := mustUniverse(t)[:10]
			m := mustMarket(t, MarketConfig{Symbols: syms, Seed: 5, TicksPerSecond: tt.rate})
			counts := make(map[string]int)
			for range 60 {
				for _, q := range m.Advance(span / 60) {
					counts[q.Symbol]++
				}
			}
			// A Poisson count over the span has sd sqrt(mean): allow about
			// 5 sd per symbol and 3 sd for the whole universe.
			mean := tt.want * span.Seconds()
			total := 0
			for _, s := range syms {
				n := counts[s.Ticker]
				total += n
				if math.Abs(float64(n)-mean) > 5*math.Sqrt(mean) {
					t.Errorf("%s: %d ticks in %v, want about %.0f", s.Ticker, n, span, mean)
				}
			}
			all := mean * float64(len(syms))
			if math.Abs(float64(total)-all) > 3*math.Sqrt(all) {
				t.Errorf("%d ticks in all, want about %.0f", total, all)
			}
		})
	}
}

func TestMarketReturnsCorrelate(t *testing.T) {
	syms := mustUniverse(t)[:20]
	m := mustMarket(t, MarketConfig{Symbols: syms, Seed: 8, TicksPerSecond: 0.5})
	const samples = 360 // one-minute returns over six hours
	rets := make([][]float64, len(syms))
	prev := make([]float64, len(syms))
	for i, s := range syms {
		prev[i] = math.Log(float64(s.Price))
	}
	for range samples {
		m.Advance(time.Minute)
		for i, s := range syms {
			p, _, _ := m.LastPrice(s.Ticker)
			lp := math.Log(float64(p))
			rets[i] = append(rets[i], lp-prev[i])
			prev[i] = lp
		}
	}
	var sum float64
	pairs, positive := 0, 0
	for i := range rets {
		for j := i + 1; j < len(rets); j++ {
			c := pearson(rets[i], rets[j])
			sum += c
			pairs++
			if c > 0 {
				positive++
			}
		}
	}
	// Sector loadings of 0.63-0.75 give pairwise correlations of 0.4-0.56.
	avg := sum / float64(pairs)
	t.Logf("mean pairwise correlation %.3f, %d of %d pairs positive", avg, positive, pairs)
	if avg < 0.3 || avg > 0.7 {
		t.Errorf("mean pairwise correlation of one-minute returns %.3f, want 0.3-0.7", avg)
	}
	if positive < pairs*95/100 {
		t.Errorf("only %d of %d pairs positively correlated", positive, pairs)
	}
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma, mb = ma/n, mb/n
	var cov, va, vb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		cov += da * db
		va += da * da
		vb += db * db
	}
	return cov / math.Sqrt(va*vb)
}

func TestMarketVolatilityScale(t *testing.T) {
	// The realised variance of one-minute log returns over a simulated
	// session matches the model's sigma²·dt, with dt in trading years of
	// 252 sessions of 6.5 hours.
	syms := mustUniverse(t)[20:40]
	m := mustMarket(t, MarketConfig{Symbols: syms, Seed: 12, TicksPerSecond: 0.5})
	const minutes = 390
	dt := time.Minute.Hours() / (252 * 6.5)
	sum := make([]float64, len(syms))
	prev := make([]int64, len(syms))
	for i, s := range syms {
		prev[i] = s.Price
	}
	for range minutes {
		m.Advance(time.Minute)
		for i, s := range syms {
			p, _, _ := m.LastPrice(s.Ticker)
			r := math.Log(float64(p) / float64(prev[i]))
			sum[i] += r * r
			prev[i] = p
		}
	}
	var ratio float64
	for i, s := range syms {
		ratio += sum[i] / minutes / (s.Volatility * s.Volatility * dt)
	}
	ratio /= float64(len(syms))
	t.Logf("realised / model variance of one-minute returns: %.3f", ratio)
	if ratio < 0.8 || ratio > 1.25 {
		t.Errorf("realised / model variance %.3f, want about 1", ratio)
	}
}

func BenchmarkMarketAdvance(b *testing.B) {
	m := mustMarket(b, MarketConfig{Seed: 1})
	var ticks int
	b.ReportAllocs()
	for b.Loop() {
		ticks += len(m.Advance(time.Second))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ticks), "ns/tick")
}
