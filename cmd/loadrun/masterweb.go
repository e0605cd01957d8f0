package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loadrun/loadrun/cluster"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/session"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/webui"
)

// masterCtl is the web UI's controller of a distributed master: Start
// starts the cluster run with the form's users, spawn rate and run time,
// Stop stops every worker, and the Workers tab lists the master's workers.
// A master runs one test: a second start is refused (409).
type masterCtl struct {
	m    *cluster.Master
	plan *engine.Plan
	file string

	mu      sync.Mutex
	params  webui.Params
	started chan struct{} // closed by the first successful Start
	result  *session.Result
}

// errOneRun refuses a second test on a master. It wraps webui.ErrBusy so
// that the API answers 409, with its own message.
type errOneRun struct{}

func (errOneRun) Error() string {
	return "this master has run its test: a master runs one test; start loadrun master again (workers rejoin it) for a new one"
}

func (errOneRun) Unwrap() error { return webui.ErrBusy }

// Status is where the cluster run is.
func (c *masterCtl) Status() webui.Status {
	c.mu.Lock()
	p := c.params
	c.mu.Unlock()
	st := webui.Status{Host: c.plan.Host(), SpawnRate: p.SpawnRate, RunTime: p.RunTime}
	st.Start, st.End = c.m.Times()
	st.Users, st.TargetUsers = c.m.Users()
	reason := c.m.Reason()
	switch {
	case st.Start.IsZero():
		st.State = webui.StateReady
	case isClosed(c.m.Done()):
		st.State, st.Reason = webui.StateStopped, reason
	case reason != "":
		st.State = webui.StateStopping
	case st.Users < st.TargetUsers:
		st.State = webui.StateSpawning
	default:
		st.State = webui.StateRunning
	}
	return st
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Start starts the cluster run on the workers that joined.
func (c *masterCtl) Start(p webui.Params) error {
	if p.Host != "" && p.Host != c.plan.Host() {
		return fmt.Errorf("the workers load %s, given to the master at its start (--host): the host cannot change from the page", c.plan.Host())
	}
	if err := session.CheckRate(p.SpawnRate); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if start, _ := c.m.Times(); !start.IsZero() {
		if isClosed(c.m.Done()) {
			return errOneRun{}
		}
		return webui.ErrBusy
	}
	if err := c.m.StartWith(p.Users, p.SpawnRate, p.RunTime); err != nil {
		return err
	}
	c.params = p
	close(c.started)
	return nil
}

// SetUsers changes the cluster's users mid-run.
func (c *masterCtl) SetUsers(users int, rate float64) error {
	if err := session.CheckRate(rate); err != nil {
		return err
	}
	if st := c.Status().State; st != webui.StateSpawning && st != webui.StateRunning {
		return webui.ErrNotRunning
	}
	if err := c.m.SetUsers(users, rate); err != nil {
		return fmt.Errorf("%w: %v", webui.ErrNotRunning, err)
	}
	c.mu.Lock()
	c.params.Users, c.params.SpawnRate = users, rate
	c.mu.Unlock()
	return nil
}

// Stop stops every worker's users gracefully.
func (c *masterCtl) Stop() {
	if start, _ := c.m.Times(); !start.IsZero() {
		c.m.Stop("stopped")
	}
}

// Reset starts the running test's statistics afresh: every worker resets
// its own, so the merged percentiles stay exact.
func (c *masterCtl) Reset() error {
	if st := c.Status().State; st != webui.StateSpawning && st != webui.StateRunning {
		return fmt.Errorf("reset stats: %w", webui.ErrNotRunning)
	}
	if err := c.m.ResetStats(); err != nil {
		return fmt.Errorf("reset stats: %w: %v", webui.ErrNotRunning, err)
	}
	return nil
}

// Report is the merged statistics now, or the final result once the run
// ended.
func (c *masterCtl) Report() (reports.Run, *stats.Snapshot) {
	c.mu.Lock()
	res, p := c.result, c.params
	c.mu.Unlock()
	if res != nil {
		return res.Run, res.Snapshot
	}
	start, end := c.m.Times()
	run := reports.Run{Scenario: c.plan.Scenario.Name, File: c.file, Host: c.plan.Host(), Users: p.Users,
		SpawnRate: p.SpawnRate, RunTime: p.RunTime, Start: start, End: end, Version: version, Workers: workerRows(c.m)}
	if start.IsZero() {
		return run, nil
	}
	return run, c.m.Snapshot()
}

// Workers is the master's workers table, live.
func (c *masterCtl) Workers() []webui.Worker {
	var out []webui.Worker
	for _, w := range c.m.Workers() {
		out = append(out, webui.Worker{ID: w.Name, State: w.State, Users: w.Users, Requests: w.Requests,
			Failures: w.Failures, CPU: w.CPU, LastSeen: w.LastSeen})
	}
	return out
}

func (c *masterCtl) ended(res *session.Result) {
	c.mu.Lock()
	c.result = res
	c.mu.Unlock()
}

// masterWeb is `loadrun master --web`: the test starts when Start is
// pressed in the page (or, with --autostart, when expect workers joined),
// runs as a headless master's does, writes every report, and the page
// stays up until Ctrl-C or --autoquit.
func masterWeb(m *cluster.Master, plan *engine.Plan, f runFlags, expect int, out session.Reports, file string, e env) int {
	c := &masterCtl{m: m, plan: plan, file: file, started: make(chan struct{}),
		params: webui.Params{Users: f.users, SpawnRate: f.rate, RunTime: f.runTime}}
	served, closeWeb, err := serveWeb(c, plan.Host(), plan.Scenario.Name, f, e)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitUsage
	}
	defer closeWeb()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if f.web.autostart {
		go func() {
			if m.WaitWorkers(ctx, expect) != nil {
				return
			}
			fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second over %d worker(s)\n", f.users, f.rate, expect)
			if err := c.Start(webui.Params{Users: f.users, SpawnRate: f.rate, RunTime: f.runTime}); err != nil && !errors.Is(err, webui.ErrBusy) {
				fmt.Fprintln(e.stderr, "loadrun master:", err)
			}
		}()
	} else {
		fmt.Fprintln(e.stderr, "The test starts when Start is pressed in the web UI")
	}
	select {
	case <-c.started:
	case err := <-served:
		fmt.Fprintln(e.stderr, "loadrun master: web UI:", err)
		return exitFailed
	case <-e.signals:
		fmt.Fprintln(e.stderr, "Interrupted before the test started: nothing was run.")
		return exitNoTarget
	}
	cancel()
	c.mu.Lock()
	p := c.params
	c.mu.Unlock()
	if !f.web.autostart {
		fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second over the workers\n", p.Users, p.SpawnRate)
	}
	// The reports give the run's own parameters (the form's).
	f.users, f.rate, f.runTime = p.Users, p.SpawnRate, p.RunTime
	code := masterLoop(m, plan, f, out, file, e, c.ended)
	var quit <-chan time.Time
	if f.web.autoquit >= 0 {
		quit = time.After(time.Duration(f.web.autoquit * float64(time.Second)))
	} else {
		fmt.Fprintln(e.stderr, "The web UI stays up for looking and downloading: Ctrl-C to quit.")
	}
	select {
	case <-quit:
	case <-e.signals:
	case <-served:
	}
	return code
}
