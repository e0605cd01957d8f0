package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/loadrun/loadrun/cluster"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/session"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// masterFlags are the flags of `loadrun master` beside those of `run`.
type masterFlags struct {
	expect int
	bind   string
	nats   string
	token  string
}

// masterCmd runs a test over workers:
//
//	loadrun master FILE --expect-workers N [--bind 127.0.0.1:4222] [--nats nats://HOST:PORT] [--token SECRET] [run flags]
func masterCmd(args []string, e env) int {
	fs, fp, mfp := masterFlagSet(e.stderr)
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	f, mf := *fp, *mfp
	f.shape.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.shape.set[fl.Name] = true })
	switch {
	case len(files) != 1:
		fmt.Fprintln(e.stderr, "loadrun master: give exactly one scenario file (loadrun master scenario.yaml --expect-workers 2)")
		return exitUsage
	case mf.expect < 1:
		fmt.Fprintln(e.stderr, "loadrun master: --expect-workers N is required (at least 1): the test starts when N workers have joined")
		return exitUsage
	case f.users < 0 || f.iterations < 0:
		fmt.Fprintln(e.stderr, "loadrun master: -u and -n must not be negative")
		return exitUsage
	case mf.nats == "" && !cluster.Loopback(mf.bind) && mf.token == "":
		fmt.Fprintf(e.stderr, "loadrun master: --bind %s reaches beyond this machine: give --token SECRET (and the same --token to every worker), or keep --bind on 127.0.0.1\n", mf.bind)
		return exitUsage
	}
	if err := session.CheckRate(f.rate); err != nil {
		fmt.Fprintln(e.stderr, "loadrun master: -r:", err)
		return exitUsage
	}
	if err := f.web.check(fs); err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitUsage
	}
	if f.interval <= 0 {
		f.interval = 2 * time.Second
	}
	if f.fullHistory && f.csv != "" && f.web.on {
		// As with run --web: the page can reset the statistics, and the
		// per-request rows are written for a test started from the command line.
		fmt.Fprintln(e.stderr, "loadrun master: --csv-full-history works without --web")
		return exitUsage
	}
	out := session.Reports{CSV: f.csv, JSON: f.json, HTML: f.html, JUnit: f.junit}
	if err := out.Check(); err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitUsage
	}
	if f.fullHistory && f.csv != "" {
		hist, err := reports.CreateHistory(f.csv + "_stats_history.csv")
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun master: --csv:", err)
			return exitUsage
		}
		// Closed by finishReports, or here if the run never starts.
		defer hist.Close(nil)
		out.History = hist
	}
	if f.demo {
		addr, stop, err := startDemo()
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun master: demo target:", err)
			return exitFailed
		}
		defer stop()
		f.host = addr
		fmt.Fprintf(e.stderr, "Demo target serving on %s\n", addr)
	}
	plan, ok := loadPlan(files[0], engine.CompileOptions{Host: f.host, Thresholds: f.thresholds}, e)
	if !ok {
		return exitUsage
	}
	sc := plan.Scenario
	if f.web.on {
		if err := webShape(f, sc); err != nil {
			fmt.Fprintln(e.stderr, "loadrun master --web:", err)
			return exitUsage
		}
	}
	shape, err := masterShape(&f, sc, mf.expect)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitUsage
	}
	bundle, err := cluster.NewBundle(files[0], sc)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitUsage
	}
	bundle.Args = workerArgs(fs)
	if f.demo {
		bundle.Args = append(bundle.Args, "--host="+f.host)
	}
	pools, err := cluster.MasterPools(sc)
	if err != nil {
		printScenarioError(e.stderr, err)
		return exitUsage
	}
	url, joinAt := mf.nats, mf.bind
	if url == "" {
		srv, err := cluster.Serve(mf.bind, mf.token)
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun master:", err)
			return exitUsage
		}
		defer srv.Close()
		url, joinAt = srv.URL(), srv.Addr()
		fmt.Fprintf(e.stderr, "Master listening on %s\n", joinAt)
	}
	nc, err := cluster.Connect(url, mf.token, "loadrun master")
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitUsage
	}
	defer nc.Close()
	var weights []int
	for _, u := range sc.Users {
		weights = append(weights, u.Weight)
	}
	cfg := cluster.MasterConfig{
		Conn: nc, Version: version, Token: mf.token, Bundle: bundle, Weights: weights, Fixed: fixedCounts(sc), Pools: pools,
		Users: f.users, Rate: f.rate, Iterations: f.iterations, RunTime: f.runTime, Shape: shape, Log: e.stderr,
		Stay: f.web.on, // the web UI runs test after test with the same workers
	}
	m, err := cluster.NewMaster(cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitFailed
	}
	defer m.Close()
	fmt.Fprintf(e.stderr, "Waiting for %d worker(s): loadrun worker %s\n", mf.expect, workerHint(mf, joinAt, url))
	if f.web.on {
		next := func() (*cluster.Master, error) {
			// Each test lends the rows of fresh unique pools, as run --web's.
			pools, err := cluster.MasterPools(sc)
			if err != nil {
				return nil, err
			}
			c := cfg
			c.Pools = pools
			return cluster.NewMaster(c)
		}
		return masterWeb(m, next, plan, f, mf.expect, out, files[0], e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- m.WaitWorkers(ctx, mf.expect) }()
	select {
	case err := <-waited:
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun master:", err)
			return exitFailed
		}
	case <-e.signals:
		cancel()
		// The workers that joined exit now rather than when they find the
		// master silent.
		m.Dismiss("the master was interrupted before the test started")
		fmt.Fprintln(e.stderr, "Interrupted before the test started: nothing was run.")
		return exitNoTarget
	}
	if shape != nil {
		fmt.Fprintf(e.stderr, "Load: %s, over %d worker(s)\n", f.shape.desc, mf.expect)
	} else {
		fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second over %d worker(s)\n", f.users, f.rate, mf.expect)
	}
	if err := m.Start(); err != nil {
		fmt.Fprintln(e.stderr, "loadrun master:", err)
		return exitFailed
	}
	return masterLoop(m, plan, f, out, files[0], e, nil)
}

