package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// figures are the numbers one report printed: row ("GET items",
// "Aggregated") → column ("reqs", "fails", "avg", "min", "max", "med",
// "50%" … "100%") → the text as printed, or as the console would print it.
type figures map[string]map[string]string

func (f figures) set(row, col, val string) {
	if f[row] == nil {
		f[row] = map[string]string{}
	}
	f[row][col] = val
}

// msText prints milliseconds as the console does: two decimals below 10,
// whole numbers from 10 up. CSV and JSON carry full precision; compared at
// the console's precision they must print the same.
func msText(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

var pctColumns = func() []string {
	var out []string
	for _, p := range stats.Percentiles() {
		out = append(out, strconv.FormatFloat(p, 'f', -1, 64)+"%")
	}
	return out
}()

// TestReportsAgree runs the CLI in-process with every report against a
// target that counts what it served, then reads the numbers back from the
// console, the CSV, the JSON summary and the HTML report: totals, failures
// and percentiles must be the same everywhere, and match the target's count.
func TestReportsAgree(t *testing.T) {
	srv, served := counting(t)
	file := writeScenario(t, "agree.yaml", `
name: agree
users:
  - name: Shopper
    wait: {min: 0s, max: 20ms}
    tasks:
      - name: browse
        steps:
          - request:
              url: /api/items
              name: items
              extract: [{var: item, jsonpath: "$.items[0].id"}]
              check: [{status: 200}, {contains: '"items"'}]
          - request: {url: "/items/${item}", name: item}
          - request: {url: "/slow?ms=${randInt(5, 25)}", name: slow}
          - request: {url: /status/503, name: unavailable}
`)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "run")
	jsonPath, htmlPath := filepath.Join(dir, "summary.json"), filepath.Join(dir, "report.html")
	code, stdout, stderr := runCLI(t, "run", file, "-H", srv.URL, "-u", "8", "-r", "0", "-t", "2s", "-q",
		"--csv", prefix, "--json", jsonPath, "--html", htmlPath)
	if code != exitFailed {
		t.Fatalf("exit code %d, want %d (the 503s fail)\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}

	sources := []struct {
		name string
		figs figures
	}{
		{"console", consoleFigures(t, stdout)},
		{"CSV", csvFigures(t, prefix+"_stats.csv")},
		{"JSON", jsonFigures(t, jsonPath)},
		{"HTML", htmlFigures(t, htmlPath)},
	}
	want := sources[0].figs
	rows := slices.Sorted(func(yield func(string) bool) {
		for r := range want {
			if !yield(r) {
				return
			}
		}
	})
	if wantRows := []string{"Aggregated", "GET item", "GET items", "GET slow", "GET unavailable"}; !slices.Equal(rows, wantRows) {
		t.Fatalf("console rows %q, want %q\n%s", rows, wantRows, stdout)
	}
	for _, src := range sources[1:] {
		for _, row := range rows {
			for _, col := range allColumns() {
				if got, w := src.figs[row][col], want[row][col]; got != w {
					t.Errorf("%s %s %s: got %q, console printed %q", src.name, row, col, got, w)
				}
			}
		}
	}

	total, err := strconv.ParseInt(want["Aggregated"]["reqs"], 10, 64)
	if err != nil {
		t.Fatalf("console Aggregated # reqs %q: %v", want["Aggregated"]["reqs"], err)
	}
	// Every request was counted after every user stopped: the target saw
	// exactly what loadrun reports (the contract allows 1 %).
	if n := served.Load(); n != total {
		t.Errorf("the target served %d requests, the reports say %d", n, total)
	}
	if want["Aggregated"]["fails"] == "0" || total < 40 {
		t.Errorf("%s requests, %s failures: the run was too small to compare anything", want["Aggregated"]["reqs"], want["Aggregated"]["fails"])
	}
	checkRebuilt(t, jsonPath, want)
}

// htmlTimeColumns are the times the console's statistics table and the
// HTML requests table print, in their order.
var htmlTimeColumns = []string{"avg", "min", "max", "med"}

// allColumns are the compared columns in the order the console prints them.
func allColumns() []string {
	return slices.Concat([]string{"reqs", "fails"}, htmlTimeColumns, pctColumns)
}

// consoleFigures reads the final statistics and percentile tables.
func consoleFigures(t *testing.T, out string) figures {
	t.Helper()
	figs := figures{}
	tables := 0
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Type ") && slices.Contains(fields, "Avg"):
			tables = 1
			continue
		case strings.HasPrefix(line, "Type ") && slices.Contains(fields, "50%"):
			tables = 2
			continue
		case len(fields) == 0 || strings.HasPrefix(line, "---") || tables == 0:
			if len(fields) == 0 {
				tables = 0
			}
			continue
		}
		row, rest := "Aggregated", fields[1:]
		if fields[0] != "Aggregated" {
			row, rest = fields[0]+" "+fields[1], fields[2:]
		}
		if tables == 1 {
			// # reqs, fails(%), |, Avg, Min, Max, Med, |, req/s, failures/s
			if len(rest) != 10 {
				t.Fatalf("stats row %q: %d fields after the name, want 10", line, len(rest))
			}
			fails, _, _ := strings.Cut(rest[1], "(")
			figs.set(row, "reqs", rest[0])
			figs.set(row, "fails", fails)
			for i, col := range htmlTimeColumns {
				figs.set(row, col, rest[3+i])
			}
			continue
		}
		if len(rest) != len(pctColumns)+1 {
			t.Fatalf("percentile row %q: %d fields after the name, want %d", line, len(rest), len(pctColumns)+1)
		}
		for i, col := range pctColumns {
			figs.set(row, col, rest[i])
		}
	}
	if len(figs) == 0 {
		t.Fatalf("no statistics table in the console output:\n%s", out)
	}
	return figs
}

