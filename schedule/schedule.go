// Package schedule is the shape of a load as a pure function of the time
// elapsed since the start of a run: how many users should run (closed
// model) or at what rate task iterations should start (open model), and
// when each arrival of the open model is due. It reads no clock, so an
// engine on one machine and a master driving several workers follow the
// same schedule and tests need no time to pass.
package schedule

import (
	"math"
	"time"
)

// Forever is the length of a schedule without an end (a constant rate
// that runs until the run is stopped).
const Forever = time.Duration(math.MaxInt64)

// Model says what a schedule's values are.
type Model int

const (
	// Closed values are numbers of users.
	Closed Model = iota + 1
	// Open values are arrival rates, per second.
	Open
)

// Stage is one step of a schedule: over Duration, the value moves linearly
// to Target (users, or arrivals per second).
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Schedule is a piecewise-linear function of elapsed time. It is immutable
// and safe for concurrent use.
type Schedule struct {
	model  Model
	stages []Stage
	// from[i] is the value at the start of stage i; starts[i] its start.
	from   []float64
	starts []time.Duration
	total  time.Duration
	// cum[i] is the number of arrivals expected before stage i starts
	// (open model).
	cum []float64
}

// Stages is the closed model: users ramp linearly from 0 to each stage's
// target over its duration, stage after stage.
func Stages(stages []Stage) *Schedule { return build(Closed, 0, stages) }

// Ramping is the open model with a changing rate: from 0 it ramps linearly
// to each stage's target rate (per second) over the stage's duration.
func Ramping(stages []Stage) *Schedule { return build(Open, 0, stages) }

// Constant is the open model at a steady rate (per second) for d; d of 0
// means without an end.
func Constant(rate float64, d time.Duration) *Schedule {
	if d <= 0 {
		d = Forever
	}
	return build(Open, rate, []Stage{{Duration: d, Target: rate}})
}

func build(m Model, start float64, stages []Stage) *Schedule {
	s := &Schedule{model: m, stages: append([]Stage(nil), stages...)}
	v, at, cum := start, time.Duration(0), 0.0
	for _, st := range s.stages {
		s.from = append(s.from, v)
		s.starts = append(s.starts, at)
		s.cum = append(s.cum, cum)
		cum += (v + st.Target) / 2 * st.Duration.Seconds()
		if at > Forever-st.Duration {
			at = Forever
		} else {
			at += st.Duration
		}
		v = st.Target
	}
	s.total = at
	s.cum = append(s.cum, cum)
	return s
}

// Model is whether the schedule's values are users or rates.
func (s *Schedule) Model() Model { return s.model }

// Duration is how long the schedule lasts (Forever when it has no end).
func (s *Schedule) Duration() time.Duration { return s.total }

// Len is the number of stages.
func (s *Schedule) Len() int { return len(s.stages) }

// Stage is the i-th stage (0-based).
func (s *Schedule) Stage(i int) Stage { return s.stages[i] }

// Point is where a schedule is at one time.
type Point struct {
	// Stage is the 0-based index of the stage in progress (the last one
	// once the schedule is done).
	Stage int
	// Value is the target at that time: users (closed) or arrivals per
	// second (open), not rounded.
	Value float64
	// Done is true once the schedule has ended.
	Done bool
}

// At is the schedule at elapsed time t.
func (s *Schedule) At(t time.Duration) Point {
	if len(s.stages) == 0 {
		return Point{Done: true}
	}
	if t < 0 {
		t = 0
	}
	for i, st := range s.stages {
		end := s.starts[i] + st.Duration
		if s.starts[i] > Forever-st.Duration {
			end = Forever
		}
		if t < end {
			// Multiplying before dividing keeps whole values exact.
			v := s.from[i] + (st.Target-s.from[i])*float64(t-s.starts[i])/float64(st.Duration)
			return Point{Stage: i, Value: v}
		}
	}
	last := len(s.stages) - 1
	return Point{Stage: last, Value: s.stages[last].Target, Done: true}
}

// Users is the number of users the closed model wants at t: the ramp's
// value rounded down, so a user joins when a rising ramp reaches its
// number and leaves as soon as a falling one drops below it; each stage
// ends exactly at its target and a ramp never overshoots.
func (s *Schedule) Users(t time.Duration) int {
	return int(math.Floor(s.At(t).Value))
}

// NextUsersChange is the first time after t at which Users changes, and
// false when it never does again.
func (s *Schedule) NextUsersChange(t time.Duration) (time.Duration, bool) {
	n := s.Users(t)
	for i := s.At(t).Stage; i < len(s.stages); i++ {
		start, st := s.starts[i], s.stages[i]
		if start > t && s.Users(start) != n {
			return start, true
		}
		from, to := s.from[i], st.Target
		var k float64 // the value at which Users leaves n
		switch {
		case to > from && float64(n+1) <= to:
			k = float64(n + 1)
		case to < from && float64(n) > to:
			k = float64(n)
		default:
			continue
		}
		f := (k - from) / (to - from)
		at := max(start+time.Duration(f*float64(st.Duration)), t)
		// The float above may land a few nanoseconds either side.
		for at > start {
			if s.Users(at-1) == n || at-1 <= t {
				break
			}
			at--
		}
		for j := 0; j < 64 && (at <= t || s.Users(at) == n); j++ {
			at++
		}
		if at > t && s.Users(at) != n {
			return at, true
		}
	}
	if s.total != Forever && s.total > t && s.Users(s.total) != n {
		return s.total, true
	}
	return 0, false
}

// Expected is the number of arrivals the open model expects in [0, t):
// the integral of the rate.
func (s *Schedule) Expected(t time.Duration) float64 {
	p := s.At(t)
	if p.Done {
		return s.cum[len(s.stages)]
	}
	from := s.from[p.Stage]
	x := (t - s.starts[p.Stage]).Seconds()
	return s.cum[p.Stage] + (from+p.Value)/2*x
}

// timeOf is the time at which Expected reaches c, and false when the
// schedule ends first.
func (s *Schedule) timeOf(c float64) (time.Duration, bool) {
	for i, st := range s.stages {
		if c >= s.cum[i+1] {
			continue
		}
		a := s.from[i]
		x := c - s.cum[i]
		if x <= 0 {
			return s.starts[i], s.starts[i] < s.total
		}
		d := st.Duration.Seconds()
		k := (st.Target - a) / d // the rate's slope, per second per second
		// Solve a·τ + k·τ²/2 = x for τ ≥ 0 in the form that stays exact
		// when k is near 0.
		disc := a*a + 2*k*x
		if disc < 0 {
			disc = 0
		}
		den := a + math.Sqrt(disc)
		if den <= 0 {
			continue
		}
		tau := 2 * x / den
		if tau > d {
			tau = d
		}
		at := s.starts[i] + time.Duration(tau*float64(time.Second))
		if at >= s.total {
			return 0, false
		}
		return at, true
	}
	return 0, false
}