// masterFlagSet is the flag set of `loadrun master`: every flag of run and
// the master's own (deploy/'s manifests are checked against it).
func masterFlagSet(w io.Writer) (*flag.FlagSet, *runFlags, *masterFlags) {
	f := &runFlags{stopTimeout: engine.DefaultStopTimeout}
	mf := &masterFlags{}
	fs := newFlagSet("master", w)
	f.register(fs)
	fs.IntVar(&mf.expect, "expect-workers", 0, "start the test when this many workers have joined")
	fs.StringVar(&mf.bind, "bind", "127.0.0.1:4222", "address of the embedded NATS server workers join (beyond loopback only with --token)")
	fs.StringVar(&mf.nats, "nats", "", "use this existing NATS server (nats://HOST:PORT) instead of an embedded one")
	fs.StringVar(&mf.token, "token", "", "secret every worker must give (--token on the worker too)")
	fs.Usage = func() {
		fmt.Fprintln(w, "Usage: loadrun master FILE --expect-workers N [--bind 127.0.0.1:4222] [--nats nats://HOST:PORT] [--token SECRET] [flags of loadrun run]")
		fs.PrintDefaults()
	}
	return fs, f, mf
}

// workerHint is the worker command line that joins this master.
func workerHint(mf masterFlags, addr, url string) string {
	s := "--master " + addr
	if mf.nats != "" {
		s = "--nats " + url
	}
	if mf.token != "" {
		s += " --token SECRET"
	}
	return s
}

// masterLoop prints the live tables, applies aborting thresholds to the
// merged statistics and handles Ctrl-C until every worker's final
// statistics are in; then it writes every report.
//
// ended, when not nil, gets the run's result before its reports are written
// (the web UI shows its verdict).
func masterLoop(m *cluster.Master, plan *engine.Plan, f runFlags, out session.Reports, file string, e env, ended func(*session.Result)) int {
	live := !(f.quiet || f.onlySummary)
	print := time.NewTicker(f.interval)
	defer print.Stop()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	var aborted []int
	var prev *stats.Snapshot // the last snapshot written to the full history
	start, _ := m.Times()
	interrupts := 0
wait:
	for {
		select {
		case <-m.Done():
			break wait
		case <-e.signals:
			interrupts++
			if interrupts == 1 {
				fmt.Fprintln(e.stderr, "Stopping: every worker's users finish their task (Ctrl-C again to stop at once)")
				m.Stop("stopped")
			} else {
				m.Kill("killed")
			}
		case now := <-check.C:
			if out.History != nil {
				// --csv-full-history: this second's rows, from the merged
				// statistics less those of the second before.
				if s := m.Snapshot(); s != nil {
					out.History.Tick(cluster.WithInterval(prev, s))
					prev = s
				}
			}
			if i, reason := abortingRule(plan, m, now.Sub(start)); reason != "" {
				aborted = append(aborted, i)
				m.Stop(reason)
			}
		case <-print.C:
			if live {
				snap := m.Snapshot()
				reports.WriteStatsTable(e.stdout, snap)
				running, target := m.Users()
				if line := f.shape.masterShapeLine(m); line != "" {
					fmt.Fprintln(e.stdout, line)
				}
				fmt.Fprintf(e.stdout, "Users: %d/%d\n", running, target)
				reports.WriteWorkers(e.stdout, workerRows(m))
			}
		}
	}
	fmt.Fprintf(e.stderr, "Run ended: %s\n", m.Reason())
	snap := m.Snapshot()
	results := make([]thresholds.Result, 0, len(plan.Thresholds()))
	for i, t := range plan.Thresholds() {
		res := t.Eval(snap)
		res.Aborted = slices.Contains(aborted, i)
		results = append(results, res)
	}
	start, end := m.Times()
	workers := workerRows(m)
	run := reports.Run{
		Scenario:   plan.Scenario.Name,
		File:       file,
		Host:       plan.Host(),
		Users:      f.users,
		SpawnRate:  f.rate,
		RunTime:    f.runTime,
		Iterations: f.iterations,
		Start:      start,
		End:        end,
		Thresholds: results,
		Warnings:   append(engine.Warnings(snap), lostWarnings(m.Workers())...),
		Version:    version,
		Workers:    workers,
	}
	f.shape.shapeReport(&run)
	run.Verdict = session.Judge(session.Outcome{Snapshot: snap, Thresholds: results, Answered: m.Answered(), Users: run.Users})
	reports.WriteSummary(e.stdout, run, snap)
	reports.WriteWorkers(e.stdout, workers)
	res := &session.Result{Run: run, Snapshot: snap}
	if out.History != nil {
		res.LastTick = cluster.WithInterval(prev, snap)
	}
	if ended != nil {
		ended(res)
	}
	return finishReports(res, out, e)
}

