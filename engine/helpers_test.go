package engine_test

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// runLimit bounds every run in these tests: a run that has not ended by
// then is killed and the test fails, so a hung engine cannot hang the suite.
const runLimit = 20 * time.Second

// compile parses a scenario written inline and compiles it against host.
func compile(t *testing.T, src, host string) *engine.Plan {
	t.Helper()
	sc, err := scenario.Parse(t.Name()+".yaml", []byte(src))
	if err != nil {
		t.Fatalf("scenario does not parse:\n%v", err)
	}
	plan, err := engine.Compile(sc, engine.CompileOptions{Host: host})
	if err != nil {
		t.Fatalf("scenario does not compile:\n%v", err)
	}
	return plan
}

// start begins a run of src against host. The run is killed when the test
// ends, whatever happened, so no user outlives its test.
func start(t *testing.T, src, host string, users int, rate float64, opts engine.Options) *engine.Runner {
	t.Helper()
	r := engine.NewRunner(compile(t, src, host), opts)
	if err := r.Start(users, rate); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		r.Kill()
		<-r.Done()
	})
	return r
}

// wait waits for the run to end and returns its final statistics.
func wait(t *testing.T, r *engine.Runner) *stats.Snapshot {
	t.Helper()
	select {
	case <-r.Done():
	case <-time.After(runLimit):
		r.Kill()
		t.Fatalf("the run did not end within %s (state %s)", runLimit, r.State())
	}
	return r.Snapshot()
}

// runToEnd runs src against host until it ends by itself (-n or -t).
func runToEnd(t *testing.T, src, host string, users int, rate float64, opts engine.Options) *stats.Snapshot {
	t.Helper()
	return wait(t, start(t, src, host, users, rate, opts))
}

// hit is one request as the server saw it.
type hit struct {
	at     time.Time
	method string
	path   string
	user   string // the `u` query parameter, conventionally ${user_id}
	query  string
	cookie string // the `session` cookie, "" when absent
}

// recorder is a server-side log of requests: tests assert on what reached
// the wire, not on what the engine believes it sent.
type recorder struct {
	mu   sync.Mutex
	hits []hit
}

// wrap records every request, then lets next answer it (200 "ok" when nil).
func (rc *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := hit{at: time.Now(), method: r.Method, path: r.URL.Path, user: r.URL.Query().Get("u"), query: r.URL.RawQuery}
		if c, err := r.Cookie("session"); err == nil {
			h.cookie = c.Value
		}
		rc.mu.Lock()
		rc.hits = append(rc.hits, h)
		rc.mu.Unlock()
		if next == nil {
			w.Write([]byte("ok"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// all is a copy of the hits so far, in arrival order.
func (rc *recorder) all() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// count is how many hits had path.
func (rc *recorder) count(path string) int {
	n := 0
	for _, h := range rc.all() {
		if h.path == path {
			n++
		}
	}
	return n
}

// byUser groups hits by their `u` parameter, each user's in arrival order.
func (rc *recorder) byUser() map[string][]hit {
	out := map[string][]hit{}
	for _, h := range rc.all() {
		out[h.user] = append(out[h.user], h)
	}
	return out
}

// gaps are the times between consecutive hits.
func gaps(hs []hit) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(hs); i++ {
		out = append(out, hs[i].at.Sub(hs[i-1].at))
	}
	return out
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// errorsOf maps each error text of a snapshot to its count, over all
// request names.
func errorsOf(s *stats.Snapshot) map[string]int64 {
	out := map[string]int64{}
	for _, e := range s.Errors {
		out[e.Error] += e.Count
	}
	return out
}

// entry finds a snapshot row by method and name.
func entry(t *testing.T, s *stats.Snapshot, method, name string) *stats.Entry {
	t.Helper()
	for _, e := range s.Entries {
		if e.Method == method && e.Name == name {
			return e
		}
	}
	var names []string
	for _, e := range s.Entries {
		names = append(names, e.Key.String())
	}
	sort.Strings(names)
	t.Fatalf("no stats row %s %s; rows: %s", method, name, strings.Join(names, ", "))
	return nil
}
