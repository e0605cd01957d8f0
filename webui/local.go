package webui

import (
	"fmt"
	"sync"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/session"
	"github.com/loadrun/loadrun/stats"
)

// Local is the Controller of a run on this machine: it drives a
// session.Session. The session compiled for the command line's host and
// run time runs every test the form starts with those; a test started with
// another host or run time gets a session compiled for them.
type Local struct {
	sc    *scenario.Scenario
	cfg   session.Config
	onEnd func(*session.Result)

	// startMu makes Start calls one at a time; mu guards the fields below.
	startMu sync.Mutex
	mu      sync.Mutex
	sess    *session.Session
	base    *session.Session // compiled for cfg as given
	params  Params
	started time.Time
	ended   time.Time
	pools   []*countedPool // the current run's
	// basePools are the pools base compiled with, which its first run uses.
	basePools []*countedPool

	// opening collects the pools opened while a run is being made.
	openMu  sync.Mutex
	opening *[]*countedPool
}

// NewLocal compiles sc with cfg (its error, for a bad scenario, is a
// scenario.ErrorList) and returns a controller with no run started.
// onEnd, when not nil, is called with the outcome of each run that ends,
// on a goroutine of its own (the CLI writes the report files there).
func NewLocal(sc *scenario.Scenario, cfg session.Config, onEnd func(*session.Result)) (*Local, error) {
	l := &Local{sc: sc, cfg: cfg, onEnd: onEnd}
	opener := cfg.Compile.OpenPool
	if opener == nil {
		opener = datasource.Open
	}
	// Every pool a session opens is counted for the "Data pools" tab.
	l.cfg.Compile.OpenPool = func(def *scenario.Pool, dir string) (datasource.Pool, error) {
		p, err := opener(def, dir)
		if err != nil {
			return nil, err
		}
		c := &countedPool{Pool: p}
		l.openMu.Lock()
		if l.opening != nil {
			*l.opening = append(*l.opening, c)
		}
		l.openMu.Unlock()
		return c, nil
	}
	var opened []*countedPool
	l.collect(&opened)
	sess, err := session.New(sc, l.cfg)
	l.collect(nil)
	if err != nil {
		return nil, err
	}
	l.sess, l.base, l.pools, l.basePools = sess, sess, opened, opened
	l.params = Params{Host: sess.Plan().Host(), RunTime: cfg.Engine.RunTime}
	return l, nil
}

// Session is the session of the current (or last) run.
func (l *Local) Session() *session.Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sess
}

// Status is where the current run is.
func (l *Local) Status() Status {
	l.mu.Lock()
	sess, p, start, end := l.sess, l.params, l.started, l.ended
	l.mu.Unlock()
	running, target := sess.Users()
	state := sess.State()
	if state == engine.Stopped && end.IsZero() {
		// The run's end is noted once its result is made, right after.
		end = sess.Result().Run.End
	}
	return Status{State: state.String(), Users: running, TargetUsers: target, SpawnRate: p.SpawnRate,
		Host: sess.Plan().Host(), RunTime: p.RunTime, Reason: sess.Reason(), Start: start, End: end}
}

// collect makes the pool opener add the pools it opens to into (nil: to
// nothing).
func (l *Local) collect(into *[]*countedPool) {
	l.openMu.Lock()
	l.opening = into
	l.openMu.Unlock()
}

// Start begins a run with p.
func (l *Local) Start(p Params) error {
	if err := session.CheckRate(p.SpawnRate); err != nil {
		return err
	}
	l.startMu.Lock()
	defer l.startMu.Unlock()
	if st := l.Session().State(); st != engine.Ready && st != engine.Stopped {
		return fmt.Errorf("start: %w", ErrBusy)
	}
	if p.Host == "" {
		p.Host = l.base.Plan().Host()
	}
	// A new session opens its pools as it compiles; a later run of a
	// session opens them again as it starts; the first run of the base
	// session uses those it compiled with.
	var opened []*countedPool
	l.collect(&opened)
	defer l.collect(nil)
	sess := l.base
	if p.Host != l.base.Plan().Host() || p.RunTime != l.cfg.Engine.RunTime {
		cfg := l.cfg
		cfg.Compile.Host = p.Host
		cfg.Engine.RunTime = p.RunTime
		s, err := session.New(l.sc, cfg)
		if err != nil {
			return err
		}
		sess = s
	}
	if err := sess.Start(p.Users, p.SpawnRate); err != nil {
		return err
	}
	if sess == l.base && len(opened) == 0 {
		opened = l.basePools
	}
	l.mu.Lock()
	l.sess, l.params, l.pools = sess, p, opened
	l.started, l.ended = time.Now(), time.Time{}
	l.mu.Unlock()
	go l.await(sess, sess.Done())
	return nil
}

// await waits for a run to end, notes the time and hands its outcome on.
func (l *Local) await(sess *session.Session, done <-chan struct{}) {
	<-done
	res := sess.Result()
	l.mu.Lock()
	if l.sess == sess {
		l.ended = res.Run.End
	}
	l.mu.Unlock()
	if l.onEnd != nil {
		l.onEnd(res)
	}
}

// SetUsers changes the users of the running test.
func (l *Local) SetUsers(users int, rate float64) error {
	if err := session.CheckRate(rate); err != nil {
		return err
	}
	l.mu.Lock()
	sess := l.sess
	l.mu.Unlock()
	if st := sess.State(); st != engine.Spawning && st != engine.Running {
		return fmt.Errorf("change users: %w", ErrNotRunning)
	}
	if err := sess.SetUsers(users, rate); err != nil {
		return fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	l.mu.Lock()
	l.params.SpawnRate = rate
	l.mu.Unlock()
	return nil
}

// Stop ends the running test gracefully.
func (l *Local) Stop() { l.Session().Stop() }

// Kill ends the running test at once.
func (l *Local) Kill() { l.Session().Kill() }

// Reset starts the running test's statistics afresh.
func (l *Local) Reset() error {
	sess := l.Session()
	if st := sess.State(); st != engine.Spawning && st != engine.Running {
		return fmt.Errorf("reset stats: %w", ErrNotRunning)
	}
	sess.ResetStats()
	return nil
}

// Report is the latest statistics; once a run ended, its final result
// with the verdict, as the report files have it.
func (l *Local) Report() (reports.Run, *stats.Snapshot) {
	l.mu.Lock()
	sess, p, start := l.sess, l.params, l.started
	l.mu.Unlock()
	switch sess.State() {
	case engine.Ready:
		return reports.Run{Scenario: l.sc.Name, File: l.cfg.File, Host: sess.Plan().Host(), Version: l.cfg.Version}, nil
	case engine.Stopped:
		res := sess.Result()
		return res.Run, res.Snapshot
	}
	snap := sess.Snapshot()
	users, _ := sess.Users()
	return reports.Run{
		Scenario: l.sc.Name, File: l.cfg.File, Host: sess.Plan().Host(),
		Users: max(p.Users, users), SpawnRate: p.SpawnRate, RunTime: p.RunTime, Iterations: l.cfg.Engine.Iterations,
		Start: start, Thresholds: sess.Thresholds(snap), Warnings: sess.Warnings(snap), Version: l.cfg.Version,
	}, snap
}

// Pools are the current run's data pools.
func (l *Local) Pools() []PoolStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]PoolStatus, 0, len(l.pools))
	for _, p := range l.pools {
		out = append(out, p.status())
	}
	return out
}
