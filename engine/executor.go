package engine

import (
	"fmt"
	"time"
)

// An Executor decides when task iterations start and which user runs
// them; users run them (one iteration: pick a task by weight, run its
// steps, release its pool rows: vuser.iterate). The Runner owns everything
// else: users' lives (on_start, on_stop, the stop timeout), statistics,
// rendezvous and the population barriers count, the -n and -t bounds and
// the end of the run. Every run has one, started by Runner.Start (or
// StartSplit, StartShape) in its own goroutine:
//
//   - the closed model (closedModel, engine/closed.go; Locust's), when
//     Options.Executor is nil: users started along a Ramp, a pure function
//     of elapsed time, each looping over its tasks with its think times or
//     pacing (Driver.startLocked); SetUsers and SetSplit change its users
//     mid-run, closed-model stages (StartShape) change them on schedule;
//   - the open model (openModel, engine/open.go), for an open-model shape:
//     arrivals on the shape's schedule (those Shape.Take gives it, when it
//     is one part of a larger run), each handed to an idle user with
//     User.OfferDue, users made with Driver.NewUserFor up to max_users;
//   - Options.Executor: an executor of the caller's, on the same Driver
//     methods as the open model.
type Executor interface {
	// Run drives the run. The Runner calls it once, in its own goroutine,
	// when the run starts; Run returns when d.Stopping() is closed or when
	// the executor will start nothing more, which ends the run gracefully
	// ("schedule finished") once every user has finished its iteration.
	Run(d *Driver)
}

// Driver is a run as an executor sees it. Its exported methods are safe
// for concurrent use; its unexported ones, named …Locked, are the closed
// model's and need the Runner's mu held.
type Driver struct {
	r *Runner
	// Users and Rate are what Runner.Start was given (an executor may read
	// them as a cap on users or a default rate, or ignore them).
	Users int
	Rate  float64
	// split is StartSplit's count of users per type, nil for Start.
	split []int
}

// Elapsed is the time since the run started: schedules are functions of it.
func (d *Driver) Elapsed() time.Duration { return time.Since(d.r.started) }

// Stopping is closed when the run is ending (stopped, killed, run time,
// iterations, an aborting threshold): the executor starts nothing more.
func (d *Driver) Stopping() <-chan struct{} { return d.r.stopping }

// StoppedAt is the elapsed time at which the run began to stop (at most
// its run time); it is meaningful once Stopping is closed.
func (d *Driver) StoppedAt() time.Duration {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	return d.r.stoppedAt
}

