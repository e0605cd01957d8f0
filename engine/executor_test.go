package engine_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// everyTick is a small open-model executor for the test: two users, and
// an iteration offered every 20 ms until `want` were taken.
type everyTick struct {
	want    int
	taken   int
	refused int
}

func (e *everyTick) Run(d *engine.Driver) {
	users := []*engine.User{d.NewUser(0), d.NewUser(0)}
	for i := 0; e.taken < e.want; i++ {
		if !d.Sleep(time.Duration(i) * 20 * time.Millisecond) {
			return
		}
		u := users[i%len(users)]
		if u.Offer() {
			e.taken++
		} else {
			e.refused++
		}
	}
}

// TestExecutorSeam drives a run with an executor of the test's own: users
// run exactly the iterations offered to them, with no think time of their
// own (the scenario's 1 h wait is the closed model's, not used), and the
// run ends when the executor returns. UserIDBase numbers the users. It
// runs in virtual time, as the executor's schedule does.
func TestExecutorSeam(t *testing.T) {
	synctest.Test(t, testExecutorSeam)
}

func testExecutorSeam(t *testing.T) {
	rc := &recorder{}
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: U
    wait: {constant: 1h}
    tasks: [{steps: [{request: {url: "/it?u=${user_id}"}}]}]
`
	ex := &everyTick{want: 6}
	r := start(t, src, vhost, 0, 0, engine.Options{Executor: ex, UserIDBase: 1000, Dial: dial})
	snap := wait(t, r)
	if got := r.Reason(); got != "schedule finished" {
		t.Errorf("reason %q, want schedule finished", got)
	}
	if n := rc.count("/it"); n != ex.want || snap.Total.Requests != int64(ex.want) {
		t.Errorf("server saw %d iterations, stats %d; want %d (refused offers: %d)", n, snap.Total.Requests, ex.want, ex.refused)
	}
	var ids []string
	for id := range rc.byUser() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"1001", "1002"}) {
		t.Errorf("user ids %v, want 1001 and 1002 (UserIDBase 1000)", ids)
	}
	if err := r.SetUsers(3, 0); err == nil {
		t.Error("SetUsers on an executor's run was accepted")
	}
}

// TestStartSplit starts exactly the users per type a master asked for,
// not the split by weight.
func TestStartSplit(t *testing.T) {
	synctest.Test(t, testStartSplit)
}

func testStartSplit(t *testing.T) {
	rc := &recorder{}
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - {name: A, weight: 1, wait: {constant: 1h}, on_start: [{request: {url: /a}}], tasks: [{steps: [{think: 1ms}]}]}
  - {name: B, weight: 1, wait: {constant: 1h}, on_start: [{request: {url: /b}}], tasks: [{steps: [{think: 1ms}]}]}
`
	r := engine.NewRunner(compile(t, src, vhost), engine.Options{Dial: dial})
	if err := r.StartSplit([]int{3, 0}, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Kill(); <-r.Done() })
	synctest.Wait()
	r.Stop()
	wait(t, r)
	if a, b := rc.count("/a"), rc.count("/b"); a != 3 || b != 0 {
		t.Errorf("started %d of A and %d of B, want 3 and 0 (weights 1:1 would give 2 and 1)", a, b)
	}
}

// oneShot is a barrier of the test's own that lets everyone through and
// counts arrivals, as a cluster-wide barrier would be plugged in.
type oneShot struct{ arrivals atomic.Int64 }

func (b *oneShot) Wait(ctx context.Context) (rendezvous.Release, error) {
	b.arrivals.Add(1)
	return rendezvous.Release{Seq: 1, Size: 1}, ctx.Err()
}

