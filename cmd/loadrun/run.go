package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	htmlreport "github.com/loadrun/loadrun/reports/html"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
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
	fs.StringVar(&f.csv, "csv", "", "write Locust-compatible CSV files PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv")
	fs.BoolVar(&f.fullHistory, "csv-full-history", false, "accepted for Locust compatibility")
	fs.StringVar(&f.html, "html", "", "write a self-contained HTML report to FILE")
	fs.StringVar(&f.json, "json", "", "write the JSON summary to FILE")
	fs.StringVar(&f.junit, "junit", "", "write JUnit XML (a test case per threshold and checkpoint) to FILE")
	fs.Var(listValue{&f.thresholds}, "threshold", `pass/fail rule, repeatable: "p95 < 300ms" or "GET /cart: p99 < 800ms"`)
	fs.BoolVar(&f.verbose, "v", false, "verbose: show log steps")
	fs.BoolVar(&f.quiet, "q", false, "quiet: no live stats tables")
	fs.BoolVar(&f.onlySummary, "only-summary", false, "print only the final summary (same as -q)")
	fs.Var(durationValue{&f.interval}, "print-interval", "how often the live stats table is printed (default 2s)")
	fs.Var(durationValue{&f.stopTimeout}, "stop-timeout", "how long stopping users may finish their task (default 5s)")
	fs.Var(durationValue{&f.timeout}, "timeout", "request timeout for requests that set none (default 60s)")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.BoolVar(&f.phases, "phases", false, "time each request's connect, TLS handshake, wait (to first byte) and download, and report them")
	fs.Uint64Var(&f.seed, "seed", 0, "seed for task choice and random waits (0: random)")
	fs.BoolVar(&f.demo, "demo", false, "start the built-in demo target in-process and point the scenario at it")
}

// loadPlan loads and compiles a scenario, printing every problem.
func loadPlan(file string, opts engine.CompileOptions, e env) (*engine.Plan, bool) {
	sc, err := scenario.Load(file)
	if err != nil {
		printScenarioError(e.stderr, err)
		return nil, false
	}
	plan, err := engine.Compile(sc, opts)
	if err != nil {
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

func runCmd(args []string, e env) int {
	var f runFlags
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
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "loadrun run: give exactly one scenario file (loadrun run scenario.yaml)")
		return exitUsage
	}
	if f.users < 0 || f.rate < 0 || f.iterations < 0 {
		fmt.Fprintln(e.stderr, "loadrun run: -u, -r and -n must not be negative")
		return exitUsage
	}
	if f.interval <= 0 {
		f.interval = 2 * time.Second
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
	plan, ok := loadPlan(files[0], engine.CompileOptions{Host: f.host, Thresholds: f.thresholds}, e)
	if !ok {
		return exitUsage
	}
	opts := engine.Options{
		RunTime:     f.runTime,
		Iterations:  f.iterations,
		StopTimeout: f.stopTimeout,
		Timeout:     f.timeout,
		Insecure:    f.insecure,
		Phases:      f.phases,
		Log:         e.stderr,
		Seed:        f.seed,
	}
	opts.Verbose = f.verbose
	r := engine.NewRunner(plan, opts)
	fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second\n", f.users, f.rate)
	if err := r.Start(f.users, f.rate); err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	live := !(f.quiet || f.onlySummary)
	ticker := time.NewTicker(f.interval)
	defer ticker.Stop()
	interrupts := 0
wait:
	for {
		select {
		case <-r.Done():
			break wait
		case <-e.signals:
			interrupts++
			if interrupts == 1 {
				fmt.Fprintln(e.stderr, "Stopping: users finish their task (Ctrl-C again to stop at once)")
				r.Stop()
			} else {
				r.Kill()
			}
		case <-ticker.C:
			if live {
				snap := r.Snapshot()
				reports.WriteStatsTable(e.stdout, snap)
				fmt.Fprintln(e.stdout, statusLine(r, snap))
				fmt.Fprintln(e.stdout)
			}
		}
	}
	fmt.Fprintf(e.stderr, "Run ended: %s\n", r.Reason())
	return finishRun(r, plan, f, files[0], e)
}

// statusLine tells the users running and loadrun's own CPU use, with a
// warning when the generator is the bottleneck: its latencies then include
// its own queueing.
func statusLine(r *engine.Runner, s *stats.Snapshot) string {
	running, target := r.Users()
	line := fmt.Sprintf("Users: %d/%d   loadrun CPU: %.0f%%", running, target, s.CPU)
	if s.CPU >= saturatedCPU {
		line += "   ! generator saturated: response times include loadrun's own queueing"
	}
	return line
}

// saturatedCPU is the CPU use (percent of the cores loadrun may use) from
// which the generator is called saturated, as stats.Snapshot.Saturated is.
const saturatedCPU = 90

// finishRun renders every report from one final snapshot, so that they
// agree, and turns the outcome into an exit code.
func finishRun(r *engine.Runner, plan *engine.Plan, f runFlags, file string, e env) int {
	snap := r.Snapshot()
	results := r.Thresholds(snap)
	start, end := r.Times()
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
		Warnings:   r.Warnings(snap),
		Version:    version,
	}
	reports.WriteSummary(e.stdout, run, snap)
	code := verdict(snap, results, r.Answered())
	if err := writeReports(f, run, snap); err != nil {
		fmt.Fprintln(e.stderr, "loadrun:", err)
		if code == exitOK {
			code = exitFailed
		}
	}
	switch code {
	case exitNoTarget:
		fmt.Fprintln(e.stderr, "The target never answered: check the host and that it is up.")
	case exitFailed:
		fmt.Fprintln(e.stderr, "Result: FAILED")
	default:
		fmt.Fprintln(e.stderr, "Result: PASSED")
	}
	return code
}

// verdict is the exit code of a finished run. With thresholds, they decide,
// and failed checkpoints fail the run unless a threshold rules on checks;
// without thresholds, any failed request fails the run (Locust's rule).
func verdict(s *stats.Snapshot, results []thresholds.Result, answered bool) int {
	if s.Total != nil && s.Total.Requests > 0 && !answered {
		return exitNoTarget
	}
	if len(results) == 0 {
		if s.Total != nil && s.Total.Failures > 0 {
			return exitFailed
		}
		return exitOK
	}
	checksRuled := false
	for _, res := range results {
		if !res.Pass {
			return exitFailed
		}
		if isChecksRule(res.Rule) {
			checksRuled = true
		}
	}
	if !checksRuled {
		for _, c := range s.Checks {
			if c.Fail > 0 {
				return exitFailed
			}
		}
	}
	return exitOK
}

// isChecksRule reports whether a rule is about checkpoints ("checks > 99%",
// "check_failures == 0"): such a rule then decides what failed checks mean.
func isChecksRule(rule string) bool {
	metric, _, _ := strings.Cut(strings.TrimSpace(rule), " ")
	return strings.HasPrefix(metric, "check")
}

func writeReports(f runFlags, run reports.Run, snap *stats.Snapshot) error {
	var errs []error
	if f.csv != "" {
		errs = append(errs, reports.WriteCSV(f.csv, run, snap))
	}
	write := func(path string, fn func(io.Writer, reports.Run, *stats.Snapshot) error) {
		if path == "" {
			return
		}
		out, err := os.Create(path)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if err := fn(out, run, snap); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
		if err := out.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	write(f.json, reports.WriteJSON)
	write(f.junit, reports.WriteJUnit)
	write(f.html, htmlreport.Write)
	return errors.Join(errs...)
}
