package engine

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/internal/memnet"
	"github.com/loadrun/loadrun/scenario"
)

// TestPopulationAtSpawnAndStop records every value the population that
// barriers read (Alive) takes during a run, with no sampling: a user the
// ramp starts was already counted as pending, so starting it must not
// change the count at all. Counted as running before it stopped counting
// as pending, each spawned user made the population one too high for an
// instant; a percent barrier reached at that instant asked for one user
// more than its percentage and held the group until the next arrival (a
// rendezvous test saw groups of 6 and 4 instead of 5 at 50 % of 10).
//
// At the stop, the count falls only once every user was asked to stop: a
// group released by that fall must not begin another iteration (asked one
// by one, a user released by the first fall could, and bought twice).
func TestPopulationAtSpawnAndStop(t *testing.T) {
	tests := []struct {
		name    string
		runTime time.Duration
		want    []int64
	}{
		// 10 users at 20/s are all started by 450 ms: the count is 10 from
		// Start to the stop at 1 s, then 0 in one step.
		{"ramp completes", time.Second, []int64{10, 0}},
		// Stopped at 225 ms, 5 users are running and 5 were still to be
		// started: all 10 leave the count in one step.
		{"stopped during the ramp", 225 * time.Millisecond, []int64{10, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				got := populationDuringRun(t, tt.runTime)
				if !slices.Equal(got, tt.want) {
					t.Errorf("the population took the values %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// populationDuringRun runs 10 users spawned at 20 per second, each meeting
// at a 50 % rendezvous, for runTime in virtual time, and returns every
// value the population took, in order.
func populationDuringRun(t *testing.T, runTime time.Duration) []int64 {
	t.Helper()
	l := memnet.Listen()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	})}
	go srv.Serve(l)
	defer srv.Close()

	sc, err := scenario.Parse("population.yaml", []byte(`
users:
  - name: Buyer
    wait: {constant: 500ms}
    tasks:
      - steps:
          - request: {url: /product/7}
          - rendezvous: {name: buy, percent: 50, timeout: 5s}
          - request: {method: POST, url: /cart}
`))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	plan, err := Compile(sc, CompileOptions{Host: "http://app.test"})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	r := NewRunner(plan, Options{RunTime: runTime, Dial: l.Dial})
	var mu sync.Mutex
	var values []int64
	// The hook runs with r.mu held, so it may read the users.
	r.onPopulation = func(n int64) {
		mu.Lock()
		values = append(values, n)
		mu.Unlock()
		if r.state < Stopping {
			return
		}
		for _, u := range r.live {
			select {
			case <-u.stop:
			default:
				t.Errorf("the population fell to %d at the stop while user %d was not yet asked to stop", n, u.id)
			}
		}
	}
	if err := r.Start(10, 20); err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-r.Done()
	if got := r.Snapshot().Total.Failures; got != 0 {
		t.Errorf("%d requests failed", got)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(values)
}
