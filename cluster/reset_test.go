package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// ResetStats starts the fake's statistics afresh, as the engine's does.
func (r *fakeRun) ResetStats() {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	if st != nil {
		st.Reset(time.Now())
	}
	r.resets.Add(1)
}

func (r *fakeRun) total() int64 {
	if s := r.Snapshot(); s != nil && s.Total != nil {
		return s.Total.Requests
	}
	return 0
}

// TestResetStats: a reset has every worker reset its statistics, and the
// master's merged statistics count from it: they never hold more than the
// workers counted since (statistics from before the reset are not merged
// again), the start moves to the reset, and the final totals are the sum
// of the workers' own.
func TestResetStats(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 4, Rate: 0}, 0)
	var mu sync.Mutex
	var fakes []*fakeRun
	for _, name := range []string{"w1", "w2"} {
		nc, err := Connect(c.srv.URL(), "", name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		dir := t.TempDir()
		go func() {
			c.errs <- RunWorker(ctx, WorkerConfig{Conn: nc, Name: name, Version: "test", Dir: dir, Log: testLog{t},
				NewRun: func(sc *scenario.Scenario, h Hooks, _ []string) (Run, error) {
					r, err := newFakeRun(sc, h, c.ledger)
					mu.Lock()
					fakes = append(fakes, r)
					mu.Unlock()
					return r, err
				}})
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.master.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.master.ResetStats(); err == nil {
		t.Error("a reset before the start was not refused")
	}
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	merged := func() int64 {
		if s := c.master.Snapshot(); s != nil && s.Total != nil {
			return s.Total.Requests
		}
		return 0
	}
	counted := func() (n int64) {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range fakes {
			n += f.total()
		}
		return n
	}
	waitUntil(t, "requests counted on both workers", func() bool {
		mu.Lock()
		n := len(fakes)
		mu.Unlock()
		return n == 2 && merged() > 1000
	})
	resetAt := time.Now()
	if err := c.master.ResetStats(); err != nil {
		t.Fatal(err)
	}
	// Two shipments of every worker: the merged count is read before the
	// workers' own, which only grow after their reset.
	for end := time.Now().Add(2*Heartbeat + Heartbeat/2); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m, w := merged(), counted(); m > w {
			t.Fatalf("the master counts %d requests, the workers %d since the reset", m, w)
		}
	}
	mu.Lock()
	for i, f := range fakes {
		if n := f.resets.Load(); n != 1 {
			t.Errorf("worker %d reset its statistics %v times, want once", i, n)
		}
	}
	mu.Unlock()
	if s := c.master.Snapshot(); s.Start.Before(resetAt) || s.Total == nil || s.Total.Requests == 0 {
		t.Errorf("after the reset the statistics start at %s (reset at %s) with %+v", s.Start, resetAt, s.Total)
	}
	c.master.Stop("stopped")
	if final, w := c.wait(2), counted(); final.Total == nil || final.Total.Requests != w {
		t.Errorf("the final statistics hold %+v, the workers counted %d since the reset", final.Total, w)
	}
	if err := c.master.ResetStats(); err == nil {
		t.Error("a reset after the run was not refused")
	}
}

// waitUntil polls cond for up to 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
