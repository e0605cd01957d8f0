package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// MasterConfig is what a master needs to run a test over workers.
type MasterConfig struct {
	// Conn is the master's connection to NATS.
	Conn *nats.Conn
	// Version is this loadrun's version; workers must run the same.
	Version string
	// Token, when set, must be presented by every joining worker.
	Token string
	// Bundle is the scenario and data files shipped to workers.
	Bundle *Bundle
	// Weights are the user types' weights, in scenario order.
	Weights []int
	// Fixed are the user types' fixed_count (0: none), in scenario order;
	// nil when no type has one.
	Fixed []int
	// Pools are the unique pools the master lends rows of.
	Pools []PoolDef
	// Users and Rate are the cluster's users and spawn rate per second.
	Users int
	Rate  float64
	// Iterations is the cluster's -n (0: unbounded).
	Iterations int64
	// RunTime ends the run after this long (0: until stopped).
	RunTime time.Duration
	// Shape, when set, is the load shape the run follows instead of Users
	// and Rate (see Shape).
	Shape *Shape
	// Stay says workers join the master's next test once this one ended
	// (RunWorker returns ErrNextTest): a master serving the web UI runs
	// test after test with the same workers. Dismiss sends them away.
	Stay bool
	// Log receives what the master does (joins, losses, the end); nil
	// discards it.
	Log io.Writer
}

// Worker states, as the workers table shows them.
const (
	StateJoined   = "joined"
	StateRunning  = "running"
	StateStopping = "stopping"
	StateStopped  = "stopped"
	StateLost     = "lost"
)

// WorkerInfo is one row of the workers table.
type WorkerInfo struct {
	Name     string
	Host     string
	State    string
	Users    int
	Requests int64
	Failures int64
	// CPU is the worker's own CPU use, percent of its cores.
	CPU    float64
	Joined time.Time
	// Lost is when the worker was declared lost (zero if it was not).
	Lost time.Time
	// LastSeen is when the master last heard from it.
	LastSeen time.Time
	// Complete says the worker's final statistics came in: for a lost
	// worker, after its loss (it was cut off, not dead), so that its
	// numbers hold every request it made.
	Complete bool
}

// worker is the master's view of one worker.
type worker struct {
	info     WorkerInfo
	seq      int // join order from 1; gives the user id base
	lastSeen time.Time
	beat     beat
	// wire is the latest statistics it shipped, histograms still encoded
	// (a master decodes them only when it merges); snap is their decoded
	// form once needed, for wire's seq snapSeq. final says it was the last.
	wire    *wireSnapshot
	snap    *stats.Snapshot
	snapSeq int64
	history []stats.Point
	final   bool
	// counted says statistics with requests came in (the master says so
	// once: statistics that never arrive are a misconfigured server).
	counted bool
	// answered says a response byte reached this worker, as its heartbeats
	// or its statistics said (its final statistics can come before its last
	// heartbeat, and the verdict must not wait for that beat).
	answered bool
	statSeq  int64
	counts   []int
	// ready says the worker loaded the scenario and listens: only ready
	// workers get users.
	ready bool
	gen   int64 // the latest assignment sent
	// maxUsers is its share of the open model's max_users.
	maxUsers int
	// held is what its statistics (wire and history) count towards
	// maxStatsHeld.
	held int
	// peak is the most users it was assigned: what bounds the waits it
	// may have at the master (see waitLimit).
	peak  int
	ended bool
}

// maxHistory bounds the per-second points kept per worker during a run
// (two hours); a worker's final statistics bring its whole history.
const maxHistory = 7200

// Master runs one test over workers. Its methods are safe for concurrent use.
type Master struct {
	cfg  MasterConfig
	subj subjects
	run  string
	wire []byte // the encoded bundle

	leases *leaseServer
	budget *budgetServer
	rdv    *rendezvousServer

	subs []*nats.Subscription

	mu        sync.Mutex
	workers   map[string]*worker
	order     []string // names in join order
	joinedSeq int
	started   time.Time
	ended     time.Time
	stopping  bool
	runTimer  *time.Timer // ends the run at RunTime; stopped when it ends sooner
	reason    string
	users     int
	rate      float64
	joined    chan struct{} // signalled on every join
	halt      chan struct{} // closed when the run starts stopping
	// resets counts the statistics' resets; statsStart is when the
	// statistics start (the run's start, or the latest reset).
	resets     int64
	statsStart time.Time
	dismissed  bool   // Dismiss: the workers are not asked to stay
	shape      *Shape // the open model's shape, cut at the run time
	// walk is the open model's arrivals as the workers walk them: walkN
	// is the number of the next one, due at walkAt (walkOK false once the
	// schedule ended); dealt says the first deal was sent.
	walk      *schedule.Arrivals
	walkN     int64
	walkAt    time.Duration
	walkOK    bool
	dealt     bool
	done      chan struct{}
	doneOnce  sync.Once
	quit      chan struct{}
	closeOnce sync.Once
	logMu     sync.Mutex
	// drops says why messages from workers were dropped.
	drops dropLog
	// statsHeld is the workers' held, together.
	statsHeld int
}

