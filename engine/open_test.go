package engine_test

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
)

// openRun runs src against the demo target in the open model, in virtual
// time, and returns the final snapshot and what the server saw.
func openRun(t *testing.T, src string, sh *engine.Shape, opts engine.Options) (*engine.Runner, *stats.Snapshot, demo.Stats) {
	t.Helper()
	app := demo.New(demo.Options{})
	var r *engine.Runner
	var snap *stats.Snapshot
	synctest.Test(t, func(t *testing.T) {
		opts.Dial = virtualHost(t, app)
		r = engine.NewRunner(compile(t, src, vhost), opts)
		if err := r.StartShape(sh); err != nil {
			t.Fatal(err)
		}
		<-r.Done()
		snap = r.Snapshot()
	})
	return r, snap, app.Stats()
}

// TestOpenConstantRate: a constant 100/s for 5 s sends 500 ± 1 % task
// iterations (evenly spaced arrivals in virtual time give exactly 500),
// none dropped, each one iteration of one request.
func TestOpenConstantRate(t *testing.T) {
	sh := &engine.Shape{Schedule: schedule.Constant(100, 5*time.Second), MaxUsers: 20, Process: schedule.Even}
	_, snap, seen := openRun(t, oneRequest, sh, engine.Options{})
	got := seen.Requests["/api/items"]
	if got < 495 || got > 505 {
		t.Errorf("the server saw %d iterations, want 500 ± 1%%", got)
	}
	if snap.Open == nil || snap.Open.Arrivals != 500 || snap.Open.Dropped != 0 {
		t.Errorf("arrivals %+v, want 500 due and none dropped", snap.Open)
	}
	if snap.Total.Requests != got {
		t.Errorf("loadrun counted %d requests, the server %d", snap.Total.Requests, got)
	}
}

// TestOpenUsers: each arrival is one iteration run by a free user; a user
// runs on_start once, when first used, keeps its cookie between
// iterations, and the wait after a task does not apply (a 10 s wait would
// keep every user busy and drop arrivals); a think step inside the task
// does (it keeps users busy, so more than one is needed).
func TestOpenUsers(t *testing.T) {
	src := `
users:
  - name: u
    wait: {constant: 10s}
    on_start:
      - request: {method: POST, url: /login, form: {username: user1, password: pass1}}
    tasks:
      - steps:
          - request: {url: /api/profile, check: [{status: 200}]}
          - think: 150ms
`
	sh := &engine.Shape{Schedule: schedule.Constant(20, 3*time.Second), MaxUsers: 10, Process: schedule.Even}
	_, snap, seen := openRun(t, src, sh, engine.Options{})
	if snap.Open.Arrivals != 60 || snap.Open.Dropped != 0 {
		t.Fatalf("arrivals %+v, want 60 and none dropped", snap.Open)
	}
	if got := seen.Requests["/api/profile"]; got != 60 {
		t.Errorf("%d iterations reached the server, want 60", got)
	}
	// 20/s with 150 ms busy per iteration needs 3 users at once, never more than 4.
	if seen.Logins < 3 || seen.Logins > 4 {
		t.Errorf("%d logins (on_start runs), want one per user: 3 or 4", seen.Logins)
	}
	if snap.Total.Failures != 0 {
		t.Errorf("%d failures: a user lost its session cookie between iterations? %v", snap.Total.Failures, errorsOf(snap))
	}
}

