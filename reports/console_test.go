package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

func TestConsoleGolden(t *testing.T) {
	run, s := fixture()
	tests := []struct {
		name  string
		write func(io.Writer) error
	}{
		// The live table with current rates.
		{"stats_live.golden", func(w io.Writer) error { return WriteStatsTable(w, s) }},
		// The whole end-of-run output, every section present.
		{"summary.golden", func(w io.Writer) error { return WriteSummary(w, run, s) }},
		// A run with no samples yet: dashes, not zeros, for the times.
		{"empty.golden", func(w io.Writer) error {
			return WriteSummary(w, Run{}, stats.New(t0, 1).Snapshot(t0))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// TestConsoleMatchesLocust checks the header and separator lines against
// Locust 2.12's real output, so the layout cannot drift from what Locust
// users read.
func TestConsoleMatchesLocust(t *testing.T) {
	ref, err := os.ReadFile(locustRef + "console.txt")
	if err != nil {
		t.Skip("Locust reference output not available:", err)
	}
	refLines := map[string]bool{}
	for l := range strings.Lines(string(ref)) {
		refLines[strings.TrimRight(l, " \n")] = true
	}
	_, s := fixture()
	var b bytes.Buffer
	if err := WriteStatsTable(&b, s); err != nil {
		t.Fatal(err)
	}
	if err := WritePercentiles(&b, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteErrors(&b, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	for _, i := range []int{0, 1} { // stats header and separator
		if !refLines[lines[i]] {
			t.Errorf("stats line %d is not in Locust's output:\n%q", i, lines[i])
		}
	}
	var pctHead, pctSep, errHead, errSep string
	for i, l := range lines {
		switch l {
		case "Response time percentiles":
			pctHead, pctSep = lines[i+1], lines[i+2]
		case "Error report":
			errHead, errSep = lines[i+1], lines[i+2]
		}
	}
	for _, l := range []string{pctHead, pctSep, errHead, errSep} {
		if !refLines[l] {
			t.Errorf("line is not in Locust's output:\n%q", l)
		}
	}
}

// TestConsoleRowsAligned checks that every row of the stats and percentile
// tables is as wide as its header, whatever the names hold.
func TestConsoleRowsAligned(t *testing.T) {
	_, s := fixture()
	var b bytes.Buffer
	if err := WriteStatsTable(&b, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := len([]rune(lines[0]))
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "---") {
			continue
		}
		if got := len([]rune(l)); got != want {
			t.Errorf("row is %d runes wide, header %d:\n%s", got, want, l)
		}
	}
}

func TestConsoleMs(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0.00"},                                     // no time at all
		{571841 * time.Nanosecond, "0.57"},              // sub-millisecond: two decimals, not "0" or "1"
		{9994 * time.Microsecond, "9.99"},               // just below the switch
		{10 * time.Millisecond, "10"},                   // whole milliseconds from 10 ms
		{10600 * time.Microsecond, "11"},                // rounded, not truncated
		{3 * time.Second, "3000"},                       // seconds stay in ms, like every column
		{2*time.Hour + 500*time.Microsecond, "7200001"}, // beyond the histogram; halves round up
	}
	for _, tt := range tests {
		if got := ConsoleMs(tt.in); got != tt.want {
			t.Errorf("ConsoleMs(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"/short", 10, "/short"},                     // fits: unchanged
		{"/exactly10", 10, "/exactly10"},             // exactly the width: unchanged
		{"/api/v1/products/12345", 10, "/ap…/12345"}, // middle dropped, root and tail kept
		{"a\nb\tc", 10, "a b c"},                     // controls would break the row
		{"/ünïcödé/ñame/long", 8, "/ü…/long"},        // counted in runes, not bytes
		{"abc", 1, "a"},                              // no room for the ellipsis
	}
	for _, tt := range tests {
		got := fit(tt.in, tt.width)
		if got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
		if n := len([]rune(got)); n > tt.width {
			t.Errorf("fit(%q, %d) is %d runes wide", tt.in, tt.width, n)
		}
	}
}

// failWriter fails every write, as a closed pipe does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errClosed }

var errClosed = errors.New("closed pipe")

func TestConsoleWriteError(t *testing.T) {
	run, s := fixture()
	if err := WriteSummary(failWriter{}, run, s); !errors.Is(err, errClosed) {
		t.Errorf("WriteSummary to a failing writer = %v, want %v", err, errClosed)
	}
}

// TestConsoleColumnsLineUp checks every table of the summary: where a
// separator line has a "|", the header and every row have a column gap
// (a space or a "|"), so no cell spills into its neighbour.
func TestConsoleColumnsLineUp(t *testing.T) {
	run, s := fixture()
	var b bytes.Buffer
	if err := WriteSummary(&b, run, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	var bars []int
	for i, l := range lines {
		r := []rune(l)
		if strings.HasPrefix(l, "---") {
			if bars == nil { // a table's first separator: check its header
				bars = barIndexes(r)
				checkGaps(t, []rune(lines[i-1]), bars)
			}
			continue
		}
		if l == "" {
			bars = nil
			continue
		}
		if bars != nil {
			checkGaps(t, r, bars)
		}
	}
}

func barIndexes(r []rune) []int {
	var bars []int
	for i, c := range r {
		if c == '|' {
			bars = append(bars, i)
		}
	}
	return bars
}

func checkGaps(t *testing.T, r []rune, bars []int) {
	t.Helper()
	for _, i := range bars {
		if i < len(r) && r[i] != ' ' && r[i] != '|' {
			t.Errorf("column %d is %q, want a gap:\n%s", i, r[i], string(r))
		}
	}
}

// TestErrorsCapped: the console lists the most frequent kinds of error and
// counts the rest on one line, so a run with many kinds does not flood the
// terminal.
func TestErrorsCapped(t *testing.T) {
	tests := []struct {
		kinds    int
		wantRows int
		wantMore string
	}{
		{0, 0, ""},                               // no error: no report
		{3, 3, ""},                               // few kinds: all listed
		{MaxConsoleErrors, MaxConsoleErrors, ""}, // exactly the cap: all listed
		{MaxConsoleErrors + 5, MaxConsoleErrors, "15                 5 more kinds of error (every one is in the CSV and JSON reports)"}, // 5 more, 3 each
	}
	for _, tt := range tests {
		s := &stats.Snapshot{}
		for i := range tt.kinds {
			// Most frequent first, as the snapshot sorts them.
			s.Errors = append(s.Errors, &stats.ErrorEntry{Key: stats.Key{Method: "GET", Name: "/"}, Error: fmt.Sprintf("kind %d", i), Count: int64(100 - i)})
		}
		for _, e := range s.Errors[min(len(s.Errors), MaxConsoleErrors):] {
			e.Count = 3
		}
		var b bytes.Buffer
		if err := WriteErrors(&b, s); err != nil {
			t.Fatal(err)
		}
		rows := strings.Count(b.String(), ": kind ")
		if rows != tt.wantRows {
			t.Errorf("%d kinds: %d rows listed, want %d", tt.kinds, rows, tt.wantRows)
		}
		if got := strings.Contains(b.String(), "more kinds"); got != (tt.wantMore != "") || tt.wantMore != "" && !strings.Contains(b.String(), tt.wantMore+"\n") {
			t.Errorf("%d kinds: report\n%s\nwant the line %q", tt.kinds, b.String(), tt.wantMore)
		}
	}
}

// TestUnsentRowHasNoTimes: a row whose requests were never sent (a pool
// with no row, an unset variable) shows "-" for its times, as an empty
// Aggregated row does, not 0.00, and has no percentile row.
func TestUnsentRowHasNoTimes(t *testing.T) {
	st := stats.New(time.Unix(0, 0), 1)
	unsent := stats.Key{Method: "POOL", Name: "accounts"}
	st.Recorder(0).Unsent(unsent, "no row within 10s")
	st.Recorder(0).Request(stats.Key{Method: "GET", Name: "/"}, 3*time.Millisecond, 0, "")
	s := st.Snapshot(time.Unix(1, 0))
	var b bytes.Buffer
	if err := WriteStatsTable(&b, s); err != nil {
		t.Fatal(err)
	}
	var row string
	for l := range strings.Lines(b.String()) {
		if strings.HasPrefix(l, "POOL") {
			row = l
		}
	}
	if f := strings.Fields(row); len(f) < 9 || f[5] != "-" || f[6] != "-" || f[7] != "-" || f[8] != "-" {
		t.Errorf("unsent row %q, want - for avg, min, max and median", row)
	}
	b.Reset()
	if err := WritePercentiles(&b, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "POOL") {
		t.Errorf("percentile table has a row for requests never sent:\n%s", b.String())
	}
}

// TestChecksTableOrderAndCut: checkpoints are listed in the snapshot's
// order (the scenario's), and a long label keeps its start.
func TestChecksTableOrderAndCut(t *testing.T) {
	k := stats.Key{Method: "GET", Name: "/cart"}
	long := "jsonpath $.items[0].price equals ${expected_price_for_this_user_and_currency}"
	s := &stats.Snapshot{Checks: []*stats.CheckEntry{
		{Request: k, Name: "status 200", Pass: 3},
		{Request: k, Name: long, Pass: 3},
		{Request: k, Name: "contains Total", Pass: 2, Fail: 1},
	}}
	var b bytes.Buffer
	if err := WriteChecks(&b, s); err != nil {
		t.Fatal(err)
	}
	var labels []string
	for l := range strings.Lines(b.String()) {
		if strings.HasPrefix(l, "GET") {
			r := []rune(l)
			labels = append(labels, strings.TrimSpace(string(r[8+1+40+1:8+1+40+1+40])))
		}
	}
	want := []string{"status 200", "jsonpath $.items[0].price equals ${expe…", "contains Total"} // 40 runes
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Errorf("labels %q, want %q (scenario order, cut at the end)", labels, want)
	}
}

// TestSpawnRateText: -r 0 reads "all at once", not "0/s".
func TestSpawnRateText(t *testing.T) {
	tests := []struct {
		rate float64
		want string
	}{
		{0, "all at once"}, // -r 0 starts every user together
		{1, "1/s"},         // the default
		{2.5, "2.5/s"},     // a fraction
	}
	for _, tt := range tests {
		if got := SpawnRateText(tt.rate); got != tt.want {
			t.Errorf("SpawnRateText(%v) = %q, want %q", tt.rate, got, tt.want)
		}
	}
}
