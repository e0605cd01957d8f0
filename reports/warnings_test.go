package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// TestSaturationWarnedOnce: the saturation warning comes from the snapshot
// alone, so every report says it exactly once whatever else the run warns.
func TestSaturationWarnedOnce(t *testing.T) {
	st := stats.New(time.Unix(0, 0), 1)
	st.Recorder(0).Request(stats.Key{Method: "GET", Name: "/"}, time.Millisecond, 1, "")
	st.SetCPU(97)
	s := st.Snapshot(time.Unix(2, 0))
	run := Run{Warnings: []string{"a stall at 00:00:01"}}
	if got := Warnings(run, s); len(got) != 2 {
		t.Fatalf("Warnings: got %q, want the run's one plus saturation", got)
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, run, s); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "saturated"); n != 1 {
		t.Errorf("summary mentions saturation %d times, want 1:\n%s", n, b.String())
	}
}
