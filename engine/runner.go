package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// Options control a run. The zero value is usable: unbounded run time and
// iterations, a 5 s stop timeout and a 60 s request timeout.
type Options struct {
	// RunTime ends the run after this long (0: until stopped).
	RunTime time.Duration
	// Iterations ends the run after this many task iterations (0: unbounded).
	Iterations int64
	// StopTimeout is how long stopping users may finish their current task
	// iteration before they are interrupted: 0 is DefaultStopTimeout, a
	// negative value cuts them at once (--stop-timeout 0).
	StopTimeout time.Duration
	// Timeout is the request timeout for requests that set none.
	Timeout time.Duration
	// BodyCap is how much of each response body is kept (DefaultBodyCap).
	BodyCap int
	// Insecure skips TLS certificate verification (test environments).
	Insecure bool
	// Log receives run messages (and `log` steps when Verbose); nil discards them.
	Log io.Writer
	// Verbose writes `log` steps to Log.
	Verbose bool
	// Tracer, when set, sees every request, extraction, check and log
	// line (debug mode). It costs nothing when nil.
	Tracer Tracer
	// Seed makes task choice and random waits repeatable when not 0.
	Seed uint64
	// Phases times each request's connect, TLS handshake, send, wait (time
	// to first byte) and download into Snapshot.Phases. Off, it costs nothing.
	Phases bool
	// Dial opens every connection of the run's users (nil: TCP). Tests
	// serve users from in-memory listeners through it.
	Dial httpclient.DialFunc
	// Executor, when set, decides when task iterations start and which user
	// runs them instead of the closed model (users looping with waits, spawned
	// at a rate): see Executor. Start's users and rate are handed to it, and
	// SetUsers is refused.
	Executor Executor
	// Barrier, when set, makes the barrier of each rendezvous instead of a
	// local one (a distributed master's barrier spans every worker). A
	// barrier that also has PopulationChanged() and Close() methods is told
	// when users start or stop and when the run ends, as local ones are.
	Barrier BarrierFactory
	// Population, when set, is the count of users that may still reach a
	// barrier (a cluster-wide count) instead of this run's own (Alive).
	Population rendezvous.Population
	// UserIDBase is added to every user's number: users are numbered
	// UserIDBase+1, UserIDBase+2, …, so that `${user_id}` is unique across
	// the workers of a distributed run.
	UserIDBase int
	// Budget, when set, bounds task iterations instead of Iterations: a
	// distributed worker draws them from its master's cluster-wide -n.
	Budget IterationBudget
	// OnTick, when set, is called once a second from the run's clock
	// goroutine, right after the statistics closed that second's interval
	// (the session takes its per-tick snapshot there). It must not block.
	OnTick func(now time.Time)
	// MaxHeaderBytes bounds a response header block (0: 64 KiB); a larger
	// one fails its request.
	MaxHeaderBytes int
	// HTTP2 sends every user type's https requests over HTTP/2 when the
	// server offers it (the scenario's http2 does it per user type).
	HTTP2 bool
	// Proxy carries every request except to the hosts NoProxy names
	// (--proxy); ProxyFromEnvironment uses HTTP_PROXY, HTTPS_PROXY and
	// NO_PROXY instead when Proxy is nil.
	Proxy                *url.URL
	NoProxy              string
	ProxyFromEnvironment bool
	// FullHandshakes turns TLS session resumption off (the scenario's
	// tls: {full_handshakes: true} does too).
	FullHandshakes bool
}

// IterationBudget hands out task iterations: Take reserves one before it
// starts (false: none is left, and the user stops), Done counts one that
// ended. It must be safe for concurrent use by every user of a run.
type IterationBudget interface {
	Take() bool
	Done()
}

// BarrierFactory makes the barrier a run's users meet at for one
// rendezvous definition (one per distinct name).
type BarrierFactory func(def *scenario.Rendezvous) (rendezvous.Barrier, error)

// barrierLifecycle is what a barrier may also do: learn that the
// population changed, and release everyone at the end of the run.
type barrierLifecycle interface {
	PopulationChanged()
	Close()
}

// DefaultStopTimeout is how long stopping users may finish their task
// when Options.StopTimeout is 0.
const DefaultStopTimeout = 5 * time.Second

// State is where a run is.
type State int

// Run states.
const (
	Ready State = iota
	Spawning
	Running
	Stopping
	Stopped
)

