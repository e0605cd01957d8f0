package cluster

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// rendezvousServer gathers the users waiting at each rendezvous on every
// worker and releases a group with one broadcast, by the same Rule a
// single process applies, over the users alive on all workers. The groups
// it releases are the run's rendezvous statistics (workers record none).
type rendezvousServer struct {
	nc   *nats.Conn
	subj subjects
	logf func(string, ...any)

	// limit, when set, is Master.waitLimit: arrivals from workers not of
	// the run are dropped, and a worker's waiting users are bounded.
	limit func(worker string) (int, bool)
	drops dropLog

	mu       sync.Mutex
	alive    map[string]int
	barriers map[string]*gathering
	// waiting is each worker's users waiting in every group.
	waiting map[string]int
	closed  bool
	st      *stats.Stats
}

// maxBarriers bounds the rendezvous a run gathers users at, and
// maxBarrierName their names: arrivals at others are dropped.
const (
	maxBarriers    = 1024
	maxBarrierName = 1024
)

// gathering is one barrier's group being gathered.
type gathering struct {
	name     string
	rule     rendezvous.Rule
	timeout  time.Duration
	fromLast bool
	seq      uint64
	members  []member
	deadline time.Time
	timer    *time.Timer
}

type member struct {
	worker string
	id     uint64
	at     time.Time
}

func newRendezvousServer(nc *nats.Conn, subj subjects, logf func(string, ...any)) *rendezvousServer {
	return &rendezvousServer{nc: nc, subj: subj, logf: logf, alive: map[string]int{}, barriers: map[string]*gathering{}, waiting: map[string]int{},
		st: stats.New(time.Now(), 1)}
}

// start resets the statistics to the run's start.
func (s *rendezvousServer) start(at time.Time) {
	s.mu.Lock()
	s.st = stats.New(at, 1)
	s.mu.Unlock()
}

// resetStats forgets the groups released so far.
func (s *rendezvousServer) resetStats(now time.Time) {
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	if st != nil {
		st.Reset(now)
	}
}

// snapshot holds the released groups; the rest of it is empty.
func (s *rendezvousServer) snapshot(now time.Time) *stats.Snapshot {
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	return st.Snapshot(now)
}

func (s *rendezvousServer) totalLocked() int {
	n := 0
	for _, a := range s.alive {
		n += a
	}
	return n
}

// setAlive records how many users a worker has alive (running or about to
// be spawned) and releases groups that can no longer fill, or that a
// percentage now fills.
func (s *rendezvousServer) setAlive(worker string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.alive[worker] == n {
		return
	}
	s.alive[worker] = n
	for _, g := range s.barriers {
		s.checkLocked(g, time.Now())
	}
}

// workerLost drops the worker's users from every count and group.
func (s *rendezvousServer) workerLost(worker string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.alive, worker)
	delete(s.waiting, worker)
	now := time.Now()
	for _, g := range s.barriers {
		kept := g.members[:0]
		for _, m := range g.members {
			if m.worker != worker {
				kept = append(kept, m)
			}
		}
		g.members = kept
		s.checkLocked(g, now)
	}
}

func (s *rendezvousServer) onArrival(msg *nats.Msg) {
	var a arrival
	if json.Unmarshal(msg.Data, &a) != nil || a.Name == "" || len(a.Name) > maxBarrierName {
		s.drops.logf(s.logf, "a rendezvous arrival that is not one: dropped")
		return
	}
	limit, ok := waitsOf(s.limit, a.Worker)
	if !ok {
		return // not a worker of this run (or one that was lost)
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.barriers[a.Name]
	if g == nil && !a.Leave && len(s.barriers) >= maxBarriers {
		s.drops.logf(s.logf, "worker %s: an arrival at a rendezvous beyond the %d a run has: dropped", a.Worker, maxBarriers)
		return
	}
	if !a.Leave && s.waiting[a.Worker] >= limit {
		s.drops.logf(s.logf, "worker %s: more users waiting at rendezvous than it runs: an arrival dropped", a.Worker)
		return
	}
	if g == nil {
		if a.Leave {
			return
		}
		timeout := a.Timeout
		if timeout <= 0 {
			timeout = rendezvous.DefaultTimeout
		}
		g = &gathering{name: a.Name, rule: rendezvous.Rule{Count: a.Count, Percent: a.Percent}, timeout: timeout, fromLast: a.Last}
		s.barriers[a.Name] = g
	}
	if a.Leave {
		for i, m := range g.members {
			if m.worker == a.Worker && m.id == a.ID {
				g.members = append(g.members[:i], g.members[i+1:]...)
				unwait(s.waiting, a.Worker)
				break
			}
		}
		s.checkLocked(g, now)
		return
	}
	g.members = append(g.members, member{worker: a.Worker, id: a.ID, at: now})
	s.waiting[a.Worker]++
	if s.closed {
		s.releaseLocked(g, rendezvous.ByShortfall, now)
		return
	}
	if len(g.members) == 1 || g.fromLast {
		g.deadline = now.Add(g.timeout)
		s.armLocked(g, now)
	}
	s.checkLocked(g, now)
}

// armLocked sets the barrier's timer to its group's deadline.
func (s *rendezvousServer) armLocked(g *gathering, now time.Time) {
	d := g.deadline.Sub(now)
	if g.timer == nil {
		g.timer = time.AfterFunc(d, func() { s.expire(g) })
		return
	}
	g.timer.Reset(d)
}

func (s *rendezvousServer) expire(g *gathering) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if len(g.members) == 0 {
		return
	}
	if now.Before(g.deadline) {
		s.armLocked(g, now) // re-armed by a later arrival (policy last)
		return
	}
	s.releaseLocked(g, rendezvous.ByTimeout, now)
}

