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

// TestJSONKeepsUnsent: requests that were never sent survive the JSON
// summary, so a report rendered from it later has the same average.
func TestJSONKeepsUnsent(t *testing.T) {
	st := stats.New(time.Unix(0, 0), 1)
	k := stats.Key{Method: "GET", Name: "/x"}
	st.Recorder(0).Request(k, 10*time.Millisecond, 1, "")
	st.Recorder(0).Unsent(k, "variable csrf is not set")
	s := st.Snapshot(time.Unix(2, 0))
	var b bytes.Buffer
	if err := WriteJSON(&b, Run{}, s); err != nil {
		t.Fatal(err)
	}
	_, got, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Entry(k)
	if e == nil || e.Unsent != 1 || e.Requests != 2 || e.Avg() != 10*time.Millisecond {
		t.Errorf("read back %+v, want 2 requests, 1 unsent, avg 10ms", e)
	}
}
