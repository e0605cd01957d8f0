package cluster

import (
	"testing"
	"time"
)

// ResetStats starts the fake's statistics afresh, as the engine's does.
func (r *fakeRun) ResetStats() {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	if st != nil {
		st.Reset(time.Now())
	}
}

// TestResetStats: after a reset the master's merged statistics count from
// it, on every worker (the totals start again, the start moves to the
// reset), and statistics counted before it are not merged again.
func TestResetStats(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 4, Rate: 0}, 2)
	if err := c.master.ResetStats(); err == nil {
		t.Error("a reset before the start was not refused")
	}
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	before := c.master.Snapshot().Total.Requests
	resetAt := time.Now()
	if err := c.master.ResetStats(); err != nil {
		t.Fatal(err)
	}
	if s := c.master.Snapshot(); s.Total != nil && s.Total.Requests != 0 {
		t.Errorf("just after the reset the master still has %d requests", s.Total.Requests)
	}
	time.Sleep(time.Second + Heartbeat)
	after := c.master.Snapshot()
	if after.Start.Before(resetAt) {
		t.Errorf("the statistics start at %s, before the reset at %s", after.Start, resetAt)
	}
	// 1 s after the reset against 3 s before it: a worker's statistics from
	// before the reset would bring the total above the count before it.
	if after.Total == nil || after.Total.Requests == 0 || after.Total.Requests >= before {
		t.Errorf("%d requests counted since the reset, %d before it", after.Total.Requests, before)
	}
	c.master.Stop("stopped")
	final := c.wait(2)
	if final.Total.Requests >= before+after.Total.Requests {
		t.Errorf("the final statistics hold %d requests: the %d counted before the reset too", final.Total.Requests, before)
	}
	if err := c.master.ResetStats(); err == nil {
		t.Error("a reset after the run was not refused")
	}
}