// TestBarrierFactory: rendezvous steps wait at the barriers the factory
// makes (one per rendezvous name), not at local ones.
func TestBarrierFactory(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc.wrap(nil))
	t.Cleanup(srv.Close)
	// count 50 with 1 user: a local barrier would hold it for its timeout.
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{rendezvous: {name: go, count: 50, timeout: 1h}}, {request: {url: /after}}]}]
`
	var made []string
	b := &oneShot{}
	factory := func(def *scenario.Rendezvous) (rendezvous.Barrier, error) {
		made = append(made, def.Name)
		return b, nil
	}
	runToEnd(t, src, srv.URL, 1, 0, engine.Options{Barrier: factory, Iterations: 3})
	if !slices.Equal(made, []string{"go"}) {
		t.Errorf("factory made %v, want one barrier named go", made)
	}
	if n := b.arrivals.Load(); n != 3 || rc.count("/after") != 3 {
		t.Errorf("%d arrivals and %d requests after the barrier, want 3 and 3", n, rc.count("/after"))
	}
}

// TestPopulationProvider: local barriers size percent groups on the
// population the run is given (a cluster-wide count), not its own users.
// Its runs are in virtual time: the 100 ms timeout passes at once.
func TestPopulationProvider(t *testing.T) {
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{rendezvous: {name: half, percent: 50, timeout: 100ms}}, {request: {url: /after}}]}]
`
	tests := []struct {
		name      string
		pop       rendezvous.Population
		byTimeout bool
	}{
		// Its own count: 1 user alive, 50% of 1 is 1: released by count.
		{"own", nil, false},
		// 4 users cluster-wide: 50% is 2, this worker's one user waits out
		// the timeout.
		{"cluster", rendezvous.PopulationFunc(func() int { return 4 }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var snap *stats.Snapshot
			synctest.Test(t, func(t *testing.T) {
				dial := virtualHost(t, (&recorder{}).wrap(nil))
				snap = runToEnd(t, src, vhost, 1, 0, engine.Options{Population: tt.pop, Iterations: 1, Dial: dial})
			})
			if len(snap.Rendezvous) != 1 {
				t.Fatalf("%d rendezvous rows, want 1", len(snap.Rendezvous))
			}
			z := snap.Rendezvous[0]
			if got := z.ByTimeout == 1; got != tt.byTimeout || z.Groups != 1 {
				t.Errorf("groups %d, by timeout %d, by count %d; want one group, by timeout %v", z.Groups, z.ByTimeout, z.ByCount, tt.byTimeout)
			}
		})
	}
}

// stopWatch is a barrier of the test's own that lets everyone through and,
// once armed, notes how many users were alive each time the engine said
// the population changed.
type stopWatch struct {
	oneShot
	armed atomic.Bool
	alive func() int
	mu    sync.Mutex
	seen  []int
}

func (b *stopWatch) PopulationChanged() {
	if b.armed.Load() {
		b.mu.Lock()
		b.seen = append(b.seen, b.alive())
		b.mu.Unlock()
	}
}

func (b *stopWatch) Close() {}

// TestStopTellsBarriersOnce: when a run stops, barriers learn of it only
// once every user was asked to stop. Told after each user, a barrier
// released a group by shortfall while the users not yet asked were still
// running; a released user then started another iteration, came back to
// the barrier and was released again by the end of the run (Ctrl-C at a
// rendezvous of 4 buyers made 5 purchases).
func TestStopTellsBarriersOnce(t *testing.T) {
	synctest.Test(t, testStopTellsBarriersOnce)
}

func testStopTellsBarriersOnce(t *testing.T) {
	rc := &recorder{}
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: U
    wait: {constant: 1h}
    tasks: [{steps: [{rendezvous: {name: go, count: 50}}, {request: {url: /after}}]}]
`
	b := &stopWatch{}
	factory := func(*scenario.Rendezvous) (rendezvous.Barrier, error) { return b, nil }
	r := engine.NewRunner(compile(t, src, vhost), engine.Options{Barrier: factory, Dial: dial})
	b.alive = r.Alive
	if err := r.Start(3, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Kill(); <-r.Done() })
	synctest.Wait()
	if n := rc.count("/after"); n != 3 {
		t.Fatalf("%d users went through the barrier, want 3", n)
	}
	b.armed.Store(true)
	r.Stop()
	wait(t, r)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) == 0 || slices.ContainsFunc(b.seen, func(n int) bool { return n != 0 }) {
		t.Errorf("the barrier saw %v users alive when told of the stop, want 0 every time", b.seen)
	}
}
