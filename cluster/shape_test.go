package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
)

// TestArrivalsOnTheWire: a schedule sent to a worker is the master's: the
// same stages and the same expected arrivals at every time.
func TestArrivalsOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *schedule.Schedule
	}{
		{"constant rate", schedule.Constant(40, 3*time.Second)},                                                                             // arrival_rate with a duration
		{"constant rate without an end", schedule.Constant(50, 0)},                                                                          // until -t or Ctrl-C
		{"ramping rate", schedule.Ramping([]schedule.Stage{{Duration: time.Minute, Target: 10}, {Duration: 2 * time.Minute, Target: 200}})}, // rate stages
	} {
		w := encodeArrivals(&Shape{Schedule: tc.s, Process: schedule.Poisson, MaxUsers: 9, Seed: 3}, 5, deal{From: 7, Slot: 1, Of: 2})
		got, err := w.schedule()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.Len() != tc.s.Len() || got.Duration() != tc.s.Duration() || got.Model() != schedule.Open {
			t.Errorf("%s: %d stages over %s, want %d over %s", tc.name, got.Len(), got.Duration(), tc.s.Len(), tc.s.Duration())
		}
		for _, at := range []time.Duration{0, 500 * time.Millisecond, 2 * time.Second, 90 * time.Second, time.Hour} {
			if g, want := got.Expected(at), tc.s.Expected(at); g != want {
				t.Errorf("%s: %s expected arrivals at %s, want %s", tc.name, fmt.Sprint(g), at, fmt.Sprint(want))
			}
		}
		if w.MaxUsers != 5 || w.Seed != 3 || w.Process != int(schedule.Poisson) || w.Deal != (deal{7, 1, 2}) {
			t.Errorf("%s: sent %+v", tc.name, w)
		}
	}
}

// TestCut: a run time ends an open-model schedule there, its rate as it
// was up to then.
func TestCut(t *testing.T) {
	ramp := schedule.Ramping([]schedule.Stage{{Duration: 2 * time.Second, Target: 20}, {Duration: 2 * time.Second, Target: 40}})
	for _, tc := range []struct {
		name string
		s    *schedule.Schedule
		d    time.Duration
		want float64 // arrivals in all
	}{
		{"constant rate", schedule.Constant(40, 10*time.Second), 3 * time.Second, 120},   // -t 3s
		{"constant rate without an end", schedule.Constant(40, 0), 3 * time.Second, 120}, // arrival_rate without duration
		{"inside a ramp", ramp, 3 * time.Second, 20 + 25},                                // 0→20 in 2 s, then 20→30 in 1 s
		{"at a stage's end", ramp, 2 * time.Second, 20},                                  // the first stage only
		{"longer than the schedule", ramp, time.Minute, 20 + 60},                         // unchanged
		{"no run time", ramp, 0, 20 + 60},                                                // unchanged
	} {
		got := cut(tc.s, tc.d)
		if e := got.Expected(schedule.Forever - 1); e != tc.want {
			t.Errorf("%s: %v arrivals in all, want %v", tc.name, e, tc.want)
		}
		if tc.d > 0 && tc.d < tc.s.Duration() && got.Duration() != tc.d {
			t.Errorf("%s: lasts %s, want %s", tc.name, got.Duration(), tc.d)
		}
	}
}

// TestDeals: a worker takes its arrivals by the deal in force, and a new
// deal applies from its first arrival on.
func TestDeals(t *testing.T) {
	var ds deals
	ds.add(deal{From: 0, Slot: 1, Of: 3})
	ds.add(deal{From: 10, Slot: 0, Of: 2}) // a worker was lost: from arrival 10, every other one
	var took []int64
	for n := range int64(16) {
		if ds.take(n) {
			took = append(took, n)
		}
	}
	if want := []int64{1, 4, 7, 10, 12, 14}; fmt.Sprint(took) != fmt.Sprint(want) {
		t.Errorf("took %v, want %v", took, want)
	}
}

