package rendezvous

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// Local is a barrier shared by the goroutines of one process. It is safe for
// concurrent use.
type Local struct {
	name     string
	rule     Rule
	timeout  time.Duration
	fromLast bool
	pop      Population
	report   func(Group)

	mu     sync.Mutex
	cur    *group
	seq    uint64
	timer  *time.Timer // one per barrier, re-armed per group; nil until first used
	closed bool
}

// group is the users gathered since the last release. Its outcome fields are
// written under the barrier's lock before done is closed, so a member reads
// them either after <-done or under the lock.
type group struct {
	done chan struct{}
	// arrivals holds each member's arrival time; a member who left has the
	// zero time, so the others keep their slots.
	arrivals []time.Time
	waiting  int
	// deadline is when the timeout releases the group; zero while empty.
	deadline time.Time

	released bool
	seq      uint64
	reason   Reason
	size     int
	at       time.Time
}

func (g *group) release(arrived time.Time) Release {
	return Release{Seq: g.seq, Reason: g.reason, Size: g.size, Waited: g.at.Sub(arrived)}
}

// pending is a group released under the lock whose report and broadcast
// happen after the lock is let go.
type pending struct {
	g     *group
	group Group
}

// New makes the in-process barrier for def. pop is the engine's count of
// users alive; it is required for percent, and without it (nil) a count
// barrier never releases by shortfall. report, when not nil, is called once
// per released group before its members resume, so stats hold a group by the
// time its users send their next request; it may be called from the goroutine
// of a member, of PopulationChanged, of Close or of the timeout.
func New(def *scenario.Rendezvous, pop Population, report func(Group)) (*Local, error) {
	if err := Validate(def); err != nil {
		return nil, err
	}
	if def.Count == 0 && pop == nil {
		return nil, errors.New("rendezvous: a percent barrier needs the population it is a percentage of")
	}
	timeout := def.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &Local{
		name:     def.Name,
		rule:     Rule{Count: def.Count, Percent: def.Percent},
		timeout:  timeout,
		fromLast: def.Policy == "last",
		pop:      pop,
		report:   report,
		cur:      &group{done: make(chan struct{})},
	}, nil
}

// Name is the rendezvous name the barrier was made for.
func (b *Local) Name() string { return b.name }

// Wait joins the group being gathered and blocks until it is released or ctx
// is done (see Barrier). On a closed barrier it returns ErrClosed at once.
func (b *Local) Wait(ctx context.Context) (Release, error) {
	if err := ctx.Err(); err != nil {
		return Release{}, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return Release{}, ErrClosed
	}
	// The clock is read under the lock so that arrival order, the "first"
	// deadline and the "last" deadline all agree.
	arrived := time.Now()
	g := b.cur
	slot := len(g.arrivals)
	g.arrivals = append(g.arrivals, arrived)
	g.waiting++
	if g.deadline.IsZero() || b.fromLast {
		g.deadline = arrived.Add(b.timeout)
		b.armTimer()
	}
	p, ok := b.evaluate()
	b.mu.Unlock()
	if ok {
		b.finish(p)
	}

	select {
	case <-g.done:
		return g.release(arrived), nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if g.released {
		// Released while ctx was ending: the user is counted in the group,
		// so it goes on with it rather than vanish from the group's size.
		return g.release(arrived), nil
	}
	g.arrivals[slot] = time.Time{}
	g.waiting--
	if g.waiting == 0 {
		g.arrivals = g.arrivals[:0]
		g.deadline = time.Time{}
		if b.timer != nil {
			b.timer.Stop()
		}
	}
	return Release{}, ctx.Err()
}

// PopulationChanged re-evaluates the waiting group after users stopped (or
// started): fewer users alive may mean the group can no longer fill, or that
// a percentage is now reached. The engine calls it after its count changed;
// growth never releases a group, so calling it only when users stop is enough.
func (b *Local) PopulationChanged() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	p, ok := b.evaluate()
	b.mu.Unlock()
	if ok {
		b.finish(p)
	}
}

// Close releases the users waiting (ByShortfall) and makes every later Wait
// return ErrClosed. It is for the end of the run and may be called more
// than once.
func (b *Local) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	var p pending
	ok := b.cur.waiting > 0
	if ok {
		p = b.releaseLocked(ByShortfall)
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	if ok {
		b.finish(p)
	}
}

// alive is the population as the rule sees it: without a Population, a
// count barrier behaves as if users were unlimited.
func (b *Local) alive() int {
	if b.pop == nil {
		return math.MaxInt
	}
	return b.pop.Alive()
}

// evaluate releases the current group if the rule says so. Call with mu held.
func (b *Local) evaluate() (pending, bool) {
	reason, ok := b.rule.Ready(b.cur.waiting, b.alive())
	if !ok {
		return pending{}, false
	}
	return b.releaseLocked(reason), true
}

// armTimer (re)starts the one timer of the barrier for the current group's
// deadline. Call with mu held.
func (b *Local) armTimer() {
	if b.timer == nil {
		b.timer = time.AfterFunc(b.timeout, b.expire)
		return
	}
	b.timer.Reset(b.timeout)
}

// expire is the timer's callback. A callback may run late, after its group
// was released or after a "last" arrival pushed the deadline, so it acts
// only on a current group whose deadline has passed.
func (b *Local) expire() {
	b.mu.Lock()
	g := b.cur
	if b.closed || g.waiting == 0 || time.Now().Before(g.deadline) {
		b.mu.Unlock()
		return
	}
	p := b.releaseLocked(ByTimeout)
	b.mu.Unlock()
	b.finish(p)
}

// releaseLocked ends the current group and starts the next one. The next
// group reuses the arrivals array, so the report's waits are computed here.
// Call with mu held.
func (b *Local) releaseLocked(reason Reason) pending {
	g := b.cur
	b.seq++
	g.released = true
	g.seq = b.seq
	g.reason = reason
	g.size = g.waiting
	g.at = time.Now()
	p := pending{g: g}
	if b.report != nil {
		waits := make([]time.Duration, 0, g.waiting)
		for _, a := range g.arrivals {
			if !a.IsZero() {
				waits = append(waits, g.at.Sub(a))
			}
		}
		p.group = Group{Name: b.name, Seq: g.seq, Reason: reason, Size: g.size, Waits: waits}
	}
	b.cur = &group{done: make(chan struct{}), arrivals: g.arrivals[:0]}
	g.arrivals = nil
	if b.timer != nil {
		b.timer.Stop()
	}
	return p
}

// finish reports a released group, then wakes all its members with one close.
func (b *Local) finish(p pending) {
	if b.report != nil {
		b.report(p.group)
	}
	close(p.g.done)
}