// Sleep waits until elapsed time at, or returns false at once when the run
// is ending first.
func (d *Driver) Sleep(at time.Duration) bool {
	wait := at - d.Elapsed()
	if wait <= 0 {
		select {
		case <-d.r.stopping:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-d.r.stopping:
		return false
	}
}

// UserTypes is the number of user types; types are numbered in scenario order.
func (d *Driver) UserTypes() int { return len(d.r.plan.users) }

// Split divides n users between the user types by weight, exactly (8 users
// at 3:1 are 6 and 2); a run begun with StartSplit gets its split instead.
func (d *Driver) Split(n int) []int {
	if d.split != nil {
		return append([]int(nil), d.split...)
	}
	return splitUsers(d.r.plan, n)
}

// NewUser starts a user of type kind that runs its on_start now and then
// one task iteration each time it is offered one (User.Offer), with no
// waits of its own: the executor's schedule is the pacing. nil when the run
// is ending.
func (d *Driver) NewUser(kind int) *User {
	if kind < 0 || kind >= len(d.r.plan.users) {
		panic(fmt.Sprintf("engine: NewUser(%d): there are %d user types", kind, len(d.r.plan.users)))
	}
	r := d.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state >= Stopping {
		return nil
	}
	u := r.newUserLocked(kind)
	u.work = make(chan time.Time)
	r.addUserLocked(u)
	return &User{u: u}
}

// NewUserFor is NewUser for an arrival due at due that found no idle user:
// the new user runs its on_start and then, at once, that iteration. The
// iteration's first request is timed from due, without the on_start.
func (d *Driver) NewUserFor(kind int, due time.Time) *User {
	if kind < 0 || kind >= len(d.r.plan.users) {
		panic(fmt.Sprintf("engine: NewUserFor(%d): there are %d user types", kind, len(d.r.plan.users)))
	}
	r := d.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state >= Stopping {
		return nil
	}
	u := r.newUserLocked(kind)
	u.work = make(chan time.Time)
	u.first, u.firstLag = true, max(time.Since(due), 0)
	r.addUserLocked(u)
	return &User{u: u}
}

// End ends the run gracefully with reason (users finish their iteration).
func (d *Driver) End(reason string) { d.r.endRun(reason) }

// Logf writes a run message (the Runner's log).
func (d *Driver) Logf(format string, args ...any) { d.r.logf(format, args...) }

// User is a virtual user an executor started with Driver.NewUser.
type User struct{ u *vuser }

// ID is the user's number (`${user_id}`).
func (h *User) ID() int { return h.u.id }

// Offer hands the user one task iteration to start now, and reports
// whether it took it: false when it is still in its previous iteration (or
// in on_start), or has ended. An open-model executor counts refused offers
// as iterations it could not start (it had too few idle users).
func (h *User) Offer() bool { return h.OfferDue(time.Time{}) }

// OfferDue is Offer for an iteration that was due at due (an arrival of
// the open model): its first request is timed from due, so a late start
// counts as latency.
func (h *User) OfferDue(due time.Time) bool {
	select {
	case h.u.work <- due:
		return true
	default:
		return false
	}
}

// Stop asks the user to stop after the iteration it is in (then on_stop).
func (h *User) Stop() {
	r := h.u.r
	r.mu.Lock()
	r.stopUserLocked(h.u)
	r.mu.Unlock()
}

// Done is closed when the user has ended.
func (h *User) Done() <-chan struct{} { return h.u.done }

// The methods below are the closed model's (closedModel): they read and
// change the run's users with the Runner's mu held, so that a change of
// users is one step for every reader of the run (State, Users, Alive).

// stoppingLocked reports whether the run is ending.
func (d *Driver) stoppingLocked() bool { return d.r.state >= Stopping }

// runningLocked is the number of users running and not asked to stop.
func (d *Driver) runningLocked() int { return len(d.r.users) }

// runningOfLocked is runningLocked for user type kind.
func (d *Driver) runningOfLocked(kind int) int { return d.r.byKind[kind] }

// liveLocked is the number of user goroutines that have not exited (users
// asked to stop that are finishing their iteration included).
func (d *Driver) liveLocked() int { return len(d.r.live) }

// mixLocked is the running users per type, for the log.
func (d *Driver) mixLocked() string { return d.r.mixLocked() }

// expectLocked tells the run whether the executor is still starting users
// (the run's state is Spawning, else Running) and how many it will still
// start: Alive counts them, so that barriers do not release groups short
// during a ramp-up, and each user it then starts is one of them.
func (d *Driver) expectLocked(spawning bool, pending int) {
	r := d.r
	if r.state >= Stopping {
		return
	}
	r.state = Running
	if spawning {
		r.state = Spawning
	}
	if delta := pending - r.pending; delta != 0 {
		r.pending = pending
		r.addPopulation(int64(delta))
		r.populationChanged()
	}
}

// startLocked starts a closed-model user of type kind: on_start, then
// iterations back to back with its task's waits or pacing (vuser.loop)
// until it is asked to stop.
func (d *Driver) startLocked(kind int) {
	r := d.r
	r.addUserLocked(r.newUserLocked(kind))
}

// stopNewestLocked asks the most recently started users of each type
// beyond want[type] to stop after their iteration.
func (d *Driver) stopNewestLocked(want []int) { d.r.stopNewestLocked(want) }
