// Package session owns a load test run from a compiled plan to its verdict:
// start (users, spawn rate), change users, stop or kill, reset statistics,
// the run's state and its latest per-tick snapshot, thresholds (aborting
// ones too), warnings, the verdict and exit code, and the report set. The
// CLI, the web UI and a distributed master drive runs through it, so none
// of them decides on its own what a run's outcome is.
//
// A Session holds one compiled scenario and runs it as many times as asked:
// Start on a session whose run has stopped begins a new run with fresh
// statistics and fresh data pools, without compiling again.
package session

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// Config is how a session compiles and runs its scenario.
type Config struct {
	// Compile adjusts compilation (host override, extra thresholds, pool opener).
	Compile engine.CompileOptions
	// Engine controls each run (run time, iterations, timeouts, TLS, seed).
	// Its OnTick is the session's own; one set here is called after it.
	Engine engine.Options
	// File is the scenario's path, shown in reports.
	File string
	// Version is loadrun's version, shown in reports.
	Version string
}

// Session runs one compiled scenario. Its methods are safe for concurrent
// use (a web UI's handlers and the CLI's loop may share one).
type Session struct {
	plan *engine.Plan
	cfg  Config

	mu  sync.Mutex
	run *run // the current or last run; nil before the first Start
}

// run is one run of the plan.
type run struct {
	runner *engine.Runner
	users  int
	rate   float64
	// load describes the shape a StartShape run follows ("" for Start);
	// runTime is its length when no run time was set.
	load      string
	runTime   time.Duration
	latest    atomic.Pointer[stats.Snapshot]
	abortsMu  sync.Mutex
	aborted   []int // indexes in plan.Thresholds() of the rules that ended the run
	final     *Result
	finalOnce sync.Once
}

// Load loads and compiles the scenario file at path in one pass
// (engine.LoadPlan). Its error, for a bad scenario, is a
// scenario.ErrorList with every problem of every layer and its position.
func Load(path string, cfg Config) (*Session, error) {
	plan, err := engine.LoadPlan(path, cfg.Compile)
	if err != nil {
		return nil, err
	}
	if cfg.File == "" {
		cfg.File = path
	}
	return &Session{plan: plan, cfg: cfg}, nil
}

// New compiles sc. Its error is a scenario.ErrorList with every problem.
func New(sc *scenario.Scenario, cfg Config) (*Session, error) {
	plan, err := engine.Compile(sc, cfg.Compile)
	if err != nil {
		return nil, err
	}
	return &Session{plan: plan, cfg: cfg}, nil
}

// Plan is the compiled scenario.
func (s *Session) Plan() *engine.Plan { return s.plan }

// Start begins a run: users spawned at rate per second (0: all at once).
// On a session whose previous run has stopped, it begins a new run from
// the same plan, with fresh statistics and fresh pools.
func (s *Session) Start(users int, rate float64) error {
	return s.start(users, rate, nil)
}

// StartSplit is Start with exactly perType[i] users of user type i (in
// scenario order) instead of the split by weight: a distributed master
// computes the split across its workers.
func (s *Session) StartSplit(perType []int, rate float64) error {
	total := 0
	for _, n := range perType {
		total += n
	}
	return s.start(total, rate, perType)
}

func (s *Session) start(users int, rate float64, perType []int) error {
	if err := CheckRate(rate); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != nil && s.run.runner.State() != engine.Stopped {
		return errors.New("a run is already going: stop it first")
	}
	r := &run{users: users, rate: rate}
	r.runner = s.newRunner(r)
	var err error
	if perType != nil {
		err = r.runner.StartSplit(perType, rate)
	} else {
		err = r.runner.Start(users, rate)
	}
	if err != nil {
		return err
	}
	s.run = r
	return nil
}

// newRunner makes the engine runner of run r, with the session's tick.
func (s *Session) newRunner(r *run) *engine.Runner {
	opts := s.cfg.Engine
	user := opts.OnTick
	opts.OnTick = func(now time.Time) {
		s.tick(r, now)
		if user != nil {
			user(now)
		}
	}
	return engine.NewRunner(s.plan, opts)
}

