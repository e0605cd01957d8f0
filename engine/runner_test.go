package engine_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestTaskWeights runs 1000 iterations of tasks weighted 3:1 and counts
// them at the server. The bound is 6 standard deviations of the binomial
// count, so a correct engine fails it about once in 500 million runs.
func TestTaskWeights(t *testing.T) {
	synctest.Test(t, testTaskWeights)
}

func testTaskWeights(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	const n = 1000
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - {name: heavy, weight: 3, steps: [{request: {url: /heavy}}]}
      - {name: light, weight: 1, steps: [{request: {url: /light}}]}
`
	snap := runToEnd(t, src, vhost, 4, 0, engine.Options{Iterations: n, Dial: dial})
	heavy, light := rc.count("/heavy"), rc.count("/light")
	if got := heavy + light; got != n {
		t.Fatalf("server saw %d iterations, want exactly %d", got, n)
	}
	p := 0.75
	sigma := math.Sqrt(n * p * (1 - p))
	want := n * p
	if d := math.Abs(float64(heavy) - want); d > 6*sigma {
		t.Errorf("heavy task ran %d times of %d, want %.0f ± %.0f (6σ)", heavy, n, want, 6*sigma)
	}
	if snap.Total.Requests != n || snap.Total.Failures != 0 {
		t.Errorf("snapshot: %d requests, %d failures; want %d, 0", snap.Total.Requests, snap.Total.Failures, n)
	}
}

// TestOnStartOnStop checks that every user runs on_start once, before any
// task, and on_stop once, after its last task (in virtual time).
func TestOnStartOnStop(t *testing.T) {
	synctest.Test(t, testOnStartOnStop)
}

func testOnStartOnStop(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: U
    wait: {constant: 10ms}
    on_start: [{request: {url: "/start?u=${user_id}"}}]
    tasks:
      - steps: [{request: {url: "/task?u=${user_id}"}}]
    on_stop: [{request: {url: "/stop?u=${user_id}"}}]
`
	const users = 5
	runToEnd(t, src, vhost, users, 0, engine.Options{Iterations: 40, Dial: dial})
	byUser := rc.byUser()
	if len(byUser) != users {
		t.Fatalf("server saw %d users, want %d", len(byUser), users)
	}
	tasks := 0
	for u, hs := range byUser {
		var paths []string
		for _, h := range hs {
			paths = append(paths, h.path)
		}
		if paths[0] != "/start" || paths[len(paths)-1] != "/stop" {
			t.Errorf("user %s: first %s, last %s; want /start first and /stop last (all: %v)", u, paths[0], paths[len(paths)-1], paths)
		}
		starts, stops := 0, 0
		for _, p := range paths {
			switch p {
			case "/start":
				starts++
			case "/stop":
				stops++
			case "/task":
				tasks++
			}
		}
		if starts != 1 || stops != 1 {
			t.Errorf("user %s: on_start ran %d times and on_stop %d times, want 1 and 1", u, starts, stops)
		}
	}
	if tasks != 40 {
		t.Errorf("tasks: got %d, want 40", tasks)
	}
}

// sessionServer sets a fresh random session cookie at /login and records,
// for every other request, which session cookie came with it.
type sessionServer struct {
	rc     recorder
	mu     sync.Mutex
	owners map[string]string // session → user that logged in with it
}

func (s *sessionServer) handler() http.Handler {
	return s.rc.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/login" {
			return
		}
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		s.mu.Lock()
		s.owners[id] = r.URL.Query().Get("u")
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/"})
	}))
}

// TestCookiesPerUser checks that each user keeps the session cookie it was
// given and that no user ever sends another user's cookie (in virtual time).
func TestCookiesPerUser(t *testing.T) {
	synctest.Test(t, testCookiesPerUser)
}

