package engine_test

import (
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/schedule"
)

// twoTypes sends each user type's iterations to a path of its own, so the
// server's counts say which types the arrivals got.
const twoTypes = `
users:
  - name: a
    weight: 3
    tasks:
      - steps:
          - request: {url: /api/items}
  - name: b
    weight: 1
    tasks:
      - steps:
          - request: {url: /api/profile}
`

// TestShapeTakeParts splits one open-model run into parts as a master does
// over its workers (Shape.Take): the parts together run exactly the
// arrivals of the whole run, with the same user types, and each counts only
// its own arrivals.
func TestShapeTakeParts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		process schedule.Process
		sched   *schedule.Schedule
		parts   int
	}{
		{"constant arrivals over 2 parts", schedule.Even, schedule.Constant(40, 3*time.Second), 2},                                   // 120 arrivals, 60 each
		{"poisson arrivals over 3 parts", schedule.Poisson, schedule.Constant(50, 2*time.Second), 3},                                 // same seed: same random arrivals
		{"ramping rate over 2 parts", schedule.Even, schedule.Ramping([]schedule.Stage{{Duration: 2 * time.Second, Target: 30}}), 2}, // 30 arrivals in all
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := engine.Options{Seed: 7}
			whole := &engine.Shape{Schedule: tc.sched, Process: tc.process, MaxUsers: 50}
			_, snap, seen := openRun(t, twoTypes, whole, opts)
			var arrivals int64
			items, profile := 0, 0
			for i := range tc.parts {
				part := &engine.Shape{Schedule: tc.sched, Process: tc.process, MaxUsers: 50,
					Take: func(n int64) bool { return n%int64(tc.parts) == int64(i) }}
				_, s, saw := openRun(t, twoTypes, part, opts)
				arrivals += s.Open.Arrivals
				items += int(saw.Requests["/api/items"])
				profile += int(saw.Requests["/api/profile"])
				if s.Open.Dropped != 0 {
					t.Errorf("part %d dropped %d arrivals", i, s.Open.Dropped)
				}
			}
			if arrivals != snap.Open.Arrivals {
				t.Errorf("the parts counted %d arrivals, the whole run %d", arrivals, snap.Open.Arrivals)
			}
			if want := int(seen.Requests["/api/items"]); items != want {
				t.Errorf("the parts ran %d iterations of type a, the whole run %d", items, want)
			}
			if want := int(seen.Requests["/api/profile"]); profile != want {
				t.Errorf("the parts ran %d iterations of type b, the whole run %d", profile, want)
			}
		})
	}
}
