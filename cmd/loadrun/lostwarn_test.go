package main

import (
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/cluster"
)

// TestLostWarnings: what the reports say of each lost worker's numbers.
func TestLostWarnings(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		w    cluster.WorkerInfo
		want []string // in the one warning; nil: no warning
	}{
		// A worker that was never lost: nothing to say.
		{"live", cluster.WorkerInfo{Name: "w1", Host: "h", Complete: true}, nil},
		// Dead: its numbers stop at its last report, and the warning says what is missing.
		{"dead", cluster.WorkerInfo{Name: "w2", Host: "h", Lost: at}, []string{"worker w2 (h) was lost at 03:04:05", "last report", "not counted"}},
		// Cut off, then back: its final statistics are counted.
		{"cut off", cluster.WorkerInfo{Name: "w3", Host: "h", Lost: at, Complete: true}, []string{"worker w3 (h) was lost at 03:04:05", "final statistics", "are counted"}},
	} {
		got := lostWarnings([]cluster.WorkerInfo{tc.w})
		if tc.want == nil {
			if len(got) != 0 {
				t.Errorf("%s: %q, want no warning", tc.name, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%s: %q, want one warning", tc.name, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got[0], w) {
				t.Errorf("%s: %q lacks %q", tc.name, got[0], w)
			}
		}
	}
}