func testCookiesPerUser(t *testing.T) {
	s := &sessionServer{owners: map[string]string{}}
	dial := virtualHost(t, s.handler())
	src := `
users:
  - name: U
    wait: {constant: 5ms}
    on_start: [{request: {url: "/login?u=${user_id}"}}]
    tasks:
      - steps: [{request: {url: "/page?u=${user_id}"}}]
`
	const users = 6
	runToEnd(t, src, vhost, users, 0, engine.Options{Iterations: 120, Dial: dial})
	sessionOf := map[string]string{} // user → the session it sent
	pages := 0
	for _, h := range s.rc.all() {
		if h.path == "/login" {
			if h.cookie != "" {
				t.Errorf("user %s sent cookie %q before logging in", h.user, h.cookie)
			}
			continue
		}
		pages++
		s.mu.Lock()
		owner := s.owners[h.cookie]
		s.mu.Unlock()
		if owner != h.user {
			t.Errorf("user %s sent session %q, which belongs to user %q", h.user, h.cookie, owner)
		}
		if prev, ok := sessionOf[h.user]; ok && prev != h.cookie {
			t.Errorf("user %s switched session from %q to %q", h.user, prev, h.cookie)
		}
		sessionOf[h.user] = h.cookie
	}
	if pages != 120 {
		t.Errorf("pages: got %d, want 120", pages)
	}
	if len(s.owners) != users {
		t.Errorf("logins: got %d sessions, want %d", len(s.owners), users)
	}
}

// TestWaits measures, at the server, the gaps between one user's tasks. It
// runs in virtual time over an in-memory listener, so the gaps are exact:
// the wait itself (plus the server's own time where it takes any).
func TestWaits(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ms, err := strconv.Atoi(r.URL.Query().Get("ms")); err == nil {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
	})
	tests := []struct {
		name      string
		wait      string
		url       string
		iters     int64
		min, max  time.Duration // every gap
		meanBelow time.Duration // the mean gap
	}{
		// A constant wait separates tasks by at least the wait.
		{"constant", "{constant: 100ms}", "/t?u=${user_id}", 8, 100 * time.Millisecond, 100 * time.Millisecond, 101 * time.Millisecond},
		// A random wait stays within [min, max] plus the exchange itself.
		{"between", "{min: 20ms, max: 60ms}", "/t?u=${user_id}", 25, 20 * time.Millisecond, 60 * time.Millisecond, 60 * time.Millisecond},
		// Pacing keeps start-to-start at 200 ms although a task takes 100 ms;
		// waiting 200 ms after the task instead would give 300 ms gaps.
		{"pacing", "{pacing: 200ms}", "/t?u=${user_id}&ms=100", 8, 200 * time.Millisecond, 200 * time.Millisecond, 201 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rc recorder
				dial := virtualHost(t, rc.wrap(slow))
				src := fmt.Sprintf(`
users:
  - name: U
    wait: %s
    tasks:
      - steps: [{request: {url: "%s"}}]
`, tt.wait, tt.url)
				runToEnd(t, src, vhost, 1, 0, engine.Options{Iterations: tt.iters, Dial: dial})
				hs := rc.all()
				if int64(len(hs)) != tt.iters {
					t.Fatalf("server saw %d requests, want %d", len(hs), tt.iters)
				}
				g := gaps(hs)
				for i, d := range g {
					if d < tt.min || d > tt.max {
						t.Errorf("gap %d: %s, want within [%s, %s]", i, d, tt.min, tt.max)
					}
				}
				if m := mean(g); m >= tt.meanBelow {
					t.Errorf("mean gap %s, want below %s (gaps %v)", m, tt.meanBelow, g)
				}
			})
		})
	}
}

// TestRandomWaitVaries guards against a {min, max} wait that always waits
// the same time: 30 uniform draws over 40 ms all within 5 ms of each other
// has a probability far below 1e-20.
func TestRandomWaitVaries(t *testing.T) {
	synctest.Test(t, testRandomWaitVaries)
}

