package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/cluster"
)

// shapeServer counts, per path, the requests it was sent, and the users
// alive per type (/start/T adds one, /stop/T takes one away) with the most
// alive at once. /slow answers after 300 ms.
type shapeServer struct {
	mu    sync.Mutex
	hits  map[string]int
	alive map[string]int
	peak  map[string]int
}

func newShapeServer(t *testing.T) (*shapeServer, string) {
	s := &shapeServer{hits: map[string]int{}, alive: map[string]int{}, peak: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *shapeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/slow" {
		time.Sleep(300 * time.Millisecond)
	}
	s.mu.Lock()
	s.hits[p]++
	if kind, ok := strings.CutPrefix(p, "/start/"); ok {
		s.alive[kind]++
		s.peak[kind] = max(s.peak[kind], s.alive[kind])
	}
	if kind, ok := strings.CutPrefix(p, "/stop/"); ok {
		s.alive[kind]--
	}
	s.mu.Unlock()
	w.Write([]byte("ok"))
}

func (s *shapeServer) get(m map[string]int, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return m[key]
}

// shapeSummary is the part of a JSON summary the shape tests read.
type shapeSummary struct {
	Run struct {
		Users   int     `json:"users"`
		RunTime float64 `json:"run_time_seconds"`
		Load    string  `json:"load"`
	} `json:"run"`
	Open *struct {
		Arrivals int64 `json:"arrivals"`
		Dropped  int64 `json:"dropped"`
	} `json:"open"`
}

// openScenario runs one request per arrival: /it/a for type A (weight 3),
// /it/b for type B.
const openScenario = `
name: open
host: HOST
users:
  - name: A
    weight: 3
    tasks: [{steps: [{request: {url: /it/a}}]}]
  - name: B
    weight: 1
    tasks: [{steps: [{request: {url: /it/b}}]}]
`

