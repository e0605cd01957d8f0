package engine_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestPacingFarShorterThanWork: with `pacing: 1ns` and a 2 s response,
// each iteration misses ~2·10⁹ slots. They are counted in one step, so the
// run ends right after its requests; before the fix a loop recorded each
// slot (tens of seconds per iteration, deaf to a stop) and the run did not
// end within runLimit.
func TestPacingFarShorterThanWork(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	src := `
users:
  - name: U
    wait: {pacing: 1ns}
    tasks: [{name: busy, steps: [{request: {url: /slow}}]}]
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 2})
	if len(snap.Pacing) != 1 {
		t.Fatalf("%d pacing rows, want 1", len(snap.Pacing))
	}
	p := snap.Pacing[0]
	// At least 2 s late by 1 ns slots: about 2·10⁹ skipped per iteration.
	if p.Skipped < 2e9 || p.Late < 1 {
		t.Errorf("pacing %+v: want ≥ 2·10⁹ skipped slots and a late start", *p)
	}
}
