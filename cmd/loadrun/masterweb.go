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
// starts a cluster test with the form's users, spawn rate and run time,
// Stop stops every worker, Reset resets every worker's statistics, and the
// Workers tab lists the master's workers.
//
// Each test has a cluster.Master of its own (fresh pools, budget, rendezvous
// and statistics): when a test ended, its workers are asked to stay and
// join the next master, which the next Start (New test) starts.
type masterCtl struct {
	plan *engine.Plan
	file string
	// newMaster makes the master of the next test.
	newMaster func() (*cluster.Master, error)

	mu sync.Mutex
	// m is the test shown: running, or the last one, ended; next, once m
	// ended, is the next test's master, which the workers join.
	m       *cluster.Master
	next    *cluster.Master
	params  webui.Params
	started chan struct{} // signalled by every successful Start
	result  *session.Result
}

// errNextNotReady refuses a start in the moment between a test's end and
// its reports being written. It wraps webui.ErrBusy (409).
type errNextNotReady struct{}

func (errNextNotReady) Error() string {
	return "the last test is still writing its reports; its workers join the next test in a moment: try again"
}

func (errNextNotReady) Unwrap() error { return webui.ErrBusy }

// current is the master of the test shown.
func (c *masterCtl) current() *cluster.Master {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m
}