// TestOpenDrops: with max_users too small for slow iterations, arrivals
// that find every user busy are dropped and counted, in total and per
// second, a dropped threshold fails, and the warning says so. 100/s with
// 5 users each busy 200 ms can run 25/s: three of four arrivals drop.
func TestOpenDrops(t *testing.T) {
	src := `
thresholds:
  - "dropped < 1"
  - "dropped_ratio < 0.1%"
users:
  - name: u
    tasks:
      - steps:
          - request: {url: /api/items}
          - think: 200ms
`
	sh := &engine.Shape{Schedule: schedule.Constant(100, 4*time.Second), MaxUsers: 5, Process: schedule.Even}
	r, snap, seen := openRun(t, src, sh, engine.Options{})
	o := snap.Open
	if o.Arrivals != 400 {
		t.Fatalf("%d arrivals, want 400", o.Arrivals)
	}
	ran := seen.Requests["/api/items"]
	if o.Dropped+ran != 400 || o.Dropped < 290 || o.Dropped > 310 {
		t.Errorf("%d dropped and %d ran, want about 300 + 100 = 400", o.Dropped, ran)
	}
	perSec := 0.0
	for _, p := range snap.History {
		perSec = max(perSec, p.DroppedPerSec)
	}
	if perSec < 70 || perSec > 80 {
		t.Errorf("worst second dropped %.1f/s, want 75/s", perSec)
	}
	for _, th := range compile(t, src, "http://127.0.0.1:1").Thresholds() {
		if res := th.Eval(snap); res.Pass {
			t.Errorf("%s passed with %d of %d dropped", res.Rule, o.Dropped, o.Arrivals)
		}
	}
	warned := false
	for _, w := range r.Warnings(snap) {
		warned = warned || strings.Contains(w, "were dropped")
	}
	if !warned {
		t.Errorf("no warning about drops: %v", r.Warnings(snap))
	}
}

// TestOpenRampingRate: a rate ramping from 0 to 40/s over 2 s, then 40/s
// for 1 s, starts 40 + 40 iterations, more in each second than the last.
func TestOpenRampingRate(t *testing.T) {
	sh := &engine.Shape{Schedule: schedule.Ramping([]schedule.Stage{{Duration: 2 * time.Second, Target: 40}, {Duration: time.Second, Target: 40}}), MaxUsers: 10, Process: schedule.Even}
	_, snap, seen := openRun(t, oneRequest, sh, engine.Options{})
	if got := seen.Requests["/api/items"]; got != 80 {
		t.Errorf("%d iterations, want 80", got)
	}
	var perSec []float64
	for _, p := range snap.History {
		perSec = append(perSec, p.RPS)
	}
	// Seconds 1 and 2 of the ramp expect 10 and 30 arrivals; the hold 40.
	want := []float64{10, 30, 40}
	for i, w := range want {
		if i >= len(perSec) || perSec[i] < w-1 || perSec[i] > w+1 {
			t.Errorf("requests per second %v, want %v ± 1", perSec, want)
			break
		}
	}
}

// TestOpenUserThatStops: a user that stops by itself (on_failure:
// stop-user) gives its place among max_users back, so later arrivals make
// a new user instead of being dropped. 2 users at most, each stopping
// after its one iteration: all 20 arrivals still run, by 20 users.
func TestOpenUserThatStops(t *testing.T) {
	src := `
users:
  - name: u
    tasks:
      - steps:
          - {request: {url: /status/500}, on_failure: stop-user}
`
	sh := &engine.Shape{Schedule: schedule.Constant(10, 2*time.Second), MaxUsers: 2, Process: schedule.Even}
	_, snap, seen := openRun(t, src, sh, engine.Options{})
	if snap.Open.Arrivals != 20 || snap.Open.Dropped != 0 {
		t.Errorf("arrivals %+v, want 20 and none dropped", snap.Open)
	}
	if got := seen.Requests["/status/500"]; got != 20 {
		t.Errorf("%d iterations reached the server, want 20", got)
	}
}