// String is the state's name (ready, spawning, …), as the web UI reports it.
func (s State) String() string {
	return [...]string{"ready", "spawning", "running", "stopping", "stopped"}[s]
}

// Runner runs a compiled plan: its executor (the closed model unless
// Options.Executor or an open-model shape names another) decides when
// iterations start and which user runs them; the Runner starts and stops
// the virtual users it asks for, ends the run on time, iterations or
// request, and hands out statistics. The CLI, the web UI and a distributed
// worker all drive a run through it.
type Runner struct {
	plan   *Plan
	opts   Options
	stats  *stats.Stats
	tracer Tracer
	// httpOpts configure every user's HTTP client (engine/httpclient).
	httpOpts httpclient.Options
	pools    []datasource.Pool // this run's, by the index use steps hold
	// poolErr is why this run could not open its pools (Start returns it).
	poolErr error

	ctx    context.Context // cancelled by a hard stop
	cancel context.CancelFunc

	mu     sync.Mutex
	state  State
	users  []*vuser // running users (not asked to stop), in start order
	byKind []int    // running users per user type
	nextID int
	reason string
	// exec decides when iterations start and which user runs them;
	// driver is the run as exec sees it (made by Start).
	exec    Executor
	driver  *Driver
	started time.Time
	ended   time.Time
	shape   *Shape     // the load shape followed (StartShape), nil for Start
	open    *openModel // the open model's executor, nil in the closed model

	// population is what Alive reports: users running and not asked to
	// stop, plus the pending ones. It is ONE atomic, changed in one step
	// per event (see addPopulation), because barriers read it without
	// r.mu: kept as two counters, a user moving from pending to running
	// showed as counted twice (or not at all) in between, and a percent
	// group arriving at that instant needed one user too many.
	population atomic.Int64
	// pending is how many users the executor said it will still start
	// (Driver.expectLocked; under mu).
	pending int
	// onPopulation, when set (by tests), sees every value population
	// takes, in order; it is called with mu held, except from Debug.
	onPopulation func(int64)
	answered     atomic.Bool
	iterTake     atomic.Int64
	iterDone     atomic.Int64

	live     map[int]*vuser       // user goroutines that have not exited
	barriers []rendezvous.Barrier // by the index rendezvous steps hold
	// lifecycle is the barriers that want population changes and the end.
	lifecycle []barrierLifecycle
	// stopping is closed when the run moves to Stopping; stoppedAt is the
	// run's elapsed time then (at most RunTime when that ended it), so an
	// executor knows which of its due arrivals the run owed.
	stopping  chan struct{}
	stoppedAt time.Duration
	// executing is true while the executor's Run has not returned: the
	// run is not done before it has (what it counts at the end, arrivals
	// it owed, belongs in the final statistics).
	executing bool
	done      chan struct{}
	doneOnce  sync.Once
	logMu     sync.Mutex
}