func testRandomWaitVaries(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: U
    wait: {min: 10ms, max: 50ms}
    tasks: [{steps: [{request: {url: /t}}]}]
`
	runToEnd(t, src, vhost, 1, 0, engine.Options{Iterations: 31, Dial: dial})
	g := gaps(rc.all())
	sort.Slice(g, func(i, j int) bool { return g[i] < g[j] })
	if spread := g[len(g)-1] - g[0]; spread < 5*time.Millisecond {
		t.Errorf("gaps spread over %s only, want the wait to vary (gaps %v)", spread, g)
	}
}

// TestSpawnRate starts 10 users at 20 per second: one every 50 ms, so in
// virtual time user n's first request comes exactly (n-1)·50 ms after the
// first user's.
func TestSpawnRate(t *testing.T) {
	synctest.Test(t, testSpawnRate)
}

func testSpawnRate(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: U
    wait: {constant: 50ms}
    tasks: [{steps: [{request: {url: "/t?u=${user_id}"}}]}]
`
	r := start(t, src, vhost, 10, 20, engine.Options{Dial: dial})
	deadline := time.Now().Add(runLimit)
	for len(rc.byUser()) < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.Stop()
	wait(t, r)
	first := map[int]time.Time{}
	for u, hs := range rc.byUser() {
		id, err := strconv.Atoi(u)
		if err != nil {
			t.Fatalf("bad user id %q", u)
		}
		first[id] = hs[0].at
	}
	if len(first) != 10 {
		t.Fatalf("%d users sent a request, want 10", len(first))
	}
	for id := 2; id <= 10; id++ {
		want := time.Duration(id-1) * 50 * time.Millisecond
		if got := first[id].Sub(first[1]); got != want {
			t.Errorf("user %d's first request came %s after user 1's, want %s", id, got, want)
		}
	}
}

// TestUserTypeSplit spawns 8 users of two types weighted 3:1: exactly 6 and
// 2, and interleaved so that a short ramp-up already has both.
func TestUserTypeSplit(t *testing.T) {
	synctest.Test(t, testUserTypeSplit)
}

func testUserTypeSplit(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: A
    weight: 3
    wait: {constant: 10ms}
    on_start: [{request: {url: "/hello?type=A&u=${user_id}"}}]
    tasks: [{steps: [{request: {url: /t}}]}]
  - name: B
    weight: 1
    wait: {constant: 10ms}
    on_start: [{request: {url: "/hello?type=B&u=${user_id}"}}]
    tasks: [{steps: [{request: {url: /t}}]}]
`
	r := start(t, src, vhost, 8, 0, engine.Options{Dial: dial})
	synctest.Wait()
	r.Stop()
	wait(t, r)
	typeOf := map[int]string{}
	for _, h := range rc.all() {
		if h.path != "/hello" {
			continue
		}
		id, _ := strconv.Atoi(h.user)
		typeOf[id] = h.query[len("type="):][:1]
	}
	count := map[string]int{}
	order := ""
	for id := 1; id <= 8; id++ {
		count[typeOf[id]]++
		order += typeOf[id]
	}
	if count["A"] != 6 || count["B"] != 2 {
		t.Errorf("split: got A=%d B=%d (spawn order %q), want A=6 B=2", count["A"], count["B"], order)
	}
	if a, b := count4(order, 'A'), count4(order, 'B'); a == 0 || b == 0 {
		t.Errorf("spawn order %q: the first 4 users should hold both types", order)
	}
}

// count4 counts c among the first four bytes of s.
func count4(s string, c byte) int {
	n := 0
	for i := 0; i < len(s) && i < 4; i++ {
		if s[i] == c {
			n++
		}
	}
	return n
}

// TestIterationsExact runs 5 users for exactly 37 task iterations.
func TestIterationsExact(t *testing.T) {
	tests := []struct {
		name  string
		users int
		iters int64
	}{
		// More iterations than users, not a multiple of them.
		{"37 over 5 users", 5, 37},
		// Fewer iterations than users: some users get none.
		{"3 over 8 users", 8, 3},
		// One user, one iteration.
		{"1 over 1 user", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rc recorder
			srv := httptest.NewServer(rc.wrap(nil))
			defer srv.Close()
			src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: /t}}]}]
`
			snap := runToEnd(t, src, srv.URL, tt.users, 0, engine.Options{Iterations: tt.iters})
			if got := int64(rc.count("/t")); got != tt.iters {
				t.Errorf("server saw %d iterations, want %d", got, tt.iters)
			}
			if snap.Total.Requests != tt.iters {
				t.Errorf("snapshot counted %d requests, want %d", snap.Total.Requests, tt.iters)
			}
		})
	}
}

