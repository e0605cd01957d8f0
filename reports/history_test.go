package reports

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// TestHistoryWriter writes two ticks and the run's end through a
// HistoryWriter and checks each row: the interval's rates and percentiles,
// N/A for a name without requests in a tick, the totals so far, the
// Aggregated row last, and a tick handed over twice written once.
func TestHistoryWriter(t *testing.T) {
	st := stats.New(t0, 1)
	st.SetUsers(3)
	rec := st.Recorder(0)
	root := stats.Key{Method: "GET", Name: "/"}
	login := stats.Key{Method: "POST", Name: "=login"}
	path := filepath.Join(t.TempDir(), "r_stats_history.csv")
	h, err := CreateHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	// First second: two requests to /, one failed login.
	rec.Request(root, msf(2), 100, "")
	rec.Request(root, msf(4), 300, "")
	rec.Request(login, msf(10), 0, "HTTP 500")
	st.Tick(t0.Add(time.Second))
	h.Tick(st.Latest())
	h.Tick(st.Latest())                  // the same tick again: skipped
	h.Tick(st.Snapshot(t0.Add(1500000))) // no interval: skipped
	// Second second: one request to /, none to login.
	rec.Request(root, msf(6), 200, "")
	st.Tick(t0.Add(2 * time.Second))
	h.Tick(st.Latest())
	// The run's end, half a second later: one more request to /.
	rec.Request(root, msf(8), 200, "")
	st.SetUsers(0)
	st.Tick(t0.Add(2500 * time.Millisecond))
	if err := h.Close(st.Latest()); err != nil {
		t.Fatal(err)
	}
	h.Tick(st.Latest()) // after Close: nothing happens
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], historyColumns) {
		t.Fatalf("header %q", rows[0])
	}
	ts1, ts2 := "1795675893", "1795675894"
	na := slices.Repeat([]string{"N/A"}, len(stats.Percentiles()))
	want := [][]string{
		// Tick 1: / had 2 requests in 1 s, median 2 ms, max 4 ms.
		append(append([]string{ts1, "3", "GET", "/", "2.000000", "0.000000"}, pcts(t, rows[1], "2", "4")...),
			"2", "0", "2", "3", "2", "4", "200"),
		// Tick 1: the login's name starts with = and is made safe; its one
		// request failed.
		append(append([]string{ts1, "3", "POST", "'=login", "1.000000", "1.000000"}, pcts(t, rows[2], "10", "10")...),
			"1", "1", "10", "10", "10", "10", "0"),
		nil, // Tick 1's Aggregated row: checked below
		// Tick 2: one request to / in the second, totals 3 (the median
		// at HDR's 3 significant digits).
		append(append([]string{ts2, "3", "GET", "/", "1.000000", "0.000000"}, pcts(t, rows[4], "6", "6")...),
			"3", "0", "4.001", "4", "2", "6", "200"),
		// Tick 2: nothing to login: N/A percentiles, totals kept.
		append(append([]string{ts2, "3", "POST", "'=login", "0.000000", "0.000000"}, na...),
			"1", "1", "10", "10", "10", "10", "0"),
		nil,
		// The end, half a second: one request is 2 per second.
		append(append([]string{ts2, "0", "GET", "/", "2.000000", "0.000000"}, pcts(t, rows[7], "8", "8")...),
			"4", "0", "4.001", "5", "2", "8", "200"),
		append(append([]string{ts2, "0", "POST", "'=login", "0.000000", "0.000000"}, na...),
			"1", "1", "10", "10", "10", "10", "0"),
		nil,
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows)-1, len(want), b)
	}
	for i, w := range want {
		got := rows[i+1]
		if w == nil {
			if got[3] != stats.AggregatedName {
				t.Errorf("row %d: %q, want the Aggregated row", i+1, got)
			}
			continue
		}
		if !slices.Equal(got, w) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, w)
		}
	}
	if agg := rows[9]; agg[17] != "5" || agg[18] != "1" {
		t.Errorf("last Aggregated row totals %q/%q, want 5/1", agg[17], agg[18])
	}
}

// pcts checks that a row's percentile cells run from lo (50%) to hi
// (100%) in order and returns them, so the row compares whole.
func pcts(t *testing.T, row []string, lo, hi string) []string {
	t.Helper()
	cells := row[6 : 6+len(stats.Percentiles())]
	if cells[0] != lo || cells[len(cells)-1] != hi {
		t.Errorf("percentiles %q, want %s … %s", cells, lo, hi)
	}
	return cells
}
