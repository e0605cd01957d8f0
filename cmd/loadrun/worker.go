package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/cluster"
	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// workerFlags are the flags of `loadrun worker`.
type workerFlags struct {
	master, nats, name, token string
	// wait is how long to keep trying to reach a master that is not up
	// yet (workers may start first, as pods of a Deployment do).
	wait time.Duration
}

// workerFlagSet is the flag set of `loadrun worker` (deploy/'s manifests
// are checked against it).
func workerFlagSet(w io.Writer) (*flag.FlagSet, *workerFlags) {
	wf := &workerFlags{}
	fs := newFlagSet("worker", w)
	fs.StringVar(&wf.master, "master", "", "the master's address, HOST:PORT (its --bind)")
	fs.StringVar(&wf.nats, "nats", "", "an existing NATS server the master uses, nats://HOST:PORT")
	host, _ := os.Hostname()
	fs.StringVar(&wf.name, "name", fmt.Sprintf("%s-%d", host, os.Getpid()), "this worker's name in the master's workers table")
	fs.StringVar(&wf.token, "token", "", "the master's --token")
	fs.DurationVar(&wf.wait, "connect-timeout", time.Minute, "how long to keep trying to reach a master that is not up yet (0: try once)")
	fs.Usage = func() {
		fmt.Fprintln(w, "Usage: loadrun worker (--master HOST:PORT | --nats nats://HOST:PORT) [--name NAME] [--token SECRET] [--connect-timeout 1m]")
		fs.PrintDefaults()
	}
	return fs, wf
}

// workerCmd joins a master and runs its share of the test:
//
//	loadrun worker (--master HOST:PORT | --nats nats://HOST:PORT) [--name NAME] [--token SECRET]
func workerCmd(args []string, e env) int {
	fs, wf := workerFlagSet(e.stderr)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	switch {
	case len(rest) > 0:
		fmt.Fprintf(e.stderr, "loadrun worker: unexpected %q: a worker gets its scenario from the master\n", rest[0])
		return exitUsage
	case (wf.master == "") == (wf.nats == ""):
		fmt.Fprintln(e.stderr, "loadrun worker: give --master HOST:PORT or --nats nats://HOST:PORT (one of them)")
		return exitUsage
	}
	url := wf.nats
	if url == "" {
		url = "nats://" + wf.master
	}
	nc, err := connectMaster(url, wf, e)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(e.stderr, "Worker interrupted while waiting for the master.")
		return exitFailed
	} else if err != nil {
		fmt.Fprintln(e.stderr, "loadrun worker:", err)
		return exitUsage
	}
	defer nc.Close()
	dir, err := os.MkdirTemp("", "loadrun-worker-")
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun worker:", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Ctrl-C on a worker stops its users at once; the master loses it
		// and restarts its users elsewhere.
		select {
		case <-e.signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	fmt.Fprintf(e.stderr, "Worker %s connecting to %s\n", wf.name, url)
	for test := 1; ; test++ {
		// Each test's scenario and data files in a folder of their own.
		testDir := filepath.Join(dir, strconv.Itoa(test))
		if err = os.Mkdir(testDir, 0o700); err != nil {
			break
		}
		cfg := cluster.WorkerConfig{
			Conn:    nc,
			Name:    wf.name,
			Version: version,
			Token:   wf.token,
			Dir:     testDir,
			Log:     e.stderr,
			NewRun: func(sc *scenario.Scenario, h cluster.Hooks, args []string) (cluster.Run, error) {
				return newWorkerRun(sc, h, args, e.stderr)
			},
		}
		if test > 1 {
			// A master that quit between tests sends away the workers that
			// joined its next one; one that could not (it quit while this
			// worker was joining) is silent.
			cfg.JoinWithin = cluster.OrphanAfter
		}
		err = cluster.RunWorker(ctx, cfg)
		if test > 1 && errors.Is(err, cluster.ErrNoMaster) {
			fmt.Fprintln(e.stderr, "The master is gone: no next test.")
			err = nil
			break
		}
		if !errors.Is(err, cluster.ErrNextTest) {
			break
		}
		// A master serving the web UI runs test after test.
		fmt.Fprintln(e.stderr, "Test done; joining the master's next test.")
		_ = os.RemoveAll(testDir)
	}
	switch {
	case err == nil:
		fmt.Fprintln(e.stderr, "Worker done.")
		return exitOK
	case errors.Is(err, cluster.ErrRefused):
		fmt.Fprintln(e.stderr, "loadrun worker:", termsafe.Text(err.Error()))
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "Worker interrupted: users stopped.")
		return exitFailed
	default:
		// The error may quote what the master shipped (a scenario's
		// line, its flags): text, never a terminal escape.
		fmt.Fprintln(e.stderr, "loadrun worker:", termsafe.Text(err.Error()))
		return exitFailed
	}
}

