package engine_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/loadrun/loadrun/engine"
)

// countBudget is an iteration budget of the test's own, as a distributed
// worker's draws from its master's -n.
type countBudget struct {
	mu          sync.Mutex
	left        int
	taken, done int
}

func (b *countBudget) Take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left == 0 {
		return false
	}
	b.left--
	b.taken++
	return true
}

func (b *countBudget) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done++
}

// TestIterationBudget: with a Budget, iterations are taken from it (and
// reported back to it), not counted against Iterations; users stop when it
// is spent.
func TestIterationBudget(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc.wrap(nil))
	t.Cleanup(srv.Close)
	src := `
users:
  - {name: U, wait: {constant: 0s}, tasks: [{steps: [{request: {url: /it}}]}]}
`
	b := &countBudget{left: 17}
	// Iterations would allow 1000: the budget decides.
	runToEnd(t, src, srv.URL, 3, 0, engine.Options{Budget: b, Iterations: 1000})
	if n := rc.count("/it"); n != 17 {
		t.Errorf("%d iterations ran, want the budget's 17", n)
	}
	if b.taken != 17 || b.done != 17 {
		t.Errorf("taken %d, done %d; want 17 and 17", b.taken, b.done)
	}
}

// TestSetSplit: a running split changes to exactly the new per-type
// counts. It runs in virtual time (synctest.Wait lets the users start).
func TestSetSplit(t *testing.T) {
	synctest.Test(t, testSetSplit)
}

func testSetSplit(t *testing.T) {
	rc := &recorder{}
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - {name: A, wait: {constant: 1h}, on_start: [{request: {url: /a}}], tasks: [{steps: [{think: 1ms}]}]}
  - {name: B, wait: {constant: 1h}, on_start: [{request: {url: /b}}], tasks: [{steps: [{think: 1ms}]}]}
`
	r := engine.NewRunner(compile(t, src, vhost), engine.Options{Dial: dial})
	if err := r.SetSplit([]int{1, 1}, 0); err == nil {
		t.Error("SetSplit before the start was accepted")
	}
	if err := r.StartSplit([]int{1, 0}, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Kill(); <-r.Done() })
	if err := r.SetSplit([]int{1}, 0); err == nil {
		t.Error("SetSplit with one count for two types was accepted")
	}
	if err := r.SetSplit([]int{2, 3}, 0); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if running, target := r.Users(); running != 5 || target != 5 {
		t.Errorf("users %d of %d, want 5 of 5", running, target)
	}
	r.Stop()
	wait(t, r)
	if a, b := rc.count("/a"), rc.count("/b"); a != 2 || b != 3 {
		t.Errorf("started %d of A and %d of B, want 2 and 3", a, b)
	}
}
