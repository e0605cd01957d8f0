package engine_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// TestRecycledRowNotKept: a unique-recycle row drawn in a task goes back to
// the pool when the iteration ends, so a step of the next iteration that runs
// before the next draw must not send it (another user may hold it by then);
// a row the user holds for its life is what the variable means again.
func TestRecycledRowNotKept(t *testing.T) {
	var mu sync.Mutex
	var before []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/before" {
			mu.Lock()
			before = append(before, r.URL.Query().Get("v"))
			mu.Unlock()
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name    string
		onStart string
		want    string // what the step before the draw sends from iteration 2 on
	}{
		{"task only", `[]`, "none"},            // the variable is gone
		{"life row too", `[{use: acct}]`, "a"}, // back to the user's own row
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			before = nil
			mu.Unlock()
			src := `
data:
  acct: {rows: [{name: a}, {name: b}, {name: c}], mode: unique-recycle}
users:
  - name: U
    wait: {constant: 0s}
    on_start: ` + tc.onStart + `
    tasks:
      - steps:
          - request: {url: '/before?v=${acct.name ?? "none"}', name: before}
          - use: acct
          - request: {url: "/after?v=${acct.name}", name: after}
`
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3})
			if snap.Total.Failures != 0 {
				t.Fatalf("failures: %v", errorsOf(snap))
			}
			mu.Lock()
			defer mu.Unlock()
			if len(before) != 3 {
				t.Fatalf("got %d requests before the draw, want 3", len(before))
			}
			for i, v := range before[1:] {
				if v != tc.want {
					t.Errorf("iteration %d sent %q before its draw, want %q (%q)", i+2, v, tc.want, before)
				}
			}
		})
	}
}