// StartShape begins a run that follows a load shape (stages of users, or
// the open model's arrivals) instead of a fixed number of users; desc
// describes it for reports. Like Start, it may begin a new run of a
// session whose previous run has stopped.
func (s *Session) StartShape(sh *engine.Shape, desc string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != nil && s.run.runner.State() != engine.Stopped {
		return errors.New("a run is already going: stop it first")
	}
	r := &run{users: sh.Peak(), load: desc}
	if d := sh.Schedule.Duration(); s.cfg.Engine.RunTime <= 0 && d != schedule.Forever {
		r.runTime = d
	}
	r.runner = s.newRunner(r)
	if err := r.runner.StartShape(sh); err != nil {
		return err
	}
	s.run = r
	return nil
}

// Shape is where the current run is in its load shape; false when it
// follows none.
func (s *Session) Shape() (engine.ShapeStatus, bool) {
	if r := s.current(); r != nil {
		return r.runner.Shape()
	}
	return engine.ShapeStatus{}, false
}

// CheckRate refuses spawn rates that cannot be scheduled: NaN, infinite,
// negative, or so small that the time between two users overflows.
func CheckRate(rate float64) error {
	switch {
	case rate != rate, rate > maxRate:
		return fmt.Errorf("spawn rate %v is not a number of users per second", rate)
	case rate < 0:
		return fmt.Errorf("spawn rate %v is negative", rate)
	case rate > 0 && rate < MinRate:
		return fmt.Errorf("spawn rate %v is too small: at least %v users per second (one a day), or 0 for all at once", rate, MinRate)
	}
	return nil
}

// MinRate is the smallest spawn rate other than 0: one user a day.
const MinRate = 1.0 / 86400

// maxRate is above any real rate; beyond it (+Inf) a rate is no number.
const maxRate = 1e300

// current is the current or last run, nil before the first Start.
func (s *Session) current() *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run
}

var errNoRun = errors.New("no run has started")

// SetUsers changes the number of users of the running run; new users are
// spawned at rate per second, surplus users stop after their task.
func (s *Session) SetUsers(users int, rate float64) error {
	if err := CheckRate(rate); err != nil {
		return err
	}
	r := s.current()
	if r == nil {
		return errNoRun
	}
	if err := r.runner.SetUsers(users, rate); err != nil {
		return err
	}
	s.mu.Lock()
	r.users = max(r.users, users)
	r.rate = rate
	s.mu.Unlock()
	return nil
}

// Stop ends the run gracefully: no new iterations start, users finish the
// task they are in until the stop timeout, then run on_stop.
func (s *Session) Stop() {
	if r := s.current(); r != nil {
		r.runner.Stop()
	}
}

// End ends the run gracefully, as Stop does, with reason as the reason it
// ended.
func (s *Session) End(reason string) {
	if r := s.current(); r != nil {
		r.runner.End(reason)
	}
}

// Kill ends the run at once: requests in flight are cut (and counted as
// such), on_stop does not run.
func (s *Session) Kill() {
	if r := s.current(); r != nil {
		r.runner.Kill()
	}
}

// ResetStats starts the current run's statistics afresh; the run goes on.
func (s *Session) ResetStats() {
	if r := s.current(); r != nil {
		r.runner.ResetStats()
		r.latest.Store(nil)
	}
}

// State is where the current run is (Ready before the first Start).
func (s *Session) State() engine.State {
	if r := s.current(); r != nil {
		return r.runner.State()
	}
	return engine.Ready
}

// Users is the number of users running now and the number asked for.
func (s *Session) Users() (running, target int) {
	if r := s.current(); r != nil {
		return r.runner.Users()
	}
	return 0, 0
}

// Reason says why the current run ended (or is ending); "" while it runs.
func (s *Session) Reason() string {
	if r := s.current(); r != nil {
		return r.runner.Reason()
	}
	return ""
}

// closedChan is what Done returns before any run: nothing to wait for.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Done is closed when the current run has stopped and every user exited.
// Before the first Start it is closed already.
func (s *Session) Done() <-chan struct{} {
	if r := s.current(); r != nil {
		return r.runner.Done()
	}
	return closedChan
}

