package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
)

// Shape is the load a run follows instead of a fixed number of users: a
// closed-model schedule of users, or an open-model schedule of arrivals
// run by at most MaxUsers users.
type Shape struct {
	Schedule *schedule.Schedule
	// Process spaces the open model's arrivals.
	Process schedule.Process
	// MaxUsers bounds the open model's users.
	MaxUsers int
	// Take, when set, makes this run one part of an open-model run shared
	// by several (a distributed master's workers): of the schedule's
	// arrivals, numbered from 0 in order, this run runs only those for which
	// Take(n) is true; the others are another part's, neither run nor
	// counted here. Every part walks the same arrivals (same schedule,
	// process and seed) and draws each one's user type in turn, so the
	// parts together run exactly the arrivals, and types, of one run.
	// Take is called from one goroutine, in arrival order.
	Take func(n int64) bool
}

// Peak is the most users the shape runs at once: the highest stage
// target of the closed model, MaxUsers of the open one.
func (sh *Shape) Peak() int {
	if sh.Schedule.Model() == schedule.Open {
		return sh.MaxUsers
	}
	peak := 0
	for i := range sh.Schedule.Len() {
		peak = max(peak, int(sh.Schedule.Stage(i).Target))
	}
	return peak
}

// ShapeOf is the shape a scenario's load section describes.
func ShapeOf(l *scenario.Shape) *Shape {
	sh := &Shape{MaxUsers: l.MaxUsers, Process: schedule.Even}
	if l.Arrivals == scenario.ArrivalsPoisson {
		sh.Process = schedule.Poisson
	}
	if l.Rate != nil {
		sh.Schedule = schedule.Constant(l.Rate.PerSecond, l.Duration)
		return sh
	}
	stages := make([]schedule.Stage, 0, len(l.Stages))
	for _, st := range l.Stages {
		target := float64(st.Users)
		if st.Rate != nil {
			target = st.Rate.PerSecond
		}
		stages = append(stages, schedule.Stage{Duration: st.Duration, Target: target})
	}
	if l.Open() {
		sh.Schedule = schedule.Ramping(stages)
	} else {
		sh.Schedule = schedule.Stages(stages)
	}
	return sh
}

// StartShape begins a run that follows sh: users ramp along a closed-model
// schedule, or arrivals start task iterations along an open-model one. The
// run ends when the schedule does (or earlier, at Options.RunTime).
func (r *Runner) StartShape(sh *Shape) error {
	if sh == nil || sh.Schedule == nil {
		return errors.New("no load shape")
	}
	open := sh.Schedule.Model() == schedule.Open
	if open && sh.MaxUsers < 1 {
		return fmt.Errorf("max_users must be 1 or more, not %d", sh.MaxUsers)
	}
	r.mu.Lock()
	if r.state != Ready {
		r.mu.Unlock()
		return errors.New("the run has already started")
	}
	// A run time given (-t) overrides the schedule's length: a closed
	// schedule then holds its last target. (The open model's executor
	// ends the run when its schedule ends.)
	if d := sh.Schedule.Duration(); !open && d != schedule.Forever && r.opts.RunTime <= 0 {
		r.opts.RunTime = d
	}
	r.shape = sh
	if open {
		seed := r.opts.Seed
		if seed == 0 {
			seed = rand.Uint64()
		}
		r.open = newOpenModel(sh, r.plan, seed)
		r.exec = r.open
	} else {
		// The closed model applies each change of the schedule's users,
		// all at once (the schedule itself is the ramp).
		r.exec = newClosedModel(len(r.plan.users), sh.Schedule)
	}
	r.mu.Unlock()
	if open {
		return r.Start(0, 0)
	}
	return r.Start(sh.Schedule.Users(0), 0)
}

// ShapeStatus is where a shaped run is, for the live console.
type ShapeStatus struct {
	// Stage is 1-based; Stages is how many there are.
	Stage, Stages int
	// Open is true for the open model: Target is then an arrival rate per
	// second, else a number of users.
	Open   bool
	Target float64
	// Users is how many of MaxUsers the open model has made so far.
	Users, MaxUsers int
}

// Shape is where a shaped run is now; false when the run follows no shape.
func (r *Runner) Shape() (ShapeStatus, bool) {
	r.mu.Lock()
	sh, start, end := r.shape, r.started, r.ended
	r.mu.Unlock()
	if sh == nil || start.IsZero() {
		return ShapeStatus{}, false
	}
	now := time.Now()
	if !end.IsZero() {
		now = end
	}
	p := sh.Schedule.At(now.Sub(start))
	st := ShapeStatus{Stage: p.Stage + 1, Stages: sh.Schedule.Len(), Target: p.Value}
	if sh.Schedule.Model() == schedule.Open {
		st.Open, st.MaxUsers = true, sh.MaxUsers
		if r.open != nil {
			st.Users = int(r.open.made.Load())
		}
	} else {
		st.Target = float64(sh.Schedule.Users(now.Sub(start)))
	}
	return st, true
}

// SplitUsers is how n users divide between the plan's user types (in
// scenario order) in a run of one process: what a distributed master's
// split must add up to.
func (p *Plan) SplitUsers(n int) []int { return splitUsers(p, n) }

// splitUsers splits n users between user types: each type with a fixed
// count gets it first (in file order, as far as n goes), then the weights
// of the others share the rest exactly: each gets its floor share and the
// remainders go to the largest fractions (8 users at 3:1 are 6 and 2).
func splitUsers(plan *Plan, n int) []int {
	out := make([]int, len(plan.users))
	fixed := make([]bool, len(plan.users))
	if plan.Scenario != nil && len(plan.Scenario.Users) == len(plan.users) {
		for i, ut := range plan.Scenario.Users {
			if ut.FixedCount > 0 {
				fixed[i] = true
				out[i] = min(ut.FixedCount, n)
				n -= out[i]
			}
		}
	}
	total := 0
	for i, u := range plan.users {
		if !fixed[i] {
			total += u.weight
		}
	}
	if total == 0 || n <= 0 {
		return out
	}
	type rem struct{ i, num int }
	var rems []rem
	given := 0
	for i, u := range plan.users {
		if fixed[i] {
			continue
		}
		out[i] = n * u.weight / total
		given += out[i]
		rems = append(rems, rem{i, n * u.weight % total})
	}
	for given < n {
		best := 0
		for j := range rems {
			if rems[j].num > rems[best].num {
				best = j
			}
		}
		out[rems[best].i]++
		rems[best].num = -1
		given++
	}
	return out
}
