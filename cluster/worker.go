package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// Run is the engine run a worker drives; the command builds it from the
// shipped scenario with the worker's Hooks.
type Run interface {
	// Start spawns counts[t] users of each type t at rate per second.
	Start(counts []int, rate float64) error
	// StartArrivals starts the worker's part of an open-model run.
	StartArrivals(a Arrivals) error
	// SetUsers changes the users of each type mid-run.
	SetUsers(counts []int, rate float64) error
	Stop()
	Kill()
	// ResetStats starts the statistics afresh (the master's Reset stats).
	ResetStats()
	Done() <-chan struct{}
	// Snapshot is the worker's cumulative statistics.
	Snapshot() *stats.Snapshot
	// Users is the users running; Alive adds those still to be spawned.
	Users() int
	Alive() int
	Reason() string
	// Answered reports whether any HTTP response came back.
	Answered() bool
}

// Hooks are what a worker's run takes from the cluster instead of its own
// process: rows of unique pools, cluster-wide rendezvous, the iteration
// budget and the numbering of its users.
type Hooks struct {
	// Lender serves the rows of a unique pool of rows rows from the master.
	Lender func(def *scenario.Pool, rows int) datasource.Lender
	// Barrier is the cluster-wide rendezvous for def.
	Barrier func(def *scenario.Rendezvous) rendezvous.Barrier
	// Budget is the cluster's -n, nil when the run has none.
	Budget *Budget
	// UserIDBase is added to every user number of this worker.
	UserIDBase int
	// Seed, when not 0, is the run's seed, chosen by the master: in an
	// open-model run every worker walks the same arrivals.
	Seed uint64
}

// WorkerConfig is what a worker needs.
type WorkerConfig struct {
	Conn    *nats.Conn
	Name    string
	Version string
	Token   string
	// Dir is an empty folder the shipped files are written to.
	Dir string
	// NewRun builds the run of the shipped scenario with the master's run
	// flags (Bundle.Args).
	NewRun func(sc *scenario.Scenario, hooks Hooks, args []string) (Run, error)
	// Log receives what the worker does; nil discards it.
	Log io.Writer
	// JoinWithin, when not 0, is how long RunWorker waits for a master to
	// answer its join before it returns ErrNoMaster (a worker waiting for
	// a master's next test, which quit meanwhile). 0 waits until ctx ends.
	JoinWithin time.Duration
}

// ErrRefused wraps the master's reason for refusing a worker.
var ErrRefused = errors.New("the master refused this worker")

// ErrNextTest is returned when the run ended and the master asked the
// worker to stay for its next test: the caller joins again.
var ErrNextTest = errors.New("the test ended; the master runs another")

// ErrNoMaster is returned when no master answered a join within
// WorkerConfig.JoinWithin.
var ErrNoMaster = errors.New("no master answered")

// ErrOrphaned is returned when the master fell silent: the worker stopped
// its users rather than load the target with nobody in charge.
var ErrOrphaned = errors.New("the master was silent; users stopped")

// Worker runs its share of a master's test.
type Worker struct {
	cfg    WorkerConfig
	subj   subjects
	name   string
	budget *Budget
	leases *caller
	rdv    *barrierClient

	ctl        chan control
	lastMaster time.Time
	mu         sync.Mutex
	statSeq    int64
	sentUntil  time.Time
	asked      bool  // the master asked the run to stop
	stay       bool  // and to join its next test after this one
	gen        int64 // the last assignment applied
	run        Run   // set once the first assignment made it
	lastAlive  int   // the population last sent
	// deals are the open model's arrivals dealt to this worker; arrivals
	// says it runs its part of an open-model run.
	deals    deals
	arrivals bool
	// resets is the master's reset the statistics count from.
	resets int64
	logMu  sync.Mutex
}