// Snapshot is the statistics of the current run as of its last tick (once
// a second), shared by every reader; before the first tick, the empty
// statistics of the start; after the run stopped, its final statistics. nil before any run.
func (s *Session) Snapshot() *stats.Snapshot {
	r := s.current()
	if r == nil {
		return nil
	}
	if r.runner.State() == engine.Stopped {
		return r.runner.Snapshot()
	}
	if snap := r.latest.Load(); snap != nil {
		return snap
	}
	return r.runner.Snapshot()
}

// tick takes the run's per-tick snapshot and applies aborting thresholds.
// It runs on the engine's clock goroutine, once a second.
func (s *Session) tick(r *run, now time.Time) {
	snap := r.runner.Snapshot()
	r.latest.Store(snap)
	start, _ := r.runner.Times()
	for i, t := range s.plan.Thresholds() {
		if !t.Abort || now.Sub(start) < t.Grace || !t.CanNeverPass(snap) {
			continue
		}
		r.abortsMu.Lock()
		r.aborted = append(r.aborted, i)
		r.abortsMu.Unlock()
		name := t.Rule
		if t.Request != "" {
			name = t.Request + ": " + name
		}
		r.runner.End(fmt.Sprintf("threshold %q failed (abort)", name))
		return
	}
}

// Thresholds evaluates the plan's thresholds on a snapshot of the current
// run, marking the rule that ended the run early, if any.
func (s *Session) Thresholds(snap *stats.Snapshot) []thresholds.Result {
	return s.thresholds(s.current(), snap)
}

func (s *Session) thresholds(r *run, snap *stats.Snapshot) []thresholds.Result {
	var aborted []int
	if r != nil {
		r.abortsMu.Lock()
		aborted = append(aborted, r.aborted...)
		r.abortsMu.Unlock()
	}
	out := make([]thresholds.Result, 0, len(s.plan.Thresholds()))
	for i, t := range s.plan.Thresholds() {
		res := t.Eval(snap)
		// By index, not by rule text: the same rule over another request
		// did not end the run.
		res.Aborted = slices.Contains(aborted, i)
		out = append(out, res)
	}
	return out
}

// Warnings are what a reader must know to trust a snapshot's numbers that
// only the run can tell (stalls, held-back paced iterations); the
// saturation warning comes with the snapshot itself (reports.Warnings).
func (s *Session) Warnings(snap *stats.Snapshot) []string {
	r := s.current()
	if r == nil {
		return nil
	}
	return r.runner.Warnings(snap)
}

// Result is a finished run: what was run, its final statistics and verdict.
type Result struct {
	// Run is what every report shows at its top, with the verdict.
	Run reports.Run
	// Snapshot is the final statistics, taken after every user stopped.
	Snapshot *stats.Snapshot
	// LastTick is the snapshot of the tick at the run's end, with that
	// last interval (Snapshot has none): the full history's last rows.
	LastTick *stats.Snapshot
}

// Result waits for the current run to end and returns its outcome, the
// same every time it is asked. nil before any run.
func (s *Session) Result() *Result {
	r := s.current()
	if r == nil {
		return nil
	}
	<-r.runner.Done()
	r.finalOnce.Do(func() {
		snap := r.runner.Snapshot()
		results := s.thresholds(r, snap)
		start, end := r.runner.Times()
		s.mu.Lock()
		users, rate := r.users, r.rate
		s.mu.Unlock()
		run := reports.Run{
			Scenario:   s.plan.Scenario.Name,
			File:       s.cfg.File,
			Host:       s.plan.Host(),
			Users:      users,
			SpawnRate:  rate,
			RunTime:    cmp.Or(r.runTime, s.cfg.Engine.RunTime),
			Iterations: s.cfg.Engine.Iterations,
			Load:       r.load,
			Start:      start,
			End:        end,
			Thresholds: results,
			Warnings:   r.runner.Warnings(snap),
			Version:    s.cfg.Version,
		}
		run.Verdict = Judge(Outcome{Snapshot: snap, Thresholds: results, Answered: r.runner.Answered(), Users: users})
		r.final = &Result{Run: run, Snapshot: snap, LastTick: r.runner.LastTick()}
	})
	return r.final
}
