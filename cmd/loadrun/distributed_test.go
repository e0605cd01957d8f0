package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
)

func TestDistributed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	bin := buildLoadrun(t)

	// The users of each type are exactly those of one process with the
	// same -u, with unique ids, and -n is exact over the cluster.
	t.Run("split and iterations", func(t *testing.T) {
		ids, target := newIDServer(t)
		file := writeScenario(t, "split.yaml", `
name: split
host: `+target+`
users:
  - name: A
    weight: 3
    wait: {constant: 10ms}
    on_start: [{request: {url: "/start/a?u=${user_id}"}}]
    tasks: [{steps: [{request: {url: "/it?u=${user_id}"}}]}]
  - name: B
    weight: 1
    wait: {constant: 10ms}
    on_start: [{request: {url: "/start/b?u=${user_id}"}}]
    tasks: [{steps: [{request: {url: "/it?u=${user_id}"}}]}]
`)
		c := startDist(t, bin, 3, nil, file, "-u", "7", "-r", "0", "-n", "150")
		s := c.finish(t, exitOK)
		a, b := ids.get("/start/a"), ids.get("/start/b")
		// 7 users at 3:1 in one process are 5 and 2.
		if len(a) != 5 || len(b) != 2 {
			t.Errorf("%d users of A and %d of B, want 5 and 2", len(a), len(b))
		}
		all := append(a, b...)
		slices.Sort(all)
		if len(slices.Compact(all)) != 7 {
			t.Errorf("user ids %v are not unique across workers", all)
		}
		if n := len(ids.get("/it")); n != 150 {
			t.Errorf("%d iterations reached the target, want exactly 150", n)
		}
		if s.Aggregated.Requests != 157 {
			t.Errorf("the master counted %d requests, want 157 (7 on_start + 150)", s.Aggregated.Requests)
		}
		if len(s.Workers) != 3 {
			t.Errorf("workers table %+v", s.Workers)
		}
		for _, w := range c.workers {
			if code := w.wait(t, 10*time.Second); code != exitOK {
				t.Errorf("%s exit code %d", w.name, code)
			}
		}
	})

	// Every row of a unique-once pool goes to one user of one worker: the
	// demo target refuses a second registration of a name with 409.
	t.Run("unique-once", func(t *testing.T) {
		app := demo.New(demo.Options{})
		srv := httptest.NewServer(app)
		defer srv.Close()
		file, err := filepath.Abs(filepath.Join("..", "..", "examples", "pools-unique-once.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		c := startDist(t, bin, 3, nil, file, "-H", srv.URL, "-u", "9", "-r", "0", "-t", "60s")
		s := c.finish(t, exitOK)
		st := app.Stats()
		if st.RefusedRegistrations != 0 || s.Aggregated.Failures != 0 {
			t.Errorf("%d registrations refused as duplicates, %d failures", st.RefusedRegistrations, s.Aggregated.Failures)
		}
		if st.Registrations == 0 || int64(st.Registrations) != s.Aggregated.Requests {
			t.Errorf("%d registrations, %d requests", st.Registrations, s.Aggregated.Requests)
		}
	})

	// No account of a unique-recycle pool is ever logged in twice at once,
	// though 9 users on 3 workers share 3 accounts.
	t.Run("unique-recycle", func(t *testing.T) {
		app := demo.New(demo.Options{})
		srv := httptest.NewServer(app)
		defer srv.Close()
		file := writeScenario(t, "recycle.yaml", `
name: recycle
host: `+srv.URL+`
data:
  accounts:
    mode: unique-recycle
    timeout: 30s
    rows: [{username: user1, password: pass1}, {username: user2, password: pass2}, {username: user3, password: pass3}]
users:
  - name: Member
    wait: {constant: 5ms}
    tasks:
      - steps:
          - use: accounts
          - request: {method: POST, url: /login, form: {username: "${accounts.username}", password: "${accounts.password}"}}
          - request: {url: /json}
          - request: {method: POST, url: /logout}
`)
		c := startDist(t, bin, 3, nil, file, "-u", "9", "-r", "0", "-n", "120")
		s := c.finish(t, exitOK)
		st := app.Stats()
		if st.MaxSessionsPerAccount != 1 {
			t.Errorf("an account had %d sessions at once, want 1", st.MaxSessionsPerAccount)
		}
		if st.Logins != 120 || s.Aggregated.Failures != 0 {
			t.Errorf("%d logins, %d failures; want 120 and 0", st.Logins, s.Aggregated.Failures)
		}
	})

	// A count rendezvous gathers users from every worker: groups of exactly
	// its count, released together.
	t.Run("rendezvous", func(t *testing.T) {
		app := demo.New(demo.Options{})
		srv := httptest.NewServer(app)
		defer srv.Close()
		file := writeScenario(t, "rdv.yaml", `
name: rendezvous
host: `+srv.URL+`
users:
  - name: Buyer
    wait: {constant: 100ms}
    tasks:
      - steps:
          - rendezvous: {name: buy, count: 4, timeout: 30s}
          - request: {url: /rendezvous/arrive, query: {group: buy}, name: buy}
`)
		c := startDist(t, bin, 2, nil, file, "-u", "8", "-r", "0", "-n", "40")
		s := c.finish(t, exitOK)
		if len(s.Rendezvous) != 1 || s.Rendezvous[0].Groups != 10 || s.Rendezvous[0].ByCount != 10 ||
			s.Rendezvous[0].SizeMin != 4 || s.Rendezvous[0].SizeMax != 4 {
			t.Errorf("rendezvous %+v, want 10 groups of exactly 4 released by count", s.Rendezvous)
		}
		arrivals := app.Stats().Arrivals
		if len(arrivals) != 40 {
			t.Fatalf("%d arrivals at the server, want 40", len(arrivals))
		}
		// Groups are released 100 ms apart or more: consecutive fours are groups.
		var spreads []time.Duration
		for i := 0; i+4 <= len(arrivals); i += 4 {
			spreads = append(spreads, time.Duration(arrivals[i+3].At-arrivals[i].At))
		}
		slices.Sort(spreads)
		t.Logf("spread of each group's requests at the server: median %s, max %s", spreads[len(spreads)/2], spreads[len(spreads)-1])
	})

	// kill -9 of a worker: the master declares it lost, its users run on
	// the others, the run finishes and the reports say so.
	t.Run("worker killed", func(t *testing.T) {
		ids, target := newIDServer(t)
		file := writeScenario(t, "kill.yaml", `
name: kill
host: `+target+`
users:
  - name: U
    wait: {constant: 20ms}
    on_start: [{request: {url: "/start?u=${user_id}"}}]
    tasks: [{steps: [{request: {url: "/it?u=${user_id}"}}]}]
`)
		dir := t.TempDir()
		csvPrefix, htmlPath := filepath.Join(dir, "r"), filepath.Join(dir, "r.html")
		c := startDist(t, bin, 3, nil, file, "-u", "6", "-r", "0", "-t", "8s", "--csv", csvPrefix, "--html", htmlPath)
		// Kill w2 once the master has its statistics with requests in them.
		c.master.await(t, regexp.MustCompile(`worker (w2): statistics coming in`), 30*time.Second)
		if err := c.workers[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.master.await(t, regexp.MustCompile(`worker (w2) lost`), 10*time.Second)
		c.master.await(t, regexp.MustCompile(`worker w2 lost: users (rebalanced) over 2`), 5*time.Second)
		s := c.finish(t, exitOK)
		// Its two users were started again on the other workers.
		if n := len(ids.get("/start")); n != 8 {
			t.Errorf("%d users started, want 6 and the lost worker's 2 again", n)
		}
		lost := false
		for _, w := range s.Workers {
			if w.Name == "w2" {
				lost = w.State == "lost" && w.Requests > 0
			}
		}
		if !lost {
			t.Errorf("the workers table does not show w2 lost with its requests: %+v", s.Workers)
		}
		if !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "worker w2") && strings.Contains(w, "lost") }) {
			t.Errorf("no warning names the lost worker: %q", s.Warnings)
		}
		checkWorkerReports(t, csvPrefix, htmlPath, s)
		for _, w := range []*proc{c.workers[0], c.workers[2]} {
			if code := w.wait(t, 10*time.Second); code != exitOK {
				t.Errorf("%s exit code %d", w.name, code)
			}
		}
	})

	// kill -9 of the master: every worker stops its users and exits
	// non-zero once the master was silent for 5 s.
	t.Run("master killed", func(t *testing.T) {
		ids, target := newIDServer(t)
		file := writeScenario(t, "orphan.yaml", `
name: orphan
host: `+target+`
users:
  - name: U
    wait: {constant: 20ms}
    tasks: [{steps: [{request: {url: "/it"}}]}]
`)
		c := startDist(t, bin, 2, nil, file, "-u", "4", "-r", "0", "-t", "60s")
		ids.awaitHits(t, "/it", 20, 30*time.Second)
		if err := c.master.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		for _, w := range c.workers {
			if code := w.wait(t, 15*time.Second); code == exitOK {
				t.Errorf("%s exited 0 without its master", w.name)
			}
		}
		// How soon is OrphanAfter's to prove (cluster's tests); here, that
		// it was the master's silence that stopped each worker. A bound on
		// the wall-clock time failed when the machine was busy.
		t.Logf("workers stopped %s after the master was killed", time.Since(killed).Round(time.Millisecond))
		for _, w := range c.workers {
			if !strings.Contains(w.stderr.String(), "no word from the master") {
				t.Errorf("%s does not say its master fell silent:\n%s", w.name, w.stderr.String())
			}
		}
		after := len(ids.get("/it"))
		time.Sleep(300 * time.Millisecond)
		if n := len(ids.get("/it")); n != after {
			t.Errorf("%d requests reached the target after the workers exited", n-after)
		}
	})

	// Ctrl-C on the master stops every worker; the reports still have
	// every worker's final numbers.
	t.Run("Ctrl-C on the master", func(t *testing.T) {
		ids, target := newIDServer(t)
		file := writeScenario(t, "interrupt.yaml", `
name: interrupt
host: `+target+`
users:
  - name: U
    wait: {constant: 10ms}
    tasks: [{steps: [{request: {url: "/it"}}]}]
`)
		c := startDist(t, bin, 2, nil, file, "-u", "4", "-r", "0", "-t", "60s")
		ids.awaitHits(t, "/it", 50, 30*time.Second)
		if err := c.master.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		s := c.finish(t, exitOK)
		for _, w := range c.workers {
			if code := w.wait(t, 10*time.Second); code != exitOK {
				t.Errorf("%s exit code %d", w.name, code)
			}
		}
		var sum int64
		for _, w := range s.Workers {
			sum += w.Requests
			if w.State != "stopped" {
				t.Errorf("worker %s is %s at the end", w.Name, w.State)
			}
		}
		if n := int64(len(ids.get("/it"))); s.Aggregated.Requests != n || sum != n {
			t.Errorf("the target saw %d requests; the summary counts %d, the workers %d", n, s.Aggregated.Requests, sum)
		}
	})

	// --csv-full-history on a master: every second, a row per request name
	// from the merged statistics of all workers, then the Aggregated row;
	// the last tick's totals are the stats file's.
	t.Run("full history", func(t *testing.T) {
		prefix := filepath.Join(t.TempDir(), "r")
		file := filepath.Join("..", "..", "examples", "shop.yaml")
		c := startDist(t, bin, 2, nil, file, "--demo", "-u", "4", "-r", "0", "-t", "4s", "--csv", prefix, "--csv-full-history")
		c.finish(t, exitOK)
		checkFullHistory(t, prefix)
	})

	// A standalone NATS server (built from the module) instead of the
	// embedded one.
	t.Run("standalone NATS", func(t *testing.T) {
		natsURL := startNATS(t)
		ids, target := newIDServer(t)
		file := writeScenario(t, "nats.yaml", `
name: nats
host: `+target+`
users:
  - name: U
    wait: {constant: 5ms}
    tasks: [{steps: [{request: {url: "/it"}}]}]
`)
		c := startDist(t, bin, 2, []string{"--nats", natsURL}, file, "--nats", natsURL, "-u", "4", "-r", "0", "-n", "100")
		s := c.finish(t, exitOK)
		if n := len(ids.get("/it")); n != 100 || s.Aggregated.Requests != 100 {
			t.Errorf("%d requests at the target, %d counted; want 100", n, s.Aggregated.Requests)
		}
	})
}

