package engine_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestGracefulStop: a stop lets users finish the task they are in, think
// steps included, then run on_stop (a think there too); a stop timeout
// below zero (--stop-timeout 0) cuts them at once, with no on_stop. Before
// the fix a think step ended at the stop and the rest of the task and of
// on_stop was skipped. In virtual time, so the stop falls inside the think.
func TestGracefulStop(t *testing.T) {
	tests := []struct {
		name        string
		think       string
		stopTimeout time.Duration
		// wantAfter and wantOnStop are the hits of /after and /bye.
		wantAfter, wantOnStop int
	}{
		// Default stop timeout (5 s): the task goes on through its think.
		{"graceful", "200ms", 0, 1, 1},
		// At once: the 1 h think is cut, nothing more is sent.
		{"at once", "1h", -1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rc := &recorder{}
				dial := virtualHost(t, rc.wrap(nil))
				src := `
users:
  - name: U
    wait: {constant: 1h}
    tasks:
      - steps: [{request: {url: /before}}, {think: ` + tt.think + `}, {request: {url: /after}}]
    on_stop: [{think: 10ms}, {request: {url: /bye}}]
`
				r := start(t, src, vhost, 1, 0, engine.Options{StopTimeout: tt.stopTimeout, Dial: dial})
				synctest.Wait() // the user is in its think, after /before
				if rc.count("/before") != 1 {
					t.Fatal("the user did not send /before")
				}
				r.Stop()
				wait(t, r)
				if got := rc.count("/after"); got != tt.wantAfter {
					t.Errorf("/after hit %d times, want %d", got, tt.wantAfter)
				}
				if got := rc.count("/bye"); got != tt.wantOnStop {
					t.Errorf("on_stop's /bye hit %d times, want %d", got, tt.wantOnStop)
				}
			})
		})
	}
}
