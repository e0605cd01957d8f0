package engine_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/stats"
)

// TestPacingShowsStall is coordinated omission made visible: 10 users
// start an iteration every 100 ms; the target stalls once for 500 ms. The
// users stuck behind it send nothing meanwhile, so the response-time
// percentiles barely move, but the pacing table counts the late and
// skipped iterations, with lateness up to about the stall.
func TestPacingShowsStall(t *testing.T) {
	synctest.Test(t, testPacingShowsStall)
}

// testPacingShowsStall runs in virtual time: the only delay is the stall.
func testPacingShowsStall(t *testing.T) {
	app, dial := virtualDemo(t)
	r := start(t, `
name: paced
users:
  - name: U
    wait: {pacing: 100ms}
    tasks: [{name: browse, steps: [{request: {url: /items/1}}]}]
`, vhost, 10, 0, engine.Options{RunTime: 3 * time.Second, Dial: dial})
	time.Sleep(1250 * time.Millisecond)
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("POST", "/admin/stall?ms=500", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("stall: HTTP %d", rec.Code)
	}
	s := wait(t, r)

	if len(s.Pacing) != 1 {
		t.Fatalf("got %d pacing rows, want 1 (browse)", len(s.Pacing))
	}
	p := s.Pacing[0]
	if p.Task != "browse" || p.Late == 0 || p.Skipped == 0 {
		t.Errorf("pacing of %q: %d late, %d skipped of %d; want browse with late and skipped iterations",
			p.Task, p.Late, p.Skipped, p.Iterations)
	}
	// Every user was held back by up to 500 ms; the 100 ms slot it was
	// due in and the scheduler's slack make the bounds generous. The
	// iterations that skipped slots are the latest of all, so their
	// lateness must be in the histogram too.
	lateMax := time.Duration(p.Lateness.Max()) * time.Microsecond
	if lateMax < 300*time.Millisecond || lateMax > 1500*time.Millisecond {
		t.Errorf("lateness max %s, want about 500ms (300ms..1.5s)", lateMax)
	}
	// The stalled requests themselves were timed: the slowest took about
	// the stall.
	if s.Total.MaxTime < 300*time.Millisecond {
		t.Errorf("max response time %s, want the stall's ~500ms", s.Total.MaxTime)
	}
	// Nothing was stalled but the one stretch: a few late users each.
	if p.Late > p.Iterations/2 {
		t.Errorf("%d of %d iterations late, want only those around the stall", p.Late, p.Iterations)
	}
}

// truth is a target whose handler takes 20 ms and records how long it
// took, so that loadrun's figures can be compared with the server's own.
type truth struct {
	mu    sync.Mutex
	times []time.Duration
	n     atomic.Int64
}

func (tr *truth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	id := tr.n.Add(1)
	time.Sleep(20 * time.Millisecond)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id": %d, "user": %s}`, id, strconv.Quote(r.URL.Query().Get("u")))
	took := time.Since(began)
	tr.mu.Lock()
	tr.times = append(tr.times, took)
	tr.mu.Unlock()
}

// percentile of the recorded service times, by rank over every sample.
func (tr *truth) percentile(p float64) time.Duration {
	tr.mu.Lock()
	ts := slices.Clone(tr.times)
	tr.mu.Unlock()
	if len(ts) == 0 {
		return 0
	}
	slices.Sort(ts)
	i := int(p/100*float64(len(ts))+0.5) - 1
	return ts[min(max(i, 0), len(ts)-1)]
}

// TestLatencyMatchesServer runs a scenario with a template, an extractor
// and a check against a 20 ms handler that times itself: loadrun counts
// what the server served, its median is the server's, and the summary is
// internally exact. It runs in virtual time, where the network and both
// HTTP stacks take no time, so the comparison is exact and no machine load
// can fail it; what the real stacks add is bench/latency's measurement.
func TestLatencyMatchesServer(t *testing.T) {
	synctest.Test(t, testLatencyMatchesServer)
}

func testLatencyMatchesServer(t *testing.T) {
	tr := &truth{}
	dial := virtualHost(t, tr)
	s := runToEnd(t, `
name: truth
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - name: t
        steps:
          - request:
              url: /work?u=${user_id}
              name: /work
              extract: [{var: id, jsonpath: $.id}]
              check: [{status: 200}, {contains: '"user"'}]
`, vhost, 10, 0, engine.Options{RunTime: time.Second, Dial: dial})

	if s.Total.Failures != 0 {
		t.Fatalf("%d of %d requests failed: %v", s.Total.Failures, s.Total.Requests, errorsOf(s))
	}
	served := tr.n.Load()
	if s.Total.Requests != served {
		t.Errorf("loadrun counted %d requests, the server %d", s.Total.Requests, served)
	}
	got, want := s.Total.Median(), tr.percentile(50)
	// Equal within the histogram's 3 significant digits.
	if got < want*999/1000 || got > want*1001/1000 {
		t.Errorf("loadrun p50 %s, server p50 %s: want the same", got, want)
	}
	for _, e := range append(slices.Clone(s.Entries), s.Total) {
		checkSummary(t, e)
	}
}

// checkSummary asserts what makes percentiles trustworthy: they rise with
// p, never exceed the max, and the 100 % column is the max exactly.
func checkSummary(t *testing.T, e *stats.Entry) {
	t.Helper()
	if e.Hist == nil || e.Hist.TotalCount() != e.Requests {
		t.Errorf("%s: histogram holds %d samples, want all %d requests", e.Key, e.Hist.TotalCount(), e.Requests)
	}
	if got := e.Hist.SignificantFigures(); got < 3 {
		t.Errorf("%s: histogram at %d significant digits, want 3 or more", e.Key, got)
	}
	prev := time.Duration(0)
	for _, p := range stats.Percentiles() {
		got := e.Percentile(p)
		if got > e.MaxTime {
			t.Errorf("%s: p%v %s above max %s", e.Key, p, got, e.MaxTime)
		}
		if got < prev {
			t.Errorf("%s: p%v %s below the percentile before it (%s)", e.Key, p, got, prev)
		}
		prev = got
	}
	if got := e.Percentile(100); got != e.MaxTime {
		t.Errorf("%s: p100 %s, want max %s", e.Key, got, e.MaxTime)
	}
	if e.MinTime > e.Median() {
		t.Errorf("%s: min %s above the median %s", e.Key, e.MinTime, e.Median())
	}
}