// TestDistributedFlags: command lines a master or worker refuses, with
// exit code 2 and a message saying what to do.
func TestDistributedFlags(t *testing.T) {
	file := writeScenario(t, "flags.yaml", `
name: flags
host: http://127.0.0.1:1
users:
  - name: U
    tasks: [{steps: [{request: {url: /}}]}]
`)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		// Workers beyond this machine could join and load anything: a token is required.
		{"bind beyond loopback", []string{"master", file, "--expect-workers", "1", "--bind", "0.0.0.0:0"}, "--token"},
		// The test needs to know when to start.
		{"no --expect-workers", []string{"master", file}, "--expect-workers"},
		// A master needs its scenario.
		{"no scenario", []string{"master", "--expect-workers", "1"}, "exactly one scenario"},
		// The web UI of a master follows run --web's rules: beyond loopback only with --web-auth.
		{"master web beyond loopback", []string{"master", file, "--expect-workers", "1", "--web", "--web-addr", "0.0.0.0:0"}, "--web-auth"},
		// Per-request history rows are for a test started from the command line, as with run --web.
		{"master full history with web", []string{"master", file, "--expect-workers", "1", "--web", "--csv", filepath.Join(t.TempDir(), "r"), "--csv-full-history"}, "works without --web"},
		// And its flags need --web.
		{"master autostart without web", []string{"master", file, "--expect-workers", "1", "--autostart"}, "--autostart needs --web"},
		// A worker needs to know where its master is.
		{"worker without master", []string{"worker"}, "--master HOST:PORT or --nats"},
		// But only one way.
		{"worker with both", []string{"worker", "--master", "127.0.0.1:1", "--nats", "nats://127.0.0.1:1"}, "one of them"},
		// A worker gets its scenario from the master.
		{"worker with a file", []string{"worker", "--master", "127.0.0.1:1", file}, "gets its scenario from the master"},
	} {
		var stdout, stderr syncBuffer
		code := run(tc.args, env{stdout: &stdout, stderr: &stderr})
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d mentioning %q", tc.name, code, stderr.String(), exitUsage, tc.want)
		}
	}
}

