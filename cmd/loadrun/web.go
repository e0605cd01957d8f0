package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/session"
	"github.com/loadrun/loadrun/webui"
)

// webFlags are the flags of `loadrun run --web`.
type webFlags struct {
	on        bool
	addr      string
	auth      string
	autostart bool
	autoquit  float64
	set       map[string]bool // web flags given on the command line
}

// defaultWebAddr is Locust's port, on loopback only.
const defaultWebAddr = "127.0.0.1:8089"

func (w *webFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&w.on, "web", false, "serve the web UI and start load from it (or with --autostart)")
	fs.StringVar(&w.addr, "web-addr", defaultWebAddr, "address of the web UI; beyond loopback it needs --web-auth")
	fs.StringVar(&w.auth, "web-auth", "", "USER:PASS: every web UI request needs HTTP basic auth with them")
	fs.BoolVar(&w.autostart, "autostart", false, "with --web: start the test at once with -u, -r and -t")
	fs.Float64Var(&w.autoquit, "autoquit", -1, "with --web: quit this many seconds after a test ends (default: run until Ctrl-C)")
}

// check refuses web flags that cannot work, before anything starts.
func (w *webFlags) check(fs *flag.FlagSet) error {
	w.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { w.set[f.Name] = true })
	if !w.on {
		for _, name := range []string{"web-addr", "web-auth", "autostart", "autoquit"} {
			if w.set[name] {
				return fmt.Errorf("--%s needs --web", name)
			}
		}
		return nil
	}
	if w.set["autoquit"] && (w.autoquit < 0 || w.autoquit != w.autoquit || w.autoquit > 1e9) {
		return fmt.Errorf("--autoquit %v: give a number of seconds, 0 or more", w.autoquit)
	}
	if w.set["web-auth"] {
		user, pass, ok := strings.Cut(w.auth, ":")
		if !ok || user == "" || pass == "" {
			return errors.New("--web-auth: give USER:PASS, both not empty")
		}
	}
	if _, _, err := net.SplitHostPort(w.addr); err != nil {
		return fmt.Errorf("--web-addr %q: give HOST:PORT such as %s (%v)", w.addr, defaultWebAddr, err)
	}
	if !webui.LoopbackHost(w.addr) && w.auth == "" {
		return fmt.Errorf("--web-addr %s listens beyond this machine, where anyone who reaches it could start load: "+
			"give --web-auth USER:PASS, or listen on loopback (%s)", w.addr, defaultWebAddr)
	}
	return nil
}

// webRun is `loadrun run --web`: the page starts, steers and stops runs;
// each run that ends prints its summary, writes the report files and sets
// the exit code.
type webRun struct {
	f     runFlags
	out   session.Reports
	e     env
	local *webui.Local

	mu       sync.Mutex
	reported *session.Result // the last run whose reports are written
	code     int
	done     *sync.Cond    // signalled when reported changes
	ended    chan struct{} // a run ended (buffered: the main loop may be busy)
}

func runWeb(file string, cfg session.Config, f runFlags, out session.Reports, e env) int {
	sc, err := scenario.Load(file)
	if err != nil {
		printScenarioError(e.stderr, err)
		return exitUsage
	}
	if err := webShape(f, sc); err != nil {
		fmt.Fprintln(e.stderr, "loadrun run --web:", err)
		return exitUsage
	}
	w := &webRun{f: f, out: out, e: e, ended: make(chan struct{}, 1)}
	w.done = sync.NewCond(&w.mu)
	local, err := webui.NewLocal(sc, cfg, w.runEnded)
	if err != nil {
		printScenarioError(e.stderr, err)
		return exitUsage
	}
	w.mu.Lock()
	w.local = local
	w.mu.Unlock()
	served, closeWeb, err := serveWeb(local, local.Session().Plan().Host(), sc.Name, f, e)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun run:", err)
		return exitUsage
	}
	defer closeWeb()

	if f.web.autostart {
		fmt.Fprintf(e.stderr, "Ramping to %d users at a rate of %.2f per second\n", f.users, f.rate)
		if err := local.Start(webui.Params{Users: f.users, SpawnRate: f.rate, RunTime: f.runTime}); err != nil {
			fmt.Fprintln(e.stderr, "loadrun run:", err)
			return exitUsage
		}
	}
	return w.loop(local, served)
}

