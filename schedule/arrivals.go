package schedule

import (
	"math/rand/v2"
	"time"
)

// Process is how arrivals are spaced.
type Process int

const (
	// Even spaces arrivals evenly: the k-th arrival (from 0) is due when
	// the schedule expects k arrivals, so 100/s gives one every 10 ms.
	Even Process = iota + 1
	// Poisson spaces them as independent users arriving at random at the
	// schedule's rate would: the expected number of arrivals between two
	// is exponentially distributed with mean 1 (a time-rescaled Poisson
	// process, so a ramping rate ramps the random arrivals too).
	Poisson
)

// Arrivals walks the open model's arrival times in order. It is not safe
// for concurrent use: one goroutine (the engine's, or a master's) owns it.
type Arrivals struct {
	s       *Schedule
	process Process
	rnd     *rand.Rand
	// next is the expected-arrivals count at which the next arrival is due.
	next float64
	n    int64
}

// Arrivals starts the arrival times of an open-model schedule. seed makes
// Poisson arrivals repeatable; Even arrivals do not use it.
func (s *Schedule) Arrivals(p Process, seed uint64) *Arrivals {
	a := &Arrivals{s: s, process: p, rnd: rand.New(rand.NewPCG(seed, 0x6c6f616472756e))}
	if p == Poisson {
		a.next = a.rnd.ExpFloat64()
	}
	return a
}

// Next is the elapsed time at which the next arrival is due, and false
// once the schedule has ended. Times never decrease.
func (a *Arrivals) Next() (time.Duration, bool) {
	at, ok := a.s.timeOf(a.next)
	if !ok {
		return 0, false
	}
	a.n++
	if a.process == Poisson {
		a.next += a.rnd.ExpFloat64()
	} else {
		a.next = float64(a.n)
	}
	return at, true
}
