package engine

import (
	"slices"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
)

// closedModel is the closed model's Executor (Locust's): a number of users,
// started at a spawn rate along a Ramp, each running its tasks back to back
// with its think times or pacing (vuser.loop) until it is asked to stop.
// The number changes mid-run through Runner.SetUsers and SetSplit (the web
// UI, a master's new split after workers joined or were lost), or along
// closed-model stages (`load:` stages of users, a pure function of elapsed
// time). It is the run's executor unless Options.Executor or an open-model
// shape names another.
//
// Its fields are guarded by the Runner's mu: a change of users is applied
// at once, under that lock, by the caller (the run's state and Alive show
// it when SetUsers returns), and Run's goroutine starts the users the ramp
// makes due.
type closedModel struct {
	// stages, when set, is the schedule of users to follow (StartShape);
	// stageAt is the elapsed time of the last change applied.
	stages  *schedule.Schedule
	stageAt time.Duration

	target int
	// split, when set (StartSplit, SetSplit), is the exact number of users
	// per type, instead of the split by weight.
	split []int
	// quit counts, per user type, users that ended by themselves
	// (stop-user, an exhausted pool) since the users were last set. They
	// count against the target: replacing them would spawn users without end.
	quit []int

	// The ramp starts the users missing when they were last set: ramp.Users
	// at ramp.Rate from rampStart (elapsed run time); started of them have
	// been. spawning is true until the target is reached.
	ramp      Ramp
	rampStart time.Duration
	started   int
	spawning  bool

	// wake tells Run that the users were set (it holds one pending signal).
	wake chan struct{}
}

func newClosedModel(types int, stages *schedule.Schedule) *closedModel {
	return &closedModel{stages: stages, quit: make([]int, types), wake: make(chan struct{}, 1)}
}

// Run starts users as the ramp makes them due and applies the stages'
// changes, until the run ends: the closed model's run ends on its bounds
// (-t, -n), when it is stopped, or when every user has ended by itself,
// never because its schedule did.
func (c *closedModel) Run(d *Driver) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		next, ok := c.step(d)
		var due <-chan time.Time
		if ok {
			timer.Reset(next - d.Elapsed())
			due = timer.C
		} else {
			timer.Stop()
		}
		select {
		case <-due:
		case <-c.wake:
		case <-d.Stopping():
			return
		}
	}
}

// step applies what is due now, and says when something is due next.
func (c *closedModel) step(d *Driver) (next time.Duration, ok bool) {
	r := d.r
	r.mu.Lock()
	if d.stoppingLocked() {
		r.mu.Unlock()
		return 0, false
	}
	now := d.Elapsed()
	if c.stages != nil {
		// Only the latest change due counts: the users follow the
		// schedule's value now, whatever a late wake-up skipped.
		last, due := c.stageAt, false
		for {
			t, more := c.stages.NextUsersChange(last)
			if !more || t > now {
				break
			}
			last, due = t, true
		}
		if due {
			c.stageAt = last
			c.setUsersLocked(d, c.stages.Users(last), nil, 0)
		}
	}
	done := false
	if c.spawning {
		n, at, more := c.ramp.Started(now - c.rampStart)
		for ; c.started < n || !more; c.started++ {
			kind := -1
			if d.runningLocked()+c.quitLocked() < c.target {
				kind = c.nextKindLocked(d)
			}
			if kind < 0 {
				c.spawning = false
				c.expectLocked(d)
				done = true
				break
			}
			d.startLocked(kind)
		}
		if c.spawning {
			next, ok = c.rampStart+at, true
		}
	}
	if c.stages != nil {
		if t, more := c.stages.NextUsersChange(c.stageAt); more && (!ok || t < next) {
			next, ok = t, true
		}
	}
	if !done {
		r.mu.Unlock()
		return next, ok
	}
	mix, live, target := d.mixLocked(), d.liveLocked(), c.target
	r.mu.Unlock()
	if c.stages == nil { // stages change users too often to log each
		d.Logf("all users spawned: %s (%d total)", mix, live)
	}
	if live == 0 && target > 0 {
		d.End("all users finished")
	}
	return next, ok
}

