package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/template"
)

// vuser is one virtual user: a goroutine walking its user type's state
// machine (on_start, then weighted tasks with waits, then on_stop). All its
// fields belong to its goroutine except stop, ctx and sess.abort.
type vuser struct {
	id   int
	r    *Runner
	plan *userPlan
	// kind is the index of plan in Plan.users.
	kind int
	vars template.Vars
	rec  *stats.Recorder
	sess session
	rnd  *rand.Rand

	// stop is closed to ask the user to stop after its current task
	// iteration; ctx is cancelled to interrupt it at once.
	stop   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// work, for a user an Executor drives (Driver.NewUser), hands it each
	// iteration to run, with the time it was due (zero: now); nil for a
	// closed-model user, which loops by itself.
	work chan time.Time
	// first is set for a user made for an arrival (Driver.NewUserFor): it
	// runs that iteration right after on_start, firstLag late.
	first    bool
	firstLag time.Duration
	// lag is how late the current iteration started after it was due; the
	// iteration's first request adds it to its time (open model).
	lag time.Duration

	timer *time.Timer

	// Rows drawn in on_start are held for the user's life, rows drawn in a
	// task until its iteration ends: two scopes, so a pool used in both does
	// not lose the user's lifetime row. Both by pool index, made on first use.
	holders     []*datasource.Holder
	taskHolders []*datasource.Holder
	taskPools   []int            // pools drawn in the current task iteration
	lifeRows    []datasource.Row // rows drawn outside tasks, by pool index
	inTask      bool

	// Per-request scratch space, reused so that a request allocates little.
	scratch []byte
	urlBuf  []byte
	decoded []byte // a compressed response's body, decoded for extractors
	x       httpclient.Exchange
	view    respView
	src     *extractors.Source
}

// holder is the user's state for a pool in the current scope.
func (u *vuser) holder(pool int) *datasource.Holder {
	hs := &u.holders
	if u.inTask {
		hs = &u.taskHolders
	}
	if *hs == nil {
		*hs = make([]*datasource.Holder, len(u.r.pools))
	}
	if (*hs)[pool] == nil {
		(*hs)[pool] = new(datasource.Holder)
	}
	return (*hs)[pool]
}

// stopping reports whether the user was asked to stop.
func (u *vuser) stopping() bool {
	select {
	case <-u.stop:
		return true
	default:
		return u.ctx.Err() != nil
	}
}

// sleep waits d, or less when the user is asked to stop; it reports
// whether the whole wait happened.
func (u *vuser) sleep(d time.Duration) bool {
	if d <= 0 {
		return !u.stopping()
	}
	if u.timer == nil {
		u.timer = time.NewTimer(d)
	} else {
		u.timer.Reset(d)
	}
	select {
	case <-u.timer.C:
		return true
	case <-u.stop:
	case <-u.ctx.Done():
	}
	u.timer.Stop()
	return false
}

// think waits d unless the user is cut (the stop timeout passed, or the
// run was killed); it reports whether the whole wait happened. Unlike
// sleep, a graceful stop does not end it.
func (u *vuser) think(d time.Duration) bool {
	if d <= 0 {
		return u.ctx.Err() == nil
	}
	if u.timer == nil {
		u.timer = time.NewTimer(d)
	} else {
		u.timer.Reset(d)
	}
	select {
	case <-u.timer.C:
		return true
	case <-u.ctx.Done():
	}
	u.timer.Stop()
	return false
}

// run is the user's life. A panic inside it (a bug of ours) becomes a
// counted failure and ends this user, never the run.
func (u *vuser) run() {
	defer close(u.done)
	defer u.r.userExited(u)
	defer u.sess.close()
	defer func() {
		if p := recover(); p != nil {
			u.rec.Unsent(stats.Key{Method: "PANIC", Name: u.plan.name}, fmt.Sprintf("internal error: %v", p))
			u.r.logf("internal error in user %d: %v\n%s", u.id, p, debug.Stack())
		}
	}()
	u.initVars()
	stopped := u.runSteps(u.plan.onStart) == resultStopUser
	if u.work != nil {
		u.driven(stopped)
	} else {
		u.loop(stopped)
	}
	if u.ctx.Err() == nil {
		u.runSteps(u.plan.onStop)
	}
	u.releaseAll()
}

// iterate runs one task iteration: a task picked by weight, its steps,
// then its pool rows go back. It reports the task, when it started, and
// whether the user goes on.
func (u *vuser) iterate() (task *taskPlan, start time.Time, goOn bool) {
	task = u.plan.tasks[u.plan.pickTask(u.rnd.IntN(u.plan.cumWeights[len(u.plan.cumWeights)-1]))]
	start = time.Now()
	u.inTask = true
	res := u.runSteps(task.steps)
	u.inTask = false
	u.releaseTaskPools()
	u.r.iterationDone()
	return task, start, res != resultStopUser
}

// driven runs an iteration each time the executor offers one, until the
// user is asked to stop.
func (u *vuser) driven(stopped bool) {
	pending := u.first
	for !stopped {
		var due time.Time
		if pending {
			pending = false
			u.lag = u.firstLag
		} else {
			select {
			case due = <-u.work:
			case <-u.stop:
				return
			case <-u.ctx.Done():
				return
			}
			if !due.IsZero() {
				u.lag = max(time.Since(due), 0)
			}
		}
		if !u.r.takeIteration() {
			return
		}
		_, _, goOn := u.iterate()
		u.lag = 0
		stopped = !goOn || u.stopping()
	}
}

func (u *vuser) releaseAll() {
	for _, hs := range [][]*datasource.Holder{u.taskHolders, u.holders} {
		for i, h := range hs {
			if h != nil {
				u.r.pools[i].Release(h)
			}
		}
	}
}

// initVars gives the user the scenario's vars and its id (`${user_id}`).
func (u *vuser) initVars() {
	u.vars = make(template.Vars, len(u.r.plan.vars)+4)
	u.vars["user_id"] = u.id
	for _, a := range u.r.plan.vars {
		v, err := a.eval(u.vars)
		if err != nil {
			// Counted, as a failed set step is: a var that cannot be
			// evaluated fails every request that reads it.
			u.rec.Unsent(stats.Key{Method: "VARS", Name: a.name}, u.unsetMessage(err))
			continue
		}
		u.vars[a.name] = v
	}
}

func (u *vuser) runSteps(steps []step) result {
	for _, s := range steps {
		if u.ctx.Err() != nil {
			return resultStopUser
		}
		switch s.run(u) {
		case resultEndIteration:
			return resultEndIteration
		case resultStopUser:
			return resultStopUser
		}
	}
	return resultOK
}

func (u *vuser) releaseTaskPools() {
	for _, p := range u.taskPools {
		pool := u.r.pools[p]
		pool.Release(u.taskHolders[p])
		if pool.Mode() != scenario.UniqueRecycle {
			continue
		}
		// The row now belongs to the pool (another user may hold it next):
		// no later step of this user may send it. The row it holds for its
		// life, if any, is what `${pool.column}` means again.
		name := u.r.plan.Scenario.Data[p].Name
		if p < len(u.lifeRows) && u.lifeRows[p] != nil {
			u.vars[name] = map[string]string(u.lifeRows[p])
		} else {
			delete(u.vars, name)
		}
	}
	u.taskPools = u.taskPools[:0]
}

// keepLifeRow remembers a row drawn outside a task, held for the user's life.
func (u *vuser) keepLifeRow(pool int, row datasource.Row) {
	if u.lifeRows == nil {
		u.lifeRows = make([]datasource.Row, len(u.r.pools))
	}
	u.lifeRows[pool] = row
}
