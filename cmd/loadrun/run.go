package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/session"
	"github.com/loadrun/loadrun/stats"
)

// runFlags are the flags of `loadrun run`, named as Locust names them.
type runFlags struct {
	users       int
	rate        float64
	runTime     time.Duration
	iterations  int64
	host        string
	csv         string
	html        string
	json        string
	junit       string
	thresholds  []string
	verbose     bool
	quiet       bool
	interval    time.Duration
	stopTimeout time.Duration
	timeout     time.Duration
	insecure    bool
	phases      bool
	seed        uint64
	fullHistory bool
	onlySummary bool
	demo        bool
	http        httpFlags
	shape       shapeFlags
	web         webFlags // web.go
}

func (f *runFlags) register(fs *flag.FlagSet) {
	for _, n := range []string{"u", "users"} {
		fs.IntVar(&f.users, n, 1, "peak number of concurrent users")
	}
	for _, n := range []string{"r", "spawn-rate"} {
		fs.Float64Var(&f.rate, n, 1, "users started per second (0: all at once)")
	}
	for _, n := range []string{"t", "run-time"} {
		fs.Var(durationValue{&f.runTime}, n, "stop after this long, e.g. 30s, 5m, 1h30m (default: until -n or Ctrl-C)")
	}
	for _, n := range []string{"n", "iterations"} {
		fs.Int64Var(&f.iterations, n, 0, "stop after this many task iterations in total")
	}
	for _, n := range []string{"H", "host"} {
		fs.StringVar(&f.host, n, "", "host to load, overriding the scenario's host (e.g. http://127.0.0.1:8080)")
	}
	fs.StringVar(&f.csv, "csv", "", "write Locust-compatible CSV files PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv, PREFIX_exceptions.csv, PREFIX_checks.csv (a scenario with checks), PREFIX_workers.csv (a master)")
	fs.BoolVar(&f.fullHistory, "csv-full-history", false, "with --csv: per-request rows in PREFIX_stats_history.csv at every tick, as Locust's, written as the run goes")
	fs.StringVar(&f.html, "html", "", "write a self-contained HTML report to FILE")
	fs.StringVar(&f.json, "json", "", "write the JSON summary to FILE")
	fs.StringVar(&f.junit, "junit", "", "write JUnit XML (a test case per threshold and checkpoint) to FILE")
	fs.Var(listValue{&f.thresholds}, "threshold", `pass/fail rule, repeatable: "p95 < 300ms" or "GET /cart: p99 < 800ms"`)
	fs.BoolVar(&f.verbose, "v", false, "verbose: show log steps")
	fs.BoolVar(&f.quiet, "q", false, "quiet: no live stats tables")
	fs.BoolVar(&f.onlySummary, "only-summary", false, "print only the final summary (same as -q)")
	fs.Var(durationValue{&f.interval}, "print-interval", "how often the live stats table is printed (default 2s)")
	fs.Var(durationValue{&f.stopTimeout}, "stop-timeout", "how long stopping users may finish their task (0: cut them at once)")
	fs.Var(durationValue{&f.timeout}, "timeout", "request timeout for requests that set none (default 60s)")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.BoolVar(&f.phases, "phases", false, "time each request's connect, TLS handshake, wait (to first byte) and download, and report them")
	fs.Uint64Var(&f.seed, "seed", 0, "seed for task choice and random waits (0: random)")
	fs.BoolVar(&f.demo, "demo", false, "start the built-in demo target in-process and point the scenario at it")
	f.http.register(fs)
	f.shape.register(fs)
	f.web.register(fs)
}

// loadPlan loads and compiles a scenario in one pass, printing every
// problem of every layer. A signal interrupts it (a data file that never
// ends must not make loadrun deaf).
func loadPlan(file string, opts engine.CompileOptions, e env) (*engine.Plan, bool) {
	var plan *engine.Plan
	err := interruptible(e, func() (err error) {
		plan, err = engine.LoadPlan(file, opts)
		return err
	})
	switch {
	case errors.Is(err, errInterrupted):
		fmt.Fprintf(e.stderr, "%s: interrupted while loading\n", file)
		return nil, false
	case err != nil:
		printScenarioError(e.stderr, err)
		return nil, false
	}
	return plan, true
}

func printScenarioError(w io.Writer, err error) {
	var list scenario.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		fmt.Fprintf(w, "%d problem(s) found\n", len(list))
		return
	}
	fmt.Fprintln(w, err)
}

// errInterrupted is what an interrupted phase returns.
var errInterrupted = errors.New("interrupted")

// interruptible runs fn, giving up on it when a signal arrives: a phase
// that blocks (a data file that never ends, a report on a stuck disk)
// still answers Ctrl-C at once. fn may go on in the background; the
// process is about to exit.
func interruptible(e env, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-e.signals:
		return errInterrupted
	}
}

