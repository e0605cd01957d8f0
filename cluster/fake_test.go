package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// fakeRun is a worker's run without HTTP: each user loops over iterations
// that draw a row of every unique pool (recording who holds what in a
// ledger shared by the whole test), wait at every rendezvous, and record one
// request. It exercises the cluster's hooks exactly as the engine uses them.
type fakeRun struct {
	sc     *scenario.Scenario
	hooks  Hooks
	ledger *ledger
	pools  []datasource.Lender
	bars   []rendezvous.Barrier
	st     *stats.Stats

	mu      sync.Mutex
	users   map[int]context.CancelFunc
	wg      sync.WaitGroup
	nextID  int
	target  int
	started bool
	reason  string
	done    chan struct{}
	once    sync.Once
	alive   atomic.Int64
	// resets counts the ResetStats calls.
	resets atomic.Int64
}

// ledger is what every fake user did, across workers.
type ledger struct {
	mu       sync.Mutex
	used     map[string]map[int]int // pool -> row -> times drawn
	holding  map[string]map[int]int // pool -> row -> holders now
	overlaps int
	ids      map[int]bool
	dupIDs   int
	// names, when set before the run starts, are the request names the
	// users record, in turn ("/" otherwise).
	names []string
	// requests counts the requests every fake user recorded.
	requests int64
}

// name is the request name of a user's i-th request.
func (l *ledger) name(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.names) == 0 {
		return "/"
	}
	return l.names[i%len(l.names)]
}

func newLedger() *ledger {
	return &ledger{used: map[string]map[int]int{}, holding: map[string]map[int]int{}, ids: map[int]bool{}}
}

func (l *ledger) take(pool string, row int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used[pool] == nil {
		l.used[pool], l.holding[pool] = map[int]int{}, map[int]int{}
	}
	l.used[pool][row]++
	l.holding[pool][row]++
	if l.holding[pool][row] > 1 {
		l.overlaps++
	}
}

func (l *ledger) give(pool string, row int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holding[pool][row]--
}

func (l *ledger) user(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids[id] {
		l.dupIDs++
	}
	l.ids[id] = true
}

func newFakeRun(sc *scenario.Scenario, hooks Hooks, l *ledger) (*fakeRun, error) {
	r := &fakeRun{sc: sc, hooks: hooks, ledger: l, users: map[int]context.CancelFunc{}, done: make(chan struct{})}
	for _, def := range sc.Data {
		p, err := datasource.Open(def, sc.Dir)
		if err != nil {
			return nil, err
		}
		r.pools = append(r.pools, hooks.Lender(def, p.Len()))
	}
	for _, u := range sc.Users {
		for _, t := range u.Tasks {
			for _, s := range t.Steps {
				if s.Rendezvous != nil && len(r.bars) == 0 {
					r.bars = append(r.bars, hooks.Barrier(s.Rendezvous))
				}
			}
		}
	}
	return r, nil
}

func (r *fakeRun) Start(counts []int, rate float64) error {
	r.mu.Lock()
	r.st = stats.New(time.Now(), 1)
	r.started = true
	r.mu.Unlock()
	return r.SetUsers(counts, rate)
}