// csvFigures reads PREFIX_stats.csv by column name.
func csvFigures(t *testing.T, path string) figures {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("%s: %d records, %v", path, len(recs), err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	figs := figures{}
	for _, r := range recs[1:] {
		row := r[col["Name"]]
		if r[col["Type"]] != "" {
			row = r[col["Type"]] + " " + row
		}
		figs.set(row, "reqs", r[col["Request Count"]])
		figs.set(row, "fails", r[col["Failure Count"]])
		for name, c := range map[string]string{"avg": "Average Response Time", "min": "Min Response Time", "max": "Max Response Time", "med": "Median Response Time"} {
			figs.set(row, name, csvMs(t, r[col[c]]))
		}
		for _, p := range pctColumns {
			figs.set(row, p, csvMs(t, r[col[p]]))
		}
	}
	return figs
}

func csvMs(t *testing.T, s string) string {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("CSV time %q: %v", s, err)
	}
	return msText(v)
}

// jsonEntry is the part of a JSON summary row this test reads: the
// figures written for people, not the histogram.
type jsonEntry struct {
	Method        string             `json:"method"`
	Name          string             `json:"name"`
	Requests      int64              `json:"requests"`
	Failures      int64              `json:"failures"`
	AvgMs         float64            `json:"avg_ms"`
	MinMs         float64            `json:"min_ms"`
	MaxMs         float64            `json:"max_ms"`
	MedianMs      float64            `json:"median_ms"`
	PercentilesMs map[string]float64 `json:"percentiles_ms"`
}

// jsonFigures reads the JSON summary's printed figures.
func jsonFigures(t *testing.T, path string) figures {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Requests   []jsonEntry `json:"requests"`
		Aggregated jsonEntry   `json:"aggregated"`
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	figs := figures{}
	sum.Aggregated.Name, sum.Aggregated.Method = "Aggregated", ""
	for _, e := range append(sum.Requests, sum.Aggregated) {
		row := strings.TrimSpace(e.Method + " " + e.Name)
		figs.set(row, "reqs", strconv.FormatInt(e.Requests, 10))
		figs.set(row, "fails", strconv.FormatInt(e.Failures, 10))
		figs.set(row, "avg", msText(e.AvgMs))
		figs.set(row, "min", msText(e.MinMs))
		figs.set(row, "max", msText(e.MaxMs))
		figs.set(row, "med", msText(e.MedianMs))
		for _, p := range pctColumns {
			v, ok := e.PercentilesMs[strings.TrimSuffix(p, "%")]
			if !ok {
				t.Fatalf("JSON %s: no percentile %s in %v", row, p, e.PercentilesMs)
			}
			figs.set(row, p, msText(v))
		}
	}
	return figs
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
)

// htmlFigures reads the requests and percentile tables of the HTML report.
func htmlFigures(t *testing.T, path string) figures {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	figs := figures{}
	// Requests: Type, Name, # reqs, # fails, fail %, Avg, Min, Max, Median, …
	for _, cells := range htmlRows(t, page, "requests") {
		if len(cells) < 9 {
			t.Fatalf("HTML requests row %q: %d cells, want 12", cells, len(cells))
		}
		row := strings.TrimSpace(cells[0] + " " + cells[1])
		figs.set(row, "reqs", cells[2])
		figs.set(row, "fails", cells[3])
		for i, col := range htmlTimeColumns {
			figs.set(row, col, cells[5+i])
		}
	}
	// Percentiles: Type, Name, one cell per percentile, # reqs.
	for _, cells := range htmlRows(t, page, "percentiles") {
		if len(cells) != 2+len(pctColumns)+1 {
			t.Fatalf("HTML percentile row %q: %d cells, want %d", cells, len(cells), 3+len(pctColumns))
		}
		row := strings.TrimSpace(cells[0] + " " + cells[1])
		for i, col := range pctColumns {
			figs.set(row, col, cells[2+i])
		}
	}
	return figs
}

// htmlRows are the cell texts of every body row of a report section.
func htmlRows(t *testing.T, page, section string) [][]string {
	t.Helper()
	start := strings.Index(page, `<section id="`+section+`">`)
	if start < 0 {
		t.Fatalf("the HTML report has no %s section", section)
	}
	end := strings.Index(page[start:], "</section>")
	if end < 0 {
		t.Fatalf("the HTML %s section does not end", section)
	}
	var out [][]string
	for _, tr := range rowRE.FindAllStringSubmatch(page[start:start+end], -1) {
		var cells []string
		for _, td := range cellRE.FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, html.UnescapeString(strings.TrimSpace(td[1])))
		}
		if len(cells) > 0 { // the header row has th cells only
			out = append(out, cells)
		}
	}
	return out
}

// checkRebuilt reads the JSON summary as `loadrun report` does: the
// Snapshot rebuilt from its histograms prints the same figures, so a
// report rendered later from the file agrees with the run's own.
func checkRebuilt(t *testing.T, path string, want figures) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, snap, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	for _, e := range append(slices.Clone(snap.Entries), snap.Total) {
		row := strings.TrimSpace(e.Method + " " + e.Name)
		if e == snap.Total {
			row = "Aggregated"
		}
		got := fmt.Sprint(e.Requests)
		if got != want[row]["reqs"] {
			t.Errorf("rebuilt %s: %s requests, console printed %s", row, got, want[row]["reqs"])
		}
		for i, p := range stats.Percentiles() {
			got := msText(float64(e.Percentile(p)) / 1e6)
			if w := want[row][pctColumns[i]]; got != w {
				t.Errorf("rebuilt %s %s: %s, console printed %s", row, pctColumns[i], got, w)
			}
		}
	}
}