// NewRunner prepares a run of plan. Nothing starts until Start.
func NewRunner(plan *Plan, opts Options) *Runner {
	switch {
	case opts.StopTimeout == 0:
		opts.StopTimeout = DefaultStopTimeout
	case opts.StopTimeout < 0:
		opts.StopTimeout = 0
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.BodyCap <= 0 {
		opts.BodyCap = DefaultBodyCap
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{
		plan:   plan,
		opts:   opts,
		tracer: opts.Tracer,
		ctx:    ctx,
		cancel: cancel,
		byKind: make([]int, len(plan.users)),
		exec:   opts.Executor,
		done:   make(chan struct{}),
		live:   map[int]*vuser{},
	}
	if r.exec == nil {
		r.exec = newClosedModel(len(plan.users), nil)
	}
	r.httpOpts = httpOptions(plan, opts)
	r.httpOpts.HTTP2 = opts.HTTP2
	r.pools, r.poolErr = plan.takePools()
	r.nextID = opts.UserIDBase
	r.stopping = make(chan struct{})
	var pop rendezvous.Population = r
	if opts.Population != nil {
		pop = opts.Population
	}
	factory := opts.Barrier
	if factory == nil {
		local := rendezvous.NewSet(pop, r.reportRendezvous)
		factory = func(def *scenario.Rendezvous) (rendezvous.Barrier, error) { return local.Add(def) }
	}
	for _, def := range plan.barriers {
		b, err := factory(def)
		if err != nil {
			// Compile checked every definition, so only a factory of the
			// caller's fails here; the run refuses to start.
			r.poolErr = errors.Join(r.poolErr, fmt.Errorf("rendezvous %q: %w", def.Name, err))
			continue
		}
		r.barriers = append(r.barriers, b)
		if lc, ok := b.(barrierLifecycle); ok {
			r.lifecycle = append(r.lifecycle, lc)
		}
	}
	return r
}

// closeBarriers releases every barrier's waiters for the end of the run.
func (r *Runner) closeBarriers() {
	for _, b := range r.lifecycle {
		b.Close()
	}
}

// Alive is the number of users running and not asked to stop, plus those
// a ramp-up will still start; barriers use it to release groups that can
// no longer fill, without releasing them short during ramp-up.
func (r *Runner) Alive() int { return int(r.population.Load()) }

// addPopulation changes Alive by delta in one atomic step, so a barrier
// never reads a state in between (see Runner.population). Barriers are not
// told: callers call populationChanged when a group may need re-evaluating.
func (r *Runner) addPopulation(delta int64) {
	n := r.population.Add(delta)
	if r.onPopulation != nil {
		r.onPopulation(n)
	}
}

func (r *Runner) reportRendezvous(g rendezvous.Group) {
	if r.stats != nil {
		r.stats.Rendezvous(g.Name, g.Size, g.Reason, g.Waits)
	}
}

// userSetter is an Executor whose users the run sets (the closed model):
// Start, StartSplit, SetUsers and SetSplit hand it their counts, and it
// learns of users that ended by themselves. Its methods are called with
// the Runner's mu held, so a change is in force when the call returns.
type userSetter interface {
	Executor
	// setUsersLocked sets the users to users, split per type as split says
	// (nil: by weight), new ones started at rate per second.
	setUsersLocked(d *Driver, users int, split []int, rate float64)
	// targetLocked is the number of users asked for.
	targetLocked() int
	// userQuitLocked counts a user of type kind that ended by itself.
	userQuitLocked(kind int)
}

// Start begins the run: users are spawned at rate per second (0: all at
// once) up to users. With Options.Executor, users and rate are the
// executor's to read (Driver.Users, Driver.Rate).
func (r *Runner) Start(users int, rate float64) error {
	return r.start(users, nil, rate)
}

// start begins the run with users users (perType of each type when not
// nil) at rate per second, and starts the executor.
func (r *Runner) start(users int, perType []int, rate float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != Ready {
		return errors.New("the run has already started")
	}
	if users < 0 {
		return fmt.Errorf("users must be 0 or more, not %d", users)
	}
	if r.poolErr != nil {
		return r.poolErr
	}
	r.started = time.Now()
	r.stats = stats.New(r.started, statsShards())
	r.stats.OrderChecks(r.plan.checkOrder())
	r.state = Running
	go r.tick()
	if r.opts.RunTime > 0 {
		time.AfterFunc(r.opts.RunTime, func() { r.endRun("run time reached") })
	}
	ex := r.exec
	d := &Driver{r: r, Users: users, Rate: rate, split: perType}
	r.driver = d
	if us, ok := ex.(userSetter); ok {
		us.setUsersLocked(d, users, perType, rate)
	}
	r.executing = true
	go func() {
		ex.Run(d)
		r.endRun("schedule finished")
		r.mu.Lock()
		r.executing = false
		last := r.state == Stopping && len(r.live) == 0
		r.mu.Unlock()
		if last {
			r.finish()
		}
	}()
	return nil
}

// StartSplit begins a closed-model run with exactly perType[i] users of
// user type i (in scenario order) instead of the split by weight: a master
// computes the split across its workers so that the whole matches the
// weights. Users are spawned at rate per second, types interleaved.
func (r *Runner) StartSplit(perType []int, rate float64) error {
	total, err := r.checkSplit(perType)
	if err != nil {
		return err
	}
	return r.start(total, append([]int(nil), perType...), rate)
}

// checkSplit checks a count of users per type and returns their total.
func (r *Runner) checkSplit(perType []int) (int, error) {
	if len(perType) != len(r.plan.users) {
		return 0, fmt.Errorf("%d user counts for %d user types", len(perType), len(r.plan.users))
	}
	total := 0
	for i, n := range perType {
		if n < 0 {
			return 0, fmt.Errorf("user type %d: users must be 0 or more, not %d", i, n)
		}
		total += n
	}
	return total, nil
}

// SetUsers changes the number of users mid-run; new users are spawned at
// rate per second, surplus users stop after their current task iteration.
func (r *Runner) SetUsers(users int, rate float64) error {
	return r.setUsers(users, nil, rate)
}

// SetSplit changes the users mid-run to exactly perType[i] of user type i:
// a master's new split after workers joined or were lost. Surplus users of
// a type stop after their current iteration; missing ones are spawned at
// rate per second.
func (r *Runner) SetSplit(perType []int, rate float64) error {
	total, err := r.checkSplit(perType)
	if err != nil {
		return err
	}
	return r.setUsers(total, append([]int(nil), perType...), rate)
}

// setUsers hands a new count of users to the executor, if it takes one.
func (r *Runner) setUsers(users int, perType []int, rate float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	us, ok := r.exec.(userSetter)
	switch {
	case r.state == Ready:
		return errors.New("the run has not started")
	case r.state >= Stopping:
		return errors.New("the run is stopping")
	case users < 0:
		return fmt.Errorf("users must be 0 or more, not %d", users)
	case !ok:
		return errors.New("this run's executor decides its users")
	}
	us.setUsersLocked(r.driver, users, perType, rate)
	return nil
}

// statsShards is how many recorders users spread over: enough that users
// on different cores rarely share one, and few enough that each request
// row's histograms (one per shard) stay small on many-core machines.
func statsShards() int { return min(4*runtime.GOMAXPROCS(0), 16) }

func (r *Runner) mixLocked() string {
	s := ""
	for i, u := range r.plan.users {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s: %d", u.name, r.byKind[i])
	}
	return s
}

// addUserLocked counts a new user in Alive before its goroutine can reach
// a barrier, and starts it. A user the executor said was coming
// (Driver.expectLocked) was already in Alive as pending and now is in it
// as running: the population does not change, so a barrier reading it
// meanwhile sees the same count.
func (r *Runner) addUserLocked(u *vuser) {
	if r.pending > 0 {
		r.pending--
	} else {
		r.addPopulation(1)
	}
	r.launchLocked(u)
}

// launchLocked lists a new user as running and starts its goroutine; the
// caller has counted it in Alive.
func (r *Runner) launchLocked(u *vuser) {
	kind := u.kind
	r.users = append(r.users, u)
	r.live[u.id] = u
	r.byKind[kind]++
	r.stats.SetUsers(len(r.users))
	go u.run()
}

// newUserLocked makes the next virtual user of a user type.
func (r *Runner) newUserLocked(kind int) *vuser {
	r.nextID++
	u := &vuser{
		id:   r.nextID,
		r:    r,
		plan: r.plan.users[kind],
		kind: kind,
		rec:  r.stats.Recorder(r.nextID),
		stop: make(chan struct{}),
		done: make(chan struct{}),
		src:  extractors.NewSource(),
	}
	seed := r.opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	u.rnd = rand.New(rand.NewPCG(seed, uint64(u.id)))
	u.ctx, u.cancel = context.WithCancel(r.ctx)
	r.initHTTP(u)
	return u
}

// stopNewestLocked asks the most recently started users of each type
// beyond want[type] to stop, and lowers the population once for all.
func (r *Runner) stopNewestLocked(want []int) {
	have := append([]int(nil), r.byKind...)
	stopped := 0
	for i := len(r.users) - 1; i >= 0; i-- {
		u := r.users[i]
		if have[u.kind] > want[u.kind] {
			have[u.kind]--
			if r.askStopLocked(u) {
				stopped++
			}
		}
	}
	if stopped != 0 {
		r.addPopulation(-int64(stopped))
		r.populationChanged()
	}
}

// stopUserLocked asks one user to stop and tells the barriers.
func (r *Runner) stopUserLocked(u *vuser) {
	if r.askStopLocked(u) {
		r.addPopulation(-1)
		r.populationChanged()
	}
}

// askStopLocked asks u to stop after its iteration and takes it off the
// running users, leaving the population and the barriers to the caller; it
// reports whether u was running (not already asked). A caller stopping
// several users lowers the population once and tells the barriers once,
// after every user was asked: lowered or told after each, a barrier could
// release a group by shortfall while users not yet asked could still start
// another iteration and come back to it.
func (r *Runner) askStopLocked(u *vuser) bool {
	select {
	case <-u.stop:
		return false
	default:
	}
	close(u.stop)
	r.removeLocked(u)
	// Give the user StopTimeout to finish its iteration, then cut it.
	time.AfterFunc(r.opts.StopTimeout, func() {
		select {
		case <-u.done:
		default:
			u.cancel()
			u.sess.abort()
		}
	})
	return true
}

func (r *Runner) removeLocked(u *vuser) {
	for i, v := range r.users {
		if v == u {
			r.users = append(r.users[:i], r.users[i+1:]...)
			r.byKind[u.kind]--
			break
		}
	}
	if r.stats != nil {
		r.stats.SetUsers(len(r.users))
	}
}

// userExited is called by a user's goroutine when it ends.
func (r *Runner) userExited(u *vuser) {
	r.mu.Lock()
	select {
	case <-u.stop: // already removed when it was asked to stop
	default:
		if us, ok := r.exec.(userSetter); ok {
			us.userQuitLocked(u.kind)
		}
		close(u.stop)
		r.removeLocked(u)
		r.addPopulation(-1)
		r.populationChanged()
	}
	u.cancel()
	delete(r.live, u.id)
	state, running, target, executing := r.state, len(r.live), r.targetLocked(), r.executing
	r.mu.Unlock()
	switch {
	case state == Stopping && running == 0 && !executing:
		r.finish()
	case state == Running && running == 0 && target > 0:
		r.endRun("all users finished")
	}
}

// populationChanged lets barriers release groups that can no longer fill.
func (r *Runner) populationChanged() {
	for _, b := range r.lifecycle {
		b.PopulationChanged()
	}
}

// takeIteration reserves one task iteration under the -n bound.
func (r *Runner) takeIteration() bool {
	if b := r.opts.Budget; b != nil {
		return b.Take()
	}
	if r.opts.Iterations <= 0 {
		return true
	}
	return r.iterTake.Add(1) <= r.opts.Iterations
}

func (r *Runner) iterationDone() {
	if b := r.opts.Budget; b != nil {
		b.Done()
		return
	}
	if r.opts.Iterations <= 0 {
		return
	}
	if n := r.iterDone.Add(1); n == r.opts.Iterations {
		r.endRun(fmt.Sprintf("%d iterations done", r.opts.Iterations))
	}
}

// Stop ends the run gracefully: no new iterations start, users finish the
// one they are in (cut after the stop timeout) and run on_stop.
func (r *Runner) Stop() { r.endRun("stopped") }

// End ends the run gracefully, as Stop does, giving reason as the reason
// the run ended (an aborting threshold, say).
func (r *Runner) End(reason string) { r.endRun(reason) }

// Kill ends the run at once: requests in flight are cut (each counted as a
// failure of its own kind, cut at end of run), on_stop does not run.
func (r *Runner) Kill() {
	r.endRun("killed")
	r.mu.Lock()
	users := make([]*vuser, 0, len(r.live))
	for _, u := range r.live {
		users = append(users, u)
	}
	r.mu.Unlock()
	r.cancel()
	for _, u := range users {
		u.sess.abort()
	}
}

// endRun moves the run to Stopping once, for the first reason given.
func (r *Runner) endRun(reason string) {
	r.mu.Lock()
	if r.state == Ready || r.state >= Stopping {
		r.mu.Unlock()
		return
	}
	r.state = Stopping
	r.stoppedAt = time.Since(r.started)
	if rt := r.opts.RunTime; rt > 0 && r.stoppedAt > rt {
		// The run-time timer fired late (a stalled machine): the run was
		// owed up to RunTime, not up to when the timer ran.
		r.stoppedAt = rt
	}
	close(r.stopping)
	r.reason = reason
	// Every user is asked to stop before the population falls, in one
	// step, and barriers are told once (see askStopLocked): a group that
	// the fall releases (by shortfall), even one a user arriving meanwhile
	// evaluates, only finishes its iteration and stops.
	gone := r.pending
	r.pending = 0
	for _, u := range append([]*vuser(nil), r.users...) {
		if r.askStopLocked(u) {
			gone++
		}
	}
	if gone != 0 {
		r.addPopulation(-int64(gone))
		r.populationChanged()
	}
	last := len(r.live) == 0 && !r.executing
	r.mu.Unlock()
	r.logf("stopping: %s", reason)
	r.closeBarriers()
	if last {
		r.finish()
	}
}

func (r *Runner) finish() {
	r.doneOnce.Do(func() {
		r.mu.Lock()
		r.state = Stopped
		r.ended = time.Now()
		r.mu.Unlock()
		r.stats.SetUsers(0)
		r.stats.Tick(r.ended)
		r.cancel()
		close(r.done)
	})
}

// Done is closed when the run has stopped and every user has exited: a
// snapshot taken after it holds every request of the run.
func (r *Runner) Done() <-chan struct{} { return r.done }

// State is where the run is now.
func (r *Runner) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Reason says why the run ended (or is ending).
func (r *Runner) Reason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// Users is the number of users running now and the number asked for (0
// when the executor decides its users).
func (r *Runner) Users() (running, target int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.users), r.targetLocked()
}

// targetLocked is the number of users the executor was asked for.
func (r *Runner) targetLocked() int {
	if us, ok := r.exec.(userSetter); ok && r.state != Ready {
		return us.targetLocked()
	}
	return 0
}

// Times are the start and (once stopped) end of the run.
func (r *Runner) Times() (start, end time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started, r.ended
}

// Snapshot is the statistics as of the last one-second tick, the one
// snapshot every reader shares (stats.Stats.Latest, published just before
// Options.OnTick is called); once the run has ended, the final statistics
// at its end.
func (r *Runner) Snapshot() *stats.Snapshot {
	r.mu.Lock()
	st, end := r.stats, r.ended
	r.mu.Unlock()
	switch {
	case st == nil:
		return nil
	case end.IsZero():
		return st.Latest()
	}
	return st.Snapshot(end)
}

// LastTick is the snapshot published by the last tick, with its Interval;
// once the run has ended, the tick at its end. nil before any run.
func (r *Runner) LastTick() *stats.Snapshot {
	r.mu.Lock()
	st := r.stats
	r.mu.Unlock()
	if st == nil {
		return nil
	}
	return st.Latest()
}

// ResetStats starts the statistics afresh (Locust's "reset stats"): what
// was recorded so far is dropped, the run goes on.
func (r *Runner) ResetStats() {
	r.mu.Lock()
	st := r.stats
	r.mu.Unlock()
	if st != nil {
		st.Reset(time.Now())
	}
}

// tick closes one-second intervals of the statistics, watches the
// generator's own CPU, and hands the tick to Options.OnTick.
func (r *Runner) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	cpu := newCPUMeter()
	for {
		select {
		case <-r.done:
			return
		case now := <-t.C:
			r.stats.Tick(now)
			if pct, ok := cpu.sample(now); ok {
				r.stats.SetCPU(pct)
			}
			if r.opts.OnTick != nil {
				r.opts.OnTick(now)
			}
		}
	}
}

