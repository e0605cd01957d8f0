package engine_test

import (
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestRamp: the closed model's spawn schedule as a pure function of time.
func TestRamp(t *testing.T) {
	tests := []struct {
		ramp    engine.Ramp
		elapsed time.Duration
		n       int
		next    time.Duration
		more    bool
	}{
		// The first user starts at once.
		{engine.Ramp{Users: 10, Rate: 2}, 0, 1, 500 * time.Millisecond, true},
		// Just before the second start.
		{engine.Ramp{Users: 10, Rate: 2}, 499 * time.Millisecond, 1, 500 * time.Millisecond, true},
		// At the second start exactly, it counts as started.
		{engine.Ramp{Users: 10, Rate: 2}, 500 * time.Millisecond, 2, time.Second, true},
		// The last user at 4.5 s: done.
		{engine.Ramp{Users: 10, Rate: 2}, 4500 * time.Millisecond, 10, 0, false},
		// Long after: done.
		{engine.Ramp{Users: 10, Rate: 2}, time.Hour, 10, 0, false},
		// Rate 0: all at once.
		{engine.Ramp{Users: 7, Rate: 0}, 0, 7, 0, false},
		// No users: nothing to start.
		{engine.Ramp{Users: 0, Rate: 5}, 0, 0, 0, false},
		// A rate below one per second.
		{engine.Ramp{Users: 3, Rate: 0.25}, 5 * time.Second, 2, 8 * time.Second, true},
	}
	for _, tt := range tests {
		n, next, more := tt.ramp.Started(tt.elapsed)
		if n != tt.n || next != tt.next || more != tt.more {
			t.Errorf("%+v.Started(%s) = %d, %s, %v; want %d, %s, %v", tt.ramp, tt.elapsed, n, next, more, tt.n, tt.next, tt.more)
		}
	}
}

// TestRampNeverSpins: at every start instant of awkward rates, the next
// start is strictly later, so the closed model, sleeping until then,
// always advances.
func TestRampNeverSpins(t *testing.T) {
	for _, rate := range []float64{3, 7, 0.3, 1.0 / 3, 1e6, 12345.678} {
		r := engine.Ramp{Users: 1000, Rate: rate}
		var at time.Duration
		for i := 0; ; i++ {
			n, next, more := r.Started(at)
			if !more {
				if n != r.Users {
					t.Errorf("rate %v: done with %d users, want %d", rate, n, r.Users)
				}
				break
			}
			if n != i+1 || next <= at {
				t.Fatalf("rate %v at %s: %d started, next %s; want %d and a later next", rate, at, n, next, i+1)
			}
			at = next
		}
	}
}
