package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// TestOpenReports checks the open model's console table and that the JSON
// summary keeps the arrivals, the drops per second and the load shape.
func TestOpenReports(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := stats.New(t0, 1)
	for i := range 200 {
		s.Arrival(20*time.Millisecond, i%4 == 0)
	}
	s.Tick(t0.Add(time.Second))
	snap := s.Snapshot(t0.Add(time.Second))
	var con bytes.Buffer
	if err := WriteOpen(&con, snap); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Arrivals (open model)", "200", "50", "25.00%", "50.0", "150", " 20\n"} {
		if !strings.Contains(con.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, con.String())
		}
	}
	run := Run{Scenario: "s", Load: "arrival rate 200/s for 1s, max 5 users, constant arrivals", Start: t0, End: t0.Add(time.Second)}
	var js bytes.Buffer
	if err := WriteJSON(&js, run, snap); err != nil {
		t.Fatal(err)
	}
	run2, snap2, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if run2.Load != run.Load {
		t.Errorf("load %q, want %q", run2.Load, run.Load)
	}
	if snap2.Open == nil || *snap2.Open != *snap.Open {
		t.Errorf("open %+v, want %+v", snap2.Open, snap.Open)
	}
	if len(snap2.History) != 1 || snap2.History[0].DroppedPerSec != 50 {
		t.Errorf("history %+v, want 50 drops/s", snap2.History)
	}
	// A closed-model run shows nothing.
	con.Reset()
	if err := WriteOpen(&con, stats.New(t0, 1).Snapshot(t0)); err != nil || con.Len() != 0 {
		t.Errorf("closed model: %q, %v", con.String(), err)
	}
}
