package thresholds

import (
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// TestDropped covers the open model's dropped and dropped_ratio metrics.
func TestDropped(t *testing.T) {
	// 2000 arrivals, 3 dropped.
	s := stats.New(t0, 1)
	for i := range 2000 {
		s.Arrival(time.Millisecond, i < 3)
	}
	open := s.Snapshot(t0.Add(10 * time.Second))
	closed := snapshot()
	tests := []struct {
		snap      *stats.Snapshot
		rule      string
		wantPass  bool
		wantValue string
		wantMsg   string
	}{
		{open, "dropped < 1", false, "3", "dropped is 3, want < 1"},                                                                // drops fail a zero-drop rule
		{open, "dropped <= 3", true, "3", ""},                                                                                      // on the limit
		{open, "dropped_ratio < 0.1%", false, "0.15%", "dropped_ratio is 0.15%, want < 0.1%"},                                      // 3 of 2000
		{open, "dropped_ratio < 0.2%", true, "0.15%", ""},                                                                          // under the limit
		{closed, "dropped < 1", false, "", "no arrivals: dropped measures the open model (load: arrival_rate, or --arrival-rate)"}, // closed model: nothing to measure
	}
	for _, tc := range tests {
		res := parse(t, "", tc.rule).Eval(tc.snap)
		if res.Pass != tc.wantPass || res.Value != tc.wantValue || res.Message != tc.wantMsg {
			t.Errorf("%s: got pass %v value %q message %q; want %v %q %q", tc.rule, res.Pass, res.Value, res.Message, tc.wantPass, tc.wantValue, tc.wantMsg)
		}
	}
	// A count of drops only grows: an aborting rule is final once broken.
	if !parse(t, "", "dropped < 1").CanNeverPass(open) {
		t.Errorf("dropped < 1 broken should be final")
	}
	// Drops belong to the run, not to one request.
	_, err := Parse(&scenario.Threshold{Pos: scenario.Pos{File: "s.yaml", Line: 3, Col: 5}, Request: "GET /a", Rule: "dropped < 1"})
	if err == nil || !strings.Contains(err.Error(), "s.yaml:3:5: threshold \"dropped < 1\": dropped counts the arrivals of the whole run") {
		t.Errorf("dropped on a request: got %v", err)
	}
}
