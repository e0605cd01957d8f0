package reports

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// locustRef holds real Locust 2.12 output (copied from the team's shared
// reference samples) so these tests never skip.
const locustRef = "testdata/locust-2.12/"

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v\n%s", err, data)
	}
	return rows
}

// TestCSVFilesMatchLocustColumns writes the files and compares each header
// with the file Locust 2.12 wrote.
func TestCSVFilesMatchLocustColumns(t *testing.T) {
	run, s := fixture()
	prefix := filepath.Join(t.TempDir(), "out")
	if err := WriteCSV(prefix, run, s); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"} {
		got, err := os.ReadFile(prefix + suffix)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := os.ReadFile(locustRef + "ref" + suffix)
		if err != nil {
			t.Skip("Locust reference files not available:", err)
		}
		if g, w := readCSV(t, got)[0], readCSV(t, ref)[0]; !slices.Equal(g, w) {
			t.Errorf("%s header\n got %q\nwant %q", suffix, g, w)
		}
	}
	if _, err := os.Stat(prefix + "_checks.csv"); err != nil {
		t.Errorf("checks file missing for a scenario with checks: %v", err)
	}
}

func TestCSVNoChecksFile(t *testing.T) {
	_, s := fixture()
	s.Checks = nil
	prefix := filepath.Join(t.TempDir(), "out")
	if err := WriteCSV(prefix, Run{}, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(prefix + "_checks.csv"); !os.IsNotExist(err) {
		t.Errorf("checks file written for a scenario without checks (stat: %v)", err)
	}
}

func TestCSVUnwritableDir(t *testing.T) {
	_, s := fixture()
	if err := WriteCSV(filepath.Join(t.TempDir(), "no", "such", "dir", "out"), Run{}, s); err == nil {
		t.Error("WriteCSV into a missing directory returned no error")
	}
}

// TestStatsCSVNumbers parses the stats file back and compares it with the
// snapshot (counts exactly) and with the console percentile table.
func TestStatsCSVNumbers(t *testing.T) {
	_, s := fixture()
	var b bytes.Buffer
	if err := WriteStatsCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	entries := append(slices.Clone(s.Entries), s.Total)
	if got, want := len(rows)-1, len(entries); got != want {
		t.Fatalf("%d data rows, want %d", got, want)
	}
	table := consolePercentiles(t, s)
	col := func(name string) int { return slices.Index(statsColumns, name) }
	for i, e := range entries {
		row := rows[i+1]
		// Names are kept except for control characters (escaped) and a
		// formula's first character (see csvText).
		if row[0] != csvText(e.Method) || row[1] != csvText(e.Name) {
			t.Errorf("row %d is %q %q, want %q %q", i, row[0], row[1], csvText(e.Method), csvText(e.Name))
		}
		for name, want := range map[string]int64{"Request Count": e.Requests, "Failure Count": e.Failures} {
			if got := row[col(name)]; got != itoa(want) {
				t.Errorf("%s %s = %s, want %d", e.Key, name, got, want)
			}
		}
		for name, want := range map[string]float64{
			"Median Response Time":  ms(e.Median()),
			"Average Response Time": avgMs(e),
			"Min Response Time":     ms(e.MinTime),
			"Max Response Time":     ms(e.MaxTime),
			"Average Content Size":  e.AvgContentBytes(),
			"Requests/s":            e.RPS(s.Duration()),
		} {
			if got := parseFloat(t, row[col(name)]); got != want {
				t.Errorf("%s %s = %v, want %v", e.Key, name, got, want)
			}
		}
		for j, p := range stats.Percentiles() {
			got := parseFloat(t, row[col(PercentileLabel(p))])
			if want := ms(e.Percentile(p)); got != want {
				t.Errorf("%s p%v = %v ms, want %v", e.Key, p, got, want)
			}
			if shown := ConsoleMs(fromMs(got)); shown != table[e.Key][j] {
				t.Errorf("%s p%v: CSV %v ms shows as %s, console table has %s", e.Key, p, got, shown, table[e.Key][j])
			}
		}
	}
}

// consolePercentiles reads the percentile cells of the console table back,
// keyed by the row's request.
func consolePercentiles(t *testing.T, s *stats.Snapshot) map[stats.Key][]string {
	t.Helper()
	var b bytes.Buffer
	if err := WritePercentiles(&b, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	cells := map[stats.Key][]string{}
	for _, e := range append(slices.Clone(s.Entries), s.Total) {
		prefix := pad(e.Method, typeWidth) + " " + pad(fit(e.Name, pctNameWidth), pctNameWidth)
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				f := strings.Fields(l[len(prefix):])
				cells[e.Key] = f[:len(f)-1] // the last cell is # reqs
			}
		}
		if cells[e.Key] == nil {
			t.Fatalf("no console percentile row for %s", e.Key)
		}
	}
	return cells
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("cell %q is not a number: %v", s, err)
	}
	return v
}

func TestStatsCSVNoRequests(t *testing.T) {
	s := stats.New(t0, 1).Snapshot(t0)
	var b bytes.Buffer
	if err := WriteStatsCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	want := []string{"", "Aggregated", "0", "0", "0", "0", "0", "0", "0", "0", "0",
		"N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A"}
	if len(rows) != 2 || !slices.Equal(rows[1], want) {
		t.Errorf("rows of an empty run:\n got %q\nwant [header %q]", rows, want)
	}
}