func (w *Worker) logf(format string, args ...any) {
	if w.cfg.Log == nil {
		return
	}
	w.logMu.Lock()
	defer w.logMu.Unlock()
	fmt.Fprintf(w.cfg.Log, "[%s] %s\n", time.Now().Format("2006-01-02 15:04:05.000"), fmt.Sprintf(format, args...))
}

// RunWorker joins the master reachable over cfg.Conn, runs its share of
// the test until the master ends it, and ships the final statistics. It
// returns nil when the run ended normally; ErrRefused (wrapped) when the
// master would not have it; ErrOrphaned when the master fell silent.
func RunWorker(ctx context.Context, cfg WorkerConfig) error {
	w := &Worker{cfg: cfg, ctl: make(chan control, 16)}
	host, _ := os.Hostname()
	req, _ := json.Marshal(joinRequest{Protocol: Protocol, Version: cfg.Version, Name: cfg.Name, Token: cfg.Token, Host: host, CPUs: runtime.NumCPU()})
	var reply joinReply
	// silentSince is when the joins began to find no master at all (a
	// timeout or "later" means a master is there).
	silentSince := time.Now()
	for {
		msg, err := cfg.Conn.Request(joinSubject, req, 5*time.Second)
		if err == nil {
			reply = joinReply{}
			if err := json.Unmarshal(msg.Data, &reply); err != nil {
				return fmt.Errorf("the master's answer to joining: %w", err)
			}
			if !reply.Later {
				break
			}
			silentSince = time.Now()
			w.logf("the master's test is ending; joining its next test")
		} else if errors.Is(err, nats.ErrTimeout) && cfg.Conn.IsConnected() {
			// A master that was busy, or whose subscription was just going.
			silentSince = time.Now()
			w.logf("no answer from the master yet")
		} else if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("joining: %w", err)
		} else {
			// No master yet: the worker may well have been started first.
			if cfg.JoinWithin > 0 && time.Since(silentSince) >= cfg.JoinWithin {
				return fmt.Errorf("%w for %s", ErrNoMaster, cfg.JoinWithin)
			}
			w.logf("waiting for a master on %s", cfg.Conn.ConnectedUrlRedacted())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if reply.Error != "" {
		return fmt.Errorf("%w: %s", ErrRefused, peerText(reply.Error))
	}
	if subjectToken(reply.Run) != reply.Run || subjectToken(reply.Worker) != reply.Worker {
		// They end this worker's NATS subjects.
		return fmt.Errorf("the master's answer to joining names run %q and worker %q: not NATS subject tokens", reply.Run, reply.Worker)
	}
	w.name, w.subj = reply.Worker, newSubjects(reply.Run)
	w.logf("joined run %s as %s", reply.Run, w.name)
	bundle, err := w.fetchBundle(reply.BundleSize)
	if err != nil {
		return err
	}
	sc, err := bundle.Load(cfg.Dir)
	if err != nil {
		return fmt.Errorf("loading the shipped scenario: %w", err)
	}
	w.logf("received %s and %d data file(s)", bundle.Name, len(bundle.Data))
	return w.serve(ctx, sc, bundle.Args)
}

// maxBundleWire bounds the encoded bundle a worker fetches: MaxBundle of
// files, and room for the names and flags around them.
const maxBundleWire = MaxBundle + 16<<20

func (w *Worker) fetchBundle(size int) (*Bundle, error) {
	if size <= 0 || size > maxBundleWire {
		return nil, fmt.Errorf("the master announced a scenario of %d bytes: want 1 to %d MiB", size, maxBundleWire>>20)
	}
	chunk := int(w.cfg.Conn.MaxPayload()) - 4096
	if chunk <= 0 {
		chunk = 1 << 16
	}
	data := make([]byte, 0, size)
	for len(data) < size {
		req, _ := json.Marshal(bundleChunk{Offset: len(data), Max: chunk})
		msg, err := w.cfg.Conn.Request(w.subj.bundle(), req, 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("fetching the scenario from the master: %w", err)
		}
		if len(msg.Data) == 0 {
			return nil, errors.New("fetching the scenario from the master: it sent an empty part")
		}
		if len(data)+len(msg.Data) > size {
			return nil, fmt.Errorf("fetching the scenario from the master: it sent more than the %d bytes it announced", size)
		}
		data = append(data, msg.Data...)
	}
	return decodeBundle(data)
}

func (w *Worker) serve(ctx context.Context, sc *scenario.Scenario, args []string) error {
	nc := w.cfg.Conn
	w.leases = &caller{nc: nc, subj: w.subj, worker: w.name, pending: map[uint64]chan leaseReply{}}
	w.rdv = &barrierClient{nc: nc, subj: w.subj, worker: w.name, waiting: map[uint64]*waiter{}, population: w.sendPopulation}
	w.budget = &Budget{nc: nc, subj: w.subj, worker: w.name}
	w.lastMaster = time.Now()
	var beats = make(chan struct{}, 1)
	onControl := func(msg *nats.Msg) {
		var c control
		if json.Unmarshal(msg.Data, &c) == nil {
			w.ctl <- c
		}
	}
	for subject, h := range map[string]nats.MsgHandler{
		w.subj.control(w.name): onControl,
		w.subj.broadcast():     onControl,
		w.subj.reply(w.name):   w.leases.onReply,
		w.subj.release():       newAssembler(func(b []byte) { w.rdv.onRelease(&nats.Msg{Data: b}) }, w.logf).onMsg,
		w.subj.masterBeat(): func(*nats.Msg) {
			select {
			case beats <- struct{}{}:
			default:
			}
		},
	} {
		sub, err := nc.Subscribe(subject, h)
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	ready, _ := json.Marshal(readyMsg{Worker: w.name})
	if _, err := nc.Request(w.subj.ready(), ready, 10*time.Second); err != nil {
		return fmt.Errorf("telling the master this worker is ready: %w", err)
	}
	var run Run
	started := false
	tick := time.NewTicker(Heartbeat)
	defer tick.Stop()
	status := time.Now()
	for {
		var done <-chan struct{}
		if run != nil && started {
			done = run.Done()
		}
		select {
		case <-ctx.Done():
			if run != nil && started {
				run.Kill()
				<-run.Done()
				w.ship(run, true)
			}
			return ctx.Err()
		case <-beats:
			w.lastMaster = time.Now()
		case c := <-w.ctl:
			switch c.Op {
			case opAssign:
				if run == nil {
					hooks := Hooks{
						Lender:     func(def *scenario.Pool, rows int) datasource.Lender { return newRemoteLender(w.leases, def, rows) },
						Barrier:    w.rdv.Barrier,
						UserIDBase: c.IDBase,
					}
					if c.Budgeted {
						hooks.Budget = w.budget
					}
					if c.Arrivals != nil {
						hooks.Seed = c.Arrivals.Seed
					}
					r, err := w.cfg.NewRun(sc, hooks, args)
					if err != nil {
						return fmt.Errorf("preparing the run: %w", err)
					}
					run = r
					w.mu.Lock()
					w.run = r
					w.mu.Unlock()
				}
				w.budget.reopen()
				wasStarted := started
				var err error
				switch {
				case c.Arrivals != nil:
					w.deals.add(c.Arrivals.Deal)
					if !started {
						err = w.startArrivals(run, c.Arrivals)
						started = err == nil
					}
				case !started:
					err = run.Start(c.Counts, c.Rate)
					started = err == nil
				default:
					err = run.SetUsers(c.Counts, c.Rate)
				}
				if c.Resets > w.resets && wasStarted {
					run.ResetStats() // a reset this worker missed
				}
				w.mu.Lock()
				w.gen = c.Gen
				w.resets = max(w.resets, c.Resets)
				w.mu.Unlock()
				switch {
				case err != nil:
					w.logf("cannot run the users asked for: %v", err)
				case c.Arrivals != nil:
					w.logf("%s", dealText(c.Arrivals))
				default:
					w.logf("running users %s at %.2f/s", countsText(sc, c.Counts), c.Rate)
				}
			case opReset:
				if run != nil && started && c.Resets > w.resets {
					run.ResetStats()
					w.logf("statistics reset")
				}
				w.mu.Lock()
				w.resets = max(w.resets, c.Resets)
				w.mu.Unlock()
			case opStop, opKill:
				w.mu.Lock()
				w.asked, w.stay = true, c.Stay
				w.mu.Unlock()
				w.rdv.releaseAll()
				if run == nil || !started {
					w.logf("the master ended the run before this worker started: %s", peerText(c.Reason))
					w.sendBeat(nil, true)
					if c.Stay {
						return ErrNextTest
					}
					return nil
				}
				w.logf("the master stops the run: %s", peerText(c.Reason))
				if c.Op == opKill {
					run.Kill()
				} else {
					run.Stop()
				}
			case opGone:
				// Cut off long enough to be lost, and back: its users run
				// elsewhere now, but what they did here counts. The master
				// merges final statistics that come after the loss.
				w.stopAndShip(run, started)
				return fmt.Errorf("%w: %s", ErrRefused, peerText(c.Reason))
			}
		case <-done:
			w.rdv.releaseAll()
			w.ship(run, true)
			w.sendBeat(run, true)
			_ = nc.Flush()
			w.mu.Lock()
			asked, stay := w.asked, w.stay
			w.mu.Unlock()
			if !asked {
				w.logf("the run ended here: %s", run.Reason())
			}
			w.logf("final statistics sent")
			if !asked {
				// The master ends the test for every worker in turn: its
				// stop says whether to stay for its next test.
				stay = w.awaitStop()
			}
			if stay {
				return ErrNextTest
			}
			return nil
		case now := <-tick.C:
			if now.Sub(w.lastMaster) > OrphanAfter {
				// The final statistics go out in case the master is only
				// cut off from here and hears them when the link is back.
				w.stopAndShip(run, started)
				w.logf("no word from the master for %s: users stopped", OrphanAfter)
				return ErrOrphaned
			}
			// The heartbeat first: liveness must not wait on encoding the
			// statistics, which takes a while with hundreds of names.
			w.sendBeat(run, false)
			if started {
				w.ship(run, false)
			}
			if started && now.Sub(status) >= 5*time.Second {
				status = now
				s := run.Snapshot()
				w.logf("users %d, requests %d, failures %d, CPU %.0f%%", run.Users(), s.Total.Requests, s.Total.Failures, s.CPU)
			}
		}
	}
}

// awaitStop waits a while for the master's stop after the worker's run
// ended by itself, and reports whether it asks the worker to stay.
func (w *Worker) awaitStop() bool {
	timeout := time.After(LostAfter)
	for {
		select {
		case c := <-w.ctl:
			if c.Op == opStop || c.Op == opKill {
				return c.Stay
			}
		case <-timeout:
			return false
		}
	}
}

// scheduleFinished is the engine's reason for a run that ended with its
// load shape's schedule.
const scheduleFinished = "schedule finished"

// startArrivals starts the worker's part of an open-model run.
func (w *Worker) startArrivals(run Run, a *wireArrivals) error {
	s, err := a.schedule()
	if err != nil {
		return err
	}
	w.arrivals = true
	return run.StartArrivals(Arrivals{Schedule: s, Process: schedule.Process(a.Process), MaxUsers: a.MaxUsers, Take: w.deals.take})
}

// dealText says what part of the arrivals the worker runs.
func dealText(a *wireArrivals) string {
	d := a.Deal
	s := fmt.Sprintf("running arrival %d and every %d%s after it", d.From+int64(d.Slot), d.Of, ordinal(d.Of))
	if d.From == 0 {
		s += fmt.Sprintf(", at most %d users", a.MaxUsers)
	}
	return s
}

func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return "th"
	case n%10 == 1:
		return "st"
	case n%10 == 2:
		return "nd"
	case n%10 == 3:
		return "rd"
	}
	return "th"
}

