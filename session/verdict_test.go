package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/session"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// sample is one recorded request for building a snapshot.
type sample struct {
	err    string
	unsent bool
}

// snapshotOf records samples into fresh statistics and snapshots them.
func snapshotOf(samples ...sample) *stats.Snapshot {
	now := time.Now()
	st := stats.New(now, 1)
	rec := st.Recorder(1)
	k := stats.Key{Method: "GET", Name: "/"}
	for _, s := range samples {
		if s.unsent {
			rec.Unsent(k, s.err)
			continue
		}
		rec.Request(k, time.Millisecond, 10, s.err)
	}
	return st.Snapshot(now.Add(time.Second))
}

func TestJudge(t *testing.T) {
	ok := sample{}
	cut := sample{err: engine.CutAtEnd}
	tests := []struct {
		name     string
		outcome  session.Outcome
		code     int
		nothing  bool
		contains string
	}{
		// No thresholds and no failure: Locust's rule holds.
		{"pass", session.Outcome{Snapshot: snapshotOf(ok, ok), Answered: true, Users: 1}, 0, false, "all 2 requests succeeded"},
		// No thresholds, one failure: failed.
		{"one failure", session.Outcome{Snapshot: snapshotOf(ok, sample{err: "HTTP 500"}), Answered: true, Users: 1}, 1, false, "1 of 2 requests failed"},
		// -u 0: nothing was sent.
		{"no users", session.Outcome{Snapshot: snapshotOf(), Users: 0}, 3, true, "no users (-u 0)"},
		// Every request still in flight at the end, nothing ever came back.
		{"all cut", session.Outcome{Snapshot: snapshotOf(cut, cut), Users: 2}, 3, true, "still waiting for its response when the run ended; the target never answered"},
		// Every request failed before it was sent.
		{"all unsent", session.Outcome{Snapshot: snapshotOf(sample{err: "variable x is not set", unsent: true}), Users: 1}, 3, true, "failed before it was sent: variable x is not set"},
		// Thresholds that hold do not make a run that measured nothing pass.
		{"nothing beats thresholds", session.Outcome{Snapshot: snapshotOf(cut), Users: 1, Thresholds: []thresholds.Result{{Rule: "failures < 10", Pass: true}}}, 3, true, "nothing was measured"},
		// Requests completed but no response byte ever arrived: refused.
		{"refused", session.Outcome{Snapshot: snapshotOf(sample{err: "connection refused"}), Users: 1}, 3, false, "the target never answered: no response byte ever arrived (connection refused)"},
		// Timeouts say they were timeouts.
		{"timeouts", session.Outcome{Snapshot: snapshotOf(sample{err: "timeout after 1s"}), Users: 1}, 3, false, "every request timed out (timeout after 1s)"},
		// A certificate that does not verify says so and names --insecure.
		{"tls", session.Outcome{Snapshot: snapshotOf(sample{err: "tls: failed to verify certificate: x509: certificate signed by unknown authority"}), Users: 1}, 3, false, "--insecure"},
		// Some answered, some cut: a failed run, not "nothing measured".
		{"some cut", session.Outcome{Snapshot: snapshotOf(ok, cut), Answered: true, Users: 2}, 1, false, "1 of 2 requests failed"},
		// A failed threshold fails the run and is named.
		{"threshold", session.Outcome{Snapshot: snapshotOf(ok), Answered: true, Users: 1, Thresholds: []thresholds.Result{{Rule: "p95 < 1ms", Message: "p95 is 2ms"}}}, 1, false, `"p95 < 1ms" (p95 is 2ms)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := session.Judge(tt.outcome)
			if v.ExitCode != tt.code || v.Pass != (tt.code == 0) || v.NothingMeasured != tt.nothing {
				t.Errorf("verdict %+v, want exit %d, nothing measured %v", v, tt.code, tt.nothing)
			}
			if !strings.Contains(v.Reason, tt.contains) {
				t.Errorf("reason %q does not contain %q", v.Reason, tt.contains)
			}
		})
	}
}
