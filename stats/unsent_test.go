package stats

import (
	"testing"
	"time"
)

// TestUnsentHasNoTime: a request that could not be sent counts as a
// request and a failure, but adds no time: min, avg and percentiles stay
// those of the real exchanges, in the row, in the aggregate and in Merge.
func TestUnsentHasNoTime(t *testing.T) {
	k := Key{Method: "GET", Name: "/x"}
	s := New(time.Unix(0, 0), 2)
	s.Recorder(0).Unsent(k, "variable csrf is not set") // before any timed sample
	s.Recorder(1).Request(k, 10*time.Millisecond, 1, "")
	s.Recorder(0).Request(k, 30*time.Millisecond, 1, "")
	s.Recorder(1).Unsent(k, "variable csrf is not set")
	snap := s.Snapshot(time.Unix(1, 0))
	for _, e := range []*Entry{snap.Entry(k), snap.Total, Merge(snap, nil).Entry(k)} {
		if e.Requests != 4 || e.Failures != 2 || e.Unsent != 2 {
			t.Errorf("%s: requests %d, failures %d, unsent %d; want 4, 2, 2", e.Name, e.Requests, e.Failures, e.Unsent)
		}
		if e.MinTime != 10*time.Millisecond || e.MaxTime != 30*time.Millisecond {
			t.Errorf("%s: min %v max %v, want 10ms and 30ms", e.Name, e.MinTime, e.MaxTime)
		}
		if e.Avg() != 20*time.Millisecond {
			t.Errorf("%s: avg %v, want 20ms (over the 2 timed requests)", e.Name, e.Avg())
		}
		if got := e.Hist.TotalCount(); got != 2 {
			t.Errorf("%s: %d samples, want 2", e.Name, got)
		}
	}
	if len(snap.Errors) != 1 || snap.Errors[0].Count != 2 {
		t.Errorf("errors: %+v, want one text counted twice", snap.Errors)
	}
}