// stopAndShip stops the users at once and ships the final statistics,
// waiting a moment for them to leave: a worker the master lost, or that
// lost its master, may be on the wrong side of a partition that heals.
func (w *Worker) stopAndShip(run Run, started bool) {
	if run == nil || !started {
		return
	}
	run.Kill()
	<-run.Done()
	w.ship(run, true)
	_ = w.cfg.Conn.FlushTimeout(time.Second) // a master that is gone hears nothing anyway
}

// sendPopulation tells the master the worker's users alive, when changed.
func (w *Worker) sendPopulation() {
	w.mu.Lock()
	run := w.run
	w.mu.Unlock()
	if run == nil {
		return
	}
	alive := run.Alive()
	w.mu.Lock()
	if alive == w.lastAlive {
		w.mu.Unlock()
		return
	}
	w.lastAlive = alive
	p := population{Worker: w.name, Alive: alive, Gen: w.gen}
	w.mu.Unlock()
	if b, err := json.Marshal(p); err == nil {
		_ = w.cfg.Conn.Publish(w.subj.population(), b)
	}
}

// countsText is "Shopper: 3, Admin: 1".
func countsText(sc *scenario.Scenario, counts []int) string {
	var parts []string
	for i, c := range counts {
		name := fmt.Sprint(i)
		if i < len(sc.Users) {
			name = termsafe.Line(sc.Users[i].Name)
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, c))
	}
	return strings.Join(parts, ", ")
}

