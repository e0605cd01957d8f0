package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/scenario"
	"github.com/nats-io/nats.go"
)

// PoolDef is a unique pool the master lends rows of.
type PoolDef struct {
	Name   string
	Mode   scenario.PoolMode
	Lender datasource.Lender
}

// MasterPools makes the lender of every unique pool of sc, whose data the
// master reads to know how many rows each has.
func MasterPools(sc *scenario.Scenario) ([]PoolDef, error) {
	var out []PoolDef
	for _, def := range sc.Data {
		if def.Mode != scenario.UniqueOnce && def.Mode != scenario.UniqueRecycle {
			continue
		}
		p, err := datasource.Open(def, sc.Dir)
		if err != nil {
			return nil, err
		}
		l, err := datasource.NewLender(def, p.Len())
		if err != nil {
			return nil, err
		}
		out = append(out, PoolDef{Name: def.Name, Mode: def.Mode, Lender: l})
	}
	return out, nil
}

// leaseServer lends the rows of the master's unique pools to workers, and
// remembers which unique-recycle rows each worker holds so that a lost
// worker's rows go back to their pool.
type leaseServer struct {
	nc    *nats.Conn
	subj  subjects
	pools map[string]*lentPool

	// limit, when set, is Master.waitLimit: requests from workers not of
	// the run are dropped, and a worker's waits for unique-recycle rows
	// are bounded.
	limit func(worker string) (int, bool)

	mu   sync.Mutex
	lost map[string]bool
	// waits is each worker's unique-recycle takes waiting for a row.
	waits map[string]int
	quit  chan struct{}
}

type lentPool struct {
	PoolDef
	// held is, per worker, the unique-recycle rows it holds (guarded by
	// the server's mu).
	held map[string]map[int]bool
}

func newLeaseServer(nc *nats.Conn, subj subjects, pools []PoolDef) (*leaseServer, error) {
	s := &leaseServer{nc: nc, subj: subj, pools: map[string]*lentPool{}, lost: map[string]bool{}, waits: map[string]int{}, quit: make(chan struct{})}
	for _, p := range pools {
		if p.Lender == nil {
			return nil, fmt.Errorf("cluster: pool %q has no lender", p.Name)
		}
		s.pools[p.Name] = &lentPool{PoolDef: p, held: map[string]map[int]bool{}}
	}
	return s, nil
}

func (s *leaseServer) reply(worker string, r leaseReply) {
	if b, err := json.Marshal(r); err == nil {
		_ = s.nc.Publish(s.subj.reply(worker), b) // a lost worker needs no answer
	}
}

// onRequest serves one worker's request. NATS calls it in order for the
// subscription, so a worker's gives and takes are applied in the order it
// sent them; a wait for a unique-recycle row runs on its own goroutine.
func (s *leaseServer) onRequest(msg *nats.Msg) {
	var req leaseRequest
	if json.Unmarshal(msg.Data, &req) != nil {
		return
	}
	limit, ok := waitsOf(s.limit, req.Worker)
	if !ok {
		// Not a worker of this run: its name is not even known to be a
		// subject token to answer on.
		return
	}
	p := s.pools[req.Pool]
	if p == nil {
		s.reply(req.Worker, leaseReply{ID: req.ID, Pool: req.Pool, Error: fmt.Sprintf("the master has no unique pool %q", req.Pool)})
		return
	}
	s.mu.Lock()
	lost := s.lost[req.Worker]
	if !lost && p.Mode == scenario.UniqueRecycle {
		for _, id := range req.Give {
			if p.held[req.Worker][id] {
				delete(p.held[req.Worker], id)
				p.Lender.Give(id)
			}
		}
	}
	s.mu.Unlock()
	if lost || req.Take <= 0 {
		return
	}
	if p.Mode == scenario.UniqueOnce {
		r := leaseReply{ID: req.ID, Pool: req.Pool}
		for range min(req.Take, maxTake) {
			id, err := p.Lender.Take(context.Background())
			if err != nil {
				r.Exhausted = true
				break
			}
			r.Rows = append(r.Rows, id)
		}
		s.reply(req.Worker, r)
		return
	}
	s.mu.Lock()
	over := s.waits[req.Worker] >= limit
	if !over {
		s.waits[req.Worker]++
	}
	s.mu.Unlock()
	if over {
		s.reply(req.Worker, leaseReply{ID: req.ID, Pool: req.Pool, Error: fmt.Sprintf("this worker waits for %d rows of the master's pools, more than its users", limit)})
		return
	}
	go s.recycleTake(p, req)
}

// maxTake bounds the rows one request takes (workers prefetch at most 32).
const maxTake = 1024

func (s *leaseServer) recycleTake(p *lentPool, req leaseRequest) {
	defer func() {
		s.mu.Lock()
		unwait(s.waits, req.Worker)
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	id, err := p.Lender.Take(ctx)
	if err != nil {
		r := leaseReply{ID: req.ID, Pool: req.Pool, Error: err.Error()}
		if errors.Is(err, datasource.ErrTimeout) {
			r.Timeout = true
		}
		s.reply(req.Worker, r)
		return
	}
	s.mu.Lock()
	if s.lost[req.Worker] {
		s.mu.Unlock()
		p.Lender.Give(id)
		return
	}
	if p.held[req.Worker] == nil {
		p.held[req.Worker] = map[int]bool{}
	}
	p.held[req.Worker][id] = true
	s.mu.Unlock()
	s.reply(req.Worker, leaseReply{ID: req.ID, Pool: req.Pool, Rows: []int{id}})
}

// workerLost returns every unique-recycle row the worker held.
func (s *leaseServer) workerLost(worker string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lost[worker] = true
	for _, p := range s.pools {
		for id := range p.held[worker] {
			p.Lender.Give(id)
		}
		delete(p.held, worker)
	}
}

// Held is how many unique-recycle rows of pool the worker holds (tests).
func (s *leaseServer) heldBy(pool, worker string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pools[pool].held[worker])
}