// TestRunTime ends a run whose users are stuck in a 5 s request: it must
// end by run time + stop timeout, with the cut requests counted as cut at
// end of run.
func TestRunTime(t *testing.T) {
	synctest.Test(t, testRunTime)
}

func testRunTime(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	dial := virtualHost(t, slow)
	src := `
users:
  - name: U
    wait: {constant: 10ms}
    tasks: [{steps: [{request: {url: /slow}}]}]
`
	const runTime, stopTimeout = 300 * time.Millisecond, 300 * time.Millisecond
	begin := time.Now()
	r := start(t, src, vhost, 3, 0, engine.Options{RunTime: runTime, StopTimeout: stopTimeout, Dial: dial})
	snap := wait(t, r)
	took := time.Since(begin)
	if took < runTime {
		t.Errorf("run ended after %s, before its run time %s", took, runTime)
	}
	// In virtual time, exactly: the 5 s handler is what a broken stop
	// would wait for.
	if limit := runTime + stopTimeout; took != limit {
		t.Errorf("run took %s, want %s (run time + stop timeout)", took, limit)
	}
	if got, want := r.Reason(), "run time reached"; got != want {
		t.Errorf("reason: got %q, want %q", got, want)
	}
	// Each user's request was still waiting when the users were cut: it was
	// sent, so it is counted, as a failure of its own kind (issue 13).
	if errs := errorsOf(snap); snap.Total.Requests != 3 || snap.Total.Failures != 3 || errs[engine.CutAtEnd] != 3 {
		t.Errorf("%d requests, %d failures, errors %v; want the 3 requests in flight counted as %q", snap.Total.Requests, snap.Total.Failures, errs, engine.CutAtEnd)
	}
}

// TestRunEndsByItself covers runs that must end without Stop: every user
// stopped itself, or -n was reached while users were still being spawned.
// It runs in virtual time against the in-memory demo: the bounds are on the
// run's own clock, which a busy machine cannot stretch.
func TestRunEndsByItself(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		users      int
		rate       float64
		opts       engine.Options
		wantReason string
		within     time.Duration
	}{
		// Every user fails with on_failure: stop-user; nothing is left to run.
		{"all users stopped", `
users:
  - name: U
    wait: {constant: 10ms}
    tasks: [{steps: [{on_failure: stop-user, request: {url: /status/500}}]}]
`, 3, 0, engine.Options{}, "all users finished", 5 * time.Second},
		// -n is reached by the first users long before a slow ramp-up ends
		// (10 users at 2 per second would take 5 s).
		{"iterations during ramp-up", `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: /json}}]}]
`, 10, 2, engine.Options{Iterations: 3}, "3 iterations done", 2 * time.Second},
		// on_start stops the user: it never takes an iteration.
		{"on_start stops every user", `
users:
  - name: U
    on_start: [{on_failure: stop-user, request: {url: /status/401}}]
    tasks: [{steps: [{request: {url: /json}}]}]
`, 2, 0, engine.Options{Iterations: 100}, "all users finished", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, dial := virtualDemo(t)
				tt.opts.Dial = dial
				begin := time.Now()
				r := start(t, tt.src, vhost, tt.users, tt.rate, tt.opts)
				wait(t, r)
				if took := time.Since(begin); took > tt.within {
					t.Errorf("run took %s, want at most %s", took, tt.within)
				}
				if got := r.Reason(); got != tt.wantReason {
					t.Errorf("reason: got %q, want %q", got, tt.wantReason)
				}
			})
		})
	}
}