// TestOpenStallAtTheEnd: when the generator stalls near the end of the run
// (here the arrival walk is held 500 ms at the arrival due at 0.9 s, and
// the run time of 1 s passes meanwhile), the arrivals it owed are counted
// as dropped, not lost from the count: the run's arrivals are the
// schedule's, 10 at 10/s for 1 s, whatever the machine did.
func TestOpenStallAtTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		// take is Take's answer for arrival n (nil: one process).
		take func(n int64) bool
		want int64
	}{
		// One process owes all 10.
		{"one process", nil, 10},
		// A part that runs the even arrivals owes 5 of them.
		{"one part of two", func(n int64) bool { return n%2 == 0 }, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := &engine.Shape{Schedule: schedule.Constant(10, time.Hour), MaxUsers: 5, Process: schedule.Even}
			sh.Take = func(n int64) bool {
				if n == 8 {
					time.Sleep(500 * time.Millisecond) // the stall (virtual time)
				}
				return tc.take == nil || tc.take(n)
			}
			_, snap, seen := openRun(t, oneRequest, sh, engine.Options{RunTime: time.Second})
			if snap.Open == nil || snap.Open.Arrivals != tc.want || snap.Open.Dropped == 0 {
				t.Fatalf("arrivals %+v, want %d, some dropped", snap.Open, tc.want)
			}
			if got := seen.Requests["/api/items"]; int64(got)+snap.Open.Dropped != tc.want {
				t.Errorf("%d iterations ran and %d were dropped, want %d in all", got, snap.Open.Dropped, tc.want)
			}
		})
	}
}

// TestOpenPartTakingNothingStops: a part of a shared open-model run that
// takes none of the arrivals and walks them slower than they fall due
// (never ahead of the clock, so never sleeping) still sees the run stop:
// the run ends at its run time, not when the walk reaches the end of the
// schedule (the run is done only when its executor has returned).
func TestOpenPartTakingNothingStops(t *testing.T) {
	sh := &engine.Shape{Schedule: schedule.Constant(2000, 20*time.Second), MaxUsers: 5, Process: schedule.Even}
	sh.Take = func(int64) bool {
		time.Sleep(time.Millisecond) // slower than the 0.5 ms between arrivals (virtual time)
		return false
	}
	app := demo.New(demo.Options{})
	synctest.Test(t, func(t *testing.T) {
		r := engine.NewRunner(compile(t, oneRequest, vhost), engine.Options{RunTime: time.Second, Dial: virtualHost(t, app)})
		start := time.Now()
		if err := r.StartShape(sh); err != nil {
			t.Fatal(err)
		}
		<-r.Done()
		// 1 s of run, then at most the 1,000 arrivals owed before the stop
		// asked about at 1 ms each; the walk to the schedule's end is 40 s.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the run ended %s after it started, want about 2 s (run time 1 s)", took)
		}
	})
}

// TestOpenOwedArrivalsBounded: a generator far behind a huge rate can owe
// hundreds of millions of arrivals when the run stops; it walks a bounded
// number of them one by one and counts the rest from the schedule, so the
// end of the run stays prompt and the count right. Here one part of two
// stalls 2 s at 10⁸/s with a run time of 1 s: it owes half of ~10⁸.
func TestOpenOwedArrivalsBounded(t *testing.T) {
	var asked atomic.Int64
	sh := &engine.Shape{Schedule: schedule.Constant(1e8, time.Hour), MaxUsers: 1, Process: schedule.Even}
	sh.Take = func(n int64) bool {
		asked.Add(1)
		if n == 5 {
			time.Sleep(2 * time.Second) // the stall (virtual time)
		}
		return n%2 == 0
	}
	_, snap, _ := openRun(t, oneRequest, sh, engine.Options{RunTime: time.Second})
	if got := asked.Load(); got > 1<<17 {
		t.Errorf("Take was asked about %d arrivals: the owed ones were walked one by one", got)
	}
	const want = 5e7
	if snap.Open == nil || math.Abs(float64(snap.Open.Arrivals)-want) > want/1000 || snap.Open.Arrivals-snap.Open.Dropped > 3 {
		t.Errorf("arrivals %+v, want %.0f ± 0.1 %%, all but the first 3 dropped", snap.Open, want)
	}
}