// TestDistributedShapes: a master follows a load shape over its workers as
// one process does, instead of ignoring it (it used to run -u 1 until
// stopped) or running it on every worker.
func TestDistributedShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	bin := buildLoadrun(t)

	// Closed-model stages from the scenario's load section over 2 workers:
	// the users of each stage are those of one process, split by
	// fixed_count and weight: up to 6 (Admin 1, Shopper 5), down to 2
	// (1 and 1), up to 4 (1 and 3): 1 Admin and 5+2 Shoppers started.
	t.Run("stages", func(t *testing.T) {
		srv, url := newShapeServer(t)
		file := writeScenario(t, "stages.yaml", `
name: stages
host: `+url+`
load:
  stages:
    - {duration: 1s, users: 6}
    - {duration: 1s, users: 6}
    - {duration: 1s, users: 2}
    - {duration: 1s, users: 2}
    - {duration: 1s, users: 4}
    - {duration: 1s, users: 4}
users:
  - name: Admin
    fixed_count: 1
    wait: {constant: 50ms}
    on_start: [{request: {url: /start/admin}}]
    tasks: [{steps: [{request: {url: /it}}]}]
    on_stop: [{request: {url: /stop/admin}}]
  - name: Shopper
    wait: {constant: 50ms}
    on_start: [{request: {url: /start/shopper}}]
    tasks: [{steps: [{request: {url: /it}}]}]
    on_stop: [{request: {url: /stop/shopper}}]
`)
		c := startDist(t, bin, 2, nil, file)
		c.finish(t, exitOK)
		for _, tc := range []struct {
			what string
			got  int
			want int
		}{
			{"Admin users started", srv.get(srv.hits, "/start/admin"), 1},
			{"Shopper users started", srv.get(srv.hits, "/start/shopper"), 7},
			{"Admin users at most at once", srv.get(srv.peak, "admin"), 1},
			{"Shopper users at most at once", srv.get(srv.peak, "shopper"), 5},
			{"Admin users alive at the end", srv.get(srv.alive, "admin"), 0},
			{"Shopper users alive at the end", srv.get(srv.alive, "shopper"), 0},
		} {
			if tc.got != tc.want {
				t.Errorf("%s: %d, want %d", tc.what, tc.got, tc.want)
			}
		}
		s := readJSONFile[shapeSummary](t, c.json)
		if s.Run.Users != 6 || s.Run.RunTime != 6 || !strings.HasPrefix(s.Run.Load, "stages 1s:6,") {
			t.Errorf("the summary's run says %+v, want 6 users, 6 s, the stages", s.Run)
		}
		if !strings.Contains(c.master.stderr.String(), "Load: stages 1s:6,") {
			t.Errorf("the master did not say it follows the stages:\n%s", c.master.stderr.String())
		}
	})

	// 40 arrivals a second for 3 s over 2 workers, evenly spaced: the
	// cluster runs the 120 iterations one process runs, none dropped.
	t.Run("arrival rate", func(t *testing.T) {
		srv, url := newShapeServer(t)
		file := writeScenario(t, "open.yaml", strings.Replace(openScenario, "HOST", url, 1))
		// 40 users: an arrival is dropped only if every one is busy, which a
		// request to a local server never keeps one for a second.
		c := startDist(t, bin, 2, nil, file, "--arrival-rate", "40/s", "-t", "3s", "--max-users", "40", "--arrivals", "constant")
		c.finish(t, exitOK)
		s := readJSONFile[shapeSummary](t, c.json)
		if s.Open == nil || s.Open.Arrivals != 120 || s.Open.Dropped != 0 {
			t.Fatalf("the summary's arrivals %+v, want 120 and 0 dropped", s.Open)
		}
		if got := srv.get(srv.hits, "/it/a") + srv.get(srv.hits, "/it/b"); got != 120 {
			t.Errorf("%d iterations reached the target, want 120", got)
		}
	})

	// Poisson arrivals with a seed: the cluster runs the very arrivals of
	// one process with that seed, user types included.
	t.Run("poisson arrivals as one process", func(t *testing.T) {
		args := []string{"--arrival-rate", "30/s", "-t", "2s", "--max-users", "30", "--arrivals", "poisson", "--seed", "9"}
		one, url := newShapeServer(t)
		file := writeScenario(t, "open.yaml", strings.Replace(openScenario, "HOST", url, 1))
		oneJSON := t.TempDir() + "/one.json"
		single := startProc(t, bin, "run", append([]string{"run", file, "-q", "--json", oneJSON}, args...)...)
		if code := single.wait(t, distLimit); code != exitOK {
			t.Fatalf("run exit code %d\n%s", code, single.stderr.String())
		}
		cl, url2 := newShapeServer(t)
		file2 := writeScenario(t, "open.yaml", strings.Replace(openScenario, "HOST", url2, 1))
		c := startDist(t, bin, 3, nil, append([]string{file2}, args...)...)
		c.finish(t, exitOK)
		so, sc := readJSONFile[shapeSummary](t, oneJSON), readJSONFile[shapeSummary](t, c.json)
		if so.Open == nil || sc.Open == nil || so.Open.Arrivals != sc.Open.Arrivals || so.Open.Arrivals < 30 {
			t.Fatalf("arrivals: one process %+v, the cluster %+v: want the same", so.Open, sc.Open)
		}
		if so.Open.Dropped+sc.Open.Dropped > 0 {
			// A dropped arrival runs no type: the types cannot be compared.
			t.Skipf("arrivals dropped (one process %d, the cluster %d): a stall of the machine", so.Open.Dropped, sc.Open.Dropped)
		}
		for _, path := range []string{"/it/a", "/it/b"} {
			if got, want := cl.get(cl.hits, path), one.get(one.hits, path); got != want {
				t.Errorf("%s: the cluster ran %d iterations, one process %d", path, got, want)
			}
		}
	})

	// Too few users for a slow target: arrivals are dropped on the
	// workers, summed by the master, whose dropped threshold fails the run.
	t.Run("dropped judged on the master", func(t *testing.T) {
		_, url := newShapeServer(t)
		file := writeScenario(t, "slow.yaml", `
name: slow
host: `+url+`
load: {arrival_rate: 20/s, duration: 2s, max_users: 2}
thresholds: ["dropped < 1"]
users:
  - name: u
    tasks: [{steps: [{request: {url: /slow}}]}]
`)
		c := startDist(t, bin, 2, nil, file)
		c.finish(t, exitFailed)
		s := readJSONFile[shapeSummary](t, c.json)
		// 2 users busy 300 ms each run about 13 of the 40 arrivals.
		if s.Open == nil || s.Open.Arrivals != 40 || s.Open.Dropped < 10 {
			t.Errorf("the summary's arrivals %+v, want 40 with drops", s.Open)
		}
	})

	// What a master cannot follow as one process would is refused before
	// any load, saying why (exit 2).
	t.Run("refused", func(t *testing.T) {
		stages, err := os.ReadFile("../../examples/stages.yaml")
		if err != nil {
			t.Fatal(err)
		}
		file := writeScenario(t, "stages.yaml", string(stages))
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			// The web UI's form runs users at a spawn rate, as run --web's.
			{"load section with --web", []string{file, "--web", "--web-addr", "127.0.0.1:0"}, "a load shape"},
			// Each worker runs one user at least.
			{"fewer max users than workers", []string{file, "--arrival-rate", "5/s", "--max-users", "1"}, "max users 1 is less than the 2 expected workers"},
		} {
			p := startProc(t, bin, "master", append([]string{"master", "--expect-workers", "2", "--bind", "127.0.0.1:0"}, tc.args...)...)
			if code := p.wait(t, 30*time.Second); code != exitUsage || !strings.Contains(p.stderr.String(), tc.want) {
				t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.name, code, p.stderr.String(), tc.want)
			}
		}
	})
}

// TestMasterInterruptedBeforeStart: Ctrl-C on a master still waiting for
// its workers sends those that joined away: they exit 0 at once, instead
// of exiting 1 when they find the master silent.
func TestMasterInterruptedBeforeStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	bin := buildLoadrun(t)
	master := startProc(t, bin, "master", "master", "../../examples/stages.yaml", "--demo", "--expect-workers", "2", "--bind", "127.0.0.1:0")
	worker := startProc(t, bin, "w1", "worker", "--name", "w1", "--master", master.await(t, listening, 20*time.Second))
	master.await(t, regexp.MustCompile(`1 worker\(s\) ready`), 20*time.Second)
	if err := master.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := master.wait(t, 20*time.Second); code != exitNoTarget || !strings.Contains(master.stderr.String(), "Interrupted before the test started") {
		t.Errorf("master exit code %d, want %d, interrupted before the start\n%s", code, exitNoTarget, master.stderr.String())
	}
	// Within OrphanAfter: a worker that found the master silent exits 1.
	if code := worker.wait(t, cluster.OrphanAfter-time.Second); code != exitOK {
		t.Errorf("worker exit code %d, want 0\n%s", code, worker.stderr.String())
	}
}