func TestHistoryCSV(t *testing.T) {
	_, s := fixture()
	var b bytes.Buffer
	if err := WriteHistoryCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	if got, want := len(rows)-1, len(s.History); got != want || want == 0 {
		t.Fatalf("%d history rows, want %d (and more than 0)", got, want)
	}
	col := func(name string) int { return slices.Index(historyColumns, name) }
	for i, p := range s.History {
		row := rows[i+1]
		pct := func(d time.Duration) string {
			if p.Requests == 0 || p.RPS == 0 {
				return "N/A" // no requests in the interval: no percentile, not 0
			}
			return decimal(ms(d))
		}
		tests := []struct {
			column, want string
		}{
			{"Timestamp", strconv.FormatInt(p.Time.Unix(), 10)}, // Unix seconds, as Locust
			{"User Count", strconv.Itoa(p.Users)},
			{"Name", "Aggregated"}, // only Aggregated rows without --csv-full-history
			{"Total Request Count", itoa(p.Requests)},
			{"Total Failure Count", itoa(p.Failures)},
			{"50%", pct(p.P50)},                                        // every percentile Locust writes
			{"66%", pct(p.Pct[1])},                                     // not only 50, 95 and 99
			{"99%", pct(p.P99)},                                        // the same as the point's P99
			{"100%", pct(p.Pct[10])},                                   // the interval's slowest
			{"Total Median Response Time", decimal(ms(p.TotalMedian))}, // the run's so far
			{"Total Average Response Time", decimal(ms(p.TotalAvg))},
			{"Total Min Response Time", decimal(ms(p.TotalMin))},
			{"Total Max Response Time", decimal(ms(p.TotalMax))},
			{"Total Average Content Size", decimal(p.TotalAvgContentBytes)},
		}
		if p.Requests > 0 && (p.TotalMax == 0 || p.TotalAvg == 0) {
			t.Errorf("point %d: %d requests but total max %v, avg %v", i, p.Requests, p.TotalMax, p.TotalAvg)
		}
		for _, tt := range tests {
			if got := row[col(tt.column)]; got != tt.want {
				t.Errorf("point %d %s = %q, want %q", i, tt.column, got, tt.want)
			}
		}
		if got := parseFloat(t, row[col("Requests/s")]); got-p.RPS > 1e-6 || p.RPS-got > 1e-6 {
			t.Errorf("point %d Requests/s = %v, want %v", i, got, p.RPS)
		}
	}
}

func TestFailuresAndChecksCSV(t *testing.T) {
	_, s := fixture()
	var b bytes.Buffer
	if err := WriteFailuresCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	if len(rows)-1 != len(s.Errors) {
		t.Fatalf("%d failure rows, want %d", len(rows)-1, len(s.Errors))
	}
	for i, e := range s.Errors {
		want := []string{csvText(e.Method), csvText(e.Name), csvText(e.Error), itoa(e.Count)} // newlines and tabs escaped
		if !slices.Equal(rows[i+1], want) {
			t.Errorf("failure row %d = %q, want %q", i, rows[i+1], want)
		}
	}
	b.Reset()
	if err := WriteChecksCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows = readCSV(t, b.Bytes())
	for i, c := range s.Checks {
		want := []string{c.Request.Method, c.Request.Name, c.Name, itoa(c.Pass), itoa(c.Fail), decimal(passRatio(c))}
		if !slices.Equal(rows[i+1], want) {
			t.Errorf("check row %d = %q, want %q", i, rows[i+1], want)
		}
	}
}

// TestCSVTextSafe: text from scenarios and targets never runs as a
// spreadsheet formula and never breaks a row or reaches a terminal as a
// control sequence.
func TestCSVTextSafe(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"/api/items", "/api/items"},                                          // ordinary text is kept
		{"=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"}, // a formula
		{"+1+1", "'+1+1"},                            // plus
		{"-2+3", "'-2+3"},                            // minus
		{"@SUM(A1)", "'@SUM(A1)"},                    // at
		{"\t=1", `\t=1`},                             // a leading tab is escaped, so it is text
		{"\r=1", `\r=1`},                             // a leading CR too
		{"line1\nline2", `line1\nline2`},             // a newline stays in one row
		{"\x1b]0;pwned\x07", `\u001B]0;pwned\u0007`}, // an OSC sequence is shown, not run
		{"a=b", "a=b"},                               // = inside is harmless
		{"", ""},                                     // empty
		{"é—ü", "é—ü"},                               // Unicode text is kept
	}
	for _, tt := range tests {
		if got := csvText(tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCSVFilesSafe: a hostile request name, error text and check name are
// written safely in every CSV file that carries them.
func TestCSVFilesSafe(t *testing.T) {
	st := stats.New(time.Unix(0, 0), 1)
	k := stats.Key{Method: "GET", Name: "=cmd|' /C calc'!A0"}
	r := st.Recorder(0)
	r.Request(k, time.Millisecond, 0, "@evil\r\nsecond line")
	r.Check(k, "+check", false)
	st.Tick(time.Unix(1, 0))
	s := st.Snapshot(time.Unix(1, 0))
	for name, write := range map[string]func(io.Writer, *stats.Snapshot) error{
		"stats": WriteStatsCSV, "history": WriteHistoryCSV, "failures": WriteFailuresCSV, "checks": WriteChecksCSV,
	} {
		var b bytes.Buffer
		if err := write(&b, s); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, rec := range recs {
			for _, c := range rec {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) || strings.ContainsAny(c, "\r\n") {
					t.Errorf("%s: unsafe cell %q", name, c)
				}
			}
		}
	}
}