func (s *rendezvousServer) checkLocked(g *gathering, now time.Time) {
	if reason, ok := g.rule.Ready(len(g.members), s.totalLocked()); ok {
		s.releaseLocked(g, reason, now)
	}
}

// releaseLocked records the group and broadcasts its release. Only the
// members of the group leave it: a count barrier whose group overfilled
// (arrivals from several workers at once) keeps the rest for the next.
func (s *rendezvousServer) releaseLocked(g *gathering, reason rendezvous.Reason, now time.Time) {
	n := len(g.members)
	if reason == rendezvous.ByCount && g.rule.Count > 0 {
		n = min(n, g.rule.Count)
	}
	group := g.members[:n]
	g.seq++
	r := release{Name: g.name, Seq: g.seq, Reason: int(reason), Size: n, Members: map[string][]uint64{}}
	waits := make([]time.Duration, n)
	for i, m := range group {
		r.Members[m.worker] = append(r.Members[m.worker], m.id)
		waits[i] = now.Sub(m.at)
		unwait(s.waiting, m.worker)
	}
	// The name came from a worker: the statistics show it as text.
	s.st.Rendezvous(termsafe.Line(g.name), n, reason, waits)
	g.members = append([]member(nil), g.members[n:]...)
	if b, err := json.Marshal(r); err == nil {
		// A group of a hundred thousand users is over a default max
		// payload: it goes in parts, each barrier's releases in turn.
		if err := publishParts(s.nc, s.subj.release(), "rendezvous "+g.name, int64(g.seq), b, partSize(s.nc)); err != nil {
			s.logf("releasing rendezvous %q: %v", g.name, err)
		}
	}
	if len(g.members) > 0 {
		g.deadline = now.Add(g.timeout)
		s.armLocked(g, now)
		s.checkLocked(g, now)
	} else if g.timer != nil {
		g.timer.Stop()
	}
}

// close releases every waiting group for the end of the run; later
// arrivals are released at once.
func (s *rendezvousServer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	now := time.Now()
	for _, g := range s.barriers {
		if len(g.members) > 0 {
			s.releaseLocked(g, rendezvous.ByShortfall, now)
		}
	}
}

// barrierClient is a worker's side of the cluster's rendezvous: its users
// wait on it, and the master's releases free them.
type barrierClient struct {
	nc     *nats.Conn
	subj   subjects
	worker string
	// population reports the worker's users alive to the master at once
	// when they change (heartbeats also carry them).
	population func()

	mu      sync.Mutex
	next    uint64
	waiting map[uint64]*waiter
}

type waiter struct {
	ch chan rendezvous.Release
	at time.Time
}

func (c *barrierClient) onRelease(msg *nats.Msg) {
	var r release
	if json.Unmarshal(msg.Data, &r) != nil {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range r.Members[c.worker] {
		if w := c.waiting[id]; w != nil {
			delete(c.waiting, id)
			w.ch <- rendezvous.Release{Seq: r.Seq, Reason: rendezvous.Reason(r.Reason), Size: r.Size, Waited: now.Sub(w.at)}
		}
	}
}

// releaseAll frees every local waiter: the run is ending.
func (c *barrierClient) releaseAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for id, w := range c.waiting {
		delete(c.waiting, id)
		w.ch <- rendezvous.Release{Reason: rendezvous.ByShortfall, Waited: now.Sub(w.at)}
	}
}

// Barrier is the cluster-wide barrier for def, as the engine's users see it.
func (c *barrierClient) Barrier(def *scenario.Rendezvous) rendezvous.Barrier {
	return &remoteBarrier{c: c, def: def}
}

type remoteBarrier struct {
	c   *barrierClient
	def *scenario.Rendezvous
}

// PopulationChanged tells the master how many users this worker has alive,
// so that a group that can no longer fill is released without waiting for
// the next heartbeat. The engine calls it when users start or stop.
func (b *remoteBarrier) PopulationChanged() {
	if b.c.population != nil {
		b.c.population()
	}
}

// Close releases this worker's waiters: its run is ending.
func (b *remoteBarrier) Close() { b.c.releaseAll() }

func (b *remoteBarrier) send(a arrival) {
	a.Worker, a.Name = b.c.worker, b.def.Name
	a.Count, a.Percent, a.Timeout, a.Last = b.def.Count, b.def.Percent, b.def.Timeout, b.def.Policy == "last"
	if data, err := json.Marshal(a); err == nil {
		_ = b.c.nc.Publish(b.c.subj.arrive(), data)
	}
}

// Wait tells the master this user arrived and waits for its group's
// release, or leaves the group when ctx is done.
func (b *remoteBarrier) Wait(ctx context.Context) (rendezvous.Release, error) {
	w := &waiter{ch: make(chan rendezvous.Release, 1), at: time.Now()}
	b.c.mu.Lock()
	b.c.next++
	id := b.c.next
	b.c.waiting[id] = w
	b.c.mu.Unlock()
	b.send(arrival{ID: id})
	select {
	case r := <-w.ch:
		return r, nil
	case <-ctx.Done():
	}
	b.c.mu.Lock()
	_, still := b.c.waiting[id]
	delete(b.c.waiting, id)
	b.c.mu.Unlock()
	if !still {
		return <-w.ch, nil // released while leaving: go with the group
	}
	b.send(arrival{ID: id, Leave: true})
	return rendezvous.Release{}, ctx.Err()
}
