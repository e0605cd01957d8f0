package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/loadrun/loadrun/cluster"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
)

// masterShape is the load shape a master follows across its workers
// (--stages, --arrival-rate or the scenario's load:, as `run` resolves
// them), nil for a plain -u/-r run. It is refused (an error) when the
// master cannot follow it as one process would: an open model with fewer
// max_users than expected workers (each worker runs one at least).
func masterShape(f *runFlags, sc *scenario.Scenario, expect int) (*cluster.Shape, error) {
	sh, desc, err := f.shape.resolve(sc, f.runTime)
	if err != nil || sh == nil {
		return nil, err
	}
	open := sh.Schedule.Model() == schedule.Open
	if open && sh.MaxUsers < expect {
		return nil, fmt.Errorf("max users %d is less than the %d expected workers: each worker runs at least one of the users; give --max-users %d or more, or fewer workers", sh.MaxUsers, expect, expect)
	}
	seed := f.seed
	for seed == 0 {
		// Every worker walks the same arrivals and draws the same types.
		seed = rand.Uint64()
	}
	f.shape.resolved, f.shape.desc = sh, desc
	return &cluster.Shape{Schedule: sh.Schedule, Process: sh.Process, MaxUsers: sh.MaxUsers, Seed: seed}, nil
}

// fixedCounts are the user types' fixed_count, in scenario order; nil
// when no type has one.
func fixedCounts(sc *scenario.Scenario) []int {
	var out []int
	for i, u := range sc.Users {
		if u.FixedCount > 0 {
			if out == nil {
				out = make([]int, len(sc.Users))
			}
			out[i] = u.FixedCount
		}
	}
	return out
}

// shapeReport gives a shaped run's reports what `run` gives them: the shape
// followed, its peak users and, without -t, its length.
func (f *shapeFlags) shapeReport(run *reports.Run) {
	sh := f.resolved
	if sh == nil {
		return
	}
	run.Load, run.Users, run.SpawnRate = f.desc, sh.Peak(), 0
	if d := sh.Schedule.Duration(); run.RunTime <= 0 && d != schedule.Forever {
		run.RunTime = d
	}
}

// masterShapeLine is the live console's line for a shaped run on a master:
// the stage and target users, or the target rate and the drops so far.
func (f *shapeFlags) masterShapeLine(m *cluster.Master) string {
	sh := f.resolved
	if sh == nil {
		return ""
	}
	start, end := m.Times()
	now := time.Now()
	if !end.IsZero() {
		now = end
	}
	p := sh.Schedule.At(now.Sub(start))
	if sh.Schedule.Model() != schedule.Open {
		return fmt.Sprintf("Stage %d/%d: target %d users", p.Stage+1, sh.Schedule.Len(), sh.Schedule.Users(now.Sub(start)))
	}
	var dropped int64
	var perSec float64
	if s := m.Snapshot(); s != nil {
		if s.Open != nil {
			dropped = s.Open.Dropped
		}
		if n := len(s.History); n > 0 {
			perSec = s.History[n-1].DroppedPerSec
		}
	}
	return fmt.Sprintf("Stage %d/%d: rate %.1f/s   max users: %d   dropped: %d (%.1f/s)", p.Stage+1, sh.Schedule.Len(), p.Value, sh.MaxUsers, dropped, perSec)
}

// StartArrivals runs the worker's part of an open-model run: the master's
// schedule, the arrivals dealt to this worker, its share of max_users.
func (w *workerRun) StartArrivals(a cluster.Arrivals) error {
	return w.StartShape(&engine.Shape{Schedule: a.Schedule, Process: a.Process, MaxUsers: a.MaxUsers, Take: a.Take})
}
