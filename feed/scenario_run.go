package feed

import (
	"container/heap"
	"math"
	"slices"
	"time"
)

// never is the scheduled time of a halted symbol's next tick.
const never = time.Duration(math.MaxInt64)

// scenarioRun is the simulation's state of a scenario: its schedule of
// transitions (an event beginning or ending) and what the active events
// set per symbol. Only marketSim uses it, under the market's simMu.
type scenarioRun struct {
	events []plannedEvent
	trans  []transition // by time; at one time beginnings first, then by event
	next   int          // index of the next transition due

	halted   []int32   // per symbol: halts in force
	volMult  []float64 // per symbol: product of the active volatility factors
	rateMult []float64 // per symbol: product of the active rate factors
	gap      []float64 // per symbol: log move waiting for the next tick
	shocks   []shockRun
	active   []int  // volatility and rate events in force, by the order they began
	mark     []bool // scratch: symbols a transition touches
}

// plannedEvent is an event placed in simulated time, with the symbols
// (indexes into the market's sorted universe) it applies to.
type plannedEvent struct {
	ScenarioEvent
	start, end time.Duration // offsets from the market's start; end == start for a gap
	members    []int
}

// transition is an event beginning (begin) or ending at a simulated time.
type transition struct {
	at    time.Duration
	ev    int
	begin bool
}

// shockRun is a shock's move spread evenly over [start, end]: scale[i] is
// symbol i's share of the move (its exposure to the market factor relative
// to the average of the symbols the shock applies to; 0 outside them).
type shockRun struct {
	start, end time.Duration
	move       float64 // natural log of 1 + percent/100
	scale      []float64
}

