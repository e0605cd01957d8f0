package engine

import (
	"runtime"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// BenchmarkIdleUserMemory measures what a thinking user holds: heap and
// goroutine stack per user, with 1,000 users that each made a request on
// their own keep-alive connection and now wait 1 s. It reports the live
// bytes per user after a GC; the process's RSS per user is about twice
// the heap part (the GC lets the heap grow to twice the live data before
// collecting, GOGC=100) plus the stack part. Run it with
//
//	go test ./engine -run '^$' -bench IdleUserMemory -benchtime 1x
func BenchmarkIdleUserMemory(b *testing.B) {
	const users = 1000
	s := startCannedServer(b)
	sc := mustParse(b, thinkScenario)
	for b.Loop() {
		plan, err := Compile(sc, CompileOptions{Host: s.URL()})
		if err != nil {
			b.Fatal(err)
		}
		before := liveMemory()
		r := NewRunner(plan, Options{})
		if err := r.Start(users, 0); err != nil {
			b.Fatal(err)
		}
		// Users start at once, make their request within a few ms and
		// think until 1 s; half way through they are all idle.
		deadline := time.Now().Add(10 * time.Second)
		for r.Snapshot().Total.Requests < users && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := r.Snapshot().Total.Requests; got < users {
			b.Fatalf("only %d of %d users made their request", got, users)
		}
		after := liveMemory()
		b.ReportMetric(float64(after.heap-before.heap)/users, "heap-B/user")
		b.ReportMetric(float64(after.stack-before.stack)/users, "stack-B/user")
		r.Kill()
		<-r.Done()
	}
}

const thinkScenario = `
name: think
users:
  - name: reader
    wait: 1s
    tasks:
      - name: get
        steps:
          - request: {url: /}
`

type memory struct{ heap, stack uint64 }

// liveMemory is the heap in use after a full GC and the stacks in use.
func liveMemory() memory {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memory{heap: m.HeapAlloc, stack: m.StackInuse}
}

func mustParse(tb testing.TB, src string) *scenario.Scenario {
	tb.Helper()
	sc, err := scenario.Parse("bench.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}
