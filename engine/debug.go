package engine

import (
	"time"

	"github.com/loadrun/loadrun/stats"
)

// Debug runs one user of each user type through on_start, every task once
// in file order (without waits) and on_stop, reporting everything to
// opts.Tracer. It is how a tester makes a new scenario work before loading
// anything. The statistics of those requests are returned.
func Debug(plan *Plan, opts Options) *stats.Snapshot {
	r := NewRunner(plan, opts)
	r.mu.Lock()
	r.started = time.Now()
	r.stats = stats.New(r.started, 1)
	r.stats.OrderChecks(plan.checkOrder())
	r.state = Running
	r.mu.Unlock()
	for kind := range plan.users {
		r.mu.Lock()
		u := r.newUserLocked(kind)
		r.addPopulation(1)
		r.mu.Unlock()
		u.debugRun()
		r.addPopulation(-1)
		u.cancel()
	}
	r.closeBarriers()
	return r.stats.Snapshot(time.Now())
}

func (u *vuser) debugRun() {
	defer u.sess.close()
	u.initVars()
	if u.r.tracer != nil {
		u.r.tracer.Log(u.id, "user type "+u.plan.name+": on_start")
	}
	if u.runSteps(u.plan.onStart) != resultStopUser {
		for _, t := range u.plan.tasks {
			if u.r.tracer != nil {
				u.r.tracer.Log(u.id, "task "+t.name)
			}
			u.inTask = true
			res := u.runSteps(t.steps)
			u.inTask = false
			u.releaseTaskPools()
			if res == resultStopUser {
				break
			}
		}
	}
	if u.r.tracer != nil {
		u.r.tracer.Log(u.id, "user type "+u.plan.name+": on_stop")
	}
	u.runSteps(u.plan.onStop)
	u.releaseAll()
}
