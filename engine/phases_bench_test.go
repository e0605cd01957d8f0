package engine

import (
	"testing"
	"time"
)

// BenchmarkPlainGETPhases is BenchmarkPlainGET with Options.Phases: the
// cost of timing a request's phases (four clock reads and one recording).
func BenchmarkPlainGETPhases(b *testing.B) {
	s := startCannedServer(b)
	u, steps := benchUser(b, plainScenario, s.URL(), nil)
	u.r.opts.Phases = true
	u.runSteps(steps) // dial outside the loop
	b.ReportAllocs()
	for b.Loop() {
		u.runSteps(steps)
	}
	b.StopTimer()
	wantNoFailures(b, u)
	if p := u.r.stats.Snapshot(time.Now()).Phases; len(p) != 1 {
		b.Fatalf("%d phase rows, want 1", len(p))
	}
}
