package engine_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestPacingFarShorterThanWork: with `pacing: 1ns` and a 2 s response,
// each iteration misses ~2·10⁹ slots. They are counted in one step; before
// the fix a loop recorded each slot (tens of seconds of CPU per iteration,
// deaf to a stop), so the test ran far past the suite's patience.
func TestPacingFarShorterThanWork(t *testing.T) {
	synctest.Test(t, testPacingFarShorterThanWork)
}

// testPacingFarShorterThanWork runs in virtual time: the 2 s responses take
// none of the test's, the slot arithmetic is what is measured.
func testPacingFarShorterThanWork(t *testing.T) {
	dial := virtualHost(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	src := `
users:
  - name: U
    wait: {pacing: 1ns}
    tasks: [{name: busy, steps: [{request: {url: /slow}}]}]
`
	snap := runToEnd(t, src, vhost, 1, 0, engine.Options{Iterations: 2, Dial: dial})
	if len(snap.Pacing) != 1 {
		t.Fatalf("%d pacing rows, want 1", len(snap.Pacing))
	}
	p := snap.Pacing[0]
	// At least 2 s late by 1 ns slots: about 2·10⁹ skipped per iteration.
	if p.Skipped < 2e9 || p.Late < 1 {
		t.Errorf("pacing %+v: want ≥ 2·10⁹ skipped slots and a late start", *p)
	}
}
