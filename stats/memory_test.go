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
// by 16 shards stay under 64 MiB (the dense layout took 300 × 16 × 184 KiB
// = 864 MiB).
const (
	memoryShards = 16
	memoryBudget = 64 << 20
)

// simulate records ticks seconds of a run over MaxNames request names from
// 64 users on memoryShards shards, perTick requests per name per second.
// Each name has its own log-normal response times (median 2 ms to 600 ms,
// σ = 0.8, so a row spans about three decades: a slow page with its fast
// cache hits and its timeouts), one request in 50 fails with one of a few
// texts. It returns the Stats, after its last tick.
func simulate(ticks, perTick int) *Stats {
	s := New(t0, memoryShards)
	rng := rand.New(rand.NewPCG(7, 11))
	keys := make([]Key, MaxNames)
	medians := make([]float64, MaxNames)
	for i := range keys {
		keys[i] = Key{Method: "GET", Name: fmt.Sprintf("/api/resource-%d", i)}
		medians[i] = 2000 * math.Pow(300, float64(i)/MaxNames) // µs
	}
	now := t0
	for range ticks {
		for i, k := range keys {
			for j := range perTick {
				us := medians[i] * math.Exp(0.8*rng.NormFloat64())
				errText := ""
				if rng.IntN(50) == 0 {
					errText = fmt.Sprintf("HTTP %d", 500+rng.IntN(4))
				}
				s.Recorder(j%64).Request(k, time.Duration(us*float64(time.Microsecond)), 1024, errText)
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
// published snapshot included, stay under 64 MiB.
func TestMemoryBudget(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("records 900,000 requests; heap figures mean nothing under -race")
	}
	used, s := heapAfter(func() *Stats { return simulate(30, 100) })
	if got := s.Latest().Total.Requests; got != 30*100*MaxNames {
		t.Fatalf("recorded %d requests, want %d", got, 30*100*MaxNames)
	}
	t.Logf("statistics of %d names × %d shards: %.1f MiB", MaxNames, memoryShards, float64(used)/(1<<20))
	if used > memoryBudget {
		t.Errorf("statistics take %.1f MiB, want under %d MiB", float64(used)/(1<<20), memoryBudget>>20)
	}
	runtime.KeepAlive(s)
}

// BenchmarkMemory300Names16Shards reports the live heap of the statistics
// of the run TestMemoryBudget simulates (MiB-live), with ten times the rate.
//
//	go test ./stats -run '^$' -bench Memory -benchtime 1x
func BenchmarkMemory300Names16Shards(b *testing.B) {
	var used uint64
	for b.Loop() {
		var s *Stats
		used, s = heapAfter(func() *Stats { return simulate(60, 1000) })
		runtime.KeepAlive(s)
	}
	b.ReportMetric(float64(used)/(1<<20), "MiB-live")
}

// BenchmarkTick300Names16Shards folds 16 shards of 300 active names and
// publishes the snapshot: the cost of one second of a large run.
func BenchmarkTick300Names16Shards(b *testing.B) {
	s := simulate(5, 100)
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
	s := simulate(2, 10)
	b.ReportAllocs()
	for b.Loop() {
		if s.Latest().Total == nil {
			b.Fatal("no total")
		}
	}
}