// connectMaster connects to the master's NATS server at url, trying again
// every second while nothing answers there, for up to wf.wait or until
// Ctrl-C. A refused token or another error ends it at once.
func connectMaster(url string, wf *workerFlags, e env) (*nats.Conn, error) {
	deadline := time.Now().Add(wf.wait)
	said := false
	for {
		nc, err := cluster.Connect(url, wf.token, "loadrun worker "+wf.name)
		if err == nil || !errors.Is(err, cluster.ErrNoServer) || !time.Now().Before(deadline) {
			if err != nil && said {
				err = fmt.Errorf("%w; gave up after --connect-timeout %s", err, wf.wait)
			}
			return nc, err
		}
		if !said {
			fmt.Fprintf(e.stderr, "Worker %s waiting for the master at %s (trying every second for up to %s)\n", wf.name, url, wf.wait)
			said = true
		}
		select {
		case <-e.signals:
			return nil, fmt.Errorf("interrupted while waiting for the master: %w", context.Canceled)
		case <-time.After(time.Second):
		}
	}
}

// workerRun is a worker's engine run of the shipped scenario, with the
// cluster's pools, barriers, iteration budget and user numbering plugged in.
type workerRun struct {
	*engine.Runner
}

// newWorkerRun compiles the shipped scenario with the master's run flags.
func newWorkerRun(sc *scenario.Scenario, h cluster.Hooks, args []string, log io.Writer) (cluster.Run, error) {
	f, err := shippedFlags(args)
	if err != nil {
		return nil, err
	}
	open := func(def *scenario.Pool, dir string) (datasource.Pool, error) {
		if def.Mode != scenario.UniqueOnce && def.Mode != scenario.UniqueRecycle {
			return datasource.Open(def, dir)
		}
		// The rows are read here, the ids of free rows come from the master.
		p, err := datasource.Open(def, dir)
		if err != nil {
			return nil, err
		}
		return datasource.OpenShared(def, dir, h.Lender(def, p.Len()))
	}
	plan, err := engine.Compile(sc, engine.CompileOptions{Host: f.host, OpenPool: open})
	if err != nil {
		return nil, err
	}
	opts, err := f.engineOptions(log)
	if err != nil {
		return nil, err
	}
	opts.Barrier = func(def *scenario.Rendezvous) (rendezvous.Barrier, error) { return h.Barrier(def), nil }
	opts.UserIDBase = h.UserIDBase
	if h.Seed != 0 {
		opts.Seed = h.Seed // an open-model run: every worker walks the same arrivals
	}
	if h.Budget != nil {
		opts.Budget = h.Budget
	}
	return &workerRun{engine.NewRunner(plan, opts)}, nil
}

// shippedFlags are the run flags the master shipped (those given to it,
// workerArgs), over run's defaults.
func shippedFlags(args []string) (runFlags, error) {
	f := runFlags{stopTimeout: engine.DefaultStopTimeout}
	fs := flag.NewFlagSet("master flags", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("the master's flags (%s): %w", strings.Join(args, " "), err)
	}
	return f, nil
}

// engineOptions are the engine settings the flags give, `run`'s and a
// worker's alike: what shapes requests, not when the run ends (run adds
// -t and -n; on a worker the master ends it).
func (f *runFlags) engineOptions(log io.Writer) (engine.Options, error) {
	stopTimeout := f.stopTimeout
	if stopTimeout == 0 {
		stopTimeout = -1 // --stop-timeout 0: cut users at once
	}
	o := engine.Options{
		StopTimeout: stopTimeout,
		Timeout:     f.timeout,
		Insecure:    f.insecure,
		Phases:      f.phases,
		Log:         log,
		Verbose:     f.verbose,
		Seed:        f.seed,
	}
	return o, f.http.apply(&o)
}

func (w *workerRun) Start(counts []int, rate float64) error    { return w.StartSplit(counts, rate) }
func (w *workerRun) SetUsers(counts []int, rate float64) error { return w.SetSplit(counts, rate) }
func (w *workerRun) Users() int {
	running, _ := w.Runner.Users()
	return running
}
func (w *workerRun) Snapshot() *stats.Snapshot { return w.Runner.Snapshot() }

// workerArgs are the run flags a master passes on to its workers, as
// --name=value: those set on its command line that shape requests. Users,
// rate, run time, iterations, reports and thresholds stay with the master,
// and so do flags that are not run flags (its own, --web, …).
func workerArgs(master *flag.FlagSet) []string {
	var f runFlags
	known := flag.NewFlagSet("run", flag.ContinueOnError)
	f.register(known)
	var out []string
	master.Visit(func(fl *flag.Flag) {
		if known.Lookup(fl.Name) == nil || masterOnly[fl.Name] {
			return
		}
		v := fl.Value.String()
		if _, ok := fl.Value.(durationValue); ok && v == "" {
			// A duration of 0 prints as nothing (so that -h shows no
			// default); --stop-timeout 0 means something.
			v = "0"
		}
		out = append(out, "--"+fl.Name+"="+v)
	})
	return out
}

// masterOnly are the run flags that a master keeps.
var masterOnly = map[string]bool{
	"u": true, "users": true, "r": true, "spawn-rate": true, "t": true, "run-time": true,
	"n": true, "iterations": true, "csv": true, "csv-full-history": true, "html": true,
	"json": true, "junit": true, "threshold": true, "q": true, "only-summary": true,
	"print-interval": true, "demo": true, "web": true, "web-addr": true, "web-auth": true,
	"autostart": true, "autoquit": true,
	// The master follows the load shape and deals it to the workers.
	"stages": true, "arrival-rate": true, "max-users": true, "arrivals": true,
}
