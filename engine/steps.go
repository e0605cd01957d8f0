package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/template"
)

// step is one compiled step. run returns what the user does next.
type step interface {
	run(u *vuser) result
}

type result uint8

const (
	resultOK           result = iota // go on with the next step
	resultEndIteration               // abandon the rest of this task iteration
	resultStopUser                   // stop this user (on_stop still runs)
)

type thinkStep struct{ wait *waitPlan }

// run waits inside a task (or on_start, on_stop): a user asked to stop
// finishes the task it is in, think steps included, so only the cut at the
// stop timeout (or a kill) ends the wait early.
func (s *thinkStep) run(u *vuser) result {
	if !u.think(s.wait.duration(u.rnd)) {
		return resultStopUser
	}
	return resultOK
}

type logStep struct {
	name      string
	msg       *template.Template
	onFailure scenario.OnFailure
}

// run renders the message even when nobody reads it: a log that cannot be
// rendered is a counted failure of its step (Type LOG in the errors table),
// not a line on stderr that a passing run hides.
func (s *logStep) run(u *vuser) result {
	b, err := s.msg.Render(nil, u.vars)
	text := string(b)
	if err != nil {
		msg := u.unsetMessage(err)
		text = fmt.Sprintf("%s (%s)", s.msg.Text(), msg)
		u.rec.Unsent(stats.Key{Method: "LOG", Name: s.name}, msg)
	}
	if u.r.tracer != nil {
		u.r.tracer.Log(u.id, text)
	}
	if u.r.opts.Verbose && u.r.opts.Log != nil {
		// The text may hold what a target sent: never a raw escape
		// sequence on the terminal.
		u.r.logf("[user %d] %s", u.id, termsafe.Line(text))
	}
	if err != nil {
		return failure(s.onFailure)
	}
	return resultOK
}

type setStep struct {
	name      string
	assigns   []assign
	onFailure scenario.OnFailure
}

// run sets each variable in turn. One that cannot be evaluated is a counted
// failure of the step (Type SET, named by the step, in the errors table);
// the step's on_failure then applies, and with continue the other
// variables are still set.
func (s *setStep) run(u *vuser) result {
	for _, a := range s.assigns {
		v, err := a.eval(u.vars)
		if err != nil {
			msg := fmt.Sprintf("set %s: %s", a.name, u.unsetMessage(err))
			u.rec.Unsent(stats.Key{Method: "SET", Name: s.name}, msg)
			if u.r.tracer != nil {
				u.r.tracer.Log(u.id, msg)
			}
			if s.onFailure != scenario.Continue && s.onFailure != "" {
				return failure(s.onFailure)
			}
			continue
		}
		u.vars[a.name] = v
		if u.r.tracer != nil {
			u.r.tracer.Set(u.id, a.name, v)
		}
	}
	return resultOK
}

// useStep draws a row of a pool into the user's variables.
type useStep struct {
	pool      int
	name      string
	onFailure scenario.OnFailure
}

func (s *useStep) run(u *vuser) result {
	pool := u.r.pools[s.pool]
	h := u.holder(s.pool)
	row, err := pool.Draw(u.ctx, h)
	switch {
	case err == nil:
		u.vars[s.name] = map[string]string(row)
		if u.inTask {
			u.taskPools = append(u.taskPools, s.pool)
		} else {
			u.keepLifeRow(s.pool, row)
		}
		if u.r.tracer != nil {
			u.r.tracer.Set(u.id, s.name, row)
		}
		return resultOK
	case errors.Is(err, datasource.ErrExhausted):
		if u.r.plan.Scenario.Data[s.pool].OnExhausted == scenario.StopTest {
			u.r.endRun(fmt.Sprintf("pool %q has no rows left (on_exhausted: stop-test)", s.name))
		}
		return resultStopUser
	case u.ctx.Err() != nil:
		return resultStopUser
	default:
		u.rec.Unsent(stats.Key{Method: "POOL", Name: s.name}, err.Error())
		// A row from an earlier draw is no longer this user's (another user
		// may hold it now): no later step may send it.
		delete(u.vars, s.name)
		if s.onFailure != scenario.Continue && s.onFailure != "" {
			return failure(s.onFailure)
		}
		// Continue, the default, cannot mean going on without the row: the
		// iteration's requests would all fail on the unset variable and hide
		// the one real failure. Without the row it draws in on_start (its
		// account, say) the user cannot go on at all.
		if !u.inTask {
			return resultStopUser
		}
		return resultEndIteration
	}
}

// rendezvousStep waits at a barrier.
type rendezvousStep struct {
	barrier int
	name    string
}

func (s *rendezvousStep) run(u *vuser) result {
	b := u.r.barriers[s.barrier]
	start := time.Now()
	_, err := b.Wait(u.ctx)
	if u.r.tracer != nil {
		u.r.tracer.Log(u.id, fmt.Sprintf("rendezvous %q: released after %s", s.name, time.Since(start).Round(time.Microsecond)))
	}
	if err != nil {
		return resultStopUser
	}
	return resultOK
}

// unsetMessage turns a template error into the failure text, naming the
// steps that would have set a missing variable.
func (u *vuser) unsetMessage(err error) string {
	var unset *template.UnsetError
	if !errors.As(err, &unset) {
		return err.Error()
	}
	where := u.r.plan.extractedBy[unset.Var]
	switch len(where) {
	case 0:
		return fmt.Sprintf("variable %s is not set: no step sets it (extract, set, use or vars)", unset.Var)
	case 1:
		return fmt.Sprintf("variable %s is not set: it is set by %s, which has not run or did not set it for this user", unset.Var, where[0])
	default:
		return fmt.Sprintf("variable %s is not set: it is set by %s and %d more, none of which set it for this user", unset.Var, where[0], len(where)-1)
	}
}
