package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

const plainScenario = `name: plain
host: http://127.0.0.1:1
users:
  - name: A
    weight: 3
    tasks: [{steps: [{request: {url: /}}]}]
  - name: B
    weight: 1
    tasks: [{steps: [{request: {url: /}}]}]
`

// TestIterationBudget: -n is exact over the cluster, and each worker runs
// its exact share of every user type.
func TestIterationBudget(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 7, Rate: 0, Iterations: 333}, 3)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	c.master.mu.Lock()
	var counts [][]int
	for _, name := range c.master.order {
		counts = append(counts, c.master.workers[name].counts)
	}
	c.master.mu.Unlock()
	want := [][]int{{2, 1}, {2, 0}, {1, 1}}
	for i := range want {
		if len(counts[i]) != 2 || counts[i][0] != want[i][0] || counts[i][1] != want[i][1] {
			t.Fatalf("split %v, want %v", counts, want)
		}
	}
	s := c.wait(3)
	if s.Total.Requests != 333 {
		t.Errorf("%d requests over the cluster, want exactly 333", s.Total.Requests)
	}
	if got := c.master.budget.doneTotal(); got != 333 {
		t.Errorf("%d iterations reported done, want 333", got)
	}
	if !strings.Contains(c.master.Reason(), "333 iterations done") {
		t.Errorf("reason %q", c.master.Reason())
	}
	if c.ledger.dupIDs != 0 {
		t.Errorf("%d user ids were used on two workers", c.ledger.dupIDs)
	}
}

// TestUniqueOnce: each row once in the whole cluster, and every row used.
func TestUniqueOnce(t *testing.T) {
	c := startCluster(t, `name: once
host: http://127.0.0.1:1
data:
  signups: {rows: [`+rows(150)+`], mode: unique-once}
users:
  - name: A
    tasks: [{steps: [{use: signups}, {request: {url: /}}]}]
`, MasterConfig{Users: 9, Rate: 0}, 3)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	s := c.wait(3)
	used := c.ledger.used["signups"]
	if len(used) != 150 {
		t.Errorf("%d distinct rows used, want all 150", len(used))
	}
	for row, n := range used {
		if n != 1 {
			t.Errorf("row %d used %d times", row, n)
		}
	}
	if s.Total.Requests != 150 {
		t.Errorf("%d requests, want 150 (one per row)", s.Total.Requests)
	}
}

// TestUniqueRecycle: no row is ever held by two users of any workers.
func TestUniqueRecycle(t *testing.T) {
	c := startCluster(t, `name: recycle
host: http://127.0.0.1:1
data:
  accounts: {rows: [`+rows(4)+`], mode: unique-recycle, timeout: 20s}
users:
  - name: A
    tasks: [{steps: [{use: accounts}, {request: {url: /}}]}]
`, MasterConfig{Users: 9, Rate: 0, Iterations: 300}, 3)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	s := c.wait(3)
	if c.ledger.overlaps != 0 {
		t.Errorf("%d times a row was held by two users at once", c.ledger.overlaps)
	}
	if s.Total.Requests != 300 {
		t.Errorf("%d requests, want 300", s.Total.Requests)
	}
	for _, name := range []string{"w1", "w2", "w3"} {
		if n := c.master.leases.heldBy("accounts", name); n != 0 {
			t.Errorf("%s still holds %d rows after the run", name, n)
		}
	}
}

// TestRendezvousGroups: a count barrier over users on several workers
// releases groups of exactly its count.
func TestRendezvousGroups(t *testing.T) {
	c := startCluster(t, `name: rdv
host: http://127.0.0.1:1
users:
  - name: A
    tasks: [{steps: [{rendezvous: {name: buy, count: 4, timeout: 20s}}, {request: {url: /}}]}]
`, MasterConfig{Users: 8, Rate: 0, Iterations: 40}, 3)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	s := c.wait(3)
	if len(s.Rendezvous) != 1 {
		t.Fatalf("rendezvous %+v", s.Rendezvous)
	}
	r := s.Rendezvous[0]
	// 40 iterations, one arrival each: ten groups of exactly four.
	if r.Groups != 10 || r.ByCount != 10 || r.Sizes.Min() != 4 || r.Sizes.Max() != 4 {
		t.Errorf("groups %d (by count %d, shortfall %d, timeout %d), sizes %d..%d; want groups of 4",
			r.Groups, r.ByCount, r.ByShortfall, r.ByTimeout, r.Sizes.Min(), r.Sizes.Max())
	}
	if r.ByTimeout != 0 {
		t.Errorf("%d groups released by timeout", r.ByTimeout)
	}
}