func runCmd(args []string, e env) int {
	f := runFlags{stopTimeout: engine.DefaultStopTimeout}
	fs := newFlagSet("run", e.stderr)
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: loadrun run FILE [flags]")
		fs.PrintDefaults()
	}
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	f.shape.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.shape.set[fl.Name] = true })
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "loadrun run: give exactly one scenario file (loadrun run scenario.yaml)")
		return exitUsage
	}
	if f.users < 0 || f.iterations < 0 {
		fmt.Fprintln(e.stderr, "loadrun run: -u and -n must not be negative")
		return exitUsage
	}
	if err := session.CheckRate(f.rate); err != nil {
		fmt.Fprintln(e.stderr, "loadrun run: -r:", err)
		return exitUsage
	}
	if err := f.web.check(fs); err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	if f.interval <= 0 {
		f.interval = 2 * time.Second
	}
	out := session.Reports{CSV: f.csv, JSON: f.json, HTML: f.html, JUnit: f.junit}
	if err := out.Check(); err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	if f.demo {
		addr, stop, err := startDemo()
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun run: demo target:", err)
			return exitFailed
		}
		defer stop()
		f.host = addr
		fmt.Fprintf(e.stderr, "Demo target serving on %s\n", addr)
	}
	opts, err := f.engineOptions(e.stderr)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	opts.RunTime, opts.Iterations = f.runTime, f.iterations
	cfg := session.Config{
		Compile: engine.CompileOptions{Host: f.host, Thresholds: f.thresholds},
		Engine:  opts,
		File:    files[0],
		Version: version,
	}
	if f.web.on {
		if f.fullHistory && f.csv != "" {
			// A web run can be started again and again; the per-request
			// rows are written for one run started from the command line.
			fmt.Fprintln(e.stderr, "loadrun run: --csv-full-history works without --web")
			return exitUsage
		}
		return runWeb(files[0], cfg, f, out, e)
	}
	var sess *session.Session
	if f.fullHistory && f.csv != "" {
		hist, err := reports.CreateHistory(f.csv + "_stats_history.csv")
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun run: --csv:", err)
			return exitUsage
		}
		// Closed by finishRun's reports, or here if the run never starts.
		defer hist.Close(nil)
		out.History = hist
		// sess is set before Start, so before the first tick.
		cfg.Engine.OnTick = func(time.Time) { hist.Tick(sess.Snapshot()) }
	}
	err = interruptible(e, func() (err error) {
		sess, err = session.Load(files[0], cfg)
		return err
	})
	switch {
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(e.stderr, "Interrupted while loading the scenario: nothing was run.")
		return exitNoTarget
	case err != nil:
		printScenarioError(e.stderr, err)
		return exitUsage
	}
	shape, desc, err := f.shape.resolve(sess.Plan().Scenario, f.runTime)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	if shape != nil {
		fmt.Fprintf(e.stderr, "Load: %s\n", desc)
		err = sess.StartShape(shape, desc)
	} else {
		if f.rate == 0 {
			fmt.Fprintf(e.stderr, "Starting %d users all at once\n", f.users)
		} else {
			fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second\n", f.users, f.rate)
		}
		err = sess.Start(f.users, f.rate)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	if shape == nil && f.users == 0 {
		// Nothing will ever run: end now rather than wait for -t or Ctrl-C.
		sess.End("no users (-u 0)")
	}
	live := !(f.quiet || f.onlySummary)
	ticker := time.NewTicker(f.interval)
	defer ticker.Stop()
	interrupts := 0
wait:
	for {
		select {
		case <-sess.Done():
			break wait
		case <-e.signals:
			interrupts++
			if interrupts == 1 {
				fmt.Fprintln(e.stderr, "Stopping: users finish their task (Ctrl-C again to stop at once)")
				sess.Stop()
			} else {
				sess.Kill()
			}
		case <-ticker.C:
			if live {
				snap := sess.Snapshot()
				reports.WriteStatsTable(e.stdout, snap)
				fmt.Fprintln(e.stdout, statusLine(sess, snap))
				fmt.Fprintln(e.stdout)
			}
		}
	}
	fmt.Fprintf(e.stderr, "Run ended: %s\n", sess.Reason())
	return finishRun(sess, out, e)
}

// statusLine tells the users running and loadrun's own CPU use, with a
// warning when the generator is the bottleneck: its latencies then include
// its own queueing.
func statusLine(sess *session.Session, s *stats.Snapshot) string {
	running, target := sess.Users()
	line := fmt.Sprintf("Users: %d/%d   loadrun CPU: %.0f%%", running, target, s.CPU)
	if _, ok := sess.Shape(); ok {
		var perSec float64
		var dropped int64
		if n := len(s.History); n > 0 {
			perSec = s.History[n-1].DroppedPerSec
		}
		if s.Open != nil {
			dropped = s.Open.Dropped
		}
		line = shapeLine(sess, perSec, dropped) + "\n" + fmt.Sprintf("Users: %d   loadrun CPU: %.0f%%", running, s.CPU)
	}
	if s.CPU >= saturatedCPU {
		line += "   ! generator saturated: response times include loadrun's own queueing"
	}
	return line
}

// saturatedCPU is the CPU use (percent of the cores loadrun may use) from
// which the generator is called saturated, as stats.Snapshot.Saturated is.
const saturatedCPU = 90

// finishRun prints the summary, writes every report from the session's one
// final result, so that they agree, and returns the verdict's exit code.
func finishRun(sess *session.Session, out session.Reports, e env) int {
	res := sess.Result()
	reports.WriteSummary(e.stdout, res.Run, res.Snapshot)
	return finishReports(res, out, e)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
