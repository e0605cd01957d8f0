package session_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/session"
)

// TestAbortingThreshold runs against the demo target with a threshold that
// may end the run early, in virtual time: runs are given a minute, and the
// tick that first sees the rule broken for good ends it, at a whole second.
func TestAbortingThreshold(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		threshold string // YAML of the aborting threshold
		runTime   time.Duration
		wantAbort bool
		// notBefore is the earliest the run may end (the grace period);
		// notAfter the latest (virtual time: ticks are exact).
		notBefore, notAfter time.Duration
	}{
		// Every answer is a 500, so "failures == 0" fails for good at the
		// first one; with no grace the next check (once a second) ends the run.
		{"no grace", "/status/500", `{rule: "failures == 0", abort: true, grace: 0s}`, time.Minute, true, time.Second, time.Second},
		// The same with a 2 s grace period: never ended before it.
		{"grace", "/status/500", `{rule: "failures == 0", abort: true, grace: 2s}`, time.Minute, true, 2 * time.Second, 2 * time.Second},
		// Nothing fails, so the threshold never aborts and the run lasts its
		// run time.
		{"holds", "/json", `{rule: "failures == 0", abort: true, grace: 0s}`, 1500 * time.Millisecond, false, 1500 * time.Millisecond, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dial := virtualDemo(t)
				src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 50ms}
    tasks:
      - steps: [{request: {url: %s, name: the-request}}]
thresholds:
  - %s
  - "max < 1h"
`, tt.url, tt.threshold)
				r := start(t, src, vhost, 2, 0, engine.Options{RunTime: tt.runTime, Dial: dial})
				res := wait(t, r)
				took := res.Run.End.Sub(res.Run.Start)
				t.Logf("ended after %s: %s", took, r.Reason())
				if took < tt.notBefore || took > tt.notAfter {
					t.Errorf("the run ended after %s, want between %s and %s", took, tt.notBefore, tt.notAfter)
				}

				wantReason := "run time reached"
				if tt.wantAbort {
					wantReason = `threshold "failures == 0" failed (abort)`
				}
				if got := r.Reason(); got != wantReason {
					t.Errorf("reason %q, want %q", got, wantReason)
				}

				results := res.Run.Thresholds
				if len(results) != 2 {
					t.Fatalf("%d threshold results, want 2: %+v", len(results), results)
				}
				got := results[0]
				if got.Rule != "failures == 0" || got.Aborted != tt.wantAbort || got.Pass == tt.wantAbort {
					t.Errorf("aborting rule: %+v; want rule %q, aborted %v, pass %v", got, "failures == 0", tt.wantAbort, !tt.wantAbort)
				}
				if tt.wantAbort && !strings.Contains(got.Message, "want == 0") {
					t.Errorf("aborted rule's message %q does not say what was wanted", got.Message)
				}
				if tt.wantAbort && (res.Run.Verdict.ExitCode != session.ExitFail || res.Run.Verdict.Pass) {
					t.Errorf("verdict %+v, want a failed run (exit 1)", res.Run.Verdict)
				}
				// A rule that did not abort the run is not marked, even when an
				// other one did.
				if other := results[1]; other.Aborted || !other.Pass {
					t.Errorf("the other rule: %+v; want passed and not aborted", other)
				}
			})
		})
	}
}

// TestAbortMarksOnlyItsRule has the same rule over two requests, only one
// of them aborting and failing: the reason names that request, and only
// that threshold is marked Aborted (the same rule text over the request
// that holds did not end the run).
func TestAbortMarksOnlyItsRule(t *testing.T) {
	synctest.Test(t, testAbortMarksOnlyItsRule)
}

func testAbortMarksOnlyItsRule(t *testing.T) {
	dial := virtualDemo(t)
	src := `
users:
  - name: U
    wait: {constant: 50ms}
    tasks:
      - steps: [{request: {url: /json, name: good}}, {request: {url: /status/500, name: bad}}]
thresholds:
  - {request: "GET good", rule: "failures == 0"}
  - {request: "GET bad", rule: "failures == 0", abort: true, grace: 0s}
`
	r := start(t, src, vhost, 1, 0, engine.Options{RunTime: time.Minute, Dial: dial})
	res := wait(t, r)
	if got, want := r.Reason(), `threshold "GET bad: failures == 0" failed (abort)`; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	tests := []struct {
		request           string
		wantPass, aborted bool
	}{
		// Held, and did not end the run, although its rule text is the same.
		{"GET good", true, false},
		// Failed and ended the run.
		{"GET bad", false, true},
	}
	results := res.Run.Thresholds
	if len(results) != len(tests) {
		t.Fatalf("%d results, want %d: %+v", len(results), len(tests), results)
	}
	for i, tt := range tests {
		got := results[i]
		if got.Request != tt.request || got.Pass != tt.wantPass || got.Aborted != tt.aborted {
			t.Errorf("result %d: %+v; want request %q, pass %v, aborted %v", i, got, tt.request, tt.wantPass, tt.aborted)
		}
	}
}