func (s *leaseServer) close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
}

// caller sends a worker's lease requests and matches the replies, which
// come on the worker's own reply subject, to the waiting draws by id. A
// reply nobody waits for any more (the draw gave up) hands its rows back.
type caller struct {
	nc     *nats.Conn
	subj   subjects
	worker string

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan leaseReply
}

func (c *caller) onReply(msg *nats.Msg) {
	var r leaseReply
	if json.Unmarshal(msg.Data, &r) != nil {
		return
	}
	c.mu.Lock()
	ch := c.pending[r.ID]
	delete(c.pending, r.ID)
	c.mu.Unlock()
	if ch != nil {
		ch <- r
		return
	}
	if len(r.Rows) > 0 && r.Error == "" {
		// Only unique-recycle draws give up while waiting, so these are
		// recycle rows that must not stay lent to nobody.
		c.send(leaseRequest{Pool: r.Pool, Give: r.Rows})
	}
}

func (c *caller) send(req leaseRequest) {
	req.Worker = c.worker
	if b, err := json.Marshal(req); err == nil {
		_ = c.nc.Publish(c.subj.lease(), b)
	}
}

// call sends req and waits for its reply until wait passes or ctx is done.
func (c *caller) call(ctx context.Context, req leaseRequest, wait time.Duration) (leaseReply, error) {
	ch := make(chan leaseReply, 1)
	c.mu.Lock()
	c.next++
	req.ID = c.next
	c.pending[req.ID] = ch
	c.mu.Unlock()
	c.send(req)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-t.C:
	case <-ctx.Done():
	}
	c.mu.Lock()
	_, waiting := c.pending[req.ID]
	delete(c.pending, req.ID)
	c.mu.Unlock()
	if !waiting {
		// The reply came in meanwhile: take it rather than lose its rows.
		return <-ch, nil
	}
	if err := ctx.Err(); err != nil {
		return leaseReply{}, err
	}
	return leaseReply{}, errors.New("the master did not answer")
}

// remoteLender is a worker's datasource.Lender for one unique pool: rows
// come from the master. unique-once rows are fetched a batch at a time.
type remoteLender struct {
	c       *caller
	def     *scenario.Pool
	rows    int
	timeout time.Duration
	batch   int

	mu        sync.Mutex
	queue     []int
	exhausted bool
}

func newRemoteLender(c *caller, def *scenario.Pool, rows int) *remoteLender {
	timeout := def.Timeout
	if timeout <= 0 {
		timeout = datasource.DefaultTimeout
	}
	return &remoteLender{c: c, def: def, rows: rows, timeout: timeout, batch: min(max(rows/64, 1), 32)}
}

func (l *remoteLender) Len() int { return l.rows }

func (l *remoteLender) Take(ctx context.Context) (int, error) {
	if l.def.Mode == scenario.UniqueOnce {
		return l.takeOnce(ctx)
	}
	// The master waits up to the pool's timeout; the margin covers the trip.
	r, err := l.c.call(ctx, leaseRequest{Pool: l.def.Name, Take: 1}, l.timeout+OrphanAfter)
	switch {
	case err != nil:
		return 0, fmt.Errorf("data pool %q: %w", l.def.Name, err)
	case r.Timeout:
		return 0, fmt.Errorf("data pool %q: no free row within %v (all %d rows are held across the cluster): %w", l.def.Name, l.timeout, l.rows, datasource.ErrTimeout)
	case r.Error != "" || len(r.Rows) != 1:
		return 0, fmt.Errorf("data pool %q: %s", l.def.Name, peerText(r.Error))
	}
	return r.Rows[0], nil
}

// takeOnce hands out a prefetched row, fetching the next batch when none is
// left. The lock is held across the fetch: users that would fetch too wait
// for its rows instead of each asking for a batch.
func (l *remoteLender) takeOnce(ctx context.Context) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 && !l.exhausted {
		r, err := l.c.call(ctx, leaseRequest{Pool: l.def.Name, Take: l.batch}, OrphanAfter)
		if err != nil {
			return 0, fmt.Errorf("data pool %q: %w", l.def.Name, err)
		}
		if r.Error != "" {
			return 0, fmt.Errorf("data pool %q: %s", l.def.Name, peerText(r.Error))
		}
		l.queue, l.exhausted = r.Rows, r.Exhausted
	}
	if len(l.queue) == 0 {
		return 0, fmt.Errorf("data pool %q: all %d rows were used across the cluster: %w", l.def.Name, l.rows, datasource.ErrExhausted)
	}
	id := l.queue[0]
	l.queue = l.queue[1:]
	return id, nil
}

func (l *remoteLender) Give(id int) {
	if l.def.Mode == scenario.UniqueRecycle {
		l.c.send(leaseRequest{Pool: l.def.Name, Give: []int{id}})
	}
}
