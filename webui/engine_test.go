package webui

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// engineRun is a Controller over engine.Runner for tests: each Start
// compiles the scenario again (a plan is single-use) and makes a runner.
type engineRun struct {
	sc *scenario.Scenario

	mu     sync.Mutex
	r      *engine.Runner
	plan   *engine.Plan
	params Params
}

func (e *engineRun) current() (*engine.Runner, *engine.Plan, Params) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.r, e.plan, e.params
}

func (e *engineRun) Status() Status {
	r, plan, p := e.current()
	if r == nil {
		return Status{State: StateReady}
	}
	users, target := r.Users()
	start, end := r.Times()
	return Status{State: r.State().String(), Users: users, TargetUsers: target, SpawnRate: p.SpawnRate,
		Host: plan.Host(), RunTime: p.RunTime, Reason: r.Reason(), Start: start, End: end}
}

func (e *engineRun) Start(p Params) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.r != nil && e.r.State() != engine.Stopped {
		return fmt.Errorf("start: %w", ErrBusy)
	}
	plan, err := engine.Compile(e.sc, engine.CompileOptions{Host: p.Host})
	if err != nil {
		return err
	}
	r := engine.NewRunner(plan, engine.Options{RunTime: p.RunTime, StopTimeout: time.Second})
	if err := r.Start(p.Users, p.SpawnRate); err != nil {
		return err
	}
	e.r, e.plan, e.params = r, plan, p
	return nil
}

func (e *engineRun) SetUsers(users int, rate float64) error {
	r, _, _ := e.current()
	if r == nil {
		return ErrNotRunning
	}
	if err := r.SetUsers(users, rate); err != nil {
		return fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	e.mu.Lock()
	e.params.SpawnRate = rate
	e.mu.Unlock()
	return nil
}

func (e *engineRun) Stop() {
	if r, _, _ := e.current(); r != nil {
		r.Stop()
	}
}

func (e *engineRun) Reset() error {
	return fmt.Errorf("reset is not supported by the engine test controller")
}

func (e *engineRun) Report() (reports.Run, *stats.Snapshot) {
	r, plan, p := e.current()
	if r == nil {
		return reports.Run{}, nil
	}
	snap := r.Snapshot()
	start, end := r.Times()
	run := reports.Run{Scenario: plan.Scenario.Name, Host: plan.Host(), Users: p.Users, SpawnRate: p.SpawnRate,
		RunTime: p.RunTime, Start: start, End: end, Thresholds: r.Thresholds(snap), Warnings: r.Warnings(snap)}
	if r.State() == engine.Stopped {
		// The session decides verdicts; this stand-in applies the thresholds only.
		run.Verdict = reports.Verdict{Pass: true, Reason: "every threshold held"}
		for _, t := range run.Thresholds {
			if !t.Pass {
				run.Verdict = reports.Verdict{ExitCode: 1, Reason: "threshold " + t.Rule + " failed"}
			}
		}
	}
	return run, snap
}

// demoTarget serves the demo shop on a loopback port for the test.
func demoTarget(t testing.TB) (string, *demo.App) {
	t.Helper()
	app := demo.New(demo.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), app
}

func parseScenario(t testing.TB, yaml string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(strings.TrimSpace(yaml)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// serve runs srv on a loopback port for the test and returns its base URL.
func serve(t testing.TB, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return "http://" + ln.Addr().String()
}