// setUsersLocked sets the users to users (split per type as split says,
// nil: by weight), new ones started at rate per second: surplus users are
// asked to stop, newest first, and a ramp starts the missing ones.
func (c *closedModel) setUsersLocked(d *Driver, users int, split []int, rate float64) {
	c.target = users
	c.split = slices.Clone(split)
	clear(c.quit)
	if d.runningLocked() > users {
		d.stopNewestLocked(c.targets(d, users))
	}
	c.spawning = d.runningLocked() < users
	if c.spawning {
		c.ramp = Ramp{Users: users - d.runningLocked(), Rate: rate}
		c.rampStart, c.started = d.Elapsed(), 0
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	c.expectLocked(d)
}

// expectLocked tells the run whether the model is spawning and how many
// users it will still start (counted in Alive, so barriers wait for them).
func (c *closedModel) expectLocked(d *Driver) {
	n := 0
	if c.spawning {
		n = max(0, c.target-d.runningLocked()-c.quitLocked())
	}
	d.expectLocked(c.spawning, n)
}

// targetLocked is the number of users asked for.
func (c *closedModel) targetLocked() int { return c.target }

// userQuitLocked counts a user that ended by itself.
func (c *closedModel) userQuitLocked(kind int) { c.quit[kind]++ }

// quitLocked is the number of users that ended by themselves.
func (c *closedModel) quitLocked() int {
	n := 0
	for _, e := range c.quit {
		n += e
	}
	return n
}

// targets splits n users between user types: the split given as it is,
// else fixed counts first, then by weight, exactly (see splitUsers).
func (c *closedModel) targets(d *Driver, n int) []int {
	if c.split != nil {
		return append([]int(nil), c.split...)
	}
	return splitUsers(d.r.plan, n)
}

// nextKindLocked picks the user type of the next user: the one furthest
// behind its share of the users started so far, so types are interleaved;
// -1 when every type has its share.
func (c *closedModel) nextKindLocked(d *Driver) int {
	want := c.targets(d, c.target)
	best, bestGap := -1, 0.0
	for i := range want {
		have := d.runningOfLocked(i) + c.quit[i]
		if have >= want[i] {
			continue
		}
		gap := float64(want[i]-have) / float64(want[i])
		if best < 0 || gap > bestGap {
			best, bestGap = i, gap
		}
	}
	return best
}

// loop is a closed-model user's life after on_start: iterations back to
// back, each followed by its task's wait (think time or pacing), until the
// user is asked to stop.
func (u *vuser) loop(stopped bool) {
	var paceNext time.Time
	for !stopped && !u.stopping() {
		if !u.r.takeIteration() {
			break
		}
		task, start, goOn := u.iterate()
		if !goOn {
			break
		}
		wait := task.wait
		if wait == nil {
			wait = u.plan.wait
		}
		if wait == nil {
			wait = defaultWait
		}
		if wait.kind == scenario.WaitPacing {
			var d time.Duration
			d, paceNext = u.pace(task, wait.pacing, start, paceNext)
			if !u.sleep(d) {
				break
			}
			continue
		}
		if !u.sleep(wait.duration(u.rnd)) {
			break
		}
	}
}

// pace keeps a fixed start-to-start interval. A user whose iteration ran
// past its slot starts the next one late; one that missed whole slots
// skips them (a closed-model user cannot send what it was stuck behind).
// Both are counted: they are the delay that response times cannot show.
func (u *vuser) pace(task *taskPlan, every time.Duration, start, next time.Time) (time.Duration, time.Time) {
	if next.IsZero() {
		next = start
	}
	next = next.Add(every)
	now := time.Now()
	if !now.After(next) {
		u.rec.Pacing(task.name, 0, false)
		return next.Sub(now), next
	}
	// Every whole slot that passed while the user was held back is a
	// skipped iteration; the one that starts now is late by the whole delay.
	// Counted arithmetically: a pacing far shorter than the work (1ns) has
	// millions of slots per iteration, and a loop over them would spin.
	late := now.Sub(next)
	u.rec.PacingSkipped(task.name, int64(late/every))
	u.rec.Pacing(task.name, late, false)
	// Start now; the schedule restarts from here rather than bursting to
	// catch up on the skipped slots.
	return 0, now
}