// Status is where the cluster test is.
func (c *masterCtl) Status() webui.Status {
	c.mu.Lock()
	p, m := c.params, c.m
	c.mu.Unlock()
	st := webui.Status{Host: c.plan.Host(), SpawnRate: p.SpawnRate, RunTime: p.RunTime}
	st.Start, st.End = m.Times()
	st.Users, st.TargetUsers = m.Users()
	reason := m.Reason()
	switch {
	case st.Start.IsZero():
		st.State = webui.StateReady
	case isClosed(m.Done()):
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

// Start starts a cluster test on the workers that joined: the first test,
// or, once a test ended, the next one (New test).
func (c *masterCtl) Start(p webui.Params) error {
	if p.Host != "" && p.Host != c.plan.Host() {
		return fmt.Errorf("the workers load %s, given to the master at its start (--host): the host cannot change from the page", c.plan.Host())
	}
	if err := session.CheckRate(p.SpawnRate); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.m
	if start, _ := m.Times(); !start.IsZero() {
		switch {
		case !isClosed(m.Done()):
			return webui.ErrBusy
		case c.next == nil:
			return errNextNotReady{}
		}
		m = c.next
	}
	if err := m.StartWith(p.Users, p.SpawnRate, p.RunTime); err != nil {
		return err
	}
	if m != c.m {
		c.m, c.next, c.result = m, nil, nil
	}
	c.params = p
	select {
	case c.started <- struct{}{}:
	default:
	}
	return nil
}

// SetUsers changes the cluster's users mid-test.
func (c *masterCtl) SetUsers(users int, rate float64) error {
	if err := session.CheckRate(rate); err != nil {
		return err
	}
	if st := c.Status().State; st != webui.StateSpawning && st != webui.StateRunning {
		return webui.ErrNotRunning
	}
	if err := c.current().SetUsers(users, rate); err != nil {
		return fmt.Errorf("%w: %v", webui.ErrNotRunning, err)
	}
	c.mu.Lock()
	c.params.Users, c.params.SpawnRate = users, rate
	c.mu.Unlock()
	return nil
}

// Stop stops every worker's users gracefully.
func (c *masterCtl) Stop() {
	m := c.current()
	if start, _ := m.Times(); !start.IsZero() {
		m.Stop("stopped")
	}
}

// Reset starts the running test's statistics afresh: every worker resets
// its own, so the merged percentiles stay exact.
func (c *masterCtl) Reset() error {
	if st := c.Status().State; st != webui.StateSpawning && st != webui.StateRunning {
		return fmt.Errorf("reset stats: %w", webui.ErrNotRunning)
	}
	if err := c.current().ResetStats(); err != nil {
		return fmt.Errorf("reset stats: %w: %v", webui.ErrNotRunning, err)
	}
	return nil
}

// Report is the merged statistics now, or the final result once the test
// ended.
func (c *masterCtl) Report() (reports.Run, *stats.Snapshot) {
	c.mu.Lock()
	res, p, m := c.result, c.params, c.m
	c.mu.Unlock()
	if res != nil {
		return res.Run, res.Snapshot
	}
	start, end := m.Times()
	run := reports.Run{Scenario: c.plan.Scenario.Name, File: c.file, Host: c.plan.Host(), Users: p.Users,
		SpawnRate: p.SpawnRate, RunTime: p.RunTime, Start: start, End: end, Version: version, Workers: workerRows(m)}
	if start.IsZero() {
		return run, nil
	}
	return run, m.Snapshot()
}

// Workers is the workers table, live: those of the test running, or,
// after a test, those that joined the next one.
func (c *masterCtl) Workers() []webui.Worker {
	c.mu.Lock()
	m := c.m
	if c.next != nil {
		m = c.next
	}
	c.mu.Unlock()
	var out []webui.Worker
	for _, w := range m.Workers() {
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

// prepareNext closes the master of the test that ended (joins go to the
// next one) and makes the next test's master, which its workers join.
func (c *masterCtl) prepareNext() error {
	c.current().Close()
	next, err := c.newMaster()
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.next = next
	c.mu.Unlock()
	return nil
}

// dismiss sends the workers waiting for a test away (they exit 0) and
// closes every master: the master quits.
func (c *masterCtl) dismiss() {
	c.mu.Lock()
	m, next := c.m, c.next
	c.mu.Unlock()
	for _, x := range []*cluster.Master{m, next} {
		if x == nil {
			continue
		}
		if start, _ := x.Times(); start.IsZero() {
			x.Dismiss("the master quit")
		}
		x.Close()
	}
}

// masterWeb is `loadrun master --web`: a test starts when Start is pressed
// in the page (or, with --autostart, when expect workers joined), runs as
// a headless master's does and writes every report; then the workers join
// the next test, which New test in the page starts. The page stays up
// until Ctrl-C or --autoquit; the exit code is the last test's.
func masterWeb(m *cluster.Master, newMaster func() (*cluster.Master, error), plan *engine.Plan, f runFlags, expect int, out session.Reports, file string, e env) int {
	c := &masterCtl{m: m, newMaster: newMaster, plan: plan, file: file, started: make(chan struct{}, 1),
		params: webui.Params{Users: f.users, SpawnRate: f.rate, RunTime: f.runTime}}
	defer c.dismiss()
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
	code, tests := exitNoTarget, 0
	var quit <-chan time.Time
	for {
		select {
		case <-c.started:
		case err := <-served:
			fmt.Fprintln(e.stderr, "loadrun master: web UI:", err)
			return max(code, exitFailed)
		case <-e.signals:
			if tests == 0 {
				fmt.Fprintln(e.stderr, "Interrupted before the test started: nothing was run.")
			}
			return code
		case <-quit:
			return code
		}
		cancel() // --autostart's wait
		quit = nil
		tests++
		c.mu.Lock()
		p, m := c.params, c.m
		c.mu.Unlock()
		if !f.web.autostart || tests > 1 {
			fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second over the workers\n", p.Users, p.SpawnRate)
		}
		// The reports give the test's own parameters (the form's).
		f.users, f.rate, f.runTime = p.Users, p.SpawnRate, p.RunTime
		code = masterLoop(m, plan, f, out, file, e, c.ended)
		if err := c.prepareNext(); err != nil {
			fmt.Fprintln(e.stderr, "loadrun master: preparing the next test:", err)
			return max(code, exitFailed)
		}
		if f.web.autoquit >= 0 {
			quit = time.After(time.Duration(f.web.autoquit * float64(time.Second)))
		} else {
			fmt.Fprintln(e.stderr, "The web UI stays up: New test runs another with the workers (they join it again); Ctrl-C to quit.")
		}
	}
}
