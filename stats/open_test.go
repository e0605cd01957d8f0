package stats

import (
	"testing"
	"time"
)

// TestOpenCounters checks arrivals, drops per second and in total, late
// arrivals, and Reset.
func TestOpenCounters(t *testing.T) {
	s := New(t0, 2)
	if s.Snapshot(t0).Open != nil {
		t.Fatal("a run without arrivals has no open entry")
	}
	// Second 1: 10 arrivals, 4 dropped, one 50 ms late.
	for i := range 10 {
		lag := time.Millisecond
		if i == 9 {
			lag = 50 * time.Millisecond
		}
		s.Arrival(lag, i < 4)
	}
	s.Tick(t0.Add(time.Second))
	// Second 2: 10 arrivals, none dropped.
	for range 10 {
		s.Arrival(0, false)
	}
	s.Tick(t0.Add(2 * time.Second))
	// The interval a worker ships holds that second's arrivals.
	if iv := s.Latest().Interval.Open; iv == nil || *iv != (OpenEntry{Arrivals: 10, MaxLag: 50 * time.Millisecond}) {
		t.Errorf("interval open %+v, want 10 arrivals, none dropped", iv)
	}
	snap := s.Snapshot(t0.Add(2 * time.Second))
	// A master merging two workers adds their arrivals.
	if m := Merge(snap, snap).Open; *m != (OpenEntry{Arrivals: 40, Dropped: 8, Late: 2, MaxLag: 50 * time.Millisecond}) {
		t.Errorf("merged open %+v", *m)
	}
	if Merge(snap, nil).Open == nil || Merge(&Snapshot{}, nil).Open != nil {
		t.Errorf("merging with a closed-model side")
	}
	want := OpenEntry{Arrivals: 20, Dropped: 4, Late: 1, MaxLag: 50 * time.Millisecond}
	if *snap.Open != want {
		t.Errorf("open %+v, want %+v", *snap.Open, want)
	}
	if r := snap.Open.DroppedRatio(); r != 0.2 {
		t.Errorf("dropped ratio %v, want 0.2", r)
	}
	if len(snap.History) != 2 || snap.History[0].DroppedPerSec != 4 || snap.History[1].DroppedPerSec != 0 {
		t.Errorf("history %+v, want 4 then 0 drops per second", snap.History)
	}
	// Merging two points keeps the drops: 4 over 2 s is 2/s.
	if m := mergeAdjacent(snap.History[0], snap.History[1]); m.DroppedPerSec != 2 {
		t.Errorf("merged %v drops/s, want 2", m.DroppedPerSec)
	}
	s.Reset(t0.Add(2 * time.Second))
	if o := s.Snapshot(t0.Add(3 * time.Second)).Open; o == nil || *o != (OpenEntry{}) {
		t.Errorf("after Reset: %+v, want zero counts", o)
	}
}