// TestOpenModelNeedsAUserPerWorker: max_users below the workers is
// refused at the start, saying why, rather than run with idle workers.
func TestOpenModelNeedsAUserPerWorker(t *testing.T) {
	sh := &Shape{Schedule: schedule.Constant(10, time.Second), Process: schedule.Even, MaxUsers: 1}
	c := startCluster(t, plainScenario, MasterConfig{Shape: sh}, 2)
	err := c.master.Start()
	if err == nil || !strings.Contains(err.Error(), "max_users 1 is less than the 2 workers") {
		t.Errorf("Start: %v, want a refusal naming max_users and the workers", err)
	}
}

// StartArrivals runs the fake's part of an open-model run: each arrival it
// takes is one request named after its number, so the merged statistics
// say which arrivals ran and how often.
func (r *fakeRun) StartArrivals(a Arrivals) error {
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.st = stats.New(time.Now(), 1)
	r.started = true
	r.users[-1] = cancel // ended with the run
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		start := time.Now()
		rec := r.st.Recorder(1)
		arrivals := a.Schedule.Arrivals(a.Process, r.hooks.Seed)
		for n := int64(0); ; n++ {
			at, ok := arrivals.Next()
			if !ok {
				r.end(scheduleFinished)
				return
			}
			// As the engine does: a deal is asked no sooner than 100 ms
			// before the arrival.
			select {
			case <-time.After(time.Until(start.Add(at - 100*time.Millisecond))):
			case <-ctx.Done():
				return
			}
			if !a.Take(n) {
				continue
			}
			select {
			case <-time.After(time.Until(start.Add(at))):
			case <-ctx.Done():
				return
			}
			rec.Request(stats.Key{Method: "GET", Name: fmt.Sprintf("arrival %d", n)}, time.Millisecond, 1, "")
		}
	}()
	return nil
}

// ranArrivals counts, per arrival number, how often it ran in the cluster.
func ranArrivals(s *stats.Snapshot) map[int]int64 {
	out := map[int]int64{}
	for _, e := range s.Entries {
		var n int
		if _, err := fmt.Sscanf(e.Key.Name, "arrival %d", &n); err == nil {
			out[n] += e.Requests
		}
	}
	return out
}

// TestOpenModelOverWorkers: 40 arrivals a second for 3 s over 2 workers run
// the 120 arrivals of one process, each exactly once, and the run ends when
// the schedule does on both.
func TestOpenModelOverWorkers(t *testing.T) {
	sh := &Shape{Schedule: schedule.Constant(40, 3*time.Second), Process: schedule.Even, MaxUsers: 10, Seed: 1}
	c := startCluster(t, plainScenario, MasterConfig{Shape: sh}, 2)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	snap := c.wait(2)
	ran := ranArrivals(snap)
	for n := range 120 {
		if ran[n] != 1 {
			t.Errorf("arrival %d ran %d times, want once", n, ran[n])
		}
	}
	if len(ran) != 120 || snap.Total.Requests != 120 {
		t.Errorf("%d arrivals ran %d requests, want 120 and 120", len(ran), snap.Total.Requests)
	}
	if got := c.master.Reason(); got != scheduleFinished {
		t.Errorf("the run ended with %q, want %q", got, scheduleFinished)
	}
}

// TestOpenModelWorkerLost: when a worker is lost, the master deals its
// arrivals to the others from a second ahead: no arrival ever runs twice,
// and every arrival of the last seconds runs once.
func TestOpenModelWorkerLost(t *testing.T) {
	sh := &Shape{Schedule: schedule.Constant(20, 8*time.Second), Process: schedule.Poisson, MaxUsers: 6, Seed: 5}
	c := startCluster(t, plainScenario, MasterConfig{Shape: sh}, 3)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	c.conns["w2"].Close() // w2 falls silent: lost after LostAfter
	c.cancel["w2"]()
	snap, _ := c.waitErrs(3)
	ran := ranArrivals(snap)
	// The arrivals due in the last 2 s (after loss + LostAfter + dealAhead).
	arrivals := sh.Schedule.Arrivals(sh.Process, sh.Seed)
	for n := 0; ; n++ {
		at, ok := arrivals.Next()
		if !ok {
			break
		}
		if ran[n] > 1 {
			t.Errorf("arrival %d ran %d times", n, ran[n])
		}
		if at >= 6*time.Second && ran[n] != 1 {
			t.Errorf("arrival %d (due at %s) ran %d times, want once", n, at, ran[n])
		}
	}
}