// ship sends the cumulative statistics, with only the history points the
// master has not had yet (all of them in the final shipment).
func (w *Worker) ship(run Run, final bool) {
	s := run.Snapshot()
	if s == nil {
		return
	}
	w.mu.Lock()
	w.statSeq++
	seq, resets := w.statSeq, w.resets
	if !final {
		var fresh []stats.Point
		for _, p := range s.History {
			if p.Time.After(w.sentUntil) {
				fresh = append(fresh, p)
			}
		}
		if len(fresh) > 0 {
			w.sentUntil = fresh[len(fresh)-1].Time
		}
		s.History = fresh
	}
	w.mu.Unlock()
	b, err := encodeSnapshot(s)
	if err == nil {
		b, err = json.Marshal(statsMsg{Worker: w.name, Seq: seq, Final: final, Snap: b, Answered: run.Answered(), Resets: resets})
	}
	if err == nil {
		// Over the server's max payload (1 MB by default), in parts.
		err = publishParts(w.cfg.Conn, w.subj.stats(), w.name, seq, b, partSize(w.cfg.Conn))
	}
	if err != nil {
		w.logf("sending statistics: %v", err)
	}
}

func (w *Worker) sendBeat(run Run, ended bool) {
	b := beat{Worker: w.name, State: StateJoined, IterDone: w.budget.Finished()}
	if run != nil {
		b.State = StateRunning
		b.Users, b.Alive = run.Users(), run.Alive()
		if s := run.Snapshot(); s != nil {
			b.CPU = s.CPU
			if s.Total != nil {
				b.Requests, b.Failures = s.Total.Requests, s.Total.Failures
			}
		}
		b.Answered = run.Answered()
	}
	w.mu.Lock()
	asked := w.asked
	b.Gen = w.gen
	w.mu.Unlock()
	if asked {
		b.State = StateStopping
	}
	if ended {
		b.State, b.Ended, b.Users, b.Alive = StateStopped, true, 0, 0
		if run != nil && !asked {
			b.Reason = run.Reason()
			// A part of an open-model run ends with its schedule, as every
			// part does: the master waits for the others' last arrivals.
			b.Global = b.Reason != "all users finished" && !(w.arrivals && b.Reason == scheduleFinished)
		}
	}
	data, err := json.Marshal(b)
	if err == nil {
		err = w.cfg.Conn.Publish(w.subj.beat(), data)
	}
	if err != nil {
		w.logf("sending a heartbeat: %v", err)
	}
}