// abortingRule is the first aborting threshold that can no longer pass on
// the merged statistics, and the reason the run ends ("" for none).
func abortingRule(plan *engine.Plan, m *cluster.Master, elapsed time.Duration) (int, string) {
	var snap *stats.Snapshot
	for i, t := range plan.Thresholds() {
		if !t.Abort || elapsed < t.Grace {
			continue
		}
		if snap == nil {
			if snap = m.Snapshot(); snap == nil {
				return 0, ""
			}
		}
		if t.CanNeverPass(snap) {
			name := t.Rule
			if t.Request != "" {
				name = t.Request + ": " + name
			}
			return i, fmt.Sprintf("threshold %q failed (abort)", name)
		}
	}
	return 0, ""
}

// workerRows is the master's workers table as reports show it.
func workerRows(m *cluster.Master) []reports.Worker {
	var out []reports.Worker
	for _, w := range m.Workers() {
		out = append(out, reports.Worker{Name: w.Name, Host: w.Host, State: w.State, Users: w.Users,
			Requests: w.Requests, Failures: w.Failures, CPU: w.CPU, Lost: w.Lost})
	}
	return out
}

// lostWarnings tell the reader which workers were lost: their numbers are
// those of their last report, and their users ran on the others after.
func lostWarnings(workers []cluster.WorkerInfo) []string {
	var out []string
	for _, w := range workers {
		lost := fmt.Sprintf("worker %s (%s) was lost at %s (silent for %s): its users were restarted on the other workers; ",
			w.Name, w.Host, w.Lost.Format("15:04:05"), cluster.LostAfter)
		switch {
		case w.Lost.IsZero():
		case w.Complete:
			out = append(out, lost+"it was only cut off, and its final statistics, which came in later, are counted")
		default:
			out = append(out, lost+"its statistics are those of its last report, so the requests it made after that report are not counted "+
				"(about its last second of load; more if it kept running cut off from the master)")
		}
	}
	return out
}

// finishReports writes every report of the set and returns the exit code.
func finishReports(res *session.Result, out session.Reports, e env) int {
	v := res.Run.Verdict
	code := v.ExitCode
	err := interruptible(e, func() error { return out.Write(res) })
	switch {
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(e.stderr, "loadrun: interrupted while writing reports: they may be incomplete")
		code = max(code, exitFailed)
	case err != nil:
		fmt.Fprintln(e.stderr, "loadrun:", err)
		code = max(code, exitFailed)
	}
	printVerdict(e.stderr, v)
	return code
}

// printVerdict writes the run's one-line result, as every command that
// runs a test ends: "Result: PASSED — why", "Result: FAILED — why", or,
// when nothing was measured, what happened.
func printVerdict(w io.Writer, v reports.Verdict) {
	switch v.ExitCode {
	case exitNoTarget:
		fmt.Fprintln(w, capitalize(v.Reason)+".")
	case exitFailed:
		fmt.Fprintln(w, "Result: FAILED — "+v.Reason)
	default:
		fmt.Fprintln(w, "Result: PASSED — "+v.Reason)
	}
}