// TestWorkerLost: a worker that falls silent is lost, its users run on the
// others and its unique-recycle rows go back to the pool.
func TestWorkerLost(t *testing.T) {
	c := startCluster(t, `name: lost
host: http://127.0.0.1:1
data:
  accounts: {rows: [`+rows(3)+`], mode: unique-recycle, timeout: 30s}
users:
  - name: A
    tasks: [{steps: [{use: accounts}, {request: {url: /}}]}]
`, MasterConfig{Users: 3, Rate: 0, RunTime: 8 * time.Second}, 3)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	// Cutting w2's connection silences it at once, as kill -9 would; it
	// stops its users when it has not heard from the master for OrphanAfter.
	c.conns["w2"].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, others := "", 0
		for _, w := range c.master.Workers() {
			if w.Name == "w2" {
				state = w.State
			} else {
				others += w.Users
			}
		}
		if state == StateLost {
			if others != 3 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if others != 3 {
				t.Errorf("after the loss the others run %d users, want 3 in all", others)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("w2 was not declared lost: %+v", c.master.Workers())
		}
		time.Sleep(100 * time.Millisecond)
	}
	s, errs := c.waitErrs(3)
	orphaned := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrOrphaned):
			orphaned++
		case err != nil:
			t.Errorf("worker: %v", err)
		}
	}
	if orphaned != 1 {
		t.Errorf("worker results %v, want the cut-off one orphaned", errs)
	}
	if c.ledger.overlaps != 0 {
		t.Errorf("%d overlapping holds", c.ledger.overlaps)
	}
	if s.Total.Requests == 0 {
		t.Error("no requests")
	}
	if n := c.master.leases.heldBy("accounts", "w2"); n != 0 {
		t.Errorf("the lost worker still holds %d rows", n)
	}
}

// TestMasterGone: workers stop their users when the master falls silent.
func TestMasterGone(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 2, Rate: 0}, 2)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	c.master.Close() // no more heartbeats, nothing answers
	for range 2 {
		select {
		case err := <-c.errs:
			if !errors.Is(err, ErrOrphaned) {
				t.Errorf("worker returned %v, want ErrOrphaned", err)
			}
		case <-time.After(OrphanAfter + 10*time.Second):
			t.Fatal("a worker kept running without its master")
		}
	}
	if d := time.Since(start); d < OrphanAfter-Heartbeat {
		t.Errorf("workers gave up after %s, before the master was silent for %s", d, OrphanAfter)
	}
}

// TestRefusedVersion: a worker of another version is refused, with a
// message naming both versions.
func TestRefusedVersion(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 1}, 1)
	nc, err := Connect(c.srv.URL(), "", "old")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	err = RunWorker(context.Background(), WorkerConfig{Conn: nc, Name: "old", Version: "v0.1", Dir: t.TempDir()})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "v0.1") || !strings.Contains(err.Error(), "test") {
		t.Errorf("got %v", err)
	}
}

// TestMergeIsExact: the master's merged snapshot holds every worker's
// samples, as one recorder would.
func TestMergeIsExact(t *testing.T) {
	start := time.Now()
	a, b := sampleSnapshot(t, start, 10), sampleSnapshot(t, start, 25)
	m := stats.Merge(a, b)
	if m.Total.Requests != a.Total.Requests+b.Total.Requests || m.Total.Hist.TotalCount() != a.Total.Hist.TotalCount()+b.Total.Hist.TotalCount() {
		t.Errorf("merged %d requests", m.Total.Requests)
	}
}

// rows is n inline rows {n: "i"}.
func rows(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{n: "` + string(rune('a'+i%26)) + `` + itoa(i) + `"}`)
	}
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestLateJoin: a worker that joins during the run gets its share; the
// per-type totals stay those of the single-process split.
func TestLateJoin(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 6, Rate: 0, RunTime: 20 * time.Second}, 2)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	c.addWorker("late")
	deadline := time.Now().Add(15 * time.Second)
	for {
		ws := c.master.Workers()
		users := []int{}
		for _, w := range ws {
			users = append(users, w.Users)
		}
		if len(ws) == 3 && users[0] == 2 && users[1] == 2 && users[2] == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("users per worker %v after a third joined, want 2 each", users)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.master.mu.Lock()
	sum := make([]int, 2)
	for _, w := range c.master.workers {
		for i, n := range w.counts {
			sum[i] += n
		}
	}
	c.master.mu.Unlock()
	if sum[0] != 5 || sum[1] != 1 {
		t.Errorf("per-type totals %v after the rebalance, want [5 1] (6 users at 3:1)", sum)
	}
	c.master.Stop("test over")
	c.wait(3)
}

// TestStopEndsTheRunTimer: a run stopped before its run time stops the
// timer that would end it; left running, it logged and published long after
// the run, past the end of its test (a panic under go test -count=3).
func TestStopEndsTheRunTimer(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 2, Rate: 0, RunTime: time.Hour}, 1)
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	c.master.Stop("test over")
	c.wait(1)
	c.master.mu.Lock()
	defer c.master.mu.Unlock()
	if c.master.runTimer.Stop() {
		t.Error("the run-time timer was still running after the run stopped")
	}
}
