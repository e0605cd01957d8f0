package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// Memory budget: statistics of a run with MaxNames request names recorded
// by 16 shards stay under 64 MiB, with phases and pacing on too (the dense
// layout took 300 × 16 × 184 KiB = 864 MiB for the requests alone, and as
// much again for phases and pacing).
const (
	memoryShards = 16
	memoryBudget = 64 << 20
)

// load is what simulate records besides response times.
type load struct {
	// phases records each request's phase times (loadrun run --phases).
	phases bool
	// pacing makes each request name a paced task of its own and records
	// each request's iteration start: on time, late or skipped.
	pacing bool
}

// simulate records ticks seconds of a run over MaxNames request names from
// 64 users on memoryShards shards, perTick requests per name per second.
// Each name has its own log-normal response times (median 2 ms to 600 ms,
// σ = 0.8, so a row spans about three decades: a slow page with its fast
// cache hits and its timeouts), one request in 50 fails with one of a few
// texts. With phases, one request in 20 opens a connection (one in 40 with
// a TLS handshake) and the time splits into send, wait and download; with
// pacing, one start in 4 is late (log-normal, median 5 ms) and one in 100
// skipped. It returns the Stats, after its last tick.
func simulate(ticks, perTick int, with load) *Stats {
	s := New(t0, memoryShards)
	rng := rand.New(rand.NewPCG(7, 11))
	keys := make([]Key, MaxNames)
	tasks := make([]string, MaxNames)
	medians := make([]float64, MaxNames)
	for i := range keys {
		keys[i] = Key{Method: "GET", Name: fmt.Sprintf("/api/resource-%d", i)}
		tasks[i] = fmt.Sprintf("task-%d", i)
		medians[i] = 2000 * math.Pow(300, float64(i)/MaxNames) // µs
	}
	lognormal := func(median float64) time.Duration {
		return time.Duration(median * math.Exp(0.8*rng.NormFloat64()) * float64(time.Microsecond))
	}
	now := t0
	for range ticks {
		for i, k := range keys {
			for j := range perTick {
				r := s.Recorder(j % 64)
				d := lognormal(medians[i])
				errText := ""
				if rng.IntN(50) == 0 {
					errText = fmt.Sprintf("HTTP %d", 500+rng.IntN(4))
				}
				r.Request(k, d, 1024, errText)
				if with.phases {
					newConn := rng.IntN(20) == 0
					r.Phases(k, PhaseTimes{Connect: lognormal(300), TLS: lognormal(2000), Send: lognormal(20),
						Wait: d * 8 / 10, Download: d / 5, NewConn: newConn, NewTLS: newConn && rng.IntN(2) == 0})
				}
				if with.pacing {
					switch n := rng.IntN(100); {
					case n == 0:
						r.Pacing(tasks[i], 0, true)
					case n < 25:
						r.Pacing(tasks[i], lognormal(5000), false)
					default:
						r.Pacing(tasks[i], 0, false)
					}
				}
			}
		}
		now = now.Add(time.Second)
		s.Tick(now)
	}
	return s
}

// heapAfter is the live heap once fn's result is built and garbage collected.
func heapAfter(fn func() *Stats) (bytes uint64, keep *Stats) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep = fn()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc), keep
}

// TestMemoryBudget: MaxNames names × 16 shards, 100 requests per name per
// second for 30 s (900,000 requests): the statistics, their latest
// published snapshot included, stay under 64 MiB, with and without phases
// and pacing.
func TestMemoryBudget(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("records 900,000 requests; heap figures mean nothing under -race")
	}
	tests := []struct {
		name string
		with load
	}{
		// Response times, errors and the Aggregated row only.
		{"requests", load{}},
		// Plus five phase histograms per name (--phases) and a paced task
		// per name: the worst case the budget must hold.
		{"phases and pacing", load{phases: true, pacing: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used, s := heapAfter(func() *Stats { return simulate(30, 100, tt.with) })
			snap := s.Latest()
			if got := snap.Total.Requests; got != 30*100*MaxNames {
				t.Fatalf("recorded %d requests, want %d", got, 30*100*MaxNames)
			}
			if tt.with.phases && len(snap.Phases) != MaxNames || tt.with.pacing && len(snap.Pacing) != MaxNames {
				t.Fatalf("%d phase rows and %d paced tasks, want %d of each", len(snap.Phases), len(snap.Pacing), MaxNames)
			}
			t.Logf("statistics of %d names × %d shards: %.1f MiB", MaxNames, memoryShards, float64(used)/(1<<20))
			if used > memoryBudget {
				t.Errorf("statistics take %.1f MiB, want under %d MiB", float64(used)/(1<<20), memoryBudget>>20)
			}
			runtime.KeepAlive(s)
		})
	}
}

// BenchmarkMemory300Names16Shards reports the live heap of the statistics
// of the runs TestMemoryBudget simulates (MiB-live), with ten times the
// rate, for 60 s.
//
//	go test ./stats -run '^$' -bench Memory -benchtime 1x
func BenchmarkMemory300Names16Shards(b *testing.B) {
	for _, bb := range []struct {
		name string
		with load
	}{
		{"requests", load{}},
		{"phases+pacing", load{phases: true, pacing: true}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var used uint64
			for b.Loop() {
				var s *Stats
				used, s = heapAfter(func() *Stats { return simulate(60, 1000, bb.with) })
				runtime.KeepAlive(s)
			}
			b.ReportMetric(float64(used)/(1<<20), "MiB-live")
		})
	}
}

// BenchmarkTick300Names16Shards folds 16 shards of 300 active names and
// publishes the snapshot: the cost of one second of a large run.
func BenchmarkTick300Names16Shards(b *testing.B) {
	s := simulate(5, 100, load{})
	rng := rand.New(rand.NewPCG(1, 1))
	keys := make([]Key, MaxNames)
	for i := range keys {
		keys[i] = Key{Method: "GET", Name: fmt.Sprintf("/api/resource-%d", i)}
	}
	now := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for i, k := range keys {
			for j := range 20 {
				s.Recorder(j).Request(k, time.Duration(1000+rng.IntN(100000)*i)*time.Microsecond, 0, "")
			}
		}
		b.StartTimer()
		now = now.Add(time.Second)
		s.Tick(now)
	}
}

// BenchmarkLatest reads the shared snapshot, as every console refresh, web
// UI poll and threshold check does.
func BenchmarkLatest(b *testing.B) {
	s := simulate(2, 10, load{})
	b.ReportAllocs()
	for b.Loop() {
		if s.Latest().Total == nil {
			b.Fatal("no total")
		}
	}
}