func (r *Runner) logf(format string, args ...any) {
	if r.opts.Log == nil {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.opts.Log, "[%s] %s\n", time.Now().Format("2006-01-02 15:04:05.000"), fmt.Sprintf(format, args...))
}

// Answered reports whether any HTTP response was received: a run whose
// requests all failed without one could not reach its target.
func (r *Runner) Answered() bool { return r.answered.Load() }

// Warnings are what a reader must know to trust a snapshot's numbers and
// that only the engine can tell (stalls, held-back paced iterations); the
// saturation warning comes with the snapshot itself (reports.Warnings).
func (r *Runner) Warnings(s *stats.Snapshot) []string { return Warnings(s) }

// Warnings is Runner.Warnings as a pure function of a snapshot (its
// history and pacing table): a master judges the merged snapshot of its
// workers, a report one read back from JSON, the same way.
func Warnings(s *stats.Snapshot) []string {
	var out []string
	if s == nil {
		return nil
	}
	out = append(out, stallWarnings(s)...)
	out = append(out, openWarnings(s)...)
	var late, skipped int64
	for _, p := range s.Pacing {
		late += p.Late
		skipped += p.Skipped
	}
	if late > 0 || skipped > 0 {
		out = append(out, fmt.Sprintf("%d paced iterations started late and %d were skipped: the target held users back, and closed-model percentiles cannot show that queueing delay (see the pacing table)", late, skipped))
	}
	return out
}

// Host is the base URL requests go to ("" when every URL is absolute).
func (p *Plan) Host() string {
	for _, u := range p.users {
		if u.base != nil {
			return u.base.String()
		}
	}
	return ""
}

// CutAtEnd is the failure text of a request that was still waiting for its
// response when the run ended (the stop timeout passed, or the run was
// killed): it was sent, so it is counted, as a failure of its own kind; its
// time is how long it had waited.
const CutAtEnd = "cut at end of run"