// maxStatsHeld bounds the statistics a master keeps of all its workers
// (their latest shipments' JSON and their history points), and pointCost
// is what a history point counts towards it.
const (
	maxStatsHeld = 1 << 30
	pointCost    = 256
)

// holdLocked records that w's statistics now count n bytes.
func (m *Master) holdLocked(w *worker, n int) {
	m.statsHeld += n - w.held
	w.held = n
}

// NewMaster starts serving joins, leases, iterations, rendezvous and
// statistics on cfg.Conn. Nothing runs until Start.
func NewMaster(cfg MasterConfig) (*Master, error) {
	if cfg.Bundle == nil {
		return nil, errors.New("cluster: a master needs a bundle to ship")
	}
	wire, err := cfg.Bundle.encode()
	if err != nil {
		return nil, err
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	m := &Master{
		cfg:     cfg,
		run:     hex.EncodeToString(id),
		wire:    wire,
		workers: map[string]*worker{},
		users:   cfg.Users,
		rate:    cfg.Rate,
		joined:  make(chan struct{}, 1),
		halt:    make(chan struct{}),
		done:    make(chan struct{}),
		quit:    make(chan struct{}),
	}
	m.subj = newSubjects(m.run)
	m.leases, err = newLeaseServer(cfg.Conn, m.subj, cfg.Pools)
	if err != nil {
		return nil, err
	}
	m.budget = newBudgetServer(cfg.Iterations, func() { m.Stop(fmt.Sprintf("%d iterations done", cfg.Iterations)) })
	m.rdv = newRendezvousServer(cfg.Conn, m.subj, m.logf)
	m.leases.limit, m.rdv.limit = m.waitLimit, m.waitLimit
	nc := cfg.Conn
	// Statistics over the server's max payload come in parts.
	statsIn := newAssembler(func(b []byte) { m.onStats(&nats.Msg{Data: b}) }, m.logf)
	for subject, handler := range map[string]nats.MsgHandler{
		joinSubject:         m.onJoin,
		m.subj.bundle():     m.onBundle,
		m.subj.ready():      m.onReady,
		m.subj.beat():       m.onBeat,
		m.subj.stats():      statsIn.onMsg,
		m.subj.lease():      m.leases.onRequest,
		m.subj.iterations(): m.onIterations,
		m.subj.arrive():     m.rdv.onArrival,
		m.subj.population(): m.onPopulation,
	} {
		sub, err := nc.Subscribe(subject, handler)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("subscribing to %s: %w", subject, err)
		}
		m.subs = append(m.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		m.Close()
		return nil, err
	}
	go m.heartbeat()
	return m, nil
}

// Run is the run's id, the middle of its subjects.
func (m *Master) Run() string { return m.run }

func (m *Master) logf(format string, args ...any) {
	if m.cfg.Log == nil {
		return
	}
	m.logMu.Lock()
	defer m.logMu.Unlock()
	fmt.Fprintf(m.cfg.Log, "[%s] %s\n", time.Now().Format("2006-01-02 15:04:05.000"), fmt.Sprintf(format, args...))
}

func (m *Master) publish(subject string, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = m.cfg.Conn.Publish(subject, b)
	}
	if err != nil {
		m.logf("sending to %s: %v", subject, err)
	}
}

func respond(msg *nats.Msg, v any) {
	if b, err := json.Marshal(v); err == nil {
		_ = msg.Respond(b) // a requester that went away needs no answer
	}
}

func (m *Master) onJoin(msg *nats.Msg) {
	var req joinRequest
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		respond(msg, joinReply{Error: "not a loadrun join request"})
		return
	}
	// The host is the worker's word: shown in the log and the workers
	// table, so never a terminal escape nor a megabyte.
	req.Host = peerText(req.Host)
	refuse := func(why string) {
		m.logf("refused worker %s from %s: %s", peerText(strconv.Quote(req.Name)), req.Host, why)
		respond(msg, joinReply{Error: why})
	}
	switch {
	case req.Protocol != Protocol || req.Version != m.cfg.Version:
		refuse(fmt.Sprintf("the worker runs loadrun %s (protocol %d) but the master runs loadrun %s (protocol %d): run the same loadrun build on every machine",
			peerText(req.Version), req.Protocol, m.cfg.Version, Protocol))
		return
	case m.cfg.Token != "" && req.Token != m.cfg.Token:
		refuse("wrong or missing --token")
		return
	}
	m.mu.Lock()
	if m.stopping {
		later := m.cfg.Stay && !m.dismissed
		m.mu.Unlock()
		if later {
			// Its next test is about to take joins.
			respond(msg, joinReply{Later: true})
			return
		}
		refuse("the run is ending")
		return
	}
	if !m.started.IsZero() && m.cfg.Shape.open() {
		m.mu.Unlock()
		refuse(lateForArrivals)
		return
	}
	if len(m.workers) >= MaxWorkers {
		m.mu.Unlock()
		refuse(fmt.Sprintf("the run has %d workers, as many as a master takes", MaxWorkers))
		return
	}
	base := subjectToken(req.Name)
	name := base
	for i := 2; m.workers[name] != nil; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	m.joinedSeq++
	w := &worker{
		info: WorkerInfo{Name: name, Host: req.Host, State: StateJoined, Joined: time.Now()},
		seq:  m.joinedSeq, lastSeen: time.Now(),
	}
	m.workers[name] = w
	m.order = append(m.order, name)
	m.mu.Unlock()
	respond(msg, joinReply{Run: m.run, Worker: name, BundleSize: len(m.wire)})
	m.logf("worker %s joined from %s (%d CPUs)", name, req.Host, req.CPUs)
}