// newScenarioRun plans sc for a universe syms (sorted as the market keeps
// them) whose simulated clock starts at startNS. sc must have passed
// Check(syms).
func newScenarioRun(sc *Scenario, syms []Symbol, startNS int64) *scenarioRun {
	n := len(syms)
	r := &scenarioRun{
		halted:   make([]int32, n),
		volMult:  make([]float64, n),
		rateMult: make([]float64, n),
		gap:      make([]float64, n),
		mark:     make([]bool, n),
	}
	for i := range n {
		r.volMult[i], r.rateMult[i] = 1, 1
	}
	for _, e := range sc.Events {
		p := plannedEvent{ScenarioEvent: e, start: e.start(startNS)}
		p.end = p.start + e.Duration
		if p.end < p.start { // overflow: an end beyond any simulated time
			p.end = never
		}
		for i, s := range syms {
			if e.Symbol == s.Ticker || e.Sector == s.Sector || e.Symbol == "" && e.Sector == "" {
				p.members = append(p.members, i)
			}
		}
		k := len(r.events)
		r.events = append(r.events, p)
		switch e.Type {
		case EventShock:
			r.shocks = append(r.shocks, newShockRun(p, syms))
		default:
			r.trans = append(r.trans, transition{at: p.start, ev: k, begin: true})
			if e.Type != EventGap {
				r.trans = append(r.trans, transition{at: p.end, ev: k})
			}
		}
	}
	slices.SortStableFunc(r.trans, func(a, b transition) int {
		switch {
		case a.at != b.at:
			return cmpDuration(a.at, b.at)
		case a.begin != b.begin:
			if a.begin {
				return -1
			}
			return 1
		}
		return a.ev - b.ev
	})
	return r
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newShockRun(p plannedEvent, syms []Symbol) shockRun {
	sh := shockRun{start: p.start, end: p.end, move: logMove(p.Percent), scale: make([]float64, len(syms))}
	var sum float64
	for _, i := range p.members {
		wp := newWalkParams(syms[i])
		sh.scale[i] = wp.sigma * wp.beta
		sum += sh.scale[i]
	}
	mean := sum / float64(len(p.members))
	for _, i := range p.members {
		sh.scale[i] /= mean
	}
	return sh
}

// nextAt returns the time of the next transition, if any is left.
func (r *scenarioRun) nextAt() (time.Duration, bool) {
	if r.next >= len(r.trans) {
		return 0, false
	}
	return r.trans[r.next].at, true
}

// shockMove is the log move the shocks give symbol i between two ticks.
func (r *scenarioRun) shockMove(i int, from, to time.Duration) float64 {
	var move float64
	for k := range r.shocks {
		sh := &r.shocks[k]
		if sh.scale[i] == 0 || to <= sh.start || from >= sh.end {
			continue
		}
		move += sh.scale[i] * sh.move * (sh.progress(to) - sh.progress(from))
	}
	return move
}

// progress is the share of the shock's move done by t, from 0 to 1.
func (sh *shockRun) progress(t time.Duration) float64 {
	switch {
	case t <= sh.start:
		return 0
	case t >= sh.end:
		return 1
	}
	return float64(t-sh.start) / float64(sh.end-sh.start)
}

// takeGap returns and clears symbol i's pending gap.
func (r *scenarioRun) takeGap(i int) float64 {
	g := r.gap[i]
	r.gap[i] = 0
	return g
}

// applyNext applies the next transition to s: it moves s's clock to the
// transition, changes the per-symbol state, queues the status changes of
// halts beginning or ending and reschedules the ticks it affects.
func (r *scenarioRun) applyNext(s *marketSim) {
	tr := r.trans[r.next]
	r.next++
	s.now = max(s.now, tr.at)
	e := &r.events[tr.ev]
	if e.Type == EventVolatility || e.Type == EventRate {
		if tr.begin {
			r.active = append(r.active, tr.ev)
		} else {
			r.active = slices.DeleteFunc(r.active, func(k int) bool { return k == tr.ev })
		}
	}
	switch e.Type {
	case EventGap:
		for _, i := range e.members {
			r.gap[i] += logMove(e.Percent)
		}
	case EventHalt:
		for _, i := range e.members {
			if tr.begin {
				r.halted[i]++
				if r.halted[i] == 1 {
					r.mark[i] = true
					s.status = append(s.status, simTick{sym: i, at: tr.at, status: StatusHalted, change: true})
				}
			} else {
				r.halted[i]--
				if r.halted[i] == 0 {
					r.mark[i] = true
					s.status = append(s.status, simTick{sym: i, at: tr.at, status: StatusOpen, change: true})
				}
			}
		}
		s.reschedule(r.mark, tr.at)
	case EventVolatility:
		r.recompute(r.volMult, EventVolatility, e.members)
	case EventRate:
		r.recompute(r.rateMult, EventRate, e.members)
		for _, i := range e.members {
			r.mark[i] = true
		}
		s.reschedule(r.mark, tr.at)
	}
}

// recompute sets mult of each member to the product of the factors of the
// events of type t in force that apply to it.
func (r *scenarioRun) recompute(mult []float64, t EventType, members []int) {
	for _, i := range members {
		mult[i] = 1
	}
	for _, k := range r.active {
		e := &r.events[k]
		if e.Type != t {
			continue
		}
		for _, i := range e.members {
			r.mark[i] = true
		}
		for _, i := range members {
			if r.mark[i] {
				mult[i] *= e.Factor
			}
		}
		for _, i := range e.members {
			r.mark[i] = false
		}
	}
}

// reschedule draws a new next tick, from at, for every marked symbol that
// is not halted, puts halted ones at never, and clears the marks. It visits
// the heap in its (deterministic) order so the draws are reproducible.
func (s *marketSim) reschedule(mark []bool, at time.Duration) {
	for k := range s.events {
		i := s.events[k].sym
		if !mark[i] {
			continue
		}
		mark[i] = false
		if s.sc.halted[i] > 0 {
			s.events[k].at = never
		} else {
			s.events[k].at = at + s.interarrival(i)
		}
	}
	heap.Init(&s.events)
}