// TestWorkerWrongToken: a worker with the wrong token is refused with a
// message naming --token, and exit code 2.
func TestWorkerWrongToken(t *testing.T) {
	file := writeScenario(t, "token.yaml", `
name: token
host: http://127.0.0.1:1
users:
  - name: U
    tasks: [{steps: [{request: {url: /}}]}]
`)
	sig := make(chan os.Signal, 1)
	var mout, merr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"master", file, "--expect-workers", "1", "--bind", "127.0.0.1:0", "--token", "right", "-q"},
			env{stdout: &mout, stderr: &merr, signals: sig})
	}()
	deadline := time.Now().Add(20 * time.Second)
	var addr string
	for addr == "" && time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(merr.String()); m != nil {
			addr = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if addr == "" {
		t.Fatalf("the master did not start:\n%s", merr.String())
	}
	var wout, werr syncBuffer
	code := run([]string{"worker", "--master", addr, "--token", "wrong"}, env{stdout: &wout, stderr: &werr})
	if code != exitUsage || !strings.Contains(werr.String(), "--token") {
		t.Errorf("worker with the wrong token: exit %d, stderr %q", code, werr.String())
	}
	sig <- os.Interrupt
	select {
	case code := <-done:
		if code != exitNoTarget || !strings.Contains(merr.String(), "nothing was run") {
			t.Errorf("master interrupted while waiting: exit %d\n%s", code, merr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the master did not answer Ctrl-C while waiting for workers")
	}
}
