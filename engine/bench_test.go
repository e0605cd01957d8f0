package engine

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// The benchmarks here measure one request step as a virtual user runs it:
// render, cookies, write, parse, extract, check and record. Run them with
//
//	go test ./engine -run '^$' -bench . -benchmem
//
// and find what allocates with -memprofile and
// `go tool pprof -sample_index=alloc_objects`.

// plainScenario is the side-by-side workload: one GET of a small JSON.
const plainScenario = `
name: plain
users:
  - name: getter
    wait: 0s
    tasks:
      - name: get
        steps:
          - request: {url: /}
`

// flowScenario is the scenario workload: a login in on_start, then a
// templated request with two extractors and two checks.
const flowScenario = `
name: flow
users:
  - name: shopper
    wait: 0s
    on_start:
      - request:
          method: POST
          url: /login
          form: {username: "user${user_id}", password: secret}
          extract:
            - {var: token, jsonpath: $.token}
    tasks:
      - name: item
        steps:
          - request:
              url: /items/${user_id}?sku=${sku}
              name: /items/[id]
              headers: {Authorization: "Bearer ${token}"}
              extract:
                - {var: sku, jsonpath: $.name}
                - {var: rid, header: X-Request-Id}
              check:
                - status: 200
                - jsonpath: $.price
                  ">": 0
`

// benchUser compiles src against url and returns a user ready to run its
// first task (on_start done) and that task's steps. The user records into
// its own statistics, read back by wantNoFailures.
func benchUser(tb testing.TB, src, url string, vars map[string]any) (*vuser, []step) {
	tb.Helper()
	sc, err := scenario.Parse("bench.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	plan, err := Compile(sc, CompileOptions{Host: url})
	if err != nil {
		tb.Fatal(err)
	}
	r := NewRunner(plan, Options{})
	r.stats = stats.New(time.Now(), 1)
	u := r.newUserLocked(0)
	u.initVars()
	for k, v := range vars {
		u.vars[k] = v
	}
	if res := u.runSteps(u.plan.onStart); res != resultOK {
		tb.Fatalf("on_start: result %d", res)
	}
	tb.Cleanup(u.sess.close)
	return u, u.plan.tasks[0].steps
}

// wantNoFailures fails tb when u's statistics hold a failed request or
// check, so a benchmark cannot measure a fast path of errors.
func wantNoFailures(tb testing.TB, u *vuser) {
	tb.Helper()
	snap := u.r.stats.Snapshot(time.Now())
	for _, e := range snap.Entries {
		if e.Failures > 0 {
			tb.Fatalf("%s: %d of %d requests failed: %v", e.Key, e.Failures, e.Requests, snap.Errors)
		}
	}
	for _, c := range snap.Checks {
		if c.Fail > 0 {
			tb.Fatalf("check %q failed %d times", c.Name, c.Fail)
		}
	}
}

// BenchmarkPlainGET is one plain GET step of the side-by-side workload on a
// kept-alive connection: the per-request cost of the generator.
func BenchmarkPlainGET(b *testing.B) {
	s := startCannedServer(b)
	u, steps := benchUser(b, plainScenario, s.URL(), nil)
	u.runSteps(steps) // dial outside the loop
	b.ReportAllocs()
	for b.Loop() {
		u.runSteps(steps)
	}
	b.StopTimer()
	wantNoFailures(b, u)
}

// BenchmarkScenarioStep is the scenario workload's task step: a templated
// URL and header, two extractors, two checks.
func BenchmarkScenarioStep(b *testing.B) {
	s := startCannedServer(b)
	u, steps := benchUser(b, flowScenario, s.URL(), map[string]any{"sku": "start"})
	u.runSteps(steps)
	b.ReportAllocs()
	for b.Loop() {
		u.runSteps(steps)
	}
	b.StopTimer()
	wantNoFailures(b, u)
}

// BenchmarkPlainGETUsers runs 50 users at once on the 2 cores, each with its
// own connection and session, as in the side-by-side workload; compare with
// BenchmarkNetHTTPUsers.
func BenchmarkPlainGETUsers(b *testing.B) {
	const users = 50
	s := startCannedServer(b)
	us := make([]*vuser, users)
	var steps []step
	for i := range us {
		us[i], steps = benchUser(b, plainScenario, s.URL(), nil)
		us[i].runSteps(steps)
	}
	var next atomic.Int64
	b.SetParallelism((users + 1) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		u := us[int(next.Add(1)-1)%users]
		for pb.Next() {
			u.runSteps(steps)
		}
	})
	b.StopTimer()
	for _, u := range us {
		wantNoFailures(b, u)
	}
}