// webShape refuses a load shape with --web (run's and master's): the start
// form asks for users and a spawn rate, which is not what a shape (stages,
// an arrival rate) would run, so it is refused rather than ignored.
func webShape(f runFlags, sc *scenario.Scenario) error {
	shape, _, err := f.shape.resolve(sc, f.runTime)
	if err == nil && shape != nil {
		err = errors.New("the web UI runs tests of -u users spawned at -r per second; a load shape " +
			"(--stages, --arrival-rate or the scenario's load:) runs without --web")
	}
	return err
}

// serveWeb serves the web UI of ctrl on --web-addr (run --web and master
// --web share it): served receives the server's error if it stops; stop
// closes it.
func serveWeb(ctrl webui.Controller, host, title string, f runFlags, e env) (served <-chan error, stop func(), err error) {
	user, pass, _ := strings.Cut(f.web.auth, ":")
	srv := webui.New(ctrl, webui.Options{
		Defaults: webui.Params{Users: f.users, SpawnRate: f.rate, Host: host, RunTime: f.runTime},
		Title:    title,
		User:     user, Password: pass,
		Loopback: webui.LoopbackHost(f.web.addr),
		Version:  version,
	})
	ln, err := net.Listen("tcp", f.web.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--web-addr %s: %v", f.web.addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ch := make(chan error, 1)
	go func() { ch <- hs.Serve(ln) }()
	fmt.Fprintf(e.stderr, "Web UI on http://%s/ (Ctrl-C to quit)\n", ln.Addr())
	return ch, func() {
		srv.Close() // ends the event streams, which Shutdown would wait for
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
		}
	}, nil
}

// loop waits for Ctrl-C (which stops a running test gracefully, waits for
// its reports and quits; a second one stops it at once) or for --autoquit
// seconds after a test ended.
func (w *webRun) loop(local *webui.Local, served <-chan error) int {
	var quit <-chan time.Time
	for {
		select {
		case err := <-served:
			fmt.Fprintln(w.e.stderr, "loadrun run: web UI:", err)
			return max(w.exitCode(), exitFailed)
		case <-w.ended:
			if w.f.web.autoquit >= 0 {
				quit = time.After(time.Duration(w.f.web.autoquit * float64(time.Second)))
			}
		case <-quit:
			quit = nil
			if st := local.Session().State(); st == engine.Ready || st == engine.Stopped {
				return w.quit(local)
			}
			// A new test started meanwhile: quit after it.
		case <-w.e.signals:
			if st := local.Session().State(); st != engine.Ready && st != engine.Stopped {
				fmt.Fprintln(w.e.stderr, "Stopping: users finish their task (Ctrl-C again to stop at once)")
				local.Stop()
			}
			return w.quit(local)
		}
	}
}

// quit waits for the current test to end and its reports to be written
// (a Ctrl-C meanwhile stops it at once) and returns the exit code.
func (w *webRun) quit(local *webui.Local) int {
	sess := local.Session()
	if sess.State() == engine.Ready {
		return w.exitCode()
	}
	written := make(chan struct{})
	go func() {
		res := sess.Result()
		w.mu.Lock()
		for w.reported != res {
			w.done.Wait()
		}
		w.mu.Unlock()
		close(written)
	}()
	for {
		select {
		case <-written:
			return w.exitCode()
		case <-w.e.signals:
			local.Kill()
		}
	}
}

// runEnded prints a run's summary, writes its report files and keeps its
// exit code: the process exits with the last run's.
func (w *webRun) runEnded(res *session.Result) {
	w.mu.Lock()
	local := w.local
	w.mu.Unlock()
	fmt.Fprintf(w.e.stderr, "Run ended: %s\n", local.Session().Reason())
	reports.WriteSummary(w.e.stdout, res.Run, res.Snapshot)
	code := res.Run.Verdict.ExitCode
	if err := w.out.Write(res); err != nil {
		fmt.Fprintln(w.e.stderr, "loadrun:", err)
		code = max(code, exitFailed)
	}
	printVerdict(w.e.stderr, res.Run.Verdict)
	if w.f.web.autoquit < 0 {
		fmt.Fprintln(w.e.stderr, "The web UI stays up for looking and downloading: Ctrl-C to quit.")
	}
	w.mu.Lock()
	w.reported, w.code = res, code
	w.done.Broadcast()
	w.mu.Unlock()
	select {
	case w.ended <- struct{}{}:
	default:
	}
}

func (w *webRun) exitCode() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.code
}