// waitLimit is how many of the worker's requests may wait at the master
// (for a unique-recycle row, in a rendezvous group), and whether it is a
// worker of this run that is not lost. Each waiting request is one user
// waiting, so they cannot be more than the most users it was given (and
// waitSlack, for users that arrive while an assignment is on its way).
func (m *Master) waitLimit(worker string) (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.workers[worker]
	if w == nil || w.info.State == StateLost {
		return 0, false
	}
	return max(w.peak, w.maxUsers) + waitSlack, true
}

// waitSlack is how many more waits than users a worker may have at the
// master (see waitLimit).
const waitSlack = 1024

// waitsOf is limit(worker) (a Master's waitLimit), or no bound when limit
// is nil (a lease or rendezvous server outside a master, in tests).
func waitsOf(limit func(string) (int, bool), worker string) (int, bool) {
	if limit == nil {
		return math.MaxInt, true
	}
	return limit(worker)
}

// unwait counts one of worker's waits in waits as over.
func unwait(waits map[string]int, worker string) {
	if waits[worker]--; waits[worker] <= 0 {
		delete(waits, worker)
	}
}

// MaxWorkers bounds the workers that join one test (lost ones count):
// each costs the master its statistics, so a peer joining in a loop
// cannot grow the master without bound.
const MaxWorkers = 10_000

// maxName bounds a worker's name in the run.
const maxName = 64

// subjectToken is a worker's --name as it can go in a NATS subject (the
// worker's own subjects end with it): letters, digits, '-' and '_' are
// kept, anything else (a space, a dot, a wildcard) becomes '_'; at most
// maxName bytes, and never empty.
func subjectToken(name string) string {
	b := []byte(name)
	if len(b) > maxName {
		b = b[:maxName]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "worker"
	}
	return string(b)
}

func (m *Master) onReady(msg *nats.Msg) {
	var r readyMsg
	if json.Unmarshal(msg.Data, &r) != nil {
		return
	}
	m.mu.Lock()
	w := m.workers[r.Worker]
	if w == nil || w.info.State == StateLost || w.ready {
		m.mu.Unlock()
		respond(msg, struct{}{})
		return
	}
	running := !m.started.IsZero()
	if running && m.cfg.Shape.open() {
		// It joined before the start but was not ready for the deal of
		// the arrivals: it has no part in this run.
		delete(m.workers, r.Worker)
		m.order = slices.DeleteFunc(m.order, func(n string) bool { return n == r.Worker })
		m.mu.Unlock()
		respond(msg, struct{}{})
		m.logf("worker %s was not ready when the arrivals were dealt: sent away", r.Worker)
		m.publish(m.subj.control(r.Worker), control{Op: opGone, Reason: lateForArrivals})
		return
	}
	w.ready = true
	w.lastSeen = time.Now()
	n := m.liveLocked()
	m.mu.Unlock()
	respond(msg, struct{}{})
	m.logf("worker %s is ready; %d worker(s) ready", r.Worker, n)
	select {
	case m.joined <- struct{}{}:
	default:
	}
	if running {
		m.rebalance("worker " + r.Worker + " joined")
	}
}

func (m *Master) onBundle(msg *nats.Msg) {
	var c bundleChunk
	if err := json.Unmarshal(msg.Data, &c); err != nil || c.Offset < 0 || c.Offset > len(m.wire) || c.Max <= 0 {
		_ = msg.Respond(nil)
		return
	}
	_ = msg.Respond(m.wire[c.Offset:min(len(m.wire), c.Offset+c.Max)])
}

// lateForArrivals is why a worker cannot join an open-model run that started.
const lateForArrivals = "this run's arrivals were dealt to the workers ready at its start (an arrival rate is followed from the start); join the next run"

// liveLocked counts workers that are ready and neither lost nor ended.
func (m *Master) liveLocked() int {
	n := 0
	for _, w := range m.workers {
		if w.ready && w.info.State != StateLost && !w.ended {
			n++
		}
	}
	return n
}

// Workers is the workers table now, in join order.
func (m *Master) Workers() []WorkerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]WorkerInfo, 0, len(m.order))
	for _, name := range m.order {
		w := m.workers[name]
		info := w.info
		info.LastSeen = w.lastSeen
		out = append(out, info)
	}
	return out
}

// WaitWorkers blocks until n workers have joined and are ready (and not
// lost), or ctx is done.
func (m *Master) WaitWorkers(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		have := m.liveLocked()
		m.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-m.joined:
		case <-time.After(time.Second):
		case <-ctx.Done():
			return fmt.Errorf("%d of %d workers joined: %w", have, n, ctx.Err())
		}
	}
}
