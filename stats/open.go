package stats

import (
	"sync/atomic"
	"time"
)

// LateAfter is how long after it was due an open-model arrival may reach a
// user before it counts as late: beyond it, the generator is not keeping
// the rate (its own scheduling, not the target, held the arrival back).
const LateAfter = 10 * time.Millisecond

// OpenEntry is what the open model's arrivals did. Response times of the
// open model already include the delays counted here: each iteration's
// first request is timed from the moment its arrival was due.
type OpenEntry struct {
	// Arrivals is the task iterations that fell due.
	Arrivals int64
	// Dropped is the arrivals that found no free user (all max_users busy)
	// and never ran.
	Dropped int64
	// Late is the arrivals handed to a user more than LateAfter after they
	// were due; MaxLag is the longest such delay.
	Late   int64
	MaxLag time.Duration
}

// DroppedRatio is the share of arrivals that were dropped (0 when none fell due).
func (o *OpenEntry) DroppedRatio() float64 {
	if o == nil || o.Arrivals == 0 {
		return 0
	}
	return float64(o.Dropped) / float64(o.Arrivals)
}

// openCounters are the open model's counters; the one goroutine that
// dispatches arrivals writes them, snapshots read them.
type openCounters struct {
	on       atomic.Bool
	arrivals atomic.Int64
	dropped  atomic.Int64
	late     atomic.Int64
	maxLag   atomic.Int64
	// atTick is the counts at the previous Tick (under Stats.mu).
	atTick OpenEntry
}

// Arrival records one open-model arrival: dropped when no user was free,
// else handed to a user lag after it was due.
func (s *Stats) Arrival(lag time.Duration, dropped bool) {
	o := &s.open
	o.on.Store(true)
	o.arrivals.Add(1)
	if dropped {
		o.dropped.Add(1)
		return
	}
	if lag > LateAfter {
		o.late.Add(1)
		for {
			m := o.maxLag.Load()
			if int64(lag) <= m || o.maxLag.CompareAndSwap(m, int64(lag)) {
				break
			}
		}
	}
}

// ArrivalsDropped counts n arrivals, all dropped, at once (the arrivals a
// run owed at its end, counted from the schedule when too many to walk).
func (s *Stats) ArrivalsDropped(n int64) {
	if n <= 0 {
		return
	}
	o := &s.open
	o.on.Store(true)
	o.arrivals.Add(n)
	o.dropped.Add(n)
}

// openEntry is the open model's counters now, nil for a closed-model run.
func (s *Stats) openEntry() *OpenEntry {
	o := &s.open
	if !o.on.Load() {
		return nil
	}
	return &OpenEntry{
		Arrivals: o.arrivals.Load(),
		Dropped:  o.dropped.Load(),
		Late:     o.late.Load(),
		MaxLag:   time.Duration(o.maxLag.Load()),
	}
}

// openInterval is what the arrivals did since the previous Tick (MaxLag
// is the run's so far), nil for a closed-model run (s.mu is held by Tick).
func (s *Stats) openInterval() *OpenEntry {
	now := s.openEntry()
	if now == nil {
		return nil
	}
	last := s.open.atTick
	s.open.atTick = *now
	return &OpenEntry{Arrivals: now.Arrivals - last.Arrivals, Dropped: now.Dropped - last.Dropped, Late: now.Late - last.Late, MaxLag: now.MaxLag}
}

// resetOpen forgets the open model's counters (s.mu is held by Reset).
func (s *Stats) resetOpen() {
	o := &s.open
	o.arrivals.Store(0)
	o.dropped.Store(0)
	o.late.Store(0)
	o.maxLag.Store(0)
	o.atTick = OpenEntry{}
}

// mergeOpen adds two workers' arrivals; nil when neither ran the open model.
func mergeOpen(a, b *OpenEntry) *OpenEntry {
	if a == nil && b == nil {
		return nil
	}
	var m OpenEntry
	for _, o := range []*OpenEntry{a, b} {
		if o != nil {
			m.Arrivals += o.Arrivals
			m.Dropped += o.Dropped
			m.Late += o.Late
			m.MaxLag = max(m.MaxLag, o.MaxLag)
		}
	}
	return &m
}