func (r *fakeRun) SetUsers(counts []int, _ float64) error {
	n := 0
	for _, c := range counts {
		n += c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = n
	for len(r.users) < n {
		r.nextID++
		id := r.hooks.UserIDBase + r.nextID
		ctx, cancel := context.WithCancel(context.Background())
		r.users[id] = cancel
		r.alive.Add(1)
		r.wg.Add(1)
		go r.user(ctx, id)
	}
	for id, cancel := range r.users {
		if len(r.users) <= n {
			break
		}
		cancel()
		delete(r.users, id)
	}
	r.st.SetUsers(len(r.users))
	return nil
}

func (r *fakeRun) user(ctx context.Context, id int) {
	defer r.exited(id)
	r.ledger.user(id)
	rec := r.st.Recorder(id)
	for i := 0; ctx.Err() == nil; i++ {
		if r.hooks.Budget != nil && !r.hooks.Budget.Take() {
			return
		}
		var held []int
		ok := true
		for i, p := range r.pools {
			row, err := p.Take(ctx)
			if err != nil {
				ok = false
				if r.sc.Data[i].Mode == scenario.UniqueOnce {
					if r.hooks.Budget != nil {
						r.hooks.Budget.Done()
					}
					return
				}
				break
			}
			r.ledger.take(r.sc.Data[i].Name, row)
			held = append(held, row)
		}
		if ok {
			for _, b := range r.bars {
				if _, err := b.Wait(ctx); err != nil {
					break
				}
			}
			time.Sleep(time.Millisecond)
			rec.Request(stats.Key{Method: "GET", Name: r.ledger.name(id + i)}, time.Millisecond, 1, "")
			r.ledger.mu.Lock()
			r.ledger.requests++
			r.ledger.mu.Unlock()
		}
		for i, row := range held {
			r.ledger.give(r.sc.Data[i].Name, row)
			r.pools[i].Give(row)
		}
		if r.hooks.Budget != nil {
			r.hooks.Budget.Done()
		}
	}
}

func (r *fakeRun) exited(id int) {
	r.alive.Add(-1)
	r.mu.Lock()
	delete(r.users, id)
	left := len(r.users)
	r.mu.Unlock()
	r.wg.Done()
	if left == 0 {
		r.end("all users finished")
	}
}

func (r *fakeRun) end(reason string) {
	r.once.Do(func() {
		r.mu.Lock()
		r.reason = reason
		for _, cancel := range r.users {
			cancel()
		}
		r.mu.Unlock()
		go func() {
			r.wg.Wait()
			close(r.done)
		}()
	})
}

func (r *fakeRun) Stop()                 { r.end("stopped") }
func (r *fakeRun) Kill()                 { r.end("killed") }
func (r *fakeRun) Done() <-chan struct{} { return r.done }
func (r *fakeRun) Users() int            { r.mu.Lock(); defer r.mu.Unlock(); return len(r.users) }
func (r *fakeRun) Alive() int            { return int(r.alive.Load()) }
func (r *fakeRun) Reason() string        { r.mu.Lock(); defer r.mu.Unlock(); return r.reason }
func (r *fakeRun) Answered() bool        { return true }

func (r *fakeRun) Snapshot() *stats.Snapshot {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	if st == nil {
		return nil
	}
	return st.Snapshot(time.Now())
}

// cluster is a master and workers in one process over an embedded server.
type testCluster struct {
	t      *testing.T
	srv    *Server
	master *Master
	ledger *ledger
	errs   chan error
	cancel map[string]context.CancelFunc
	conns  map[string]*nats.Conn
}

func startCluster(t *testing.T, yaml string, cfg MasterConfig, workers int) *testCluster {
	t.Helper()
	dir := t.TempDir()
	write(t, dir+"/s.yaml", yaml)
	sc, err := scenario.Load(dir + "/s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, connect := natsOnLoopback(t)
	nc := connect("master")
	b, err := NewBundle(dir+"/s.yaml", sc)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := MasterPools(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range sc.Users {
		cfg.Weights = append(cfg.Weights, u.Weight)
	}
	cfg.Conn, cfg.Bundle, cfg.Pools, cfg.Version = nc, b, pools, "test"
	cfg.Log = testLog{t}
	m, err := NewMaster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	c := &testCluster{t: t, srv: srv, master: m, ledger: newLedger(), errs: make(chan error, workers+4), cancel: map[string]context.CancelFunc{}, conns: map[string]*nats.Conn{}}
	for i := range workers {
		c.addWorker(fmt.Sprintf("w%d", i+1))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.WaitWorkers(ctx, workers); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *testCluster) addWorker(name string) { c.addWorkerVia(name, c.srv.URL()) }

// addWorkerVia starts a worker that reaches the server at url.
func (c *testCluster) addWorkerVia(name, url string) {
	nc, err := Connect(url, "", name)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	c.conns[name] = nc
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel[name] = cancel
	c.t.Cleanup(cancel)
	dir := c.t.TempDir()
	go func() {
		c.errs <- RunWorker(ctx, WorkerConfig{Conn: nc, Name: name, Version: "test", Dir: dir, Log: testLog{c.t},
			NewRun: func(sc *scenario.Scenario, h Hooks, _ []string) (Run, error) { return newFakeRun(sc, h, c.ledger) }})
	}()
}

// wait waits for the run to end and for the workers to return, failing
// the test on any worker error.
func (c *testCluster) wait(workers int) *stats.Snapshot {
	c.t.Helper()
	s, errs := c.waitErrs(workers)
	for _, err := range errs {
		if err != nil {
			c.t.Errorf("worker: %v", err)
		}
	}
	return s
}

// waitErrs waits for the run to end and returns what the workers returned.
func (c *testCluster) waitErrs(workers int) (*stats.Snapshot, []error) {
	c.t.Helper()
	select {
	case <-c.master.Done():
	case <-time.After(60 * time.Second):
		c.t.Fatalf("the run did not end; workers: %+v", c.master.Workers())
	}
	var errs []error
	for range workers {
		select {
		case err := <-c.errs:
			errs = append(errs, err)
		case <-time.After(30 * time.Second):
			c.t.Fatal("a worker did not return")
		}
	}
	return c.master.Snapshot(), errs
}

// testLog sends log lines to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
