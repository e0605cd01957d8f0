package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFullHistoryCSV runs an example against the demo with
// --csv-full-history: the history file has Locust's header, rows of every
// request name at several ticks, each tick's Aggregated row after its
// request rows, and the last tick's per-request totals are the stats file's.
func TestFullHistoryCSV(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "r")
	file := filepath.Join("..", "..", "examples", "shop.yaml")
	code, stdout, stderr := runCLI(t, "run", file, "--demo", "-u", "2", "-r", "0", "-t", "3s", "-n", "100000", "-q",
		"--csv", prefix, "--csv-full-history")
	if code != exitOK {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	checkFullHistory(t, prefix)
}

// checkFullHistory reads PREFIX_stats_history.csv written with
// --csv-full-history and checks it against PREFIX_stats.csv: Locust's
// header, rows of every request name at several ticks, each tick's
// Aggregated row after its request rows (once there are any), ticks in time order, and the last
// tick's totals (per request and Aggregated) those of the stats file.
func checkFullHistory(t *testing.T, prefix string) {
	t.Helper()
	hist := readCSV(t, prefix+"_stats_history.csv")
	if got := strings.Join(hist[0], ","); got != locustHistoryHeader {
		t.Fatalf("header\n%s\nwant Locust's\n%s", got, locustHistoryHeader)
	}
	col := func(name string) int { return slices.Index(hist[0], name) }
	stats := readCSV(t, prefix+"_stats.csv")
	names := map[string]bool{}
	want := map[string][2]string{} // name -> request and failure counts
	for _, r := range stats[1 : len(stats)-1] {
		names[r[1]] = true
		want[r[0]+" "+r[1]] = [2]string{r[2], r[3]}
	}
	if len(names) < 2 {
		t.Fatalf("the run made fewer than 2 request names: %v", stats)
	}
	aggregated := stats[len(stats)-1]
	want["Aggregated"] = [2]string{aggregated[2], aggregated[3]}
	ticks := map[string]map[string]bool{} // name -> timestamps
	last := map[string][2]string{}
	var times []string
	pending := 0
	for _, r := range hist[1:] {
		if r[col("Name")] == "Aggregated" {
			// Before any request row, a tick has its Aggregated row only
			// (a master may have no worker's statistics yet).
			if pending == 0 && len(ticks) > 0 {
				t.Errorf("Aggregated row at %s has no request rows before it", r[0])
			}
			last["Aggregated"] = [2]string{r[col("Total Request Count")], r[col("Total Failure Count")]}
			times = append(times, r[0])
			pending = 0
			continue
		}
		pending++
		if ticks[r[3]] == nil {
			ticks[r[3]] = map[string]bool{}
		}
		ticks[r[3]][r[0]] = true
		last[r[2]+" "+r[3]] = [2]string{r[col("Total Request Count")], r[col("Total Failure Count")]}
	}
	if pending != 0 {
		t.Errorf("%d request rows after the last Aggregated row", pending)
	}
	if !slices.IsSorted(times) {
		t.Errorf("ticks out of time order: %v", times)
	}
	for n := range names {
		if len(ticks[n]) < 2 {
			t.Errorf("%s: rows at %d timestamps, want several", n, len(ticks[n]))
		}
	}
	for k, w := range want {
		if last[k] != w {
			t.Errorf("%s: last tick's totals %v, stats file's %v", k, last[k], w)
		}
	}
}

// locustHistoryHeader is Locust 2.12's stats history header, as it wrote it.
const locustHistoryHeader = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%," +
	"Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time," +
	"Total Min Response Time,Total Max Response Time,Total Average Content Size"

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
